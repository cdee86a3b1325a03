import datetime

from django.db import models


class ContractStatus(models.TextChoices):
    """The life of an Individual Service Fund contract [DESIGN §3]."""

    # Offered to the provider after the council approved the plan; no money moves yet.
    OFFERED = "offered", "Offered"
    # The provider accepted: the three-way agreement is in force and funds are released to it.
    ACTIVE = "active", "Active"
    # The council stopped payments for now, with a reason; it can be reinstated.
    SUSPENDED = "suspended", "Suspended"
    # Finished: by the council, at its end date, or because the provider declined the offer.
    ENDED = "ended", "Ended"


# Four-weekly in advance unless the contract says otherwise.
DEFAULT_PAYMENT_WEEKS = 4
# Unspent money up to four weeks' budget may be carried; more is recovered.
DEFAULT_SURPLUS_CARRY_WEEKS = 4
DEFAULT_REPORTING_DUTY = ("Every 12 weeks the provider reports to the council and the person how the fund was "
                          "spent against the person's outcomes, and the balance held.")


class AccountKind(models.TextChoices):
    """The accounts of the ledger. Every transaction's entries add up to zero across them."""

    # Where the council's money for ISFs comes from (it goes negative as money is released).
    COUNCIL_FUNDING = "council_funding", "Council ISF funding"
    # One per contract: the person's money held by the provider on their behalf.
    CONTRACT_FUND = "contract_fund", "ISF held by the provider"
    # One per provider: what the provider has earned by delivering support (drawn from funds).
    PROVIDER_INCOME = "provider_income", "Provider income"
    # One per person: their assessed contribution paid in.
    PERSON_CONTRIBUTION = "person_contribution", "Person's contribution"
    # Money recovered by the council (surpluses above the rule, corrections).
    RECOVERIES = "recoveries", "Recoveries"
    # One per person: direct payments paid to the person (or their third-party manager) to spend.
    DIRECT_PAYMENT = "direct_payment", "Direct payment held by the person"


# Accounts that belong to something: a contract, a provider, a person. The others are the council's.
ACCOUNT_OWNER = {
    AccountKind.CONTRACT_FUND: "contract",
    AccountKind.PROVIDER_INCOME: "organisation",
    AccountKind.PERSON_CONTRIBUTION: "person",
    AccountKind.DIRECT_PAYMENT: "person",
}


class TransactionKind(models.TextChoices):
    # The council releases a period's money into a contract's fund.
    RELEASE = "release", "Fund release"
    # The council pays a period's direct payment to the person (or their third-party manager).
    DIRECT_PAYMENT = "direct_payment", "Direct payment"
    # An approved invoice draws delivered support down from the fund to the provider's income.
    DRAWDOWN = "drawdown", "Delivered support"
    # The person pays their contribution into their fund.
    CONTRIBUTION = "contribution", "Contribution paid"
    # Money taken back by the council (a surplus above the rule).
    RECOVERY = "recovery", "Recovery"
    # Undoes an earlier transaction, entry by entry; the earlier one is never edited.
    REVERSAL = "reversal", "Reversal"


# Payments -----------------------------------------------------------------------------------------

class PaymentKind(models.TextChoices):
    # A period's money for an ISF contract, paid to the provider who holds it for the person.
    ISF_RELEASE = "isf_release", "ISF fund release"
    # A period's direct payment, paid to the person or to whoever manages it for them.
    DIRECT_PAYMENT = "direct_payment", "Direct payment"


class PaymentStatus(models.TextChoices):
    """The life of one outgoing payment [DESIGN §4]."""

    # Recorded with its idempotency key and posted to the ledger; sent after the commit.
    PENDING = "pending", "Waiting to be sent"
    # The gateway took it: a Stripe transfer exists, or it is a line of a payment file.
    SENT = "sent", "Sent"
    # Confirmed paid: Stripe's webhook said so, or a finance officer confirmed the payment file.
    SETTLED = "settled", "Paid"
    # The gateway refused it or the money came back; retried with the same key until cancelled.
    FAILED = "failed", "Failed"
    # Given up by a finance officer with a reason; its ledger posting is reversed.
    CANCELLED = "cancelled", "Cancelled"


class Gateway(models.TextChoices):
    # A CSV file of BACS lines for the council's finance system: the embedded default, no network.
    PAYMENT_FILE = "file", "Payment file (BACS)"
    # A Stripe Connect transfer to the provider's connected account.
    STRIPE = "stripe", "Stripe Connect"


class RunStatus(models.TextChoices):
    # Working through the contracts due; a run stopped part-way is finished by running it again.
    RUNNING = "running", "Running"
    # Every contract due was paid or its failure recorded.
    COMPLETED = "completed", "Completed"


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Scheduled"
    COMMAND = "command", "Management command"
    CONSOLE = "console", "Finance officer"


# Money is released this many days before a period starts, so a BACS payment (three working days)
# reaches the provider in time: "in advance" [DESIGN §4].
PAYMENT_LEAD_DAYS = 7
# Direct payments are paid four-weekly in periods counted from this Monday (the start of the
# 2026/27 financial year), so each person's periods are the same whatever plan is in force.
DIRECT_PAYMENT_WEEKS = 4
DIRECT_PAYMENT_ANCHOR = datetime.date(2026, 4, 6)


# Invoices -----------------------------------------------------------------------------------------

class InvoiceStatus(models.TextChoices):
    """The life of a provider's invoice against an ISF [DESIGN §3]."""

    # Received from the provider; validation runs at once.
    SUBMITTED = "submitted", "Submitted"
    # Every check passed; waiting for a council officer.
    VALIDATED = "validated", "Validated"
    # A council officer asked a question; waiting for the provider's answer.
    QUERIED = "queried", "Queried"
    # Approved by the council: the delivered support is drawn down from the contract's fund.
    APPROVED = "approved", "Approved"
    # Settled from the fund and listed on the provider's remittance advice.
    PAID = "paid", "Paid"
    # Refused by the council, with a reason.
    REJECTED = "rejected", "Rejected"


class InvoiceSource(models.TextChoices):
    FORM = "form", "Form"
    CSV = "csv", "CSV upload"
    API = "api", "API"


class SurplusStatus(models.TextChoices):
    # Found above the surplus rule; waiting for a council officer.
    OPEN = "open", "Open"
    # Taken back by a recorded recovery transaction.
    RECOVERED = "recovered", "Recovered"
    # Left with the provider by an officer's decision, with a reason.
    WAIVED = "waived", "Left with the provider"


class CardPaymentPurpose(models.TextChoices):
    # The person's assessed weekly contribution, paid into their ISF.
    CONTRIBUTION = "contribution", "Contribution"
    # Money the person chooses to add to their ISF.
    TOP_UP = "top_up", "Top-up"


class CardPaymentStatus(models.TextChoices):
    # The PaymentIntent exists; the person has not finished paying.
    STARTED = "started", "Started"
    # Stripe's webhook said it succeeded: recorded in the ledger.
    SUCCEEDED = "succeeded", "Paid"
    # Stripe's webhook said it failed or was cancelled.
    FAILED = "failed", "Failed"
