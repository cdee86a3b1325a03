"""The broker workspace's support plan pages: start a plan, write its outcomes, lines and risk
assessment, watch what it costs against the budget as it is built, submit it for sign-off, start
a new version of an approved plan, and print it for the person to keep.

Views read through :mod:`brokerage.selectors.plans` (another brokerage's plan is a 404) and change
things only through :mod:`brokerage.services`; pages that change a plan are for the person's
broker and contract officers (anyone else who may see it gets 403).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone

from brokerage import services
from brokerage.checks import plan_checks, plan_costing
from brokerage.constants import (
    DIRECT_PAYMENT_ROUTES,
    PLAN_EDITABLE_STATUSES,
    PLAN_OPEN_STATUSES,
    BudgetKind,
    LineKind,
    NegotiationStatus,
    PlanStatus,
)
from brokerage.forms import add_service_errors
from brokerage.forms.plans import (
    ASSISTANT_FIELDS,
    AssistantLineForm,
    LineEditForm,
    OutcomeForm,
    PlanDetailsForm,
    PlanStartForm,
    RiskForm,
    ServiceLineForm,
)
from brokerage.models import SupportPlan
from brokerage.selectors import budgets_for
from brokerage.selectors.plans import (
    listing_for_plan,
    mark_lines,
    plan_detail as load_plan,
    plan_line_of,
    plan_outcome_of,
    plan_risk_of,
    plan_versions,
    services_to_add,
)
from brokerage.views.people import _person_or_404, _planner_person_or_404, _plans_for
from marketplace.scoping import get_visible_or_404
from providers.constants import RateUnit

PLAN_FIELDS = ("starts_on", "safeguarding_considered", "safeguarding_notes", "financial_risk", "financial_risk_notes",
               "tolerance_exception_reason", "live_in_relative_exception_reason")


def _plan_url(plan: SupportPlan, name: str = "brokerage:plan", **kwargs) -> str:
    return reverse(name, kwargs={"pk": plan.person_id, "plan_id": plan.pk, **kwargs})


def _editable_plan_or_redirect(request, pk: int, plan_id: int):
    """(person, plan) for a page that changes the plan, or a redirect to the plan page saying why
    it cannot change. 404 out of scope; 403 for someone who only reads the record."""
    person = _planner_person_or_404(request, pk)
    plan = get_visible_or_404(request.user, SupportPlan.objects.filter(person=person)
                              .select_related("indicative_budget").prefetch_related("outcomes"), pk=plan_id)
    if plan.status not in PLAN_EDITABLE_STATUSES:
        messages.error(request, services.plan_not_editable_message(plan))
        return person, plan, redirect(_plan_url(plan))
    return person, plan, None


# Where each kind of problem is put right, for the links in "What needs doing before you submit".
PROBLEM_PLACES = {
    "no_outcomes": ("brokerage:plan_outcomes", ""),
    "no_lines": ("brokerage:plan_line_find", ""),
    "risk_incomplete": ("brokerage:plan_risks", ""),
    "safeguarding": ("brokerage:plan", "#plan-details"),
    "financial_risk": ("brokerage:plan", "#plan-details"),
    "tolerance": ("brokerage:plan", "#plan-details"),
}


def _problem_rows(plan: SupportPlan, problems) -> list[dict]:
    rows = []
    for problem in problems:
        if problem.line is not None and problem.code != "live_in_relative":
            href = f"{_plan_url(plan)}#line-{problem.line.pk}"
        elif problem.code == "live_in_relative":
            href = f"{_plan_url(plan)}#plan-details"
        else:
            name, anchor = PROBLEM_PLACES.get(problem.code, ("brokerage:plan", ""))
            href = f"{_plan_url(plan, name)}{anchor}"
        rows.append({"message": problem.message, "href": href, "code": problem.code})
    return rows


def _plan_page(request, person, plan, form=None, status=200):
    """The plan page: what it costs as it is built, against the budget, what needs doing before
    it can be submitted, and its versions."""
    can_plan = _plans_for(request.user, person)
    editable = can_plan and plan.status in PLAN_EDITABLE_STATUSES
    costing = plan_costing(plan)
    problems = plan_checks(plan, costing=costing) if plan.status in PLAN_EDITABLE_STATUSES else []
    mark_lines(plan)
    lines = list(plan.lines.all())
    by_line = {}
    for problem in problems:
        if problem.line is not None:
            by_line.setdefault(problem.line.pk, []).append(problem.message)
    rows = [{"line": cost.line, "cost": cost, "problems": by_line.get(cost.line.pk, [])} for cost in costing.lines]
    direct_payments = any(line.route in DIRECT_PAYMENT_ROUTES for line in lines)
    live_in = any(line.kind == LineKind.PERSONAL_ASSISTANT and line.live_in_relative for line in lines)
    if editable and form is None:
        form = PlanDetailsForm(initial=PlanDetailsForm.initial_for(plan), direct_payments=direct_payments,
                               live_in_relative=live_in or bool(plan.live_in_relative_exception_reason))
    versions = plan_versions(plan)
    return render(request, "brokerage/plans/plan_detail.html", {
        "person": person, "plan": plan, "costing": costing, "rows": rows, "problems": _problem_rows(plan, problems),
        "can_plan": can_plan, "editable": editable, "form": form if editable else None, "versions": versions,
        "direct_payments": direct_payments, "difference_abs": abs(costing.difference_pence),
        "can_revise": can_plan and plan.status == PlanStatus.APPROVED
        and not any(version.status in PLAN_OPEN_STATUSES for version in versions),
    }, status=status)


# A person's plans -------------------------------------------------------------------------------


@login_required
def plan_start(request, pk: int):
    person = _planner_person_or_404(request, pk)
    budget = budgets_for(person).filter(kind=BudgetKind.INDICATIVE).first()
    form = PlanStartForm(request.POST or None, initial={"starts_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_start(person=person, by=request.user, starts_on=form.cleaned_data["starts_on"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Support plan version {plan.version} started")
            return redirect(_plan_url(plan))
    return render(request, "brokerage/plans/plan_start.html", {"person": person, "form": form, "budget": budget})


@login_required
def plan_detail(request, pk: int, plan_id: int):
    """The plan as it is built. A POST saves the plan's own fields (safeguarding, financial risk,
    exception reasons, start date)."""
    person = _person_or_404(request, pk)
    plan = load_plan(request.user, plan_id, person=person)
    if request.method != "POST":
        return _plan_page(request, person, plan)
    if not _plans_for(request.user, person):
        raise PermissionDenied("You do not have permission to do that.")
    if plan.status not in PLAN_EDITABLE_STATUSES:
        messages.error(request, services.plan_not_editable_message(plan))
        return redirect(_plan_url(plan))
    lines = list(plan.lines.all())
    form = PlanDetailsForm(
        request.POST, direct_payments=any(line.route in DIRECT_PAYMENT_ROUTES for line in lines),
        live_in_relative=any(line.live_in_relative for line in lines) or bool(plan.live_in_relative_exception_reason))
    if form.is_valid():
        fields = {name: form.cleaned_data[name] for name in PLAN_FIELDS if name in form.fields}
        try:
            services.plan_update(plan=plan, by=request.user, **fields)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Plan saved")
            return redirect(_plan_url(plan))
    return _plan_page(request, person, plan, form=form)


@login_required
def plan_print(request, pk: int, plan_id: int):
    """The plan on one plain page, for the person to print or save as a PDF."""
    person = _person_or_404(request, pk)
    plan = load_plan(request.user, plan_id, person=person)
    mark_lines(plan)
    return render(request, "brokerage/plans/plan_print.html", {
        "person": person, "plan": plan, "costing": plan_costing(plan), "printed_on": timezone.localdate()})


@login_required
def plan_revise(request, pk: int, plan_id: int):
    person = _planner_person_or_404(request, pk)
    plan = get_visible_or_404(request.user, SupportPlan.objects.filter(person=person), pk=plan_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        draft = services.plan_revise(plan=plan, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(_plan_url(plan))
    messages.success(request, f"Version {draft.version} started from version {plan.version}")
    return redirect(_plan_url(draft))


@login_required
def plan_submit(request, pk: int, plan_id: int):
    """GET: what sign-off checks, and a button to send it when nothing is missing. POST: send it."""
    person = _planner_person_or_404(request, pk)
    plan = load_plan(request.user, plan_id, person=person)
    errors = []
    if request.method == "POST":
        try:
            services.plan_submit(plan=plan, by=request.user)
        except ValidationError as error:
            if plan.status not in PLAN_EDITABLE_STATUSES:
                messages.error(request, " ".join(error.messages))
                return redirect(_plan_url(plan))
            errors = error.messages
        else:
            messages.success(request, "Plan sent to the council for sign-off")
            return redirect(_plan_url(plan))
    elif plan.status not in PLAN_EDITABLE_STATUSES:
        messages.error(request, services.ALREADY_SUBMITTED if plan.status == PlanStatus.SUBMITTED
                       else services.plan_not_editable_message(plan))
        return redirect(_plan_url(plan))
    costing = plan_costing(plan)
    problems = plan_checks(plan, costing=costing)
    return render(request, "brokerage/plans/plan_submit.html", {
        "person": person, "plan": plan, "costing": costing, "problems": _problem_rows(plan, problems),
        "errors": errors})


# Outcomes and risks -----------------------------------------------------------------------------


def _plan_items_page(request, pk: int, plan_id: int, *, items: str, form_class, add, done: str, url_name: str,
                     template: str):
    """A page listing the plan's outcomes or risks (``items``) with a form that adds one through ``add``."""
    person, plan, refused = _editable_plan_or_redirect(request, pk, plan_id)
    if refused:
        return refused
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            add(plan=plan, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, done)
            return redirect(_plan_url(plan, url_name))
    return render(request, template, {
        "person": person, "plan": plan, "form": form, items: list(getattr(plan, items).all())})


