"""Reads for building support plans: a person's plans, one plan with everything its page shows,
and the services a broker may add to one. Each read is a fixed number of queries however many
plans, lines or results there are; who may see a plan is the scope rule in
:mod:`brokerage.selectors`."""

from django.db.models import Prefetch

from brokerage.checks import latest_negotiation, line_weekly_pence
from brokerage.constants import PlanStatus
from brokerage.models import Negotiation, Person, PlanLine, PlanOutcome, PlanRisk, SupportPlan
from brokerage.selectors import with_plan_details
from marketplace.models import User
from marketplace.scoping import get_visible_or_404
from providers.constants import ListingStatus
from providers.models import ServiceListing

# The colour of each plan status's GOV.UK tag.
PLAN_TAGS = {
    PlanStatus.DRAFT: "govuk-tag--grey",
    PlanStatus.SUBMITTED: "govuk-tag--blue",
    PlanStatus.APPROVED: "govuk-tag--green",
    PlanStatus.RETURNED: "govuk-tag--orange",
    PlanStatus.REJECTED: "govuk-tag--red",
    PlanStatus.SUPERSEDED: "govuk-tag--grey",
    PlanStatus.ENDED: "govuk-tag--grey",
}

NEGOTIATION_TAGS = {
    "open": "govuk-tag--yellow",
    "agreed": "govuk-tag--green",
    "declined": "govuk-tag--red",
    "withdrawn": "govuk-tag--grey",
    "expired": "govuk-tag--grey",
}


def plans_for(person: Person) -> list[SupportPlan]:
    """A person's plans, newest version first, each with ``weekly_pence`` (what its lines cost a
    week) and ``tag_class``. Two queries however many plans and lines."""
    lines = PlanLine.objects.only("id", "plan", "agreed_price_pence", "quantity_per_week").order_by()
    plans = list(SupportPlan.objects.filter(person=person).select_related("indicative_budget")
                 .prefetch_related(Prefetch("lines", queryset=lines)).order_by("-version"))
    for plan in plans:
        plan.weekly_pence = sum(line_weekly_pence(line) for line in plan.lines.all())
        plan.tag_class = PLAN_TAGS.get(plan.status, "")
    return plans


def plan_detail(user: User, pk: int, *, person: Person | None = None) -> SupportPlan:
    """One plan ``user`` may see, loaded for :func:`brokerage.checks.plan_costing` and
    :func:`brokerage.checks.plan_checks` (see :func:`brokerage.selectors.with_plan_details`).
    Raises ``Http404`` for a plan out of scope, or not of ``person`` when given."""
    queryset = SupportPlan.objects.all() if person is None else SupportPlan.objects.filter(person=person)
    plan = get_visible_or_404(user, with_plan_details(queryset), pk=pk)
    plan.tag_class = PLAN_TAGS.get(plan.status, "")
    return plan


def plan_versions(plan: SupportPlan) -> list[SupportPlan]:
    """Every version of the person's plans, newest first, each with ``tag_class``: one query."""
    versions = list(SupportPlan.objects.filter(person_id=plan.person_id)
                    .only("id", "person", "version", "status", "created_at", "submitted_at", "decided_at")
                    .order_by("-version"))
    for version in versions:
        version.tag_class = PLAN_TAGS.get(version.status, "")
    return versions


def mark_lines(plan: SupportPlan) -> None:
    """Give each of the plan's (prefetched) lines ``negotiation`` (the latest, or None) and
    ``negotiation_tag``, for the page's tags; adds no queries."""
    for line in plan.lines.all():
        line.negotiation = latest_negotiation(line)
        line.negotiation_tag = NEGOTIATION_TAGS.get(line.negotiation.status, "") if line.negotiation else ""


def plan_line_of(user: User, plan: SupportPlan, line_id: int) -> PlanLine:
    """One line of ``plan`` with its service, rate card, outcomes and negotiations (newest first).
    Raises ``Http404`` for another plan's line or one out of scope."""
    queryset = (PlanLine.objects.filter(plan=plan).select_related("listing__organisation", "listing__category",
                                                                  "rate_card")
                .prefetch_related("outcomes", Prefetch("negotiations",
                                                       queryset=Negotiation.objects.order_by("-opened_at", "-pk"))))
    return get_visible_or_404(user, queryset, pk=line_id)


def plan_outcome_of(user: User, plan: SupportPlan, outcome_id: int) -> PlanOutcome:
    return get_visible_or_404(user, PlanOutcome.objects.filter(plan=plan), pk=outcome_id)


def plan_risk_of(user: User, plan: SupportPlan, risk_id: int) -> PlanRisk:
    return get_visible_or_404(user, PlanRisk.objects.filter(plan=plan), pk=risk_id)


def listing_for_plan(listing_id) -> ServiceListing | None:
    """A service a broker asked to add to a plan, whatever its state, with its organisation's
    accreditation, so the reason it cannot be added can be given; None when there is no such
    service or it is a draft (never public, so as good as unknown)."""
    try:
        pk = int(listing_id)
    except (TypeError, ValueError):
        return None
    return (ServiceListing.objects.exclude(status=ListingStatus.DRAFT)
            .select_related("organisation__accreditation", "category").filter(pk=pk).first())


def services_to_add(data, page_number, *, per_page: int = 20):
    """The public directory's search (text, type of support, postcode district…) bound to
    ``data``: returns the filterset (``valid`` says whether it may be shown) and, when valid, the
    page of results, each with ``rates`` marked against the reference rates."""
    from providers.selectors import directory_results_page, directory_search

    filterset = directory_search(data)
    page = directory_results_page(filterset.qs, page_number, per_page) if filterset.valid else None
    return filterset, page

