"""Care package request pages: the broker's request form and request page (ranked offers, the
choice with the person's preference, withdrawal), the provider portal's anonymous requests with
offer and decline forms, and the council's market gaps."""

from decimal import Decimal

import pytest
from django.urls import reverse

from brokerage.constants import PackageRequestStatus, PackageResponseStatus, PlanStatus
from brokerage.models import PackageRequest, PackageResponse, PlanLine
from marketplace.constants import Role
from providers.models import Language
from tests.brokerage.factories_package_requests import (
    SUMMARY,
    days,
    district,
    events,
    evidence_for,
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
from tests.providers.factories import ReferenceRateFactory, homecare

pytestmark = pytest.mark.django_db


def new_url(plan):
    return reverse("brokerage:package_request_new", args=[plan.person_id, plan.pk])


def detail_url(request):
    return reverse("brokerage:package_request", args=[request.person_id, request.pk])


def portal_list_url(org_id):
    return reverse("brokerage_portal:package_requests", args=[org_id])


def portal_url(response):
    return reverse("brokerage_portal:package_response", args=[response.provider_id, response.pk])


def form_data(**overrides):
    start = days(14)
    data = {"category": str(homecare().pk), "unit": "hour", "quantity_per_week": "10",
            "times_of_day": ["morning", "evening"], "starts_on_day": str(start.day),
            "starts_on_month": str(start.month), "starts_on_year": str(start.year), "district": "e8",
            "route": "managed_budget", "specialisms": "", "needs_summary": SUMMARY,
            "deadline_day": "", "deadline_month": "", "deadline_year": ""}
    data.update(overrides)
    return data


# The broker sends a request ---------------------------------------------------------------------

def test_the_form_suggests_the_persons_district_and_says_not_to_identify_them(client, broker, plan, e8):
    client.force_login(broker)
    response = client.get(new_url(plan))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Do not include their name, address or anything that identifies them" in html
    assert 'name="district"' in html and 'value="E8"' in html
    assert 'type="checkbox" name="times_of_day" value="early_morning"' in html


def test_a_broker_sends_a_request_and_sees_who_was_asked(client, broker, plan, e8):
    polish = Language.objects.get_or_create(code="pl", defaults={"name": "Polish"})[0]
    listing = service(areas=[e8], languages=[polish], specialisms=["Dementia"])
    client.force_login(broker)
    response = client.post(new_url(plan), form_data(languages=[str(polish.pk)], specialisms="dementia"),
                           follow=True)
    request = PackageRequest.objects.get()
    assert response.redirect_chain[-1][0] == detail_url(request)
    assert (request.times_of_day, request.specialisms, list(request.languages.all())) == \
        (["morning", "evening"], ["dementia"], [polish])
    html = response.content.decode()
    assert f"Request {request.reference} sent to 1 service" in html
    assert listing.title in html and "Waiting for an answer" in html


def test_with_nobody_to_ask_the_broker_is_told_it_is_a_market_gap(client, broker, plan, e8):
    client.force_login(broker)
    response = client.post(new_url(plan), form_data(), follow=True)
    assert PackageRequest.objects.get().status == PackageRequestStatus.NO_OFFERS
    html = response.content.decode()
    assert "The council has been told about the gap in the market" in html


@pytest.mark.parametrize("overrides, message", [
    ({"needs_summary": "Margaret needs help washing"}, "Remove the person’s name from the summary of needs"),
    ({"needs_summary": "Lives at E8 3QP"}, "Remove the person’s postcode"),
    ({"district": "E8 3QP"}, "Enter the postcode district only, like E8"),
    ({"district": "ZZ9"}, "Enter a postcode district the council covers"),
    ({"times_of_day": []}, "Select at least one time of day"),
    ({"quantity_per_week": "-3"}, "Enter how much is needed a week as a number above 0"),
    ({"quantity_per_week": "ten"}, "Enter how much is needed a week as a number, like 7.5"),
    ({"starts_on_day": "31", "starts_on_month": "2"}, "The start date must be a real date"),
])
def test_bad_input_shows_what_to_fix_and_sends_nothing(client, broker, plan, e8, overrides, message):
    service(areas=[e8])
    client.force_login(broker)
    response = client.post(new_url(plan), form_data(**overrides))
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html and message in html
    assert html.count(message) >= 2  # in the error summary and beside the field
    assert not PackageRequest.objects.exists()


def test_a_plan_waiting_for_sign_off_offers_no_form(client, broker, plan, e8):
    plan.status = PlanStatus.SUBMITTED
    plan.save()
    client.force_login(broker)
    response = client.post(new_url(plan), form_data())
    assert response.status_code == 200 and "no request can be sent" in response.content.decode()
    assert not PackageRequest.objects.exists()


def test_another_brokerage_gets_not_found(client, make_member, plan, e8):
    client.force_login(make_member(Role.BROKER, BrokerOrganisationFactory()))
    request = request_row(plan=plan, area=e8)
    assert client.get(new_url(plan)).status_code == 404
    assert client.post(new_url(plan), form_data()).status_code == 404
    assert client.get(detail_url(request)).status_code == 404
    before = events()
    assert client.post(detail_url(request), {"action": "withdraw", "reason": "x"}).status_code == 404
    request.refresh_from_db()
    assert request.status == PackageRequestStatus.OPEN and events() == before


# The broker's request page ----------------------------------------------------------------------

def test_offers_are_ranked_with_the_method_beside_them(client, broker, with_offers):
    request, a, b, c = with_offers
    client.force_login(broker)
    response = client.get(detail_url(request))
    assert response.status_code == 200
    assert [offer.response.pk for offer in response.context["ranking"]] == [b.pk, a.pk, c.pk]
    html = response.content.decode()
    table = html[html.index('id="offers"'):html.index("</table>", html.index('id="offers"'))]
    assert table.index(b.provider.name) < table.index(a.provider.name) < table.index(c.provider.name)
    assert table.count("Above usual cost") == 1 and "90.0" in table and "83.3" in table
    assert "How the offers are ranked" in html
    assert "60% quality and 40% price" in html
    assert "falling evenly to 0 at £48.00" in html
    assert "never chosen for them" in html
    assert PackageRequest.objects.get().status == PackageRequestStatus.OPEN  # showing it chose nothing


def test_choosing_needs_the_persons_preference(client, broker, with_offers):
    request, a, b, c = with_offers
    client.force_login(broker)
    before = events()
    response = client.post(detail_url(request), {"action": "choose", "response": str(c.pk),
                                                  f"offer-{c.pk}-person_preference": ""})
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html and "Enter what the person prefers, in their words" in html
    request.refresh_from_db()
    assert request.status == PackageRequestStatus.OPEN and events() == before


def test_choosing_an_offer_puts_it_on_the_plan_at_the_offered_price(client, broker, with_offers):
    request, a, b, c = with_offers
    client.force_login(broker)
    response = client.post(detail_url(request), {
        "action": "choose", "response": str(a.pk),
        f"offer-{a.pk}-person_preference": "I know their carers", f"offer-{a.pk}-reason": ""}, follow=True)
    assert response.status_code == 200
    request.refresh_from_db()
    assert request.status == PackageRequestStatus.CHOSEN and request.person_preference == "I know their carers"
    line = PlanLine.objects.get(package_response=a)
    assert line.agreed_price_pence == 3600 and line.plan_id == request.plan_id
    assert set(PackageResponse.objects.exclude(pk=a.pk).values_list("status", flat=True)) == \
        {PackageResponseStatus.NOT_CHOSEN}
    assert "I know their carers" in response.content.decode()


def test_a_broker_withdraws_a_request_with_a_reason(client, broker, with_offers):
    request, a, b, c = with_offers
    client.force_login(broker)
    response = client.post(detail_url(request), {"action": "withdraw", "reason": ""})
    assert response.status_code == 200 and "Enter why the request is being withdrawn" in response.content.decode()
    response = client.post(detail_url(request), {"action": "withdraw", "reason": "Moved away"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == PackageRequestStatus.WITHDRAWN


def test_the_request_page_query_count_does_not_grow_with_offers(client, broker, plan, e8,
                                                               django_assert_max_num_queries):
    ReferenceRateFactory(rate_pence=2400)
    request = request_row(plan=plan, area=e8, by=broker)
    for price in (2000, 2600):
        evidence_for(offered(request, service(areas=[e8]), price).provider, 3)
    invited(request, service(areas=[e8]))
    client.force_login(broker)
    client.get(detail_url(request))  # warm the settings cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(detail_url(request)).status_code == 200
    for price in (2100, 2200, 2300, 2700, 3000):
        evidence_for(offered(request, service(areas=[e8]), price).provider, 4)
        invited(request, service(areas=[e8]))
    with django_assert_max_num_queries(len(few)):
        response = client.get(detail_url(request))
    assert len(response.context["ranking"]) == 7


# The provider portal ----------------------------------------------------------------------------

@pytest.fixture
def sent(plan, e8, broker):
    request = request_row(plan=plan, area=e8, by=broker)
    listing = service(areas=[e8])
    return request, invited(request, listing)


def assert_anonymous(html, person, plan):
    for detail in (person.first_name, person.last_name, person.reference, person.postcode, "3QP",
                   f"/people/{person.pk}/", "support plan", "1948"):
        assert detail not in html, detail


def test_a_provider_sees_the_request_but_never_the_person_or_the_plan(client, make_member, sent, person, plan):
    request, response = sent
    staff = provider_staff(make_member, response.listing)
    client.force_login(staff)
    listing_page = client.get(portal_list_url(response.provider_id))
    assert listing_page.status_code == 200
    html = listing_page.content.decode()
    assert request.reference in html and "Answer needed" in html and "E8" in html
    assert_anonymous(html, person, plan)
    page = client.get(portal_url(response))
    assert page.status_code == 200
    html = page.content.decode()
    assert request.reference in html and "Help to wash and dress" in html and "10 hours a week" in html
    assert "Make an offer" in html and "Or decline" in html
    assert_anonymous(html, person, plan)


def test_a_provider_makes_an_offer(client, make_member, sent):
    request, response = sent
    client.force_login(provider_staff(make_member, response.listing))
    start = days(10)
    answer = client.post(portal_url(response), {
        "action": "offer", "price": "25.50", "earliest_start_day": str(start.day),
        "earliest_start_month": str(start.month), "earliest_start_year": str(start.year), "note": "We can"},
        follow=True)
    assert answer.status_code == 200 and f"Offer sent for request {request.reference}" in answer.content.decode()
    response.refresh_from_db()
    assert (response.status, response.price_pence, response.earliest_start) == \
        (PackageResponseStatus.OFFERED, 2550, start)


def test_a_bad_offer_shows_what_to_fix(client, make_member, sent):
    request, response = sent
    client.force_login(provider_staff(make_member, response.listing))
    answer = client.post(portal_url(response), {"action": "offer", "price": "lots", "earliest_start_day": "",
                                                "earliest_start_month": "", "earliest_start_year": ""})
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "There is a problem" in html and "Enter the price per unit in pounds and pence" in html
    assert "Enter the earliest date you could start" in html
    response.refresh_from_db()
    assert response.status == PackageResponseStatus.INVITED


def test_a_provider_declines(client, make_member, sent):
    request, response = sent
    client.force_login(provider_staff(make_member, response.listing))
    assert client.post(portal_url(response), {"action": "decline", "note": "Full"}).status_code == 302
    response.refresh_from_db()
    assert (response.status, response.note) == (PackageResponseStatus.DECLINED, "Full")
    assert "Make an offer" not in client.get(portal_url(response)).content.decode()


def test_another_providers_response_is_not_found_and_nothing_changes(client, make_member, sent, e8):
    request, response = sent
    other = service(areas=[e8])
    client.force_login(provider_staff(make_member, other))
    # Their own organisation in the address, another's response id.
    own_org_url = reverse("brokerage_portal:package_response", args=[other.organisation_id, response.pk])
    before = events()
    assert client.get(own_org_url).status_code == 404
    assert client.get(portal_url(response)).status_code == 404
    assert client.get(portal_list_url(response.provider_id)).status_code == 404
    start = days(10)
    assert client.post(portal_url(response), {
        "action": "offer", "price": "10.00", "earliest_start_day": str(start.day),
        "earliest_start_month": str(start.month), "earliest_start_year": str(start.year)}).status_code == 404
    assert client.post(own_org_url, {"action": "decline"}).status_code == 404
    response.refresh_from_db()
    assert response.status == PackageResponseStatus.INVITED and events() == before


def test_a_broker_cannot_use_the_provider_pages(client, broker, sent):
    request, response = sent
    client.force_login(broker)
    assert client.get(portal_list_url(response.provider_id)).status_code == 403
    assert client.get(portal_url(response)).status_code == 403


def test_the_provider_list_query_count_does_not_grow_with_requests(client, make_member, plan, e8,
                                                                   django_assert_num_queries):
    listing = service(areas=[e8])
    client.force_login(provider_staff(make_member, listing))
    for _ in range(2):
        invited(request_row(plan=plan, area=e8), listing)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(portal_list_url(listing.organisation_id)).status_code == 200
    for _ in range(8):
        invited(request_row(plan=plan, area=e8), listing)
    with django_assert_num_queries(len(few)):
        response = client.get(portal_list_url(listing.organisation_id))
    assert response.context["page"].paginator.count == 10


# The council's market gaps ----------------------------------------------------------------------

def test_officers_see_market_gaps_grouped_by_category_and_district(client, officer, plan, e8):
    e9 = district("E9")
    for area, count in ((e8, 2), (e9, 1)):
        for _ in range(count):
            request_row(plan=plan, area=area, status=PackageRequestStatus.NO_OFFERS,
                        market_gap_flagged_at="2026-01-05T10:00:00Z")
    request_row(plan=plan, area=e8)  # open: not a gap
    client.force_login(officer)
    response = client.get(reverse("market_gaps"))
    assert response.status_code == 200
    assert [(group.category, group.district, group.count) for group in response.context["groups"]] == \
        [("Homecare", "E8", 2), ("Homecare", "E9", 1)]
    html = response.content.decode()
    assert 'id="market-gap-groups"' in html and "5 Jan 2026" in html
    assert len(response.context["requests"]) == 3


def test_market_gaps_page_query_count_does_not_grow(client, officer, plan, e8, django_assert_max_num_queries):
    for _ in range(2):
        request_row(plan=plan, area=e8, status=PackageRequestStatus.NO_OFFERS,
                    market_gap_flagged_at="2026-01-05T10:00:00Z")
    client.force_login(officer)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(reverse("market_gaps"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("market_gaps"))
    for index in range(8):
        request_row(plan=plan, area=district(f"N{index + 1}"), status=PackageRequestStatus.NO_OFFERS,
                    market_gap_flagged_at="2026-01-06T10:00:00Z")
    with django_assert_max_num_queries(len(few)):
        assert client.get(reverse("market_gaps")).status_code == 200


def test_brokers_and_providers_cannot_see_market_gaps(client, broker, make_member, e8):
    for user in (broker, make_member(Role.PROVIDER_STAFF, service(areas=[e8]).organisation)):
        client.force_login(user)
        assert client.get(reverse("market_gaps")).status_code in {302, 403}


def test_the_market_gaps_menu_item_is_for_contract_officers(rf, officer, broker):
    from brokerage.console_market import menu_items

    item = menu_items[0]()
    request = rf.get("/admin/")
    request.user = officer
    assert item.is_shown(request) and item.url == reverse("market_gaps")
    request.user = broker
    assert not item.is_shown(request)


def test_quantities_show_in_words(client, broker, plan, e8):
    request = request_row(plan=plan, area=e8, by=broker, quantity="7.50")
    client.force_login(broker)
    assert "7.5 hours a week" in client.get(detail_url(request)).content.decode()
    assert Decimal(request.quantity_per_week) == Decimal("7.5")
