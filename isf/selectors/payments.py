"""Who sees payment runs, payments and remittances, and the reads behind the payment pages.

Council contract and finance officers see everything. A provider's staff see the payments made to
their organisation and its remittances, never the runs themselves (a run lists every payee). A
person, and their representative, see the payments made for them: their ISF releases and their
direct payments.
"""

from django.db.models import Q, QuerySet

from isf.models import Payment, PaymentRun, Remittance
from marketplace.constants import PROVIDER_ROLES
from marketplace.models import User
from marketplace.permissions import is_council_officer, organisation_ids
from marketplace.scoping import scope_rule


def _signed_in(user: User) -> bool:
    return getattr(user, "is_authenticated", False)


@scope_rule(Payment)
def _payments(user: User, queryset: QuerySet) -> QuerySet:
    if not _signed_in(user):
        return queryset.none()
    if is_council_officer(user):
        return queryset
    return queryset.filter(Q(payee_organisation_id__in=organisation_ids(user, *PROVIDER_ROLES))
                           | Q(person__user=user) | Q(person__representative=user))


@scope_rule(PaymentRun)
def _runs(user: User, queryset: QuerySet) -> QuerySet:
    if _signed_in(user) and is_council_officer(user):
        return queryset
    return queryset.none()


@scope_rule(Remittance)
def _remittances(user: User, queryset: QuerySet) -> QuerySet:
    if not _signed_in(user):
        return queryset.none()
    if is_council_officer(user):
        return queryset
    return queryset.filter(organisation_id__in=organisation_ids(user, *PROVIDER_ROLES))


def payments_with_parties(queryset: QuerySet) -> QuerySet:
    """Payments with their payee, person, contract and run, for lists and the API."""
    return queryset.select_related("payee_organisation", "person", "contract", "run")


def run_payments(run: PaymentRun) -> QuerySet:
    """A run's payments for its console page, in the order they were recorded."""
    return payments_with_parties(run.payments.all()).order_by("pk")


def console_runs() -> QuerySet:
    return PaymentRun.objects.select_related("started_by").order_by("-started_at", "-pk")