def _plan_item_remove(request, pk: int, plan_id: int, item_id: int, *, item: str, item_of, remove, done: str,
                      url_name: str):
    """Take one outcome or risk (``item``) off the plan through ``remove``, then back to its page."""
    person, plan, refused = _editable_plan_or_redirect(request, pk, plan_id)
    if refused:
        return refused
    found = item_of(request.user, plan, item_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        remove(**{item: found}, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect(_plan_url(plan, url_name))


@login_required
def plan_outcomes(request, pk: int, plan_id: int):
    return _plan_items_page(request, pk, plan_id, items="outcomes", form_class=OutcomeForm,
                            add=services.plan_outcome_add, done="Outcome added", url_name="brokerage:plan_outcomes",
                            template="brokerage/plans/plan_outcomes.html")


@login_required
def plan_outcome_remove(request, pk: int, plan_id: int, outcome_id: int):
    return _plan_item_remove(request, pk, plan_id, outcome_id, item="outcome", item_of=plan_outcome_of,
                             remove=services.plan_outcome_remove, done="Outcome removed",
                             url_name="brokerage:plan_outcomes")


@login_required
def plan_risks(request, pk: int, plan_id: int):
    return _plan_items_page(request, pk, plan_id, items="risks", form_class=RiskForm,
                            add=services.plan_risk_add, done="Risk added", url_name="brokerage:plan_risks",
                            template="brokerage/plans/plan_risks.html")


@login_required
def plan_risk_remove(request, pk: int, plan_id: int, risk_id: int):
    return _plan_item_remove(request, pk, plan_id, risk_id, item="risk", item_of=plan_risk_of,
                             remove=services.plan_risk_remove, done="Risk removed", url_name="brokerage:plan_risks")


# Lines ------------------------------------------------------------------------------------------


@login_required
def plan_line_find(request, pk: int, plan_id: int):
    """Search the published services of approved providers (the public directory's search), each
    result with a link to add it to the plan."""
    person, plan, refused = _editable_plan_or_redirect(request, pk, plan_id)
    if refused:
        return refused
    filterset, page = services_to_add(request.GET, request.GET.get("page"))
    form = filterset.form
    form.fields["category"].empty_label = "Any type of support"
    return render(request, "brokerage/plans/line_find.html", {
        "person": person, "plan": plan, "form": form, "page": page, "valid": filterset.valid,
        "searched": any(request.GET.get(name) for name in ("q", "category", "postcode")),
        "add_url": _plan_url(plan, "brokerage:plan_line_new")})


def _units(cards: dict) -> list[tuple[str, str]]:
    return [(unit, RateUnit(unit).label) for unit in sorted(cards)]


@login_required
def plan_line_new(request, pk: int, plan_id: int):
    """Add a service (``?listing=<id>``) to the plan: which price, route, how much, outcomes, dates."""
    person, plan, refused = _editable_plan_or_redirect(request, pk, plan_id)
    if refused:
        return refused
    listing = listing_for_plan(request.GET.get("listing") or request.POST.get("listing"))
    if listing is None:
        raise Http404("No such service")
    unavailable = services.listing_unavailable_reason(listing)
    cards = services.current_rate_cards(listing) if not unavailable else {}
    outcomes = list(plan.outcomes.all())
    form = ServiceLineForm(request.POST or None, outcomes=outcomes, units=_units(cards),
                           initial={"starts_on": plan.starts_on, "outcomes": [str(o.pk) for o in outcomes][:1]})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.plan_line_add_service(
                plan=plan, by=request.user, listing=listing, route=data["route"],
                quantity_per_week=data["quantity_per_week"], outcomes=[int(pk) for pk in data["outcomes"]],
                starts_on=data["starts_on"], ends_on=data.get("ends_on"), unit=data.get("unit"))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{listing.title} added to the plan")
            return redirect(_plan_url(plan))
    from providers.pricing import mark_rates

    return render(request, "brokerage/plans/line_new.html", {
        "person": person, "plan": plan, "listing": listing, "form": form, "unavailable": unavailable,
        "rates": mark_rates(cards.values()), "has_outcomes": bool(outcomes)})


@login_required
def plan_line_assistant(request, pk: int, plan_id: int):
    """Add a personal assistant the person employs with a direct payment."""
    person, plan, refused = _editable_plan_or_redirect(request, pk, plan_id)
    if refused:
        return refused
    outcomes = list(plan.outcomes.all())
    form = AssistantLineForm(request.POST or None, outcomes=outcomes,
                             initial={"starts_on": plan.starts_on, "route": "direct_payment"})
    if request.method == "POST" and form.is_valid():
        try:
            line = services.plan_line_add_assistant(plan=plan, by=request.user, **form.service_fields())
        except ValidationError as error:
            add_service_errors(form, error, ASSISTANT_FIELDS)
        else:
            messages.success(request, f"Personal assistant {line.assistant_name} added to the plan")
            return redirect(_plan_url(plan))
    return render(request, "brokerage/plans/line_assistant.html", {"person": person, "plan": plan, "form": form})


@login_required
def plan_line_edit(request, pk: int, plan_id: int, line_id: int):
    person, plan, refused = _editable_plan_or_redirect(request, pk, plan_id)
    if refused:
        return refused
    line = plan_line_of(request.user, plan, line_id)
    assistant = line.kind == LineKind.PERSONAL_ASSISTANT
    outcomes = list(plan.outcomes.all())
    form = LineEditForm(request.POST or None, outcomes=outcomes, assistant=assistant,
                        initial=LineEditForm.initial_for(line))
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_line_update(line=line, by=request.user, **form.service_fields())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Line changed")
            return redirect(f"{_plan_url(plan)}#line-{line.pk}")
    return render(request, "brokerage/plans/line_edit.html", {
        "person": person, "plan": plan, "line": line, "form": form, "assistant": assistant})


@login_required
def plan_line_remove(request, pk: int, plan_id: int, line_id: int):
    """GET asks to confirm; POST takes the line off (withdrawing any open negotiation)."""
    person, plan, refused = _editable_plan_or_redirect(request, pk, plan_id)
    if refused:
        return refused
    line = plan_line_of(request.user, plan, line_id)
    if request.method == "POST":
        try:
            services.plan_line_remove(line=line, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Line removed from the plan")
        return redirect(_plan_url(plan))
    open_negotiation = next((n for n in line.negotiations.all() if n.status == NegotiationStatus.OPEN), None)
    return render(request, "brokerage/plans/line_remove.html", {
        "person": person, "plan": plan, "line": line, "open_negotiation": open_negotiation})


PLAN = "<int:pk>/plans/<int:plan_id>/"
urlpatterns = [
    path("<int:pk>/plans/new/", plan_start, name="plan_start"),
    path(PLAN, plan_detail, name="plan"),
    path(f"{PLAN}print/", plan_print, name="plan_print"),
    path(f"{PLAN}submit/", plan_submit, name="plan_submit"),
    path(f"{PLAN}revise/", plan_revise, name="plan_revise"),
    path(f"{PLAN}outcomes/", plan_outcomes, name="plan_outcomes"),
    path(f"{PLAN}outcomes/<int:outcome_id>/remove/", plan_outcome_remove, name="plan_outcome_remove"),
    path(f"{PLAN}risks/", plan_risks, name="plan_risks"),
    path(f"{PLAN}risks/<int:risk_id>/remove/", plan_risk_remove, name="plan_risk_remove"),
    path(f"{PLAN}lines/find/", plan_line_find, name="plan_line_find"),
    path(f"{PLAN}lines/new/", plan_line_new, name="plan_line_new"),
    path(f"{PLAN}lines/assistant/", plan_line_assistant, name="plan_line_assistant"),
    path(f"{PLAN}lines/<int:line_id>/edit/", plan_line_edit, name="plan_line_edit"),
    path(f"{PLAN}lines/<int:line_id>/remove/", plan_line_remove, name="plan_line_remove"),
]
