"""The directory's REST API: services, rate cards and lookups for everyone; a provider's own writes."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from marketplace.constants import ClientGroup, Role
from marketplace.models import AuditEvent
from providers.constants import AccreditationStatus, AreaKind, ListingStatus, RateUnit
from providers.filters import ListingFilter
from providers.models import Area, Language, ListingClientGroup, RateCard, ReferenceRate, ServiceListing
from providers.search import build_search_document
from providers.selectors import public_listings
from tests.marketplace.factories import BrokerOrganisationFactory, CouncilFactory, ProviderOrganisationFactory
from tests.providers.factories import (
    AccreditationApprovedFactory,
    AccreditationAppliedFactory,
    RateCardFactory,
    ServiceListingDraftFactory,
    ServiceListingPublishedFactory,
    homecare,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
SERVICES = "/api/v1/services/"


@pytest.fixture
def places():
    """Two postcode districts, a ward in E8, and two languages (which a migration may have added already)."""
    e8 = Area.objects.create(kind=AreaKind.DISTRICT, code="E8", name="Hackney Central")
    n16 = Area.objects.create(kind=AreaKind.DISTRICT, code="N16", name="Stoke Newington")
    dalston = Area.objects.create(kind=AreaKind.WARD, code="E05009367", name="Dalston")
    dalston.districts.add(e8)
    return {"E8": e8, "N16": n16, "dalston": dalston,
            "so": Language.objects.get_or_create(code="so", defaults={"name": "Somali"})[0],
            "tr": Language.objects.get_or_create(code="tr", defaults={"name": "Turkish"})[0]}


@pytest.fixture
def approved_org():
    return AccreditationApprovedFactory(organisation=ProviderOrganisationFactory(name="Approved Care")).organisation


def make_listing(org, title="Homecare", *, areas=(), languages=(), client_groups=(ClientGroup.OLDER_PERSON,),
                 rate=None, dp_rate=None, unit=RateUnit.HOUR, factory=ServiceListingPublishedFactory, **fields):
    listing = factory(organisation=org, title=title, **fields)
    listing.areas.set(areas)
    listing.languages.set(languages)
    for group in client_groups:
        ListingClientGroup.objects.create(listing=listing, client_group=group)
    listing.search_document = build_search_document(
        title=title, description=listing.description, organisation_name=org.name, category_name=listing.category.name,
        specialisms=listing.specialisms, languages=[language.name for language in languages],
        areas=[area.name for area in areas])
    listing.save()
    if rate:
        RateCardFactory(listing=listing, unit=unit, contract_rate_pence=rate, direct_payment_rate_pence=dp_rate or rate)
    return listing


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def floats_in(value):
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [found for item in value.values() for found in floats_in(item)]
    if isinstance(value, list):
        return [found for item in value for found in floats_in(item)]
    return []


# Reading ---------------------------------------------------------------------------------------

def test_a_service_shows_its_organisation_details_and_current_rates_marked_against_the_reference(
        client, places, approved_org):
    listing = make_listing(approved_org, "Kingfisher homecare", areas=[places["E8"], places["dalston"]],
                           languages=[places["so"]], client_groups=[ClientGroup.OLDER_PERSON, ClientGroup.CARER],
                           specialisms=["Dementia"], capacity_available=12, is_specialist=True)
    RateCardFactory(listing=listing, unit=RateUnit.HOUR, contract_rate_pence=2000, direct_payment_rate_pence=1800,
                    effective_from=TODAY - datetime.timedelta(days=90), effective_to=TODAY - datetime.timedelta(days=5))
    RateCardFactory(listing=listing, unit=RateUnit.HOUR, contract_rate_pence=2650, direct_payment_rate_pence=2150,
                    effective_from=TODAY - datetime.timedelta(days=5))
    RateCardFactory(listing=listing, unit=RateUnit.HOUR, contract_rate_pence=9999, direct_payment_rate_pence=9999,
                    effective_from=TODAY + datetime.timedelta(days=30))  # not yet in force
    ReferenceRate.objects.create(category=homecare(), unit=RateUnit.HOUR, rate_pence=2400,
                                 effective_from=TODAY - datetime.timedelta(days=60))

    body = client.get(f"{SERVICES}{listing.pk}/").json()

    assert body["organisation"] == {"id": approved_org.pk, "name": "Approved Care", "slug": approved_org.slug}
    assert body["category"] == {"slug": "homecare", "name": homecare().name}
    assert body["client_groups"] == ["carer", "older_person"]
    assert sorted(body["areas"]) == ["E05009367", "E8"]
    assert body["languages"] == [{"code": "so", "name": "Somali"}]
    assert body["specialisms"] == ["Dementia"]
    assert (body["status"], body["is_specialist"], body["capacity_available"], body["has_capacity"]) == (
        "published", True, 12, True)
    [rate] = body["current_rates"]
    assert rate["unit"] == "hour"
    assert (rate["contract_rate_pence"], rate["direct_payment_rate_pence"], rate["reference_rate_pence"]) == (
        2650, 2150, 2400)
    assert rate["contract_above_usual_cost"] is True
    assert rate["direct_payment_above_usual_cost"] is False
    assert floats_in(body) == []


def test_anonymous_readers_see_only_published_services_of_approved_in_date_organisations(client, approved_org):
    public = make_listing(approved_org, "Public")
    hidden = [
        make_listing(approved_org, "Draft", factory=ServiceListingDraftFactory),
        make_listing(approved_org, "Paused", status=ListingStatus.PAUSED),
        make_listing(AccreditationAppliedFactory().organisation, "Applied org"),
        make_listing(AccreditationApprovedFactory(status=AccreditationStatus.SUSPENDED).organisation, "Suspended org"),
        make_listing(AccreditationApprovedFactory(expires_on=TODAY - datetime.timedelta(days=1)).organisation,
                     "Lapsed org"),
        make_listing(AccreditationApprovedFactory(status=AccreditationStatus.EXPIRED).organisation, "Expired org"),
        make_listing(ProviderOrganisationFactory(), "Never applied"),
    ]

    assert ids(client.get(SERVICES)) == [public.pk]
    assert client.get(f"{SERVICES}{public.pk}/").status_code == 200
    for listing in hidden:
        assert client.get(f"{SERVICES}{listing.pk}/").status_code == 404, listing.title


def test_a_provider_also_sees_its_own_drafts_but_another_organisations_draft_is_404(client, make_member, approved_org):
    own_draft = make_listing(approved_org, "Our draft", factory=ServiceListingDraftFactory)
    other = AccreditationApprovedFactory().organisation
    other_draft = make_listing(other, "Their draft", factory=ServiceListingDraftFactory)
    other_public = make_listing(other, "Their public")
    client.force_login(make_member(Role.PROVIDER_STAFF, approved_org))

    assert set(ids(client.get(SERVICES))) == {own_draft.pk, other_public.pk}
    assert client.get(f"{SERVICES}{own_draft.pk}/").json()["status"] == "draft"
    response = client.get(f"{SERVICES}{other_draft.pk}/")
    assert response.status_code == 404


def test_council_staff_see_every_service(client, make_member, approved_org):
    listings = {make_listing(approved_org, "Draft", factory=ServiceListingDraftFactory).pk,
                make_listing(AccreditationAppliedFactory().organisation, "Applied org").pk,
                make_listing(approved_org, "Public").pk}
    client.force_login(make_member(Role.CONTRACT_OFFICER, CouncilFactory()))
    assert set(ids(client.get(SERVICES))) == listings


@pytest.fixture
def directory(places, approved_org):
    """Services that differ in every way the search can tell apart."""
    other = AccreditationApprovedFactory().organisation
    return [
        make_listing(approved_org, "Dementia homecare", areas=[places["dalston"]], languages=[places["so"]],
                     rate=2650, dp_rate=2150, capacity_available=10, specialisms=["Dementia"]),
        make_listing(approved_org, "Night sitting", areas=[places["N16"]], languages=[places["tr"]],
                     client_groups=[ClientGroup.MENTAL_HEALTH], rate=1900, is_specialist=True),
        make_listing(other, "Homecare for carers", areas=[places["E8"]], client_groups=[ClientGroup.CARER],
                     rate=3100, dp_rate=2000, capacity_available=0),
        make_listing(other, "Day trips", areas=[places["E8"]], rate=7500, unit=RateUnit.DAY),
        make_listing(other, "Hidden draft", areas=[places["E8"]], rate=1000, factory=ServiceListingDraftFactory),
    ]


@pytest.mark.parametrize("query", [
    {},
    {"q": "homecare"},
    {"q": "dementia"},
    {"category": "homecare"},
    {"postcode": "E8 1AB"},
    {"postcode": "n16"},
    {"client_group": "carer"},
    {"language": "so"},
    {"specialist": "true"},
    {"has_capacity": "true"},
    {"min_price": "20", "max_price": "30"},
    {"max_price": "21.50", "route": "direct_payment"},
    {"unit": "day", "min_price": "1"},
    {"sort": "price"},
    {"sort": "-price", "route": "direct_payment"},
    {"sort": "name", "postcode": "E8"},
    {"q": "homecare", "sort": "relevance"},
])
def test_services_list_filters_exactly_as_the_public_search(client, directory, query):
    search = ListingFilter(query, queryset=public_listings())
    assert search.is_valid(), search.errors
    assert ids(client.get(SERVICES, query)) == [listing.pk for listing in search.qs]


def test_services_filters_narrow_as_expected(client, directory):
    dementia, night, carers, day_trips, _draft = directory
    assert ids(client.get(SERVICES, {"postcode": "E8 1AB"})) == [day_trips.pk, dementia.pk, carers.pk]
    assert ids(client.get(SERVICES, {"sort": "price"})) == [night.pk, dementia.pk, carers.pk]
    assert ids(client.get(SERVICES, {"language": "tr"})) == [night.pk]


@pytest.mark.parametrize(("query", "field", "message"), [
    ({"postcode": "not a postcode"}, "postcode",
     "Enter a real postcode, like E8 1AB, or the first half of one, like E8"),
    ({"category": "nothing-like-it"}, "category", "Choose a type of support from the list"),
    ({"min_price": "lots"}, "min_price", "Minimum price must be an amount in pounds, like 18.50"),
    ({"min_price": "30", "max_price": "20"}, "max_price",
     "Maximum price must be the same as or more than the minimum price"),
])
def test_a_bad_search_is_a_400_that_says_what_to_fix(client, directory, query, field, message):
    response = client.get(SERVICES, query)
    assert response.status_code == 400
    assert response.json() == {field: [message]}


def _queries_for_services_list(client, count, places):
    org = AccreditationApprovedFactory().organisation
    for number in range(count):
        listing = make_listing(org, f"Service {number}", areas=[places["E8"], places["dalston"]],
                               languages=[places["so"], places["tr"]],
                               client_groups=[ClientGroup.OLDER_PERSON, ClientGroup.CARER], rate=2000 + number)
        RateCardFactory(listing=listing, unit=RateUnit.VISIT, contract_rate_pence=1500, direct_payment_rate_pence=1200)
    ReferenceRate.objects.create(category=homecare(), unit=RateUnit.HOUR, rate_pence=2005,
                                 effective_from=TODAY - datetime.timedelta(days=1))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(SERVICES, {"postcode": "E8", "sort": "price"})
    assert len(response.json()["results"]) == count
    ServiceListing.objects.all().delete()
    ReferenceRate.objects.all().delete()
    return len(queries)


def test_the_services_list_costs_the_same_queries_for_2_or_20_services(client, places):
    few, many = _queries_for_services_list(client, 2, places), _queries_for_services_list(client, 20, places)
    assert few == many
    assert many <= 8  # count, page, four prefetches (rates, areas, languages, client groups), reference rates


def test_the_services_list_is_paged_with_a_capped_count(client, approved_org):
    for number in range(3):
        make_listing(approved_org, f"Service {number}")
    body = client.get(SERVICES, {"page_size": 2}).json()
    assert (body["count"], body["count_capped"], len(body["results"])) == (3, False, 2)
    assert body["next"]


# Rate cards ------------------------------------------------------------------------------------

def test_rate_cards_filter_by_service_unit_and_current_and_follow_the_services_visibility(client, approved_org):
    listing = make_listing(approved_org, "Homecare")
    old = RateCardFactory(listing=listing, contract_rate_pence=2000, direct_payment_rate_pence=1800,
                          effective_from=TODAY - datetime.timedelta(days=90),
                          effective_to=TODAY - datetime.timedelta(days=5))
    now = RateCardFactory(listing=listing, contract_rate_pence=2650, effective_from=TODAY - datetime.timedelta(days=5))
    visit = RateCardFactory(listing=listing, unit=RateUnit.VISIT, contract_rate_pence=1500,
                            direct_payment_rate_pence=1500)
    other_public = RateCardFactory(listing=make_listing(approved_org, "Other"))
    draft_card = RateCardFactory(listing=make_listing(approved_org, "Draft", factory=ServiceListingDraftFactory))

    assert set(ids(client.get("/api/v1/rate-cards/"))) == {old.pk, now.pk, visit.pk, other_public.pk}
    assert set(ids(client.get("/api/v1/rate-cards/", {"listing": listing.pk}))) == {old.pk, now.pk, visit.pk}
    assert ids(client.get("/api/v1/rate-cards/", {"listing": listing.pk, "unit": "hour", "current": "true"})) == [
        now.pk]
    assert ids(client.get("/api/v1/rate-cards/", {"listing": listing.pk, "current": "false"})) == [old.pk]
    assert client.get(f"/api/v1/rate-cards/{draft_card.pk}/").status_code == 404
    body = client.get(f"/api/v1/rate-cards/{now.pk}/").json()
    assert (body["contract_rate_pence"], body["is_current"], body["contract_above_usual_cost"]) == (2650, True, False)


# Lookups ---------------------------------------------------------------------------------------

def test_lookups_list_the_values_the_search_filters_take(client, places, approved_org):
    make_listing(approved_org, "Public")
    make_listing(approved_org, "Draft", factory=ServiceListingDraftFactory)
    make_listing(AccreditationAppliedFactory().organisation, "Applied org")

    categories = {row["slug"]: row for row in client.get("/api/v1/categories/", {"page_size": 100}).json()["results"]}
    assert categories["homecare"]["service_count"] == 1
    assert set(categories["homecare"]) == {"slug", "name", "description", "service_count"}
    assert client.get("/api/v1/categories/homecare/").json()["service_count"] == 1

    groups = client.get("/api/v1/client-groups/").json()["results"]
    assert [group["code"] for group in groups] == ClientGroup.values

    languages = client.get("/api/v1/languages/", {"page_size": 100}).json()["results"]
    assert {"code": "so", "name": "Somali"} in languages and {"code": "tr", "name": "Turkish"} in languages
    assert client.get("/api/v1/languages/so/").json() == {"code": "so", "name": "Somali"}
    wards = client.get("/api/v1/areas/", {"kind": "ward"}).json()["results"]
    assert wards == [{"code": "E05009367", "name": "Dalston", "kind": "ward", "districts": ["E8"]}]
    assert client.get("/api/v1/areas/N16/").json()["name"] == "Stoke Newington"


# Writing ---------------------------------------------------------------------------------------

@pytest.fixture
def owner(make_member, approved_org):
    return make_member(Role.PROVIDER_STAFF, approved_org)


def new_service(org, places, **overrides):
    return {"organisation": org.pk, "category": "homecare", "title": "Evening calls", "description": "Tea and bed.",
            "delivery_mode": "at_home", "client_groups": ["older_person"], "areas": ["E8", "E05009367"],
            "languages": ["so"], "specialisms": ["Dementia"], "capacity_unit": "hours", "capacity_available": 20,
            **overrides}


def audit_count():
    return AuditEvent.objects.count()


def test_provider_staff_create_a_draft_for_their_organisation_and_it_is_audited(client, owner, approved_org, places):
    client.force_login(owner)
    response = client.post(SERVICES, new_service(approved_org, places), content_type="application/json")

    assert response.status_code == 201, response.content
    body = response.json()
    listing = ServiceListing.objects.get(pk=body["id"])
    assert (listing.organisation, listing.status, listing.title) == (approved_org, ListingStatus.DRAFT, "Evening calls")
    assert sorted(body["areas"]) == ["E05009367", "E8"]
    assert body["client_groups"] == ["older_person"]
    assert AuditEvent.objects.for_object(listing).get().verb == "servicelisting.created"


def test_creating_a_service_for_another_organisation_is_refused_and_creates_nothing(client, owner, places):
    other = AccreditationApprovedFactory().organisation
    client.force_login(owner)
    before = audit_count()

    response = client.post(SERVICES, new_service(other, places), content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"organisation": ["Select an organisation you manage services for"]}
    assert not ServiceListing.objects.exists()
    assert audit_count() == before


def test_creating_a_service_reports_each_problem_by_field(client, owner, approved_org, places):
    client.force_login(owner)
    response = client.post(SERVICES, new_service(approved_org, places, title=" ", client_groups=[],
                                                 capacity_available=-1, category="nope"),
                           content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["title"] == ["Enter the name of the service"]
    assert body["category"] == ["Select a category from the list"]
    assert body["capacity_available"] == ["Capacity available must be 0 or more"]
    # The rule that a service is for someone lives in the service function; its message comes back too.
    response = client.post(SERVICES, new_service(approved_org, places, client_groups=[]),
                           content_type="application/json")
    assert response.json() == {"client_groups": ["Select who the service is for"]}
    assert not ServiceListing.objects.exists()


def test_provider_staff_change_their_service_and_the_change_is_audited(client, owner, approved_org, places):
    listing = make_listing(approved_org, "Old name", areas=[places["E8"]])
    client.force_login(owner)

    response = client.patch(f"{SERVICES}{listing.pk}/", {"title": "New name", "languages": ["tr"]},
                            content_type="application/json")

    assert response.status_code == 200, response.content
    assert response.json()["title"] == "New name"
    assert response.json()["languages"] == [{"code": "tr", "name": "Turkish"}]
    listing.refresh_from_db()
    assert listing.title == "New name"
    event = AuditEvent.objects.for_object(listing).get(verb="servicelisting.updated")
    assert event.before["title"] == "Old name" and event.after["title"] == "New name"


def test_a_patch_cannot_change_the_status(client, owner, approved_org):
    listing = make_listing(approved_org, factory=ServiceListingDraftFactory)
    client.force_login(owner)
    before = audit_count()

    response = client.patch(f"{SERVICES}{listing.pk}/", {"status": "published", "title": "Sneaky"},
                            content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"status": ["Use the publish, pause or withdraw action to change the status"]}
    listing.refresh_from_db()
    assert (listing.status, listing.title) == (ListingStatus.DRAFT, "Homecare")
    assert audit_count() == before


def test_publish_pause_and_withdraw_move_the_service_and_are_audited(client, owner, approved_org, places):
    listing = make_listing(approved_org, areas=[places["E8"]], rate=2500, factory=ServiceListingDraftFactory)
    client.force_login(owner)

    for action, status in [("publish", "published"), ("pause", "paused"), ("publish", "published"),
                           ("withdraw", "withdrawn")]:
        response = client.post(f"{SERVICES}{listing.pk}/{action}/", {"reason": f"{action} test"},
                               content_type="application/json")
        assert response.status_code == 200, response.content
        assert response.json()["status"] == status
    listing.refresh_from_db()
    assert listing.status == ListingStatus.WITHDRAWN
    verbs = list(AuditEvent.objects.for_object(listing).order_by("pk").values_list("verb", flat=True))
    assert verbs == ["servicelisting.published", "servicelisting.paused", "servicelisting.published",
                     "servicelisting.withdrawn"]


def test_a_move_the_lifecycle_does_not_allow_is_a_409(client, owner, approved_org, places):
    listing = make_listing(approved_org, areas=[places["E8"]], rate=2500, status=ListingStatus.WITHDRAWN)
    client.force_login(owner)
    before = audit_count()

    response = client.post(f"{SERVICES}{listing.pk}/publish/", content_type="application/json")

    assert response.status_code == 409
    assert response.json()["status"] == "withdrawn"
    assert "cannot change any more" in response.json()["detail"]
    draft = make_listing(approved_org, factory=ServiceListingDraftFactory)
    response = client.post(f"{SERVICES}{draft.pk}/pause/")
    assert response.status_code == 409
    assert response.json()["allowed"] == ["published", "withdrawn"]
    assert audit_count() == before


def test_publishing_without_a_rate_or_an_area_says_what_is_missing(client, owner, approved_org):
    listing = make_listing(approved_org, factory=ServiceListingDraftFactory)
    client.force_login(owner)

    response = client.post(f"{SERVICES}{listing.pk}/publish/")

    assert response.status_code == 400
    assert response.json() == {"__all__": ["Add a rate that applies from today or earlier",
                                           "Choose at least one area the service covers"]}
    listing.refresh_from_db()
    assert listing.status == ListingStatus.DRAFT


def test_capacity_is_updated_and_audited(client, owner, approved_org):
    listing = make_listing(approved_org, capacity_available=5)
    client.force_login(owner)

    response = client.post(f"{SERVICES}{listing.pk}/capacity/", {"capacity_available": 0},
                           content_type="application/json")

    assert response.status_code == 200, response.content
    assert (response.json()["capacity_available"], response.json()["has_capacity"]) == (0, False)
    listing.refresh_from_db()
    assert listing.capacity_available == 0
    assert AuditEvent.objects.for_object(listing).get().verb == "servicelisting.capacity_updated"
    response = client.post(f"{SERVICES}{listing.pk}/capacity/", {"capacity_available": "lots"},
                           content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"capacity_available": ["Capacity available must be a whole number"]}


def test_a_new_rate_card_keeps_the_history_and_is_audited(client, owner, approved_org):
    listing = make_listing(approved_org)
    old = RateCardFactory(listing=listing, contract_rate_pence=2400, direct_payment_rate_pence=2000)
    ReferenceRate.objects.create(category=homecare(), unit=RateUnit.HOUR, rate_pence=2500,
                                 effective_from=TODAY - datetime.timedelta(days=60))
    client.force_login(owner)
    starts = TODAY + datetime.timedelta(days=7)

    response = client.post(f"{SERVICES}{listing.pk}/rate-cards/", {
        "unit": "hour", "contract_rate_pence": 2650, "direct_payment_rate_pence": 2150, "minimum_quantity": "1.5",
        "effective_from": starts.isoformat()}, content_type="application/json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["contract_rate_pence"], body["direct_payment_rate_pence"], body["minimum_quantity"]) == (
        2650, 2150, "1.50")
    assert (body["contract_above_usual_cost"], body["direct_payment_above_usual_cost"], body["is_current"]) == (
        True, False, False)
    old.refresh_from_db()
    assert old.effective_to == starts  # closed, not overwritten
    assert RateCard.objects.filter(listing=listing).count() == 2
    assert set(AuditEvent.objects.filter(verb__startswith="ratecard.").values_list("verb", flat=True)) == {
        "ratecard.added", "ratecard.closed"}


@pytest.mark.parametrize(("sent", "field", "message"), [
    ({"contract_rate_pence": "26.50"}, "contract_rate_pence",
     "Enter the amount in pence as a whole number, like 1850 for £18.50"),
    ({"contract_rate_pence": 26.5}, "contract_rate_pence",
     "Enter the amount in pence as a whole number, like 1850 for £18.50"),
    ({"contract_rate_pence": 2650.0}, "contract_rate_pence",
     "Enter the amount in pence as a whole number, like 1850 for £18.50"),
    ({"direct_payment_rate_pence": 3000}, "direct_payment_rate_pence",
     "The direct payment rate must be the same as or lower than the contract rate"),
    ({"contract_rate_pence": 0, "direct_payment_rate_pence": 0}, "contract_rate_pence",
     "The contract rate must be more than £0"),
    ({"effective_from": (TODAY - datetime.timedelta(days=1)).isoformat()}, "effective_from",
     "The date the rate starts must be today or in the future"),
])
def test_a_rate_card_in_pounds_or_breaking_a_rule_is_refused(client, owner, approved_org, sent, field, message):
    listing = make_listing(approved_org)
    client.force_login(owner)
    before = audit_count()
    data = {"unit": "hour", "contract_rate_pence": 2650, "direct_payment_rate_pence": 2150,
            "effective_from": TODAY.isoformat(), **sent}

    response = client.post(f"{SERVICES}{listing.pk}/rate-cards/", data, content_type="application/json")

    assert response.status_code == 400
    assert response.json()[field] == [message]
    assert not RateCard.objects.exists()
    assert audit_count() == before


WRITES = [
    ("patch", "", {"title": "Taken over"}),
    ("post", "publish/", {}),
    ("post", "pause/", {}),
    ("post", "withdraw/", {}),
    ("post", "capacity/", {"capacity_available": 99}),
    ("post", "rate-cards/", {"unit": "hour", "contract_rate_pence": 1, "direct_payment_rate_pence": 1,
                             "effective_from": (TODAY + datetime.timedelta(days=1)).isoformat()}),
]


def _unchanged(listing):
    fresh = ServiceListing.objects.get(pk=listing.pk)
    return ((fresh.title, fresh.status, fresh.capacity_available) == (listing.title, listing.status,
                                                                     listing.capacity_available)
            and not fresh.rate_cards.exists())


@pytest.mark.parametrize(("method", "path", "data"), WRITES)
def test_another_providers_staff_get_404_and_nothing_changes(client, make_member, approved_org, method, path, data):
    listing = make_listing(approved_org, "Ours", capacity_available=3)  # published: they can read it
    client.force_login(make_member(Role.PROVIDER_ADMIN, AccreditationApprovedFactory().organisation))
    before = audit_count()

    response = getattr(client, method)(f"{SERVICES}{listing.pk}/{path}", data, content_type="application/json")

    assert response.status_code == 404
    assert _unchanged(listing)
    assert audit_count() == before


def _broker_in(organisation, make_member):
    """A broker in an organisation that both provides services and brokers support."""
    organisation.is_broker = True
    organisation.save(update_fields=["is_broker"])
    return make_member(Role.BROKER, organisation)


@pytest.mark.parametrize("who", ["anonymous", "contract_officer", "broker", "broker_of_same_org", "no_role"])
@pytest.mark.parametrize(("method", "path", "data"), WRITES)
def test_only_provider_staff_can_write(client, make_member, approved_org, places, who, method, path, data):
    listing = make_listing(approved_org, "Ours", capacity_available=3)
    users = {
        "contract_officer": lambda: make_member(Role.CONTRACT_OFFICER, CouncilFactory()),
        "broker": lambda: make_member(Role.BROKER, BrokerOrganisationFactory()),
        "broker_of_same_org": lambda: _broker_in(approved_org, make_member),
        "no_role": lambda: make_member(Role.CONTENT_EDITOR, CouncilFactory()),
    }
    if who != "anonymous":
        client.force_login(users[who]())
    before = audit_count()

    response = getattr(client, method)(f"{SERVICES}{listing.pk}/{path}", data, content_type="application/json")
    created = client.post(SERVICES, new_service(approved_org, places), content_type="application/json")

    assert response.status_code in (401, 403)
    assert created.status_code in (401, 403)
    assert _unchanged(listing)
    assert ServiceListing.objects.count() == 1
    assert audit_count() == before
