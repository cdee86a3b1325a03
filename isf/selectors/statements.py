"""Statements of ISF money, worked out from the ledger and the invoices each time they are asked
for and never stored [DESIGN §4]: the person's (money the council put in, their contributions,
what was spent on which item, recoveries and the balance held for them, plus any direct payments
paid to them) and the provider's (its contracts and what each fund holds, invoices, payments
received and remittances).

Both take an optional period (``start`` and ``end``, each included). Money figures cover the
period; balances are as at its end, with the balance brought forward at its start. Reversals count
on the day they were posted, against the kind of transaction they undo, so a reversed release is
taken off "money put in" rather than shown as spending.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, IntegerField, Q, QuerySet, Sum, Value, When

from brokerage.models import Person
from isf.constants import AccountKind, InvoiceStatus, PaymentKind, PaymentStatus, SurplusStatus, TransactionKind
from isf.ledger import OPENING, StatementLine, statement
from isf.models import Account, Entry, Invoice, InvoiceLine, IsfContract, Payment, Remittance, SurplusFlag
from marketplace.models import Organisation

# Invoices whose support has been drawn down from the fund: what "spent" means on a statement.
SPENT_STATUSES = (InvoiceStatus.APPROVED, InvoiceStatus.PAID)
# Payments that have left the council (or are on their way): what a provider has received.
RECEIVED_STATUSES = (PaymentStatus.SENT, PaymentStatus.SETTLED)
QUANTITY = Decimal("0.01")


@dataclass(frozen=True)
class ItemSpend:
    item: str
    quantity: Decimal
    amount_pence: int


@dataclass(frozen=True)
class ContractStatement:
    """One ISF contract on the person's statement."""

    contract: IsfContract
    opening_pence: int
    released_pence: int
    contributions_pence: int
    spent_pence: int
    recovered_pence: int
    balance_pence: int
    spent_by_item: list[ItemSpend]
    lines: list[StatementLine]

    @property
    def other_pence(self) -> int:
        """Movements that are none of the above (there should be none; shown so the sums add up)."""
        return (self.balance_pence - self.opening_pence - self.released_pence - self.contributions_pence
                + self.spent_pence + self.recovered_pence)


@dataclass(frozen=True)
class PersonStatement:
    person: Person
    start: datetime.date | None
    end: datetime.date | None
    contracts: list[ContractStatement]
    direct_payment_lines: list[StatementLine] = field(default_factory=list)

    def _total(self, name: str) -> int:
        return sum(getattr(row, name) for row in self.contracts)

    @property
    def opening_pence(self) -> int:
        return self._total("opening_pence")

    @property
    def released_pence(self) -> int:
        return self._total("released_pence")

    @property
    def contributions_pence(self) -> int:
        return self._total("contributions_pence")

    @property
    def spent_pence(self) -> int:
        return self._total("spent_pence")

    @property
    def recovered_pence(self) -> int:
        return self._total("recovered_pence")

    @property
    def balance_pence(self) -> int:
        return self._total("balance_pence")

    @property
    def direct_payments_pence(self) -> int:
        """Direct payments paid to the person in the period (net of any taken back)."""
        return sum(line.amount_pence for line in self.direct_payment_lines if not line.is_opening)

    @property
    def has_direct_payments(self) -> bool:
        return len(self.direct_payment_lines) > 1 or any(line.amount_pence for line in self.direct_payment_lines)


def _in_period(day: datetime.date, start: datetime.date | None, end: datetime.date | None) -> bool:
    return (start is None or day >= start) and (end is None or day <= end)


def _category(kind: str, reversed_kind: str | None) -> str:
    return reversed_kind if kind == TransactionKind.REVERSAL and reversed_kind else kind


def _fund_statements(accounts: dict[int, Account], start, end) -> dict[int, dict]:
    """Per contract: opening, period totals by kind of transaction and statement lines, from one
    query over every entry of the given fund accounts. The lines are what
    :func:`isf.ledger.statement` gives for each account, without a query per account."""
    by_account = {account.pk: contract_id for contract_id, account in accounts.items()}
    result = {contract_id: {"opening": 0, "kinds": defaultdict(int), "lines": [], "closing": 0}
              for contract_id in accounts}
    rows = (Entry.objects.filter(account_id__in=list(by_account))
            .order_by("transaction__occurred_on", "transaction_id", "pk")
            .values_list("account_id", "amount_pence", "transaction_id", "transaction__kind",
                         "transaction__occurred_on", "transaction__description", "transaction__reverses__kind"))
    pending = defaultdict(list)
    for account_id, amount, transaction_id, kind, occurred_on, description, reversed_kind in rows:
        data = result[by_account[account_id]]
        if start is not None and occurred_on < start:
            data["opening"] += amount
            continue
        if end is not None and occurred_on > end:
            continue
        data["kinds"][_category(kind, reversed_kind)] += amount
        pending[by_account[account_id]].append((occurred_on, description, kind, amount, transaction_id))
    for contract_id, data in result.items():
        running = data["opening"]
        lines = [StatementLine(occurred_on=start, description="Balance brought forward", kind=OPENING,
                               amount_pence=running, balance_pence=running)]
        for occurred_on, description, kind, amount, transaction_id in pending[contract_id]:
            running += amount
            lines.append(StatementLine(occurred_on=occurred_on, description=description, kind=kind,
                                       amount_pence=amount, balance_pence=running, transaction_id=transaction_id))
        data["lines"], data["closing"] = lines, running
    return result


