from django.db import models
from django.db.models import F, Q

from brokerage.models import Person, PlanLine, SupportPlan
from isf.constants import (
    DEFAULT_PAYMENT_WEEKS,
    DEFAULT_REPORTING_DUTY,
    DEFAULT_SURPLUS_CARRY_WEEKS,
    AccountKind,
    CardPaymentPurpose,
    CardPaymentStatus,
    ContractStatus,
    Gateway,
    InvoiceSource,
    InvoiceStatus,
    PaymentKind,
    PaymentStatus,
    RunStatus,
    RunTrigger,
    SurplusStatus,
    TransactionKind,
)
from django.core.validators import RegexValidator

from marketplace.models import Organisation, User
from marketplace.money import format_pence
from providers.constants import RateUnit
from providers.models import ServiceListing


class IsfContract(models.Model):
    """An Individual Service Fund: a three-way agreement between the council, a provider and the
    person, under which the council passes the person's money for a service to the provider, who
    holds it for them and draws on it as it delivers support [H VII, K §3(6)-(8)].

    It is offered when the council approves a plan with an ISF line for the provider's service,
    and becomes active when the provider's staff accept it. A later approved plan version changes
    the contract from its start date (a new :class:`ContractTerms` row) rather than making a new
    contract. The council may suspend it (payments stop; reason recorded), reinstate and end it.
    """

    TRANSITIONS = {
        ContractStatus.OFFERED: {ContractStatus.ACTIVE, ContractStatus.ENDED},
        ContractStatus.ACTIVE: {ContractStatus.SUSPENDED, ContractStatus.ENDED},
        ContractStatus.SUSPENDED: {ContractStatus.ACTIVE, ContractStatus.ENDED},
    }

    reference = models.CharField(max_length=20, unique=True)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="isf_contracts")
    provider = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="isf_contracts")
    listing = models.ForeignKey(ServiceListing, on_delete=models.PROTECT, related_name="isf_contracts")
    status = models.CharField(max_length=20, choices=ContractStatus.choices, default=ContractStatus.OFFERED)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    payment_weeks = models.PositiveSmallIntegerField(
        default=DEFAULT_PAYMENT_WEEKS, help_text="Money is released this many weeks at a time, in advance.")
    surplus_carry_weeks = models.PositiveSmallIntegerField(
        default=DEFAULT_SURPLUS_CARRY_WEEKS,
        help_text="Unspent money up to this many weeks' budget may be carried over; more is recovered.")
    flexible_use = models.BooleanField(
        default=False, help_text="Invoiced quantities may move between the contract's items within the fund.")
    reporting_duty = models.TextField(default=DEFAULT_REPORTING_DUTY)
    offered_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    suspended_reason = models.TextField(blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-offered_at", "-pk"]
        constraints = [
            # One contract in force per person, provider and service: a new plan version amends it.
            models.UniqueConstraint(fields=["person", "provider", "listing"],
                                    condition=~Q(status=ContractStatus.ENDED), name="isf_one_live_contract"),
            models.CheckConstraint(condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                                   name="isf_ends_after_start"),
            models.CheckConstraint(condition=Q(payment_weeks__gte=1), name="isf_payment_weeks_positive"),
        ]

    def __str__(self):
        return f"ISF {self.reference}: {self.listing} for {self.person}"


class ContractTerms(models.Model):
    """What a contract pays from a date: the plan line it comes from, its item, quantity, agreed
    price and weekly amount. The terms in force on a date are the latest starting on or before it;
    earlier terms are kept, never edited."""

    contract = models.ForeignKey(IsfContract, on_delete=models.CASCADE, related_name="terms")
    plan = models.ForeignKey(SupportPlan, on_delete=models.PROTECT, related_name="isf_terms")
    # One set of terms per approved plan line: handling the approval event twice changes nothing.
    plan_line = models.OneToOneField(PlanLine, on_delete=models.PROTECT, related_name="isf_terms")
    effective_from = models.DateField()
    item = models.CharField(max_length=200)
    unit = models.CharField(max_length=10, choices=RateUnit.choices)
    quantity_per_week = models.DecimalField(max_digits=7, decimal_places=2)
    price_pence = models.PositiveBigIntegerField()
    weekly_pence = models.PositiveBigIntegerField(help_text="Quantity × agreed price.")
    outcomes = models.JSONField(default=list, help_text="The outcomes the item serves, in the person's words.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["contract", "-effective_from", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity_per_week__gt=0), name="isf_terms_quantity_positive"),
            models.CheckConstraint(condition=Q(price_pence__gt=0), name="isf_terms_price_positive"),
        ]

    def __str__(self):
        return f"{self.item}: {format_pence(self.weekly_pence)} a week from {self.effective_from:%d %b %Y}"


# The ledger ------------------------------------------------------------------------------------

class LedgerImmutable(Exception):
    """Raised on any attempt to change or delete a ledger row: a mistake is reversed, not edited."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise LedgerImmutable("Ledger rows cannot be changed; post a reversing transaction.")

    def delete(self):
        raise LedgerImmutable("Ledger rows cannot be deleted; post a reversing transaction.")


class AppendOnlyModel(models.Model):
    """A row written once: saving it again or deleting it is refused before the database would."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None or not self._state.adding:
            raise LedgerImmutable("Ledger rows cannot be changed; post a reversing transaction.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerImmutable("Ledger rows cannot be deleted; post a reversing transaction.")


class Account(models.Model):
    """One account of the double-entry ledger. Balances are never stored: they are the sum of the
    account's entries."""

    kind = models.CharField(max_length=30, choices=AccountKind.choices)
    contract = models.ForeignKey(IsfContract, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts")
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="ledger_accounts")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_accounts")
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["kind"], condition=Q(contract__isnull=True, organisation__isnull=True,
                                                                 person__isnull=True),
                                    name="ledger_one_council_account_per_kind"),
            models.UniqueConstraint(fields=["kind", "contract"], condition=Q(contract__isnull=False),
                                    name="ledger_one_account_per_contract"),
            models.UniqueConstraint(fields=["kind", "organisation"], condition=Q(organisation__isnull=False),
                                    name="ledger_one_account_per_organisation"),
            models.UniqueConstraint(fields=["kind", "person"], condition=Q(person__isnull=False),
                                    name="ledger_one_account_per_person"),
        ]

    def __str__(self):
        return self.name


