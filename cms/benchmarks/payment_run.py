"""Benchmark: a payment run over many active ISF contracts (target: 10,000 in under 60 s on
PostgreSQL).

It builds its own throwaway rows with ``bulk_create`` (people, approved plans with agreed budgets
and one ISF line each, contracts with their terms, a hundred contracts per provider, the providers'
bank details), starting today so each contract has one period due, then times
``payment_run_start`` and ``payment_run_execute`` with the payment file gateway, which records
and sends each chunk of contracts in a fixed number of queries. The run pays every active
contract in the database, so on a seeded database the demo contracts are counted too. Ledger
rows cannot be deleted, so the rows stay: run it on a database kept for benchmarks.
"""

import datetime
import os
import time
import uuid
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from brokerage.constants import AssessmentStatus, BudgetKind, DeploymentRoute, LineKind, PlanStatus, RasMethod
from brokerage.models import Assessment, Person, PersonalBudget, PlanLine, RasVersion, SupportPlan
from isf import services
from isf.constants import ContractStatus, Gateway, RunTrigger
from isf.models import ContractTerms, IsfContract, PayeeAccount
from marketplace.constants import ClientGroup
from marketplace.models import Organisation, User
from providers.constants import ListingStatus, RateUnit
from providers.models import RateCard, ServiceCategory, ServiceListing

CONTRACTS_PER_PROVIDER = 100
PRICE_PENCE = 2400
HOURS = Decimal("10")
WEEKLY_PENCE = 24000
CONTRIBUTION_PENCE = 2000
BATCH = 2000


def _build(contracts: int, starts_on: datetime.date) -> None:
    tag = uuid.uuid4().hex[:6]
    user = User.objects.create(username=f"bench-payments-{tag}", email=f"bench-payments-{tag}@example.invalid")
    category, _ = ServiceCategory.objects.get_or_create(slug="bench-payments", defaults={"name": "Bench payments"})
    number = (RasVersion.objects.filter(method=RasMethod.COST).order_by("-number").values_list("number", flat=True)
              .first() or 0) + 1
    ras = RasVersion.objects.create(method=RasMethod.COST, number=number, name=f"Bench {tag}")
    providers = Organisation.objects.bulk_create(
        Organisation(name=f"Bench provider {tag} {index}", slug=f"bench-{tag}-{index}", is_provider=True)
        for index in range(max(1, -(-contracts // CONTRACTS_PER_PROVIDER))))
    PayeeAccount.objects.bulk_create(
        PayeeAccount(organisation=provider, holder_name=provider.name, sort_code="309430", account_number="00733445")
        for provider in providers)
    listings = ServiceListing.objects.bulk_create(
        ServiceListing(organisation=provider, category=category, reference=f"bench-{tag}-{index}",
                       title="Home support", status=ListingStatus.PUBLISHED)
        for index, provider in enumerate(providers))
    cards = RateCard.objects.bulk_create(
        RateCard(listing=listing, unit=RateUnit.HOUR, contract_rate_pence=PRICE_PENCE, direct_payment_rate_pence=2000,
                 effective_from=starts_on) for listing in listings)
    people = Person.objects.bulk_create(
        (Person(reference=f"B{tag}{index:07d}", first_name="Bench", last_name=f"Person {index}",
                date_of_birth=datetime.date(1950, 1, 1), postcode="E8 1AA", client_group=ClientGroup.OLDER_PERSON)
         for index in range(contracts)), batch_size=BATCH)
    assessment = Assessment.objects.create(person=people[0], status=AssessmentStatus.COMPLETED, assessed_on=starts_on,
                                           assessed_by=user)
    budget = {"assessment": assessment, "ras_version": ras, "weekly_total_pence": WEEKLY_PENCE,
              "weekly_contribution_pence": CONTRIBUTION_PENCE,
              "weekly_council_pence": WEEKLY_PENCE - CONTRIBUTION_PENCE,
              "created_by": user}
    indicative = PersonalBudget.objects.create(person=people[0], kind=BudgetKind.INDICATIVE, **budget)
    agreed = PersonalBudget.objects.bulk_create(
        (PersonalBudget(person=person, kind=BudgetKind.AGREED, **budget) for person in people), batch_size=BATCH)
    plans = SupportPlan.objects.bulk_create(
        (SupportPlan(person=person, status=PlanStatus.APPROVED, indicative_budget=indicative, agreed_budget=budget_row,
                     starts_on=starts_on, created_by=user) for person, budget_row in zip(people, agreed)),
        batch_size=BATCH)
    provider_of = [index // CONTRACTS_PER_PROVIDER for index in range(contracts)]
    lines = PlanLine.objects.bulk_create(
        (PlanLine(plan=plan, kind=LineKind.SERVICE, listing=listings[provider_of[index]],
                  rate_card=cards[provider_of[index]], unit=RateUnit.HOUR, quantity_per_week=HOURS,
                  listed_price_pence=PRICE_PENCE, agreed_price_pence=PRICE_PENCE,
                  route=DeploymentRoute.INDIVIDUAL_SERVICE_FUND, starts_on=starts_on)
         for index, plan in enumerate(plans)), batch_size=BATCH)
    isf = IsfContract.objects.bulk_create(
        (IsfContract(reference=f"IB{tag}{index:07d}", person=people[index], provider=providers[provider_of[index]],
                     listing=listings[provider_of[index]], status=ContractStatus.ACTIVE, starts_on=starts_on,
                     accepted_at=timezone.now()) for index in range(contracts)), batch_size=BATCH)
    ContractTerms.objects.bulk_create(
        (ContractTerms(contract=contract, plan=plan, plan_line=line, effective_from=starts_on, item="Home support",
                       unit=RateUnit.HOUR, quantity_per_week=HOURS, price_pence=PRICE_PENCE, weekly_pence=WEEKLY_PENCE)
         for contract, plan, line in zip(isf, plans, lines)), batch_size=BATCH)


class _QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def run(stdout, *, contracts: int = 10_000) -> None:
    """Build ``contracts`` active contracts, then time one payment run over them and print
    ``payment run: N contracts in X s (Y contracts/s), Q queries``."""
    starts_on = timezone.localdate()
    started = time.perf_counter()
    with transaction.atomic():
        _build(contracts, starts_on)
    stdout.write(f"payment run: built {contracts} contracts in {time.perf_counter() - started:.1f} s")
    counter = _QueryCounter()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        payment_run = services.payment_run_start(by=None, trigger=RunTrigger.COMMAND, run_on=starts_on,
                                                 gateway=Gateway.PAYMENT_FILE)
        payment_run = services.payment_run_execute(run=payment_run)
    elapsed = time.perf_counter() - started
    checked = payment_run.checked
    stdout.write(f"payment run: {checked} contracts in {elapsed:.1f} s ({checked / elapsed:.0f} contracts/s), "
                 f"{counter.count} queries; {payment_run.payments_made} payments, "
                 f"{len(payment_run.failures)} failures")
    # Timings on a shared machine mean little without how busy it was.
    stdout.write("payment run: load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
