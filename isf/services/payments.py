"""Payment runs: what each active ISF contract and each direct payment is due for the coming
period, recorded once, posted to the ledger and sent through a payment gateway [DESIGN §4].

A run (:func:`payment_run_start`, then :func:`payment_run_execute`) works in four steps.

1. Record. Active contracts are taken in chunks ordered by primary key; each chunk is one
   transaction that locks the chunk's contract rows, works out each contract's due periods and
   records a :class:`~isf.models.Payment` and its ledger release for each. Suspended and offered
   contracts are not paid.

   A contract's periods are ``payment_weeks`` × 7 days long, counted from its start. A period is
   due when it starts on or before the run's ``covers_until`` (the run date plus
   ``PAYMENT_LEAD_DAYS``: paid in advance), has not finished before the run date (a finished
   period is never caught up: the contract may have been suspended then), starts on or before
   the contract's end, and has no payment yet.

   The amount is worked out day by day over the days of the period inside the contract: the
   terms in force that day give the weekly amount net of the person's contribution; when the
   plan's weekly budget that day (a protected level, or a step of a taper) is above the plan's
   agreed budget, the amount is scaled up by the same factor, because the plan's lines are paid
   pro rata at the higher level [H V]; a day is a seventh of that. The days are summed exactly
   in ``Decimal`` and rounded to the penny once. Nothing is paid for a period worth nothing.

   Card contributions the council collected for a contract (succeeded, not yet passed on) go to
   the provider with the contract's next payment: ``amount = release + contributions``.

   Direct payments are worked out the same way for each person whose approved plan in force has
   direct-payment lines (paid to the person or to a third-party manager): four-weekly periods
   counted from ``DIRECT_PAYMENT_ANCHOR``; each day pays a seventh of the weekly cost of the
   direct-payment lines running that day, less the part of the person's weekly contribution not
   already taken by the plan's ISF lines, scaled by the same factor. A person is not a Stripe
   connected account, so direct payments always leave in the payment file.

2. Send. After each chunk commits, the payments waiting to be sent (this run's, and any earlier
   run's that failed or whose outcome was never recorded) are sent: their rows are locked, their
   status read again, and the gateway called with each payment's idempotency key. A gateway that
   makes no network call (the payment file) takes a chunk's payments in one transaction; one that
   does (Stripe) takes each payment in its own. A payment belongs to the run that sent it, so
   that run's payment file and remittances list it. A crash between the gateway call and the
   record leaves it waiting; the next run sends it again with the same key and the gateway does
   not pay twice.

3. Remittances: one per provider paid in the run, listing the run's payments to it and settling
   the provider's approved invoices (→ paid).

4. Complete: the run's summary (payments made, total) is written from the payments themselves.

Running a run again, or two workers running it at the same time, pays nothing twice: a worker
waits for the other's lock on a chunk, then sees the payments already recorded; the database
refuses a second payment or ledger posting with the same key.
"""

import datetime
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, F, IntegerField, Prefetch, Sum, Value, When, prefetch_related_objects
from django.utils import timezone

from brokerage.checks import line_weekly_pence
from brokerage.constants import DIRECT_PAYMENT_ROUTES, DeploymentRoute, PlanStatus
from brokerage.models import Person, PlanLine, SupportPlan
from brokerage.transitional import IN_FORCE_STATUSES, weekly_budget_under
from isf import ledger
from isf.constants import (
    DIRECT_PAYMENT_ANCHOR,
    DIRECT_PAYMENT_WEEKS,
    PAYMENT_LEAD_DAYS,
    AccountKind,
    CardPaymentStatus,
    ContractStatus,
    Gateway,
    InvoiceStatus,
    PaymentKind,
    PaymentStatus,
    RunStatus,
    RunTrigger,
    TransactionKind,
)
from isf.gateways import GatewayError, Sent, gateway_for
from isf.gateways.payment_file import payee_name
from isf.models import Account, CardPayment, ContractTerms, Invoice, IsfContract, Payment, PaymentRun, Remittance
from isf.selectors.contracts import weekly_amounts
from isf.services.payment_outcomes import payment_fail, payment_settle
from marketplace import audit, money
from marketplace.constants import Role
from marketplace.models import User
from marketplace.permissions import require_role
from marketplace.transitions import transition

__all__ = ["payment_run_start", "payment_run_execute", "payment_run_scheduled", "payment_cancel",
           "payment_file_confirm"]

ONE = Decimal(1)
SEVEN = Decimal(7)
SENT_STATUSES = (PaymentStatus.SENT, PaymentStatus.SETTLED)
# Waiting to be sent: recorded and never sent (or its outcome lost in a crash), or refused last time.
WAITING_STATUSES = (PaymentStatus.PENDING, PaymentStatus.FAILED)
Period = tuple[datetime.date, datetime.date]


# Starting a run ---------------------------------------------------------------------------------

