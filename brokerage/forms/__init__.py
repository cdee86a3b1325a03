"""Forms for the broker workspace and the council's RAS pages, shaped for the GOV.UK Design System.

They only read and tidy what was typed; the rules (who may act, what a complete assessment is,
how a budget is worked out) live in ``brokerage.services``.
"""

from decimal import Decimal

from django import forms

from brokerage.constants import REABLEMENT_WEEKS, ClientGroup, NeedDomain, NeedLevel, ServiceSetting, ServiceTerm
from marketplace.forms import GovukDateField
from providers.constants import RateUnit
from marketplace.forms import PoundsField
from providers.models import ServiceCategory

NUMERIC = {"inputmode": "numeric", "spellcheck": "false"}
DECIMAL = {"inputmode": "decimal", "spellcheck": "false"}


def add_service_errors(form: forms.Form, error, rename: dict | None = None) -> None:
    """Show a service's ``ValidationError`` on the form: on the field it names, else at the top."""
    rename = rename or {}
    errors = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
    for field, field_messages in errors.items():
        field = rename.get(field, field)
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)


# Broker workspace --------------------------------------------------------------------------------


class AssessmentStartForm(forms.Form):
    assessed_on = GovukDateField(
        name="the date of the assessment", label="When was the person assessed?",
        help_text="For example, 27 3 2026",
        error_messages={"required": "Enter the date of the assessment"})
    summary = forms.CharField(
        label="What matters to the person", required=False, max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="In their own words, if you can.",
        error_messages={"max_length": "What matters to the person must be 5,000 characters or fewer"})


def notes_name(domain: str) -> str:
    return f"{domain}_notes"


