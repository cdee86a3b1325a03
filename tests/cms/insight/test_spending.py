"""The money figures of the council's insight dashboards, each checked against a small set of
records whose answer is worked out by hand in the comments."""

import dataclasses
import datetime
import itertools
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from brokerage.constants import BudgetKind, ClientGroup, DeploymentRoute, NegotiationStatus, PlanStatus
from brokerage.models import PersonalBudget, SupportPlan
from cms.insight import in_force, spending
from cms.insight.figures import Figure
from cms.insight.filters import Filters, add_months
from isf import ledger
from isf.constants import (
    AccountKind,
    ContractStatus,
    Gateway,
    PaymentKind,
    PaymentStatus,
    RunTrigger,
    SurplusStatus,
    TransactionKind,
)
from isf.models import IsfContract, LedgerTransaction, Payment, PaymentRun, SurplusFlag
from marketplace.models import Organisation
from tests.brokerage.factories import (
    IndicativeBudgetFactory,
    NegotiationOpenFactory,
    PersonalAssistantLineFactory,
    PersonFactory,
    PlanLineFactory,
    SupportPlanDraftFactory,
    approved_listing,
)
from tests.isf.factories_ledger import ledger_contract
from tests.isf.payments.factories import isf_plan, isf_terms, paid_contract

DP = DeploymentRoute.DIRECT_PAYMENT
TPDP = DeploymentRoute.THIRD_PARTY_DIRECT_PAYMENT
MANAGED = DeploymentRoute.MANAGED_BUDGET
ISF = DeploymentRoute.INDIVIDUAL_SERVICE_FUND

APR, MAY, JUN = datetime.date(2026, 4, 1), datetime.date(2026, 5, 1), datetime.date(2026, 6, 1)
# April to June 2026, looked at in September: every month is whole.
PERIOD = Filters(start=APR, end=JUN, today=datetime.date(2026, 9, 15))


@pytest.fixture(autouse=True)
def _fresh_period():
    # A page's figures share what they read through the filters' memo; each test is a new page.
    PERIOD.memo.clear()
LEARNING = ClientGroup.LEARNING_DISABILITY


def only(**changes) -> Filters:
    return Filters(**({"start": PERIOD.start, "end": PERIOD.end, "today": PERIOD.today} | changes))


def at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def older_person(**fields):
    """Someone in E8, an older person (the factory's defaults, spelled out)."""
    return PersonFactory(**({"client_group": ClientGroup.OLDER_PERSON, "postcode": "E8 3QP"} | fields))


def person_with_learning_disability(**fields):
    return PersonFactory(**({"client_group": LEARNING, "postcode": "N1 2AB"} | fields))


_keys = itertools.count(1)


def signed_off(person, *, decided_on, starts_on, council_pence=0, status=PlanStatus.APPROVED, version=1,
               ended_on=None, lines=(), card=None) -> SupportPlan:
    """A plan signed off on ``decided_on`` with an agreed budget whose council share is
    ``council_pence`` a week, and ``lines`` of ``(route, price pence, quantity, line ends on)``."""
    indicative = IndicativeBudgetFactory(person=person)
    agreed = PersonalBudget.objects.create(
        person=person, kind=BudgetKind.AGREED, assessment=indicative.assessment, ras_version=indicative.ras_version,
        weekly_total_pence=council_pence, weekly_contribution_pence=0, weekly_council_pence=council_pence,
        created_by=indicative.created_by)
    plan = SupportPlan.objects.create(
        person=person, version=version, status=status, indicative_budget=indicative, starts_on=starts_on,
        created_by=indicative.created_by, decided_at=at(decided_on), agreed_budget=agreed, ended_on=ended_on)
    for route, price, quantity, ends_on in lines:
        fields = {"plan": plan, "route": route, "agreed_price_pence": price, "quantity_per_week": Decimal(quantity),
                  "starts_on": starts_on, "ends_on": ends_on}
        if route in (DP, TPDP):
            PersonalAssistantLineFactory(listed_price_pence=price, **fields)
        else:
            card = card or approved_listing()
            PlanLineFactory(rate_card=card, listed_price_pence=price, **fields)
    return plan