def _direct_payment_people():
    """People with an approved plan (in force now or before) that has direct-payment lines."""
    return (Person.objects.filter(plans__status__in=IN_FORCE_STATUSES, plans__lines__route__in=DIRECT_PAYMENT_ROUTES)
            .values_list("pk", flat=True).distinct())


@transaction.atomic
def payment_run_start(*, by: User | None, trigger: str, run_on: datetime.date | None = None,
                      gateway: str | None = None) -> PaymentRun:
    """Start a payment run for ``run_on`` (today by default), paying periods that start up to
    ``PAYMENT_LEAD_DAYS`` later, through ``gateway`` (``settings.PAYMENT_GATEWAY`` by default).
    The run does nothing until :func:`payment_run_execute` runs it. Audited ``paymentrun.started``.

    Raises ``PermissionDenied`` when a person starts it (``by`` given, or from the console) without
    being a finance officer; ``ValidationError`` for an unknown trigger or gateway.
    """
    if trigger not in RunTrigger.values:
        raise ValidationError({"trigger": [f"{trigger} is not a way of starting a payment run"]})
    if by is not None or trigger == RunTrigger.CONSOLE:
        require_role(by, Role.FINANCE_OFFICER)
    run_on = run_on or timezone.localdate()
    gateway = gateway or settings.PAYMENT_GATEWAY
    if gateway not in Gateway.values:
        raise ValidationError({"gateway": [f"Choose a payment gateway: {', '.join(Gateway.values)}"]})
    to_check = IsfContract.objects.filter(status=ContractStatus.ACTIVE).count() + _direct_payment_people().count()
    prefix = f"PR-{run_on:%Y%m%d}-"
    number = PaymentRun.objects.filter(reference__startswith=prefix).count() + 1
    while True:
        try:
            with transaction.atomic():
                run = PaymentRun.objects.create(
                    reference=f"{prefix}{number}", run_on=run_on,
                    covers_until=run_on + datetime.timedelta(days=PAYMENT_LEAD_DAYS), gateway=gateway,
                    trigger=trigger, started_by=by, to_check=to_check)
            break
        except IntegrityError:
            # Another run started for the same day at the same moment took the number.
            number += 1
    audit.record(actor=by, verb="paymentrun.started", target=run,
                 after={"reference": run.reference, "run_on": run_on.isoformat(),
                        "covers_until": run.covers_until.isoformat(), "gateway": gateway, "trigger": trigger,
                        "to_check": to_check})
    return run


# Periods and amounts ----------------------------------------------------------------------------

def _periods(first_start: datetime.date, length_days: int, run: PaymentRun) -> list[Period]:
    """Periods of ``length_days`` counted from ``first_start`` (either way) that have not finished
    before the run date and start on or before ``covers_until``."""
    index = (run.run_on - first_start).days // length_days
    periods = []
    start = first_start + datetime.timedelta(days=index * length_days)
    step = datetime.timedelta(days=length_days)
    while start <= run.covers_until:
        periods.append((start, start + step - datetime.timedelta(days=1)))
        start += step
    return periods


def _isf_periods(contract: IsfContract, run: PaymentRun) -> list[Period]:
    if run.covers_until < contract.starts_on:
        return []
    periods = [(start, end) for start, end in _periods(contract.starts_on, contract.payment_weeks * 7, run)
               if start >= contract.starts_on]
    if contract.ends_on is not None:
        periods = [(start, end) for start, end in periods if start <= contract.ends_on]
    return periods


def _direct_payment_periods(run: PaymentRun) -> list[Period]:
    return _periods(DIRECT_PAYMENT_ANCHOR, DIRECT_PAYMENT_WEEKS * 7, run)


def _days(first: datetime.date, last: datetime.date):
    day = first
    while day <= last:
        yield day
        day += datetime.timedelta(days=1)


class _Rates:
    """Per-run caches of what does not change from day to day: each terms' net weekly amount and
    each plan's transitional factor on a day."""

    def __init__(self):
        self.net: dict[int, int] = {}
        self.factors: dict[tuple[int, datetime.date], Decimal] = {}

    def net_pence(self, terms: ContractTerms) -> int:
        if terms.pk not in self.net:
            self.net[terms.pk] = weekly_amounts(terms).net_pence
        return self.net[terms.pk]

    def factor(self, plan: SupportPlan, day: datetime.date) -> Decimal:
        """How much higher than its agreed budget the plan's weekly budget is on ``day`` (a
        protected level or a taper step); 1 when it is not higher."""
        key = (plan.pk, day)
        if key not in self.factors:
            agreed = plan.agreed_budget.weekly_total_pence if plan.agreed_budget_id else 0
            level = weekly_budget_under(plan, day) if agreed else None
            self.factors[key] = Decimal(level) / Decimal(agreed) if level is not None and level > agreed else ONE
        return self.factors[key]


def _terms_ascending(contract: IsfContract) -> list[ContractTerms]:
    terms = list(contract.terms.all())
    terms.sort(key=lambda row: (row.effective_from, row.pk))
    return terms


