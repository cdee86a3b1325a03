"""Which signed-off support plan is in force for each person on each day of a period: the one rule
every dashboard figure about budgets uses, read in one or two queries and shared by the figures
of a page (:meth:`cms.insight.filters.Filters.remember`).

On a day D a person's plan in force is, of their plans signed off (approved, since replaced, or
ended) on or before D that have started by D, the latest to start (the highest version if two
start on the same day) — as :func:`brokerage.transitional.plan_in_force` has it for today, with
the sign-off date added so that the past is counted as it was known then. An ended plan is in force
up to and including its ``ended_on``.
"""

import datetime
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Q
from django.utils import timezone

from brokerage.models import PlanLine, SupportPlan
from brokerage.transitional import IN_FORCE_STATUSES
from cms.insight.filters import Filters

ONE_DAY = datetime.timedelta(days=1)


def local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()


class LineRow(NamedTuple):
    """What the figures need of a plan line (plain values: a page may read thousands)."""

    pk: int
    route: str
    agreed_price_pence: int
    quantity_per_week: Decimal
    starts_on: datetime.date
    ends_on: datetime.date | None


@dataclass(frozen=True)
class PlanRow:
    """What the figures need of one signed-off plan and its person."""

    pk: int
    person_id: int
    client_group: str
    date_of_birth: datetime.date
    version: int
    decided_at: datetime.datetime
    decided_on: datetime.date
    starts_on: datetime.date
    ended_on: datetime.date | None
    weekly_council_pence: int
    lines: tuple[LineRow, ...] = field(default=(), compare=False)

    @property
    def effective_on(self) -> datetime.date:
        """The first day it can be in force: signed off and started."""
        return max(self.decided_on, self.starts_on)

    def in_force_on(self, day: datetime.date) -> bool:
        return self.effective_on <= day and (self.ended_on is None or self.ended_on >= day)


def _load(filters: Filters) -> dict[int, list[PlanRow]]:
    plans = (SupportPlan.objects.filter(filters.people("person__"), status__in=IN_FORCE_STATUSES,
                                        decided_at__isnull=False, starts_on__lte=filters.period_end)
             .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=filters.period_start))
             .order_by())
    rows = list(plans.values_list("pk", "person_id", "person__client_group", "person__date_of_birth", "version",
                                  "decided_at", "starts_on", "ended_on", "agreed_budget__weekly_council_pence"))
    lines: dict[int, list[LineRow]] = defaultdict(list)
    if rows:
        for plan_id, *fields in (PlanLine.objects.filter(plan__in=plans.values("pk")).order_by("plan_id", "position", "pk")
                                 .values_list("plan_id", *LineRow._fields)):
            lines[plan_id].append(LineRow(*fields))
    result: dict[int, list[PlanRow]] = defaultdict(list)
    for pk, person_id, group, born, version, decided_at, starts_on, ended_on, council_pence in rows:
        decided_on = local_date(decided_at)
        if decided_on > filters.period_end:
            continue
        result[person_id].append(PlanRow(pk=pk, person_id=person_id, client_group=group, date_of_birth=born,
                                         version=version, decided_at=decided_at, decided_on=decided_on,
                                         starts_on=starts_on, ended_on=ended_on,
                                         weekly_council_pence=council_pence or 0, lines=tuple(lines.get(pk, ()))))
    return result


def signed_off_plans(filters: Filters) -> dict[int, list[PlanRow]]:
    """``{person id: [PlanRow…]}``: the filtered people's signed-off plans that could be in force on
    some day of the period, with their lines (two queries, once per page)."""
    return filters.remember("signed-off-plans", lambda: _load(filters))


def plans_in_force(filters: Filters) -> dict[int, list[tuple[datetime.date, datetime.date, "PlanRow"]]]:
    """``{person id: windows(…)}`` over the period for every filtered person with a plan, worked
    out once per page."""
    def work():
        return {person_id: windows(plans, filters.period_start, filters.period_end)
                for person_id, plans in signed_off_plans(filters).items()}
    return filters.remember("plans-in-force", work)


def plan_in_force_on(plans: Iterable[PlanRow], day: datetime.date) -> PlanRow | None:
    """The person's plan in force on ``day`` (None: no budget that day)."""
    chosen = max((plan for plan in plans if plan.effective_on <= day),
                 key=lambda plan: (plan.starts_on, plan.version, plan.pk), default=None)
    return chosen if chosen is not None and (chosen.ended_on is None or chosen.ended_on >= day) else None


def windows(plans: list[PlanRow], first: datetime.date, last: datetime.date
            ) -> list[tuple[datetime.date, datetime.date, PlanRow]]:
    """The runs of days from ``first`` to ``last`` over which one plan stays in force (days with
    none are left out). Which plan is in force changes only on the day a plan becomes effective
    or the day after one ends, so only those days are looked at."""
    changes = sorted({first} | {day for plan in plans
                                for day in (plan.effective_on, plan.ended_on + ONE_DAY if plan.ended_on else None)
                                if day is not None and first < day <= last})
    found = []
    for index, start in enumerate(changes):
        end = changes[index + 1] - ONE_DAY if index + 1 < len(changes) else last
        plan = plan_in_force_on(plans, start)
        if plan is not None:
            found.append((start, end, plan))
    return found


def covered(days: list[datetime.date], start: datetime.date, end: datetime.date | None) -> range:
    """The indexes of ``days`` (sorted) that fall from ``start`` to ``end`` (None: no end)."""
    return range(bisect_left(days, start), len(days) if end is None else bisect_right(days, end))
