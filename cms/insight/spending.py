"""Money figures for the council's insight dashboards: how budgets are deployed, what the council
released against the budgets it agreed, what providers hold in Individual Service Funds, what was
paid to whom, and what price negotiations saved [K §3(2)-(4)].

Every figure is worked out from the plans, payments and ledger entries themselves, in a fixed
number of queries however many records or months there are: rows are read once and put into
months in Python.
"""

import datetime
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from brokerage.checks import line_weekly_pence
from brokerage.constants import DeploymentRoute, NegotiationStatus
from brokerage.models import Negotiation, Person
from cms.insight.figures import Chart, Column, Figure
from cms.insight.in_force import LineRow, covered, local_date, plans_in_force
from cms.insight.filters import Filters, first_of_month, last_day
from isf.constants import AccountKind, ContractStatus, PaymentKind, PaymentStatus, SurplusStatus
from isf.models import Entry, IsfContract, Payment
from isf.selectors.statements import RECEIVED_STATUSES
from isf.services.surpluses import surplus_allowed_many
from marketplace import money

SEVEN = Decimal(7)
# The contracts listed by surplus above the rule: enough to act on, short enough to read.
TOP_SURPLUSES = 20
PERSON_FILTER_NOTE = "Client group and area are those of the person the money is for."


def _months_between(months: list[tuple[datetime.date, datetime.date]], first: datetime.date,
                    last: datetime.date) -> Iterator[tuple[datetime.date, int]]:
    """Each of ``months`` (first and last days, in order) that ``first`` .. ``last`` (both
    included) touches, with how many of its days they cover."""
    index = bisect_left(months, first, key=lambda month: month[1])
    while index < len(months) and months[index][0] <= last:
        month_first, month_last = months[index]
        yield month_first, (min(last, month_last) - max(first, month_first)).days + 1
        index += 1


def _line_runs_on(line: LineRow, day: datetime.date) -> bool:
    return line.starts_on <= day and (line.ends_on is None or day <= line.ends_on)


# 1. Deployment mix -------------------------------------------------------------------------------

def deployment_mix(filters: Filters) -> Figure:
    routes = list(DeploymentRoute)
    months = filters.months()
    days = [filters.as_at(month) for month in months]
    weekly = [dict.fromkeys((route.value for route in routes), 0) for _ in months]
    for person_windows in plans_in_force(filters).values():
        for start, end, plan in person_windows:
            lines = [(line, line.route, line_weekly_pence(line)) for line in plan.lines]
            for index in covered(days, start, end):
                for line, route, cost in lines:
                    if _line_runs_on(line, days[index]):
                        weekly[index][route] += cost
    rows = [(month, *(totals[route.value] for route in routes), sum(totals.values()))
            for month, totals in zip(months, weekly, strict=True)]
    return Figure(
        slug="deployment-mix",
        title="Deployment mix by route",
        method=("For each month, on its last day (today for this month): each person's support plan in force "
                "that day (signed off by then, started, not ended, and of those the latest to start). The weekly "
                "cost of each line running that day (agreed price × hours or visits a week) is added to the "
                "route the line is paid by. Amounts are per week, including any contribution from the person."),
        columns=(Column("Month", "month"), *(Column(route.label, "pence") for route in routes),
                 Column("Total a week", "pence")),
        rows=tuple(rows),
        chart=Chart("stacked", label=0, series=tuple(range(1, len(routes) + 1))),
        empty="No support plans were in force in this period.",
        notes=(PERSON_FILTER_NOTE,),
    )


# 2. Spend against budgets ------------------------------------------------------------------------