def rows(figure: Figure) -> list[tuple]:
    return [tuple(row) for row in figure.rows]


# Plans for the deployment mix and the budgets --------------------------------------------------------

@pytest.fixture
def plans(db):
    """Three people's plans over April to June 2026:

    - an older person in E8: version 1 signed off 20 March, from 1 April (£70.00 a week council
      share): a personal assistant 10 h × £15.00 = £150.00 (direct payment) and 10 h × £20.00 =
      £200.00 council-managed. Version 2 signed off 10 May, from 15 May (£140.00 a week): 20 h ×
      £20.00 = £400.00 ISF and a third-party-managed assistant 5 h × £15.00 = £75.00 ending
      10 June. Version 1 stays in force until version 2 starts (14 May is its last day).
    - a person with a learning disability in N1: signed off 20 April, from 25 April, ended 31 May
      (£35.01 a week): 5 h × £20.00 = £100.00 council-managed. In force 25 April to 30 May.
    - someone signed off only in July (after the period), and someone with a draft plan: never
      counted.
    """
    card = approved_listing()
    older = older_person()
    first = signed_off(older, decided_on=datetime.date(2026, 3, 20), starts_on=APR, council_pence=7000,
                       status=PlanStatus.SUPERSEDED, card=card,
                       lines=[(DP, 1500, "10", None), (MANAGED, 2000, "10", None)])
    signed_off(older, decided_on=datetime.date(2026, 5, 10), starts_on=datetime.date(2026, 5, 15),
               council_pence=14000, version=2, card=card,
               lines=[(ISF, 2000, "20", None), (TPDP, 1500, "5", datetime.date(2026, 6, 10))])
    learning = person_with_learning_disability()
    signed_off(learning, decided_on=datetime.date(2026, 4, 20), starts_on=datetime.date(2026, 4, 25),
               council_pence=3501, status=PlanStatus.ENDED, ended_on=datetime.date(2026, 5, 31), card=card,
               lines=[(MANAGED, 2000, "5", None)])
    signed_off(older_person(), decided_on=datetime.date(2026, 7, 1), starts_on=APR, council_pence=99900, card=card,
               lines=[(MANAGED, 9990, "10", None)])
    SupportPlanDraftFactory(person=older_person(), starts_on=APR)
    return {"older": older, "learning": learning, "first": first}


def test_deployment_mix_adds_each_route_of_the_plans_in_force_on_the_last_day_of_each_month(plans):
    figure = spending.deployment_mix(PERIOD)

    assert [column.label for column in figure.columns] == [
        "Month", "Direct payment", "Direct payment managed by a third party", "Council-managed budget",
        "Individual Service Fund", "Total a week"]
    # 30 April: version 1 (£150 + £200) and the ended plan, not yet ended (£100 managed).
    # 31 May: version 2 (£400 ISF + £75) and the ended plan on its last day (£100 managed).
    # 30 June: version 2's third-party assistant ended 10 June: £400 ISF only.
    assert rows(figure) == [
        (APR, 15000, 0, 30000, 0, 45000),
        (MAY, 0, 7500, 10000, 40000, 57500),
        (JUN, 0, 0, 0, 40000, 40000),
    ]
    assert figure.chart.kind == "stacked" and figure.chart.series == (1, 2, 3, 4)


def test_deployment_mix_follows_client_group_and_area(plans):
    learning = [(APR, 0, 0, 10000, 0, 10000), (MAY, 0, 0, 10000, 0, 10000), (JUN, 0, 0, 0, 0, 0)]
    assert rows(spending.deployment_mix(only(client_group=LEARNING))) == learning
    assert rows(spending.deployment_mix(only(area="N1"))) == learning
    assert rows(spending.deployment_mix(only(area="E8")))[0] == (APR, 15000, 0, 20000, 0, 35000)


