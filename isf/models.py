from django.db import models
from django.db.models import F, Q

from brokerage.models import Person, PlanLine, SupportPlan
from isf.constants import (
    DEFAULT_PAYMENT_WEEKS,
    DEFAULT_REPORTING_DUTY,
    DEFAULT_SURPLUS_CARRY_WEEKS,
    AccountKind,
    ContractStatus,
    TransactionKind,
)
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
