"""Money movements and invoice, payment and remittance rows built directly for statement tests:
ledger postings through ``isf.ledger`` and rows created as the invoice and payment services would
leave them."""

import datetime
import itertools
from decimal import Decimal

from isf import ledger
from isf.constants import AccountKind, Gateway, InvoiceStatus, PaymentKind, PaymentStatus, RunTrigger, TransactionKind
from isf.models import ContractTerms, Invoice, InvoiceLine, IsfContract, Payment, PaymentRun, Remittance
from marketplace.money import multiply

_numbers = itertools.count(1)
DAY = datetime.date(2026, 5, 4)


def day(offset: int) -> datetime.date:
    return DAY + datetime.timedelta(days=offset)


def release(contract: IsfContract, pence: int, on: datetime.date = DAY, key: str | None = None):
    return ledger.post(kind=TransactionKind.RELEASE, description=f"Fund release for {contract.reference}",
                       occurred_on=on, contract=contract, idempotency_key=key,
                       entries=[(ledger.council_account(AccountKind.COUNCIL_FUNDING), -pence),
                                (ledger.contract_fund_account(contract), pence)])


def contribute(contract: IsfContract, pence: int, on: datetime.date = DAY):
    return ledger.post(kind=TransactionKind.CONTRIBUTION, description="Contribution paid", occurred_on=on,
                       contract=contract,
                       entries=[(ledger.person_contribution_account(contract.person), -pence),
                                (ledger.contract_fund_account(contract), pence)])


def drawdown(contract: IsfContract, pence: int, on: datetime.date = DAY):
    return ledger.post(kind=TransactionKind.DRAWDOWN, description="Delivered support", occurred_on=on,
                       contract=contract,
                       entries=[(ledger.contract_fund_account(contract), -pence),
                                (ledger.provider_income_account(contract.provider), pence)])


def recover(contract: IsfContract, pence: int, on: datetime.date = DAY):
    return ledger.post(kind=TransactionKind.RECOVERY, description="Surplus recovered", occurred_on=on,
                       contract=contract,
                       entries=[(ledger.contract_fund_account(contract), -pence),
                                (ledger.council_account(AccountKind.RECOVERIES), pence)])


def direct_payment(person, pence: int, on: datetime.date = DAY):
    return ledger.post(kind=TransactionKind.DIRECT_PAYMENT, description="Direct payment", occurred_on=on,
                       entries=[(ledger.council_account(AccountKind.COUNCIL_FUNDING), -pence),
                                (ledger.direct_payment_account(person), pence)])


def approved_invoice(contract: IsfContract, lines: list[tuple[str, str, int]], *, on: datetime.date = DAY,
                     number: str | None = None, status: str = InvoiceStatus.APPROVED) -> Invoice:
    """An approved invoice of ``lines`` (item, quantity, unit price in pence) against the contract's
    first terms, with its drawdown posted on ``on``."""
    terms = ContractTerms.objects.filter(contract=contract).order_by("pk").first()
    amounts = [multiply(price, Decimal(quantity)) for _, quantity, price in lines]
    total = sum(amounts)
    posted = drawdown(contract, total, on) if status in (InvoiceStatus.APPROVED, InvoiceStatus.PAID) else None
    invoice = Invoice.objects.create(provider=contract.provider, contract=contract,
                                     number=number or f"INV-{next(_numbers):05d}",
                                     period_start=on - datetime.timedelta(days=27), period_end=on, status=status,
                                     total_pence=total, drawdown=posted)
    InvoiceLine.objects.bulk_create(
        InvoiceLine(invoice=invoice, terms=terms, item=item, starts_on=invoice.period_start, ends_on=on,
                    quantity=Decimal(quantity), unit_price_pence=price, amount_pence=amount, position=index)
        for index, ((item, quantity, price), amount) in enumerate(zip(lines, amounts, strict=True)))
    return invoice


def payment_run(on: datetime.date = DAY) -> PaymentRun:
    return PaymentRun.objects.create(reference=f"RUN-{next(_numbers):05d}", run_on=on, covers_until=on,
                                     gateway=Gateway.PAYMENT_FILE, trigger=RunTrigger.COMMAND)


def payment(contract: IsfContract, pence: int, *, run: PaymentRun, period_start: datetime.date = DAY,
            status: str = PaymentStatus.SETTLED, remittance: Remittance | None = None) -> Payment:
    posted = release(contract, pence, period_start, key=f"isf:{contract.pk}:{period_start.isoformat()}")
    return Payment.objects.create(
        idempotency_key=f"isf:{contract.pk}:{period_start.isoformat()}", kind=PaymentKind.ISF_RELEASE, run=run,
        contract=contract, person=contract.person, payee_organisation=contract.provider, period_start=period_start,
        period_end=period_start + datetime.timedelta(days=27), release_pence=pence, amount_pence=pence,
        status=status, gateway=Gateway.PAYMENT_FILE, release=posted, remittance=remittance)


def remittance(organisation, run: PaymentRun, total: int = 0) -> Remittance:
    return Remittance.objects.create(reference=f"REM-{next(_numbers):05d}", run=run, organisation=organisation,
                                     total_pence=total)