def test_deployment_mix_follows_the_period(plans):
    # March: version 1 was signed off on 20 March but starts on 1 April, so nothing is in force.
    figure = spending.deployment_mix(only(start=datetime.date(2026, 3, 1), end=APR))
    assert rows(figure) == [(datetime.date(2026, 3, 1), 0, 0, 0, 0, 0), (APR, 15000, 0, 30000, 0, 45000)]


def test_a_plan_signed_off_later_replaces_the_one_in_force_only_once_it_starts(plans):
    older = plans["older"]
    # 12 May: version 2 is signed off but starts on the 15th, so version 1 is still in force.
    plan_rows = in_force.signed_off_plans(only(start=MAY, end=MAY))[older.pk]
    assert in_force.plan_in_force_on(plan_rows, datetime.date(2026, 5, 12)).pk == plans["first"].pk
    assert in_force.plan_in_force_on(plan_rows, datetime.date(2026, 5, 15)).pk != plans["first"].pk
    assert in_force.plan_in_force_on(plan_rows, datetime.date(2026, 3, 31)) is None


@pytest.fixture
def releases(plans):
    """Money out of the council's funding account:

    - a release to the older person's ISF of £250.00 on 6 April and £250.00 on 4 May; the May one
      reversed on 2 June (+£250.00 back to the council);
    - a direct payment of £120.00 to the person with a learning disability on 4 May;
    - releases on 30 March and 6 July, outside the period.
    """
    council = ledger.council_account(AccountKind.COUNCIL_FUNDING)
    contract = ledger_contract(person=plans["older"])
    fund = ledger.contract_fund_account(contract)
    dp_account = ledger.direct_payment_account(plans["learning"])

    def release(day, pence, account=fund, kind=TransactionKind.RELEASE):
        return ledger.post(kind=kind, description="Test release", occurred_on=day, contract=contract
                           if account == fund else None, entries=[(council, -pence), (account, pence)])

    release(datetime.date(2026, 3, 30), 11100)
    release(datetime.date(2026, 4, 6), 25000)
    may = release(datetime.date(2026, 5, 4), 25000)
    release(datetime.date(2026, 5, 4), 12000, account=dp_account, kind=TransactionKind.DIRECT_PAYMENT)
    release(datetime.date(2026, 7, 6), 22200)
    ledger.reverse(transaction=may, by=None, reason="Paid twice", occurred_on=datetime.date(2026, 6, 2))


def test_spend_against_budgets_compares_budget_days_in_force_with_money_released(releases):
    figure = spending.spend_against_budgets(PERIOD)

    # Agreed (council share, days in force × weekly ÷ 7, rounded once a month):
    #   April: older 30 days × £70 + learning 6 days (25–30) × £35.01 = (210000 + 21006) ÷ 7 = 33000.86 → 33001
    #   May: older 14 days × £70 + 17 days × £140 + learning 31 days (1–31, its last day included)
    #        × £35.01 = (98000 + 238000 + 108531) ÷ 7 = 63504.43 → 63504
    #   June: older 30 days × £140 = 60000
    # Released: April £250; May £250 + £120; June −£250 (the reversal).
    assert rows(figure) == [
        (APR, 33001, 25000, 25000 - 33001),
        (MAY, 63504, 37000, 37000 - 63504),
        (JUN, 60000, -25000, -25000 - 60000),
    ]
    assert figure.chart.kind == "line" and figure.chart.series == (1, 2)


def test_spend_against_budgets_follows_client_group_and_area(releases):
    # Learning disability: 6 × 3501 ÷ 7 = 3000.86 → 3001; 31 × 3501 ÷ 7 = 15504.43 → 15504; the direct payment.
    learning = [(APR, 3001, 0, -3001), (MAY, 15504, 12000, 12000 - 15504), (JUN, 0, 0, 0)]
    assert rows(spending.spend_against_budgets(only(client_group=LEARNING))) == learning
    assert rows(spending.spend_against_budgets(only(area="E8"))) == [
        (APR, 30000, 25000, -5000), (MAY, 48000, 25000, -23000), (JUN, 60000, -25000, -85000)]


