"""The checks every provider invoice passes before it is saved, whichever way it arrives (the portal
form, a CSV upload or the API) [DESIGN §2, issue 5 "Provider invoices"].

:func:`invoice_problems` takes an :class:`InvoiceDraft` (what the provider typed or uploaded) and
an :class:`InvoiceContext` (everything the checks need, loaded beforehand by
:func:`isf.selectors.invoices.invoice_context`) and returns every problem it finds, in plain words,
without touching the database: the number of queries per invoice stays the same however many
lines it has.

The rules:
- the contract is the provider's (another provider's contract is simply "not found") and active;
- the period ends on or after it starts, lies inside the contract and is not in the future;
- each line's dates lie inside the period, and its item is one of the contract's items with terms
  in force on those dates;
- each unit price is the agreed price of those terms;
- each quantity is above zero and within what was planned for those dates (quantity a week × days
  / 7) less what other live invoices already claim for the same terms on the same days; with
  ``flexible_use`` the limit is on value instead: the invoice's total may not exceed the planned
  value of the period less what other live invoices claim in it;
- the invoice number has not been used by the provider before;
- the total (each line's quantity × unit price rounded once to the penny) is not above the money
  held in the contract's fund less what invoices waiting for approval already claim.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from isf.constants import ContractStatus, InvoiceStatus
from isf.models import ContractTerms, IsfContract
from marketplace import money
from marketplace.money import format_pence

NUMBER_MAX = 40
# Invoices that still claim their quantities and value: every status but rejected.
LIVE_STATUSES = frozenset({InvoiceStatus.SUBMITTED, InvoiceStatus.VALIDATED, InvoiceStatus.QUERIED,
                           InvoiceStatus.APPROVED, InvoiceStatus.PAID})
# Invoices whose total is promised to the provider but not yet drawn from the fund in the ledger.
AWAITING_DRAWDOWN = frozenset({InvoiceStatus.SUBMITTED, InvoiceStatus.VALIDATED, InvoiceStatus.QUERIED})
WEEK = Decimal(7)


@dataclass(frozen=True)
class DraftLine:
    """One line as given. ``item`` is a terms id (an int, or digits) or an item's name; ``number``
    is how the provider knows the line (its position on the form, its row in a CSV file)."""

    item: int | str | None
    date_from: datetime.date | None
    date_to: datetime.date | None
    quantity: Decimal | None
    unit_price_pence: int | None
    number: int | None = None


@dataclass(frozen=True)
class InvoiceDraft:
    """An invoice as the provider gave it, before any check. ``contract`` is the contract's id or
    its reference. ``invoice_id`` is set when an invoice already saved is checked again, so its own
    number and lines are not counted against it."""

    number: str
    contract: int | str | None
    period_start: datetime.date | None
    period_end: datetime.date | None
    lines: tuple[DraftLine, ...] = ()
    notes: str = ""
    invoice_id: int | None = None
    row: int | None = None


@dataclass(frozen=True)
class Problem:
    """One reason an invoice cannot be accepted. ``line`` is the draft line's number when the
    problem is about one line (its message then starts in lower case, after "Line n: ");
    ``field`` names the part of the invoice at fault (``number``, ``contract``, ``period_start``,
    ``period_end``, ``lines``, ``total``, or a line's ``item``, ``date_from``, ``date_to``,
    ``quantity``, ``unit_price``)."""

    message: str
    field: str = ""
    line: int | None = None

    def __str__(self) -> str:
        return f"Line {self.line}: {self.message}" if self.line is not None else self.message

    def as_dict(self) -> dict:
        return {"message": str(self), "field": self.field, "line": self.line}


@dataclass(frozen=True)
class Claim:
    """Part of another live invoice: a line's terms, dates, quantity and amount."""

    invoice_id: int
    terms_id: int
    starts_on: datetime.date
    ends_on: datetime.date
    quantity: Decimal
    amount_pence: int