def _spent_by_item(invoices: QuerySet, start, end) -> dict[int, list[ItemSpend]]:
    """``{contract id: [ItemSpend…]}`` for invoice lines drawn down in the period (by the date of the
    drawdown, as on the ledger), leaving out invoices whose drawdown was reversed."""
    lines = InvoiceLine.objects.filter(invoice__in=invoices, invoice__status__in=SPENT_STATUSES,
                                       invoice__drawdown__isnull=False,
                                       invoice__drawdown__reversed_by__isnull=True)
    if start is not None:
        lines = lines.filter(invoice__drawdown__occurred_on__gte=start)
    if end is not None:
        lines = lines.filter(invoice__drawdown__occurred_on__lte=end)
    rows = (lines.order_by().values("invoice__contract_id", "item")
            .annotate(quantity=Sum("quantity"), amount=Sum("amount_pence"))
            .values_list("invoice__contract_id", "item", "quantity", "amount"))
    result: dict[int, list[ItemSpend]] = defaultdict(list)
    for contract_id, item, quantity, amount in rows:
        # Databases differ in the scale of a summed decimal; quantities have two places everywhere.
        result[contract_id].append(ItemSpend(item=item, quantity=Decimal(quantity).quantize(QUANTITY),
                                             amount_pence=amount))
    for spends in result.values():
        spends.sort(key=lambda spend: spend.item.lower())
    return result


def person_statement(person: Person, *, start: datetime.date | None = None,
                     end: datetime.date | None = None) -> PersonStatement:
    """The person's ISF statement for the period (all time when open), over every contract they
    have had whatever its status, plus the direct payments paid to them. The number of queries does
    not grow with contracts or transactions."""
    contracts = list(IsfContract.objects.filter(person=person).select_related("provider", "listing")
                     .order_by("starts_on", "pk"))
    accounts = {account.contract_id: account for account in Account.objects.filter(
        kind=AccountKind.CONTRACT_FUND, contract__person=person)}
    funds = _fund_statements(accounts, start, end)
    spent = _spent_by_item(Invoice.objects.filter(contract__person=person), start, end)
    rows = []
    for contract in contracts:
        data = funds.get(contract.pk)
        if data is None:
            data = {"opening": 0, "kinds": {}, "closing": 0,
                    "lines": [StatementLine(occurred_on=start, description="Balance brought forward", kind=OPENING,
                                            amount_pence=0, balance_pence=0)]}
        kinds = data["kinds"]
        rows.append(ContractStatement(
            contract=contract, opening_pence=data["opening"],
            released_pence=kinds.get(TransactionKind.RELEASE, 0),
            contributions_pence=kinds.get(TransactionKind.CONTRIBUTION, 0),
            spent_pence=-kinds.get(TransactionKind.DRAWDOWN, 0),
            recovered_pence=-kinds.get(TransactionKind.RECOVERY, 0),
            balance_pence=data["closing"], spent_by_item=spent.get(contract.pk, []), lines=data["lines"]))
    direct = Account.objects.filter(kind=AccountKind.DIRECT_PAYMENT, person=person).first()
    direct_lines = statement(direct, start=start, end=end) if direct is not None else []
    return PersonStatement(person=person, start=start, end=end, contracts=rows, direct_payment_lines=direct_lines)


# The provider's statement ----------------------------------------------------------------------

@dataclass(frozen=True)
class ProviderContractRow:
    contract: IsfContract
    balance_pence: int


@dataclass(frozen=True)
class ProviderStatement:
    organisation: Organisation
    start: datetime.date | None
    end: datetime.date | None
    contracts: list[ProviderContractRow]
    invoices: list[Invoice]
    payments: list[Payment]
    remittances: list[Remittance]

    @property
    def held_pence(self) -> int:
        return sum(row.balance_pence for row in self.contracts)

    @property
    def invoiced_pence(self) -> int:
        return sum(invoice.total_pence for invoice in self.invoices if invoice.status != InvoiceStatus.REJECTED)

    @property
    def approved_pence(self) -> int:
        return sum(invoice.total_pence for invoice in self.invoices if invoice.status in SPENT_STATUSES)

    @property
    def received_pence(self) -> int:
        return sum(payment.amount_pence for payment in self.payments if payment.status in RECEIVED_STATUSES)


