"""The council console's price pages: reference rates, specialist claims, areas and languages."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from marketplace.constants import Role
from marketplace.models import AuditEvent
from providers.constants import RateUnit, SpecialistClaimStatus
from providers.models import Area, Language, ReferenceRate, SpecialistClaim
from tests.providers.factories import (
    CostOfCareLineFactory,
    ReferenceRateFactory,
    ServiceListingPublishedFactory,
    SpecialistClaimFactory,
    homecare,
)

pytestmark = pytest.mark.django_db

RATES_URL = "/admin/reference-rates/"
CLAIMS_URL = "/admin/specialist-claims/"
TODAY = timezone.localdate()


@pytest.fixture
def officer(council, make_member):
    return make_member(Role.CONTRACT_OFFICER, council)


@pytest.fixture
def claim(provider_org):
    claim = SpecialistClaimFactory(listing=ServiceListingPublishedFactory(organisation=provider_org,
                                                                          title="Autism outreach"),
                                   rate_pence=3200, justification="Staff trained in autism support.")
    CostOfCareLineFactory(claim=claim, description="Senior support worker", hours="1.50", hourly_pay_pence=1600)
    CostOfCareLineFactory(claim=claim, kind="travel", description="Mileage", hours=None, hourly_pay_pence=None,
                          amount_pence=300)
    return claim


def claim_url(claim):
    return f"{CLAIMS_URL}{claim.pk}/"


def rate_form(**overrides):
    return {"category": str(homecare().pk), "unit": "hour", "rate": "18.50",
            "effective_from": TODAY.isoformat(), "reason": "Cabinet fee uplift", **overrides}


# Reference rates


def test_officer_sees_current_rates_with_history(client, officer):
    ReferenceRateFactory(rate_pence=2000, effective_from=TODAY - datetime.timedelta(days=400), reason="Old rate")
    ReferenceRateFactory(rate_pence=2250, effective_from=TODAY - datetime.timedelta(days=10), reason="Uplift")
    ReferenceRateFactory(rate_pence=2400, effective_from=TODAY + datetime.timedelta(days=20), reason="Next year")
    client.force_login(officer)
    page = client.get(RATES_URL)
    assert page.status_code == 200
    text = page.text
    assert "£22.50" in text and "£20.00" in text and "£24.00" in text
    assert "Old rate" in text and "Next year" in text
    assert "No reference rate set" in text  # the other categories
    assert 'name="rate"' in text


def test_officer_sets_a_rate_in_pounds(client, officer):
    client.force_login(officer)
    response = client.post(RATES_URL, rate_form(rate="£18.50"))
    assert response.status_code == 302
    rate = ReferenceRate.objects.get()
    assert (rate.category, rate.unit, rate.rate_pence, rate.effective_from, rate.set_by) == (
        homecare(), RateUnit.HOUR, 1850, TODAY, officer)
    assert AuditEvent.objects.for_object(rate).get().reason == "Cabinet fee uplift"
    assert "£18.50" in client.get(RATES_URL).text


@pytest.mark.parametrize("overrides, message", [
    ({"rate": "abc"}, "Enter the amount as a number, like 24.50"),
    ({"rate": "-1"}, "The rate must be more than £0"),
    ({"rate": "0"}, "The rate must be more than £0"),
    ({"rate": "1.234"}, "Enter the amount in pounds and pence, like 24.50"),
    ({"rate": ""}, "Enter the rate in pounds and pence, like 18.50"),
    ({"effective_from": ""}, "Enter the date the rate starts"),
    ({"effective_from": "31/31/2026"}, "The start date must be a real date"),
    ({"reason": ""}, "Enter the reason for the new rate"),
    ({"unit": "fortnight"}, "Select the unit the rate is for"),
    ({"category": "999999"}, "Select the service category"),
])
def test_bad_rate_input_shows_an_error_and_saves_nothing(client, officer, overrides, message):
    client.force_login(officer)
    response = client.post(RATES_URL, rate_form(**overrides))
    assert response.status_code == 400
    assert message in response.text
    assert not ReferenceRate.objects.exists()


def test_a_second_rate_on_the_same_start_date_is_a_form_error(client, officer):
    ReferenceRateFactory(rate_pence=2000, effective_from=TODAY)
    client.force_login(officer)
    response = client.post(RATES_URL, rate_form(rate="21.00"))
    assert response.status_code == 400
    assert "already has a reference rate per hour starting on" in response.text
    assert list(ReferenceRate.objects.values_list("rate_pence", flat=True)) == [2000]


@pytest.mark.parametrize("role", [Role.FINANCE_OFFICER, Role.CONTENT_EDITOR])
def test_other_council_staff_cannot_reach_rates_or_claims(client, council, make_member, claim, role):
    client.force_login(make_member(role, council))
    for url in (RATES_URL, CLAIMS_URL, claim_url(claim)):
        response = client.get(url)
        # Wagtail answers a refused admin view by sending the user back to the console's home page.
        assert response.status_code == 302 and response["Location"] == "/admin/"
    client.post(RATES_URL, rate_form())
    client.post(claim_url(claim), {"action": "accept", "reason": "Looks fine"})
    assert not ReferenceRate.objects.exists()
    claim.refresh_from_db()
    assert claim.status == SpecialistClaimStatus.SUBMITTED
    home = client.get("/admin/")
    assert "Reference rates" not in home.text and "Specialist claims" not in home.text


def test_providers_and_anonymous_users_cannot_reach_the_console(client, provider_org, make_member, claim):
    response = client.get(CLAIMS_URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(make_member(Role.PROVIDER_ADMIN, provider_org))
    assert client.get(claim_url(claim)).status_code == 302
    client.post(claim_url(claim), {"action": "accept", "reason": "Self-approved"})
    claim.refresh_from_db()
    assert claim.status == SpecialistClaimStatus.SUBMITTED


def test_officer_sees_the_price_menu_items(client, officer):
    client.force_login(officer)
    home = client.get("/admin/")
    assert RATES_URL in home.text and CLAIMS_URL in home.text


# Specialist claims


def test_claims_list_shows_waiting_claims_by_default(client, officer, claim):
    SpecialistClaimFactory(status=SpecialistClaimStatus.REJECTED, listing__title="Rejected service")
    client.force_login(officer)
    waiting = client.get(CLAIMS_URL)
    assert waiting.status_code == 200
    assert "Autism outreach" in waiting.text and "Rejected service" not in waiting.text
    assert "£27.00" in waiting.text  # the cost of care: £24.00 staff + £3.00 travel
    rejected = client.get(CLAIMS_URL + "?status=rejected")
    assert "Rejected service" in rejected.text and "Autism outreach" not in rejected.text
    everything = client.get(CLAIMS_URL + "?status=all")
    assert "Rejected service" in everything.text and "Autism outreach" in everything.text


def test_claim_detail_shows_the_breakdown_against_the_reference_rate(client, officer, claim):
    ReferenceRateFactory(rate_pence=2400)
    client.force_login(officer)
    page = client.get(claim_url(claim))
    assert page.status_code == 200
    text = page.text
    assert "Autism outreach" in text and claim.listing.organisation.name in text
    assert "Staff trained in autism support." in text
    assert "Senior support worker" in text and "1.50 × £16.00" in text and "£24.00" in text
    assert "Mileage" in text and "£3.00" in text
    assert "£27.00" in text  # system total
    assert "£32.00" in text  # claimed rate
    assert "£5.00 above the cost of care" in text
    assert "Yes: £32.00 is above the reference rate" in text
    assert 'value="accept"' in text and 'value="reject"' in text


def test_claim_detail_without_a_reference_rate_says_so(client, officer, claim):
    client.force_login(officer)
    text = client.get(claim_url(claim)).text
    assert "No reference rate set" in text and "Cannot tell: no reference rate" in text


def test_officer_accepts_a_claim_and_it_shows_in_the_history(client, officer, claim):
    client.force_login(officer)
    page = client.post(claim_url(claim), {"action": "accept", "reason": "Two-to-one staffing needed"}, follow=True)
    claim.refresh_from_db()
    claim.listing.refresh_from_db()
    assert claim.status == SpecialistClaimStatus.ACCEPTED and claim.decided_by == officer
    assert claim.listing.is_specialist
    assert "Two-to-one staffing needed" in page.text and "specialistclaim.accepted" in page.text
    assert 'value="accept"' not in page.text  # decided: no more buttons


def test_officer_rejects_a_claim(client, officer, claim):
    client.force_login(officer)
    client.post(claim_url(claim), {"action": "reject", "reason": "Usual homecare staffing"})
    claim.refresh_from_db()
    claim.listing.refresh_from_db()
    assert claim.status == SpecialistClaimStatus.REJECTED and claim.decision_reason == "Usual homecare staffing"
    assert not claim.listing.is_specialist


def test_a_decision_without_a_reason_changes_nothing(client, officer, claim):
    client.force_login(officer)
    page = client.post(claim_url(claim), {"action": "accept", "reason": ""}, follow=True)
    assert "Enter the reason for this decision" in page.text
    claim.refresh_from_db()
    assert claim.status == SpecialistClaimStatus.SUBMITTED
    assert not AuditEvent.objects.for_object(claim).exists()


def test_a_decision_on_a_withdrawn_claim_is_refused(client, officer, claim):
    SpecialistClaim.objects.filter(pk=claim.pk).update(status=SpecialistClaimStatus.WITHDRAWN)
    client.force_login(officer)
    page = client.post(claim_url(claim), {"action": "accept", "reason": "Too late"}, follow=True)
    assert "cannot change any more" in page.text
    claim.refresh_from_db()
    claim.listing.refresh_from_db()
    assert claim.status == SpecialistClaimStatus.WITHDRAWN and not claim.listing.is_specialist


def test_an_unknown_claim_is_404(client, officer):
    client.force_login(officer)
    assert client.get(f"{CLAIMS_URL}999999/").status_code == 404


def _claims_list_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CLAIMS_URL)
    assert response.status_code == 200
    return len(queries)


def test_the_claims_list_costs_the_same_queries_for_1_or_10_claims(client, officer):
    ReferenceRateFactory(rate_pence=2400)
    client.force_login(officer)
    CostOfCareLineFactory(claim=SpecialistClaimFactory())
    client.get(CLAIMS_URL)  # warm per-process caches (content types, site) before counting
    one = _claims_list_queries(client)
    for _ in range(9):
        CostOfCareLineFactory(claim=SpecialistClaimFactory())
    ten = _claims_list_queries(client)
    assert ten == one


def test_the_reference_rates_page_costs_the_same_queries_however_many_rates(client, officer):
    client.force_login(officer)
    ReferenceRateFactory()
    client.get(RATES_URL)
    with CaptureQueriesContext(connection) as few:
        client.get(RATES_URL)
    for days in range(1, 10):
        ReferenceRateFactory(effective_from=TODAY - datetime.timedelta(days=100 + days), unit=RateUnit.VISIT)
    with CaptureQueriesContext(connection) as many:
        client.get(RATES_URL)
    assert len(many) == len(few)


# Areas and languages


def test_officer_adds_an_area_and_a_language(client, officer):
    client.force_login(officer)
    response = client.post("/admin/snippets/providers/area/add/", {"kind": "district", "code": "N16",
                                                                    "name": "Stoke Newington"})
    assert response.status_code == 302, response.text[:2000]
    assert Area.objects.get(code="N16").name == "Stoke Newington"
    response = client.post("/admin/snippets/providers/language/add/", {"code": "sq", "name": "Albanian"})
    assert response.status_code == 302, response.text[:2000]
    assert Language.objects.filter(code="sq").exists()
    assert client.get("/admin/snippets/providers/language/").status_code == 200


def test_finance_officers_cannot_edit_areas_or_languages(client, council, make_member):
    client.force_login(make_member(Role.FINANCE_OFFICER, council))
    assert client.get("/admin/snippets/providers/area/add/").status_code in {302, 403}
    client.post("/admin/snippets/providers/language/add/", {"code": "sq", "name": "Albanian"})
    assert not Language.objects.filter(code="sq").exists()
    assert "/admin/snippets/providers/area/" not in client.get("/admin/").text
