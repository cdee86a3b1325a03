"""Reads of organisations and their services, and who may see which."""

import datetime

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from marketplace.constants import PROVIDER_ROLES, Role
from marketplace.models import Organisation, User
from marketplace.permissions import is_council_staff, organisation_ids
from marketplace.scoping import scope_rule, visible_to
from providers.constants import ListingStatus
from providers.models import (
    Evidence,
    RateCard,
    ServiceCategory,
    ServiceListing,
    current_rate_q,
    in_force_q,
    standards_for,
)


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


# Provider portal reads ---------------------------------------------------------------------------

EXPIRES_SOON_DAYS = 60


def portal_organisation_ids(user: User) -> set[int]:
    """Organisations whose provider portal ``user`` may use: provider staff, provider admins and brokers."""
    return organisation_ids(user, *PROVIDER_ROLES, Role.BROKER)


def portal_organisations(user: User) -> QuerySet:
    return Organisation.objects.filter(pk__in=portal_organisation_ids(user)).select_related("accreditation")


def evidence_status(evidence, today) -> str:
    """"In date", "Expires soon" (within 60 days), "Expired" or "Missing" for a standard's current evidence."""
    if evidence is None:
        return "Missing"
    if evidence.expires_on < today:
        return "Expired"
    if evidence.expires_on <= today + datetime.timedelta(days=EXPIRES_SOON_DAYS):
        return "Expires soon"
    return "In date"


def standards_with_evidence(organisation: Organisation, today=None) -> list:
    """Every standard that applies to ``organisation``, each with ``current_evidence`` (the upload that
    lasts longest, the latest of those on a tie, or None) and ``evidence_status``. Two queries,
    however many standards and uploads there are."""
    today = today or timezone.localdate()
    evidence = Evidence.objects.filter(organisation=organisation).order_by("-expires_on", "-uploaded_at", "-pk")
    standards = list(standards_for(organisation).order_by("code").prefetch_related(
        Prefetch("evidence", queryset=evidence, to_attr="organisation_evidence")))
    for standard in standards:
        standard.current_evidence = standard.organisation_evidence[0] if standard.organisation_evidence else None
        standard.evidence_status = evidence_status(standard.current_evidence, today)
    return standards


# Directory reads ---------------------------------------------------------------------------------

def with_listing_details(queryset: QuerySet, today=None) -> QuerySet:
    """``queryset`` of listings with what a result, a service page or a feed shows, in a fixed number
    of queries however many rows: organisation and accreditation, category, the rate cards in force
    today (``current_rates``), areas, languages and client groups."""
    current = RateCard.objects.filter(current_rate_q(today=today)).order_by("unit", "-effective_from")
    return queryset.select_related("organisation__accreditation", "category").prefetch_related(
        Prefetch("rate_cards", queryset=current, to_attr="current_rates"),
        "areas", "languages", "client_group_rows",
    )
