"""The Open Referral UK 3.0 API at /openreferral/: every response is checked against the official
schemas (copied unchanged into providers/openreferral/schemas/), and the feed shows exactly the
public directory."""

import datetime
import json
import re
import uuid
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from referencing import Registry
from referencing.jsonschema import DRAFT202012

import providers.openreferral
from marketplace.constants import ClientGroup
from providers.constants import AccreditationStatus, AreaKind, DeliveryMode, ListingStatus, RateUnit
from providers.models import Area, Language, ListingClientGroup, ServiceCategory, ServiceListing
from providers.openreferral import ids
from providers.search import build_search_document
from tests.providers.factories import (
    AccreditationApprovedFactory,
    RateCardFactory,
    ServiceListingPublishedFactory,
)

SCHEMAS = Path(providers.openreferral.__file__).resolve().parent / "schemas"
UPSTREAM = "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/"
OPENAPI = UPSTREAM + "openapi.json"
ENVELOPE_KEYS = {"total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty", "contents"}


# Schemas ----------------------------------------------------------------------------------------

def _registry() -> Registry:
    """Each schema under the address openapi.json refers to it by (``compiled/`` for the nested
    ones, ``schema/`` for the taxonomies, whose ``$ref: taxonomy_term.json`` resolves beside them)."""
    resources = []
    for path in SCHEMAS.glob("*.json"):
        resource = DRAFT202012.create_resource(json.loads(path.read_text()))
        resources += [(UPSTREAM + path.name, resource), (UPSTREAM + "compiled/" + path.name, resource)]
    return Registry().with_resources(resources)


REGISTRY = _registry()

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
FORMATS = FormatChecker()  # uuid, email and date come with jsonschema; uri and date-time need extras


@FORMATS.checks("uri")
def _is_uri(value) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value) -> bool:
    if not isinstance(value, str):
        return True
    return bool(_RFC3339.match(value)) and bool(datetime.datetime.fromisoformat(value))


def _validate(instance, ref: str) -> None:
    Draft202012Validator({"$ref": ref}, registry=REGISTRY, format_checker=FORMATS).validate(instance)


def _pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def assert_valid_page(body: dict, path: str) -> None:
    """The 200 response openapi.json defines for ``path``: the Page envelope and each item."""
    assert set(body) >= ENVELOPE_KEYS
    _validate(body, OPENAPI + "#/" + _pointer("paths", path, "get", "responses", "200", "content",
                                              "application/json", "schema"))


def assert_valid_page_of(body: dict, item_schema: str) -> None:
    """A Page envelope (openapi.json ``Page``) whose items are ``item_schema`` (for endpoints the
    UK profile does not list, such as /organizations)."""
    assert set(body) >= ENVELOPE_KEYS
    _validate(body, OPENAPI + "#/components/schemas/Page")
    for item in body["contents"]:
        _validate(item, UPSTREAM + "compiled/" + item_schema)


def assert_valid(body: dict, schema: str) -> None:
    _validate(body, UPSTREAM + "compiled/" + schema)


