"""Approved plans, budget transitions and direct-payment reviews built directly, for the tests of
transitional arrangements and direct-payment oversight (the rules themselves go through the
services)."""

import datetime

from django.utils import timezone

from brokerage.constants import BudgetKind, DbsCheck, FinancialRisk, PlanStatus, ReviewStatus
from brokerage.models import DirectPaymentReview, SupportPlan
from tests.brokerage.factories import IndicativeBudgetFactory, PersonalAssistantLineFactory, PersonFactory, plan_ready
from tests.marketplace.factories import UserFactory

TODAY = timezone.localdate()


def approved_plan(*, person=None, agreed_pence=40000, starts_on=None, financial_risk=FinancialRisk.LOW,
                  direct_payment=True, live_in_relative=False, dbs_check=DbsCheck.NOT_REQUESTED,
                  status=PlanStatus.APPROVED, assistant_name="Sam Carter") -> SupportPlan:
    """A plan as sign-off leaves it: approved (or ``status``), with an agreed budget of
    ``agreed_pence`` a week, and — unless ``direct_payment`` is false — a personal assistant paid by
    direct payment and the financial risk assessment. A person's earlier approved plan is marked
    superseded first, as the database allows one approved plan per person."""
    person = person or PersonFactory()
    starts_on = starts_on or TODAY
    if status == PlanStatus.APPROVED:
        SupportPlan.objects.filter(person=person, status=PlanStatus.APPROVED).update(status=PlanStatus.SUPERSEDED)
    version = (SupportPlan.objects.filter(person=person).order_by("-version").values_list("version", flat=True)
               .first() or 0) + 1
    plan = plan_ready(person=person, starts_on=starts_on, version=version,
                      financial_risk=financial_risk if direct_payment else "")
    if direct_payment:
        PersonalAssistantLineFactory(plan=plan, live_in_relative=live_in_relative, dbs_check=dbs_check,
                                     assistant_name=assistant_name)
    agreed = IndicativeBudgetFactory(person=person, kind=BudgetKind.AGREED, weekly_total_pence=agreed_pence,
                                     weekly_contribution_pence=min(4000, agreed_pence))
    SupportPlan.objects.filter(pk=plan.pk).update(status=status, agreed_budget=agreed, decided_by=UserFactory(),
                                                  decided_at=timezone.now())
    plan.refresh_from_db()
    return plan


def submitted_plan(**fields) -> SupportPlan:
    """A plan waiting for sign-off, as plan_approve sees it when it records the budget transition."""
    return approved_plan(status=PlanStatus.SUBMITTED, **fields)


def due_review(*, person=None, plan=None, due_on=None, risk=FinancialRisk.LOW,
               status=ReviewStatus.DUE, **fields) -> DirectPaymentReview:
    plan = plan or approved_plan(person=person, financial_risk=risk)
    return DirectPaymentReview.objects.create(person=plan.person, plan=plan, risk=risk,
                                              due_on=due_on or TODAY + datetime.timedelta(days=7), status=status,
                                              **fields)