def isf_period_release_pence(contract: IsfContract, start: datetime.date, end: datetime.date,
                             rates: _Rates | None = None) -> int:
    """The council's money for ``contract`` from ``start`` to ``end`` (see the module's rule),
    rounded once. No queries when the contract comes from the run's prefetch."""
    rates = rates or _Rates()
    terms = _terms_ascending(contract)
    first = max(start, contract.starts_on)
    last = min(end, contract.ends_on) if contract.ends_on else end
    total = Decimal(0)
    for day in _days(first, last):
        # The terms in force: the latest starting on or before the day (terms_on's rule).
        in_force = None
        for row in terms:
            if row.effective_from > day:
                break
            in_force = row
        if in_force is None:
            continue
        net = rates.net_pence(in_force)
        if net:
            total += Decimal(net) * rates.factor(in_force.plan, day)
    return money.round_pence(total / SEVEN)


def _plan_in_force(plans: list[SupportPlan], day: datetime.date) -> SupportPlan | None:
    """``brokerage.transitional.plan_in_force`` over plans already loaded, newest start first."""
    for plan in plans:
        if plan.starts_on <= day:
            if plan.status == PlanStatus.ENDED and plan.ended_on is not None and plan.ended_on < day:
                return None
            return plan
    return None


def direct_payment_period_pence(plans: list[SupportPlan], start: datetime.date, end: datetime.date,
                                rates: _Rates | None = None) -> int:
    """A person's direct payment from ``start`` to ``end`` (see the module's rule), rounded once.
    ``plans`` are the person's approved plans (approved, superseded or ended) with their agreed
    budgets, transitions and lines loaded."""
    rates = rates or _Rates()
    plans = sorted(plans, key=lambda plan: (plan.starts_on, plan.version), reverse=True)
    total = Decimal(0)
    for day in _days(start, end):
        plan = _plan_in_force(plans, day)
        if plan is None:
            continue
        lines = plan.lines.all()
        direct = sum(line_weekly_pence(line) for line in lines
                     if line.route in DIRECT_PAYMENT_ROUTES and line.starts_on <= day
                     and (line.ends_on is None or day <= line.ends_on))
        if not direct:
            continue
        contribution = plan.agreed_budget.weekly_contribution_pence if plan.agreed_budget_id else 0
        isf = sum(line_weekly_pence(line) for line in lines if line.route == DeploymentRoute.INDIVIDUAL_SERVICE_FUND)
        weekly = max(0, direct - (contribution - min(contribution, isf)))
        if weekly:
            total += Decimal(weekly) * rates.factor(plan, day)
    return money.round_pence(total / SEVEN)


# Recording ----------------------------------------------------------------------------------------

_LINE_FIELDS = ("pk", "plan_id", "route", "agreed_price_pence", "quantity_per_week", "starts_on", "ends_on")


# Only what the amounts read: the terms' and plans' other columns (outcomes, notes) cost more to
# load than everything else in a chunk.
_TERMS_FIELDS = (
    "pk", "contract_id", "plan_id", "plan_line_id", "effective_from", "weekly_pence",
    "plan__agreed_budget_id", "plan__agreed_budget__weekly_total_pence",
    "plan__agreed_budget__weekly_contribution_pence",
    "plan__budget_transition__plan_id", "plan__budget_transition__kind",
    "plan__budget_transition__from_weekly_pence", "plan__budget_transition__to_weekly_pence",
    "plan__budget_transition__starts_on", "plan__budget_transition__weeks")


def _load_terms(contracts: list[IsfContract]) -> None:
    """Load everything the amounts of ``contracts`` need, in a fixed number of queries however
    many contracts and terms there are."""
    prefetch_related_objects(
        contracts,
        Prefetch("terms", queryset=ContractTerms.objects.select_related(
            "plan", "plan__agreed_budget", "plan__budget_transition").only(*_TERMS_FIELDS)),
        Prefetch("terms__plan__lines", queryset=PlanLine.objects.only(*_LINE_FIELDS)))


def _fmt(day: datetime.date) -> str:
    return f"{day:%-d %b %Y}"


def _accounts_for(kind: str, owner: str, names: dict[int, str]) -> dict[int, Account]:
    """The ledger account of ``kind`` for each owner id in ``names``, creating the missing ones in
    one insert (named as :mod:`isf.ledger` names them). Creating them one by one through the
    ledger's getters cost four queries a contract on a run's first pass; a concurrent creation
    is ignored here and read back."""
    field = f"{owner}_id"
    found = {getattr(account, field): account
             for account in Account.objects.filter(kind=kind, **{f"{field}__in": list(names)})}
    missing = [owner_id for owner_id in names if owner_id not in found]
    if missing:
        Account.objects.bulk_create([Account(kind=kind, name=names[owner_id][:200], **{field: owner_id})
                                     for owner_id in missing], ignore_conflicts=True)
        found.update({getattr(account, field): account
                      for account in Account.objects.filter(kind=kind, **{f"{field}__in": missing})})
    return found