class LedgerTransaction(AppendOnlyModel):
    """A movement of money: two or more entries that add up to zero, posted together and never
    changed. A correction is a new ``reversal`` transaction pointing at the one it undoes.

    ``idempotency_key`` names the real-world event the transaction records (a fund release for a
    contract and period, an invoice, a Stripe event); the database refuses a second transaction
    with the same key, so retrying never moves money twice.
    """

    kind = models.CharField(max_length=20, choices=TransactionKind.choices)
    description = models.CharField(max_length=300)
    occurred_on = models.DateField()
    idempotency_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="reversed_by")
    contract = models.ForeignKey(IsfContract, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="transactions")
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(kind=TransactionKind.REVERSAL) | Q(reverses__isnull=False),
                                   name="ledger_reversal_names_original"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.description}"


class Entry(AppendOnlyModel):
    """One side of a transaction: an amount in pence added to (positive) or taken from (negative)
    an account."""

    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    amount_pence = models.BigIntegerField()

    class Meta:
        ordering = ["transaction", "pk"]
        verbose_name_plural = "entries"
        constraints = [models.CheckConstraint(condition=~Q(amount_pence=0), name="ledger_entry_not_zero")]

    def __str__(self):
        return f"{self.account}: {format_pence(self.amount_pence)}"


# Payees and payments -----------------------------------------------------------------------------

