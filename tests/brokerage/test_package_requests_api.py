"""Care package requests through /api/v1/: the broker's requests with ranked offers and POST
actions, and the provider's own answers, which never show the person or the plan."""

import json

import pytest

from brokerage.constants import PackageRequestStatus, PackageResponseStatus
from brokerage.models import PackageRequest, PlanLine
from marketplace.constants import Role
from tests.brokerage.factories_package_requests import (
    SUMMARY,
    days,
    events,
    invited,
    offered,
    provider_staff,
    request_row,
    service,
)
from tests.brokerage.factories_package_requests import (  # noqa: F401 (pytest fixtures)
    e8,
    margaret,
    person,
    plan,
    with_offers,
)
from tests.marketplace.factories import BrokerOrganisationFactory

pytestmark = pytest.mark.django_db

REQUESTS = "/api/v1/package-requests/"
RESPONSES = "/api/v1/package-responses/"


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def body(plan, **overrides):
    return {"plan": plan.pk, "category": "homecare", "unit": "hour", "quantity_per_week": "10",
            "times_of_day": ["morning"], "starts_on": days(14).isoformat(), "district": "E8",
            "needs_summary": SUMMARY} | overrides


def keys(value) -> set[str]:
    """Every key anywhere in a JSON body."""
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in keys(item)}
    if isinstance(value, list):
        return {key for item in value for key in keys(item)}
    return set()


# The broker's side ------------------------------------------------------------------------------

def test_a_broker_sends_a_request(client, broker, plan, e8):
    listing = service(areas=[e8])
    client.force_login(broker)
    response = post(client, REQUESTS, body(plan, specialisms=[], languages=[]))
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "open" and data["district"] == "E8" and data["quantity_per_week"] == "10.00"
    assert [(row["listing_id"], row["status"]) for row in data["responses"]] == [(listing.pk, "invited")]
    assert data["ranked_offers"] == [] and data["quality_weight_percent"] == 60


def test_bad_input_says_what_to_fix(client, broker, plan, e8):
    client.force_login(broker)
    response = post(client, REQUESTS, body(plan, needs_summary="Margaret, born 17/05/1948", district="E8 3QP"))
    assert response.status_code == 400
    errors = response.json()
    assert "Remove the person’s name and date of birth" in errors["needs_summary"][0]
    assert "district" in errors
    assert post(client, REQUESTS, body(plan, unit="visit")).status_code == 400
    assert not PackageRequest.objects.exists()


def test_another_brokerages_plan_is_not_found(client, make_member, plan, e8):
    client.force_login(make_member(Role.BROKER, BrokerOrganisationFactory()))
    assert post(client, REQUESTS, body(plan)).status_code == 404
    request = request_row(plan=plan, area=e8)
    assert client.get(f"{REQUESTS}{request.pk}/").status_code == 404
    assert client.get(REQUESTS).json()["results"] == []
    before = events()
    assert post(client, f"{REQUESTS}{request.pk}/withdraw/", {"reason": "x"}).status_code == 404
    request.refresh_from_db()
    assert request.status == PackageRequestStatus.OPEN and events() == before


def test_the_request_shows_its_offers_ranked_and_how(client, broker, with_offers):
    request, a, b, c = with_offers
    client.force_login(broker)
    data = client.get(f"{REQUESTS}{request.pk}/").json()
    assert [(row["response"], row["quality_score"], row["price_score"], row["total_score"], row["above_reference"])
            for row in data["ranked_offers"]] == [
        (b.pk, "83.3", "100.0", "90.0", False), (a.pk, "100.0", "50.0", "80.0", True),
        (c.pk, "0.0", "100.0", "40.0", False)]
    assert any("twice the usual cost" in sentence for sentence in data["ranking_method"])
    assert data["status"] == "open"  # ranking chooses nothing


def test_choosing_needs_the_persons_preference_then_adds_the_offer_to_the_plan(client, broker, with_offers):
    request, a, b, c = with_offers
    client.force_login(broker)
    before = events()
    refused = post(client, f"{REQUESTS}{request.pk}/choose/", {"response": c.pk, "person_preference": ""})
    assert refused.status_code == 400 and "person_preference" in refused.json()
    assert events() == before
    assert post(client, f"{REQUESTS}{request.pk}/choose/", {"response": 999999,
                                                            "person_preference": "x"}).status_code == 400
    chosen = post(client, f"{REQUESTS}{request.pk}/choose/", {"response": c.pk, "person_preference": "Cheapest is fine",
                                                             "reason": "The person asked for it"})
    assert chosen.status_code == 200, chosen.json()
    data = chosen.json()
    line = PlanLine.objects.get(pk=data["plan_line"])
    assert line.agreed_price_pence == 1800 and line.package_response_id == c.pk
    assert data["request"]["status"] == "chosen" and data["request"]["person_preference"] == "Cheapest is fine"
    assert {row["id"]: row["status"] for row in data["request"]["responses"]} == {
        a.pk: "not_chosen", b.pk: "not_chosen", c.pk: "chosen"}
    again = post(client, f"{REQUESTS}{request.pk}/choose/", {"response": a.pk, "person_preference": "x"})
    assert again.status_code == 400