def test_spend_against_budgets_counts_this_month_only_up_to_today(releases):
    # 10 June: 10 days of £140 a week = 20000.
    figure = spending.spend_against_budgets(Filters(start=JUN, end=JUN, today=datetime.date(2026, 6, 10)))
    assert rows(figure) == [(JUN, 20000, -25000, -45000)]


# ISF balances ------------------------------------------------------------------------------------

@pytest.fixture
def funds(db):
    """ISF contracts from 6 April 2026, each on a plan of 16 h × £24.00 = £384.00 a week with a £40.00
    contribution: £344.00 net, so the surplus rule (4 weeks) allows £1,376.00.

    - Alder Care: contract 1 (older person) holding £1,500.00 from 6 April and £500.00 more from
      4 May (£2,000.00: £624.00 above the rule) with a waived flag; contract 2 holding £1,000.00.
    - Birch Homecare: contract 3 (learning disability) holding exactly £1,376.00, with an open flag.
    - Cedar Support: a contract ended on 1 May, holding £5,000.00 (in force at the end of April only).
    - Not counted: an offered contract, and money released on 6 July (after the period).
    """
    council = ledger.council_account(AccountKind.COUNCIL_FUNDING)

    def release(contract, day, pence):
        ledger.post(kind=TransactionKind.RELEASE, description="Test release", occurred_on=day, contract=contract,
                    entries=[(council, -pence), (ledger.contract_fund_account(contract), pence)])

    first = paid_contract(with_bank=False)
    Organisation.objects.filter(pk=first.provider_id).update(name="Alder Care")
    plan = isf_plan()
    second = ledger_contract(person=plan.person, listing=first.listing)
    isf_terms(second, plan)
    third = paid_contract(with_bank=False)
    Organisation.objects.filter(pk=third.provider_id).update(name="Birch Homecare")
    third.person.client_group, third.person.postcode = LEARNING, "N1 2AB"
    third.person.save()
    ended = paid_contract(with_bank=False)
    Organisation.objects.filter(pk=ended.provider_id).update(name="Cedar Support")
    offered = paid_contract(with_bank=False, status=ContractStatus.OFFERED)
    release(first, datetime.date(2026, 4, 6), 150000)
    release(first, datetime.date(2026, 5, 4), 50000)
    release(first, datetime.date(2026, 7, 6), 90000)
    release(second, datetime.date(2026, 4, 6), 100000)
    release(third, datetime.date(2026, 4, 6), 137600)
    release(ended, datetime.date(2026, 4, 6), 500000)
    IsfContract.objects.filter(pk=ended.pk).update(status=ContractStatus.ENDED, accepted_at=at(APR),
                                                   ended_at=at(MAY))
    release(offered, datetime.date(2026, 4, 6), 1000)
    SurplusFlag.objects.create(contract=first, found_on=datetime.date(2026, 5, 5), balance_pence=200000,
                               allowed_pence=137600, surplus_pence=62400, status=SurplusStatus.WAIVED)
    SurplusFlag.objects.create(contract=third, found_on=datetime.date(2026, 6, 20), balance_pence=137700,
                               allowed_pence=137600, surplus_pence=100)
    return {"first": first, "second": second, "third": third}


def test_isf_balances_by_provider_as_at_the_end_of_the_period(funds):
    figure = spending.isf_balances(PERIOD)

    # Alder: 2 contracts, £2,000 + £1,000 held, 2 × £1,376 allowed, £624 above on one contract.
    # Birch: exactly at the rule is within it; one open flag.
    assert rows(figure) == [
        ("Alder Care", 2, 300000, 275200, 62400, 1, 0),
        ("Birch Homecare", 1, 137600, 137600, 0, 0, 1),
    ]


def test_isf_balances_follow_the_period_and_the_client_group(funds):
    # 30 April: the first contract held only £1,500 (£124 above); Cedar's contract was still in force
    # (£5,000 − £1,376 = £3,624 above); Birch's flag was found later. Largest surplus first.
    assert rows(spending.isf_balances(only(end=APR))) == [
        ("Cedar Support", 1, 500000, 137600, 362400, 1, 0),
        ("Alder Care", 2, 250000, 275200, 12400, 1, 0),
        ("Birch Homecare", 1, 137600, 137600, 0, 0, 0),
    ]
    assert rows(spending.isf_balances(only(client_group=LEARNING))) == [("Birch Homecare", 1, 137600, 137600, 0, 0, 1)]