@dataclass
class InvoiceContext:
    """What the checks read, loaded once for one or many drafts of one provider.

    ``contracts`` holds the provider's contracts asked about (with their terms prefetched), by id
    and by reference; ``fund_pence`` the ledger balance of each contract's fund; ``numbers`` the
    invoice numbers the provider has used (with the invoice holding each); ``claims`` the lines of
    live invoices on each contract; ``awaiting_pence`` the totals of invoices not yet drawn down,
    by contract and invoice. :meth:`add` counts a draft that passed, so the next draft of the same
    upload is checked against it too.
    """

    provider_id: int
    today: datetime.date
    contracts: dict[int, IsfContract] = field(default_factory=dict)
    fund_pence: dict[int, int] = field(default_factory=dict)
    numbers: dict[str, int | None] = field(default_factory=dict)
    claims: dict[int, list[Claim]] = field(default_factory=lambda: defaultdict(list))
    awaiting_pence: dict[int, dict[int | None, int]] = field(default_factory=lambda: defaultdict(dict))

    def __post_init__(self):
        self._terms: dict[int, list[ContractTerms]] = {}
        self._pending = 0
        self.index()

    def index(self, terms: dict[int, list[ContractTerms]] | None = None) -> None:
        """Index the contracts by reference, with their terms when given (else they are read
        from ``contract.terms`` when first needed)."""
        self.by_reference = {contract.reference.casefold(): contract for contract in self.contracts.values()}
        for contract_id, rows in (terms or {}).items():
            self._terms[contract_id] = sorted(rows, key=lambda t: (t.effective_from, t.pk))

    def contract_for(self, key) -> IsfContract | None:
        if isinstance(key, int) and not isinstance(key, bool):
            return self.contracts.get(key)
        if isinstance(key, str):
            text = key.strip()
            if text.isdigit() and int(text) in self.contracts:
                return self.contracts[int(text)]
            return self.by_reference.get(text.casefold())
        return None

    def terms_of(self, contract: IsfContract) -> list[ContractTerms]:
        """The contract's terms, oldest first (by start, then id)."""
        if contract.pk not in self._terms:
            self._terms[contract.pk] = sorted(contract.terms.all(), key=lambda t: (t.effective_from, t.pk))
        return self._terms[contract.pk]

    def add(self, checked: "CheckedInvoice") -> None:
        """Count a draft that passed as if it were saved (same upload, or the bench)."""
        self._pending -= 1
        key = checked.draft.invoice_id or self._pending
        self.numbers[checked.draft.number.strip()] = key
        for line in checked.lines:
            self.claims[checked.contract.pk].append(Claim(
                invoice_id=key, terms_id=line.terms.pk, starts_on=line.date_from, ends_on=line.date_to,
                quantity=line.quantity, amount_pence=line.amount_pence))
        self.awaiting_pence[checked.contract.pk][key] = checked.total_pence


@dataclass(frozen=True)
class CheckedLine:
    number: int
    terms: ContractTerms
    item: str
    date_from: datetime.date
    date_to: datetime.date
    quantity: Decimal
    unit_price_pence: int
    amount_pence: int


@dataclass
class CheckedInvoice:
    """The outcome of the checks: every problem, and (when there are none) the contract, the lines
    matched to their terms and the total, ready to be saved."""

    draft: InvoiceDraft
    problems: list[Problem]
    contract: IsfContract | None = None
    lines: list[CheckedLine] = field(default_factory=list)
    total_pence: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _day(value: datetime.date) -> str:
    return f"{value:%-d %B %Y}"


def _quantity(value: Decimal) -> str:
    text = f"{value.quantize(Decimal('0.01')):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _days(start: datetime.date, end: datetime.date) -> int:
    return (end - start).days + 1


def _overlap(a_start, a_end, b_start, b_end) -> int:
    return max(0, (min(a_end, b_end) - max(a_start, b_start)).days + 1)


def _share(claim: Claim, start: datetime.date, end: datetime.date) -> Decimal:
    """The part of ``claim`` falling on ``start``..``end``, shared evenly over the claim's days."""
    return Decimal(_overlap(claim.starts_on, claim.ends_on, start, end)) / Decimal(_days(claim.starts_on, claim.ends_on))


