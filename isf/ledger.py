"""The double-entry ledger: the only way money moves between accounts, and how balances are read.

Every movement is a :class:`~isf.models.LedgerTransaction` of two or more entries in whole pence
that add up to zero. Nothing here changes or deletes a row: a mistake is undone by
:func:`reverse`, which posts the same entries negated. Balances are never stored; they are the sum
of an account's entries (:func:`balance`, :func:`balances`, :func:`statement`).

Rules that :func:`post` enforces for every caller:
- entries balance, there are at least two, and each amount is a non-zero whole number of pence;
- a contract's fund (money the provider holds for the person) never goes below zero: the fund's
  account row is locked before its balance is read, so two postings cannot both spend the same
  pound;
- a transaction's ``idempotency_key`` names the real-world event it records; posting the same
  event again returns the transaction already posted, and posting different entries under a key
  already used is refused.
"""

import datetime
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model, Sum
from django.utils import timezone

from brokerage.models import Person
from isf.constants import AccountKind, TransactionKind
from isf.models import Account, Entry, IsfContract, LedgerTransaction
from marketplace import audit
from marketplace.models import Organisation, User

COUNCIL_KINDS = frozenset({AccountKind.COUNCIL_FUNDING, AccountKind.RECOVERIES})


# Accounts ----------------------------------------------------------------------------------------

def _get_or_create(*, kind: str, name: str, **owner) -> Account:
    """The one account of ``kind`` for ``owner``, created if missing. Two callers racing to create
    it meet the unique constraint; the loser reads the winner's row."""
    lookup = {"contract": None, "organisation": None, "person": None} | owner
    account = Account.objects.filter(kind=kind, **lookup).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return Account.objects.create(kind=kind, name=name[:200], **lookup)
    except IntegrityError:
        return Account.objects.get(kind=kind, **lookup)


def council_account(kind: str) -> Account:
    """The council's own account of ``kind`` (COUNCIL_FUNDING or RECOVERIES), created if missing.
    Raises ``ValueError`` for a kind that belongs to a contract, provider or person."""
    if kind not in COUNCIL_KINDS:
        raise ValueError(f"{kind} is not a council account")
    return _get_or_create(kind=kind, name=AccountKind(kind).label)


def contract_fund_account(contract: IsfContract) -> Account:
    """The fund the provider holds for the person under ``contract``, created if missing."""
    return _get_or_create(kind=AccountKind.CONTRACT_FUND, name=f"ISF {contract.reference}: fund held",
                          contract=contract)


def provider_income_account(organisation: Organisation) -> Account:
    """What ``organisation`` has earned by delivering support, created if missing."""
    return _get_or_create(kind=AccountKind.PROVIDER_INCOME, name=f"{organisation.name}: income",
                          organisation=organisation)


def person_contribution_account(person: Person) -> Account:
    """The contributions ``person`` has paid, created if missing. Named by the person's reference,
    so the account list does not show names."""
    return _get_or_create(kind=AccountKind.PERSON_CONTRIBUTION, name=f"Contributions of {person.reference}",
                          person=person)


def direct_payment_account(person: Person) -> Account:
    """The direct payments paid to ``person`` (or their third-party manager), created if missing."""
    return _get_or_create(kind=AccountKind.DIRECT_PAYMENT, name=f"Direct payments of {person.reference}",
                          person=person)


# Posting -----------------------------------------------------------------------------------------

def _whole_pence(amount) -> int:
    """``amount`` as an int of pence; refuses zero, bool, float and fractions of a penny."""
    if isinstance(amount, bool) or not isinstance(amount, int | Decimal):
        raise ValidationError("Each amount must be a whole number of pence")
    if isinstance(amount, Decimal):
        if not amount.is_finite() or amount != amount.to_integral_value():
            raise ValidationError("Each amount must be a whole number of pence")
        amount = int(amount)
    if amount == 0:
        raise ValidationError("An entry cannot be for nothing: each amount must be more or less than zero")
    return amount


