"""Which organisation a provider portal page is for, checked against the user's portal roles: the
provider pages here and the brokerage pages in the portal (package requests, negotiations) answer
a user with no role anywhere with 403 and a guess at someone else's organisation with 404."""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from marketplace.models import Organisation
from providers.selectors import portal_listing_organisation_ids


def portal_organisation_or_404(org_id: int, allowed: set[int], organisations: QuerySet | None = None) -> Organisation:
    """The organisation ``org_id`` from ``organisations`` (any organisation if not given), provided it
    is one of ``allowed``."""
    if not allowed:
        raise PermissionDenied("You do not have permission to do that.")
    if org_id not in allowed:
        raise Http404("Not found")
    if organisations is None:
        organisations = Organisation.objects.all()
    try:
        return organisations.get(pk=org_id)
    except Organisation.DoesNotExist:
        raise Http404("Not found") from None


def provider_organisation_or_404(user, org_id: int) -> Organisation:
    """The user's own provider organisation, for someone who manages its services (provider staff and
    administrators; a broker's portal role is not enough)."""
    return portal_organisation_or_404(org_id, portal_listing_organisation_ids(user),
                                      Organisation.objects.filter(is_provider=True))
