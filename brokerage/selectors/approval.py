"""Reads for the council's sign-off: the queue of plans waiting for a decision, what each costs a
week, officers' approval limits, and the person's history beside a plan under review.

A plan's weekly cost is worked out in SQL here so the queue can be filtered and paged by it; the
arithmetic is the same as :func:`brokerage.checks.line_weekly_pence` (price × quantity a week,
rounded half up to the penny once per line, then summed), done in whole numbers so SQLite and
PostgreSQL agree to the penny.
"""

from dataclasses import dataclass

from django.db.models import (
    BigIntegerField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Round

from brokerage.constants import PlanStatus
from brokerage.models import ApprovalLimit, BudgetTransition, PersonalBudget, PlanLine, SupportPlan
from brokerage.selectors import budgets_for, with_plan_details
from marketplace.constants import Role
from marketplace.models import AuditEvent, Organisation, User
from marketplace.scoping import get_visible_or_404, visible_to

__all__ = ["officer_limit_pence", "with_weekly_cost", "approval_queue", "queue_teams", "officers_who_can_approve",
           "PersonHistory", "person_history", "plan_audit_history", "plan_for_review", "approval_limits",
           "contract_officers"]


def officer_limit_pence(user: User) -> int | None:
    """The weekly amount ``user`` may approve, or None when they have no limit (and so may
    approve nothing)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return ApprovalLimit.objects.filter(officer=user).values_list("weekly_limit_pence", flat=True).first()


def _line_weekly_pence():
    # price × (quantity in hundredths), then + 50 and whole-number division by 100: half up to the
    # penny, exactly, with no float or numeric rounding that differs between databases.
    hundredths = Cast(Round(F("quantity_per_week") * Value(100)), BigIntegerField())
    return ExpressionWrapper((F("agreed_price_pence") * hundredths + Value(50)) / Value(100),
                             output_field=BigIntegerField())


def with_weekly_cost(queryset: QuerySet) -> QuerySet:
    """Plans annotated with ``weekly_pence`` (what the plan costs a week, £0 with no lines) and
    ``limit_needed_pence`` (the lowest approval limit that covers it)."""
    per_plan = (PlanLine.objects.filter(plan=OuterRef("pk")).order_by().values("plan")
                .annotate(total=Sum(_line_weekly_pence())).values("total"))
    return (queryset.annotate(weekly_pence=Coalesce(Subquery(per_plan, output_field=BigIntegerField()),
                                                    Value(0), output_field=BigIntegerField()))
            .annotate(limit_needed_pence=F("weekly_pence")))


def approval_queue(user: User, *, team: Organisation | int | None = None, route: str | None = None,
                   min_weekly_pence: int | None = None, max_weekly_pence: int | None = None,
                   within_my_limit: bool = False) -> QuerySet:
    """Plans waiting for sign-off that ``user`` may see, oldest submission first, each with its
    weekly cost, the limit needed to approve it and its lines' routes (``route_lines``).

    ``team`` is the person's broker organisation; ``route`` keeps plans with at least one line on
    that route; the amounts bound the weekly cost (inclusive); ``within_my_limit`` keeps the plans
    ``user`` may approve on their own (none when they have no limit). Three queries however many rows.
    """
    plans = SupportPlan.objects.filter(status=PlanStatus.SUBMITTED)
    if team is not None:
        plans = plans.filter(person__broker_organisation_id=getattr(team, "pk", team))
    if route:
        plans = plans.filter(Exists(PlanLine.objects.filter(plan=OuterRef("pk"), route=route)))
    plans = with_weekly_cost(visible_to(user, plans))
    if min_weekly_pence is not None:
        plans = plans.filter(weekly_pence__gte=min_weekly_pence)
    if max_weekly_pence is not None:
        plans = plans.filter(weekly_pence__lte=max_weekly_pence)
    if within_my_limit:
        limit = officer_limit_pence(user)
        plans = plans.none() if limit is None else plans.filter(weekly_pence__lte=limit)
    return (plans.select_related("person__broker_organisation", "submitted_by")
            .prefetch_related(Prefetch("lines", queryset=PlanLine.objects.only("id", "plan_id", "route"),
                                       to_attr="route_lines"))
            .order_by(F("submitted_at").asc(nulls_first=True), "pk"))


def queue_teams(user: User) -> QuerySet:
    """The broker organisations with a plan waiting for sign-off, by name (for the queue's filter)."""
    waiting = visible_to(user, SupportPlan.objects.filter(status=PlanStatus.SUBMITTED))
    return (Organisation.objects.filter(people_brokered__plans__in=waiting.values("pk"))
            .distinct().order_by("name"))


def officers_who_can_approve(weekly_pence: int) -> QuerySet:
    """Contract officers whose limit covers ``weekly_pence``, highest limit first."""
    return (ApprovalLimit.objects.filter(weekly_limit_pence__gte=weekly_pence, officer__is_active=True,
                                         officer__memberships__role=Role.CONTRACT_OFFICER)
            .select_related("officer").distinct().order_by("-weekly_limit_pence", "officer__last_name"))


@dataclass(frozen=True)
class PersonHistory:
    """What an officer reads beside a plan: the person's other plans (with the decisions on them),
    their budgets, and how earlier changes of budget were brought in."""

    plans: list[SupportPlan]
    budgets: list[PersonalBudget]
    transitions: list[BudgetTransition]


def person_history(plan: SupportPlan) -> PersonHistory:
    """The person's plans other than ``plan`` (newest version first), budgets (newest first) and
    budget transitions. Three queries."""
    plans = (SupportPlan.objects.filter(person_id=plan.person_id).exclude(pk=plan.pk)
             .select_related("decided_by", "submitted_by", "agreed_budget").order_by("-version"))
    transitions = (BudgetTransition.objects.filter(person_id=plan.person_id).select_related("plan", "decided_by")
                   .order_by("-starts_on", "-pk"))
    return PersonHistory(plans=list(plans), budgets=list(budgets_for(plan.person).order_by("-created_at", "-pk")),
                         transitions=list(transitions))


def plan_audit_history(plan: SupportPlan) -> list[AuditEvent]:
    """Everything recorded about the plan and its lines, oldest first."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Q

    plan_type = ContentType.objects.get_for_model(SupportPlan)
    line_type = ContentType.objects.get_for_model(PlanLine)
    line_ids = [str(line.pk) for line in plan.lines.all()]
    return list(AuditEvent.objects.filter(Q(target_type=plan_type, target_id=str(plan.pk))
                                          | Q(target_type=line_type, target_id__in=line_ids))
                .select_related("actor").order_by("occurred_at", "pk"))


def plan_for_review(user: User, plan_id: int) -> SupportPlan:
    """One plan ``user`` may see, loaded for its costing and checks, with its weekly cost; 404
    otherwise."""
    return get_visible_or_404(user, with_plan_details(SupportPlan.objects.all()), pk=plan_id)


def approval_limits(user: User) -> QuerySet:
    """Officers' approval limits ``user`` may see (council staff see them all), highest first."""
    return (visible_to(user, ApprovalLimit.objects.select_related("officer", "set_by"))
            .order_by("-weekly_limit_pence", "officer__last_name", "officer__first_name"))


def contract_officers() -> QuerySet:
    """Active users who hold the contract officer role, by name."""
    return (User.objects.filter(is_active=True, memberships__role=Role.CONTRACT_OFFICER).distinct()
            .order_by("last_name", "first_name", "username"))