def test_the_copied_schemas_are_the_upstream_ones_and_the_validator_checks_them():
    # A copy that lost its $refs or formats would let anything through.
    assert {path.name for path in SCHEMAS.glob("*.json")} >= {
        "openapi.json", "service.json", "service_list.json", "service_at_location.json",
        "service_at_location_list.json", "taxonomy.json", "taxonomy_term.json", "organization.json",
        "organization_list.json"}
    envelope = {"total_items": 1, "total_pages": 1, "page_number": 1, "size": 1, "first_page": True,
                "last_page": True, "empty": False}
    service = {"id": str(uuid.uuid4()), "name": "x", "status": "active"}
    assert_valid_page(envelope | {"contents": [service]}, "/services")
    bad = [
        (service | {"id": "not-a-uuid"}, "service.json"),
        (service | {"status": "open"}, "service.json"),
        (service | {"last_modified": "2025-05-01 09:00"}, "service.json"),
        (service | {"organization": {"id": str(uuid.uuid4()), "name": "y", "description": "",
                                     "website": "not a url"}}, "service.json"),
        (service | {"cost_options": [{"id": str(uuid.uuid4()), "amount": "26.50"}]}, "service.json"),
    ]
    for instance, schema in bad:
        with pytest.raises(ValidationError):
            assert_valid(instance, schema)
    # Through openapi.json: the envelope's types, and each item against service_list.json.
    with pytest.raises(ValidationError):
        assert_valid_page(envelope | {"total_items": "1", "contents": [service]}, "/services")
    with pytest.raises(ValidationError):
        assert_valid_page(envelope | {"contents": [{"id": str(uuid.uuid4()), "name": "x"}]}, "/services")
    # taxonomy.json's relative $ref to taxonomy_term.json resolves.
    with pytest.raises(ValidationError):
        _validate({"id": str(uuid.uuid4()), "name": "x", "description": "",
                   "taxonomy_terms": [{"id": "nope", "name": "y", "description": ""}]}, UPSTREAM + "taxonomy.json")


# Data -------------------------------------------------------------------------------------------

def _district(code: str, name: str = "") -> Area:
    return Area.objects.get_or_create(code=code, defaults={"kind": AreaKind.DISTRICT, "name": name or code})[0]


def _ward(code: str, name: str, *districts: Area) -> Area:
    ward = Area.objects.create(kind=AreaKind.WARD, code=code, name=name)
    ward.districts.set(districts)
    return ward


def _language(code: str, name: str) -> Language:
    return Language.objects.get_or_create(code=code, defaults={"name": name})[0]


def _approved(**organisation_fields):
    accreditation = AccreditationApprovedFactory(**{f"organisation__{key}": value
                                                    for key, value in organisation_fields.items()})
    return accreditation.organisation


def _listing(organisation, *, category="homecare", groups=(), areas=(), languages=(), **fields) -> ServiceListing:
    listing = ServiceListingPublishedFactory(
        organisation=organisation, category=ServiceCategory.objects.get(slug=category), **fields)
    listing.areas.set(areas)
    listing.languages.set(languages)
    for group in groups:
        ListingClientGroup.objects.create(listing=listing, client_group=group)
    listing.search_document = build_search_document(
        title=listing.title, description=listing.description, organisation_name=organisation.name,
        category_name=listing.category.name, specialisms=listing.specialisms,
        languages=[language.name for language in listing.languages.all()],
        areas=[area.name for area in listing.areas.all()])
    listing.save()
    return listing


@pytest.fixture
def provider(db):
    return _approved(name="Riverside Care Ltd", email="hello@riverside.example", telephone="020 7946 0000",
                     website="https://riverside.example", description="Homecare across east London.")


@pytest.fixture
def full_listing(provider):
    """A published listing with everything a service can show."""
    e8 = _district("E8", "Hackney Central and Dalston")
    ward = _ward("E05009367", "Hackney Central", e8)
    listing = _listing(provider, title="Dementia homecare", description="Visits for people living with dementia.",
                       groups=[ClientGroup.OLDER_PERSON, ClientGroup.MENTAL_HEALTH], areas=[e8, ward],
                       languages=[_language("en", "English"), _language("pl", "Polish")])
    today = timezone.localdate()
    RateCardFactory(listing=listing, unit=RateUnit.HOUR, contract_rate_pence=2650, direct_payment_rate_pence=2150,
                    effective_from=today - datetime.timedelta(days=10),
                    effective_to=today + datetime.timedelta(days=20))
    RateCardFactory(listing=listing, unit=RateUnit.VISIT, contract_rate_pence=1999, direct_payment_rate_pence=1801,
                    minimum_quantity=Decimal("2.00"), effective_from=today - datetime.timedelta(days=5))
    # Over: not a cost option any more.
    RateCardFactory(listing=listing, unit=RateUnit.HOUR, contract_rate_pence=2400, direct_payment_rate_pence=2000,
                    effective_from=today - datetime.timedelta(days=400),
                    effective_to=today - datetime.timedelta(days=10))
    return listing


