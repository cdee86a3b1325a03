"""The directory's shared search: postcodes, text, filters, price and sort, capped paging."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from marketplace.constants import ClientGroup
from marketplace.pagination import CappedPaginator
from providers.constants import AreaKind, ListingStatus, RateUnit
from providers.filters import ListingFilter
from providers.models import Area, Language, ListingClientGroup, ServiceListing
from providers.search import PostcodeError, build_search_document, postcode_district
from providers.selectors import public_listings
from tests.providers.factories import AccreditationApprovedFactory, RateCardFactory, ServiceListingPublishedFactory


@pytest.mark.parametrize(("typed", "district"), [
    ("E8 1AB", "E8"), ("e81ab", "E8"), ("  n16  7ub ", "N16"), ("SW1A 1AA", "SW1A"), ("E8", "E8"), ("n1", "N1"),
])
def test_postcode_district_of_what_a_person_types(typed, district):
    assert postcode_district(typed) == district


@pytest.mark.parametrize("typed", ["", "zzz", "E8 1A", "12345", "E8 1AB extra", "1E8", "E8-1AB"])
def test_malformed_postcodes_are_refused(typed):
    with pytest.raises(PostcodeError, match="Enter a real postcode"):
        postcode_district(typed)


def _listing(title="Homecare", *, description="", org=None, rate=None, dp_rate=None, unit=RateUnit.HOUR, **fields):
    if org is None:
        org = AccreditationApprovedFactory().organisation
    listing = ServiceListingPublishedFactory(organisation=org, title=title, description=description, **fields)
    listing.search_document = build_search_document(
        title=title, description=description, organisation_name=org.name, category_name=listing.category.name,
        specialisms=listing.specialisms, languages=[], areas=[])
    listing.save()
    if rate:
        RateCardFactory(listing=listing, unit=unit, contract_rate_pence=rate, direct_payment_rate_pence=dp_rate or rate)
    return listing


def _search(**data):
    found = ListingFilter({key: str(value) for key, value in data.items()}, queryset=public_listings())
    assert found.is_valid(), found.errors
    return list(found.qs)


@pytest.mark.django_db
def test_text_finds_words_in_the_title_or_the_description_and_nothing_else():
    by_title = _listing("Dementia homecare")
    by_description = _listing("Homecare", description="Our staff are trained in dementia care.")
    _listing("Transport to day centres")

    assert set(_search(q="dementia")) == {by_title, by_description}
    assert _search(q="dementia trained") == [by_description]  # every word must match
    assert _search(q="zebra") == []
    assert len(_search(q="   ")) == 3  # nothing to search for narrows nothing


@pytest.mark.django_db
def test_text_search_ranks_a_title_match_first_on_postgresql():
    by_description = _listing("Aardvark homecare", description="Specialist dementia support at home.")
    by_title = _listing("Zebra dementia homecare")

    results = _search(q="dementia")
    if connection.vendor == "postgresql":
        # The stored vector weighs the title above the rest, so relevance beats the alphabet.
        assert results == [by_title, by_description]
    else:
        assert results == [by_description, by_title]  # SQLite fallback: matches in title order


@pytest.mark.django_db
def test_postgresql_keeps_the_stored_search_vector_current_on_every_write():
    listing = _listing("Homecare")
    listing.title = "Kingfisher night sitting"
    listing.save()

    assert _search(q="kingfisher") == [listing]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'listing_search_vector_idx'")
            assert "gin (search_vector)" in cursor.fetchone()[0]


@pytest.mark.django_db
def test_postcode_finds_services_covering_the_district_or_a_ward_in_it():
    e8 = Area.objects.create(kind=AreaKind.DISTRICT, code="E8", name="Dalston")
    n16 = Area.objects.create(kind=AreaKind.DISTRICT, code="N16", name="Stoke Newington")
    ward = Area.objects.create(kind=AreaKind.WARD, code="W-SHACKLEWELL", name="Shacklewell")
    ward.districts.set([e8, n16])
    whole_district, by_ward, elsewhere = _listing("A"), _listing("B"), _listing("C")
    whole_district.areas.set([e8])
    by_ward.areas.set([ward])
    elsewhere.areas.set([n16])

    assert _search(postcode="e8 4qx") == [whole_district, by_ward]
    assert _search(postcode="N16") == [by_ward, elsewhere]
    assert _search(postcode="E5 0AA") == []


@pytest.mark.django_db
def test_client_group_language_specialist_and_capacity_filters():
    polish = Language.objects.get(code="pl")
    for_carers = _listing("For carers", capacity_available=0)
    ListingClientGroup.objects.create(listing=for_carers, client_group=ClientGroup.CARER)
    in_polish = _listing("In Polish", capacity_available=5, is_specialist=True)
    in_polish.languages.set([polish])

    assert _search(client_group="carer") == [for_carers]
    assert _search(language="pl") == [in_polish]
    assert _search(specialist="on") == [in_polish]
    assert _search(has_capacity="on") == [in_polish]
    assert len(_search(specialist="", has_capacity="")) == 2  # unticked means "any"


@pytest.mark.django_db
def test_price_range_uses_the_current_rate_for_the_unit_and_route():
    cheap = _listing("Cheap", rate=2000, dp_rate=1500)
    dear = _listing("Dear", rate=3000, dp_rate=2500)
    _listing("Per visit", rate=2200, unit=RateUnit.VISIT)
    # An old price no longer in force does not count.
    today = timezone.localdate()
    RateCardFactory(listing=dear, contract_rate_pence=1000, direct_payment_rate_pence=900,
                    effective_from=today - datetime.timedelta(days=400), effective_to=today - datetime.timedelta(days=30))

    assert _search(max_price="21.00") == [cheap]
    assert _search(min_price="25", max_price="30") == [dear]
    assert _search(min_price="25", route="direct_payment") == [dear]
    assert _search(max_price="16", route="direct_payment") == [cheap]
    assert [listing.title for listing in _search(unit="visit", max_price="30")] == ["Per visit"]
    assert _search(sort="price") == [cheap, dear]  # per hour, the default unit
    assert _search(sort="-price") == [dear, cheap]


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "field", "message"), [
    ({"category": "rocket-science"}, "category", "Choose a type of support from the list"),
    ({"postcode": "not a postcode"}, "postcode", "Enter a real postcode, like E8 1AB, or the first half of one"),
    ({"min_price": "-5"}, "min_price", "Minimum price must be 0 or more"),
    ({"max_price": "abc"}, "max_price", "Maximum price must be an amount in pounds, like 18.50"),
    ({"min_price": "1.234"}, "min_price", "Minimum price must be an amount in pounds, like 18.50"),
    ({"max_price": "9" * 30}, "max_price", "Maximum price must be an amount in pounds, like 18.50"),
    ({"min_price": "30", "max_price": "20"}, "max_price", "Maximum price must be the same as or more than"),
    ({"client_group": "martians"}, "client_group", "Choose who the support is for from the list"),
    ({"unit": "fortnight"}, "unit", "Choose a unit from the list"),
    ({"language": "xx"}, "language", "Choose a language from the list"),
])
def test_bad_input_gives_a_message_for_the_field(data, field, message):
    found = ListingFilter(data, queryset=public_listings())
    assert not found.is_valid()
    assert message in " ".join(found.errors[field])


@pytest.mark.django_db
def test_only_published_services_of_approved_in_date_organisations_are_searched():
    shown = _listing("Shown")
    _listing("Draft", status=ListingStatus.DRAFT)
    lapsed = AccreditationApprovedFactory(expires_on=timezone.localdate() - datetime.timedelta(days=1))
    _listing("Lapsed", org=lapsed.organisation)
    suspended = AccreditationApprovedFactory(status="suspended")
    _listing("Suspended", org=suspended.organisation)

    assert _search() == [shown]


@pytest.mark.django_db
def test_paging_counts_up_to_the_cap_and_stops_there(settings):
    org = AccreditationApprovedFactory().organisation
    ServiceListing.objects.bulk_create([
        ServiceListing(organisation=org, category_id=ServiceListingPublishedFactory.build().category.pk,
                       reference=f"bulk-{n}", title=f"Service {n:03d}", status=ListingStatus.PUBLISHED)
        for n in range(30)])
    queryset = public_listings().order_by("title")

    paginator = CappedPaginator(queryset, 5)
    paginator.max_counted = 12
    assert (paginator.count, paginator.count_capped, paginator.num_pages) == (12, True, 3)
    with CaptureQueriesContext(connection) as queries:
        assert paginator.count == 12
    assert len(queries) == 0  # counted once

    uncapped = CappedPaginator(queryset, 5)
    assert (uncapped.count, uncapped.count_capped, uncapped.num_pages) == (30, False, 6)


@pytest.mark.django_db
def test_overlong_search_words_are_refused_with_a_message():
    found = ListingFilter({"q": "care " * 50}, queryset=public_listings())
    assert not found.is_valid()
    assert found.errors["q"] == ["Search words must be 200 characters or fewer"]


@pytest.mark.django_db
def test_a_bad_postcode_is_reported_alongside_other_mistakes():
    found = ListingFilter({"postcode": "nowhere", "min_price": "30", "max_price": "20"}, queryset=public_listings())
    assert not found.is_valid()
    assert set(found.errors) == {"postcode", "max_price"}