SORT_CODE = RegexValidator(r"^\d{6}$", "Enter a sort code of 6 digits, like 309430")
ACCOUNT_NUMBER = RegexValidator(r"^\d{8}$", "Enter an account number of 8 digits, like 00733445")


class PayeeAccount(models.Model):
    """Where a payee's money goes: a provider's bank account (and its Stripe connected account), or
    the account a person's direct payment is paid into, with who manages it. Changed only through
    :mod:`isf.services.payees`, which audits every change."""

    organisation = models.OneToOneField(Organisation, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="payee_account")
    person = models.OneToOneField(Person, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="payee_account")
    holder_name = models.CharField(max_length=140, help_text="The name on the bank account.")
    sort_code = models.CharField(max_length=6, validators=[SORT_CODE])
    account_number = models.CharField(max_length=8, validators=[ACCOUNT_NUMBER])
    managed_by = models.CharField(
        max_length=200, blank=True,
        help_text="For a direct payment: who manages the account (the person, their representative, the "
                  "council's client money service or a named trustee).")
    stripe_account_id = models.CharField(max_length=64, blank=True,
                                         help_text="The provider's Stripe connected account (acct_…).")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(organisation__isnull=False, person__isnull=True)
                           | Q(organisation__isnull=True, person__isnull=False)),
                name="payee_account_one_owner"),
        ]

    def __str__(self):
        return f"{self.holder_name} ({self.sort_code[:2]}-{self.sort_code[2:4]}-{self.sort_code[4:]})"


class PaymentRun(models.Model):
    """One pass over every active ISF contract and every person with direct payments, paying what is
    due for periods starting by ``covers_until``. Running it again (or a second worker running it at
    the same time) pays nothing twice: each payment's key is unique. Progress and the summary are
    kept on the row so the console can show them while it runs."""

    reference = models.CharField(max_length=30, unique=True)
    run_on = models.DateField()
    covers_until = models.DateField(help_text="Periods starting on or before this date are paid.")
    gateway = models.CharField(max_length=20, choices=Gateway.choices)
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.RUNNING)
    trigger = models.CharField(max_length=20, choices=RunTrigger.choices)
    started_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    to_check = models.PositiveIntegerField(default=0, help_text="Contracts and people to look at.")
    checked = models.PositiveIntegerField(default=0)
    payments_made = models.PositiveIntegerField(default=0)
    total_pence = models.BigIntegerField(default=0)
    failures = models.JSONField(default=list, help_text="[{payment, payee, reason}] for payments not sent.")
    file_confirmed_at = models.DateTimeField(null=True, blank=True)
    file_confirmed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self):
        return f"Payment run {self.reference}"


class Remittance(models.Model):
    """The advice a provider receives for a payment run: the payments made to it and the approved
    invoices settled from the funds it holds."""

    reference = models.CharField(max_length=30, unique=True)
    run = models.ForeignKey(PaymentRun, on_delete=models.PROTECT, related_name="remittances")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="remittances")
    total_pence = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["run", "organisation"], name="remittance_one_per_run")]

    def __str__(self):
        return f"Remittance {self.reference}"