def _council_outflow_by_month(filters: Filters) -> dict[datetime.date, int]:
    """What left the council's funding account in each month of the period (net of reversals)."""
    entries = Entry.objects.filter(account__kind=AccountKind.COUNCIL_FUNDING,
                                   transaction__occurred_on__gte=filters.period_start,
                                   transaction__occurred_on__lte=filters.period_end)
    people = filters.people()
    if people:
        # The funding account belongs to nobody: a release names its contract (and so the person);
        # a direct payment names the person through the account it paid into.
        chosen = Person.objects.filter(people).values("pk")
        entries = entries.filter(
            Q(transaction__contract__person__in=chosen)
            | Q(transaction__in=Entry.objects.filter(account__kind=AccountKind.DIRECT_PAYMENT,
                                                     account__person__in=chosen).values("transaction_id")))
    outflow: dict[datetime.date, int] = defaultdict(int)
    for day, total in (entries.order_by().values("transaction__occurred_on")
                       .annotate(total=Sum("amount_pence")).values_list("transaction__occurred_on", "total")):
        outflow[first_of_month(day)] -= total
    return outflow


def spend_against_budgets(filters: Filters) -> Figure:
    budget: dict[datetime.date, Decimal] = defaultdict(Decimal)
    months = [(month, last_day(month)) for month in filters.months()]
    for person_windows in plans_in_force(filters).values():
        for start, end, plan in person_windows:
            for month, days in _months_between(months, start, end):
                budget[month] += Decimal(plan.weekly_council_pence) * days
    released = _council_outflow_by_month(filters)
    rows = []
    for month in filters.months():
        agreed = money.round_pence(budget[month] / SEVEN)
        rows.append((month, agreed, released[month], released[month] - agreed))
    return Figure(
        slug="spend-against-budgets",
        title="Spend against agreed budgets",
        method=("Agreed budgets: for every day of the month (up to today for this month), the council's weekly "
                "share of the agreed budget of each person's support plan in force that day, divided by 7, added "
                "up and rounded to the penny once. Released: the money that left the council's funding account "
                "in the ledger in the month — ISF fund releases to providers and direct payments to people, by "
                "the first day of the period they pay for — less any of them reversed in the month. The "
                "difference is released minus agreed: above zero, more was released than the budgets allow."),
        columns=(Column("Month", "month"), Column("Agreed budgets (council share)", "pence"),
                 Column("Released by the council", "pence"), Column("Difference", "pence")),
        rows=tuple(rows),
        chart=Chart("line", label=0, series=(1, 2)),
        notes=(PERSON_FILTER_NOTE,
               "Agreed budgets are the amounts signed off; a protected level or a stepped reduction agreed for a "
               "lower new budget is paid on top of them, so it shows as a positive difference.",
               "Money is released in advance, four weeks at a time, so a month with a release for most "
               "contracts can be well above its budget and the next below."),
    )


# 3. ISF balances and surpluses -------------------------------------------------------------------

@dataclass(frozen=True)
class ContractBalance:
    reference: str
    provider_id: int
    provider: str
    person_reference: str
    held_pence: int
    allowed_pence: int | None
    open_flags: int

    @property
    def above_rule_pence(self) -> int:
        if self.allowed_pence is None:
            return 0
        return max(self.held_pence - self.allowed_pence, 0)


def _contracts_live_on(day: datetime.date) -> Q:
    """Contracts in force on ``day``: accepted by then, started, not past their end date and not
    ended (a declined offer was never in force)."""
    return (Q(starts_on__lte=day) & (Q(ends_on__isnull=True) | Q(ends_on__gte=day))
            & ~Q(accepted_at__date__gt=day)
            & (Q(status__in=[ContractStatus.ACTIVE, ContractStatus.SUSPENDED])
               | Q(status=ContractStatus.ENDED, accepted_at__isnull=False, ended_at__date__gt=day)))


