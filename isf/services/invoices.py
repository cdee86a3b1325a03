"""Provider invoices against ISF contracts: submitted (by form, CSV upload or the API) and validated
at once, queried and answered, approved (the contract's fund is drawn down in the ledger) or
rejected [DESIGN §3: ``submitted → validated | queried → approved → paid``, or ``rejected``].

Every check is in :mod:`isf.invoice_checks`; an invoice with any problem is refused whole with
every problem listed, and nothing is saved. The contract row is locked while an invoice is checked
and saved, so two invoices sent at the same moment cannot both spend the same money or quantity.
Paying an approved invoice (``approved → paid``) belongs to the payment run's remittance.
"""

import datetime
import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from isf import ledger
from isf.constants import InvoiceSource, InvoiceStatus, TransactionKind
from isf.invoice_checks import CheckedInvoice, InvoiceDraft, Problem, check_invoice
from isf.invoice_csv import parse_invoices, read_upload
from isf.models import Account, Invoice, InvoiceLine, InvoiceQuery, IsfContract
from isf.selectors.invoices import invoice_context, invoice_problems_now
from isf.services.contracts import OFFICER_ROLES
from marketplace import audit
from marketplace.constants import PROVIDER_ROLES, Role
from marketplace.money import format_pence
from marketplace.models import Organisation, User
from marketplace.permissions import require_role
from marketplace.transitions import InvalidTransition, allowed_moves, transition

__all__ = ["InvoiceRefused", "invoice_submit", "invoices_import_csv", "invoice_query", "invoice_answer",
           "invoice_approve", "invoice_reject"]

TEXT_MAX = 2000


class InvoiceRefused(ValidationError):
    """An invoice (or a file of them) that cannot be accepted. ``problems`` lists every reason, in
    plain words; for a CSV file each starts with its row ("Row 4: …")."""

    def __init__(self, problems: list[Problem | str]):
        self.problems = list(problems)
        super().__init__([str(problem) for problem in self.problems])