def _get(client, path: str, **params):
    response = client.get(f"/openreferral{path}", params)
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Content-Type"].startswith("application/json")
    assert "Set-Cookie" not in response.headers and not response.cookies
    return response


def _json(response) -> dict:
    # Decimals for numbers with a point, so an amount is read back exactly as it was written.
    return json.loads(response.content, parse_float=Decimal)


def _ok(client, path: str, **params) -> dict:
    response = _get(client, path, **params)
    assert response.status_code == 200, response.content
    return _json(response)


def _titles(body: dict) -> list[str]:
    return [item["name"] if "name" in item else item["service"]["name"] for item in body["contents"]]


# The root and the spec --------------------------------------------------------------------------

def test_root_names_the_profile_version_and_an_openapi_url_that_serves_the_spec(client, db):
    body = _ok(client, "/")

    _validate(body, OPENAPI + "#/" + _pointer("paths", "/", "get", "responses", "200", "content",
                                              "application/json", "schema"))
    assert body["version"] == "HSDS-UK-3.0"
    assert body["profile"].startswith("https://")
    assert body["openapi_url"] == "http://testserver/openreferral/openapi.json"
    spec = _get(client, "/openapi.json")
    assert spec.status_code == 200
    assert json.loads(spec.content) == json.loads((SCHEMAS / "openapi.json").read_text())


# Services ---------------------------------------------------------------------------------------

def test_services_page_is_valid_and_lists_one_to_one_fields(client, full_listing, provider):
    body = _ok(client, "/services")

    assert_valid_page(body, "/services")
    assert body | {"contents": None} == {"total_items": 1, "total_pages": 1, "page_number": 1, "size": 1,
                                         "first_page": True, "last_page": True, "empty": False, "contents": None}
    [item] = body["contents"]
    assert item["id"] == ids.service_id(full_listing)
    assert item["name"] == "Dementia homecare"
    assert item["status"] == "active"
    assert item["organization"] == {"id": ids.organisation_id(provider.pk), "name": "Riverside Care Ltd",
                                    "description": "Homecare across east London.",
                                    "email": "hello@riverside.example", "website": "https://riverside.example"}
    assert "cost_options" not in item


def test_service_detail_is_valid_and_fully_nested(client, full_listing, provider):
    service_id = ids.service_id(full_listing)
    response = _get(client, f"/services/{service_id}")
    body = _json(response)

    assert response.status_code == 200
    assert_valid(body, "service.json")
    assert body["id"] == service_id and body["organization_id"] == ids.organisation_id(provider.pk)
    assert body["email"] == "hello@riverside.example"
    assert body["last_modified"].endswith("Z")
    assert sorted(area["name"] for area in body["service_areas"]) == ["Hackney Central", "Hackney Central and Dalston"]
    assert {area["service_id"] for area in body["service_areas"]} == {service_id}
    assert sorted((language["code"], language["name"]) for language in body["languages"]) == [
        ("en", "English"), ("pl", "Polish")]
    assert {term["taxonomy_term"]["name"] for term in body["attributes"]} == {"Homecare", "Older person",
                                                                              "Mental health"}
    assert {attribute["taxonomy_term_id"] for attribute in body["attributes"]} == {
        ids.category_term_id("homecare"), ids.client_group_term_id("older_person"),
        ids.client_group_term_id("mental_health")}
    [contact] = body["contacts"]
    assert contact["email"] == "hello@riverside.example"
    assert [phone["number"] for phone in contact["phones"]] == ["020 7946 0000"]
    [at_location] = body["service_at_locations"]
    assert at_location["location"]["location_type"] == "physical"
    assert at_location["location"]["name"] == DeliveryMode.AT_HOME.label


