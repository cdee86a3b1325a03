"""The provider portal: an organisation's standing under the quality framework, and its evidence."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from marketplace.models import Organisation
from marketplace.transitions import InvalidTransition
from providers import services
from providers.constants import AccreditationStatus
from providers.forms import EvidenceUploadForm
from providers.models import QualityStandard, standards_for
from providers.selectors import (
    EXPIRES_SOON_DAYS,
    portal_organisation_ids,
    portal_organisations,
    standards_with_evidence,
)

# Accreditation states from which the organisation may apply (again).
CAN_APPLY = {AccreditationStatus.EXPIRED, AccreditationStatus.WITHDRAWN}
ACCREDITATION_TAGS = {
    AccreditationStatus.APPLIED: "govuk-tag--blue",
    AccreditationStatus.UNDER_REVIEW: "govuk-tag--light-blue",
    AccreditationStatus.APPROVED: "govuk-tag--green",
    AccreditationStatus.SUSPENDED: "govuk-tag--orange",
    AccreditationStatus.EXPIRED: "govuk-tag--red",
    AccreditationStatus.WITHDRAWN: "govuk-tag--grey",
}
EVIDENCE_TAGS = {
    "In date": "govuk-tag--green",
    "Expires soon": "govuk-tag--yellow",
    "Expired": "govuk-tag--red",
    "Missing": "govuk-tag--grey",
}


def _organisation_or_404(request, org_id: int) -> Organisation:
    """The user's own organisation; 403 for someone with no portal role, 404 for anyone else's."""
    allowed = portal_organisation_ids(request.user)
    if not allowed:
        raise PermissionDenied("You do not have permission to do that.")
    if org_id not in allowed:
        raise Http404("Not found")
    try:
        return Organisation.objects.select_related("accreditation").get(pk=org_id)
    except Organisation.DoesNotExist:
        raise Http404("Not found") from None


@login_required
def home(request):
    organisations = list(portal_organisations(request.user))
    if not organisations:
        raise PermissionDenied("You do not have permission to do that.")
    if len(organisations) == 1:
        return redirect("providers:organisation", org_id=organisations[0].pk)
    return render(request, "providers/home.html", {"organisations": organisations})


@login_required
def organisation(request, org_id: int):
    org = _organisation_or_404(request, org_id)
    today = timezone.localdate()
    soon = today + datetime.timedelta(days=EXPIRES_SOON_DAYS)
    accreditation = getattr(org, "accreditation", None)
    standards = standards_with_evidence(org, today)
    for standard in standards:
        standard.tag_class = EVIDENCE_TAGS[standard.evidence_status]
    expiring = [s for s in standards if s.evidence_status == "Expires soon"]
    accreditation_expiring = (
        accreditation is not None and accreditation.expires_on is not None
        and accreditation.status in {AccreditationStatus.APPROVED, AccreditationStatus.SUSPENDED}
        and today <= accreditation.expires_on <= soon
    )
    return render(request, "providers/organisation.html", {
        "organisation": org,
        "accreditation": accreditation,
        "accreditation_tag": ACCREDITATION_TAGS.get(accreditation.status, "") if accreditation else "govuk-tag--grey",
        "can_apply": accreditation is None or accreditation.status in CAN_APPLY,
        "standards": standards,
        "expiring": expiring,
        "accreditation_expiring": accreditation_expiring,
        "soon_days": EXPIRES_SOON_DAYS,
        "several": len(portal_organisation_ids(request.user)) > 1,
    })


@login_required
@require_POST
def accreditation_apply(request, org_id: int):
    org = _organisation_or_404(request, org_id)
    try:
        services.accreditation_apply(organisation=org, by=request.user)
    except InvalidTransition:
        messages.error(request, "Your organisation has already applied to join the quality framework")
    else:
        messages.success(request, "You have applied to join the quality framework")
    return redirect("providers:organisation", org_id=org.pk)


@login_required
def evidence_upload(request, org_id: int, standard_id: int):
    org = _organisation_or_404(request, org_id)
    try:
        standard = standards_for(org).get(pk=standard_id)
    except QualityStandard.DoesNotExist:
        raise Http404("Not found") from None
    if request.method == "POST":
        form = EvidenceUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.evidence_upload(
                    organisation=org, standard=standard, file=form.cleaned_data["file"],
                    issued_on=form.cleaned_data["issued_on"], expires_on=form.cleaned_data["expires_on"],
                    by=request.user)
            except ValidationError as error:
                errors = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
                for field, field_messages in errors.items():
                    for message in field_messages:
                        form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(request, f"Evidence for {standard.code} uploaded")
                return redirect("providers:organisation", org_id=org.pk)
    else:
        form = EvidenceUploadForm()
    return render(request, "providers/evidence_upload.html", {"organisation": org, "standard": standard, "form": form})
