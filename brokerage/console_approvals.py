"""Council console views for signing off support plans: the queue of plans waiting for a
decision, the review page where an officer approves, returns or rejects one, and officers'
approval limits. Contract officers only (the council's system administrator, a superuser, also
sees and sets the limits). Every change goes through :mod:`brokerage.services.approval`."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.views.generic import TemplateView
from wagtail.admin.menu import MenuItem

from brokerage import checks, services
from brokerage.console import ContractOfficerMenuItem, ContractOfficerRequired
from brokerage.constants import MAX_TAPER_WEEKS, DbsCheck, DeploymentRoute, LineKind, PlanStatus, TransitionKind
from brokerage.forms import add_service_errors
from brokerage.selectors import approval as selectors
from marketplace.console import ConsolePage
from marketplace.constants import Role
from marketplace.forms import PoundsField
from marketplace.money import format_pence
from marketplace.permissions import has_role
from marketplace.transitions import InvalidTransition

QUEUE_PAGE_SIZE = 50


def _may_see_limits(user) -> bool:
    return has_role(user, Role.CONTRACT_OFFICER) or (user.is_active and user.is_superuser)


# Forms ------------------------------------------------------------------------------------------
# They only read what was typed; the rules (and their messages) are the service's, so every
# problem with a decision shows at once.

class QueueFilterForm(forms.Form):
    team = forms.TypedChoiceField(label="Broker team", required=False, coerce=int, empty_value=None,
                                  error_messages={"invalid_choice": "Choose a broker team from the list"})
    route = forms.ChoiceField(label="Route", required=False,
                              choices=[("", "Any route"), *DeploymentRoute.choices],
                              error_messages={"invalid_choice": "Choose a route from the list"})
    min_weekly = PoundsField(what="lowest weekly cost", allow_zero=True, required=False,
                             label="Costs at least (a week)", help_text="In pounds, for example 250")
    max_weekly = PoundsField(what="highest weekly cost", allow_zero=True, required=False,
                             label="Costs at most (a week)", help_text="In pounds, for example 600")
    within_my_limit = forms.BooleanField(label="Only plans within my approval limit", required=False)

    def __init__(self, *args, teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", "Any team"), *((team.pk, team.name) for team in teams)]

    def clean(self):
        data = super().clean()
        low, high = data.get("min_weekly"), data.get("max_weekly")
        if low is not None and high is not None and low > high:
            self.add_error("max_weekly", "The highest weekly cost must be the same as or more than the lowest")
        return data


class ApproveForm(forms.Form):
    reason = forms.CharField(
        label="Your reasons for approving", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Why the plan does not put the council at unreasonable risk or in breach of its duties. "
                  "Recorded as your decision.")
    exception_tolerance = forms.CharField(
        label="Why you agree an exception to the tolerance", required=False, max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}))
    exception_live_in_relative = forms.CharField(
        label="Why you agree an exception to pay a relative who lives with the person", required=False,
        max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    acknowledged_line_ids = forms.TypedMultipleChoiceField(
        label="Specialist prices you accept", required=False, coerce=int, widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose from the specialist lines shown"})
    transition_kind = forms.ChoiceField(
        label="How should the lower budget come in?", required=False, widget=forms.RadioSelect,
        choices=TransitionKind.choices, error_messages={"invalid_choice": "Choose how the lower budget comes in"})
    transition_weeks = forms.IntegerField(
        label="Transitional: weeks to step down over", required=False, min_value=1, max_value=104,
        help_text=f"At most {MAX_TAPER_WEEKS} weeks unless you record an exception.",
        error_messages={"invalid": "Enter the weeks as a whole number, like 8",
                        "min_value": "Enter 1 week or more", "max_value": "Enter 104 weeks or fewer"})
    transition_review_on = forms.DateField(
        label="Protected: when it will be reviewed", required=False, widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the review date as a real date, like 2026-09-30"})
    transition_reason = forms.CharField(
        label="Why (protected or transitional)", required=False, max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}))
    transition_exception_reason = forms.CharField(
        label=f"Why a taper longer than {MAX_TAPER_WEEKS} weeks", required=False, max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, specialist_lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["acknowledged_line_ids"].choices = [
            (line.pk, f"{checks.line_label(line)} at {format_pence(line.agreed_price_pence)} "
                      f"{line.get_unit_display()}") for line in specialist_lines]

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "reason": data["reason"],
            "exceptions": {code: data[f"exception_{code}"] for code in services.EXCEPTION_CODES
                           if data.get(f"exception_{code}", "").strip()},
            "acknowledged_line_ids": data["acknowledged_line_ids"],
            "transition": {"kind": data["transition_kind"], "weeks": data["transition_weeks"] or 0,
                           "review_on": data["transition_review_on"], "reason": data["transition_reason"],
                           "exception_reason": data["transition_exception_reason"]},
        }


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Your reasons", required=False, max_length=5000,
                             widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, label=None, help_text=None, **kwargs):
        super().__init__(*args, **kwargs)
        if label:
            self.fields["reason"].label = label
        if help_text:
            self.fields["reason"].help_text = help_text


class ApprovalLimitForm(forms.Form):
    officer = forms.TypedChoiceField(label="Contract officer", coerce=int,
                                     error_messages={"required": "Choose a contract officer",
                                                     "invalid_choice": "Choose a contract officer from the list"})
    weekly_limit = PoundsField(what="weekly limit", allow_zero=True, label="May approve plans costing up to (a week)",
                               help_text="In pounds, for example 750. Enter 0 to stop them approving plans.")
    reason = forms.CharField(label="Why", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="Recorded in the audit log.")

    def __init__(self, *args, officers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.officers = {officer.pk: officer for officer in officers}
        self.fields["officer"].choices = [("", "Choose an officer"), *(
            (officer.pk, f"{officer.get_full_name() or officer.username} ({officer.email})") for officer in officers)]


# The queue --------------------------------------------------------------------------------------

def _route_labels(plan) -> list[str]:
    used = {line.route for line in plan.route_lines}
    return [label for value, label in DeploymentRoute.choices if value in used]


class ApprovalQueueView(ContractOfficerRequired, ConsolePage, TemplateView):
    page_title = "Plans waiting for sign-off"
    header_icon = "tasks"
    template_name = "brokerage/console/approval_queue.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        form = QueueFilterForm(self.request.GET or None, teams=selectors.queue_teams(user))
        filters = {}
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            filters = {"team": data["team"], "route": data["route"] or None, "min_weekly_pence": data["min_weekly"],
                       "max_weekly_pence": data["max_weekly"], "within_my_limit": data["within_my_limit"]}
        limit = selectors.officer_limit_pence(user)
        page = Paginator(selectors.approval_queue(user, **filters), QUEUE_PAGE_SIZE).get_page(
            self.request.GET.get("page"))
        today = timezone.localdate()
        rows = [{
            "plan": plan,
            "age_days": (today - timezone.localdate(plan.submitted_at)).days if plan.submitted_at else None,
            "routes": _route_labels(plan),
            "above_my_limit": limit is None or plan.weekly_pence > limit,
        } for plan in page.object_list]
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(form=form, rows=rows, page=page, my_limit=limit, filtered=bool(filters),
                       query=query.urlencode())
        return context


# The review page --------------------------------------------------------------------------------

def _line_tags(cost: checks.LineCost, specialist_ids: set[int]) -> list[str]:
    line, tags = cost.line, []
    if line.kind == LineKind.PERSONAL_ASSISTANT:
        tags.append("Personal assistant")
        if line.live_in_relative:
            tags.append("Live-in relative")
        if line.dbs_check != DbsCheck.NOT_REQUESTED:
            tags.append(f"DBS check: {line.get_dbs_check_display().lower()}")
    if line.listing_id and line.listing.is_specialist:
        tags.append("Specialist")
    if cost.above_reference:
        tags.append("Above the usual cost")
    if cost.at_direct_payment_rate:
        tags.append("At the direct-payment rate")
    negotiation = checks.latest_negotiation(line)
    if negotiation is not None:
        tags.append(f"Negotiation {negotiation.get_status_display().lower()}")
    if line.pk in specialist_ids and line.specialist_acknowledged_at:
        tags.append("Specialist price acknowledged")
    if line.package_response_id:
        tags.append("From a care package request")
    return tags


class ApprovalReviewView(ContractOfficerRequired, ConsolePage, TemplateView):
    header_icon = "tasks"
    template_name = "brokerage/console/approval_review.html"

    def get_page_title(self):
        return f"{self.plan} ({self.plan.person.reference})"

    def dispatch(self, request, *args, plan_id, **kwargs):
        if has_role(request.user, Role.CONTRACT_OFFICER):
            self.plan = selectors.plan_for_review(request.user, plan_id)
        return super().dispatch(request, *args, **kwargs)

    @property
    def waiting(self) -> bool:
        return self.plan.status == PlanStatus.SUBMITTED

    def get_context_data(self, approve_form=None, return_form=None, reject_form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        plan, user = self.plan, self.request.user
        requirements = services.approval_requirements(plan, officer=user)
        costing = requirements.costing
        specialist_ids = {line.pk for line in requirements.specialist_lines} | {
            cost.line.pk for cost in costing.lines if cost.line.specialist_acknowledged_at}
        history = selectors.person_history(plan)
        context.update(
            plan=plan, person=plan.person, waiting=self.waiting, requirements=requirements, costing=costing,
            difference_abs=abs(costing.difference_pence),
            lines=[{"cost": cost, "label": checks.line_label(cost.line), "tags": _line_tags(cost, specialist_ids),
                    "outcomes": list(cost.line.outcomes.all())} for cost in costing.lines],
            outcomes=list(plan.outcomes.all()), risks=list(plan.risks.all()),
            history=history, audit_events=selectors.plan_audit_history(plan),
            limit_message=None if requirements.within_limit else services.approval_limit_message(requirements),
            officers_who_can=list(selectors.officers_who_can_approve(requirements.weekly_pence)[:10]),
            exceptions_granted=plan.exceptions_granted or [],
        )
        if self.waiting:
            context.update(
                approve_form=approve_form or ApproveForm(prefix="approve",
                                                         specialist_lines=requirements.specialist_lines),
                return_form=return_form or self._reason_form("return"),
                reject_form=reject_form or self._reason_form("reject"),
            )
        return context

    @staticmethod
    def _reason_form(action, data=None):
        if action == "return":
            return ReasonForm(data, prefix="return", label="What the broker needs to change",
                              help_text="The broker sees this. They change the plan and submit it again.")
        return ReasonForm(data, prefix="reject", label="Why the plan is rejected",
                          help_text="The broker sees this. A new plan must be started.")

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        if action not in ("approve", "return", "reject"):
            messages.error(request, "Choose to approve, return or reject the plan")
            return redirect(request.path)
        if not self.waiting:
            messages.error(request, f"This plan is “{self.plan.get_status_display().lower()}”: only a plan "
                                    f"waiting for sign-off can be decided.")
            return redirect(request.path)
        if action == "approve":
            requirements = services.approval_requirements(self.plan, officer=request.user)
            form = ApproveForm(request.POST, prefix="approve", specialist_lines=requirements.specialist_lines)
        else:
            form = self._reason_form(action, request.POST)
        if form.is_valid():
            try:
                if action == "approve":
                    services.plan_approve(plan=self.plan, by=request.user, **form.service_arguments())
                elif action == "return":
                    services.plan_return(plan=self.plan, by=request.user, reason=form.cleaned_data["reason"])
                else:
                    services.plan_reject(plan=self.plan, by=request.user, reason=form.cleaned_data["reason"])
            except ValidationError as error:
                add_service_errors(form, error)
            except (InvalidTransition, PermissionDenied) as problem:
                form.add_error(None, str(problem) or "You do not have permission to do that.")
            else:
                done = {"approve": "Approved", "return": "Returned to the broker", "reject": "Rejected"}[action]
                messages.success(request, f"{done}: {self.plan}")
                return redirect(reverse("approval_review", args=[self.plan.pk]))
        word = {"approve": "approved", "return": "returned", "reject": "rejected"}[action]
        messages.error(request, f"The plan was not {word}. Correct the errors below.")
        self.plan = selectors.plan_for_review(request.user, self.plan.pk)
        return self.render_to_response(self.get_context_data(**{f"{action}_form": form}), status=400)


# Approval limits --------------------------------------------------------------------------------

class ApprovalLimitsView(ConsolePage, TemplateView):
    page_title = "Approval limits"
    header_icon = "lock"
    template_name = "brokerage/console/approval_limits.html"

    def dispatch(self, request, *args, **kwargs):
        if not _may_see_limits(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @property
    def can_set(self) -> bool:
        return self.request.user.is_superuser

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        limits = list(selectors.approval_limits(self.request.user))
        context.update(limits=limits, can_set=self.can_set)
        if self.can_set:
            officers = list(selectors.contract_officers())
            with_limit = {row.officer_id for row in limits}
            context.update(form=form or ApprovalLimitForm(officers=officers),
                           without_limit=[officer for officer in officers if officer.pk not in with_limit])
        return context

    def post(self, request, *args, **kwargs):
        if not self.can_set:
            raise PermissionDenied
        form = ApprovalLimitForm(request.POST, officers=list(selectors.contract_officers()))
        if form.is_valid():
            officer = form.officers[form.cleaned_data["officer"]]
            try:
                services.approval_limit_set(officer=officer, weekly_limit_pence=form.cleaned_data["weekly_limit"],
                                            by=request.user, reason=form.cleaned_data["reason"])
            except ValidationError as error:
                add_service_errors(form, error, rename={"weekly_limit_pence": "weekly_limit"})
            else:
                messages.success(request, f"{officer.get_full_name() or officer.username} may now approve plans "
                                          f"costing up to {format_pence(form.cleaned_data['weekly_limit'])} a week")
                return redirect(reverse("approval_limits"))
        messages.error(request, "The limit was not set. Correct the errors below.")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class LimitsMenuItem(MenuItem):
    """Shown to contract officers and the system administrator."""

    def is_shown(self, request):
        return _may_see_limits(request.user)


urlpatterns = [
    path("plans/", ApprovalQueueView.as_view(), name="approval_queue"),
    path("plans/<int:plan_id>/", ApprovalReviewView.as_view(), name="approval_review"),
    path("approval-limits/", ApprovalLimitsView.as_view(), name="approval_limits"),
]


def queue_menu_item():
    return ContractOfficerMenuItem("Plans to sign off", reverse("approval_queue"), icon_name="tasks", order=191)


def limits_menu_item():
    return LimitsMenuItem("Approval limits", reverse("approval_limits"), icon_name="lock", order=192)


menu_items = [queue_menu_item, limits_menu_item]