def test_cost_options_give_both_current_rates_in_exact_pounds(client, full_listing):
    response = _get(client, f"/services/{ids.service_id(full_listing)}")
    options = _json(response)["cost_options"]
    today = timezone.localdate()

    assert sorted((option["amount_description"], option["option"], option["amount"]) for option in options) == [
        ("per hour", "Council-arranged or Individual Service Fund", Decimal("26.50")),
        ("per hour", "Direct payment", Decimal("21.50")),
        ("per visit, minimum 2", "Council-arranged or Individual Service Fund", Decimal("19.99")),
        ("per visit, minimum 2", "Direct payment", Decimal("18.01")),
    ]
    # Numbers in the JSON itself, written digit for digit, never through a float.
    text = response.content.decode()
    assert '"amount": 26.50' in text and '"amount": 18.01' in text
    hourly = [option for option in options if option["amount_description"] == "per hour"]
    # effective_to is the first day a card no longer applies; valid_to is the last day it does.
    assert {option["valid_to"] for option in hourly} == {(today + datetime.timedelta(days=19)).isoformat()}
    assert {option["valid_from"] for option in hourly} == {(today - datetime.timedelta(days=10)).isoformat()}
    assert len({option["id"] for option in options}) == 4


def test_service_without_contact_details_or_prices_is_still_valid(client, db):
    organisation = _approved(email="", telephone="", website="", description="")
    listing = _listing(organisation, delivery_mode=DeliveryMode.REMOTE)

    body = _ok(client, f"/services/{ids.service_id(listing)}")

    assert_valid(body, "service.json")
    assert body["contacts"] == [] and body["cost_options"] == []
    assert "email" not in body and body["organization"]["description"] == ""
    assert body["service_at_locations"][0]["location"]["location_type"] == "virtual"


def test_ids_are_stable_uuids_that_survive_edits(client, full_listing):
    first = _ok(client, "/services")["contents"][0]["id"]
    full_listing.title = "Renamed"
    full_listing.save()

    assert _ok(client, "/services")["contents"][0]["id"] == first == str(full_listing.feed_id)
    # The id in any case or spelling of a UUID finds the service.
    assert _ok(client, f"/services/{first.upper()}")["id"] == first
    # Its service-at-location has an id of its own that leads back to it.
    at_location = _ok(client, "/service_at_locations")["contents"][0]
    assert at_location["id"] != first and at_location["location_id"] not in (first, at_location["id"])
    assert _ok(client, f"/service_at_locations/{at_location['id']}")["service"]["id"] == first


def test_a_service_keeps_its_feed_id_when_its_reference_changes(client, full_listing):
    first = _ok(client, "/services")["contents"][0]["id"]
    ServiceListing.objects.filter(pk=full_listing.pk).update(reference="renamed-reference")

    assert _ok(client, f"/services/{first}")["name"] == full_listing.title


@pytest.mark.parametrize("bad_id", ["42", "not-a-uuid", str(uuid.uuid4())])
def test_service_detail_for_an_unknown_or_malformed_id_is_404_json(client, db, bad_id):
    response = _get(client, f"/services/{bad_id}")

    assert response.status_code == 404
    assert "detail" in _json(response)


# Who appears ------------------------------------------------------------------------------------

def _hidden_organisations():
    today = timezone.localdate()
    applied = _approved()
    applied.accreditation.status, applied.accreditation.expires_on = AccreditationStatus.APPLIED, None
    suspended = _approved()
    suspended.accreditation.status = AccreditationStatus.SUSPENDED
    lapsed = _approved()  # still "approved" but past its date: the daily job has not run yet
    lapsed.accreditation.expires_on = today - datetime.timedelta(days=1)
    expired = _approved()
    expired.accreditation.status = AccreditationStatus.EXPIRED
    for organisation in (applied, suspended, lapsed, expired):
        organisation.accreditation.save()
    return [applied, suspended, lapsed, expired]