def test_isf_surpluses_lists_the_contracts_above_the_rule(funds):
    first = funds["first"]
    figure = spending.isf_surpluses(PERIOD)
    assert rows(figure) == [(first.reference, "Alder Care", first.person.reference, 200000, 137600, 62400, 0)]
    assert rows(spending.isf_surpluses(only(area="N1"))) == []


# Payments ----------------------------------------------------------------------------------------

@pytest.fixture
def payments(db):
    """Payments by the month their period starts:

    - Birch Homecare (older person in E8): settled 6 April, sent 4 May, failed 1 June (£344.00 each);
      waiting to be sent 29 June, settled 9 March and 27 July: not counted.
    - Alder Care (learning disability in N1): settled 20 April (£100.00); cancelled 27 April.
    - Direct payments: £120.00 settled to an older person 6 April; £80.00 sent 6 April and £80.00
      failed 4 May to the person with a learning disability.
    """
    run = PaymentRun.objects.create(reference="RUN-TEST", run_on=APR, covers_until=JUN, gateway=Gateway.PAYMENT_FILE,
                                    trigger=RunTrigger.COMMAND)
    birch = ledger_contract(person=older_person())
    Organisation.objects.filter(pk=birch.provider_id).update(name="Birch Homecare")
    alder = ledger_contract(person=person_with_learning_disability())
    Organisation.objects.filter(pk=alder.provider_id).update(name="Alder Care")
    older, learning = older_person(), alder.person

    def pay(day, status, pence, *, contract=None, person=None):
        kind = PaymentKind.ISF_RELEASE if contract else PaymentKind.DIRECT_PAYMENT
        number = next(_keys)
        release = LedgerTransaction.objects.create(
            kind=TransactionKind.RELEASE if contract else TransactionKind.DIRECT_PAYMENT,
            description=f"Test payment {number}", occurred_on=day)
        Payment.objects.create(
            idempotency_key=f"test:{number}", kind=kind, run=run, contract=contract,
            person=contract.person if contract else person, payee_organisation=contract.provider if contract else None,
            period_start=day, period_end=day + datetime.timedelta(days=27), release_pence=pence, amount_pence=pence,
            status=status, gateway=Gateway.PAYMENT_FILE, release=release)

    pay(datetime.date(2026, 4, 6), PaymentStatus.SETTLED, 34400, contract=birch)
    pay(datetime.date(2026, 5, 4), PaymentStatus.SENT, 34400, contract=birch)
    pay(datetime.date(2026, 6, 1), PaymentStatus.FAILED, 34400, contract=birch)
    pay(datetime.date(2026, 6, 29), PaymentStatus.PENDING, 34400, contract=birch)
    pay(datetime.date(2026, 3, 9), PaymentStatus.SETTLED, 34400, contract=birch)
    pay(datetime.date(2026, 7, 27), PaymentStatus.SETTLED, 34400, contract=birch)
    pay(datetime.date(2026, 4, 20), PaymentStatus.SETTLED, 10000, contract=alder)
    pay(datetime.date(2026, 4, 27), PaymentStatus.CANCELLED, 10000, contract=alder)
    pay(datetime.date(2026, 4, 6), PaymentStatus.SETTLED, 12000, person=older)
    pay(datetime.date(2026, 4, 6), PaymentStatus.SENT, 8000, person=learning)
    pay(datetime.date(2026, 5, 4), PaymentStatus.FAILED, 8000, person=learning)


