"""The double-entry ledger: the only way money moves between accounts, and how balances are read.

Every movement is a :class:`~isf.models.LedgerTransaction` of two or more entries in whole pence
that add up to zero. Nothing here changes or deletes a row: a mistake is undone by
:func:`reverse`, which posts the same entries negated. Balances are never stored; they are the sum
of an account's entries (:func:`balance`, :func:`balances`, :func:`statement`).

Rules that :func:`post` enforces for every caller (and :func:`post_many`, which posts a batch in a
fixed number of queries, for each posting of the batch):
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


@dataclass(frozen=True)
class Posting:
    """One transaction to post with :func:`post_many`: the same fields as :func:`post`'s keyword
    arguments, less ``by`` (one actor posts a whole batch)."""

    kind: str
    description: str
    occurred_on: datetime.date
    entries: list[tuple[Account, int]]
    contract: IsfContract | None = None
    idempotency_key: str | None = None
    reverses: LedgerTransaction | None = None


@dataclass
class _Checked:
    posting: Posting
    description: str
    key: str | None
    entries: list[tuple[Account, int]]

    def same_entries(self, other: Counter) -> bool:
        return other == Counter((account.pk, amount) for account, amount in self.entries)


def _checked(posting: Posting) -> _Checked:
    """``posting`` with its description and key tidied, or ``ValidationError`` for a rule that
    needs nothing from the database."""
    if posting.kind not in TransactionKind.values:
        raise ValidationError(f"{posting.kind} is not a kind of transaction")
    if (posting.kind == TransactionKind.REVERSAL) != (posting.reverses is not None):
        raise ValidationError("A reversal, and only a reversal, names the transaction it undoes")
    description = (posting.description or "").strip()
    if not description:
        raise ValidationError("Describe the transaction")
    occurred_on = posting.occurred_on
    if not isinstance(occurred_on, datetime.date) or isinstance(occurred_on, datetime.datetime):
        raise ValidationError("Give the date the transaction took place")
    return _Checked(posting=posting, description=description[:300], key=posting.idempotency_key or None,
                    entries=_checked_entries(posting.entries))


def _already_posted(batch: list[_Checked]) -> dict[str, LedgerTransaction]:
    """The transactions already posted under the batch's keys, in one query; raises when one has
    different entries from the posting that names its key."""
    keys = {item.key for item in batch if item.key is not None}
    if not keys:
        return {}
    found: dict[str, LedgerTransaction] = {}
    posted: dict[str, Counter] = {}
    for entry in Entry.objects.filter(transaction__idempotency_key__in=keys).select_related("transaction"):
        key = entry.transaction.idempotency_key
        found.setdefault(key, entry.transaction)
        posted.setdefault(key, Counter())[(entry.account_id, entry.amount_pence)] += 1
    for item in batch:
        if item.key in found and not item.same_entries(posted[item.key]):
            raise ValidationError(f"A different transaction was already posted for {item.key}")
    return found


def _refuse_second_reversals(batch: list[_Checked]) -> None:
    originals = [item.posting.reverses.pk for item in batch if item.posting.reverses is not None]
    if not originals:
        return
    if len(set(originals)) < len(originals) or LedgerTransaction.objects.filter(reverses__in=originals).exists():
        raise ValidationError("That transaction has already been reversed")


def _refuse_overdrawn_funds(batch: list[_Checked]) -> None:
    """Lock each contract fund the batch takes money from, then refuse if any would go below zero
    after any posting, taken in order (as if they were posted one by one)."""
    changes: list[dict[int, int]] = []
    taken: set[int] = set()
    funds: dict[int, Account] = {}
    for item in batch:
        change: dict[int, int] = {}
        for account, amount in item.entries:
            if account.kind == AccountKind.CONTRACT_FUND:
                change[account.pk] = change.get(account.pk, 0) + amount
                funds[account.pk] = account
        taken.update(pk for pk, amount in change.items() if amount < 0)
        changes.append(change)
    if not taken:
        return
    # Locked in primary-key order, so two postings touching the same funds cannot deadlock.
    locked = list(Account.objects.select_for_update(of=("self",)).filter(pk__in=sorted(taken)).order_by("pk"))
    held = balances(locked)
    names = {account.pk: account.name for account in locked}
    for change in changes:
        for pk, amount in change.items():
            if pk not in held:
                continue  # only ever paid into in this batch: it cannot go below zero
            held[pk] += amount
            if held[pk] < 0:
                raise ValidationError(f"{names[pk]} holds too little: this would take it below zero")


def _insert(batch: list[_Checked], by: User | None) -> list[LedgerTransaction]:
    """Write the batch's transactions, entries and audit events: three inserts however many."""
    rows = LedgerTransaction.objects.bulk_create([
        LedgerTransaction(kind=item.posting.kind, description=item.description,
                          occurred_on=item.posting.occurred_on, contract=item.posting.contract,
                          idempotency_key=item.key, reverses=item.posting.reverses, created_by=by)
        for item in batch])
    Entry.objects.bulk_create(Entry(transaction=row, account=account, amount_pence=amount)
                              for row, item in zip(rows, batch) for account, amount in item.entries)
    audit.record_many(actor=by, events=[
        {"verb": "ledger.posted", "target": row,
         "organisation": item.posting.contract.provider if item.posting.contract is not None else None,
         "after": {"kind": item.posting.kind, "description": row.description,
                   "occurred_on": item.posting.occurred_on.isoformat(),
                   "contract": item.posting.contract.pk if item.posting.contract is not None else None,
                   "idempotency_key": item.key,
                   "reverses": item.posting.reverses.pk if item.posting.reverses is not None else None,
                   "entries": [[account.pk, amount] for account, amount in item.entries]}}
        for row, item in zip(rows, batch)])
    return rows