def test_only_published_services_of_approved_in_date_organisations_appear(client, provider):
    shown = _listing(provider, title="Shown")
    _listing(provider, title="Draft", status=ListingStatus.DRAFT)
    _listing(provider, title="Paused", status=ListingStatus.PAUSED)
    _listing(provider, title="Withdrawn", status=ListingStatus.WITHDRAWN)
    hidden = [_listing(organisation, title=f"Hidden {organisation.pk}") for organisation in _hidden_organisations()]
    hidden += list(ServiceListing.objects.exclude(pk=shown.pk).filter(organisation=provider))

    assert _titles(_ok(client, "/services")) == ["Shown"]
    assert _titles(_ok(client, "/service_at_locations")) == ["Shown"]
    for listing in hidden:
        for path in (f"/services/{ids.service_id(listing)}",
                     f"/service_at_locations/{ids.service_at_location_id(listing)}"):
            response = _get(client, path)
            assert response.status_code == 404, path
            assert "detail" in _json(response)


def test_only_approved_in_date_organisations_appear(client, provider):
    hidden = _hidden_organisations()

    body = _ok(client, "/organizations")

    assert [item["id"] for item in body["contents"]] == [ids.organisation_id(provider.pk)]
    for organisation in hidden:
        assert _get(client, f"/organizations/{ids.organisation_id(organisation.pk)}").status_code == 404


# Searching --------------------------------------------------------------------------------------

def test_search_finds_words_in_the_description(client, full_listing, provider):
    _listing(provider, title="Garden help", description="Weeding and mowing.")

    assert _titles(_ok(client, "/services", search="dementia")) == ["Dementia homecare"]
    assert _titles(_ok(client, "/services", search="mowing")) == ["Garden help"]
    assert _ok(client, "/services", search="zebra")["total_items"] == 0


def test_taxonomy_term_id_filters_by_category(client, full_listing, provider):
    _listing(provider, title="Speaking up", category="advocacy")

    body = _ok(client, "/services", taxonomy_term_id=ids.category_term_id("advocacy"))

    assert_valid_page(body, "/services")
    assert _titles(body) == ["Speaking up"]
    assert _titles(_ok(client, "/services", taxonomy_term_id=ids.category_term_id("homecare"))) == [
        "Dementia homecare"]


def test_taxonomy_term_id_filters_by_client_group(client, full_listing, provider):
    _listing(provider, title="Carers' break", category="short-breaks", groups=[ClientGroup.CARER])

    assert _titles(_ok(client, "/services", taxonomy_term_id=ids.client_group_term_id("carer"))) == [
        "Carers' break"]
    assert _titles(_ok(client, "/service_at_locations", taxonomy_term_id=ids.client_group_term_id("older_person"))) \
        == ["Dementia homecare"]


def test_a_well_formed_id_of_no_term_finds_nothing_rather_than_failing(client, full_listing):
    body = _ok(client, "/services", taxonomy_term_id=str(uuid.uuid4()))

    assert_valid_page(body, "/services")
    assert body["total_items"] == 0 and body["empty"] is True and body["contents"] == []


def test_taxonomy_id_and_organization_id_filter(client, full_listing, provider):
    other = _approved()
    _listing(other, title="No groups")

    by_groups = _ok(client, "/services", taxonomy_id=ids.taxonomy_id(ids.CLIENT_GROUP_TAXONOMY))
    by_categories = _ok(client, "/services", taxonomy_id=ids.taxonomy_id(ids.CATEGORY_TAXONOMY))
    by_organisation = _ok(client, "/services", organization_id=ids.organisation_id(other.pk))

    assert _titles(by_groups) == ["Dementia homecare"]
    assert _titles(by_categories) == ["Dementia homecare", "No groups"]
    assert _titles(by_organisation) == ["No groups"]