def _checked_entries(entries) -> list[tuple[Account, int]]:
    checked = []
    for account, amount in entries:
        if not isinstance(account, Account) or account.pk is None:
            raise ValidationError("Each entry needs a saved account")
        checked.append((account, _whole_pence(amount)))
    if len(checked) < 2:
        raise ValidationError("A transaction needs at least two entries")
    if sum(amount for _, amount in checked) != 0:
        raise ValidationError("The entries do not balance: they must add up to zero")
    return checked


def _existing(key: str, entries: list[tuple[Account, int]]) -> LedgerTransaction | None:
    """The transaction already posted under ``key``, if it has the same entries; raises if it has
    different ones."""
    existing = LedgerTransaction.objects.filter(idempotency_key=key).first()
    if existing is None:
        return None
    posted = Counter(existing.entries.values_list("account_id", "amount_pence"))
    if posted != Counter((account.pk, amount) for account, amount in entries):
        raise ValidationError(f"A different transaction was already posted for {key}")
    return existing


def _refuse_overdrawn_funds(entries: list[tuple[Account, int]]) -> None:
    """Lock each contract fund the entries take money from, then refuse if any would go below zero."""
    change: dict[int, int] = {}
    for account, amount in entries:
        if account.kind == AccountKind.CONTRACT_FUND:
            change[account.pk] = change.get(account.pk, 0) + amount
    taken = sorted(pk for pk, amount in change.items() if amount < 0)
    if not taken:
        return
    # Locked in primary-key order, so two postings touching the same funds cannot deadlock.
    locked = list(Account.objects.select_for_update(of=("self",)).filter(pk__in=taken).order_by("pk"))
    held = balances(locked)
    for account in locked:
        if held[account.pk] + change[account.pk] < 0:
            raise ValidationError(f"{account.name} holds too little: this would take it below zero")


@transaction.atomic
def post(*, kind: str, description: str, occurred_on: datetime.date, entries: list[tuple[Account, int]],
         by: User | None = None, contract: IsfContract | None = None, idempotency_key: str | None = None,
         reverses: LedgerTransaction | None = None) -> LedgerTransaction:
    """Post one balanced transaction and return it.

    Raises ``ValidationError`` when the entries do not add up to zero, there are fewer than two,
    an amount is zero or not a whole number of pence (bool, float, a Decimal with a fraction),
    the posting would take a contract's fund below zero, ``idempotency_key`` was already used for
    different entries, or ``reverses`` does not fit ``kind`` (see :func:`reverse`). With a key
    already used for the same entries, returns that transaction unchanged and writes nothing.
    Writes the audit event ``ledger.posted``.
    """
    if kind not in TransactionKind.values:
        raise ValidationError(f"{kind} is not a kind of transaction")
    if (kind == TransactionKind.REVERSAL) != (reverses is not None):
        raise ValidationError("A reversal, and only a reversal, names the transaction it undoes")
    description = (description or "").strip()
    if not description:
        raise ValidationError("Describe the transaction")
    if not isinstance(occurred_on, datetime.date) or isinstance(occurred_on, datetime.datetime):
        raise ValidationError("Give the date the transaction took place")
    checked = _checked_entries(entries)
    idempotency_key = idempotency_key or None
    if idempotency_key is not None and (existing := _existing(idempotency_key, checked)) is not None:
        return existing

    _refuse_overdrawn_funds(checked)
    try:
        with transaction.atomic():
            posted = LedgerTransaction.objects.create(
                kind=kind, description=description[:300], occurred_on=occurred_on, contract=contract,
                idempotency_key=idempotency_key, reverses=reverses, created_by=by)
    except IntegrityError:
        # Another posting of the same event, or reversal of the same transaction, won the race.
        if idempotency_key is not None and (existing := _existing(idempotency_key, checked)) is not None:
            return existing
        if reverses is not None:
            raise ValidationError("That transaction has already been reversed") from None
        raise
    Entry.objects.bulk_create(Entry(transaction=posted, account=account, amount_pence=amount)
                              for account, amount in checked)
    audit.record(
        actor=by, verb="ledger.posted", target=posted,
        organisation=contract.provider if contract is not None else None,
        after={"kind": kind, "description": posted.description, "occurred_on": occurred_on.isoformat(),
               "contract": contract.pk if contract is not None else None, "idempotency_key": idempotency_key,
               "reverses": reverses.pk if reverses is not None else None,
               "entries": [[account.pk, amount] for account, amount in checked]},
    )
    return posted


