"""Self-directed support: the share of people with a personal budget, counted three ways
[DESIGN §2 "Reporting", K §3(2)-(4)], month by month, against the council's target.

Who counts, on a day D (the last day of each month, or today for this month):
- **has a personal budget**: they have a signed-off support plan in force on D (the rule is
  :mod:`cms.insight.in_force`'s);
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

The figures read four queries (plans and their lines, arranged services, reablement) however
many months and people, once for both figures of a page.
"""

import datetime
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q

from brokerage.constants import DIRECT_PAYMENT_ROUTES, DeploymentRoute, ServiceSetting, ServiceTerm
from brokerage.models import ArrangedService, BrokerageSettings, ReablementEpisode
from cms.insight.figures import Chart, Column, Figure, percent
from cms.insight.filters import Filters
from cms.insight.in_force import PlanRow, covered, plans_in_force, signed_off_plans
from marketplace.constants import ClientGroup

MANAGED_ROUTES = (DeploymentRoute.MANAGED_BUDGET, DeploymentRoute.INDIVIDUAL_SERVICE_FUND)
ADULT_AGE = 18

# How a personal budget is taken, for ASCOF 3D.
DIRECT = "direct"
PART_DIRECT = "part_direct"
MANAGED = "managed"

# What service someone had on a day, from least to most: none, short-term only, ongoing.
NONE, SHORT, ONGOING = 0, 1, 2


def how_taken(plan: PlanRow) -> str:
    routes = {line.route for line in plan.lines}
    direct, managed = bool(routes & set(DIRECT_PAYMENT_ROUTES)), bool(routes & set(MANAGED_ROUTES))
    if direct and managed:
        return PART_DIRECT
    return DIRECT if direct else MANAGED


@dataclass
class _Someone:
    client_group: str
    date_of_birth: datetime.date
    plans: list[PlanRow] = field(default_factory=list)
    # (starts, ends or None, ongoing?) for arranged community services and reablement.
    services: list[tuple[datetime.date, datetime.date | None, bool]] = field(default_factory=list)


def _services(filters: Filters, people: dict[int, _Someone]) -> None:
    """Add the arranged community services and reablement running at some time in the period."""
    first, last = filters.period_start, filters.period_end

    def someone(person_id, group, born) -> _Someone:
        if person_id not in people:
            people[person_id] = _Someone(group, born)
        return people[person_id]

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


@dataclass
class _Month:
    ni130_budgets: int = 0
    ni130_all: int = 0
    adass_budgets: int = 0
    adass_all: int = 0
    ascof: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    ascof_all: int = 0


def _adult_from(born: datetime.date) -> datetime.date:
    try:
        return born.replace(year=born.year + ADULT_AGE)
    except ValueError:  # born on 29 February
        return datetime.date(born.year + ADULT_AGE, 3, 1)


def _count(filters: Filters) -> list[tuple[datetime.date, _Month]]:
    """Each month of the period with its counts. Each person's plans and services are laid over
    the months they cover, so the work grows with the records, not with records × months."""
    people: dict[int, _Someone] = {}
    in_force = plans_in_force(filters)
    for person_id, plans in signed_off_plans(filters).items():
        people[person_id] = _Someone(plans[0].client_group, plans[0].date_of_birth, plans)
    _services(filters, people)
    months = filters.months()
    days = [filters.as_at(month) for month in months]
    counts = [_Month() for _ in months]
    for person_id, person in people.items():
        how = [None] * len(days)
        for start, end, plan in in_force.get(person_id, ()):
            taken = how_taken(plan)
            for index in covered(days, start, end):
                how[index] = taken
        service = [NONE] * len(days)
        for start, end, ongoing in person.services:
            level = ONGOING if ongoing else SHORT
            for index in covered(days, start, end):
                service[index] = max(service[index], level)
        carer = person.client_group == ClientGroup.CARER
        adult_from = bisect_left(days, _adult_from(person.date_of_birth))
        for index, month in enumerate(counts):
            budget = how[index]
            if budget is None and service[index] == NONE:
                continue
            month.ni130_all += 1
            month.ni130_budgets += budget is not None
            if carer or (budget is None and service[index] != ONGOING):
                continue
            month.adass_all += 1
            month.adass_budgets += budget is not None
            if index >= adult_from:
                month.ascof_all += 1
                if budget is not None:
                    month.ascof[budget] += 1
    return list(zip(months, counts, strict=True))


def _months(filters: Filters) -> list[tuple[datetime.date, _Month]]:
    return filters.remember("self-directed-support", lambda: _count(filters))


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