class Payment(models.Model):
    """One outgoing payment: a period's ISF release to a provider, or a period's direct payment to a
    person. ``idempotency_key`` (``isf:<contract>:<period start>`` or ``dp:<person>:<period start>``)
    is unique in the database, is sent to the gateway, and is reused on every retry, so a payment
    is made once however often the run is repeated or a send is retried."""

    TRANSITIONS = {
        PaymentStatus.PENDING: {PaymentStatus.SENT, PaymentStatus.FAILED, PaymentStatus.CANCELLED},
        PaymentStatus.FAILED: {PaymentStatus.SENT, PaymentStatus.CANCELLED},
        PaymentStatus.SENT: {PaymentStatus.SETTLED, PaymentStatus.FAILED},
        # Money returned after it was paid (a reversed transfer, a bounced BACS credit).
        PaymentStatus.SETTLED: {PaymentStatus.FAILED},
    }

    idempotency_key = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=PaymentKind.choices)
    run = models.ForeignKey(PaymentRun, on_delete=models.PROTECT, related_name="payments")
    contract = models.ForeignKey(IsfContract, null=True, blank=True, on_delete=models.PROTECT, related_name="payments")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="payments")
    payee_organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT,
                                           related_name="payments_received")
    period_start = models.DateField()
    period_end = models.DateField()
    release_pence = models.PositiveBigIntegerField(help_text="The council's money for the period.")
    contributions_pence = models.PositiveBigIntegerField(
        default=0, help_text="Card contributions the council collected for this fund, passed on with this payment.")
    amount_pence = models.PositiveBigIntegerField(help_text="What is sent: release plus contributions passed on.")
    status = models.CharField(max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    gateway = models.CharField(max_length=20, choices=Gateway.choices)
    gateway_reference = models.CharField(max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    release = models.OneToOneField(LedgerTransaction, on_delete=models.PROTECT, related_name="payment")
    remittance = models.ForeignKey(Remittance, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="payments")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    cancelled_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "period_start"], condition=Q(contract__isnull=False),
                                    name="payment_once_per_contract_period"),
            models.UniqueConstraint(fields=["person", "period_start"], condition=Q(kind=PaymentKind.DIRECT_PAYMENT),
                                    name="payment_once_per_direct_payment_period"),
            models.CheckConstraint(condition=Q(amount_pence__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(amount_pence=F("release_pence") + F("contributions_pence")),
                                   name="payment_amount_adds_up"),
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="payment_period_ordered"),
            models.CheckConstraint(condition=Q(kind=PaymentKind.DIRECT_PAYMENT) | Q(contract__isnull=False),
                                   name="payment_isf_names_contract"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {format_pence(self.amount_pence)} ({self.idempotency_key})"


# Provider invoices -------------------------------------------------------------------------------

class Invoice(models.Model):
    """A provider's claim on an ISF for support delivered in a period. Validated as it is received
    (every failure listed, nothing saved when any check fails); a council officer approves it (the
    fund is drawn down in the ledger), queries it or rejects it; a payment run's remittance marks it
    paid. Invoice numbers are the provider's own and never repeat for that provider."""

    TRANSITIONS = {
        InvoiceStatus.SUBMITTED: {InvoiceStatus.VALIDATED, InvoiceStatus.REJECTED},
        InvoiceStatus.VALIDATED: {InvoiceStatus.APPROVED, InvoiceStatus.QUERIED, InvoiceStatus.REJECTED},
        InvoiceStatus.QUERIED: {InvoiceStatus.VALIDATED, InvoiceStatus.REJECTED},
        InvoiceStatus.APPROVED: {InvoiceStatus.PAID},
    }

    provider = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="isf_invoices")
    contract = models.ForeignKey(IsfContract, on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(max_length=40, help_text="The provider's own invoice number.")
    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(max_length=20, choices=InvoiceStatus.choices, default=InvoiceStatus.SUBMITTED)
    source = models.CharField(max_length=10, choices=InvoiceSource.choices, default=InvoiceSource.FORM)
    total_pence = models.PositiveBigIntegerField()
    notes = models.TextField(blank=True)
    submitted_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    rejected_reason = models.TextField(blank=True)
    drawdown = models.OneToOneField(LedgerTransaction, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="invoice")
    remittance = models.ForeignKey(Remittance, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="invoices")
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "number"], name="invoice_number_once_per_provider"),
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="invoice_period_ordered"),
            models.CheckConstraint(condition=Q(total_pence__gt=0), name="invoice_total_positive"),
        ]

    def __str__(self):
        return f"Invoice {self.number} ({format_pence(self.total_pence)})"