def test_postcode_finds_services_covering_its_district_or_a_ward_in_it(client, provider):
    e8, n16 = _district("E8"), _district("N16")
    _listing(provider, title="District E8", areas=[e8])
    _listing(provider, title="Ward in E8", areas=[_ward("E05009368", "Dalston", e8)])
    _listing(provider, title="N16 only", areas=[n16])

    body = _ok(client, "/service_at_locations", postcode="e8 1ab")

    assert_valid_page(body, "/service_at_locations")
    assert _titles(body) == ["District E8", "Ward in E8"]
    assert _titles(_ok(client, "/services", postcode="N16")) == ["N16 only"]


def test_modified_after_finds_services_whose_details_or_prices_changed_since(client, provider):
    old = _listing(provider, title="Old")
    repriced = _listing(provider, title="Repriced")
    fresh = _listing(provider, title="Fresh")
    long_ago = timezone.now() - datetime.timedelta(days=30)
    ServiceListing.objects.filter(pk__in=[old.pk, repriced.pk]).update(updated_at=long_ago)
    RateCardFactory(listing=repriced, created_at=timezone.now())
    since = (timezone.now() - datetime.timedelta(days=1)).astimezone(datetime.UTC)

    body = _ok(client, "/services", modified_after=since.strftime("%Y-%m-%dT%H:%M:%SZ"))

    assert _titles(body) == ["Fresh", "Repriced"]
    assert _titles(_ok(client, "/services", modified_after=since.isoformat())) == ["Fresh", "Repriced"]
    listed = {item["name"]: item["last_modified"] for item in _ok(client, "/services")["contents"]}
    assert listed["Old"] == long_ago.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")
    assert fresh.updated_at.astimezone(datetime.UTC).isoformat(timespec="milliseconds") \
        .replace("+00:00", "Z") == listed["Fresh"]


def test_pages_are_stable_and_do_not_overlap(client, provider):
    for title in ["Bravo", "Alpha", "Charlie", "Alpha"]:
        _listing(provider, title=title)

    first = _ok(client, "/services", per_page=3)
    second = _ok(client, "/services", per_page=3, page=2)
    beyond = _ok(client, "/services", per_page=3, page=3)

    for body in (first, second, beyond):
        assert_valid_page(body, "/services")
    assert (first["total_items"], first["total_pages"], first["size"], first["first_page"], first["last_page"]) == (
        4, 2, 3, True, False)
    assert (second["page_number"], second["size"], second["first_page"], second["last_page"]) == (2, 1, False, True)
    assert _titles(first) + _titles(second) == ["Alpha", "Alpha", "Bravo", "Charlie"]
    assert len({item["id"] for item in first["contents"] + second["contents"]}) == 4
    assert beyond["contents"] == [] and beyond["empty"] is True and beyond["last_page"] is True


@pytest.mark.parametrize("path", ["/services", "/service_at_locations", "/taxonomies", "/taxonomy_terms",
                                  "/organizations"])
@pytest.mark.parametrize("params, parameter", [
    ({"per_page": "0"}, "per_page"), ({"per_page": "201"}, "per_page"), ({"per_page": "ten"}, "per_page"),
    ({"page": "0"}, "page"), ({"page": "-1"}, "page"), ({"page": "1.5"}, "page"),
])
def test_bad_paging_is_400_json_naming_the_parameter(client, db, path, params, parameter):
    response = _get(client, path, **params)

    assert response.status_code == 400
    body = _json(response)
    assert parameter in body["errors"] and parameter in body["detail"]