class _Due:
    """One payment a chunk will record, with the ledger posting that releases its money."""

    def __init__(self, *, key: str, kind: str, period: Period, release: int, posting: ledger.Posting,
                 contract: IsfContract | None, person_id: int, payee_organisation, gateway: str,
                 cards: list[CardPayment] = ()):
        self.key, self.kind, self.period, self.release, self.posting = key, kind, period, release, posting
        self.contract, self.person_id = contract, person_id
        self.payee_organisation, self.gateway = payee_organisation, gateway
        self.cards = list(cards)


def _record_due(run: PaymentRun, due: list[_Due], by: User | None) -> list[tuple[int, str]]:
    """Post the releases of ``due`` and record their payments (and the card contributions they pass
    on): a fixed number of queries however many. Runs inside the chunk's transaction."""
    if not due:
        return []
    releases = ledger.post_many([item.posting for item in due], by=by)
    payments = Payment.objects.bulk_create([
        Payment(idempotency_key=item.key, kind=item.kind, run=run, contract=item.contract, person_id=item.person_id,
                payee_organisation=item.payee_organisation, period_start=item.period[0], period_end=item.period[1],
                release_pence=item.release, contributions_pence=sum(card.amount_pence for card in item.cards),
                amount_pence=item.release + sum(card.amount_pence for card in item.cards), gateway=item.gateway,
                release=posted)
        for item, posted in zip(due, releases)])
    passed_on = {card.pk: payment.pk for item, payment in zip(due, payments) for card in item.cards}
    if passed_on:
        CardPayment.objects.filter(pk__in=list(passed_on)).update(passed_on_in_id=Case(
            *(When(pk=card, then=Value(payment)) for card, payment in passed_on.items()),
            output_field=IntegerField()))
    audit.record_many(actor=by, events=[
        {"verb": "payment.recorded", "target": payment, "organisation": item.payee_organisation,
         "after": {"key": item.key, "run": run.reference, "amount_pence": payment.amount_pence,
                   "release_pence": item.release, "contributions_pence": payment.contributions_pence,
                   "period": [item.period[0].isoformat(), item.period[1].isoformat()], "gateway": item.gateway}}
        for item, payment in zip(due, payments)])
    return [(payment.pk, payment.gateway) for payment in payments]


def _once_more_on_clash(record: Callable[[], list[tuple[int, str]]]) -> list[tuple[int, str]]:
    """Run ``record`` (one chunk's transaction); if the database refuses a payment because another
    worker recorded it meanwhile without holding our lock, the chunk has rolled back whole: run
    it once more, reading what is already paid again."""
    try:
        return record()
    except IntegrityError:
        return record()


def _record_contracts(run: PaymentRun, ids: list[int], *, council: Account, rates: _Rates,
                      by: User | None) -> list[tuple[int, str]]:
    """Record the due payments of the contracts ``ids`` in one transaction; returns their ids and
    gateways."""

    @transaction.atomic
    def record() -> list[tuple[int, str]]:
        # ``of``: PostgreSQL refuses FOR UPDATE on the nullable side of an outer join.
        contracts = list(IsfContract.objects.select_for_update(of=("self",)).select_related("provider")
                         .filter(pk__in=ids, status=ContractStatus.ACTIVE).order_by("pk"))
        # Read after the lock: a worker that waited for it sees what the other one recorded.
        paid = set(Payment.objects.filter(contract_id__in=ids).values_list("contract_id", "period_start"))
        cards = defaultdict(list)
        for card in (CardPayment.objects.select_for_update(of=("self",))
                     .filter(contract_id__in=ids, status=CardPaymentStatus.SUCCEEDED, passed_on_in__isnull=True)
                     .order_by("pk")):
            cards[card.contract_id].append(card)
        unpaid = {contract.pk: [period for period in _isf_periods(contract, run)
                                if (contract.pk, period[0]) not in paid]
                  for contract in contracts}
        # Most contracts on most days have nothing due: their terms are not even read.
        _load_terms([contract for contract in contracts if unpaid[contract.pk]])
        owed = []
        for contract in contracts:
            for period in unpaid[contract.pk]:
                release = isf_period_release_pence(contract, *period, rates=rates)
                if release > 0:
                    owed.append((contract, period, release))
        funds = _accounts_for(AccountKind.CONTRACT_FUND, "contract",
                              {contract.pk: f"ISF {contract.reference}: fund held" for contract, _, _ in owed})
        due = []
        for contract, period, release in owed:
            key = f"isf:{contract.pk}:{period[0].isoformat()}"
            due.append(_Due(
                key=key, kind=PaymentKind.ISF_RELEASE, period=period, release=release, contract=contract,
                person_id=contract.person_id, payee_organisation=contract.provider, gateway=run.gateway,
                cards=cards.pop(contract.pk, []),
                posting=ledger.Posting(
                    kind=TransactionKind.RELEASE, idempotency_key=key, contract=contract, occurred_on=period[0],
                    entries=[(council, -release), (funds[contract.pk], release)],
                    description=f"Fund release for {contract.reference}, {_fmt(period[0])} to {_fmt(period[1])}")))
        return _record_due(run, due, by)

    return _once_more_on_clash(record)


