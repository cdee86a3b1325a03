"""Forms for the provider portal, shaped for the GOV.UK Design System."""

from decimal import Decimal

from django import forms

from marketplace import money
from marketplace.constants import ClientGroup
from marketplace.forms import GovukDateField, PoundsField
from providers.constants import AreaKind, CapacityUnit, CostLineKind, DeliveryMode, RateUnit
from providers.models import Area, Language, ServiceCategory
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


# Your services -----------------------------------------------------------------------------------


class AreaChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, area):
        if area.kind == AreaKind.DISTRICT:
            return f"{area.code} ({area.name})" if area.name and area.name != area.code else area.code
        return f"{area.name} ward"


class ListingForm(forms.Form):
    category = forms.ModelChoiceField(
        label="Category", queryset=ServiceCategory.objects.order_by("name"), empty_label="Choose a category",
        error_messages={"required": "Select a category", "invalid_choice": "Select a category"})
    title = forms.CharField(
        label="Name of the service", max_length=200,
        error_messages={"required": "Enter the name of the service",
                        "max_length": "The name of the service must be 200 characters or fewer"})
    description = forms.CharField(
        label="Description", widget=forms.Textarea(attrs={"rows": 5}), max_length=5000,
        help_text="What the service does and who it helps, in plain English.",
        error_messages={"required": "Enter a description of the service",
                        "max_length": "The description must be 5,000 characters or fewer"})
    delivery_mode = forms.ChoiceField(
        label="How is the service delivered?", choices=DeliveryMode.choices, widget=forms.RadioSelect,
        error_messages={"required": "Select how the service is delivered",
                        "invalid_choice": "Select how the service is delivered"})
    client_groups = forms.MultipleChoiceField(
        label="Who is the service for?", choices=ClientGroup.choices, widget=forms.CheckboxSelectMultiple,
        help_text="Select all that apply.",
        error_messages={"required": "Select who the service is for",
                        "invalid_choice": "Select who the service is for"})
    areas = AreaChoiceField(
        label="Areas covered", queryset=Area.objects.order_by("kind", "name", "code"), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Postcode districts and wards. You need at least one before you can publish the service.",
        error_messages={"invalid_choice": "Select areas from the list",
                        "invalid_pk_value": "Select areas from the list"})
    languages = forms.ModelMultipleChoiceField(
        label="Languages the service is offered in", queryset=Language.objects.order_by("name"), required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Select languages from the list",
                        "invalid_pk_value": "Select languages from the list"})
    specialisms = forms.CharField(
        label="Specialisms", required=False, widget=forms.Textarea(attrs={"rows": 4}), max_length=2000,
        help_text="Conditions or needs the service specialises in. Put each one on its own line.",
        error_messages={"max_length": "Specialisms must be 2,000 characters or fewer"})
    capacity_unit = forms.ChoiceField(
        label="How do you count capacity?", choices=CapacityUnit.choices, widget=forms.RadioSelect,
        initial=CapacityUnit.HOURS,
        error_messages={"required": "Select whether capacity is counted in hours or places",
                        "invalid_choice": "Select whether capacity is counted in hours or places"})
    capacity_available = forms.IntegerField(
        label="Capacity available now", required=False, min_value=0, max_value=100000,
        help_text="Hours a week or places you can take on now. Leave empty if you do not want to say.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
        error_messages={"invalid": "Capacity available must be a whole number",
                        "min_value": "Capacity available must be 0 or more",
                        "max_value": "Capacity available must be 100,000 or fewer"})

    def clean_specialisms(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["specialisms"].splitlines() if line.strip()]

    @staticmethod
    def initial_for(listing) -> dict:
        return {
            "category": listing.category_id, "title": listing.title, "description": listing.description,
            "delivery_mode": listing.delivery_mode,
            "client_groups": [row.client_group for row in listing.client_group_rows.all()],
            "areas": [area.pk for area in listing.areas.all()],
            "languages": [language.pk for language in listing.languages.all()],
            "specialisms": "\n".join(listing.specialisms), "capacity_unit": listing.capacity_unit,
            "capacity_available": listing.capacity_available,
        }


class RateCardForm(forms.Form):
    prefix = "rate"

    unit = forms.ChoiceField(
        label="Charged", choices=[("", "Choose a unit"), *RateUnit.choices],
        error_messages={"required": "Select what the rate is charged per",
                        "invalid_choice": "Select what the rate is charged per"})
    contract_rate = PoundsField(
        label="Contract rate, in pounds", what="contract rate",
        help_text="For council-arranged services and Individual Service Funds, for example 18.50",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "spellcheck": "false",
                                      "class": "govuk-input--width-10"}))
    direct_payment_rate = PoundsField(
        label="Direct payment rate, in pounds", what="direct payment rate",
        help_text="For people paying with a direct payment; the same as or lower than the contract rate",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "spellcheck": "false",
                                      "class": "govuk-input--width-10"}))
    minimum_quantity = forms.DecimalField(
        label="Minimum quantity", required=False, min_value=0, max_digits=7, decimal_places=2,
        help_text="The fewest units a person can buy, for example 1 hour. Leave empty for no minimum.",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "spellcheck": "false",
                                      "class": "govuk-input--width-5"}),
        error_messages={"invalid": "The minimum quantity must be a number, like 1.5",
                        "min_value": "The minimum quantity must be 0 or more",
                        "max_digits": "The minimum quantity must be less than 100,000",
                        "max_whole_digits": "The minimum quantity must be less than 100,000",
                        "max_decimal_places": "The minimum quantity can have up to 2 decimal places"})
    effective_from = GovukDateField(
        name="the date the rate starts", label="When does the rate start?",
        help_text="Today or a later date, for example 1 4 2027",
        error_messages={"required": "Enter the date the rate starts"})

    def clean(self):
        cleaned = super().clean()
        contract, direct = cleaned.get("contract_rate"), cleaned.get("direct_payment_rate")
        if contract is not None and direct is not None and direct > contract:
            self.add_error("direct_payment_rate",
                           "The direct payment rate must be the same as or lower than the contract rate")
        return cleaned