def test_payments_by_provider_and_month_with_failures_apart(payments):
    figure = spending.payments_by_provider(PERIOD)

    assert rows(figure) == [
        ("Alder Care", APR, 1, 10000, 0, 0),
        ("Birch Homecare", APR, 1, 34400, 0, 0),
        ("Birch Homecare", MAY, 1, 34400, 0, 0),
        ("Birch Homecare", JUN, 0, 0, 1, 34400),
        ("Direct payments to people", APR, 2, 20000, 0, 0),
        ("Direct payments to people", MAY, 0, 0, 1, 8000),
    ]
    assert figure.chart is None


def test_payments_by_provider_follow_client_group_area_and_period(payments):
    learning = [("Alder Care", APR, 1, 10000, 0, 0), ("Direct payments to people", APR, 1, 8000, 0, 0),
                ("Direct payments to people", MAY, 0, 0, 1, 8000)]
    assert rows(spending.payments_by_provider(only(client_group=LEARNING))) == learning
    assert rows(spending.payments_by_provider(only(area="N1"))) == learning
    assert rows(spending.payments_by_provider(only(start=MAY, end=MAY))) == [
        ("Birch Homecare", MAY, 1, 34400, 0, 0), ("Direct payments to people", MAY, 0, 0, 1, 8000)]


# Negotiation savings -----------------------------------------------------------------------------

@pytest.fixture
def negotiations(db):
    """Agreed negotiations by the day they closed (UK time):

    - for an older person: 10 April (£520.00 a year), 28 April (£260.00), 5 June (£130.00), and one
      closed at 23:30 UTC on 31 March — 00:30 on 1 April in the UK (£10.00); one declined in May.
    - for a person with a learning disability: 12 May (£52.00).
    """
    card = approved_listing()

    def line_for(person):
        return PlanLineFactory(plan=SupportPlanDraftFactory(person=person), rate_card=card)

    older, learning = line_for(older_person()), line_for(person_with_learning_disability())

    def agreed(line, closed_at, saving, status=NegotiationStatus.AGREED):
        NegotiationOpenFactory(line=line, status=status, closed_at=closed_at, annual_saving_pence=saving,
                               agreed_price_pence=2000 if status == NegotiationStatus.AGREED else None)

    agreed(older, at(datetime.date(2026, 4, 10)), 52000)
    agreed(older, at(datetime.date(2026, 4, 28)), 26000)
    agreed(older, at(datetime.date(2026, 6, 5)), 13000)
    agreed(older, datetime.datetime(2026, 3, 31, 23, 30, tzinfo=datetime.UTC), 1000)
    agreed(older, at(datetime.date(2026, 5, 20)), None, status=NegotiationStatus.DECLINED)
    agreed(older, at(datetime.date(2026, 7, 1)), 77700)
    agreed(learning, at(datetime.date(2026, 5, 12)), 5200)


def test_negotiation_savings_by_month_with_a_running_total(negotiations):
    figure = spending.negotiation_savings(PERIOD)

    # April: 520 + 260 + 10 = £790; May £52; June £130. Running: 790, 842, 972.
    assert rows(figure) == [(APR, 3, 79000, 79000), (MAY, 1, 5200, 84200), (JUN, 1, 13000, 97200)]
    assert "In total: 5 negotiations agreed, saving £972.00 a year." in figure.notes


def test_negotiation_savings_follow_client_group_area_and_period(negotiations):
    learning = [(APR, 0, 0, 0), (MAY, 1, 5200, 5200), (JUN, 0, 0, 5200)]
    assert rows(spending.negotiation_savings(only(client_group=LEARNING))) == learning
    assert rows(spending.negotiation_savings(only(area="N1"))) == learning
    assert rows(spending.negotiation_savings(only(start=JUN, end=datetime.date(2026, 7, 1)))) == [
        (JUN, 1, 13000, 13000), (datetime.date(2026, 7, 1), 1, 77700, 90700)]


# Every figure ------------------------------------------------------------------------------------

KINDS = {"count": int, "pence": int, "month": datetime.date, "date": datetime.date, "text": str}


@pytest.fixture
def everything(releases, funds, payments, negotiations):
    return None


