"""Self-directed support: the share of people with a personal budget, counted three ways
[DESIGN §2 "Reporting", K §3(2)-(4)], month by month, against the council's target.

Who counts, on a day D (the last day of each month, or today for this month):
- **has a personal budget**: their latest support plan signed off on or before D that had started
  by D (approved, or since replaced or ended) has not ended before D;
- **receives a community service**: has a personal budget, or a service the council arranges in
  the community outside a budget (:class:`brokerage.models.ArrangedService`) running on D, or a
  spell of reablement running on D (its planned end if it has not been closed);
- **ongoing (long-term) community support**: has a personal budget, or an ongoing arranged
  community service running on D. Reablement and short-term services are not ongoing; residential
  care is not community support.

The measures:
- **NI130**: people with a personal budget ÷ all clients and carers receiving a community
  service;
- **ADASS**: the same, counting only people with ongoing services, carers left out;
- **ASCOF 3D**: adults (18 or over on D; carers left out) on direct payments, part direct payments
  or a council-managed personal budget ÷ all adults in long-term community support. "Part direct
  payment" is a budget with both direct-payment lines and lines the council or a provider manages.

Each figure reads three queries (plans, arranged services, reablement) however many months and
people, and buckets the rows by month in Python.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone

from brokerage.constants import DIRECT_PAYMENT_ROUTES, DeploymentRoute, PlanStatus, ServiceSetting, ServiceTerm
from brokerage.models import ArrangedService, BrokerageSettings, ReablementEpisode, SupportPlan
from cms.insight.figures import Chart, Column, Figure, percent
from cms.insight.filters import Filters
from marketplace.constants import ClientGroup

SIGNED_OFF = (PlanStatus.APPROVED, PlanStatus.SUPERSEDED, PlanStatus.ENDED)
MANAGED_ROUTES = (DeploymentRoute.MANAGED_BUDGET, DeploymentRoute.INDIVIDUAL_SERVICE_FUND)
ADULT_AGE = 18

# How a personal budget is taken, for ASCOF 3D.
DIRECT = "direct"
PART_DIRECT = "part_direct"
MANAGED = "managed"


@dataclass(frozen=True)
class _Plan:
    decided_on: datetime.date
    starts_on: datetime.date
    ended_on: datetime.date | None
    how: str


@dataclass
class _Someone:
    client_group: str
    date_of_birth: datetime.date
    plans: list[_Plan]
    # (starts, ends or None, ongoing?) for arranged community services and reablement.
    services: list[tuple[datetime.date, datetime.date | None, bool]]

    def budget_on(self, day: datetime.date) -> str | None:
        """How the person's personal budget in force on ``day`` is taken (None: no budget)."""
        started = [plan for plan in self.plans if plan.decided_on <= day and plan.starts_on <= day]
        if not started:
            return None
        latest = started[-1]
        return latest.how if latest.ended_on is None or latest.ended_on >= day else None

    def service_on(self, day: datetime.date, *, ongoing: bool) -> bool:
        return any(starts <= day and (ends is None or ends >= day) and (long_term or not ongoing)
                   for starts, ends, long_term in self.services)

    def is_carer(self) -> bool:
        return self.client_group == ClientGroup.CARER

    def is_adult_on(self, day: datetime.date) -> bool:
        born = self.date_of_birth
        return (day.year - born.year - ((day.month, day.day) < (born.month, born.day))) >= ADULT_AGE


def _how(direct_lines: int, managed_lines: int) -> str:
    if direct_lines and managed_lines:
        return PART_DIRECT
    return DIRECT if direct_lines else MANAGED


def _people(filters: Filters) -> list[_Someone]:
    """Everyone who had a signed-off plan, an arranged community service or reablement at some
    time in the period, with what they had."""
    first, last = filters.period_start, filters.period_end
    people: dict[int, _Someone] = {}

    def someone(person_id, client_group, born) -> _Someone:
        if person_id not in people:
            people[person_id] = _Someone(client_group, born, [], [])
        return people[person_id]

    plans = (SupportPlan.objects.filter(filters.people("person__"), status__in=SIGNED_OFF,
                                        decided_at__isnull=False, starts_on__lte=last)
             .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=first))
             .order_by("person_id", "decided_at", "pk")
             .annotate(direct=Count("lines", filter=Q(lines__route__in=DIRECT_PAYMENT_ROUTES)),
                       managed=Count("lines", filter=Q(lines__route__in=MANAGED_ROUTES)))
             .values_list("person_id", "person__client_group", "person__date_of_birth", "decided_at", "starts_on",
                          "ended_on", "direct", "managed"))
    for person_id, group, born, decided_at, starts_on, ended_on, direct, managed in plans:
        someone(person_id, group, born).plans.append(
            _Plan(timezone.localdate(decided_at), starts_on, ended_on, _how(direct, managed)))

    services = (ArrangedService.objects.filter(filters.people("person__"), setting=ServiceSetting.COMMUNITY,
                                               starts_on__lte=last)
                .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=first)).order_by()
                .values_list("person_id", "person__client_group", "person__date_of_birth", "starts_on", "ends_on",
                             "term"))
    for person_id, group, born, starts_on, ends_on, term in services:
        someone(person_id, group, born).services.append((starts_on, ends_on, term == ServiceTerm.LONG_TERM))

    reablement = (ReablementEpisode.objects.filter(filters.people("person__"), starts_on__lte=last)
                  .filter(Q(ended_on__gte=first) | Q(ended_on__isnull=True, planned_end_on__gte=first)).order_by()
                  .values_list("person_id", "person__client_group", "person__date_of_birth", "starts_on",
                               "ended_on", "planned_end_on"))
    for person_id, group, born, starts_on, ended_on, planned_end_on in reablement:
        someone(person_id, group, born).services.append((starts_on, ended_on or planned_end_on, False))
    return list(people.values())