def _epochs(terms: list[ContractTerms]) -> list[datetime.date]:
    return sorted({row.effective_from for row in terms})


def _epoch_of(epochs: list[datetime.date], on: datetime.date) -> datetime.date | None:
    """The start of the terms in force on ``on``: the latest start on or before it."""
    found = None
    for start in epochs:
        if start <= on:
            found = start
        else:
            break
    return found


def _next_epoch(epochs: list[datetime.date], start: datetime.date) -> datetime.date | None:
    later = [value for value in epochs if value > start]
    return later[0] if later else None


def check_invoice(draft: InvoiceDraft, context: InvoiceContext) -> CheckedInvoice:
    """Check ``draft`` against ``context`` and return every problem with what passed."""
    problems: list[Problem] = []
    result = CheckedInvoice(draft=draft, problems=problems)
    number = (draft.number or "").strip()
    if not number:
        problems.append(Problem("Enter the invoice number", "number"))
    elif len(number) > NUMBER_MAX:
        problems.append(Problem(f"The invoice number must be {NUMBER_MAX} characters or fewer", "number"))
    elif number in context.numbers and context.numbers[number] != draft.invoice_id:
        problems.append(Problem(f"Invoice number {number} has already been used by your organisation", "number"))

    contract = context.contract_for(draft.contract) if draft.contract not in (None, "") else None
    if draft.contract in (None, ""):
        problems.append(Problem("Choose the contract the invoice is for", "contract"))
    elif contract is None:
        problems.append(Problem(f"Contract {str(draft.contract).strip()} was not found among your "
                                f"organisation's contracts", "contract"))
    elif contract.status != ContractStatus.ACTIVE:
        problems.append(Problem(f"Contract {contract.reference} is {contract.get_status_display().lower()}: "
                                f"you can only invoice against a contract in force", "contract"))
    result.contract = contract

    start, end = draft.period_start, draft.period_end
    period_ok = start is not None and end is not None
    if start is None:
        problems.append(Problem("Enter the date the invoice period starts", "period_start"))
    if end is None:
        problems.append(Problem("Enter the date the invoice period ends", "period_end"))
    if period_ok and end < start:
        problems.append(Problem("The invoice period must end on or after the day it starts", "period_end"))
        period_ok = False
    if period_ok and end > context.today:
        problems.append(Problem(f"The invoice period ends on {_day(end)}, which is in the future: invoice only "
                                f"for support already delivered", "period_end"))
    if period_ok and contract is not None:
        if start < contract.starts_on:
            problems.append(Problem(f"The invoice period starts on {_day(start)}, before contract "
                                    f"{contract.reference} starts on {_day(contract.starts_on)}", "period_start"))
        if contract.ends_on is not None and end > contract.ends_on:
            problems.append(Problem(f"The invoice period ends on {_day(end)}, after contract "
                                    f"{contract.reference} ends on {_day(contract.ends_on)}", "period_end"))

    if not draft.lines:
        problems.append(Problem("Add at least one line: the item, dates, quantity and unit price", "lines"))
    checked_lines = [checked for index, line in enumerate(draft.lines, start=1)
                     if (checked := _check_line(line, index, draft, contract, period_ok, context, problems))
                     is not None]

    if len(checked_lines) == len(draft.lines) and contract is not None:
        result.lines = checked_lines
        result.total_pence = sum(line.amount_pence for line in checked_lines)
        if not contract.flexible_use:
            _check_quantities(result, context, problems)
        elif period_ok:
            _check_value(result, context, problems)
        _check_fund(result, context, problems)
    elif checked_lines and contract is not None and not contract.flexible_use:
        _check_quantities(CheckedInvoice(draft=draft, problems=[], contract=contract, lines=checked_lines),
                          context, problems)
    problems.sort(key=lambda problem: (problem.line is not None, problem.line or 0))
    return result


