"""Forms for the provider portal, shaped for the GOV.UK Design System."""

from django import forms

from marketplace.forms import GovukDateField
from providers.services import EVIDENCE_EXTENSIONS


class EvidenceUploadForm(forms.Form):
    file = forms.FileField(
        label="Upload a file",
        help_text="PDF, JPG, PNG, DOCX or ODT, smaller than 10MB",
        widget=forms.FileInput(attrs={"accept": ",".join(sorted(EVIDENCE_EXTENSIONS))}),
        error_messages={
            "required": "Select a file",
            "empty": "The selected file is empty",
            "invalid": "Select a file",
            "missing": "Select a file",
        },
    )
    issued_on = GovukDateField(
        name="the issue date", label="When was it issued?", help_text="For example, 27 3 2026",
        error_messages={"required": "Enter the date the evidence was issued"},
    )
    expires_on = GovukDateField(
        name="the expiry date", label="When does it expire?", help_text="For example, 27 3 2027",
        error_messages={"required": "Enter the date the evidence expires"},
    )
