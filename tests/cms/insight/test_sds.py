"""The self-directed support measures against a small data set worked out by hand."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from brokerage.constants import DeploymentRoute, PlanStatus, ServiceSetting, ServiceTerm
from brokerage.models import ArrangedService, BrokerageSettings, ReablementEpisode, SupportPlan
from cms.insight import sds
from cms.insight.filters import Filters
from marketplace.constants import ClientGroup
from tests.brokerage.factories import PersonFactory, PlanLineFactory, plan_ready
from tests.marketplace.factories import UserFactory

pytestmark = pytest.mark.django_db

DP, ISF, MANAGED = (DeploymentRoute.DIRECT_PAYMENT, DeploymentRoute.INDIVIDUAL_SERVICE_FUND,
                    DeploymentRoute.MANAGED_BUDGET)
TODAY = datetime.date(2026, 6, 15)
APRIL, MAY, JUNE = datetime.date(2026, 4, 1), datetime.date(2026, 5, 1), datetime.date(2026, 6, 1)


def on(year, month, day) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(year, month, day, 12))


def signed_off(person, *, decided, starts, routes, status=PlanStatus.APPROVED, ended_on=None, previous=None):
    plan = plan_ready(person=person, version=previous.version + 1 if previous else 1, previous=previous)
    plan.lines.update(route=routes[0])
    for route in routes[1:]:
        PlanLineFactory(plan=plan, route=route)
    SupportPlan.objects.filter(pk=plan.pk).update(status=status, decided_at=decided, starts_on=starts,
                                                  ended_on=ended_on)
    return plan


def arranged(person, *, starts, ends=None, setting=ServiceSetting.COMMUNITY, term=ServiceTerm.LONG_TERM):
    return ArrangedService.objects.create(person=person, description="Home care under the block contract",
                                          setting=setting, term=term, starts_on=starts, ends_on=ends,
                                          recorded_by=UserFactory())


@pytest.fixture
def people():
    """Eleven people; who counts in which month is worked out in the tests' comments."""
    group = ClientGroup
    p1, p2, p4, p6, p7, p9, p10, p11 = (PersonFactory() for _ in range(8))
    p3 = PersonFactory(client_group=group.PHYSICAL_DISABILITY)
    p5 = PersonFactory(client_group=group.CARER)
    p8 = PersonFactory(date_of_birth=datetime.date(2009, 1, 1))  # 17 all through 2026
    # Managed (an ISF) all the time.
    signed_off(p1, decided=on(2026, 3, 1), starts=datetime.date(2026, 3, 10), routes=[ISF])
    # Direct payments from 12 May.
    signed_off(p2, decided=on(2026, 5, 10), starts=datetime.date(2026, 5, 12), routes=[DP])
    # Part direct payments; support ended on 20 May.
    signed_off(p3, decided=on(2026, 2, 1), starts=datetime.date(2026, 2, 1), routes=[DP, MANAGED],
               status=PlanStatus.ENDED, ended_on=datetime.date(2026, 5, 20))
    # An ongoing community service the council arranges, no budget.
    arranged(p4, starts=datetime.date(2026, 1, 1))
    # A carer with a budget: NI130 only.
    signed_off(p5, decided=on(2026, 4, 1), starts=datetime.date(2026, 4, 1), routes=[MANAGED])
    # Reablement from 1 May, planned to 10 June, never closed: NI130 in May only.
    ReablementEpisode.objects.create(person=p6, starts_on=datetime.date(2026, 5, 1),
                                     planned_end_on=datetime.date(2026, 6, 10), created_by=UserFactory())
    # Residential care: never counted.
    arranged(p7, starts=datetime.date(2025, 1, 1), setting=ServiceSetting.RESIDENTIAL)
    # Under 18 with an ongoing service: NI130 and ADASS, not ASCOF.
    arranged(p8, starts=datetime.date(2026, 1, 1))
    # A short-term service through April: NI130 in April only.
    arranged(p9, starts=datetime.date(2026, 4, 1), ends=datetime.date(2026, 4, 30), term=ServiceTerm.SHORT_TERM)
    # A plan still waiting for sign-off: not a budget.
    waiting = plan_ready(person=p10)
    SupportPlan.objects.filter(pk=waiting.pk).update(status=PlanStatus.SUBMITTED)
    # Direct payments, then a revision signed off on 15 May that starts on 1 June, managed.
    first = signed_off(p11, decided=on(2026, 1, 1), starts=datetime.date(2026, 1, 1), routes=[DP],
                       status=PlanStatus.SUPERSEDED)
    signed_off(p11, decided=on(2026, 5, 15), starts=JUNE, routes=[ISF], previous=first)
    return {"p3": p3, "p4": p4}