# A batch that meets the database's unique keys (another posting of the same event, or a second
# reversal, committed meanwhile) is read again and retried; the second read explains the clash.
_ATTEMPTS = 3


@transaction.atomic
def post_many(postings: list[Posting], *, by: User | None = None) -> list[LedgerTransaction]:
    """Post each of ``postings`` by ``by`` and return their transactions, in the same order.

    Enforces every rule of :func:`post` for each posting, and refuses the whole batch (nothing is
    written) with the ``ValidationError`` of the first posting that breaks one. Funds are checked
    as if the postings were posted one after another in the order given: two postings that
    together take a fund below zero are refused. A posting whose key was already used for the
    same entries (before, or earlier in the batch) returns that transaction. A constant number of
    queries however many postings: one for existing keys, one to lock the funds taken from and one
    for their balances (only when a posting takes from a fund), one for reversals already posted
    (only when the batch has reversals), and one insert each of transactions, entries and audit
    events (``ledger.posted``).
    """
    batch = [_checked(posting) for posting in postings]
    # Postings of the same event within the batch: the first is posted, the others return it.
    first_of: dict[str, int] = {}
    same_as: dict[int, int] = {}
    for index, item in enumerate(batch):
        if item.key is None:
            continue
        if item.key in first_of:
            earlier = batch[first_of[item.key]]
            if not item.same_entries(Counter((account.pk, amount) for account, amount in earlier.entries)):
                raise ValidationError(f"A different transaction was already posted for {item.key}")
            same_as[index] = first_of[item.key]
        else:
            first_of[item.key] = index
    unique = [index for index in range(len(batch)) if index not in same_as]

    for attempt in range(_ATTEMPTS):
        existing = _already_posted([batch[index] for index in unique])
        to_post = [index for index in unique if batch[index].key not in existing]
        _refuse_second_reversals([batch[index] for index in to_post])
        _refuse_overdrawn_funds([batch[index] for index in to_post])
        if not to_post:
            rows = []
            break
        try:
            with transaction.atomic():
                rows = _insert([batch[index] for index in to_post], by)
            break
        except IntegrityError:
            if attempt == _ATTEMPTS - 1:
                raise
    result: dict[int, LedgerTransaction] = dict(zip(to_post, rows))
    for index in unique:
        if index not in result:
            result[index] = existing[batch[index].key]
    for index, first in same_as.items():
        result[index] = result[first]
    return [result[index] for index in range(len(batch))]


def post(*, kind: str, description: str, occurred_on: datetime.date, entries: list[tuple[Account, int]],
         by: User | None = None, contract: IsfContract | None = None, idempotency_key: str | None = None,
         reverses: LedgerTransaction | None = None) -> LedgerTransaction:
    """Post one balanced transaction and return it.

    Raises ``ValidationError`` when the entries do not add up to zero, there are fewer than two,
    an amount is zero or not a whole number of pence (bool, float, a Decimal with a fraction),
    the posting would take a contract's fund below zero, ``idempotency_key`` was already used for
    different entries, or ``reverses`` does not fit ``kind`` or was already reversed (see
    :func:`reverse`). With a key already used for the same entries, returns that transaction
    unchanged and writes nothing. Writes the audit event ``ledger.posted``.
    """
    return post_many([Posting(kind=kind, description=description, occurred_on=occurred_on, entries=entries,
                              contract=contract, idempotency_key=idempotency_key, reverses=reverses)], by=by)[0]


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