def _record_direct_payments(run: PaymentRun, ids: list[int], *, council: Account, rates: _Rates,
                            by: User | None) -> list[tuple[int, str]]:
    """Record the due direct payments of the people ``ids`` in one transaction; returns their
    ids and gateways."""
    periods = _direct_payment_periods(run)

    @transaction.atomic
    def record() -> list[tuple[int, str]]:
        people = list(Person.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk"))
        paid = set(Payment.objects.filter(kind=PaymentKind.DIRECT_PAYMENT, person_id__in=ids)
                   .values_list("person_id", "period_start"))
        plans = defaultdict(list)
        for plan in (SupportPlan.objects.filter(person_id__in=ids, status__in=IN_FORCE_STATUSES,
                                                starts_on__lte=run.covers_until)
                     .select_related("agreed_budget", "budget_transition")
                     .prefetch_related(Prefetch("lines", queryset=PlanLine.objects.only(*_LINE_FIELDS)))):
            plans[plan.person_id].append(plan)
        owed = []
        for person in people:
            for period in periods:
                if (person.pk, period[0]) in paid:
                    continue
                amount = direct_payment_period_pence(plans[person.pk], *period, rates=rates)
                if amount > 0:
                    owed.append((person, period, amount))
        accounts = _accounts_for(AccountKind.DIRECT_PAYMENT, "person",
                                 {person.pk: f"Direct payments of {person.reference}" for person, _, _ in owed})
        due = []
        for person, period, amount in owed:
            key = f"dp:{person.pk}:{period[0].isoformat()}"
            due.append(_Due(
                key=key, kind=PaymentKind.DIRECT_PAYMENT, period=period, release=amount, contract=None,
                person_id=person.pk, payee_organisation=None,
                # A person is not a Stripe connected account: direct payments go in the file.
                gateway=Gateway.PAYMENT_FILE,
                posting=ledger.Posting(
                    kind=TransactionKind.DIRECT_PAYMENT, idempotency_key=key, occurred_on=period[0],
                    entries=[(council, -amount), (accounts[person.pk], amount)],
                    description=f"Direct payment to {person.reference}, {_fmt(period[0])} to {_fmt(period[1])}")))
        return _record_due(run, due, by)

    return _once_more_on_clash(record)


# Sending ------------------------------------------------------------------------------------------

def _record_sent(payment: Payment, sent: Sent, *, run: PaymentRun, by: User | None) -> Payment:
    """Record that the gateway took ``payment`` (→ sent, and → settled when the gateway says no
    confirmation will follow). The payment moves to ``run``, the run that sent it."""

    def apply(row: Payment) -> None:
        row.attempts += 1
        row.sent_at = timezone.now()
        row.gateway_reference = sent.reference[:100]
        row.last_error = ""
        row.run_id = run.pk

    row = transition(payment, PaymentStatus.SENT, by=by, reason=f"Sent in payment run {run.reference}",
                     organisation=payment.payee_organisation, apply=apply)
    if sent.settled:
        row = payment_settle(payment=row, by=by, reference=sent.reference, reason="The gateway paid it at once")
    return row


def _record_sent_many(payments: list[Payment], sent: list[Sent], *, run: PaymentRun, by: User | None) -> None:
    """Record that the gateway took each of ``payments`` (locked, waiting), as :func:`_record_sent`
    does one by one: the same fields and the same audit events (``payment.sent``, then
    ``payment.settled`` when the gateway says no confirmation will follow), in at most two updates
    and one insert."""
    now = timezone.now()
    events = []
    for payment, answer in zip(payments, sent):
        was = payment.status
        payment.status = PaymentStatus.SENT
        payment.attempts += 1
        payment.sent_at = now
        payment.gateway_reference = answer.reference[:100]
        payment.last_error = ""
        payment.run_id = run.pk
        events.append({"verb": f"payment.{PaymentStatus.SENT}", "target": payment, "before": {"status": was},
                       "after": {"status": PaymentStatus.SENT}, "reason": f"Sent in payment run {run.reference}",
                       "organisation": payment.payee_organisation})
        if answer.settled:
            payment.status = PaymentStatus.SETTLED
            payment.settled_at = now
            events.append({"verb": f"payment.{PaymentStatus.SETTLED}", "target": payment,
                           "before": {"status": PaymentStatus.SENT}, "after": {"status": PaymentStatus.SETTLED},
                           "reason": "The gateway paid it at once", "organisation": payment.payee_organisation})
    for status in (PaymentStatus.SENT, PaymentStatus.SETTLED):
        _count_attempt([payment for payment in payments if payment.status == status], "gateway_reference",
                       status=status, sent_at=now, last_error="", run_id=run.pk,
                       **({"settled_at": now} if status == PaymentStatus.SETTLED else {}))
    audit.record_many(actor=by, events=events)


def _record_failed_many(payments: list[Payment], errors: list[GatewayError], *, by: User | None) -> None:
    """Record that the gateway refused each of ``payments`` (locked, waiting), as
    :func:`~isf.services.payment_outcomes.payment_fail` does one by one (``payment.failed``, or
    only the new reason for one that had already failed), counting the attempt: one update and
    one insert."""
    events = []
    for payment, error in zip(payments, errors):
        was = payment.status
        payment.attempts += 1
        payment.status = PaymentStatus.FAILED
        payment.last_error = error.reason
        if was != PaymentStatus.FAILED:
            events.append({"verb": f"payment.{PaymentStatus.FAILED}", "target": payment, "before": {"status": was},
                           "after": {"status": PaymentStatus.FAILED}, "reason": error.reason,
                           "organisation": payment.payee_organisation})
    _count_attempt(payments, "last_error", status=PaymentStatus.FAILED)
    audit.record_many(actor=by, events=events)


def _count_attempt(payments: list[Payment], varying: str, **same) -> None:
    """Save an attempt at sending ``payments`` (locked) in one update: the fields in ``same`` are
    the same for all of them, ``varying`` is each payment's own. (``bulk_update`` would build a
    CASE over every row for every field, which cost more than the rest of the run.)"""
    if not payments:
        return
    field = Payment._meta.get_field(varying)
    Payment.objects.filter(pk__in=[payment.pk for payment in payments]).update(
        attempts=F("attempts") + 1, **same,
        **{varying: Case(*(When(pk=payment.pk, then=Value(getattr(payment, varying))) for payment in payments),
                         output_field=field)})


class _Sender:
    """Sends payments and keeps the failures for the run's summary.

    A gateway that makes no network call (``batch_safe``: the payment file) takes a chunk's
    payments in one transaction: calling it for each is only a check, and recording them one
    transaction each made a run of 10,000 contracts take minutes. A gateway that calls out (Stripe)
    takes each payment in its own transaction, so one slow or lost answer holds back no other
    payment's record; its idempotency key makes the call safe to repeat.
    """

    def __init__(self, run: PaymentRun, by: User | None, chunk_size: int = 200):
        self.run, self.by, self.chunk_size = run, by, chunk_size
        self.gateways = {}
        self.failures: dict[int, dict] = {}
        self.succeeded: set[int] = set()

    def _gateway(self, name: str):
        if name not in self.gateways:
            self.gateways[name] = gateway_for(name)
        return self.gateways[name]

    @staticmethod
    def _waiting(ids):
        return (Payment.objects.select_for_update(of=("self",))
                .select_related("payee_organisation__payee_account", "person__payee_account")
                .filter(pk__in=ids, status__in=WAITING_STATUSES).order_by("pk"))

    def _failed(self, payment: Payment, error: GatewayError) -> None:
        self.failures[payment.pk] = {"payment": payment.pk, "key": payment.idempotency_key,
                                     "payee": payee_name(payment), "reason": error.reason,
                                     "retryable": error.retryable}

    def _sent(self, payment: Payment) -> None:
        self.succeeded.add(payment.pk)
        self.failures.pop(payment.pk, None)

    def send(self, payment_id: int) -> None:
        """Send one payment in its own transaction."""
        with transaction.atomic():
            payment = self._waiting([payment_id]).first()
            if payment is None:
                return  # another worker sent it, or it was cancelled
            try:
                sent = self._gateway(payment.gateway).send(payment)
            except GatewayError as error:
                payment_fail(payment=payment, by=self.by, reason=error.reason)
                Payment.objects.filter(pk=payment.pk).update(attempts=payment.attempts + 1)
                self._failed(payment, error)
                return
            _record_sent(payment, sent, run=self.run, by=self.by)
            self._sent(payment)

    def send_batch(self, payment_ids: list[int]) -> None:
        """Send payments through batch-safe gateways in one transaction: lock those still waiting
        (in primary-key order, so two workers cannot deadlock), send each, record them all."""
        with transaction.atomic():
            payments = list(self._waiting(payment_ids))
            sent, sent_answers, failed, errors = [], [], [], []
            for payment in payments:
                try:
                    answer = self._gateway(payment.gateway).send(payment)
                except GatewayError as error:
                    failed.append(payment)
                    errors.append(error)
                    continue
                sent.append(payment)
                sent_answers.append(answer)
            _record_failed_many(failed, errors, by=self.by)
            _record_sent_many(sent, sent_answers, run=self.run, by=self.by)
        for payment, error in zip(failed, errors):
            self._failed(payment, error)
        for payment in sent:
            self._sent(payment)

    def send_all(self, payments: list[tuple[int, str]]) -> None:
        """Send each of ``payments`` (id, gateway): those for batch-safe gateways a chunk at a
        time, the others one by one."""
        batch = [pk for pk, gateway in payments if self._gateway(gateway).batch_safe]
        for start in range(0, len(batch), self.chunk_size):
            self.send_batch(batch[start:start + self.chunk_size])
        batched = set(batch)
        for pk, _ in payments:
            if pk not in batched:
                self.send(pk)

    def take(self) -> tuple[list[dict], set[int]]:
        failures, succeeded = list(self.failures.values()), set(self.succeeded)
        self.failures.clear()
        self.succeeded.clear()
        return failures, succeeded


def _note_progress(run: PaymentRun, *, checked: int, sender: _Sender) -> PaymentRun:
    """Write the run's progress and failures so far (another worker's progress is kept: the higher
    count wins)."""
    failures, succeeded = sender.take()
    with transaction.atomic():
        locked = PaymentRun.objects.select_for_update().get(pk=run.pk)
        merged = {entry.get("payment"): entry for entry in locked.failures if entry.get("payment") not in succeeded}
        merged.update({entry["payment"]: entry for entry in failures})
        locked.failures = list(merged.values())
        locked.checked = max(locked.checked, checked)
        locked.to_check = max(locked.to_check, locked.checked)
        locked.save(update_fields=["failures", "checked", "to_check"])
    return locked


# Remittances and completion ------------------------------------------------------------------------

def _remittance_reference(run: PaymentRun, organisation_id: int) -> str:
    return f"RA-{run.reference.removeprefix('PR-')}-{organisation_id}"[:30]


@transaction.atomic
def _remit(run: PaymentRun, organisation_id: int, by: User | None) -> Remittance:
    remittance, created = Remittance.objects.get_or_create(
        run=run, organisation_id=organisation_id,
        defaults={"reference": _remittance_reference(run, organisation_id)})
    remittance = Remittance.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=remittance.pk)
    Payment.objects.filter(run=run, payee_organisation_id=organisation_id, status__in=SENT_STATUSES,
                           remittance__isnull=True).update(remittance=remittance)
    invoices = list(Invoice.objects.filter(provider_id=organisation_id, status=InvoiceStatus.APPROVED,
                                           remittance__isnull=True).order_by("pk"))
    for invoice in invoices:
        def paid(row: Invoice) -> None:
            row.paid_at, row.remittance = timezone.now(), remittance

        transition(invoice, InvoiceStatus.PAID, by=by, reason=f"Settled on remittance {remittance.reference}",
                   organisation=remittance.organisation, apply=paid)
    before = remittance.total_pence
    remittance.total_pence = Payment.objects.filter(remittance=remittance).aggregate(
        total=Sum("amount_pence"))["total"] or 0
    if created or before != remittance.total_pence or invoices:
        remittance.save(update_fields=["total_pence"])
        audit.record(actor=by, verb="remittance.created" if created else "remittance.updated", target=remittance,
                     organisation=remittance.organisation,
                     after={"run": run.reference, "total_pence": remittance.total_pence,
                            "invoices_paid": [invoice.pk for invoice in invoices]})
    return remittance


