"""Forms for building a support plan, shaped for the GOV.UK Design System. They read and tidy
what was typed; the rules (who may change a plan, what a line may be, what sign-off needs) are in
:mod:`brokerage.services.plans` and :mod:`brokerage.checks`."""

from decimal import Decimal

from django import forms

from brokerage.constants import DIRECT_PAYMENT_ROUTES, DbsCheck, DeploymentRoute, FinancialRisk, NeedDomain
from brokerage.ras import format_quantity
from marketplace.forms import GovukDateField, PoundsField

DECIMAL = {"inputmode": "decimal", "spellcheck": "false"}
YES_NO = [("yes", "Yes"), ("no", "No")]

# Service error keys a form calls by another name (the form takes pounds, the service pence).
ASSISTANT_FIELDS = {"price_pence": "price"}


def _quantity_field(what: str = "quantity a week", **kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        max_digits=7, decimal_places=2, min_value=Decimal("0.01"), widget=forms.TextInput(attrs=DECIMAL),
        error_messages={"required": f"Enter the {what}",
                        "invalid": f"Enter the {what} as a number, like 7.5",
                        "min_value": f"The {what} must be more than 0",
                        "max_decimal_places": f"The {what} can have up to 2 decimal places",
                        "max_digits": f"The {what} must be less than 100,000",
                        "max_whole_digits": f"The {what} must be less than 100,000"},
        **kwargs)


def _outcomes_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label="Which outcomes does it help the person reach?", required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Select all that apply. Every line must serve at least one outcome before the plan is sent.",
        error_messages={"invalid_choice": "Choose outcomes from this plan"})


def _route_field(choices) -> forms.ChoiceField:
    return forms.ChoiceField(
        label="How is it paid for?", choices=choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose how the money for this line is paid",
                        "invalid_choice": "Choose how the money for this line is paid"})


def _date(name: str, label: str, *, required: bool = True, **kwargs) -> GovukDateField:
    return GovukDateField(name=name, label=label, required=required, help_text="For example, 27 3 2026",
                          error_messages={"required": f"Enter {name}"}, **kwargs)


ASSISTANT_ROUTES = [(value, label) for value, label in DeploymentRoute.choices if value in DIRECT_PAYMENT_ROUTES]


class PlanStartForm(forms.Form):
    starts_on = _date("the date the plan starts", "When should the plan start, once it is approved?")