def test_every_figure_holds_raw_values_of_its_columns_kinds(everything):
    for measure in spending.FIGURES:
        figure = measure(PERIOD)
        assert figure.rows, figure.slug
        for row in figure.rows:
            assert len(row) == len(figure.columns), figure.slug
            for value, column in zip(row, figure.columns, strict=True):
                if column.kind == "percent":
                    assert value is None or isinstance(value, Decimal)
                elif value is not None:
                    assert isinstance(value, KINDS[column.kind]) and not isinstance(value, bool), \
                        (figure.slug, column.label, value)
        if figure.chart is not None:
            assert all(figure.columns[index].kind in ("count", "pence", "percent") for index in figure.chart.series)
        assert figure.csv_rows()[0][0] and figure.formatted_rows()


def test_every_figure_works_with_nothing_recorded(db):
    for measure in spending.FIGURES:
        figure = measure(PERIOD)
        assert all(value in (0, None) or isinstance(value, datetime.date) for row in figure.rows for value in row)


def _queries(measure, filters) -> int:
    with CaptureQueriesContext(connection) as captured:
        measure(dataclasses.replace(filters))
    return len(captured)


def _more_of_everything():
    """Another four people with plans, payments, funds and negotiations, each."""
    card = approved_listing()
    council = ledger.council_account(AccountKind.COUNCIL_FUNDING)
    run = PaymentRun.objects.create(reference="RUN-MORE", run_on=APR, covers_until=JUN, gateway=Gateway.PAYMENT_FILE,
                                    trigger=RunTrigger.COMMAND)
    for index in range(4):
        contract = paid_contract(with_bank=False)
        person = contract.person
        signed_off(person, decided_on=datetime.date(2026, 3, 1), starts_on=APR, council_pence=20000, version=2,
                   status=PlanStatus.SUPERSEDED, card=card, lines=[(MANAGED, 2000, "5", None), (DP, 1500, "4", None)])
        line = PlanLineFactory(plan=SupportPlanDraftFactory(person=person, version=3), rate_card=card)
        NegotiationOpenFactory(line=line, status=NegotiationStatus.AGREED, closed_at=at(MAY), annual_saving_pence=100)
        fund = ledger.contract_fund_account(contract)
        for month in range(3):
            day = add_months(APR, month)
            transaction = ledger.post(kind=TransactionKind.RELEASE, description="More", occurred_on=day,
                                      contract=contract, entries=[(council, -200000), (fund, 200000)])
            Payment.objects.create(
                idempotency_key=f"more:{index}:{month}", kind=PaymentKind.ISF_RELEASE, run=run, contract=contract,
                person=person, payee_organisation=contract.provider, period_start=day, period_end=day,
                release_pence=200000, amount_pence=200000, status=PaymentStatus.SETTLED,
                gateway=Gateway.PAYMENT_FILE, release=transaction)
        SurplusFlag.objects.create(contract=contract, found_on=APR, balance_pence=2, allowed_pence=1, surplus_pence=1)


# Plans, then their lines; plans, then the ledger; contracts, their terms, the terms' plan lines, then
# the funds' balances; one grouped query each for payments and negotiations.
QUERIES = {"deployment_mix": 2, "spend_against_budgets": 3, "isf_balances": 5, "isf_surpluses": 5,
           "payments_by_provider": 1, "negotiation_savings": 1}


@pytest.mark.parametrize("measure", spending.FIGURES, ids=lambda measure: measure.__name__)
def test_queries_do_not_grow_with_records_or_months(everything, measure):
    short = Filters(start=APR, end=JUN, today=PERIOD.today)
    long = Filters(start=datetime.date(2024, 10, 1), end=datetime.date(2026, 9, 1), today=PERIOD.today)
    assert len(short.months()) == 3 and len(long.months()) == 24
    few = _queries(measure, short)
    assert few == QUERIES[measure.__name__]
    assert _queries(measure, long) == few
    assert measure(long).rows != measure(short).rows or measure.__name__.startswith("isf_")
    _more_of_everything()
    assert _queries(measure, short) == few
    assert _queries(measure, long) == few
    assert _queries(measure, only(client_group=LEARNING, area="N1")) == few