@pytest.mark.parametrize("path", ["/services", "/service_at_locations"])
@pytest.mark.parametrize("params, parameter", [
    ({"postcode": "NOT A CODE"}, "postcode"),
    ({"postcode": "12345"}, "postcode"),
    ({"modified_after": "yesterday"}, "modified_after"),
    ({"modified_after": "2025-13-01T00:00:00Z"}, "modified_after"),
    ({"taxonomy_term_id": "homecare"}, "taxonomy_term_id"),
    ({"taxonomy_id": "1"}, "taxonomy_id"),
    ({"search": "x" * 201}, "search"),
])
def test_bad_search_parameters_are_400_json_with_a_message(client, db, path, params, parameter):
    response = _get(client, path, **params)

    assert response.status_code == 400
    body = _json(response)
    assert body["errors"][parameter] and body["detail"].startswith("Bad query parameter")


def test_blank_parameters_are_the_same_as_none(client, full_listing):
    body = _ok(client, "/services", page="", per_page="", search="", postcode="", taxonomy_term_id="")

    assert body["total_items"] == 1 and body["page_number"] == 1


# Service at locations ---------------------------------------------------------------------------

def test_service_at_locations_list_and_detail_are_valid(client, full_listing):
    body = _ok(client, "/service_at_locations")

    assert_valid_page(body, "/service_at_locations")
    [item] = body["contents"]
    assert item["service_id"] == ids.service_id(full_listing)
    detail = _ok(client, f"/service_at_locations/{item['id']}")
    # openapi.json names service.json for this response, but the fully nested service_at_location
    # is what the path returns; its own schema is the one that fits.
    assert_valid(detail, "service_at_location.json")
    assert detail["id"] == item["id"] and detail["location"] == item["location"]
    assert len(detail["service"]["cost_options"]) == 4


# Taxonomies -------------------------------------------------------------------------------------

def test_taxonomies_are_the_categories_and_the_client_groups(client, db):
    body = _ok(client, "/taxonomies")

    assert_valid_page(body, "/taxonomies")
    assert [item["id"] for item in body["contents"]] == [ids.taxonomy_id(ids.CATEGORY_TAXONOMY),
                                                         ids.taxonomy_id(ids.CLIENT_GROUP_TAXONOMY)]
    groups = _ok(client, f"/taxonomies/{ids.taxonomy_id(ids.CLIENT_GROUP_TAXONOMY)}")
    _validate(groups, UPSTREAM + "taxonomy.json")
    assert [term["name"] for term in groups["taxonomy_terms"]] == [label for _, label in ClientGroup.choices]
    assert _get(client, f"/taxonomies/{uuid.uuid4()}").status_code == 404


def test_taxonomy_terms_are_every_category_and_client_group(client, db):
    body = _ok(client, "/taxonomy_terms", per_page=200)

    assert_valid_page(body, "/taxonomy_terms")
    names = [item["name"] for item in body["contents"]]
    assert len(names) == ServiceCategory.objects.count() + len(ClientGroup.choices)
    assert "Homecare" in names and "Carer" in names
    by_name = {item["name"]: item for item in body["contents"]}
    assert by_name["Homecare"]["taxonomy_id"] == ids.taxonomy_id(ids.CATEGORY_TAXONOMY)
    assert by_name["Carer"]["id"] == ids.client_group_term_id("carer")
    term = _ok(client, f"/taxonomy_terms/{ids.category_term_id('advocacy')}")
    _validate(term, OPENAPI + "#/" + _pointer("paths", "/taxonomy_terms/{id}", "get", "responses", "200", "content",
                                              "application/json", "schema"))
    assert term["name"] == "Advocacy"


def test_taxonomy_terms_filter_by_taxonomy_and_parent(client, db):
    groups = _ok(client, "/taxonomy_terms", taxonomy_id=ids.taxonomy_id(ids.CLIENT_GROUP_TAXONOMY))
    children = _ok(client, "/taxonomy_terms", parent_id=ids.category_term_id("homecare"))
    top = _ok(client, "/taxonomy_terms", top_only="true", per_page=200)

    assert [item["id"] for item in groups["contents"]] == [ids.client_group_term_id(value)
                                                           for value, _ in ClientGroup.choices]
    assert children["total_items"] == 0
    assert top["total_items"] == ServiceCategory.objects.count() + len(ClientGroup.choices)
    assert _get(client, "/taxonomy_terms", top_only="maybe").status_code == 400