class PlanDetailsForm(forms.Form):
    """The plan's own fields. Fields that do not apply are left out (financial risk without direct
    payments, the live-in relative reason without a live-in relative), and then keep what they
    had."""

    starts_on = _date("the date the plan starts", "When the plan starts, once it is approved")
    safeguarding_considered = forms.BooleanField(
        label="Safeguarding has been considered with the person", required=False,
        help_text="Any risk of abuse or neglect, and what will be done about it.")
    safeguarding_notes = forms.CharField(
        label="Safeguarding notes", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "Safeguarding notes must be 5,000 characters or fewer"})
    financial_risk = forms.ChoiceField(
        label="Financial risk of the direct payment", required=False, widget=forms.RadioSelect,
        choices=FinancialRisk.choices,
        help_text="It sets how often the council reviews the direct payment: the first review within 6 months.",
        error_messages={"invalid_choice": "Choose low, medium or high financial risk"})
    financial_risk_notes = forms.CharField(
        label="Why this level of financial risk", required=False, max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "The notes must be 5,000 characters or fewer"})
    tolerance_exception_reason = forms.CharField(
        label="Why the plan costs more or less than the budget allows", required=False, max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only needed when the weekly cost is outside the tolerance. The council decides.",
        error_messages={"max_length": "The reason must be 5,000 characters or fewer"})
    live_in_relative_exception_reason = forms.CharField(
        label="Why a direct payment should pay a relative who lives with the person", required=False,
        max_length=5000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="A direct payment cannot usually pay a relative in the same household. The council decides.",
        error_messages={"max_length": "The reason must be 5,000 characters or fewer"})

    def __init__(self, *args, direct_payments: bool = True, live_in_relative: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not direct_payments:
            del self.fields["financial_risk"], self.fields["financial_risk_notes"]
        if not live_in_relative:
            del self.fields["live_in_relative_exception_reason"]

    @staticmethod
    def initial_for(plan) -> dict:
        return {"starts_on": plan.starts_on, "safeguarding_considered": plan.safeguarding_considered,
                "safeguarding_notes": plan.safeguarding_notes, "financial_risk": plan.financial_risk,
                "financial_risk_notes": plan.financial_risk_notes,
                "tolerance_exception_reason": plan.tolerance_exception_reason,
                "live_in_relative_exception_reason": plan.live_in_relative_exception_reason}


class OutcomeForm(forms.Form):
    text = forms.CharField(
        label="What does the person want to achieve?", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="In their own words, for example “I want to get to my allotment twice a week”.",
        error_messages={"required": "Enter the outcome, in the person’s own words",
                        "max_length": "The outcome must be 2,000 characters or fewer"})
    domain = forms.ChoiceField(
        label="Which area of need does it meet?", required=False, choices=[("", "Choose an area"),
                                                                           *NeedDomain.choices],
        error_messages={"invalid_choice": "Choose an area of daily life from the list"})


class RiskForm(forms.Form):
    risk = forms.CharField(
        label="What is the risk?", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter the risk", "max_length": "The risk must be 2,000 characters or fewer"})
    who_is_affected = forms.CharField(
        label="Who does it affect?", max_length=200, help_text="For example, the person, their carer",
        error_messages={"required": "Enter who the risk affects",
                        "max_length": "Who the risk affects must be 200 characters or fewer"})
    mitigation = forms.CharField(
        label="How will it be reduced?", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="You can add this later, but every risk needs it before the plan is sent.",
        error_messages={"max_length": "How it will be reduced must be 2,000 characters or fewer"})


class _LineForm(forms.Form):
    """What every line has: quantity, route, outcomes and dates."""

    def __init__(self, *args, outcomes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcomes"].choices = [(str(outcome.pk), outcome.text) for outcome in outcomes]

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", "The end date must be the same as or after the start date")
        return data


class ServiceLineForm(_LineForm):
    unit = forms.ChoiceField(
        label="Which price?", widget=forms.RadioSelect,
        error_messages={"required": "Choose which of the service’s prices the line uses",
                        "invalid_choice": "Choose which of the service’s prices the line uses"})
    route = _route_field(DeploymentRoute.choices)
    quantity_per_week = _quantity_field(label="How much a week?",
                                        help_text="In the unit of the price, for example 7.5 hours")
    outcomes = _outcomes_field()
    starts_on = _date("the date the support starts", "When does it start?")
    ends_on = _date("the date the support ends", "When does it end?", required=False)

    def __init__(self, *args, units=(), **kwargs):
        """``units``: (unit, label) for each current price; the choice is asked only when there are
        several."""
        super().__init__(*args, **kwargs)
        if len(units) > 1:
            self.fields["unit"].choices = list(units)
        else:
            del self.fields["unit"]


class AssistantLineForm(_LineForm):
    assistant_name = forms.CharField(
        label="Personal assistant’s name", max_length=200,
        error_messages={"required": "Enter the personal assistant’s name",
                        "max_length": "The name must be 200 characters or fewer"})
    description = forms.CharField(
        label="What will they do?", required=False, max_length=200,
        error_messages={"max_length": "What they do must be 200 characters or fewer"})
    route = _route_field(ASSISTANT_ROUTES)
    quantity_per_week = _quantity_field("hours a week", label="Hours a week")
    price = PoundsField(what="hourly rate", label="Hourly rate", help_text="In pounds, for example 14.50")
    live_in_relative = forms.ChoiceField(
        label="Is the assistant a relative who lives in the same household?", choices=YES_NO,
        widget=forms.RadioSelect,
        help_text="A direct payment cannot usually pay a relative who lives with the person.",
        error_messages={"required": "Say whether the assistant is a relative who lives with the person"})
    dbs_check = forms.ChoiceField(
        label="DBS (criminal records) check", choices=DbsCheck.choices, widget=forms.RadioSelect,
        initial=DbsCheck.NOT_REQUESTED, help_text="The person can ask the council for a DBS check.",
        error_messages={"required": "Choose whether a DBS check has been asked for"})
    outcomes = _outcomes_field()
    starts_on = _date("the date the support starts", "When does it start?")
    ends_on = _date("the date the support ends", "When does it end?", required=False)

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {"assistant_name": data["assistant_name"], "description": data["description"],
                "quantity_per_week": data["quantity_per_week"], "price_pence": data["price"],
                "route": data["route"], "live_in_relative": data["live_in_relative"] == "yes",
                "dbs_check": data["dbs_check"], "outcomes": [int(pk) for pk in data["outcomes"]],
                "starts_on": data["starts_on"], "ends_on": data.get("ends_on")}


class LineEditForm(_LineForm):
    """Changing a line: quantity, route, outcomes and dates; for a personal assistant also whether
    they are a live-in relative and the DBS check."""

    route = _route_field(DeploymentRoute.choices)
    quantity_per_week = _quantity_field(label="How much a week?")
    outcomes = _outcomes_field()
    starts_on = _date("the date the support starts", "When does it start?")
    ends_on = _date("the date the support ends", "When does it end?", required=False)
    live_in_relative = forms.ChoiceField(
        label="Is the assistant a relative who lives in the same household?", choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the assistant is a relative who lives with the person"})
    dbs_check = forms.ChoiceField(
        label="DBS (criminal records) check", choices=DbsCheck.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose whether a DBS check has been asked for"})

    def __init__(self, *args, assistant: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if assistant:
            self.fields["route"].choices = ASSISTANT_ROUTES
        else:
            del self.fields["live_in_relative"], self.fields["dbs_check"]

    @staticmethod
    def initial_for(line) -> dict:
        return {"route": line.route, "quantity_per_week": format_quantity(line.quantity_per_week),
                "outcomes": [str(outcome.pk) for outcome in line.outcomes.all()], "starts_on": line.starts_on,
                "ends_on": line.ends_on, "live_in_relative": "yes" if line.live_in_relative else "no",
                "dbs_check": line.dbs_check}

    def service_fields(self) -> dict:
        data = self.cleaned_data
        fields = {"route": data["route"], "quantity_per_week": data["quantity_per_week"],
                  "outcomes": [int(pk) for pk in data["outcomes"]], "starts_on": data["starts_on"],
                  "ends_on": data.get("ends_on")}
        if "live_in_relative" in self.fields:
            fields.update(live_in_relative=data["live_in_relative"] == "yes", dbs_check=data["dbs_check"])
        return fields
