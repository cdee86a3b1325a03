"""Benchmark: validating provider invoices (target: over 1,000 lines a second on PostgreSQL, with
the same number of queries for every invoice).

It builds its own throwaway rows with ``bulk_create`` (a provider, people, approved plans with one
ISF line each, active contracts started 16 weeks ago with their terms, and money released into
each contract's fund), then builds drafts of ten invoices of ten one-day lines per contract and
times what a submission does before saving: load the invoice's context (one selector) and run
every check on it. Ledger rows cannot be deleted, so the rows stay: run it on a database kept for
benchmarks.
"""

import datetime
import time
import uuid
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from brokerage.constants import AssessmentStatus, BudgetKind, DeploymentRoute, LineKind, PlanStatus, RasMethod
from brokerage.models import Assessment, Person, PersonalBudget, PlanLine, RasVersion, SupportPlan
from isf import ledger
from isf.constants import AccountKind, ContractStatus, TransactionKind
from isf.invoice_checks import DraftLine, InvoiceDraft, check_invoice, invoice_problems
from isf.models import ContractTerms, IsfContract
from isf.selectors.invoices import invoice_context
from marketplace.constants import ClientGroup
from marketplace.models import Organisation, User
from providers.constants import ListingStatus, RateUnit
from providers.models import RateCard, ServiceCategory, ServiceListing

ITEM = "Home support"
PRICE_PENCE = 2400
HOURS = Decimal("14")
INVOICES_PER_CONTRACT = 10
LINES_PER_INVOICE = 10
BATCH = 2000
# Invoices in one simulated CSV upload (1,000 lines).
UPLOAD = 100


def _build(contracts: int, starts_on: datetime.date) -> list[IsfContract]:
    tag = uuid.uuid4().hex[:6]
    user = User.objects.create(username=f"bench-invoices-{tag}", email=f"bench-invoices-{tag}@example.invalid")
    category, _ = ServiceCategory.objects.get_or_create(slug="bench-invoices", defaults={"name": "Bench invoices"})
    number = (RasVersion.objects.filter(method=RasMethod.COST).order_by("-number").values_list("number", flat=True)
              .first() or 0) + 1
    ras = RasVersion.objects.create(method=RasMethod.COST, number=number, name=f"Bench invoices {tag}")
    provider = Organisation.objects.create(name=f"Bench invoicer {tag}", slug=f"bench-invoicer-{tag}",
                                           is_provider=True)
    listing = ServiceListing.objects.create(organisation=provider, category=category, reference=f"bench-inv-{tag}",
                                            title=ITEM, status=ListingStatus.PUBLISHED)
    card = RateCard.objects.create(listing=listing, unit=RateUnit.HOUR, contract_rate_pence=PRICE_PENCE,
                                   direct_payment_rate_pence=2000, effective_from=starts_on)
    people = Person.objects.bulk_create(
        (Person(reference=f"V{tag}{index:07d}", first_name="Bench", last_name=f"Invoiced {index}",
                date_of_birth=datetime.date(1950, 1, 1), postcode="E8 1AA", client_group=ClientGroup.OLDER_PERSON)
         for index in range(contracts)), batch_size=BATCH)
    assessment = Assessment.objects.create(person=people[0], status=AssessmentStatus.COMPLETED, assessed_on=starts_on,
                                           assessed_by=user)
    weekly = int(PRICE_PENCE * HOURS)
    amounts = {"assessment": assessment, "ras_version": ras, "weekly_total_pence": weekly,
               "weekly_contribution_pence": 0, "weekly_council_pence": weekly, "created_by": user}
    indicative = PersonalBudget.objects.create(person=people[0], kind=BudgetKind.INDICATIVE, **amounts)
    agreed = PersonalBudget.objects.bulk_create(
        (PersonalBudget(person=person, kind=BudgetKind.AGREED, **amounts) for person in people), batch_size=BATCH)
    plans = SupportPlan.objects.bulk_create(
        (SupportPlan(person=person, status=PlanStatus.APPROVED, indicative_budget=indicative, agreed_budget=budget,
                     starts_on=starts_on, created_by=user) for person, budget in zip(people, agreed)),
        batch_size=BATCH)
    lines = PlanLine.objects.bulk_create(
        (PlanLine(plan=plan, kind=LineKind.SERVICE, listing=listing, rate_card=card, unit=RateUnit.HOUR,
                  quantity_per_week=HOURS,
                  listed_price_pence=PRICE_PENCE, agreed_price_pence=PRICE_PENCE,
                  route=DeploymentRoute.INDIVIDUAL_SERVICE_FUND, starts_on=starts_on) for plan in plans),
        batch_size=BATCH)
    built = IsfContract.objects.bulk_create(
        (IsfContract(reference=f"IV{tag}{index:07d}", person=person, provider=provider, listing=listing,
                     status=ContractStatus.ACTIVE, starts_on=starts_on, accepted_at=timezone.now())
         for index, person in enumerate(people)), batch_size=BATCH)
    ContractTerms.objects.bulk_create(
        (ContractTerms(contract=contract, plan=plan, plan_line=line, effective_from=starts_on, item=ITEM,
                       unit=RateUnit.HOUR, quantity_per_week=HOURS, price_pence=PRICE_PENCE, weekly_pence=weekly)
         for contract, plan, line in zip(built, plans, lines)), batch_size=BATCH)
    funding = ledger.council_account(AccountKind.COUNCIL_FUNDING)
    for contract in built:
        ledger.post(kind=TransactionKind.RELEASE, description=f"Bench release to {contract.reference}",
                    occurred_on=starts_on, contract=contract,
                    entries=[(funding, -weekly * 20), (ledger.contract_fund_account(contract), weekly * 20)])
    return built


