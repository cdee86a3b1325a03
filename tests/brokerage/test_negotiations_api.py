"""Price negotiations through /api/v1/negotiations/: both sides read through the scope rule, quote
requests, POST actions per move, and the 400 / 403 / 404 / 409 answers."""

import pytest

from brokerage import services
from brokerage.constants import NegotiationReason, NegotiationStatus
from brokerage.models import Negotiation, PlanLine
from marketplace.constants import Role
from marketplace.models import AuditEvent
from tests.brokerage.factories_negotiations import LISTED_PENCE, line_above_reference, open_negotiation
from tests.brokerage.factories_negotiations import line, negotiation, provider_staff  # noqa: F401 (pytest fixtures)
from tests.marketplace.factories import BrokerOrganisationFactory, ProviderOrganisationFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/negotiations/"


def post(client, path, data=None):
    return client.post(path, data or {}, content_type="application/json")


def action(negotiation, name):
    return f"{API}{negotiation.pk}/{name}/"


def state(negotiation):
    row = Negotiation.objects.get(pk=negotiation.pk)
    events = AuditEvent.objects.exclude(verb__startswith="membership.").count()
    return row.status, row.offers.count(), PlanLine.objects.get(pk=row.line_id).agreed_price_pence, events


# Reading ----------------------------------------------------------------------------------------

def test_the_broker_reads_the_negotiation_with_its_offers(client, broker, negotiation, line):
    client.force_login(broker)
    body = client.get(f"{API}{negotiation.pk}/").json()
    assert body["status"] == "open" and body["reason"] == "above_reference"
    assert (body["listed_price_pence"], body["reference_rate_pence"]) == (LISTED_PENCE, 2400)
    assert body["line"] == line.pk and body["service"] == line.listing.title
    assert body["quantity_per_week"] == "10.00" and body["unit"] == "hour" and body["route"] == "managed_budget"
    assert body["postcode_district"] == "E8" and body["awaiting"] == "purchaser"
    assert [(o["side"], o["price_pence"]) for o in body["offers"]] == [("provider", LISTED_PENCE)]


def test_the_provider_reads_it_without_the_person(client, provider_staff, negotiation, line):
    client.force_login(provider_staff)
    response = client.get(f"{API}{negotiation.pk}/")
    assert response.status_code == 200
    person = line.plan.person
    text = response.content.decode()
    for detail in (person.first_name, person.last_name, person.reference, "E8 3QP", "1939"):
        assert detail not in text
    listed = client.get(API).json()
    assert [row["id"] for row in listed["results"]] == [negotiation.pk]


def test_the_list_puts_open_negotiations_first(client, brokerage, broker, make_member):
    closed = open_negotiation(line_above_reference(brokerage=brokerage), broker)
    services.negotiation_withdraw(negotiation=closed, by=broker, reason="Changed provider")
    still_open = open_negotiation(line_above_reference(brokerage=brokerage), broker)
    client.force_login(broker)
    ids = [row["id"] for row in client.get(API).json()["results"]]
    assert ids == [still_open.pk, closed.pk]
    assert [row["id"] for row in client.get(API, {"status": "withdrawn"}).json()["results"]] == [closed.pk]


@pytest.mark.parametrize("who", ["other_provider", "other_broker"])
def test_another_organisation_gets_404_on_every_route_and_nothing_changes(client, make_member, negotiation, who):
    user = make_member(Role.PROVIDER_ADMIN, ProviderOrganisationFactory()) if who == "other_provider" \
        else make_member(Role.BROKER, BrokerOrganisationFactory())
    client.force_login(user)
    before = state(negotiation)
    assert client.get(f"{API}{negotiation.pk}/").status_code == 404
    assert client.get(API).json()["results"] == []
    assert post(client, action(negotiation, "offer"), {"price_pence": 2000}).status_code == 404
    assert post(client, action(negotiation, "accept")).status_code == 404
    assert post(client, action(negotiation, "decline"), {"reason": "x"}).status_code == 404
    assert post(client, action(negotiation, "withdraw"), {"reason": "x"}).status_code == 404
    assert post(client, API, {"line": negotiation.line_id}).status_code == 404
    assert state(negotiation) == before


def test_signing_in_is_required(client, negotiation):
    assert client.get(API).status_code == 403


# Quote requests ---------------------------------------------------------------------------------