class CapacityForm(forms.Form):
    prefix = "capacity"

    capacity_available = forms.IntegerField(
        label="Capacity available now", min_value=0, max_value=100000,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false",
                                      "class": "govuk-input--width-5"}),
        error_messages={"required": "Enter the capacity you have available now",
                        "invalid": "Capacity available must be a whole number",
                        "min_value": "Capacity available must be 0 or more",
                        "max_value": "Capacity available must be 100,000 or fewer"})


class ReasonForm(forms.Form):
    """A reason for withdrawing a specialist claim."""

    prefix = "withdraw"

    reason = forms.CharField(
        label="Why are you withdrawing the claim?", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
        error_messages={"required": "Enter why you are withdrawing the claim",
                        "max_length": "The reason must be 2,000 characters or fewer"})


class SpecialistClaimForm(forms.Form):
    justification = forms.CharField(
        label="Why is this service specialist?", widget=forms.Textarea(attrs={"rows": 6}), max_length=10000,
        help_text="Say what the people you support need that usual services do not provide, and what it costs you.",
        error_messages={"required": "Enter why this service is specialist",
                        "max_length": "The justification must be 10,000 characters or fewer"})
    unit = forms.ChoiceField(
        label="Which rate does the breakdown justify?",
        error_messages={"required": "Select the rate the breakdown is for",
                        "invalid_choice": "Select the rate the breakdown is for"})

    def __init__(self, *args, rates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [
            (card.unit, f"{money.format_pence(card.contract_rate_pence)} {card.get_unit_display()}") for card in rates]
        self.fields["unit"].widget = forms.RadioSelect(choices=self.fields["unit"].choices)
        if len(rates) == 1:
            self.fields["unit"].initial = rates[0].unit


class CostLineForm(forms.Form):
    """One row of a cost-of-care breakdown; a row left empty is ignored."""

    # Required only in a row that has anything in it: an untouched row of a formset is skipped.
    kind = forms.ChoiceField(
        label="Cost", choices=[("", "Choose a cost"), *CostLineKind.choices],
        error_messages={"required": "Select what the cost is for", "invalid_choice": "Select what the cost is for"})
    description = forms.CharField(
        label="Description or grade", max_length=200,
        error_messages={"required": "Enter a description, or the grade for staff time",
                        "max_length": "The description must be 200 characters or fewer"})
    hours = forms.DecimalField(
        label="Hours per unit", required=False, min_value=Decimal("0.01"), max_digits=7, decimal_places=2,
        help_text="Staff time only",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "spellcheck": "false", "class": "govuk-input--width-5"}),
        error_messages={"invalid": "Enter the hours as a number, like 1.5",
                        "min_value": "The hours must be more than 0",
                        "max_digits": "The hours must be less than 100,000",
                        "max_whole_digits": "The hours must be less than 100,000",
                        "max_decimal_places": "The hours can have up to 2 decimal places"})
    hourly_pay = PoundsField(
        label="Hourly pay, in pounds", what="hourly pay", required=False, help_text="Staff time only",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "spellcheck": "false", "class": "govuk-input--width-5"}))
    amount = PoundsField(
        label="Amount per unit, in pounds", what="amount", required=False, allow_zero=True,
        help_text="Other costs only",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "spellcheck": "false", "class": "govuk-input--width-5"}))

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if not kind:
            return cleaned
        if kind == CostLineKind.STAFF:
            if cleaned.get("hours") is None and "hours" not in self.errors:
                self.add_error("hours", "Enter the hours of staff time per unit")
            if cleaned.get("hourly_pay") is None and "hourly_pay" not in self.errors:
                self.add_error("hourly_pay", "Enter the hourly pay")
        elif cleaned.get("amount") is None and "amount" not in self.errors:
            self.add_error("amount", "Enter the amount per unit")
        return cleaned

    def as_line(self) -> dict:
        data = self.cleaned_data
        line = {"kind": data["kind"], "description": data["description"]}
        if data["kind"] == CostLineKind.STAFF:
            line |= {"hours": data["hours"], "hourly_pay_pence": data["hourly_pay"]}
        else:
            line["amount_pence"] = data["amount"]
        return line


COST_LINE_ROWS = 6
CostLineFormSet = forms.formset_factory(CostLineForm, extra=COST_LINE_ROWS, max_num=30, absolute_max=30)