def filters(**kwargs) -> Filters:
    return Filters(start=APRIL, end=JUNE, today=TODAY, **kwargs)


def test_ni130_adass_and_ascof_month_by_month(people):
    figure = sds.self_directed_support(filters())
    assert [row[0] for row in figure.rows] == [APRIL, MAY, JUNE]
    counts = [row[5:] for row in figure.rows]
    # April (30th): budgets P1 P3 P5 P11; clients P1 P3 P4 P5 P8 P9 P11. ADASS: P1 P3 P11 of P1 P3 P4 P8
    # P11. ASCOF: P1 P3 P11 of the adults P1 P3 P4 P11.
    # May (31st): budgets P1 P2 P5 P11; clients P1 P2 P4 P5 P6 P8 P11. ADASS: P1 P2 P11 of P1 P2 P4 P8
    # P11. ASCOF: P1 P2 P11 of P1 P2 P4 P11.
    # June (15th, today): budgets P1 P2 P5 P11; clients P1 P2 P4 P5 P8 P11 (P6's reablement ended).
    assert counts == [(4, 7, 3, 5, 3, 4), (4, 7, 3, 5, 3, 4), (4, 6, 3, 5, 3, 4)]
    percents = [row[1:5] for row in figure.rows]
    assert percents == [(Decimal("57.1"), Decimal("60.0"), Decimal("75.0"), Decimal(30)),
                        (Decimal("57.1"), Decimal("60.0"), Decimal("75.0"), Decimal(30)),
                        (Decimal("66.7"), Decimal("60.0"), Decimal("75.0"), Decimal(30))]


def test_ascof_by_how_the_budget_is_taken(people):
    figure = sds.ascof_breakdown(filters())
    # Direct, part direct, council-managed, no budget, all adults in long-term support.
    assert [row[1:] for row in figure.rows] == [
        (1, 1, 1, 1, 4),   # April: P11 direct, P3 part, P1 managed, P4 none
        (2, 0, 1, 1, 4),   # May: P2 and P11 direct (P11's revision starts in June), P1 managed
        (1, 0, 2, 1, 4),   # June: P2 direct, P1 and P11 managed
    ]


def test_filters_by_client_group_and_area(people):
    physical = sds.self_directed_support(filters(client_group=ClientGroup.PHYSICAL_DISABILITY))
    # Only P3: a budget in April, nothing after it ended; nothing to divide by is shown as none.
    assert [row[5:7] for row in physical.rows] == [(1, 1), (0, 0), (0, 0)]
    assert physical.rows[0][1] == Decimal("100.0") and physical.rows[1][1] is None
    people["p4"].postcode = "N16 5AA"
    people["p4"].save()
    n16 = sds.self_directed_support(filters(area="N16"))
    assert [row[5:7] for row in n16.rows] == [(0, 1), (0, 1), (0, 1)]
    assert n16.rows[0][1] == Decimal("0.0")


def test_the_target_is_the_councils_setting(people):
    settings = BrokerageSettings.load()
    settings.self_directed_support_target_percent = 45
    settings.save()
    figure = sds.self_directed_support(filters())
    assert {row[4] for row in figure.rows} == {Decimal(45)}
    assert figure.chart.target == Decimal(45)


def test_queries_do_not_grow_with_people_or_months(people):
    def queries(**kwargs):
        with CaptureQueriesContext(connection) as captured:
            sds.self_directed_support(Filters(today=TODAY, **kwargs))
        return len(captured)

    BrokerageSettings.load()  # the settings row is created on first use
    short = queries(start=APRIL, end=JUNE)
    long = queries(start=datetime.date(2024, 7, 1), end=JUNE)
    for _ in range(5):
        signed_off(PersonFactory(), decided=on(2026, 3, 1), starts=datetime.date(2026, 3, 1), routes=[DP, ISF])
        arranged(PersonFactory(), starts=datetime.date(2026, 2, 1))
    assert short == long == queries(start=APRIL, end=JUNE) == 5  # plans, their lines, services, reablement, target