def _text(value, *, key: str, missing: str, what: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise ValidationError({key: [missing]})
    if len(text) > TEXT_MAX:
        raise ValidationError({key: [f"The {what} must be {TEXT_MAX:,} characters or fewer"]})
    return text


def _lock_contracts(provider: Organisation, drafts: list[InvoiceDraft]) -> None:
    """Lock the provider's contracts the drafts name, in id order (so two uploads naming the same
    contracts cannot deadlock)."""
    ids, refs = _contract_keys(drafts)
    if ids or refs:
        list(IsfContract.objects.select_for_update(of=("self",)).filter(provider=provider)
             .filter(Q(pk__in=ids) | Q(reference__in=refs | {ref.upper() for ref in refs}))
             .order_by("pk").values_list("pk", flat=True))


def _contract_keys(drafts: list[InvoiceDraft]) -> tuple[set[int], set[str]]:
    ids, refs = set(), set()
    for draft in drafts:
        key = draft.contract
        if isinstance(key, int) and not isinstance(key, bool):
            ids.add(key)
        elif isinstance(key, str) and key.strip().isdigit():
            ids.add(int(key.strip()))
        elif isinstance(key, str) and key.strip():
            refs.add(key.strip())
    return ids, refs


def _context_for(provider: Organisation, drafts: list[InvoiceDraft], today: datetime.date | None = None):
    ids, refs = _contract_keys(drafts)
    return invoice_context(provider, ids, references=refs, numbers=[draft.number for draft in drafts], today=today)


def _save(checked: CheckedInvoice, *, provider: Organisation, by: User, source: str) -> Invoice:
    """Save a checked invoice (submitted, audited) and validate it at once."""
    draft = checked.draft
    try:
        with transaction.atomic():
            invoice = Invoice.objects.create(
                provider=provider, contract=checked.contract, number=draft.number.strip(),
                period_start=draft.period_start, period_end=draft.period_end, source=source,
                total_pence=checked.total_pence, notes=(draft.notes or "").strip(), submitted_by=by)
    except IntegrityError:
        # Another submission took the number between the check and the save.
        raise InvoiceRefused([Problem(f"Invoice number {draft.number.strip()} has already been used by your "
                                      f"organisation", "number")]) from None
    InvoiceLine.objects.bulk_create(
        InvoiceLine(invoice=invoice, terms=line.terms, item=line.item, starts_on=line.date_from, ends_on=line.date_to,
                    quantity=line.quantity, unit_price_pence=line.unit_price_pence, amount_pence=line.amount_pence,
                    position=index)
        for index, line in enumerate(checked.lines, start=1))
    audit.record(actor=by, verb="invoice.submitted", target=invoice, organisation=provider,
                 after={"number": invoice.number, "contract": checked.contract.pk, "source": source,
                        "period_start": draft.period_start.isoformat(), "period_end": draft.period_end.isoformat(),
                        "lines": len(checked.lines), "total_pence": checked.total_pence})
    return transition(invoice, InvoiceStatus.VALIDATED, by=by, reason="Every check passed", organisation=provider)


@transaction.atomic
def invoice_submit(*, provider: Organisation, draft: InvoiceDraft, by: User,
                   source: str = InvoiceSource.FORM) -> Invoice:
    """Check ``draft`` and, when it passes every check, save it and validate it at once
    (submitted → validated); returns the invoice.

    Raises ``PermissionDenied`` unless ``by`` is staff or an administrator of ``provider``;
    :class:`InvoiceRefused` listing every problem (nothing saved) otherwise.
    """
    require_role(by, *PROVIDER_ROLES, organisation_id=provider.pk)
    _lock_contracts(provider, [draft])
    checked = check_invoice(draft, _context_for(provider, [draft]))
    if checked.problems:
        raise InvoiceRefused(checked.problems)
    return _save(checked, provider=provider, by=by, source=source)


def _row_of(problem: str) -> int:
    match = re.match(r"Row (\d+):", problem)
    return int(match.group(1)) if match else 0


def _row_problem(problem: Problem, draft: InvoiceDraft) -> str:
    row = problem.line if problem.line is not None else draft.row
    message = problem.message
    if problem.line is None:
        message = f"invoice {draft.number}: {message[:1].lower()}{message[1:]}"
    return f"Row {row}: {message}"


@transaction.atomic
def invoices_import_csv(*, provider: Organisation, file, by: User) -> list[Invoice]:
    """Import every invoice of a CSV file (see :mod:`isf.invoice_csv`), all or nothing; returns
    them in the file's order.

    Each invoice is checked as if those before it in the file were already saved, so a file cannot
    spend the same money twice. Raises ``PermissionDenied`` unless ``by`` is staff or an
    administrator of ``provider``; :class:`InvoiceRefused` listing every error, each starting with
    its row ("Row 4: …"), when the file cannot be read or any row has a problem, and then
    imports nothing.
    """
    require_role(by, *PROVIDER_ROLES, organisation_id=provider.pk)
    text, errors = read_upload(file)
    if errors:
        raise InvoiceRefused(errors)
    parsed = parse_invoices(text)
    # Invoices whose rows could all be read are checked too, so one upload lists every problem.
    drafts = [draft for draft in parsed.drafts if draft.number not in parsed.broken]
    _lock_contracts(provider, drafts)
    context = _context_for(provider, drafts)
    results, problems = [], list(parsed.errors)
    for draft in drafts:
        checked = check_invoice(draft, context)
        if checked.problems:
            problems.extend(_row_problem(problem, draft) for problem in checked.problems)
        else:
            context.add(checked)
            results.append(checked)
    if problems:
        problems.sort(key=_row_of)
        raise InvoiceRefused(problems)
    return [_save(checked, provider=provider, by=by, source=InvoiceSource.CSV) for checked in results]


# The council's questions and the provider's answers ---------------------------------------------

def _refuse(invoice: Invoice, target: str):
    raise InvalidTransition(invoice, invoice.status, target, allowed_moves(invoice))


@transaction.atomic
def invoice_query(*, invoice: Invoice, question: str, by: User) -> Invoice:
    """A council officer asks the provider a question about a validated invoice (validated →
    queried).

    Raises ``PermissionDenied`` unless ``by`` is a contract or finance officer;
    ``ValidationError`` keyed ``question`` without one; ``InvalidTransition`` unless the invoice
    is validated.
    """
    require_role(by, *OFFICER_ROLES)
    question = _text(question, key="question", missing="Enter your question for the provider", what="question")
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if locked.status != InvoiceStatus.VALIDATED:
        _refuse(locked, InvoiceStatus.QUERIED)
    InvoiceQuery.objects.create(invoice=locked, question=question, asked_by=by)
    return transition(locked, InvoiceStatus.QUERIED, by=by, reason=question, organisation=locked.provider)


@transaction.atomic
def invoice_answer(*, invoice: Invoice, answer: str, by: User) -> Invoice:
    """The provider answers the open question on a queried invoice. The invoice is checked again
    (contract, prices, quantities, the fund): when it passes it returns to the council's queue
    (queried → validated); otherwise it stays queried and the returned invoice's ``problems``
    lists why.

    Raises ``PermissionDenied`` unless ``by`` is staff or an administrator of the invoice's
    provider; ``ValidationError`` keyed ``answer`` without one; ``InvalidTransition`` unless the
    invoice is queried.
    """
    require_role(by, *PROVIDER_ROLES, organisation_id=invoice.provider_id)
    answer = _text(answer, key="answer", missing="Enter your answer to the council's question", what="answer")
    list(IsfContract.objects.select_for_update(of=("self",)).filter(pk=invoice.contract_id).values_list("pk"))
    locked = Invoice.objects.select_for_update().select_related("provider").get(pk=invoice.pk)
    if locked.status != InvoiceStatus.QUERIED:
        _refuse(locked, InvoiceStatus.VALIDATED)
    query = locked.queries.filter(answered_at__isnull=True).order_by("-asked_at", "-pk").first()
    if query is None:
        _refuse(locked, InvoiceStatus.VALIDATED)
    query.answer, query.answered_by, query.answered_at = answer, by, timezone.now()
    query.save(update_fields=["answer", "answered_by", "answered_at"])
    problems = invoice_problems_now(locked)
    if problems:
        audit.record(actor=by, verb="invoice.answered", target=locked, organisation=locked.provider, reason=answer,
                     after={"status": locked.status, "problems": [str(problem) for problem in problems]})
        locked.problems = problems
        return locked
    validated = transition(locked, InvoiceStatus.VALIDATED, by=by, reason=answer, organisation=locked.provider)
    validated.problems = []
    return validated


# The council's decision -------------------------------------------------------------------------

@transaction.atomic
def invoice_approve(*, invoice: Invoice, by: User) -> Invoice:
    """A finance officer approves a validated invoice: its total is drawn down from the contract's
    fund to the provider's income in the ledger (a DRAWDOWN keyed by the invoice) and it becomes
    approved. Contract officers may query and reject invoices but not approve them: approving
    moves money, which is the finance officers' job. Approving twice is harmless.

    Raises ``PermissionDenied`` unless ``by`` is a finance officer; ``ValidationError`` when the
    fund no longer holds the total; ``InvalidTransition`` unless the invoice is validated.
    """
    require_role(by, Role.FINANCE_OFFICER)
    locked = Invoice.objects.select_for_update().select_related("provider", "contract").get(pk=invoice.pk)
    if locked.status in (InvoiceStatus.APPROVED, InvoiceStatus.PAID):
        return locked
    if locked.status != InvoiceStatus.VALIDATED:
        _refuse(locked, InvoiceStatus.APPROVED)
    contract = locked.contract
    fund = ledger.contract_fund_account(contract)
    # Locked before its balance is read, so two approvals cannot both spend the same pound.
    list(Account.objects.select_for_update(of=("self",)).filter(pk=fund.pk).values_list("pk"))
    held = ledger.balance(fund)
    if held < locked.total_pence:
        raise ValidationError(
            f"The fund of contract {contract.reference} holds {format_pence(held)}: not enough to approve "
            f"invoice {locked.number} for {format_pence(locked.total_pence)}")
    drawdown = ledger.post(
        kind=TransactionKind.DRAWDOWN, description=f"Invoice {locked.number} from {locked.provider.name}",
        occurred_on=timezone.localdate(), contract=contract, by=by, idempotency_key=f"invoice:{locked.pk}",
        entries=[(fund, -locked.total_pence), (ledger.provider_income_account(locked.provider), locked.total_pence)])

    def approved(row: Invoice) -> None:
        row.approved_by, row.approved_at, row.drawdown = by, timezone.now(), drawdown

    return transition(locked, InvoiceStatus.APPROVED, by=by, organisation=locked.provider, apply=approved)


@transaction.atomic
def invoice_reject(*, invoice: Invoice, reason: str, by: User) -> Invoice:
    """A council officer rejects an invoice that is waiting (submitted, validated or queried),
    with a reason the provider sees. Its quantities and total stop counting against the contract.
    Rejecting it again changes nothing.

    Raises ``PermissionDenied`` unless ``by`` is a contract or finance officer;
    ``ValidationError`` keyed ``reason`` without one; ``InvalidTransition`` for an invoice
    already approved or paid.
    """
    require_role(by, *OFFICER_ROLES)
    reason = _text(reason, key="reason", missing="Enter why you are rejecting the invoice", what="reason")

    def rejected(row: Invoice) -> None:
        row.rejected_reason = reason

    return transition(invoice, InvoiceStatus.REJECTED, by=by, reason=reason, organisation=invoice.provider,
                      apply=rejected)