# Organisations ----------------------------------------------------------------------------------

def test_organizations_list_and_detail_are_valid(client, full_listing, provider):
    _listing(provider, title="Draft", status=ListingStatus.DRAFT)
    body = _ok(client, "/organizations")

    assert_valid_page_of(body, "organization_list.json")
    detail = _ok(client, f"/organizations/{ids.organisation_id(provider.pk)}")
    assert_valid(detail, "organization.json")
    assert [service["name"] for service in detail["services"]] == ["Dementia homecare"]


# HTTP -------------------------------------------------------------------------------------------

def test_preflight_is_answered_for_any_origin(client, db):
    response = client.options("/openreferral/services", HTTP_ORIGIN="https://tool.example",
                              HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
                              HTTP_ACCESS_CONTROL_REQUEST_HEADERS="accept")

    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response["Access-Control-Allow-Methods"]
    assert response["Access-Control-Allow-Headers"] == "accept"
    head = client.head("/openreferral/services")
    assert head.status_code == 200 and head["Access-Control-Allow-Origin"] == "*"


def test_writes_are_refused_in_json_with_the_cors_header(client, db):
    response = client.post("/openreferral/services", {})

    assert response.status_code == 405
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response["Allow"] and "detail" in _json(response)


def test_unknown_paths_under_the_api_are_404_json(client, db):
    response = _get(client, "/services/a/b")

    assert response.status_code == 404
    assert "detail" in _json(response)


def test_a_signed_in_visitor_gets_the_same_anonymous_feed_and_no_cookie(client, full_listing, make_member, provider):
    from marketplace.constants import Role

    client.force_login(make_member(Role.PROVIDER_ADMIN, provider))
    _listing(provider, title="Own draft", status=ListingStatus.DRAFT)

    assert _titles(_ok(client, "/services")) == ["Dementia homecare"]


# Query counts -----------------------------------------------------------------------------------

def _queries(client, path: str, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        _ok(client, path, **params)
    return len(queries)


@pytest.mark.parametrize("path", ["/services", "/service_at_locations", "/organizations"])
def test_list_queries_do_not_grow_with_the_page(client, db, path):
    e8 = _district("E8")
    for number in range(20):
        organisation = _approved()
        listing = _listing(organisation, title=f"Service {number:02d}", areas=[e8], groups=[ClientGroup.CARER])
        RateCardFactory(listing=listing)

    small = _queries(client, path, per_page=2)
    large = _queries(client, path, per_page=20)
    filtered = _queries(client, path, per_page=20, search="service", postcode="E8",
                        taxonomy_term_id=ids.client_group_term_id("carer"))

    assert small == large <= 3
    assert filtered <= large + 2


def test_detail_queries_do_not_grow_with_what_the_service_has(client, provider):
    lean = _listing(provider, title="Lean")
    rich = _listing(provider, title="Rich", groups=list(ClientGroup.values),
                    areas=[_district(f"E{number}") for number in range(1, 9)],
                    languages=[_language("en", "English"), _language("pl", "Polish"), _language("ur", "Urdu")])
    for unit in (RateUnit.HOUR, RateUnit.VISIT, RateUnit.DAY, RateUnit.NIGHT):
        RateCardFactory(listing=rich, unit=unit)

    assert _queries(client, f"/services/{ids.service_id(lean)}") == _queries(
        client, f"/services/{ids.service_id(rich)}")


def test_a_failure_is_reported_and_still_answered_in_json_with_the_cors_header(client, db, monkeypatch):
    from providers.openreferral import selectors

    def broken(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(selectors, "listings_matching", broken)
    client.raise_request_exception = False

    response = _get(client, "/services")

    assert response.status_code == 500
    assert "detail" in _json(response) and "database" not in response.content.decode()