def _drafts(contracts: list[IsfContract], starts_on: datetime.date) -> list[InvoiceDraft]:
    """Ten invoices of ten one-day lines per contract, each invoice its own ten days."""
    drafts = []
    for contract in contracts:
        for invoice in range(INVOICES_PER_CONTRACT):
            first = starts_on + datetime.timedelta(days=invoice * LINES_PER_INVOICE)
            days = [first + datetime.timedelta(days=offset) for offset in range(LINES_PER_INVOICE)]
            drafts.append(InvoiceDraft(
                number=f"{contract.reference}-{invoice}", contract=contract.pk, period_start=days[0],
                period_end=days[-1],
                lines=tuple(DraftLine(item=ITEM, date_from=day, date_to=day, quantity=Decimal("1.5"),
                                      unit_price_pence=PRICE_PENCE, number=index)
                            for index, day in enumerate(days, start=1))))
    return drafts


class _QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def run(stdout, *, lines: int = 10_000) -> None:
    """Build contracts for ``lines`` invoice lines (ten invoices of ten lines per contract), then
    time loading each invoice's context and checking it, and print ``invoice validation: N lines
    in X s (Y lines/s), Q queries per invoice``: once one invoice at a time (the form and the
    API), once as CSV uploads of a hundred invoices are checked."""
    per_contract = INVOICES_PER_CONTRACT * LINES_PER_INVOICE
    contracts = max(1, -(-lines // per_contract))
    starts_on = timezone.localdate() - datetime.timedelta(days=per_contract + 14)
    started = time.perf_counter()
    with transaction.atomic():
        built = _build(contracts, starts_on)
    stdout.write(f"invoice validation: built {contracts} contracts in {time.perf_counter() - started:.1f} s\n")
    drafts = _drafts(built, starts_on)
    provider = built[0].provider
    checked = sum(len(draft.lines) for draft in drafts)

    # One invoice at a time, as the form and the API send them.
    counter = _QueryCounter()
    refused = 0
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        for draft in drafts:
            context = invoice_context(provider, [draft.contract], numbers=[draft.number])
            refused += bool(invoice_problems(draft, context))
    elapsed = time.perf_counter() - started
    stdout.write(f"invoice validation: {checked} lines in {elapsed:.2f} s ({checked / elapsed:.0f} lines/s), "
                 f"{counter.count / len(drafts):g} queries per invoice; {len(drafts)} invoices one at a time, "
                 f"{refused} refused\n")

    # As a CSV upload is checked: one context per file of UPLOAD invoices, each invoice counted
    # before the next is checked.
    counter = _QueryCounter()
    refused = 0
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        for first in range(0, len(drafts), UPLOAD):
            upload = drafts[first:first + UPLOAD]
            context = invoice_context(provider, {draft.contract for draft in upload},
                                      numbers=[draft.number for draft in upload])
            for draft in upload:
                result = check_invoice(draft, context)
                if result.problems:
                    refused += 1
                else:
                    context.add(result)
    elapsed = time.perf_counter() - started
    stdout.write(f"invoice validation: {checked} lines in {elapsed:.2f} s ({checked / elapsed:.0f} lines/s), "
                 f"{counter.count / len(drafts):g} queries per invoice; uploads of {UPLOAD} invoices, "
                 f"{refused} refused\n")
