"""Reads for the Open Referral feed: exactly the public directory, searched the directory's way.

Every service comes from ``providers.selectors.public_listings()`` (published listings of approved,
in-date organisations), and searching goes through the shared ``ListingFilter`` so that a search
means the same here as on the directory pages. Each read is a fixed number of queries however many
rows a page holds.
"""

import datetime
import uuid
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest

from marketplace.constants import ClientGroup
from marketplace.models import Organisation
from providers.filters import ListingFilter
from providers.models import ListingClientGroup, RateCard, ServiceCategory, ServiceListing, in_force_q
from providers.openreferral import ids
from providers.selectors import public_listings, with_listing_details

# ListingFilter's field → the Open Referral parameter a person typed it into.
_PARAMETER_FOR_FIELD = {"q": "search", "postcode": "postcode", "category": "taxonomy_term_id",
                        "client_group": "taxonomy_term_id"}


class SearchError(ValueError):
    """A parameter passed its own check but the directory's search refused it (say, a malformed
    postcode). ``problems`` maps parameter names to messages."""

    def __init__(self, problems: dict[str, list[str]]):
        super().__init__("; ".join(message for messages in problems.values() for message in messages))
        self.problems = problems


@dataclass(frozen=True)
class Taxonomy:
    id: str
    key: str
    name: str
    description: str


@dataclass(frozen=True)
class Term:
    """A taxonomy term: a service category or a client group."""

    id: str
    name: str
    description: str
    taxonomy: Taxonomy
    category_slug: str = ""
    client_group: str = ""


CATEGORIES = Taxonomy(
    id=ids.taxonomy_id(ids.CATEGORY_TAXONOMY), key=ids.CATEGORY_TAXONOMY, name="Mixed Market service categories",
    description="The kinds of adult social care support the council commissions, such as homecare, day "
                "opportunities or advocacy. Every service is in exactly one.")
CLIENT_GROUPS = Taxonomy(
    id=ids.taxonomy_id(ids.CLIENT_GROUP_TAXONOMY), key=ids.CLIENT_GROUP_TAXONOMY,
    name="Adult social care client groups",
    description="The groups of people adult social care serves. A service may be for several.")
TAXONOMIES = (CATEGORIES, CLIENT_GROUPS)

CLIENT_GROUP_TERMS = tuple(
    Term(id=ids.client_group_term_id(value), name=label, description=f"Support for people in the "
         f"{label.lower()} client group.", taxonomy=CLIENT_GROUPS, client_group=value)
    for value, label in ClientGroup.choices)


def category_term(category: ServiceCategory) -> Term:
    return Term(id=ids.category_term_id(category.slug), name=category.name, description=category.description,
                taxonomy=CATEGORIES, category_slug=category.slug)


def client_group_term(value: str) -> Term:
    return next(term for term in CLIENT_GROUP_TERMS if term.client_group == value)


def terms() -> list[Term]:
    """Every term: the categories by name, then the client groups in their usual order. One query."""
    return [category_term(category) for category in ServiceCategory.objects.order_by("name", "pk")] + list(
        CLIENT_GROUP_TERMS)


def taxonomy_for_id(taxonomy_id: uuid.UUID | str | None) -> Taxonomy | None:
    return next((taxonomy for taxonomy in TAXONOMIES if taxonomy.id == str(taxonomy_id)), None)


def term_for_id(term_id: uuid.UUID | str) -> Term | None:
    return next((term for term in terms() if term.id == str(term_id)), None)


# Services ---------------------------------------------------------------------------------------

def feed_listings() -> QuerySet:
    """``public_listings()`` with ``feed_modified_at``: when the listing or its prices last changed.

    A new rate card is a new row and leaves the listing's ``updated_at`` alone, but it changes the
    service's cost options, which Open Referral counts as a change to the service.
    """
    newest_price = RateCard.objects.filter(listing=OuterRef("pk")).order_by("-created_at").values("created_at")[:1]
    return public_listings().annotate(
        feed_modified_at=Greatest("updated_at", Coalesce(Subquery(newest_price), "updated_at")))