def test_a_broker_asks_for_a_quote_and_asking_again_returns_the_same(client, broker, brokerage):
    line = line_above_reference(brokerage=brokerage, listed_pence=2300)
    client.force_login(broker)
    response = post(client, API, {"line": line.pk, "reason": "quote_requested", "note": "Mornings"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reason"] == "quote_requested" and body["offers"] == [] and body["awaiting"] == "provider"
    again = post(client, API, {"line": line.pk, "reason": "quote_requested"})
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert Negotiation.objects.filter(line=line).count() == 1


def test_a_quote_request_is_the_default_reason(client, broker, brokerage):
    line = line_above_reference(brokerage=brokerage, listed_pence=2300)
    client.force_login(broker)
    assert post(client, API, {"line": line.pk}).json()["reason"] == NegotiationReason.QUOTE_REQUESTED


def test_a_provider_cannot_ask_itself_for_a_quote(client, provider_staff, line):
    client.force_login(provider_staff)
    assert post(client, API, {"line": line.pk}).status_code == 404  # providers never see plan lines
    assert not Negotiation.objects.exists()


def test_a_bad_quote_request_gets_400_with_a_body(client, broker, line):
    client.force_login(broker)
    response = post(client, API, {"line": "x", "reason": "haggling"})
    assert response.status_code == 400
    assert set(response.json()) == {"line", "reason"}


# Offers -----------------------------------------------------------------------------------------

def test_the_provider_counter_offers_in_pence(client, provider_staff, negotiation):
    client.force_login(provider_staff)
    response = post(client, action(negotiation, "offer"), {"price_pence": 2500, "note": "Best we can do"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["offers"][-1]["side"] == "provider" and body["offers"][-1]["price_pence"] == 2500
    assert body["awaiting"] == "purchaser"


@pytest.mark.parametrize("price", ["24.50", 24.5, "£24", True, None])
def test_a_price_that_is_not_whole_pence_gets_400(client, broker, negotiation, price):
    client.force_login(broker)
    before = state(negotiation)
    response = post(client, action(negotiation, "offer"), {"price_pence": price})
    assert response.status_code == 400
    assert "price_pence" in response.json()
    assert state(negotiation) == before


def test_a_price_of_nothing_gets_400_saying_so(client, broker, negotiation):
    client.force_login(broker)
    response = post(client, action(negotiation, "offer"), {"price_pence": 0})
    assert response.status_code == 400
    assert response.json() == {"price_pence": ["The price must be more than £0.00"]}


def test_the_broker_cannot_offer_a_non_specialist_above_the_reference_rate(client, broker, negotiation):
    client.force_login(broker)
    response = post(client, action(negotiation, "offer"), {"price_pence": 2500})
    assert response.status_code == 400
    assert "£24.00" in response.json()["price_pence"][0]


def test_an_offer_on_an_ended_negotiation_gets_409(client, broker, provider_staff, negotiation):
    services.negotiation_decline(negotiation=negotiation, by=provider_staff, reason="No")
    client.force_login(broker)
    before = state(negotiation)
    response = post(client, action(negotiation, "offer"), {"price_pence": 2300})
    assert response.status_code == 409
    assert response.json()["status"] == "declined"
    assert state(negotiation) == before


# Accepting, declining, withdrawing --------------------------------------------------------------

def test_the_provider_accepts_the_brokers_offer(client, broker, provider_staff, negotiation, line):
    services.negotiation_offer(negotiation=negotiation, by=broker, price_pence=2400)
    client.force_login(provider_staff)
    response = post(client, action(negotiation, "accept"), {"note": "Agreed"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "agreed" and body["agreed_price_pence"] == 2400
    assert body["annual_saving_pence"] == 130000 and body["awaiting"] is None
    assert PlanLine.objects.get(pk=line.pk).agreed_price_pence == 2400


def test_accepting_a_non_specialist_price_above_the_reference_rate_gets_400(client, broker, negotiation):
    client.force_login(broker)
    before = state(negotiation)
    response = post(client, action(negotiation, "accept"))
    assert response.status_code == 400
    assert "£24.00" in response.json()["detail"][0]
    assert state(negotiation) == before


def test_a_specialist_price_above_the_reference_rate_is_agreed(client, broker, brokerage):
    line = line_above_reference(brokerage=brokerage, is_specialist=True)
    negotiation = open_negotiation(line, broker)
    client.force_login(broker)
    response = post(client, action(negotiation, "accept"))
    assert response.status_code == 200 and response.json()["agreed_price_pence"] == LISTED_PENCE


def test_accepting_your_own_offer_gets_400(client, broker, negotiation):
    services.negotiation_offer(negotiation=negotiation, by=broker, price_pence=2300)
    client.force_login(broker)
    response = post(client, action(negotiation, "accept"))
    assert response.status_code == 400
    assert response.json() == {"detail": ["Wait for the provider's answer"]}


def test_only_the_provider_declines(client, broker, provider_staff, negotiation):
    client.force_login(broker)
    before = state(negotiation)
    assert post(client, action(negotiation, "decline"), {"reason": "No"}).status_code == 403
    assert state(negotiation) == before
    client.force_login(provider_staff)
    assert post(client, action(negotiation, "decline"), {}).status_code == 400
    response = post(client, action(negotiation, "decline"), {"reason": "Our costs"})
    assert response.status_code == 200 and response.json()["status"] == "declined"
    assert response.json()["closing_note"] == "Our costs"


def test_only_the_purchaser_withdraws(client, broker, provider_staff, negotiation):
    client.force_login(provider_staff)
    assert post(client, action(negotiation, "withdraw"), {"reason": "No"}).status_code == 403
    client.force_login(broker)
    response = post(client, action(negotiation, "withdraw"), {"reason": "Changed provider"})
    assert response.status_code == 200 and response.json()["status"] == NegotiationStatus.WITHDRAWN
    assert post(client, action(negotiation, "accept")).status_code == 409


def test_the_schema_documents_the_negotiation_routes(client):
    schema = client.get("/api/v1/schema/").content.decode()
    for route in ("/api/v1/negotiations/", "/api/v1/negotiations/{id}/offer/", "/api/v1/negotiations/{id}/accept/",
                  "/api/v1/negotiations/{id}/decline/", "/api/v1/negotiations/{id}/withdraw/"):
        assert route in schema
