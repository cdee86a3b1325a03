"""Who sees which invoices, what the invoice checks read, and the reads behind the invoice pages.

Council contract and finance officers see every invoice; a provider's staff and administrators see
their organisation's; the person, and their representative, see (read only) the invoices on their
contracts. Lines and queries are seen by whoever may see their invoice.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable

from django.db import DEFAULT_DB_ALIAS
from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from isf import ledger
from isf.constants import AccountKind, ContractStatus, InvoiceStatus
from isf.invoice_checks import (
    AWAITING_DRAWDOWN,
    LIVE_STATUSES,
    Claim,
    DraftLine,
    InvoiceContext,
    InvoiceDraft,
    Problem,
    check_invoice,
)
from isf.models import Account, ContractTerms, Entry, Invoice, InvoiceLine, InvoiceQuery, IsfContract
from marketplace.constants import PROVIDER_ROLES
from marketplace.models import Organisation, User
from marketplace.permissions import is_council_officer, organisation_ids
from marketplace.scoping import scope_rule


def _invoices_q(user: User, prefix: str = "") -> Q | None:
    """The invoices ``user`` may see, as a filter (None: all of them)."""
    if is_council_officer(user):
        return None
    return (Q(**{f"{prefix}provider_id__in": organisation_ids(user, *PROVIDER_ROLES)})
            | Q(**{f"{prefix}contract__person__user": user})
            | Q(**{f"{prefix}contract__person__representative": user}))


def _scoped(user: User, queryset: QuerySet, prefix: str = "") -> QuerySet:
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    rule = _invoices_q(user, prefix)
    return queryset if rule is None else queryset.filter(rule)


@scope_rule(Invoice)
def _invoices(user: User, queryset: QuerySet) -> QuerySet:
    return _scoped(user, queryset)


@scope_rule(InvoiceLine)
def _invoice_lines(user: User, queryset: QuerySet) -> QuerySet:
    return _scoped(user, queryset, "invoice__")


@scope_rule(InvoiceQuery)
def _invoice_queries(user: User, queryset: QuerySet) -> QuerySet:
    return _scoped(user, queryset, "invoice__")


# What the checks read ----------------------------------------------------------------------------

# The fields the checks read; the rest stay deferred (and are loaded if anything asks for them).
CONTRACT_FIELDS = ("id", "reference", "person_id", "provider_id", "listing_id", "status", "starts_on", "ends_on",
                   "payment_weeks", "surplus_carry_weeks", "flexible_use")
TERMS_FIELDS = ("id", "contract_id", "plan_id", "plan_line_id", "effective_from", "item", "unit",
                "quantity_per_week", "price_pence", "weekly_pence")


def invoice_context(provider: Organisation | int, contract_ids: Iterable[int] = (), *,
                    references: Iterable[str] = (), numbers: Iterable[str] | None = None,
                    today: datetime.date | None = None) -> InvoiceContext:
    """Everything :func:`isf.invoice_checks.invoice_problems` needs to check invoices of
    ``provider`` against the contracts named by id (``contract_ids``) or reference
    (``references``), in three queries however many invoices and lines: the provider's contracts
    among them with their terms and their funds' balances, the lines of live invoices on those
    contracts (with the totals of those not yet drawn down) and the provider's invoice numbers
    already used (only ``numbers`` when given). Another provider's contract is never loaded, so it is
    "not found".

    This runs for every invoice a provider submits, so it reads plain rows and builds the model
    instances itself: the checks need no more, and the ORM's prefetching would cost more than
    the queries."""
    provider_id = provider.pk if isinstance(provider, Organisation) else int(provider)
    ids = {int(value) for value in contract_ids if value is not None}
    refs = {value.strip() for value in references if value and value.strip()}
    context = InvoiceContext(provider_id=provider_id, today=today or timezone.localdate())
    if ids or refs:
        _load_contracts(context, provider_id, ids, refs)
    loaded = list(context.contracts)
    if loaded:
        # One query gives both what live invoices claim and what those not yet drawn down are
        # owed: every invoice has at least one line.
        claims, awaiting = defaultdict(list), defaultdict(dict)
        rows = (InvoiceLine.objects.filter(invoice__contract_id__in=loaded, invoice__status__in=LIVE_STATUSES)
                .order_by()
                .values_list("invoice_id", "invoice__contract_id", "invoice__status", "invoice__total_pence",
                             "terms_id", "starts_on", "ends_on", "quantity", "amount_pence"))
        for invoice_id, contract_id, status, total, terms_id, starts_on, ends_on, quantity, amount in rows:
            claims[contract_id].append(Claim(invoice_id=invoice_id, terms_id=terms_id, starts_on=starts_on,
                                             ends_on=ends_on, quantity=quantity, amount_pence=amount))
            if status in AWAITING_DRAWDOWN:
                awaiting[contract_id][invoice_id] = total
        context.claims, context.awaiting_pence = claims, awaiting
    used = Invoice.objects.filter(provider_id=provider_id).order_by()
    if numbers is not None:
        used = used.filter(number__in={number.strip() for number in numbers if number and number.strip()})
    context.numbers = dict(used.values_list("number", "pk"))
    return context


def _load_contracts(context: InvoiceContext, provider_id: int, ids: set[int], refs: set[str]) -> None:
    """The provider's contracts named by ``ids`` or ``refs``, each with its terms (a contract
    without terms yet still loads) and its fund's balance (0 before anything is released), in one
    query."""
    # References are ours (ISF-000123): a provider typing one in lower case still finds it.
    wanted = Q(pk__in=ids) | Q(reference__in=refs | {ref.upper() for ref in refs})
    held = (Entry.objects.filter(account__kind=AccountKind.CONTRACT_FUND, account__contract=OuterRef("pk"))
            .order_by().values("account__contract").annotate(total=Sum("amount_pence")).values("total"))
    rows = (IsfContract.objects.filter(provider_id=provider_id).filter(wanted).order_by()
            .annotate(fund_pence=Coalesce(Subquery(held), Value(0)))
            .values_list(*CONTRACT_FIELDS, "fund_pence", *(f"terms__{name}" for name in TERMS_FIELDS)))
    width = len(CONTRACT_FIELDS)
    terms_of = defaultdict(list)
    for row in rows:
        contract_id = row[0]
        if contract_id not in context.contracts:
            context.contracts[contract_id] = IsfContract.from_db(DEFAULT_DB_ALIAS, CONTRACT_FIELDS, row[:width])
            context.fund_pence[contract_id] = int(row[width])
            terms_of[contract_id] = []
        if row[width + 1] is not None:
            terms_of[contract_id].append(ContractTerms.from_db(DEFAULT_DB_ALIAS, TERMS_FIELDS, row[width + 1:]))
    context.index(terms_of)


def invoice_as_draft(invoice: Invoice) -> InvoiceDraft:
    """A saved invoice as a draft, to check it again (its own number and lines do not count
    against it). Uses ``invoice.lines`` when prefetched."""
    lines = tuple(DraftLine(item=line.terms_id, date_from=line.starts_on, date_to=line.ends_on,
                            quantity=line.quantity, unit_price_pence=line.unit_price_pence, number=index)
                  for index, line in enumerate(invoice.lines.all(), start=1))
    return InvoiceDraft(number=invoice.number, contract=invoice.contract_id, period_start=invoice.period_start,
                        period_end=invoice.period_end, lines=lines, notes=invoice.notes, invoice_id=invoice.pk)


def invoice_problems_now(invoice: Invoice) -> list[Problem]:
    """Every problem a saved invoice has now: its contract, its fund and the other invoices may
    have changed since it was submitted."""
    draft = invoice_as_draft(invoice)
    context = invoice_context(invoice.provider_id, [invoice.contract_id], numbers=[draft.number])
    return check_invoice(draft, context).problems


# Reads for pages -------------------------------------------------------------------------------

def with_details(queryset: QuerySet) -> QuerySet:
    """Invoices with their provider, contract (and its person and terms), lines and queries."""
    return (queryset.select_related("provider", "contract", "contract__person", "contract__listing", "submitted_by",
                                    "approved_by", "drawdown")
            .prefetch_related(Prefetch("lines", queryset=InvoiceLine.objects.select_related("terms")
                                       .order_by("position", "pk")),
                              Prefetch("queries", queryset=InvoiceQuery.objects.select_related(
                                  "asked_by", "answered_by").order_by("asked_at", "pk"))))


def provider_invoices(organisation_id: int, *, status: str = "") -> QuerySet:
    """A provider's invoices for its portal, newest first."""
    queryset = Invoice.objects.filter(provider_id=organisation_id).select_related("contract")
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-submitted_at", "-pk")


def active_contracts(organisation_id: int) -> QuerySet:
    """The provider's contracts in force, with their terms: the ones it may invoice against."""
    return (IsfContract.objects.filter(provider_id=organisation_id, status=ContractStatus.ACTIVE)
            .select_related("person", "listing").prefetch_related("terms").order_by("reference"))


QUEUE_STATUSES = (InvoiceStatus.VALIDATED, InvoiceStatus.QUERIED)


def console_invoices(*, status: str = "", provider_id: int | None = None) -> QuerySet:
    """The council's queue: invoices waiting for a decision (validated and queried) unless another
    status is asked for, oldest first."""
    queryset = Invoice.objects.select_related("provider", "contract", "contract__person")
    queryset = queryset.filter(status=status) if status else queryset.filter(status__in=QUEUE_STATUSES)
    if provider_id:
        queryset = queryset.filter(provider_id=provider_id)
    return queryset.order_by("submitted_at", "pk")


def fund_balance(contract: IsfContract) -> int:
    """What the provider holds for the person under ``contract``; 0 before anything is released.
    Reading never creates the fund's account."""
    account = Account.objects.filter(kind=AccountKind.CONTRACT_FUND, contract=contract).first()
    return 0 if account is None else ledger.balance(account)