def _fund_balances(contract_ids: list[int], on: datetime.date | None) -> dict[int, int]:
    entries = Entry.objects.filter(account__kind=AccountKind.CONTRACT_FUND, account__contract_id__in=contract_ids)
    if on is not None:
        entries = entries.filter(transaction__occurred_on__lte=on)
    return dict(entries.order_by().values("account__contract_id").annotate(total=Sum("amount_pence"))
                .values_list("account__contract_id", "total"))


def _overlapping(queryset: QuerySet, start, end, first: str = "period_start", last: str = "period_end") -> QuerySet:
    if start is not None:
        queryset = queryset.filter(**{f"{last}__gte": start})
    if end is not None:
        queryset = queryset.filter(**{f"{first}__lte": end})
    return queryset


def provider_payments(organisation: Organisation) -> QuerySet:
    """Payments made to the organisation: its ISF releases (and anything else paid to it)."""
    return Payment.objects.filter(Q(payee_organisation=organisation)
                                  | Q(kind=PaymentKind.ISF_RELEASE, contract__provider=organisation))


def provider_statement(organisation: Organisation, *, start: datetime.date | None = None,
                       end: datetime.date | None = None) -> ProviderStatement:
    """The provider's statement: every contract with what its fund holds at the end of the period,
    and the invoices and payments whose periods overlap it and remittances made in it. Five
    queries however many rows."""
    contracts = list(IsfContract.objects.filter(provider=organisation).select_related("person", "listing")
                     .order_by("reference"))
    held = _fund_balances([contract.pk for contract in contracts], end)
    invoices = list(_overlapping(Invoice.objects.filter(provider=organisation), start, end)
                    .select_related("contract").order_by("-period_start", "-pk"))
    payments = list(_overlapping(provider_payments(organisation), start, end)
                    .select_related("contract", "remittance").order_by("-period_start", "-pk"))
    remittances = Remittance.objects.filter(organisation=organisation).select_related("run")
    if start is not None:
        remittances = remittances.filter(run__run_on__gte=start)
    if end is not None:
        remittances = remittances.filter(run__run_on__lte=end)
    return ProviderStatement(
        organisation=organisation, start=start, end=end,
        contracts=[ProviderContractRow(contract=contract, balance_pence=held.get(contract.pk, 0))
                   for contract in contracts],
        invoices=invoices, payments=payments, remittances=list(remittances.order_by("-run__run_on", "-pk")))


# Remittances -----------------------------------------------------------------------------------

def provider_remittances(organisation: Organisation) -> QuerySet:
    """The organisation's remittance advices, newest first."""
    return Remittance.objects.filter(organisation=organisation).select_related("run").order_by("-created_at", "-pk")


@dataclass(frozen=True)
class RemittanceDetail:
    remittance: Remittance
    payments: list[Payment]
    invoices: list[Invoice]

    @property
    def payments_pence(self) -> int:
        return sum(payment.amount_pence for payment in self.payments)

    @property
    def invoices_pence(self) -> int:
        return sum(invoice.total_pence for invoice in self.invoices)


def remittance_detail(organisation: Organisation, remittance_id: int) -> RemittanceDetail:
    """One of the organisation's remittances with the payments made and invoices settled on it.
    Raises ``Remittance.DoesNotExist`` for another organisation's remittance."""
    remittance = provider_remittances(organisation).get(pk=remittance_id)
    payments = list(remittance.payments.select_related("contract", "person").order_by("period_start", "pk"))
    invoices = list(remittance.invoices.select_related("contract").order_by("number", "pk"))
    return RemittanceDetail(remittance=remittance, payments=payments, invoices=invoices)


# Surpluses, for the console ---------------------------------------------------------------------

def surplus_flags(*, status: str = "") -> QuerySet:
    """Surplus flags, open first, then newest."""
    queryset = SurplusFlag.objects.select_related("contract", "contract__provider", "contract__person", "decided_by")
    if status:
        queryset = queryset.filter(status=status)
    open_first = Case(When(status=SurplusStatus.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField())
    return queryset.annotate(open_rank=open_first).order_by("open_rank", "-found_on", "-pk")


def fund_balance_now(contract: IsfContract) -> int:
    """What the contract's fund holds now; 0 before anything was released. Never creates the account."""
    return _fund_balances([contract.pk], None).get(contract.pk, 0)
