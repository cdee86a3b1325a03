"""Contracts, plans and bank details for payment runs, built directly: the run reads terms, plans
and agreed budgets, so those are real rows; how they came to be is tested elsewhere.

Every contract here starts on Monday 6 April 2026 (also the direct-payment anchor), and the plan
behind it is 16 hours a week at £24.00 (£384.00) with a £40.00 weekly contribution: £344.00 net.
"""

import datetime
import itertools
from decimal import Decimal

from brokerage.checks import line_weekly_pence
from brokerage.constants import DeploymentRoute, PlanStatus, TransitionKind
from brokerage.models import BudgetTransition, SupportPlan
from isf.constants import CardPaymentPurpose, CardPaymentStatus, ContractStatus
from isf.models import CardPayment, ContractTerms, PayeeAccount
from tests.brokerage.factories import PersonalAssistantLineFactory
from tests.brokerage.factories_signoff import approved_plan
from tests.isf.factories_ledger import ledger_contract
from tests.marketplace.factories import UserFactory

START = datetime.date(2026, 4, 6)
ISF = DeploymentRoute.INDIVIDUAL_SERVICE_FUND
_numbers = itertools.count(1)


def bank_details(*, organisation=None, person=None, **fields) -> PayeeAccount:
    defaults = {"holder_name": "Acme Care Ltd", "sort_code": "309430", "account_number": "00733445"}
    return PayeeAccount.objects.create(organisation=organisation, person=person, **(defaults | fields))


def isf_terms(contract, plan, *, effective_from=START) -> ContractTerms:
    """Terms for ``contract`` from ``plan``'s (ISF) line."""
    line = plan.lines.get(route=ISF)
    return ContractTerms.objects.create(
        contract=contract, plan=plan, plan_line=line, effective_from=effective_from, item=line.listing.title,
        unit=line.unit, quantity_per_week=line.quantity_per_week, price_pence=line.agreed_price_pence,
        weekly_pence=line_weekly_pence(line))


def isf_plan(*, person=None, weekly_hours="16", starts_on=START, **fields) -> SupportPlan:
    plan = approved_plan(person=person, weekly_hours=weekly_hours, starts_on=starts_on, **fields)
    plan.lines.update(route=ISF)
    return plan


def paid_contract(*, status=ContractStatus.ACTIVE, weekly_hours="16", ends_on=None, terms_from=START,
                  with_bank=True, extra_terms=0):
    """An ISF contract from 6 April 2026 with one set of terms from ``terms_from`` and the
    provider's bank details; ``extra_terms`` adds earlier-dated copies (same amounts) to show the
    run does not query per terms row."""
    plan = isf_plan(weekly_hours=weekly_hours)
    line = plan.lines.get()
    contract = ledger_contract(person=plan.person, listing=line.listing, status=status, starts_on=START,
                               ends_on=ends_on)
    isf_terms(contract, plan, effective_from=terms_from)
    for _ in range(extra_terms):
        other = isf_plan(weekly_hours=weekly_hours)
        isf_terms(contract, other, effective_from=START - datetime.timedelta(days=1))
    if with_bank:
        bank_details(organisation=contract.provider)
    return contract


def taper(plan, *, from_pence, to_pence, weeks, starts_on=START, kind=TransitionKind.TRANSITIONAL) -> BudgetTransition:
    return BudgetTransition.objects.create(
        plan=plan, person=plan.person, kind=kind, from_weekly_pence=from_pence, to_weekly_pence=to_pence,
        starts_on=starts_on, weeks=weeks, decided_by=UserFactory(),
        review_on=starts_on + datetime.timedelta(days=90) if kind == TransitionKind.PROTECTED else None)


def next_plan(previous: SupportPlan, *, weekly_hours="20", starts_on) -> SupportPlan:
    """A second approved version for the same person; the first is superseded."""
    SupportPlan.objects.filter(pk=previous.pk).update(status=PlanStatus.SUPERSEDED)
    return isf_plan(person=previous.person, weekly_hours=weekly_hours, starts_on=starts_on,
                    version=previous.version + 1, previous=previous)


def direct_payment_plan(*, route=DeploymentRoute.DIRECT_PAYMENT, line_starts_on=START, isf=False,
                        with_bank=True):
    """An approved plan with a personal assistant paid by direct payment (8 hours at £15.00:
    £120.00 a week) beside its 16-hour service line (ISF when ``isf``, else council-managed)."""
    plan = approved_plan(starts_on=START)
    if isf:
        plan.lines.update(route=ISF)
    PersonalAssistantLineFactory(plan=plan, route=route, starts_on=line_starts_on, quantity_per_week=Decimal("8"),
                                 agreed_price_pence=1500)
    if with_bank:
        bank_details(person=plan.person, holder_name=f"{plan.person.first_name} Example",
                     managed_by="The council's client money service" if route != DeploymentRoute.DIRECT_PAYMENT
                     else "The person")
    return plan


def card_contribution(contract, pence=5000) -> CardPayment:
    number = next(_numbers)
    return CardPayment.objects.create(
        person=contract.person, contract=contract, purpose=CardPaymentPurpose.CONTRIBUTION, amount_pence=pence,
        status=CardPaymentStatus.SUCCEEDED, idempotency_key=f"card-test-{number}",
        payment_intent_id=f"pi_test_{number}", started_by=UserFactory())