@dataclass(frozen=True)
class _Month:
    ni130_budgets: int
    ni130_all: int
    adass_budgets: int
    adass_all: int
    ascof: dict[str, int]
    ascof_all: int


def _count(people: list[_Someone], day: datetime.date) -> _Month:
    ni130_budgets = ni130_all = adass_budgets = adass_all = ascof_all = 0
    ascof: dict[str, int] = defaultdict(int)
    for person in people:
        how = person.budget_on(day)
        if how is not None or person.service_on(day, ongoing=False):
            ni130_all += 1
            ni130_budgets += how is not None
        if person.is_carer() or not (how is not None or person.service_on(day, ongoing=True)):
            continue
        adass_all += 1
        adass_budgets += how is not None
        if person.is_adult_on(day):
            ascof_all += 1
            if how is not None:
                ascof[how] += 1
    return _Month(ni130_budgets, ni130_all, adass_budgets, adass_all, ascof, ascof_all)


def _months(filters: Filters) -> list[tuple[datetime.date, _Month]]:
    people = _people(filters)
    return [(month, _count(people, filters.as_at(month))) for month in filters.months()]


def target_percent() -> Decimal:
    return Decimal(BrokerageSettings.load().self_directed_support_target_percent)


def self_directed_support(filters: Filters) -> Figure:
    target = target_percent()
    rows = []
    for month, counts in _months(filters):
        ascof = sum(counts.ascof.values())
        rows.append((month, percent(counts.ni130_budgets, counts.ni130_all),
                     percent(counts.adass_budgets, counts.adass_all), percent(ascof, counts.ascof_all), target,
                     counts.ni130_budgets, counts.ni130_all, counts.adass_budgets, counts.adass_all, ascof,
                     counts.ascof_all))
    return Figure(
        slug="self-directed-support",
        title="Self-directed support",
        method=(
            "Counted on the last day of each month (today for this month). NI130: people with a personal budget "
            "(a signed-off support plan in force) as a share of all clients and carers receiving a community "
            "service — a personal budget, a service the council arranges in the community, or reablement. ADASS: "
            "the same for people with ongoing services only, carers left out. ASCOF 3D: adults (18 or over) on "
            "direct payments, part direct payments or a council-managed personal budget as a share of all adults "
            "in long-term community support, carers left out. Residential care is not counted. The target is the "
            "council's, set in the brokerage settings."),
        columns=(Column("Month", "month"), Column("NI130", "percent"), Column("ADASS", "percent"),
                 Column("ASCOF 3D", "percent"), Column("Target", "percent"),
                 Column("NI130: with a budget", "count"), Column("NI130: all clients and carers", "count"),
                 Column("ADASS: with a budget", "count"), Column("ADASS: ongoing services", "count"),
                 Column("ASCOF 3D: self-directed", "count"), Column("ASCOF 3D: adults in long-term support", "count")),
        rows=tuple(rows),
        chart=Chart("line", label=0, series=(1, 2, 3), target=target, target_label=f"Target {target}%"),
    )


def ascof_breakdown(filters: Filters) -> Figure:
    rows = []
    for month, counts in _months(filters):
        direct, part, managed = counts.ascof[DIRECT], counts.ascof[PART_DIRECT], counts.ascof[MANAGED]
        rows.append((month, direct, part, managed, counts.ascof_all - direct - part - managed, counts.ascof_all))
    return Figure(
        slug="ascof-3d-by-route",
        title="How adults in long-term support take their budget",
        method=(
            "Adults (18 or over, carers left out) in long-term community support on the last day of each month, "
            "by how their personal budget is taken: all of it as direct payments (to them or managed by a third "
            "party), part direct payments and part managed by the council or a provider, or all managed by the "
            "council or a provider (a council-managed budget or an Individual Service Fund). \"No personal "
            "budget\" are people with an ongoing service the council arranges outside a budget."),
        columns=(Column("Month", "month"), Column("Direct payments", "count"), Column("Part direct payments", "count"),
                 Column("Council-managed budget", "count"), Column("No personal budget", "count"),
                 Column("All adults in long-term support", "count")),
        rows=tuple(rows),
        chart=Chart("stacked", label=0, series=(1, 2, 3, 4)),
    )


FIGURES = [self_directed_support, ascof_breakdown]
