"""Reads of organisations and their services, and who may see which."""

from django.db.models import Count, Q, QuerySet

from marketplace.models import Organisation, User
from marketplace.permissions import is_council_staff, organisation_ids
from marketplace.scoping import scope_rule, visible_to
from providers.constants import ListingStatus
from providers.models import ServiceCategory, ServiceListing, in_force_q


@scope_rule(Organisation)
def _organisations(user: User, queryset: QuerySet) -> QuerySet:
    """Anyone sees approved, in-date organisations; staff also see their own; council staff see all."""
    if is_council_staff(user):
        return queryset
    return queryset.filter(in_force_q() | Q(pk__in=organisation_ids(user)))


@scope_rule(ServiceListing)
def _listings(user: User, queryset: QuerySet) -> QuerySet:
    """Published services of approved, in-date organisations are public; a provider also sees its
    own in any state; council staff see all."""
    if is_council_staff(user):
        return queryset
    public = Q(status=ListingStatus.PUBLISHED) & in_force_q("organisation__")
    return queryset.filter(public | Q(organisation_id__in=organisation_ids(user)))


def organisations_visible_to(user: User) -> QuerySet:
    return visible_to(user, Organisation.objects.select_related("accreditation"))


def public_listings() -> QuerySet:
    return ServiceListing.objects.filter(status=ListingStatus.PUBLISHED).filter(in_force_q("organisation__"))


def category_summary() -> QuerySet:
    """Each category with how many published services approved organisations offer in it."""
    return ServiceCategory.objects.annotate(
        service_count=Count("listings", filter=Q(listings__status=ListingStatus.PUBLISHED)
                            & in_force_q("listings__organisation__"))
    ).order_by("name")


def directory_counts() -> dict[str, int]:
    approved = Organisation.objects.filter(in_force_q())
    return {
        "providers": approved.filter(is_provider=True).count(),
        "brokers": approved.filter(is_broker=True).count(),
        "services": public_listings().count(),
    }
