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


# Accounts that belong to something: a contract, a provider, a person. The others are the council's.
ACCOUNT_OWNER = {
    AccountKind.CONTRACT_FUND: "contract",
    AccountKind.PROVIDER_INCOME: "organisation",
    AccountKind.PERSON_CONTRIBUTION: "person",
}


class TransactionKind(models.TextChoices):
    # The council releases a period's money into a contract's fund.
    RELEASE = "release", "Fund release"
    # An approved invoice draws delivered support down from the fund to the provider's income.
    DRAWDOWN = "drawdown", "Delivered support"
    # The person pays their contribution into their fund.
    CONTRIBUTION = "contribution", "Contribution paid"
    # Money taken back by the council (a surplus above the rule).
    RECOVERY = "recovery", "Recovery"
    # Undoes an earlier transaction, entry by entry; the earlier one is never edited.
    REVERSAL = "reversal", "Reversal"