def _remittances(run: PaymentRun, by: User | None) -> None:
    providers = (Payment.objects.filter(run=run, status__in=SENT_STATUSES, payee_organisation__isnull=False,
                                        remittance__isnull=True)
                 .order_by("payee_organisation_id").values_list("payee_organisation_id", flat=True).distinct())
    for organisation_id in list(providers):
        _remit(run, organisation_id, by)


@transaction.atomic
def _complete(run: PaymentRun, by: User | None) -> PaymentRun:
    locked = PaymentRun.objects.select_for_update().get(pk=run.pk)
    made = Payment.objects.filter(run=locked, status__in=SENT_STATUSES).aggregate(
        count=Count("pk"), total=Sum("amount_pence"))
    was = locked.status
    locked.payments_made, locked.total_pence = made["count"], made["total"] or 0
    locked.status = RunStatus.COMPLETED
    locked.finished_at = timezone.now()
    locked.save(update_fields=["payments_made", "total_pence", "status", "finished_at"])
    if was != RunStatus.COMPLETED:
        audit.record(actor=by, verb="paymentrun.completed", target=locked, before={"status": was},
                     after={"status": RunStatus.COMPLETED, "payments_made": locked.payments_made,
                            "total_pence": locked.total_pence, "failures": len(locked.failures)})
    return locked