def contract_balances(filters: Filters) -> list[ContractBalance]:
    """Every ISF contract in force at the end of the period, with what its fund held then, what the
    surplus rule allowed it to hold and its open surplus flags. Five queries however many."""
    day = filters.period_end
    contracts = IsfContract.objects.filter(_contracts_live_on(day), filters.people("person__"))
    rows = list(contracts.annotate(open_flags=Count("surplus_flags", filter=Q(surplus_flags__status=SurplusStatus.OPEN,
                                                                           surplus_flags__found_on__lte=day)))
                .order_by("pk").values_list("pk", "reference", "provider_id", "provider__name", "person__reference",
                                            "open_flags"))
    if not rows:
        return []
    held = dict(Entry.objects.filter(account__kind=AccountKind.CONTRACT_FUND, account__contract__in=contracts.values("pk"),
                                     transaction__occurred_on__lte=day)
                .order_by().values("account__contract_id").annotate(total=Sum("amount_pence"))
                .values_list("account__contract_id", "total"))
    allowed = surplus_allowed_many(contracts, day)
    return [ContractBalance(reference=reference, provider_id=provider_id, provider=provider,
                            person_reference=person_reference, held_pence=held.get(pk, 0),
                            allowed_pence=allowed.get(pk), open_flags=open_flags)
            for pk, reference, provider_id, provider, person_reference, open_flags in rows]


SURPLUS_RULE = ("The surplus rule allows a fund to hold the contract's carry-over weeks (usually 4) × its weekly "
                "amount net of the person's contribution, under the terms in force that day.")


def isf_balances(filters: Filters) -> Figure:
    by_provider: dict[int, list[ContractBalance]] = defaultdict(list)
    for balance in filters.remember("contract-balances", lambda: contract_balances(filters)):
        by_provider[balance.provider_id].append(balance)
    rows = []
    for balances in by_provider.values():
        rows.append((balances[0].provider, len(balances), sum(b.held_pence for b in balances),
                     sum(b.allowed_pence or 0 for b in balances), sum(b.above_rule_pence for b in balances),
                     sum(1 for b in balances if b.above_rule_pence), sum(b.open_flags for b in balances)))
    rows.sort(key=lambda row: (-row[4], -row[2], row[0]))
    return Figure(
        slug="isf-balances",
        title="Individual Service Fund balances by provider",
        method=("For each provider, the ISF contracts in force on the last day of the period (today for this "
                "month): what their funds held that day, from the ledger (money released and contributions paid "
                "in, less support delivered and money recovered); what the surplus rule allowed them to hold; "
                "and how much they held above it. " + SURPLUS_RULE + " Open surplus flags are those found by "
                "that day that no officer has yet recovered or left with the provider."),
        columns=(Column("Provider"), Column("Contracts", "count"), Column("Fund held", "pence"),
                 Column("Allowed by the surplus rule", "pence"), Column("Above the rule", "pence"),
                 Column("Contracts above the rule", "count"), Column("Open surplus flags", "count")),
        rows=tuple(rows),
        empty="No ISF contracts were in force at the end of this period.",
        notes=(PERSON_FILTER_NOTE, "Only the period's last day counts: earlier months do not change the figure."),
    )


def isf_surpluses(filters: Filters) -> Figure:
    above = sorted((balance for balance in filters.remember("contract-balances", lambda: contract_balances(filters))
                    if balance.above_rule_pence),
                   key=lambda balance: (-balance.above_rule_pence, balance.reference))[:TOP_SURPLUSES]
    return Figure(
        slug="isf-surpluses",
        title=f"ISF contracts holding most above the surplus rule (top {TOP_SURPLUSES})",
        method=("The ISF contracts in force on the last day of the period whose fund held more than the surplus "
                "rule allowed that day, largest surplus first. " + SURPLUS_RULE),
        columns=(Column("Contract"), Column("Provider"), Column("Person (case reference)"),
                 Column("Fund held", "pence"), Column("Allowed by the surplus rule", "pence"),
                 Column("Above the rule", "pence"), Column("Open surplus flags", "count")),
        rows=tuple((balance.reference, balance.provider, balance.person_reference, balance.held_pence,
                    balance.allowed_pence, balance.above_rule_pence, balance.open_flags) for balance in above),
        empty="No ISF fund held more than its surplus rule allows at the end of this period.",
        notes=(PERSON_FILTER_NOTE,),
    )


# 4. Payments by provider -------------------------------------------------------------------------

DIRECT_PAYMENTS_LABEL = "Direct payments to people"


