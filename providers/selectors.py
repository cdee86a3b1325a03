"""Reads of organisations and their services, and who may see which."""

import datetime

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from marketplace.constants import PROVIDER_ROLES, Role
from marketplace.models import Organisation, User
from marketplace.permissions import has_role, is_council_staff, organisation_ids
from marketplace.scoping import scope_rule, visible_to
from providers.constants import ListingStatus, StandardScope
from providers.models import (
    Evidence,
    QualityStandard,
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


@scope_rule(RateCard)
def _rate_cards(user: User, queryset: QuerySet) -> QuerySet:
    """A rate card is visible exactly when its service is."""
    return queryset.filter(listing__in=visible_to(user, ServiceListing.objects.all()))


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


@scope_rule(Evidence)
def _evidence(user: User, queryset: QuerySet) -> QuerySet:
    """Evidence is private: the organisation's own portal users and the council's contract officers
    (who review it) may read it; nobody else, the public included."""
    if has_role(user, Role.CONTRACT_OFFICER):
        return queryset
    return queryset.filter(organisation_id__in=portal_organisation_ids(user))


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


# Portal listings ---------------------------------------------------------------------------------
# Reads for the provider portal's "Your services" pages. Each is a fixed number of queries however
# many listings, rate cards or claim lines there are.


def portal_listing_organisation_ids(user: User) -> set[int]:
    """Organisations whose services ``user`` may manage: provider staff and admins only (not brokers)."""
    return organisation_ids(user, *PROVIDER_ROLES)


def _latest_claims() -> Prefetch:
    from providers.models import SpecialistClaim

    claims = (SpecialistClaim.objects.select_related("decided_by")
              .prefetch_related("cost_lines").order_by("-submitted_at", "-pk"))
    return Prefetch("specialist_claims", queryset=claims, to_attr="claims_latest_first")


def portal_listings(organisation: Organisation) -> list[ServiceListing]:
    """The organisation's services in every state, each with ``current_rates`` (rate cards in force
    today) and ``latest_claim`` (its most recent specialist claim, or None)."""
    from providers.models import RateCard, current_rate_q

    current = RateCard.objects.filter(current_rate_q()).order_by("unit", "-effective_from")
    listings = list(
        ServiceListing.objects.filter(organisation=organisation).select_related("category")
        .prefetch_related(Prefetch("rate_cards", queryset=current, to_attr="current_rates"), _latest_claims())
        .order_by("title", "pk"))
    for listing in listings:
        listing.latest_claim = listing.claims_latest_first[0] if listing.claims_latest_first else None
    return listings


def portal_listing(organisation: Organisation, listing_id: int) -> ServiceListing:
    """One of the organisation's services with everything its portal page shows: ``rate_history``
    (every rate card, by unit then newest first, each with ``current``), ``current_rates``,
    ``latest_claim`` (with its cost lines) and its areas, languages and client groups.

    Raises ``ServiceListing.DoesNotExist`` for another organisation's listing.
    """
    from providers.models import RateCard

    history = RateCard.objects.order_by("unit", "-effective_from", "-pk")
    listing = (ServiceListing.objects.filter(organisation=organisation).select_related("category", "organisation")
               .prefetch_related("areas", "languages", "client_group_rows",
                                 Prefetch("rate_cards", queryset=history, to_attr="rate_history"), _latest_claims())
               .get(pk=listing_id))
    today = timezone.localdate()
    for card in listing.rate_history:
        card.current = card.is_current(today)
    listing.current_rates = [card for card in listing.rate_history if card.current]
    listing.latest_claim = listing.claims_latest_first[0] if listing.claims_latest_first else None
    return listing


# Public directory pages --------------------------------------------------------------------------
# Reads for the Wagtail directory (cms.DirectoryPage): search results, service and organisation
# pages, the comparison and the brokers search. Everything shown is public: published services of
# approved, in-date organisations. Each read is a fixed number of queries however many rows.

DIRECTORY_PAGE_SIZE = 20


def _mark_listings(listings: list, references: dict | None = None) -> list:
    """Give each listing ``rates``: its rate card in force per unit (the latest to start), each
    marked "above usual cost" against the council's reference rate. One query for the reference
    rates; the rate cards must come from :func:`with_listing_details`."""
    from providers.pricing import mark_rates, reference_rates_now

    if references is None:
        references = reference_rates_now()
    for listing in listings:
        latest_per_unit = {}
        for card in listing.current_rates:  # ordered by unit, newest first
            latest_per_unit.setdefault(card.unit, card)
        listing.rates = mark_rates(latest_per_unit.values(), references=references)
    return listings


def directory_search(data):
    """The shared directory filter (``providers.filters.ListingFilter``) bound to ``data`` over the
    public services, validated: ``is_valid`` says whether ``qs`` may be shown."""
    from providers.filters import ListingFilter

    filterset = ListingFilter(data, queryset=public_listings())
    filterset.valid = filterset.is_valid()
    return filterset


def directory_results_page(queryset: QuerySet, number, per_page: int | None = None):
    """Page ``number`` of ``queryset`` (filtered public services) with everything a result shows.

    Counting stops at the cap (``paginator.count_capped``) and so do the pages. The page's
    ``object_list`` is a list of listings with ``rates`` (see :func:`_mark_listings`).
    """
    from marketplace.pagination import CappedPaginator

    paginator = CappedPaginator(with_listing_details(queryset), per_page or DIRECTORY_PAGE_SIZE)
    page = paginator.get_page(number)
    page.object_list = _mark_listings(list(page.object_list))
    return page


def public_listing_detail(reference: str) -> ServiceListing:
    """One public service with everything its page shows, and its ``rates`` marked.

    Raises ``ServiceListing.DoesNotExist`` for a service that is not public (a draft, paused or
    withdrawn service, or one whose organisation is not approved and in date).
    """
    listing = with_listing_details(public_listings().filter(reference=reference)).get()
    _mark_listings([listing])
    return listing


def public_organisation(slug: str) -> Organisation:
    """An approved, in-date provider or broker. Raises ``Organisation.DoesNotExist`` otherwise."""
    return (Organisation.objects.filter(in_force_q(), slug=slug)
            .filter(Q(is_provider=True) | Q(is_broker=True)).select_related("accreditation").get())


def organisation_public_listings(organisation: Organisation) -> list[ServiceListing]:
    """The organisation's public services, by title, each with ``rates`` marked."""
    listings = with_listing_details(public_listings().filter(organisation=organisation)).order_by("title", "pk")
    return _mark_listings(list(listings))


def listings_for_comparison(references: list[str]) -> list[ServiceListing]:
    """The public services among ``references``, in the order given, with ``rates`` marked.

    References that are not (or are no longer) public are left out; the caller says so.
    """
    if not references:
        return []
    found = {listing.reference: listing for listing in
             with_listing_details(public_listings().filter(reference__in=references))}
    return _mark_listings([found[reference] for reference in references if reference in found])


def public_listing_titles(references: list[str]) -> list[ServiceListing]:
    """Just the reference and title of the public services among ``references``, in that order."""
    if not references:
        return []
    found = {listing.reference: listing for listing in
             public_listings().filter(reference__in=references).only("reference", "title")}
    return [found[reference] for reference in references if reference in found]


def public_brokers(*, text: str = "", district: str | None = None) -> QuerySet:
    """Approved, in-date brokers (organisations that help people plan their support), by name.

    ``text`` must match every word in the name or description. ``district`` (a postcode district,
    "E8") keeps brokers based there (their own postcode) or offering a public service that covers
    the district or a ward within it.
    """
    import re

    from django.db.models import Value
    from django.db.models.functions import Length, Replace, Upper

    from providers.constants import AreaKind
    from providers.models import Area
    from providers.search import MAX_QUERY_LENGTH

    brokers = Organisation.objects.filter(in_force_q(), is_broker=True).select_related("accreditation")
    for word in [word for word in re.split(r"\W+", (text or "")[:MAX_QUERY_LENGTH]) if word]:
        brokers = brokers.filter(Q(name__icontains=word) | Q(description__icontains=word))
    if district:
        areas = Area.objects.filter(Q(kind=AreaKind.DISTRICT, code=district)
                                    | Q(kind=AreaKind.WARD, districts__code=district))
        covering = public_listings().filter(areas__in=areas).values("organisation_id")
        # A full postcode is its district followed by a three-character inward code ("E8" + "1DY").
        compact = Upper(Replace("postcode", Value(" "), Value("")))
        brokers = brokers.alias(compact=compact, compact_length=Length(compact))
        based_here = Q(compact=district) | (Q(compact__startswith=district) & Q(compact_length=len(district) + 3))
        brokers = brokers.filter(based_here | Q(pk__in=covering))
    return brokers.order_by("name", "pk")


def brokers_page(queryset: QuerySet, number, per_page: int | None = None):
    """Page ``number`` of brokers, counted up to the cap."""
    from marketplace.pagination import CappedPaginator

    return CappedPaginator(queryset, per_page or DIRECTORY_PAGE_SIZE).get_page(number)


def provider_staff_addresses(organisation_ids_, *, with_organisation: bool = False) -> dict[int, list[str]]:
    """The email addresses of each provider's active staff and administrators (and, with
    ``with_organisation``, the organisation's own address), sorted, by organisation id. Two
    queries at most, however many organisations."""
    from marketplace.models import Membership

    ids = set(organisation_ids_)
    found: dict[int, set[str]] = {org_id: set() for org_id in ids}
    rows = (Membership.objects.filter(organisation_id__in=ids, role__in=PROVIDER_ROLES, user__is_active=True)
            .exclude(user__email="").values_list("organisation_id", "user__email"))
    for org_id, email in rows:
        found[org_id].add(email)
    if with_organisation:
        for org_id, email in Organisation.objects.filter(pk__in=ids).exclude(email="").values_list("pk", "email"):
            found[org_id].add(email)
    return {org_id: sorted(emails) for org_id, emails in found.items() if emails}


# The quality framework, as the public sees it ------------------------------------------------------

# Headings for each group of standards on the public quality framework page, in reading order.
STANDARD_SCOPE_HEADINGS = {
    StandardScope.BOTH: "Standards for providers and brokers",
    StandardScope.PROVIDERS: "Standards for providers only",
    StandardScope.BROKERS: "Standards for brokers only",
}


def active_quality_standards() -> QuerySet:
    """The framework's standards in force."""
    return QualityStandard.objects.filter(active=True)


def quality_standards_by_scope() -> list[tuple[str, list[QualityStandard]]]:
    """Active standards in one query, grouped by whom they apply to, required ones first."""
    groups: dict[str, list[QualityStandard]] = {scope: [] for scope in STANDARD_SCOPE_HEADINGS}
    for standard in active_quality_standards().order_by("-mandatory", "code"):
        groups[standard.applies_to].append(standard)
    return [(STANDARD_SCOPE_HEADINGS[scope], standards) for scope, standards in groups.items() if standards]