def invoice_problems(draft: InvoiceDraft, context: InvoiceContext) -> list[Problem]:
    """Every reason ``draft`` cannot be accepted (none: it can). Reads nothing from the database:
    ``context`` holds all it needs."""
    return check_invoice(draft, context).problems


def _check_line(line: DraftLine, index: int, draft: InvoiceDraft, contract: IsfContract | None, period_ok: bool,
                context: InvoiceContext, problems: list[Problem]) -> CheckedLine | None:
    """Check one line on its own; returns it matched to its terms when it passes."""
    number = line.number or index
    found: list[Problem] = []

    def problem(message: str, field_name: str):
        found.append(Problem(message, field_name, number))

    if line.date_from is None:
        problem("enter the date the support started", "date_from")
    if line.date_to is None:
        problem("enter the date the support ended", "date_to")
    dates_ok = line.date_from is not None and line.date_to is not None
    if dates_ok and line.date_to < line.date_from:
        problem("the dates must end on or after the day they start", "date_to")
        dates_ok = False
    if dates_ok and period_ok and (line.date_from < draft.period_start or line.date_to > draft.period_end):
        problem(f"the dates {_day(line.date_from)} to {_day(line.date_to)} are not inside the invoice period "
                f"{_day(draft.period_start)} to {_day(draft.period_end)}", "date_from")
    if line.quantity is None:
        problem("enter the quantity", "quantity")
    elif not line.quantity.is_finite() or line.quantity <= 0:
        problem("the quantity must be more than 0", "quantity")
    elif line.quantity != line.quantity.quantize(Decimal("0.01")):
        problem("give the quantity to no more than 2 decimal places, like 2.5", "quantity")
    if line.unit_price_pence is None:
        problem("enter the unit price", "unit_price")
    elif line.unit_price_pence <= 0:
        problem("the unit price must be more than £0.00", "unit_price")
    item = line.item.strip() if isinstance(line.item, str) else line.item
    if item in (None, ""):
        problem("choose the item", "item")

    terms = None
    if contract is not None and dates_ok and item not in (None, ""):
        terms = _terms_for(item, line, contract, context, problem)
    if terms is not None and line.unit_price_pence is not None and line.unit_price_pence != terms.price_pence:
        problem(f"the unit price {format_pence(line.unit_price_pence)} is not the agreed price "
                f"{format_pence(terms.price_pence)} for {terms.item}", "unit_price")
    problems.extend(found)
    if found or terms is None:
        return None
    return CheckedLine(number=number, terms=terms, item=terms.item, date_from=line.date_from, date_to=line.date_to,
                       quantity=line.quantity, unit_price_pence=line.unit_price_pence,
                       amount_pence=money.multiply(line.unit_price_pence, line.quantity))


def _terms_for(item, line: DraftLine, contract: IsfContract, context: InvoiceContext, problem) -> ContractTerms | None:
    """The contract's terms for ``item`` in force throughout the line's dates."""
    terms = context.terms_of(contract)
    epochs = _epochs(terms)
    start = _epoch_of(epochs, line.date_from)
    if start is None:
        first = _day(epochs[0]) if epochs else "it starts"
        problem(f"contract {contract.reference} has no agreed items before {first}", "item")
        return None
    following = _next_epoch(epochs, start)
    if following is not None and line.date_to >= following:
        problem(f"the agreed terms changed on {_day(following)}: put the days before and from then on "
                f"separate lines", "date_to")
        return None
    in_force = [row for row in terms if row.effective_from == start]
    by_id = str(item).isdigit()
    if by_id:
        chosen = next((row for row in terms if row.pk == int(item)), None)
        if chosen is not None and chosen.effective_from != start:
            problem(f"the terms for {chosen.item} chosen are not the ones in force on {_day(line.date_from)}", "item")
            return None
    else:
        chosen = next((row for row in in_force if row.item.casefold() == str(item).casefold()), None)
    if chosen is None:
        names = ", ".join(sorted({row.item for row in in_force}))
        shown = f"item {item}" if by_id else f"“{item}”"
        problem(f"{shown} is not one of the items of contract {contract.reference} on those dates "
                f"(its items are: {names})", "item")
    return chosen


