"""Who may see the ledger: accounts, transactions and their entries.

Council contract and finance officers see everything. A provider's staff see the funds of their
own contracts and their own income account; a person, and their representative, see the funds of
the person's contracts and the person's contribution account. A transaction, and each entry, is
seen by whoever may see one of the accounts it touches; entries on other accounts stay hidden.
Rules for contracts live in :mod:`isf.selectors.contracts`.
"""

from django.db.models import Q, QuerySet

from isf.constants import AccountKind
from isf.models import Account, Entry, LedgerTransaction
from marketplace.constants import PROVIDER_ROLES
from marketplace.models import User
from marketplace.permissions import is_council_officer, organisation_ids
from marketplace.scoping import scope_rule, visible_to


@scope_rule(Account)
def _accounts(user: User, queryset: QuerySet) -> QuerySet:
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    if is_council_officer(user):
        return queryset
    providers = organisation_ids(user, *PROVIDER_ROLES)
    theirs = (
        Q(kind=AccountKind.CONTRACT_FUND, contract__provider_id__in=providers)
        | Q(kind=AccountKind.PROVIDER_INCOME, organisation_id__in=providers)
        | Q(kind=AccountKind.CONTRACT_FUND, contract__person__user=user)
        | Q(kind=AccountKind.CONTRACT_FUND, contract__person__representative=user)
        | Q(kind=AccountKind.PERSON_CONTRIBUTION, person__user=user)
        | Q(kind=AccountKind.PERSON_CONTRIBUTION, person__representative=user)
        | Q(kind=AccountKind.DIRECT_PAYMENT, person__user=user)
        | Q(kind=AccountKind.DIRECT_PAYMENT, person__representative=user)
    )
    return queryset.filter(theirs)


@scope_rule(Entry)
def _entries(user: User, queryset: QuerySet) -> QuerySet:
    """An entry is seen by whoever may see its account."""
    if is_council_officer(user):
        return queryset
    return queryset.filter(account__in=visible_to(user, Account.objects.all()).values("pk"))


@scope_rule(LedgerTransaction)
def _transactions(user: User, queryset: QuerySet) -> QuerySet:
    """A transaction is seen by whoever may see an account it touches."""
    if is_council_officer(user):
        return queryset
    touching = Entry.objects.filter(account__in=visible_to(user, Account.objects.all()).values("pk"))
    return queryset.filter(pk__in=touching.values("transaction_id"))
