"""Plans in the states the council's sign-off works on, built directly (the rules of submission
are tested elsewhere), and officers' approval limits."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from brokerage.checks import line_weekly_pence
from brokerage.constants import BudgetKind, PlanStatus
from brokerage.models import ApprovalLimit, PersonalBudget, SupportPlan
from tests.brokerage.factories import plan_ready

REASON = "Meets her outcomes safely at a fair price; no unreasonable risk to the council."


def submit(plan: SupportPlan, *, days_ago: int = 1, by=None) -> SupportPlan:
    """Put a plan in the queue as if its broker had submitted it ``days_ago`` days ago."""
    SupportPlan.objects.filter(pk=plan.pk).update(
        status=PlanStatus.SUBMITTED, submitted_at=timezone.now() - datetime.timedelta(days=days_ago),
        submitted_by=by or plan.created_by)
    plan.refresh_from_db()
    return plan


def submitted_plan(*, days_ago: int = 1, **kwargs) -> SupportPlan:
    """``plan_ready(**kwargs)`` (£24.00 × 16 hours = £384.00 a week against £400 by default),
    submitted ``days_ago`` days ago."""
    return submit(plan_ready(**kwargs), days_ago=days_ago)


def weekly_pence(plan: SupportPlan) -> int:
    return sum(line_weekly_pence(line) for line in plan.lines.all())


def approved_plan(*, person=None, weekly_hours="16", decided_by=None, **kwargs) -> SupportPlan:
    """An approved plan in force, with an agreed budget of its weekly cost."""
    plan = plan_ready(person=person, weekly_hours=weekly_hours, **kwargs)
    total = weekly_pence(plan)
    indicative = plan.indicative_budget
    contribution = min(indicative.weekly_contribution_pence, total)
    agreed = PersonalBudget.objects.create(
        person=plan.person, kind=BudgetKind.AGREED, assessment=indicative.assessment,
        ras_version=indicative.ras_version, weekly_total_pence=total, weekly_contribution_pence=contribution,
        weekly_council_pence=total - contribution, created_by=plan.created_by)
    SupportPlan.objects.filter(pk=plan.pk).update(
        status=PlanStatus.APPROVED, agreed_budget=agreed, submitted_at=timezone.now() - datetime.timedelta(days=90),
        decided_at=timezone.now() - datetime.timedelta(days=80), decided_by=decided_by,
        decision_reason="Meets the outcomes at a fair price.")
    plan.refresh_from_db()
    return plan


def revision_of(approved: SupportPlan, *, weekly_hours="16", days_ago: int = 1) -> SupportPlan:
    """The next version of an approved plan, ready and submitted."""
    plan = plan_ready(person=approved.person, weekly_hours=weekly_hours, version=approved.version + 1,
                      previous=approved)
    return submit(plan, days_ago=days_ago)


def set_cost(plan: SupportPlan, weekly_pence: int) -> SupportPlan:
    """Make the plan's single line cost exactly ``weekly_pence`` a week (1 × that price)."""
    plan.lines.update(quantity_per_week=Decimal("1"), agreed_price_pence=weekly_pence, listed_price_pence=weekly_pence)
    return plan


def limit(officer, pounds) -> ApprovalLimit:
    """Let ``officer`` approve up to ``pounds`` (a Decimal-able string or int) a week."""
    pence = int(Decimal(str(pounds)) * 100)
    return ApprovalLimit.objects.update_or_create(officer=officer, defaults={"weekly_limit_pence": pence})[0]


# Fixtures: an officer who may approve up to £1,000 a week, and a plan waiting for them.

@pytest.fixture
def officer(officer):
    limit(officer, "1000")
    return officer


@pytest.fixture
def plan(db):
    return submitted_plan()