class InvoiceLine(models.Model):
    """One item of an invoice: the contract item (its terms), the dates, quantity and unit price."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    terms = models.ForeignKey(ContractTerms, on_delete=models.PROTECT, related_name="invoice_lines")
    item = models.CharField(max_length=200)
    starts_on = models.DateField()
    ends_on = models.DateField()
    quantity = models.DecimalField(max_digits=9, decimal_places=2)
    unit_price_pence = models.PositiveBigIntegerField()
    amount_pence = models.PositiveBigIntegerField(help_text="Quantity × unit price, rounded once to the penny.")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["invoice", "position", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="invoice_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price_pence__gt=0), name="invoice_line_price_positive"),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="invoice_line_dates_ordered"),
        ]

    def __str__(self):
        return f"{self.item}: {self.quantity} × {format_pence(self.unit_price_pence)}"


class InvoiceQuery(models.Model):
    """A council officer's question about an invoice and the provider's answer."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="queries")
    question = models.TextField()
    asked_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField(auto_now_add=True)
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["invoice", "asked_at", "pk"]
        verbose_name_plural = "invoice queries"

    def __str__(self):
        return f"Query on {self.invoice}"


# Surpluses ---------------------------------------------------------------------------------------

class SurplusFlag(models.Model):
    """A contract fund found holding more than the surplus rule allows (``surplus_carry_weeks`` of
    the weekly net amount). An officer recovers it (a RECOVERY transaction from the fund) or leaves
    it with the provider with a reason. One open flag per contract."""

    contract = models.ForeignKey(IsfContract, on_delete=models.PROTECT, related_name="surplus_flags")
    found_on = models.DateField()
    balance_pence = models.BigIntegerField()
    allowed_pence = models.BigIntegerField()
    surplus_pence = models.PositiveBigIntegerField()
    status = models.CharField(max_length=20, choices=SurplusStatus.choices, default=SurplusStatus.OPEN)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    recovery = models.OneToOneField(LedgerTransaction, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="surplus_flag")

    TRANSITIONS = {SurplusStatus.OPEN: {SurplusStatus.RECOVERED, SurplusStatus.WAIVED}}

    class Meta:
        ordering = ["-found_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["contract"], condition=Q(status=SurplusStatus.OPEN),
                                    name="surplus_one_open_flag_per_contract"),
            models.CheckConstraint(condition=Q(surplus_pence__gt=0), name="surplus_positive"),
        ]

    def __str__(self):
        return f"Surplus of {format_pence(self.surplus_pence)} on {self.contract.reference}"


# Stripe ------------------------------------------------------------------------------------------

class CardPayment(models.Model):
    """A person paying their contribution (or a top-up) into their ISF by card, through a Stripe
    PaymentIntent. Recorded in the ledger only when Stripe's signed webhook says it succeeded; the
    council passes the money on to the provider with the contract's next payment."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="card_payments")
    contract = models.ForeignKey(IsfContract, on_delete=models.PROTECT, related_name="card_payments")
    purpose = models.CharField(max_length=20, choices=CardPaymentPurpose.choices)
    amount_pence = models.PositiveBigIntegerField()
    status = models.CharField(max_length=20, choices=CardPaymentStatus.choices, default=CardPaymentStatus.STARTED)
    idempotency_key = models.CharField(max_length=100, unique=True)
    payment_intent_id = models.CharField(max_length=100, unique=True, null=True, blank=True)
    started_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.TextField(blank=True)
    ledger_transaction = models.OneToOneField(LedgerTransaction, null=True, blank=True, on_delete=models.PROTECT,
                                              related_name="card_payment")
    passed_on_in = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="card_payments")

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(amount_pence__gt=0), name="card_payment_positive")]

    def __str__(self):
        return f"{self.get_purpose_display()} of {format_pence(self.amount_pence)} by card"


class StripeEvent(models.Model):
    """Every Stripe webhook event received, once: a repeated delivery finds its id here and changes
    nothing."""

    event_id = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=300, blank=True, help_text="What the event changed, in words.")

    class Meta:
        ordering = ["-received_at", "-pk"]

    def __str__(self):
        return f"{self.type} {self.event_id}"