# Running ------------------------------------------------------------------------------------------

def _chunks(queryset, chunk_size: int):
    """Primary keys of ``queryset`` in ascending chunks, read a chunk at a time (keyset paging), so
    rows added or changed meanwhile are neither skipped twice nor read twice."""
    after = 0
    while True:
        ids = list(queryset.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:chunk_size])
        if not ids:
            return
        after = ids[-1]
        yield ids


def payment_run_execute(*, run: PaymentRun, by: User | None = None, chunk_size: int = 200,
                        on_progress: Callable[[PaymentRun], None] | None = None) -> PaymentRun:
    """Run ``run``: record, send, remit and complete (see the module's docstring); returns the run
    with its summary. Safe to call again, and from two workers at once: nothing is paid twice.

    Not atomic on purpose: each chunk commits on its own, so a long run shows progress and a crash
    loses at most one chunk, which the next run records again. ``on_progress`` is called with the
    run after each chunk. Raises ``ValueError`` for a chunk size below 1; a payment the gateway
    refuses is recorded in ``run.failures``, not raised.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    run = PaymentRun.objects.get(pk=run.pk)
    council = ledger.council_account(AccountKind.COUNCIL_FUNDING)
    rates = _Rates()
    sender = _Sender(run, by, chunk_size)
    # Earlier runs' payments that failed or were never sent: the retry, with the same keys.
    sender.send_all(list(Payment.objects.filter(status__in=WAITING_STATUSES).order_by("pk")
                         .values_list("pk", "gateway")))
    checked = 0
    for ids in _chunks(IsfContract.objects.filter(status=ContractStatus.ACTIVE), chunk_size):
        sender.send_all(_record_contracts(run, ids, council=council, rates=rates, by=by))
        checked += len(ids)
        run = _note_progress(run, checked=checked, sender=sender)
        if on_progress is not None:
            on_progress(run)
    for ids in _chunks(Person.objects.filter(pk__in=_direct_payment_people()), chunk_size):
        sender.send_all(_record_direct_payments(run, ids, council=council, rates=rates, by=by))
        checked += len(ids)
        run = _note_progress(run, checked=checked, sender=sender)
        if on_progress is not None:
            on_progress(run)
    run = _note_progress(run, checked=checked, sender=sender)
    _remittances(run, by)
    return _complete(run, by)


def payment_run_scheduled() -> PaymentRun:
    """The scheduled job: finish today's run if one is still running (a worker stopped part-way),
    else start one and run it."""
    today = timezone.localdate()
    run = PaymentRun.objects.filter(run_on=today, status=RunStatus.RUNNING).order_by("pk").first()
    if run is None:
        run = payment_run_start(by=None, trigger=RunTrigger.SCHEDULE, run_on=today)
    return payment_run_execute(run=run)


# Finance officers' decisions -----------------------------------------------------------------------

@transaction.atomic
def payment_cancel(*, payment: Payment, by: User, reason: str) -> Payment:
    """Give up a payment that is waiting or failed (→ cancelled, with the reason) and reverse its
    ledger posting, so the money goes back to the council's funding.

    Raises ``PermissionDenied`` unless ``by`` is a finance officer; ``ValidationError`` keyed
    ``reason`` without one, or when the payment passed on card contributions (cancelling it would
    leave the person's money unaccounted for), or when the provider has already spent the fund
    (the ledger refuses); ``InvalidTransition`` for a payment sent or settled. Cancelling twice is
    harmless.
    """
    require_role(by, Role.FINANCE_OFFICER)
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationError({"reason": ["Enter why you are cancelling the payment"]})
    locked = Payment.objects.select_for_update(of=("self",)).select_related("release", "payee_organisation").get(
        pk=payment.pk)
    if locked.status == PaymentStatus.CANCELLED:
        return locked
    if locked.contributions_pence or CardPayment.objects.filter(passed_on_in=locked).exists():
        raise ValidationError(
            f"This payment passes on {money.format_pence(locked.contributions_pence)} the person paid by card: it "
            f"cannot be cancelled, or their money would no longer be accounted for. Correct the bank details and "
            f"let the next payment run send it.")

    def cancelled(row: Payment) -> None:
        row.cancelled_reason = reason

    row = transition(locked, PaymentStatus.CANCELLED, by=by, reason=reason, organisation=locked.payee_organisation,
                     apply=cancelled)
    ledger.reverse(transaction=locked.release, by=by, reason=f"payment {locked.idempotency_key} cancelled: {reason}")
    return row


@transaction.atomic
def payment_file_confirm(*, run: PaymentRun, by: User) -> PaymentRun:
    """A finance officer confirms the bank paid the run's payment file: each of its sent payments
    is settled. A second confirmation changes nothing. Raises ``PermissionDenied`` unless ``by``
    is a finance officer. Audited ``paymentrun.file_confirmed``."""
    require_role(by, Role.FINANCE_OFFICER)
    locked = PaymentRun.objects.select_for_update().get(pk=run.pk)
    payments = list(Payment.objects.filter(run=locked, gateway=Gateway.PAYMENT_FILE, status=PaymentStatus.SENT)
                    .select_related("payee_organisation").order_by("pk"))
    for payment in payments:
        payment_settle(payment=payment, by=by, reason=f"The bank paid the payment file of {locked.reference}")
    if locked.file_confirmed_at is None or payments:
        if locked.file_confirmed_at is None:
            locked.file_confirmed_at, locked.file_confirmed_by = timezone.now(), by
            locked.save(update_fields=["file_confirmed_at", "file_confirmed_by"])
        audit.record(actor=by, verb="paymentrun.file_confirmed", target=locked,
                     after={"settled": [payment.pk for payment in payments]})
    return locked
