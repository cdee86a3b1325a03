"""The broker's negotiation pages and the provider portal's: what each side sees and can do, bad
input, other organisations' negotiations, the person kept out of the provider's pages, and flat
query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from brokerage import services
from brokerage.constants import NegotiationReason, NegotiationStatus
from brokerage.models import Negotiation, NegotiationOffer, PlanLine
from marketplace.constants import Role
from marketplace.models import AuditEvent
from tests.brokerage.factories import PersonalAssistantLineFactory
from tests.brokerage.factories_negotiations import LISTED_PENCE, line_above_reference, open_negotiation
from tests.brokerage.factories_negotiations import line, negotiation, provider_staff  # noqa: F401 (pytest fixtures)
from tests.marketplace.factories import BrokerOrganisationFactory, ProviderOrganisationFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def broker_url(negotiation):
    line = negotiation.line
    return reverse("brokerage:negotiation", kwargs={"pk": line.plan.person_id, "plan_id": line.plan_id,
                                                    "line_id": line.pk, "negotiation_id": negotiation.pk})


def quote_url(line):
    return reverse("brokerage:negotiation_request_quote",
                   kwargs={"pk": line.plan.person_id, "plan_id": line.plan_id, "line_id": line.pk})


def portal_url(negotiation, org_id=None):
    return reverse("brokerage_portal:negotiation", kwargs={"org_id": org_id or negotiation.provider_id,
                                                           "negotiation_id": negotiation.pk})


def portal_list_url(org_id):
    return reverse("brokerage_portal:negotiations", kwargs={"org_id": org_id})


def events():
    return AuditEvent.objects.exclude(verb__startswith="membership.").count()


def state(negotiation):
    row = Negotiation.objects.get(pk=negotiation.pk)
    return row.status, row.offers.count(), PlanLine.objects.get(pk=row.line_id).agreed_price_pence, events()


# The broker's page ------------------------------------------------------------------------------

def test_the_broker_sees_the_offers_and_can_accept_the_providers(client, broker, negotiation):
    client.force_login(broker)
    response = client.get(broker_url(negotiation))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="offers"' in page and "£26.50" in page and "Listed price" in page
    assert "Accept £26.50" in page
    assert "£24.00" in page  # the reference rate
    assert "cannot be agreed" in page


def test_the_broker_counter_offers_in_pounds(client, broker, negotiation):
    client.force_login(broker)
    response = client.post(broker_url(negotiation), {"action": "offer", "offer-price": "23.75",
                                                     "offer-note": "Our usual rate"})
    assert response.status_code == 302 and response.url == broker_url(negotiation)
    offer = negotiation.offers.order_by("-pk").first()
    assert (offer.side, offer.price_pence, offer.note) == ("purchaser", 2375, "Our usual rate")
    page = client.get(broker_url(negotiation)).content.decode()
    assert "Waiting for the provider" in page and "Accept £" not in page


@pytest.mark.parametrize("price, message", [
    ("", "Enter the price"),
    ("twenty", "Enter the price in pounds and pence"),
    ("0", "The price must be more than £0"),
    ("24.505", "Enter the price in pounds and pence"),
    ("26.00", "above the council&#x27;s reference rate of £24.00"),
])
def test_a_bad_counter_offer_is_shown_and_changes_nothing(client, broker, negotiation, price, message):
    client.force_login(broker)
    before = state(negotiation)
    response = client.post(broker_url(negotiation), {"action": "offer", "offer-price": price})
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page and message in page
    assert 'href="#id_offer-price"' in page
    assert state(negotiation) == before


def test_accepting_a_non_specialist_price_above_the_reference_rate_is_refused_on_the_page(client, broker,
                                                                                          negotiation):
    client.force_login(broker)
    before = state(negotiation)
    response = client.post(broker_url(negotiation), {"action": "accept"})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert state(negotiation) == before


def test_the_broker_accepts_the_providers_counter_offer(client, broker, negotiation, provider_staff, line):
    services.negotiation_offer(negotiation=negotiation, by=broker, price_pence=2300)
    services.negotiation_offer(negotiation=negotiation, by=provider_staff, price_pence=2400)
    client.force_login(broker)
    response = client.post(broker_url(negotiation), {"action": "accept", "accept-note": "Agreed on the phone"})
    assert response.status_code == 302
    assert Negotiation.objects.get(pk=negotiation.pk).status == NegotiationStatus.AGREED
    assert PlanLine.objects.get(pk=line.pk).agreed_price_pence == 2400
    page = client.get(broker_url(negotiation)).content.decode()
    assert "Price agreed: £24.00" in page and "Saving £1,300.00 a year" in page
    assert 'id="offer"' not in page


def test_withdrawing_needs_a_reason(client, broker, negotiation):
    client.force_login(broker)
    before = state(negotiation)
    response = client.post(broker_url(negotiation), {"action": "withdraw", "withdraw-reason": ""})
    assert response.status_code == 200
    assert "Enter why you are withdrawing" in response.content.decode()
    assert state(negotiation) == before
    response = client.post(broker_url(negotiation), {"action": "withdraw", "withdraw-reason": "Chose another"})
    assert response.status_code == 302
    assert Negotiation.objects.get(pk=negotiation.pk).status == NegotiationStatus.WITHDRAWN


def test_an_ended_negotiation_offers_no_forms_and_refuses_a_stale_post(client, broker, negotiation, provider_staff):
    services.negotiation_decline(negotiation=negotiation, by=provider_staff, reason="Costs")
    client.force_login(broker)
    page = client.get(broker_url(negotiation)).content.decode()
    assert "The provider would not negotiate" in page and 'id="offer"' not in page
    before = state(negotiation)
    response = client.post(broker_url(negotiation), {"action": "offer", "offer-price": "23.00"}, follow=True)
    assert "has ended" in response.content.decode()
    assert state(negotiation) == before


def test_a_counter_offer_after_the_deadline_is_refused_on_the_page(client, broker, negotiation):
    Negotiation.objects.filter(pk=negotiation.pk).update(deadline=TODAY - datetime.timedelta(days=1))
    client.force_login(broker)
    before = state(negotiation)
    response = client.post(broker_url(negotiation), {"action": "offer", "offer-price": "23.00"})
    assert response.status_code == 200 and "deadline" in response.content.decode()
    assert state(negotiation) == before


def test_another_brokerages_broker_gets_404_and_nothing_changes(client, make_member, negotiation, line):
    other = make_member(Role.BROKER, BrokerOrganisationFactory())
    client.force_login(other)
    before = state(negotiation)
    assert client.get(broker_url(negotiation)).status_code == 404
    assert client.post(broker_url(negotiation), {"action": "offer", "offer-price": "23.00"}).status_code == 404
    assert client.post(quote_url(line), {"note": ""}).status_code == 404
    assert state(negotiation) == before


def test_a_negotiation_of_another_line_is_not_found_under_this_one(client, broker, brokerage, negotiation):
    other_line = line_above_reference(brokerage=brokerage)
    url = reverse("brokerage:negotiation", kwargs={"pk": other_line.plan.person_id, "plan_id": other_line.plan_id,
                                                   "line_id": other_line.pk, "negotiation_id": negotiation.pk})
    client.force_login(broker)
    assert client.get(url).status_code == 404


def test_someone_who_only_reads_the_record_sees_no_forms(client, negotiation, make_member, council):
    finance = make_member(Role.FINANCE_OFFICER, council)
    client.force_login(finance)
    page = client.get(broker_url(negotiation)).content.decode()
    assert 'id="offers"' in page and 'id="offer"' not in page and 'id="withdraw"' not in page


# Asking for a quote -----------------------------------------------------------------------------

def test_the_broker_asks_for_a_quote(client, broker, brokerage, make_member, mailoutbox):
    line = line_above_reference(brokerage=brokerage, listed_pence=2300)
    make_member(Role.PROVIDER_STAFF, line.listing.organisation)
    client.force_login(broker)
    assert client.get(quote_url(line)).status_code == 200
    response = client.post(quote_url(line), {"note": "Weekday mornings only"})
    negotiation = Negotiation.objects.get(line=line)
    assert response.status_code == 302 and response.url == broker_url(negotiation)
    assert negotiation.reason == NegotiationReason.QUOTE_REQUESTED and negotiation.offers.count() == 0
    page = client.get(broker_url(negotiation)).content.decode()
    assert "No offers yet" in page and "Waiting for the provider" in page


def test_asking_again_goes_to_the_negotiation_already_open(client, broker, negotiation, line):
    client.force_login(broker)
    response = client.post(quote_url(line), {"note": ""}, follow=True)
    assert response.redirect_chain[-1][0] == broker_url(negotiation)
    assert "already being negotiated" in response.content.decode()
    assert Negotiation.objects.filter(line=line).count() == 1


def test_a_personal_assistant_has_no_quote_to_ask_for(client, broker, line):
    assistant = PersonalAssistantLineFactory(plan=line.plan)
    client.force_login(broker)
    response = client.post(quote_url(assistant), {"note": ""})
    assert response.status_code == 200
    assert "Only a service" in response.content.decode()
    assert not Negotiation.objects.filter(line=assistant).exists()


# The provider portal ----------------------------------------------------------------------------

def test_the_provider_lists_its_negotiations_without_the_person(client, provider_staff, negotiation, line):
    client.force_login(provider_staff)
    response = client.get(portal_list_url(negotiation.provider_id))
    assert response.status_code == 200
    page = response.content.decode()
    assert portal_url(negotiation) in page and line.listing.title in page and "E8" in page
    assert "Waiting for your answer" not in page  # the provider's own listed price is the latest offer
    person = line.plan.person
    for detail in (person.first_name, person.last_name, person.reference, "E8 3QP", "1939"):
        assert detail not in page


def test_the_provider_sees_a_negotiation_without_the_person(client, provider_staff, negotiation, line, broker):
    services.negotiation_offer(negotiation=negotiation, by=broker, price_pence=2350, note="Can you meet us?")
    client.force_login(provider_staff)
    response = client.get(portal_url(negotiation))
    assert response.status_code == 200
    page = response.content.decode()
    assert line.listing.title in page and "10 a week" in page and "Council-managed budget" in page
    assert "£26.50" in page and "£24.00" in page and "£23.50" in page and "Can you meet us?" in page
    assert 'id="district">E8</dd>' in page
    assert "Accept £23.50" in page
    person = line.plan.person
    for detail in (person.first_name, person.last_name, person.reference, "E8 3QP", "2 November 1939", "1939",
                   broker.get_full_name()):
        assert detail not in page


def test_the_provider_counter_offers_and_accepts(client, provider_staff, negotiation, broker, line):
    client.force_login(provider_staff)
    response = client.post(portal_url(negotiation), {"action": "offer", "offer-price": "25.00"})
    assert response.status_code == 302
    assert negotiation.offers.order_by("-pk").first().side == "provider"
    services.negotiation_offer(negotiation=negotiation, by=broker, price_pence=2400)
    response = client.post(portal_url(negotiation), {"action": "accept"})
    assert response.status_code == 302
    assert Negotiation.objects.get(pk=negotiation.pk).status == NegotiationStatus.AGREED
    assert PlanLine.objects.get(pk=line.pk).agreed_price_pence == 2400


def test_the_provider_declines_with_a_reason(client, provider_staff, negotiation):
    client.force_login(provider_staff)
    before = state(negotiation)
    response = client.post(portal_url(negotiation), {"action": "decline", "decline-reason": ""})
    assert response.status_code == 200 and "Enter why you will not negotiate" in response.content.decode()
    assert state(negotiation) == before
    response = client.post(portal_url(negotiation), {"action": "decline", "decline-reason": "Our costs"})
    assert response.status_code == 302
    assert Negotiation.objects.get(pk=negotiation.pk).status == NegotiationStatus.DECLINED


def test_a_bad_price_in_the_portal_is_shown_and_changes_nothing(client, provider_staff, negotiation):
    client.force_login(provider_staff)
    before = state(negotiation)
    response = client.post(portal_url(negotiation), {"action": "offer", "offer-price": "-3"})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert state(negotiation) == before


def test_another_providers_staff_get_404_and_nothing_changes(client, make_member, negotiation):
    other_org = ProviderOrganisationFactory()
    other = make_member(Role.PROVIDER_ADMIN, other_org)
    client.force_login(other)
    before = state(negotiation)
    # Their own portal, someone else's negotiation:
    assert client.get(portal_url(negotiation, org_id=other_org.pk)).status_code == 404
    assert client.post(portal_url(negotiation, org_id=other_org.pk),
                       {"action": "offer", "offer-price": "20.00"}).status_code == 404
    # Someone else's portal:
    assert client.get(portal_url(negotiation)).status_code == 404
    assert client.get(portal_list_url(negotiation.provider_id)).status_code == 404
    assert client.post(portal_url(negotiation), {"action": "decline", "decline-reason": "x"}).status_code == 404
    assert state(negotiation) == before
    page = client.get(portal_list_url(other_org.pk)).content.decode()
    assert "No negotiations yet" in page


def test_a_broker_has_no_provider_portal_for_negotiations(client, broker, negotiation):
    client.force_login(broker)
    assert client.get(portal_list_url(negotiation.provider_id)).status_code == 403


def test_open_negotiations_come_first_in_the_portal(client, brokerage, broker, make_member):
    first = line_above_reference(brokerage=brokerage)
    organisation = first.listing.organisation
    staff = make_member(Role.PROVIDER_STAFF, organisation)
    older_open = open_negotiation(first, broker)
    closed = open_negotiation(_same_provider_line(brokerage, organisation), broker)
    services.negotiation_decline(negotiation=closed, by=staff, reason="No")
    newer_open = open_negotiation(_same_provider_line(brokerage, organisation), broker)
    client.force_login(staff)
    page = client.get(portal_list_url(organisation.pk)).content.decode()
    positions = [page.index(f'id="negotiation-{n.pk}"') for n in (newer_open, older_open, closed)]
    assert positions == sorted(positions)


def _same_provider_line(brokerage, organisation):
    """Another above-reference line for a service of ``organisation``."""
    from tests.brokerage.factories import PlanLineFactory, SupportPlanDraftFactory
    from tests.providers.factories import RateCardFactory, ServiceListingPublishedFactory

    listing = ServiceListingPublishedFactory(organisation=organisation)
    card = RateCardFactory(listing=listing, contract_rate_pence=LISTED_PENCE)
    plan = SupportPlanDraftFactory(person__broker_organisation=brokerage)
    return PlanLineFactory(plan=plan, rate_card=card)


def test_the_portal_list_takes_the_same_queries_however_many_negotiations(client, brokerage, broker, make_member,
                                                                          django_assert_num_queries):
    organisation = line_above_reference(brokerage=brokerage).listing.organisation
    staff = make_member(Role.PROVIDER_STAFF, organisation)
    open_negotiation(_same_provider_line(brokerage, organisation), broker)
    client.force_login(staff)
    url = portal_list_url(organisation.pk)
    client.get(url)  # warm the session and the settings cache
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for _ in range(4):
        negotiation = open_negotiation(_same_provider_line(brokerage, organisation), broker)
        services.negotiation_offer(negotiation=negotiation, by=broker, price_pence=2300)
    with django_assert_num_queries(len(one)):
        response = client.get(url)
    assert response.content.decode().count('id="negotiation-') == 5


def test_the_portal_page_takes_the_same_queries_however_many_offers(client, provider_staff, negotiation, broker,
                                                                    django_assert_num_queries):
    client.force_login(provider_staff)
    url = portal_url(negotiation)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for price in (2300, 2310, 2320):
        services.negotiation_offer(negotiation=negotiation, by=broker, price_pence=price)
    with django_assert_num_queries(len(one)):
        client.get(url)
    assert NegotiationOffer.objects.filter(negotiation=negotiation).count() == 4