@transaction.atomic
def reverse(*, transaction: LedgerTransaction, by: User | None, reason: str,
            occurred_on: datetime.date | None = None) -> LedgerTransaction:
    """Undo ``transaction`` by posting a REVERSAL with each of its entries negated, dated
    ``occurred_on`` (today when not given). Raises ``ValidationError`` without a reason, for a
    transaction already reversed, for a reversal (post the original again instead), or when
    undoing it would take a contract's fund below zero."""
    original = transaction
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Give the reason for the reversal")
    if original.kind == TransactionKind.REVERSAL:
        raise ValidationError("A reversal cannot itself be reversed")
    if LedgerTransaction.objects.filter(reverses=original).exists():
        raise ValidationError("That transaction has already been reversed")
    entries = [(entry.account, -entry.amount_pence)
               for entry in original.entries.select_related("account").order_by("pk")]
    return post(kind=TransactionKind.REVERSAL, description=f"Reversal of {original.description}: {reason}",
                occurred_on=occurred_on or timezone.localdate(), entries=entries, by=by,
                contract=original.contract, reverses=original)


# Reading -----------------------------------------------------------------------------------------

def balance(account: Account, *, on: datetime.date | None = None) -> int:
    """What ``account`` holds, in pence: the sum of its entries, up to and including ``on`` if given."""
    entries = Entry.objects.filter(account=account)
    if on is not None:
        entries = entries.filter(transaction__occurred_on__lte=on)
    return entries.aggregate(total=Sum("amount_pence"))["total"] or 0


def balances(accounts: Iterable[Account | int]) -> dict[int, int]:
    """``{account id: balance in pence}`` for each of ``accounts`` (0 for one with no entries), in
    one query however many there are."""
    ids = [account.pk if isinstance(account, Model) else int(account) for account in accounts]
    result = dict.fromkeys(ids, 0)
    if ids:
        totals = (Entry.objects.filter(account_id__in=ids).order_by().values("account_id")
                  .annotate(total=Sum("amount_pence")).values_list("account_id", "total"))
        result.update(totals)
    return result


@dataclass(frozen=True)
class StatementLine:
    """One line of an account's statement. The first line of every statement is the opening
    balance (``kind`` ``"opening"``, ``amount_pence`` equal to ``balance_pence``)."""

    occurred_on: datetime.date | None
    description: str
    kind: str
    amount_pence: int
    balance_pence: int
    transaction_id: int | None = None

    @property
    def is_opening(self) -> bool:
        return self.kind == OPENING


OPENING = "opening"


def statement(account: Account, *, start: datetime.date | None = None,
              end: datetime.date | None = None) -> list[StatementLine]:
    """``account``'s entries dated from ``start`` to ``end`` (both included, either open), oldest
    first, each with the running balance, after an opening line holding the balance brought
    forward from before ``start`` (0 without ``start``). Two queries however many entries."""
    opening = balance(account, on=start - datetime.timedelta(days=1)) if start is not None else 0
    lines = [StatementLine(occurred_on=start, description="Balance brought forward", kind=OPENING,
                           amount_pence=opening, balance_pence=opening)]
    entries = Entry.objects.filter(account=account)
    if start is not None:
        entries = entries.filter(transaction__occurred_on__gte=start)
    if end is not None:
        entries = entries.filter(transaction__occurred_on__lte=end)
    rows = entries.order_by("transaction__occurred_on", "transaction_id", "pk").values_list(
        "transaction__occurred_on", "transaction__description", "transaction__kind", "amount_pence", "transaction_id")
    running = opening
    for occurred_on, description, kind, amount, transaction_id in rows:
        running += amount
        lines.append(StatementLine(occurred_on=occurred_on, description=description, kind=kind,
                                   amount_pence=amount, balance_pence=running, transaction_id=transaction_id))
    return lines