def test_withdrawing_needs_a_reason(client, broker, with_offers):
    request, *_ = with_offers
    client.force_login(broker)
    assert post(client, f"{REQUESTS}{request.pk}/withdraw/", {"reason": ""}).status_code == 400
    response = post(client, f"{REQUESTS}{request.pk}/withdraw/", {"reason": "Moved away"})
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"


def test_a_provider_never_reads_the_brokers_side(client, make_member, with_offers):
    request, a, *_ = with_offers
    client.force_login(provider_staff(make_member, a.listing))
    assert client.get(REQUESTS).json()["results"] == []
    assert client.get(f"{REQUESTS}{request.pk}/").status_code == 404


# The provider's side ----------------------------------------------------------------------------

def test_a_provider_reads_its_own_answers_without_the_person_or_the_plan(client, make_member, plan, person, e8):
    request = request_row(plan=plan, area=e8)
    mine = invited(request, service(areas=[e8]))
    invited(request, service(areas=[e8]))  # another provider's
    client.force_login(provider_staff(make_member, mine.listing))
    response = client.get(RESPONSES)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [row["id"] for row in results] == [mine.pk]
    assert results[0]["request"]["reference"] == request.reference
    assert results[0]["request"]["district"] == "E8"
    assert {"person", "plan", "broker_organisation", "person_preference"}.isdisjoint(keys(response.json()))
    text = json.dumps(response.json()) + client.get(f"{RESPONSES}{mine.pk}/").content.decode()
    for detail in (person.first_name, person.last_name, person.reference, "3QP", "1948"):
        assert detail not in text


def test_a_provider_offers_and_declines_through_the_api(client, make_member, plan, e8):
    request = request_row(plan=plan, area=e8)
    listing = service(areas=[e8])
    first, second = invited(request, listing), invited(request_row(plan=plan, area=e8), listing)
    client.force_login(provider_staff(make_member, listing))
    response = post(client, f"{RESPONSES}{first.pk}/offer/", {"price_pence": 2550,
                                                              "earliest_start": days(10).isoformat(), "note": "Yes"})
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["price_pence"]) == ("offered", 2550)
    assert post(client, f"{RESPONSES}{first.pk}/offer/", {"price_pence": 2000,
                                                          "earliest_start": days(10).isoformat()}).status_code == 400
    assert post(client, f"{RESPONSES}{second.pk}/offer/", {"price_pence": "25.50",
                                                           "earliest_start": days(10).isoformat()}).status_code == 400
    declined = post(client, f"{RESPONSES}{second.pk}/decline/", {"note": "Full"})
    assert declined.status_code == 200 and declined.json()["status"] == "declined"


def test_another_providers_answer_is_not_found_and_nothing_changes(client, make_member, plan, e8):
    request = request_row(plan=plan, area=e8)
    theirs = invited(request, service(areas=[e8]))
    client.force_login(provider_staff(make_member, service(areas=[e8])))
    before = events()
    assert client.get(f"{RESPONSES}{theirs.pk}/").status_code == 404
    assert post(client, f"{RESPONSES}{theirs.pk}/offer/", {"price_pence": 100,
                                                           "earliest_start": days(10).isoformat()}).status_code == 404
    assert post(client, f"{RESPONSES}{theirs.pk}/decline/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == PackageResponseStatus.INVITED and theirs.price_pence is None and events() == before


def test_the_provider_list_query_count_does_not_grow(client, make_member, plan, e8, django_assert_num_queries):
    listing = service(areas=[e8])
    client.force_login(provider_staff(make_member, listing))
    for _ in range(2):
        invited(request_row(plan=plan, area=e8), listing)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(RESPONSES).status_code == 200
    for _ in range(6):
        invited(request_row(plan=plan, area=e8), listing)
    with django_assert_num_queries(len(few)):
        assert len(client.get(RESPONSES).json()["results"]) == 8


def test_the_brokers_list_query_count_does_not_grow(client, broker, plan, e8, django_assert_num_queries):
    client.force_login(broker)
    for _ in range(2):
        offered(request_row(plan=plan, area=e8), service(areas=[e8]), 2400)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(REQUESTS).status_code == 200
    for _ in range(5):
        offered(request_row(plan=plan, area=e8), service(areas=[e8]), 2400)
    with django_assert_num_queries(len(few)):
        assert len(client.get(REQUESTS).json()["results"]) == 7


def test_the_api_is_documented(client):
    paths = client.get("/api/v1/schema/?format=json").json()["paths"]
    for path in ("/api/v1/package-requests/", "/api/v1/package-requests/{id}/",
                 "/api/v1/package-requests/{id}/choose/", "/api/v1/package-requests/{id}/withdraw/",
                 "/api/v1/package-responses/", "/api/v1/package-responses/{id}/",
                 "/api/v1/package-responses/{id}/offer/", "/api/v1/package-responses/{id}/decline/"):
        assert path in paths
