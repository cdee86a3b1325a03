"""Reads for direct-payment oversight and transitional arrangements, scoped to who asks."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from brokerage.constants import DIRECT_PAYMENT_ROUTES, PlanStatus, ReviewStatus, TransitionKind
from brokerage.models import BudgetTransition, DirectPaymentReview, Person, PlanLine
from brokerage.transitional import effective_weekly_budget, taper_schedule
from marketplace.models import User
from marketplace.scoping import visible_to

__all__ = ["REVIEW_NOTICE_DAYS", "reviews_due", "review_with_details", "reviews_for_person", "transitions_for_person",
           "person_oversight", "PersonOversight", "TaperStep"]

# Reviews due within this many days are listed with the overdue ones (the console and the daily email).
REVIEW_NOTICE_DAYS = 14


def reviews_due(user: User, *, today: datetime.date, within_days: int | None = REVIEW_NOTICE_DAYS) -> QuerySet:
    """The direct-payment reviews still to do that ``user`` may see, soonest (most overdue) first,
    with the person and their broker team: those overdue or due within ``within_days`` days, or
    every one scheduled when ``within_days`` is None."""
    queryset = (DirectPaymentReview.objects.filter(status=ReviewStatus.DUE)
                .select_related("person__broker_organisation", "plan").order_by("due_on", "pk"))
    if within_days is not None:
        queryset = queryset.filter(due_on__lte=today + datetime.timedelta(days=within_days))
    return visible_to(user, queryset)


def review_with_details(user: User) -> QuerySet:
    """Reviews ``user`` may see, each with what its page shows: the person and broker team, the
    plan's direct-payment lines (personal assistants with live-in relative and DBS status, services
    with their provider) and who completed it."""
    lines = (PlanLine.objects.filter(route__in=DIRECT_PAYMENT_ROUTES)
             .select_related("listing__organisation").order_by("position", "pk"))
    return visible_to(user, DirectPaymentReview.objects
                      .select_related("person__broker_organisation", "plan", "completed_by")
                      .prefetch_related(Prefetch("plan__lines", queryset=lines, to_attr="direct_payment_lines")))


def reviews_for_person(person: Person) -> QuerySet:
    """A person's direct-payment reviews, latest due first, with who completed each."""
    return (DirectPaymentReview.objects.filter(person=person).select_related("completed_by", "plan")
            .order_by("-due_on", "-pk"))


def transitions_for_person(person: Person) -> QuerySet:
    """A person's budget transitions, latest first, with the plan and the officer who decided."""
    return (BudgetTransition.objects.filter(person=person).select_related("plan", "decided_by")
            .order_by("-starts_on", "-pk"))


@dataclass(frozen=True)
class TaperStep:
    starts_on: datetime.date
    weekly_pence: int
    current: bool


@dataclass(frozen=True)
class PersonOversight:
    """What a person's page shows about their budget in force and their direct-payment reviews
    (the context of ``brokerage/includes/person_oversight.html``, as ``oversight``)."""

    today: datetime.date
    # The weekly budget in force today (None: no approved plan in force).
    effective_weekly_pence: int | None
    # The transition of the person's approved plan (in force, or starting later), if any.
    transition: BudgetTransition | None
    taper: list[TaperStep] = field(default_factory=list)
    next_review: DirectPaymentReview | None = None

    @property
    def protected(self) -> bool:
        return self.transition is not None and self.transition.kind == TransitionKind.PROTECTED

    @property
    def tapering(self) -> bool:
        return self.transition is not None and self.transition.kind == TransitionKind.TRANSITIONAL

    @property
    def review_overdue_days(self) -> int:
        if self.next_review is None:
            return 0
        return max(0, (self.today - self.next_review.due_on).days)


def person_oversight(person: Person, today: datetime.date) -> PersonOversight:
    """The budget in force today, the transition of the approved plan (a taper's weekly steps, or
    the protection and its review date) and the next direct-payment review. Three queries
    whatever the person's history. The caller has already checked the user may see the person."""
    transition = (BudgetTransition.objects.filter(person=person, plan__status=PlanStatus.APPROVED)
                  .select_related("decided_by").first())
    taper = []
    if transition is not None and transition.kind == TransitionKind.TRANSITIONAL:
        taper = [TaperStep(starts_on, pence, starts_on <= today < starts_on + datetime.timedelta(days=7))
                 for starts_on, pence in taper_schedule(transition.from_weekly_pence, transition.to_weekly_pence,
                                                        transition.weeks, transition.starts_on)]
    return PersonOversight(
        today=today,
        effective_weekly_pence=effective_weekly_budget(person, today),
        transition=transition,
        taper=taper,
        next_review=DirectPaymentReview.objects.filter(person=person, status=ReviewStatus.DUE).first(),
    )