def _organisation_pk(organisation_id: uuid.UUID) -> int | None:
    in_force = Organisation.objects.filter(in_force_q()).values_list("pk", flat=True)
    return next((pk for pk in in_force if ids.organisation_id(pk) == str(organisation_id)), None)


def listings_matching(*, search: str = "", postcode: str = "", taxonomy_term_id: uuid.UUID | None = None,
                      taxonomy_id: uuid.UUID | None = None, organization_id: uuid.UUID | None = None,
                      modified_after: datetime.datetime | None = None) -> QuerySet:
    """Public listings matching the Open Referral search, in the directory's order (best match
    first when searching, else by title), ending with the primary key so pages never overlap.

    A well-formed id that names no term, taxonomy or public organisation matches nothing; a
    consumer searching several directories with one id gets an empty page, not an error.
    Raises ``SearchError`` for what the directory's search refuses (a malformed postcode).
    """
    data = {"q": search, "postcode": postcode}
    nothing = False
    if taxonomy_term_id is not None:
        term = term_for_id(taxonomy_term_id)
        if term is None:
            nothing = True
        elif term.category_slug:
            data["category"] = term.category_slug
        else:
            data["client_group"] = term.client_group
    search_filter = ListingFilter({key: value for key, value in data.items() if value}, queryset=feed_listings())
    if not search_filter.is_valid():
        problems: dict[str, list[str]] = {}
        for field, messages in search_filter.form.errors.items():
            problems.setdefault(_PARAMETER_FOR_FIELD.get(field, field), []).extend(messages)
        raise SearchError(problems)
    queryset = search_filter.qs
    if taxonomy_id is not None:
        taxonomy = taxonomy_for_id(taxonomy_id)
        if taxonomy is None:
            nothing = True
        elif taxonomy is CLIENT_GROUPS:
            queryset = queryset.filter(Exists(ListingClientGroup.objects.filter(listing=OuterRef("pk"))))
        # Every listing has a category, so the category taxonomy narrows nothing.
    if organization_id is not None:
        organisation_pk = _organisation_pk(organization_id)
        if organisation_pk is None:
            nothing = True
        else:
            queryset = queryset.filter(organisation_id=organisation_pk)
    if modified_after is not None:
        queryset = queryset.filter(feed_modified_at__gte=modified_after)
    return queryset.none() if nothing else queryset.select_related("organisation__accreditation")


def listing_for_id(feed_id: uuid.UUID | str) -> ServiceListing | None:
    """The public listing with this Open Referral id, with everything a fully nested service shows;
    None when no public listing has it. An index lookup on the stored ``feed_id``."""
    return with_listing_details(feed_listings()).filter(feed_id=feed_id).first()


def page_of(queryset: QuerySet, *, page: int, per_page: int) -> tuple[list, int]:
    """Rows on ``page`` (numbered from 1) and the exact number of rows in all: two queries."""
    total = queryset.count()
    start = (page - 1) * per_page
    rows = list(queryset[start:start + per_page]) if start < total else []
    return rows, total


# Organisations ----------------------------------------------------------------------------------

def public_organisations() -> QuerySet:
    """Approved, in-date organisations: the providers and brokers the directory shows."""
    return Organisation.objects.filter(in_force_q()).select_related("accreditation").order_by("name", "pk")


def organisation_for_id(organisation_id: uuid.UUID) -> tuple[Organisation, list[ServiceListing]] | None:
    """The public organisation with this Open Referral id and its public services, or None."""
    pk = _organisation_pk(organisation_id)
    if pk is None:
        return None
    organisation = public_organisations().filter(pk=pk).first()
    if organisation is None:
        return None
    listings = list(feed_listings().filter(organisation_id=pk).select_related("organisation__accreditation")
                    .order_by("title", "pk"))
    return organisation, listings
