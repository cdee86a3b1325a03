"""Forms for care package requests: the broker's request, the choice of an offer and a
withdrawal; the provider's offer and decline. They read and tidy what was typed; the rules live
in :mod:`brokerage.services.package_requests`."""

import re

from django import forms

from brokerage.constants import DeploymentRoute, TimeOfDay
from brokerage.services.package_requests import REQUEST_UNITS
from marketplace.forms import GovukDateField, PoundsField
from providers.constants import AreaKind
from providers.models import Area, Language, ServiceCategory

DECIMAL = {"inputmode": "decimal", "spellcheck": "false"}
UNIT_CHOICES = {"hour": "Hours", "session": "Sessions", "day": "Days", "night": "Nights",
                "week": "Whole weeks (a full-time place)"}


class PackageRequestForm(forms.Form):
    category = forms.ModelChoiceField(
        label="What type of support?", queryset=ServiceCategory.objects.order_by("name"),
        empty_label="Choose a type of support",
        error_messages={"required": "Select the type of support",
                        "invalid_choice": "Select the type of support from the list"})
    unit = forms.ChoiceField(
        label="Counted in", widget=forms.RadioSelect,
        choices=[(unit.value, UNIT_CHOICES[unit.value]) for unit in REQUEST_UNITS],
        error_messages={"required": "Select how the support is counted",
                        "invalid_choice": "Select hours, sessions, days, nights or weeks"})
    quantity_per_week = forms.DecimalField(
        label="How many a week?", max_digits=7, decimal_places=2, widget=forms.TextInput(attrs=DECIMAL),
        help_text="For example, 10 hours or 3 sessions. You can use a decimal, like 7.5",
        error_messages={"required": "Enter how much is needed a week",
                        "invalid": "Enter how much is needed a week as a number, like 7.5",
                        "max_decimal_places": "How much a week can have up to 2 decimal places",
                        "max_digits": "Enter how much is needed a week as a number under 100,000",
                        "max_whole_digits": "Enter how much is needed a week as a number under 100,000"})
    times_of_day = forms.MultipleChoiceField(
        label="What times of day?", choices=TimeOfDay.choices, widget=forms.CheckboxSelectMultiple,
        help_text="Select all that apply.",
        error_messages={"required": "Select at least one time of day",
                        "invalid_choice": "Select times of day from the list"})
    starts_on = GovukDateField(
        name="the start date", label="When should the support start?", help_text="For example, 27 3 2026",
        error_messages={"required": "Enter the date the support should start"})
    district = forms.CharField(
        label="Postcode district", max_length=8, widget=forms.TextInput(attrs={"spellcheck": "false",
                                                                               "autocomplete": "off"}),
        help_text="The first half of the postcode only, like E8. Never the full postcode.",
        error_messages={"required": "Enter the postcode district, like E8",
                        "max_length": "Enter the postcode district only, like E8"})
    route = forms.ChoiceField(
        label="How will the budget pay for it?", widget=forms.RadioSelect, choices=DeploymentRoute.choices,
        initial=DeploymentRoute.MANAGED_BUDGET,
        error_messages={"required": "Select how the budget will pay for it",
                        "invalid_choice": "Select how the budget will pay for it"})
    languages = forms.ModelMultipleChoiceField(
        label="Languages the support must be given in", queryset=Language.objects.order_by("name"),
        required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Only services offered in every language you select are asked.",
        error_messages={"invalid_choice": "Select languages from the list",
                        "invalid_pk_value": "Select languages from the list"})
    specialisms = forms.CharField(
        label="Specialisms needed", required=False, max_length=1000,
        help_text="Separate them with commas, like dementia, autism. Only services with every one are asked.",
        error_messages={"max_length": "Specialisms must be 1,000 characters or fewer"})
    needs_summary = forms.CharField(
        label="What is the support for?", max_length=5000, widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Do not include their name, address or anything that identifies them. Providers read this.",
        error_messages={"required": "Enter what the support is for",
                        "max_length": "The summary of needs must be 5,000 characters or fewer"})
    deadline = GovukDateField(
        name="the deadline", label="When must providers answer by?", required=False,
        help_text="Leave blank for the council’s usual time. It must be before the start date. For example, 20 3 2026")

    def clean_district(self):
        code = re.sub(r"\s+", " ", self.cleaned_data["district"].strip().upper())
        if " " in code or (len(code) > 4 and re.search(r"[0-9][A-Z]{2}$", code)):
            raise forms.ValidationError("Enter the postcode district only, like E8, not the full postcode")
        if not Area.objects.filter(kind=AreaKind.DISTRICT, code=code).exists():
            raise forms.ValidationError("Enter a postcode district the council covers, like E8")
        return code

    def clean_specialisms(self):
        return [part.strip() for part in self.cleaned_data["specialisms"].split(",") if part.strip()]

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {"category": data["category"], "unit": data["unit"], "quantity_per_week": data["quantity_per_week"],
                "times_of_day": data["times_of_day"], "starts_on": data["starts_on"], "district": data["district"],
                "route": data["route"], "languages": list(data["languages"]), "specialisms": data["specialisms"],
                "needs_summary": data["needs_summary"], "deadline": data.get("deadline")}


class ChooseOfferForm(forms.Form):
    """One per offer on the request's page (prefixed with the offer's id)."""

    person_preference = forms.CharField(
        label="What does the person prefer?", max_length=5000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="In their words. This is recorded beside the choice.",
        error_messages={"required": "Enter what the person prefers, in their words",
                        "max_length": "The person’s preference must be 5,000 characters or fewer"})
    reason = forms.CharField(
        label="Why this offer", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": "The reason must be 5,000 characters or fewer"})


class WithdrawRequestForm(forms.Form):
    reason = forms.CharField(
        label="Why are you withdrawing the request?", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The providers are told it is not going ahead; they do not see this reason.",
        error_messages={"required": "Enter why the request is being withdrawn",
                        "max_length": "The reason must be 2,000 characters or fewer"})


class OfferForm(forms.Form):
    price = PoundsField(
        what="price per unit", label="Your price per unit",
        help_text="In pounds, for one unit of what is asked (one hour, one session…). For example, 24.50")
    earliest_start = GovukDateField(
        name="the earliest start", label="The earliest date you could start", help_text="For example, 27 3 2026",
        error_messages={"required": "Enter the earliest date you could start"})
    note = forms.CharField(
        label="Anything the broker should know", required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "The note must be 2,000 characters or fewer"})


class DeclineForm(forms.Form):
    note = forms.CharField(
        label="Why you cannot take it on", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="This helps the council see where more support is needed.",
        error_messages={"max_length": "The note must be 2,000 characters or fewer"})


# Service error keys a form calls by another name (the form takes pounds, the service pence).
OFFER_FIELDS = {"price_pence": "price"}
