"""Reads for a person's own view of their support (/my-support/).

Everything the page shows is gathered by :func:`my_support` in a fixed number of queries, however
many plan lines, outcomes, contracts or transactions the person has. The figures come from the
apps that own them: the budget in force and any change to it from :mod:`brokerage.transitional`
and :func:`brokerage.selectors.oversight.person_oversight`, the budget's breakdown as the broker
workspace explains it, and the ISF statement from :func:`isf.selectors.statements.person_statement`.
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects
from django.http import Http404

from brokerage.checks import line_weekly_pence
from brokerage.constants import PLAN_OPEN_STATUSES, BudgetKind, DeploymentRoute, LineKind, PlanStatus, ReviewStatus
from brokerage.models import DirectPaymentReview, PersonalBudget, Person, PlanLine, PlanOutcome, SupportPlan
from brokerage.ras import UNIT_WORDS, explain_breakdown_line, format_quantity
from brokerage.selectors import budgets_for
from brokerage.selectors.oversight import PersonOversight, person_oversight
from brokerage.transitional import plan_in_force
from isf.selectors.statements import PersonStatement, person_statement
from marketplace import money
from marketplace.models import Organisation, User

__all__ = ["people_supported_by", "person_for_own_view", "my_support", "council_contact", "MySupport",
           "PlanLineView", "BudgetChange", "Contact", "ROUTE_WORDS"]

# How each way of paying for support reads to the person [H VII, K §3(6)-(8)].
ROUTE_WORDS = {
    DeploymentRoute.DIRECT_PAYMENT: "Direct payment: the council pays the money to you and you pay for this yourself",
    DeploymentRoute.THIRD_PARTY_DIRECT_PAYMENT: (
        "Direct payment managed for you: a trustee or the council receives the money and pays for this"),
    DeploymentRoute.MANAGED_BUDGET: "Arranged by the council: the council buys this for you and pays for it",
    DeploymentRoute.INDIVIDUAL_SERVICE_FUND: (
        "Individual Service Fund: the council passes the money to the provider, who holds it for you"),
}

def people_supported_by(user: User) -> QuerySet:
    """The people whose own view ``user`` may open: themselves, and anyone they represent.

    Deliberately narrower than the scope rule for people: a broker or council officer reads a
    person's record in their own workspace, never through the person's own view."""
    if not getattr(user, "is_authenticated", False):
        return Person.objects.none()
    return (Person.objects.filter(Q(user=user) | Q(representative=user))
            .select_related("broker_organisation").order_by("last_name", "first_name", "pk"))


def person_for_own_view(user: User, person_id) -> Person:
    """The person, if ``user`` is them or their representative; otherwise ``Http404``."""
    try:
        return people_supported_by(user).get(pk=person_id)
    except (Person.DoesNotExist, ValueError, TypeError):
        raise Http404("Not found") from None


@dataclass(frozen=True)
class Contact:
    name: str
    telephone: str = ""
    email: str = ""
    website: str = ""


def _contact_of(organisation: Organisation | None) -> Contact | None:
    if organisation is None:
        return None
    return Contact(name=organisation.name, telephone=organisation.telephone, email=organisation.email,
                   website=organisation.website)


def council_contact() -> Contact:
    """How to reach the council: its organisation's contact details, or just its name (from
    ``COUNCIL_NAME``) when no council organisation has been set up. One query."""
    council = Organisation.objects.filter(is_council=True).order_by("pk").first()
    return _contact_of(council) or Contact(name=settings.COUNCIL_NAME or "Your council")


@dataclass(frozen=True)
class PlanLineView:
    """One line of the plan as the person reads it."""

    what: str
    who: str
    how_much: str
    weekly_pence: int
    route_words: str
    outcomes: list[str]
    starts_on: datetime.date
    ends_on: datetime.date | None


@dataclass(frozen=True)
class BudgetChange:
    """What the person gets now and when it changes, when their budget is moving [H V]."""

    kind: str  # "protected", "tapering" or "later"
    now_pence: int | None
    from_pence: int
    to_pence: int
    next_change_on: datetime.date | None = None
    next_change_pence: int | None = None
    reaches_new_level_on: datetime.date | None = None
    review_on: datetime.date | None = None


@dataclass
class MySupport:
    person: Person
    today: datetime.date
    # The approved plan in force today, or else the approved plan that starts later; None before sign-off.
    plan: SupportPlan | None
    plan_starts_later: bool
    # A plan (or a new version of the approved one) being written or waiting for sign-off.
    plan_in_progress: SupportPlan | None
    # The agreed budget of ``plan``, or else the latest indicative budget; None before any budget.
    budget: PersonalBudget | None
    # The indicative budget the RAS worked out, whose breakdown explains the figure.
    worked_out_from: PersonalBudget | None
    breakdown: list[dict] = field(default_factory=list)
    lines: list[PlanLineView] = field(default_factory=list)
    outcomes: list[PlanOutcome] = field(default_factory=list)
    plan_weekly_pence: int = 0
    oversight: PersonOversight | None = None
    change: BudgetChange | None = None
    last_review: DirectPaymentReview | None = None
    statement: PersonStatement | None = None
    broker: Contact | None = None
    council: Contact | None = None

    @property
    def plan_waiting_for_council(self) -> bool:
        return self.plan_in_progress is not None and self.plan_in_progress.status == PlanStatus.SUBMITTED

    @property
    def budget_is_agreed(self) -> bool:
        return self.budget is not None and self.budget.kind == BudgetKind.AGREED

    @property
    def annual_pence(self) -> int | None:
        return None if self.budget is None else money.weekly_to_annual(self.budget.weekly_total_pence)

    @property
    def plan_annual_pence(self) -> int:
        return money.weekly_to_annual(self.plan_weekly_pence)

    @property
    def next_review(self) -> DirectPaymentReview | None:
        return None if self.oversight is None else self.oversight.next_review

    @property
    def has_isf(self) -> bool:
        return self.statement is not None and bool(self.statement.contracts)

    @property
    def has_direct_payments(self) -> bool:
        return self.statement is not None and self.statement.has_direct_payments


def _how_much(line: PlanLine) -> str:
    quantity = format_quantity(line.quantity_per_week)
    # The unit's value is its singular ("hour"); UNIT_WORDS gives the plural the budget pages use.
    unit = line.unit if quantity == "1" else UNIT_WORDS.get(line.unit, line.unit)
    return f"{quantity} {unit} a week"


def _line_view(line: PlanLine) -> PlanLineView:
    if line.kind == LineKind.PERSONAL_ASSISTANT:
        what = line.description or "Help from a personal assistant"
        who = f"{line.assistant_name}, your personal assistant" if line.assistant_name else "Your personal assistant"
    else:
        what, who = line.listing.title, line.listing.organisation.name
    return PlanLineView(what=what, who=who, how_much=_how_much(line), weekly_pence=line_weekly_pence(line),
                        route_words=ROUTE_WORDS.get(line.route, line.get_route_display()),
                        outcomes=[outcome.text for outcome in line.outcomes.all()],
                        starts_on=line.starts_on, ends_on=line.ends_on)


def _approved_plan(person: Person, today: datetime.date) -> tuple[SupportPlan | None, bool]:
    """The plan in force today, or else the approved plan that starts later (and whether it does)."""
    plan = plan_in_force(person, today)
    if plan is not None:
        return plan, False
    upcoming = (SupportPlan.objects.filter(person=person, status=PlanStatus.APPROVED, starts_on__gt=today)
                .select_related("agreed_budget", "budget_transition").first())
    return upcoming, upcoming is not None


def _change(oversight: PersonOversight, today: datetime.date) -> BudgetChange | None:
    """Say what the person gets now and when that changes, for a protected or stepped budget, or
    a new level that starts later; nothing when the budget is simply the agreed amount."""
    transition = oversight.transition
    if transition is None:
        return None
    common = {"now_pence": oversight.effective_weekly_pence, "from_pence": transition.from_weekly_pence,
              "to_pence": transition.to_weekly_pence}
    if oversight.protected:
        return BudgetChange(kind="protected", review_on=transition.review_on, **common)
    if oversight.tapering:
        later = [step for step in oversight.taper if step.starts_on > today]
        return BudgetChange(kind="tapering", next_change_on=later[0].starts_on if later else None,
                            next_change_pence=later[0].weekly_pence if later else None,
                            reaches_new_level_on=oversight.taper[-1].starts_on, **common)
    if transition.starts_on > today and transition.from_weekly_pence != transition.to_weekly_pence:
        return BudgetChange(kind="later", next_change_on=transition.starts_on,
                            next_change_pence=transition.to_weekly_pence, **common)
    return None


def my_support(person: Person, *, today: datetime.date) -> MySupport:
    """Everything the person's own page shows. The caller has already checked the user is the
    person or their representative (:func:`person_for_own_view`). The number of queries does not
    grow with the plan's lines and outcomes, the person's contracts or their ledger."""
    plan, starts_later = _approved_plan(person, today)
    if plan is not None:
        lines = PlanLine.objects.select_related("listing__organisation").prefetch_related("outcomes")
        prefetch_related_objects([plan], Prefetch("lines", queryset=lines), "outcomes",
                                 "indicative_budget__ras_version", "indicative_budget__assessment")
        worked_out_from = plan.indicative_budget
        budget = plan.agreed_budget or worked_out_from
    else:
        worked_out_from = budgets_for(person).filter(kind=BudgetKind.INDICATIVE).first()
        budget = worked_out_from
    oversight = person_oversight(person, today)
    plan_lines = list(plan.lines.all()) if plan is not None else []
    return MySupport(
        person=person, today=today, plan=plan, plan_starts_later=starts_later,
        plan_in_progress=SupportPlan.objects.filter(person=person, status__in=PLAN_OPEN_STATUSES).first(),
        budget=budget,
        worked_out_from=worked_out_from,
        breakdown=[explain_breakdown_line(line) for line in worked_out_from.breakdown] if worked_out_from is not None else [],
        lines=[_line_view(line) for line in plan_lines],
        outcomes=list(plan.outcomes.all()) if plan is not None else [],
        plan_weekly_pence=sum(line_weekly_pence(line) for line in plan_lines),
        oversight=oversight, change=_change(oversight, today),
        last_review=(DirectPaymentReview.objects.filter(person=person, status=ReviewStatus.COMPLETED)
                     .order_by("-completed_on", "-pk").first()),
        statement=person_statement(person),
        broker=_contact_of(person.broker_organisation),
        council=council_contact(),
    )