class AssessmentScoreForm(forms.Form):
    """One radios group per domain of daily life, each with an optional note.

    A domain may be left unanswered while the assessment is a draft; completing it needs them all
    (the service says which are missing)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for domain in NeedDomain:
            self.fields[domain.value] = forms.TypedChoiceField(
                label=domain.label, choices=NeedLevel.choices, coerce=int, required=False,
                widget=forms.RadioSelect, empty_value=None,
                error_messages={"invalid_choice": f"Select how much help is needed with {domain.label.lower()}"})
            self.fields[notes_name(domain.value)] = forms.CharField(
                label=f"Notes on {domain.label.lower()}", required=False, max_length=5000,
                widget=forms.Textarea(attrs={"rows": 3}),
                error_messages={"max_length": "Notes must be 5,000 characters or fewer"})

    def domains(self):
        """(radios field, notes field) for each domain, in the order the template shows them."""
        return [(self[domain.value], self[notes_name(domain.value)]) for domain in NeedDomain]

    def scores(self) -> dict[str, int]:
        return {domain.value: self.cleaned_data[domain.value] for domain in NeedDomain
                if self.cleaned_data.get(domain.value) is not None}

    def notes(self) -> dict[str, str]:
        """Notes for the domains answered (an empty box clears a note), and any typed for a domain
        left unanswered, which the service refuses."""
        notes = {}
        for domain in NeedDomain:
            text = self.cleaned_data.get(notes_name(domain.value), "").strip()
            if text or self.cleaned_data.get(domain.value) is not None:
                notes[domain.value] = text
        return notes

    @staticmethod
    def initial_for(assessment) -> dict:
        initial = {}
        for score in assessment.scores.all():
            initial[score.domain] = score.level
            initial[notes_name(score.domain)] = score.notes
        return initial


class BudgetForm(forms.Form):
    method = forms.ChoiceField(
        label="Which way should the budget be worked out?", widget=forms.RadioSelect,
        error_messages={"required": "Select how the budget should be worked out",
                        "invalid_choice": "Select how the budget should be worked out"})
    weekly_contribution = PoundsField(
        what="person’s contribution a week", allow_zero=True, label="The person’s contribution a week",
        help_text="In pounds, from their financial assessment. Enter 0 if they pay nothing. For example, 35.50",
        error_messages={"required": "Enter the person’s contribution a week, or 0 if they pay nothing"})
    contribution_basis = forms.CharField(
        label="Where the contribution comes from", required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example, the financial assessment of 2 March 2026.",
        error_messages={"max_length": "Where the contribution comes from must be 2,000 characters or fewer"})

    def __init__(self, *args, versions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = [
            (version.method, f"{version.get_method_display()} (version {version.number}: {version.name})")
            for version in versions
        ]


# Service error keys the budget form calls by another name (the form takes pounds, the service pence).
BUDGET_FIELDS = {"weekly_contribution_pence": "weekly_contribution"}


class ReablementStartForm(forms.Form):
    starts_on = GovukDateField(
        name="the start date", label="When does reablement start?", help_text="For example, 27 3 2026",
        error_messages={"required": "Enter the date reablement starts"})
    weeks = forms.IntegerField(
        label="How many weeks?", initial=REABLEMENT_WEEKS, min_value=1, max_value=52,
        help_text=f"Reablement is free for {REABLEMENT_WEEKS} weeks. More needs the council's agreement.",
        widget=forms.TextInput(attrs=NUMERIC),
        error_messages={"required": "Enter how many weeks reablement lasts",
                        "invalid": "The number of weeks must be a whole number, like 6",
                        "min_value": "Reablement must last at least 1 week",
                        "max_value": "Reablement must last 52 weeks or fewer"})
    longer_reason = forms.CharField(
        label=f"Why the council agreed more than {REABLEMENT_WEEKS} weeks", required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"Only needed for more than {REABLEMENT_WEEKS} weeks.",
        error_messages={"max_length": "The reason must be 2,000 characters or fewer"})


class ReablementEndForm(forms.Form):
    ended_on = GovukDateField(
        name="the end date", label="When did reablement end?", help_text="For example, 27 3 2026",
        error_messages={"required": "Enter the date reablement ended"})


class ArrangedServiceForm(forms.Form):
    description = forms.CharField(
        label="What is the service?", max_length=200, help_text="For example, home care under the block contract, "
        "7 hours a week", error_messages={"required": "Enter what the service is",
                                           "max_length": "The description must be 200 characters or fewer"})
    setting = forms.ChoiceField(
        label="Where is it delivered?", choices=ServiceSetting.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose where the service is delivered",
                        "invalid_choice": "Choose where the service is delivered"})
    term = forms.ChoiceField(
        label="How long does it last?", choices=ServiceTerm.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose whether the service is ongoing or short-term",
                        "invalid_choice": "Choose whether the service is ongoing or short-term"})
    starts_on = GovukDateField(
        name="the start date", label="When does it start?", help_text="For example, 27 3 2026",
        error_messages={"required": "Enter the date the service starts"})
    ends_on = GovukDateField(
        name="the end date", label="When does it end? (optional)", required=False,
        help_text="Leave empty while it goes on. For example, 27 3 2027")


class ArrangedServiceEndForm(forms.Form):
    ends_on = GovukDateField(
        name="the end date", label="What was the last day of the service?", help_text="For example, 27 3 2026",
        error_messages={"required": "Enter the date the service ended"})


# Council console: the Resource Allocation System -------------------------------------------------


class RasVersionCreateForm(forms.Form):
    name = forms.CharField(
        label="Name", max_length=200, help_text="For example, 2026 uplift",
        error_messages={"required": "Enter a name for the version",
                        "max_length": "The name must be 200 characters or fewer"})
    notes = forms.CharField(
        label="Why this version is being made", required=False, widget=forms.Textarea(attrs={"rows": 3}))


def points_name(domain: str, level: int) -> str:
    return f"points_{domain}_{level}"


def factor_name(group: str) -> str:
    return f"factor_{group}"


class RasPointsForm(forms.Form):
    """The points grid of a points-based version: points for each domain × level, what a point is
    worth a week, and the factor for each client group."""

    pence_per_point = PoundsField(
        what="value of one point", label="What one point is worth a week, in pounds",
        help_text="For example, 1.25")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for domain in NeedDomain:
            for level in NeedLevel:
                self.fields[points_name(domain.value, level.value)] = forms.IntegerField(
                    label=f"Points for {domain.label.lower()}: {level.label.lower()}", min_value=0,
                    max_value=100000, widget=forms.TextInput(attrs=NUMERIC),
                    error_messages={
                        "required": f"Enter the points for {domain.label.lower()} ({level.label.lower()})",
                        "invalid": f"Points for {domain.label.lower()} ({level.label.lower()}) must be a whole number",
                        "min_value": f"Points for {domain.label.lower()} ({level.label.lower()}) must be 0 or more",
                        "max_value": f"Points for {domain.label.lower()} ({level.label.lower()}) must be "
                                     "100,000 or fewer"})
        for group in ClientGroup:
            self.fields[factor_name(group.value)] = forms.DecimalField(
                label=f"Factor for {group.label.lower()}", max_digits=5, decimal_places=3,
                min_value=Decimal("0.001"), widget=forms.TextInput(attrs=DECIMAL),
                help_text="For example, 1.000",
                error_messages={
                    "required": f"Enter the factor for {group.label.lower()}",
                    "invalid": f"The factor for {group.label.lower()} must be a number, like 1.000",
                    "min_value": f"The factor for {group.label.lower()} must be more than 0",
                    "max_digits": f"The factor for {group.label.lower()} must be less than 100",
                    "max_decimal_places": f"The factor for {group.label.lower()} can have up to 3 decimal places",
                    "max_whole_digits": f"The factor for {group.label.lower()} must be less than 100"})

    def grid(self):
        """Rows of (domain label, [bound fields by level]) for the table."""
        return [(domain.label, [self[points_name(domain.value, level.value)] for level in NeedLevel])
                for domain in NeedDomain]

    def factor_fields(self):
        return [self[factor_name(group.value)] for group in ClientGroup]

    def points(self) -> dict[tuple[str, int], int]:
        return {(domain.value, level.value): self.cleaned_data[points_name(domain.value, level.value)]
                for domain in NeedDomain for level in NeedLevel}

    def factors(self) -> dict[str, Decimal]:
        return {group.value: self.cleaned_data[factor_name(group.value)] for group in ClientGroup}

    @staticmethod
    def initial_for(version) -> dict:
        initial = {points_name(row.domain, row.level): row.points for row in version.points.all()}
        initial.update({factor_name(row.client_group): row.factor for row in version.factors.all()})
        if version.pence_per_point is not None:
            initial["pence_per_point"] = f"{Decimal(version.pence_per_point) / 100:.2f}"
        return initial


class TypicalServiceRowForm(forms.Form):
    """One row of a cost-based version's table; a row left wholly empty is ignored."""

    domain = forms.ChoiceField(label="Need", choices=[("", "Choose a need"), *NeedDomain.choices], required=False)
    level = forms.TypedChoiceField(label="Level", choices=[("", "Choose a level"), *NeedLevel.choices],
                                   coerce=int, empty_value=None, required=False)
    category = forms.ModelChoiceField(label="Service category", queryset=ServiceCategory.objects.order_by("name"),
                                      empty_label="Choose a category", required=False)
    unit = forms.ChoiceField(label="Unit", choices=[("", "Choose a unit"), *RateUnit.choices], required=False)
    quantity_per_week = forms.DecimalField(
        label="Quantity a week", max_digits=7, decimal_places=2, min_value=Decimal("0.01"), required=False,
        widget=forms.TextInput(attrs=DECIMAL),
        error_messages={"invalid": "Enter the quantity a week as a number, like 7.5",
                        "min_value": "The quantity a week must be more than 0",
                        "max_decimal_places": "The quantity a week can have up to 2 decimal places",
                        "max_digits": "The quantity a week must be less than 100,000",
                        "max_whole_digits": "The quantity a week must be less than 100,000"})

    FIELDS = ("domain", "level", "category", "unit", "quantity_per_week")
    MISSING = {"domain": "Select the need", "level": "Select the level of need",
               "category": "Select the service category", "unit": "Select the unit",
               "quantity_per_week": "Enter the quantity a week"}

    def clean(self):
        data = super().clean()
        filled = [name for name in self.FIELDS if data.get(name) not in (None, "") or name in self.errors]
        if filled:
            for name in self.FIELDS:
                if name not in filled:
                    self.add_error(name, self.MISSING[name])
        return data

    def is_blank(self) -> bool:
        return not self.errors and all(self.cleaned_data.get(name) in (None, "") for name in self.FIELDS)


class BaseTypicalServiceFormSet(forms.BaseFormSet):
    def rows(self) -> list[dict]:
        return [{name: form.cleaned_data[name] for name in TypicalServiceRowForm.FIELDS}
                for form in self.forms if form.cleaned_data and not form.is_blank()]


# Ten blank rows at the end, so rows can be added without JavaScript.
TypicalServiceFormSet = forms.formset_factory(TypicalServiceRowForm, formset=BaseTypicalServiceFormSet, extra=10,
                                              max_num=500, validate_max=True)


def typical_initial(version) -> list[dict]:
    return [{"domain": row.domain, "level": row.level, "category": row.category_id, "unit": row.unit,
             "quantity_per_week": row.quantity_per_week} for row in version.typical_services.all()]


class ActivateForm(forms.Form):
    reason = forms.CharField(
        label="Why is this version being put in use?", widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Recorded in the audit log.",
        error_messages={"required": "Enter why this version is being put in use"})