def payments_by_provider(filters: Filters) -> Figure:
    made = [*RECEIVED_STATUSES, PaymentStatus.FAILED]
    grouped = (Payment.objects.filter(filters.people("person__"), status__in=made,
                                      period_start__gte=filters.period_start, period_start__lte=filters.period_end)
               .order_by().values("kind", "contract__provider_id", "contract__provider__name", "status",
                                  "period_start")
               .annotate(count=Count("pk"), total=Sum("amount_pence"))
               .values_list("kind", "contract__provider_id", "contract__provider__name", "status", "period_start",
                            "count", "total"))
    # {(payee, month): [paid count, paid pence, failed count, failed pence]}
    sums: dict[tuple[tuple[int, str], datetime.date], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for kind, provider_id, provider, status, period_start, count, total in grouped:
        # Direct payments sort after every provider.
        payee = (1, 0, DIRECT_PAYMENTS_LABEL) if kind == PaymentKind.DIRECT_PAYMENT else (0, provider_id, provider)
        bucket = sums[(payee, first_of_month(period_start))]
        offset = 2 if status == PaymentStatus.FAILED else 0
        bucket[offset] += count
        bucket[offset + 1] += total
    ordered = sorted(sums.items(), key=lambda item: (item[0][0][0], item[0][0][2].lower(), item[0][0][1],
                                                     item[0][1]))
    return Figure(
        slug="payments-by-provider",
        title="Payments by provider and month",
        method=("ISF fund releases paid to each provider, and direct payments paid to people (one row a month for "
                "them all), by the month in which the period paid for starts. Paid counts the payments the "
                "gateway took or that are confirmed paid; failed counts those refused or returned and not yet "
                "sent again. Amounts are what was sent: the council's release plus any card contributions "
                "passed on with it."),
        columns=(Column("Paid to"), Column("Month", "month"), Column("Payments", "count"),
                 Column("Amount paid", "pence"), Column("Failed payments", "count"), Column("Amount failed", "pence")),
        rows=tuple((payee[2], month, *values) for (payee, month), values in ordered),
        empty="No payments were made for periods starting in this period.",
        notes=(PERSON_FILTER_NOTE, "Payments waiting to be sent and payments cancelled are not counted."),
    )


# 5. Negotiation savings --------------------------------------------------------------------------

def negotiation_savings(filters: Filters) -> Figure:
    agreed = (Negotiation.objects.filter(filters.people("line__plan__person__"), status=NegotiationStatus.AGREED,
                                         closed_at__date__gte=filters.period_start,
                                         closed_at__date__lte=filters.period_end)
              .order_by().values_list("closed_at", "annual_saving_pence"))
    counts: dict[datetime.date, int] = defaultdict(int)
    savings: dict[datetime.date, int] = defaultdict(int)
    for closed_at, saving in agreed:
        month = first_of_month(local_date(closed_at))
        counts[month] += 1
        savings[month] += saving or 0
    rows, running = [], 0
    for month in filters.months():
        running += savings[month]
        rows.append((month, counts[month], savings[month], running))
    total_count = sum(counts.values())
    return Figure(
        slug="negotiation-savings",
        title="Savings from price negotiations",
        method=("Price negotiations agreed in each month, and the saving recorded when each was agreed: the "
                "provider's listed price less the agreed price, × the hours or visits a week, × 52 weeks. The "
                "last column adds the months up, so its last row is the total for the period."),
        columns=(Column("Month", "month"), Column("Negotiations agreed", "count"),
                 Column("Annual saving agreed", "pence"), Column("Annual saving so far", "pence")),
        rows=tuple(rows),
        chart=Chart("line", label=0, series=(2,)),
        notes=(PERSON_FILTER_NOTE,
               f"In total: {total_count:,} negotiation{'' if total_count == 1 else 's'} agreed, saving "
               f"{money.format_pence(running)} a year."),
    )


FIGURES = [deployment_mix, spend_against_budgets, isf_balances, isf_surpluses, payments_by_provider,
           negotiation_savings]