def _others(context: InvoiceContext, contract_id: int, invoice_id: int | None) -> list[Claim]:
    return [claim for claim in context.claims.get(contract_id, ()) if claim.invoice_id != invoice_id]


def _check_quantities(result: CheckedInvoice, context: InvoiceContext, problems: list[Problem]) -> None:
    """Each line within its terms' plan for its days, less what other invoices (and earlier lines
    of this one) already claim on those days."""
    claims = _others(context, result.contract.pk, result.draft.invoice_id)
    earlier: list[Claim] = []
    for line in result.lines:
        days = _days(line.date_from, line.date_to)
        planned = line.terms.quantity_per_week * days / WEEK
        taken = sum((claim.quantity * _share(claim, line.date_from, line.date_to)
                     for claim in (*claims, *earlier) if claim.terms_id == line.terms.pk), Decimal(0))
        available = max(Decimal(0), planned - taken)
        if line.quantity > available:
            already = f", {_quantity(taken)} already invoiced" if taken else ""
            problems.append(Problem(
                f"the quantity {_quantity(line.quantity)} is more than planned for {line.terms.item} from "
                f"{_day(line.date_from)} to {_day(line.date_to)}: {_quantity(planned)} planned{already}, so at "
                f"most {_quantity(available)}", "quantity", line.number))
        earlier.append(Claim(invoice_id=0, terms_id=line.terms.pk, starts_on=line.date_from, ends_on=line.date_to,
                             quantity=line.quantity, amount_pence=line.amount_pence))


def _check_value(result: CheckedInvoice, context: InvoiceContext, problems: list[Problem]) -> None:
    """With flexible use, quantities may move between items: the invoice's total may not exceed
    the value planned for the period across the contract's items, less what other invoices claim
    in the period."""
    draft, contract = result.draft, result.contract
    start, end = draft.period_start, draft.period_end
    terms = context.terms_of(contract)
    epochs = _epochs(terms)
    planned = Decimal(0)
    for index, epoch in enumerate(epochs):
        epoch_end = epochs[index + 1] - datetime.timedelta(days=1) if index + 1 < len(epochs) else end
        days = _overlap(epoch, epoch_end, start, end)
        if days:
            planned += sum((Decimal(row.price_pence) * row.quantity_per_week for row in terms
                            if row.effective_from == epoch), Decimal(0)) * days / WEEK
    claimed = sum((Decimal(claim.amount_pence) * _share(claim, start, end)
                   for claim in _others(context, contract.pk, draft.invoice_id)), Decimal(0))
    available = max(0, money.round_pence(planned - claimed))
    if result.total_pence > available:
        already = f", {format_pence(money.round_pence(claimed))} already invoiced" if claimed else ""
        problems.append(Problem(
            f"The invoice total {format_pence(result.total_pence)} is more than the value planned for "
            f"{_day(start)} to {_day(end)}: {format_pence(money.round_pence(planned))} planned{already}, so at "
            f"most {format_pence(available)}", "total"))


def _check_fund(result: CheckedInvoice, context: InvoiceContext, problems: list[Problem]) -> None:
    contract = result.contract
    held = context.fund_pence.get(contract.pk, 0)
    awaiting = sum(total for invoice_id, total in context.awaiting_pence.get(contract.pk, {}).items()
                   if invoice_id != result.draft.invoice_id)
    left = held - awaiting
    if result.total_pence <= left:
        return
    if awaiting:
        where = (f"the {format_pence(max(left, 0))} left in the fund of contract {contract.reference} "
                 f"({format_pence(held)} held, {format_pence(awaiting)} claimed by invoices waiting for approval)")
    else:
        where = f"the {format_pence(held)} held in the fund of contract {contract.reference}"
    problems.append(Problem(f"The invoice total {format_pence(result.total_pence)} is more than {where}", "total"))
