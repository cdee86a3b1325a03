"""The provider portal's "Your services" pages: listings, rates, capacity, publishing and specialist claims."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from marketplace.constants import Role
from marketplace.models import AuditEvent
from providers.constants import CostLineKind, ListingStatus, RateUnit, SpecialistClaimStatus
from providers.models import CostOfCareLine, Language, RateCard, ServiceListing, SpecialistClaim
from tests.marketplace.factories import BrokerOrganisationFactory, ProviderOrganisationFactory, UserFactory
from tests.providers.factories import (
    days,
    today,
    AreaFactory,
    CostOfCareLineFactory,
    RateCardFactory,
    ServiceListingDraftFactory,
    ServiceListingPublishedFactory,
    SpecialistClaimFactory,
    WardFactory,
    homecare,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def listing(provider_org):
    return ServiceListingDraftFactory(organisation=provider_org, title="Night support")


def url(name, listing, *extra):
    return reverse(f"providers:{name}", args=[listing.organisation_id, listing.pk, *extra])


def events():
    return AuditEvent.objects.exclude(verb__startswith="membership.").count()


def date_fields(prefix, day):
    return {f"{prefix}_day": str(day.day), f"{prefix}_month": str(day.month), f"{prefix}_year": str(day.year)}


def rate_data(**overrides):
    data = {"rate-unit": RateUnit.HOUR, "rate-contract_rate": "18.50", "rate-direct_payment_rate": "16.00",
            "rate-minimum_quantity": "1"} | date_fields("rate-effective_from", today())
    data.update(overrides)
    return data


def listing_data(**overrides):
    data = {"category": str(homecare().pk), "title": "Home support", "description": "Help at home.",
            "delivery_mode": "at_home", "client_groups": ["older_person"], "specialisms": "Dementia\n\nStroke",
            "capacity_unit": "hours", "capacity_available": "10"}
    data.update(overrides)
    return data


def error_summary(content: str) -> str:
    start = content.index('class="govuk-error-summary"')
    return content[start:content.index("</ul>", start)]


# Who may use the pages ---------------------------------------------------------------------------


def test_organisation_page_links_to_your_services(staff_client, provider_org):
    content = staff_client.get(reverse("providers:organisation", args=[provider_org.pk])).content.decode()
    assert reverse("providers:listings", args=[provider_org.pk]) in content
    assert "Your services" in content


def test_a_broker_sees_no_services_link_and_is_refused_the_pages(client, make_member):
    brokerage = BrokerOrganisationFactory()
    client.force_login(make_member(Role.BROKER, brokerage))
    content = client.get(reverse("providers:organisation", args=[brokerage.pk])).content.decode()
    assert "Your services" not in content
    assert client.get(reverse("providers:listings", args=[brokerage.pk])).status_code == 403
    assert client.post(reverse("providers:listing_create", args=[brokerage.pk]), listing_data()).status_code == 403
    assert not ServiceListing.objects.exists()


def test_a_person_with_no_role_is_refused_and_anonymous_is_sent_to_sign_in(client, listing):
    pages = [reverse("providers:listings", args=[listing.organisation_id]), url("listing", listing)]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 302 and "/accounts/login/" in response.url
    client.force_login(UserFactory())
    for page in pages:
        assert client.get(page).status_code == 403
    assert client.post(url("listing_publish", listing)).status_code == 403
    listing.refresh_from_db()
    assert listing.status == ListingStatus.DRAFT


def test_another_organisations_listing_is_not_found_and_nothing_changes(staff_client):
    rival = ProviderOrganisationFactory(name="Secret Rival Care")
    theirs = ServiceListingPublishedFactory(organisation=rival, title="Rival homecare")
    card = RateCardFactory(listing=theirs)
    claim = SpecialistClaimFactory(listing=theirs, rate_pence=2650)
    before = events()
    for page in [reverse("providers:listings", args=[rival.pk]), reverse("providers:listing_create", args=[rival.pk]),
                 url("listing", theirs), url("listing_edit", theirs), url("specialist_claim_submit", theirs)]:
        response = staff_client.get(page)
        assert response.status_code == 404
        assert "Rival" not in response.content.decode()
    posts = [
        (reverse("providers:listing_create", args=[rival.pk]), listing_data()),
        (url("listing_edit", theirs), listing_data(title="Hijacked")),
        (url("listing_pause", theirs), {}),
        (url("listing_withdraw", theirs), {}),
        (url("rate_card_add", theirs), rate_data()),
        (url("listing_capacity", theirs), {"capacity-capacity_available": "0"}),
        (url("specialist_claim_withdraw", theirs, claim.pk), {"withdraw-reason": "Gone"}),
    ]
    for page, data in posts:
        assert staff_client.post(page, data).status_code == 404
    theirs.refresh_from_db()
    claim.refresh_from_db()
    assert (theirs.title, theirs.status, theirs.capacity_available) == ("Rival homecare", ListingStatus.PUBLISHED, None)
    assert list(RateCard.objects.all()) == [card]
    assert claim.status == SpecialistClaimStatus.SUBMITTED
    assert ServiceListing.objects.count() == 1 and events() == before


def test_a_claim_of_another_listing_is_not_found(staff_client, listing):
    other_claim = SpecialistClaimFactory(listing=ServiceListingPublishedFactory(organisation=listing.organisation))
    response = staff_client.post(url("specialist_claim_withdraw", listing, other_claim.pk), {"withdraw-reason": "x"})
    assert response.status_code == 404
    other_claim.refresh_from_db()
    assert other_claim.status == SpecialistClaimStatus.SUBMITTED


# Your services -----------------------------------------------------------------------------------


def make_listings(organisation, count):
    for n in range(count):
        listing = ServiceListingPublishedFactory(organisation=organisation, capacity_available=n)
        RateCardFactory(listing=listing, effective_from=days(-60), effective_to=days(-30), contract_rate_pence=2500)
        RateCardFactory(listing=listing, effective_from=days(-30))
        RateCardFactory(listing=listing, unit=RateUnit.VISIT, contract_rate_pence=1800, direct_payment_rate_pence=1500)
        CostOfCareLineFactory(claim=SpecialistClaimFactory(listing=listing))


def queries_for(client, page):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(page).status_code == 200
    return len(captured)


def test_the_list_shows_status_current_rates_capacity_and_specialist_state(staff_client, provider_org):
    draft = ServiceListingDraftFactory(organisation=provider_org, title="Day centre")
    make_listings(provider_org, 1)
    ServiceListing.objects.filter(pk=draft.pk).update(is_specialist=True)
    content = staff_client.get(reverse("providers:listings", args=[provider_org.pk])).content.decode()
    assert "Day centre" in content and "Draft" in content and "Published" in content
    assert "£26.50 per hour" in content and "£18.00 per visit" in content
    assert "£25.00" not in content  # an ended rate is not current
    assert "0 hours a week" in content and "Not stated" in content
    assert "Specialist" in content and "Claim waiting for a decision" in content


def test_the_list_takes_the_same_queries_however_many_listings(staff_client, provider_org):
    page = reverse("providers:listings", args=[provider_org.pk])
    make_listings(provider_org, 1)
    few = queries_for(staff_client, page)
    make_listings(provider_org, 6)
    assert queries_for(staff_client, page) == few


def test_the_listing_page_takes_the_same_queries_however_many_rates(staff_client, listing):
    RateCardFactory(listing=listing, effective_from=days(-30))
    listing.areas.add(AreaFactory(), WardFactory())
    listing.languages.add(Language.objects.first())
    claim = SpecialistClaimFactory(listing=listing)
    CostOfCareLineFactory(claim=claim)
    page = url("listing", listing)
    few = queries_for(staff_client, page)
    for n in range(8):
        RateCardFactory(listing=listing, unit=RateUnit.VISIT, effective_from=days(-100 + n))
    for _ in range(6):
        CostOfCareLineFactory(claim=claim)
    listing.languages.add(*Language.objects.all()[:4])
    listing.areas.add(AreaFactory(), AreaFactory(), WardFactory())
    assert queries_for(staff_client, page) == few


# Creating and editing ----------------------------------------------------------------------------


def test_create_form_offers_the_councils_areas_and_languages(staff_client, provider_org):
    AreaFactory(code="E8", name="Hackney Central")
    WardFactory(name="Dalston")
    content = staff_client.get(reverse("providers:listing_create", args=[provider_org.pk])).content.decode()
    assert "E8 (Hackney Central)" in content and "Dalston ward" in content and "Polish" in content
    assert 'type="radio" name="delivery_mode"' in content
    assert 'type="checkbox" name="client_groups"' in content
    assert "style=" not in content


def test_creating_a_listing_saves_a_draft(staff_client, provider_org, staff):
    area = AreaFactory(code="E8")
    polish = Language.objects.get(code="pl")
    response = staff_client.post(reverse("providers:listing_create", args=[provider_org.pk]),
                                 listing_data(areas=[area.pk], languages=[polish.pk]))
    listing = ServiceListing.objects.get()
    assert response.status_code == 302 and response.url == url("listing", listing)
    assert (listing.organisation, listing.status, listing.title) == (provider_org, ListingStatus.DRAFT, "Home support")
    assert listing.specialisms == ["Dementia", "Stroke"] and listing.capacity_available == 10
    assert list(listing.areas.all()) == [area] and list(listing.languages.all()) == [polish]
    assert AuditEvent.objects.for_object(listing).get().actor == staff


def test_creating_with_errors_shows_them_and_saves_nothing(staff_client, provider_org):
    response = staff_client.post(reverse("providers:listing_create", args=[provider_org.pk]),
                                 listing_data(title="", client_groups=[], capacity_available="lots", category=""))
    assert response.status_code == 200
    content = response.content.decode()
    assert "<title>Error: " in content
    summary = error_summary(content)
    for message in ["Enter the name of the service", "Select who the service is for",
                    "Capacity available must be a whole number", "Select a category"]:
        assert message in summary
    assert 'href="#id_client_groups_0"' in summary
    assert 'class="govuk-error-message"' in content
    assert not ServiceListing.objects.exists() and events() == 0


def test_editing_a_listing_changes_it(staff_client, listing):
    listing.client_group_rows.create(client_group="carer")
    form = staff_client.get(url("listing_edit", listing)).content.decode()
    assert 'value="Night support"' in form
    assert re.search(r'value="carer"[^>]*checked', form)
    response = staff_client.post(url("listing_edit", listing), listing_data(title="Waking night support"))
    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.title == "Waking night support"
    assert AuditEvent.objects.for_object(listing).get().before["title"] == "Night support"


def test_a_withdrawn_listing_cannot_be_edited(staff_client, listing):
    ServiceListing.objects.filter(pk=listing.pk).update(status=ListingStatus.WITHDRAWN)
    response = staff_client.post(url("listing_edit", listing), listing_data(title="Back"))
    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.title == "Night support"


# The listing page: rates -------------------------------------------------------------------------


def test_the_rate_history_shows_every_row_and_marks_the_current_one(staff_client, listing):
    old = RateCardFactory(listing=listing, effective_from=days(-90), effective_to=days(-30), contract_rate_pence=2400)
    current = RateCardFactory(listing=listing, effective_from=days(-30), effective_to=days(10))
    future = RateCardFactory(listing=listing, effective_from=days(10), contract_rate_pence=2900)
    content = staff_client.get(url("listing", listing)).content.decode()

    def row(card):
        start = content.index(f'id="rate-{card.pk}"')
        return content[start:content.index("</tr>", start)]

    assert "£24.00" in row(old) and "Ended" in row(old)
    assert "£26.50" in row(current) and "Current" in row(current)
    assert "£29.00" in row(future) and "Starts later" in row(future)


def test_adding_a_rate_in_pounds_and_pence_keeps_the_old_one(staff_client, listing, staff):
    old = RateCardFactory(listing=listing, effective_from=days(-30))
    data = rate_data(**date_fields("rate-effective_from", days(5)))
    response = staff_client.post(url("rate_card_add", listing), data)
    assert response.status_code == 302
    new = RateCard.objects.exclude(pk=old.pk).get()
    assert (new.contract_rate_pence, new.direct_payment_rate_pence, new.minimum_quantity) == (1850, 1600, Decimal("1"))
    old.refresh_from_db()
    assert old.effective_to == days(5)
    content = staff_client.get(url("listing", listing)).content.decode()
    assert "£18.50" in content and "£26.50" in content


@pytest.mark.parametrize(("overrides", "message"), [
    ({"rate-contract_rate": "abc"}, "Enter the contract rate in pounds and pence, like 18.50"),
    ({"rate-contract_rate": "-3"}, "The contract rate must be more than £0"),
    ({"rate-contract_rate": "1.234"}, "Enter the contract rate in pounds and pence, like 18.50"),
    ({"rate-contract_rate": ""}, "Enter the contract rate"),
    ({"rate-direct_payment_rate": "19.00"},
     "The direct payment rate must be the same as or lower than the contract rate"),
    ({"rate-unit": ""}, "Select what the rate is charged per"),
    ({"rate-effective_from_year": "20"}, "Year must include 4 numbers"),
    (date_fields("rate-effective_from", days(-1)), "The date the rate starts must be today or in the future"),
    (date_fields("rate-effective_from", days(-30)), "The date the rate starts must be today or in the future"),
    ({"rate-minimum_quantity": "many"}, "The minimum quantity must be a number, like 1.5"),
])
def test_a_bad_rate_is_a_govuk_error_and_saves_nothing(staff_client, listing, overrides, message):
    old = RateCardFactory(listing=listing, effective_from=days(-30))
    before = events()
    response = staff_client.post(url("rate_card_add", listing), rate_data(**overrides))
    assert response.status_code == 200
    content = response.content.decode()
    assert "<title>Error: " in content and message in error_summary(content)
    assert 'href="#id_rate-' in error_summary(content)
    assert list(RateCard.objects.all()) == [old]
    old.refresh_from_db()
    assert old.effective_to is None and events() == before


def test_a_start_before_the_latest_rate_is_refused_by_the_service(staff_client, listing):
    RateCardFactory(listing=listing, effective_from=days(20))
    data = rate_data(**date_fields("rate-effective_from", days(3)))
    response = staff_client.post(url("rate_card_add", listing), data)
    assert "The date the rate starts must be after" in error_summary(response.content.decode())
    assert RateCard.objects.count() == 1


# Capacity and publishing -------------------------------------------------------------------------


def test_updating_capacity(staff_client, listing):
    response = staff_client.post(url("listing_capacity", listing), {"capacity-capacity_available": "7"})
    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.capacity_available == 7 and listing.capacity_updated_at is not None


@pytest.mark.parametrize("value", ["", "-1", "2.5", "lots"])
def test_bad_capacity_is_an_error_and_changes_nothing(staff_client, listing, value):
    response = staff_client.post(url("listing_capacity", listing), {"capacity-capacity_available": value})
    assert response.status_code == 200
    assert 'href="#id_capacity-capacity_available"' in error_summary(response.content.decode())
    listing.refresh_from_db()
    assert listing.capacity_available is None and events() == 0


def buttons(content):
    return set(re.findall(r'<button type="submit" class="govuk-button[^"]*"[^>]*>([^<]+)</button>', content))


@pytest.mark.parametrize(("status", "offered"), [
    (ListingStatus.DRAFT, {"Publish the service", "Withdraw the service"}),
    (ListingStatus.PUBLISHED, {"Pause the service", "Withdraw the service"}),
    (ListingStatus.PAUSED, {"Publish the service", "Withdraw the service"}),
    (ListingStatus.WITHDRAWN, set()),
])
def test_only_the_allowed_moves_are_offered(staff_client, listing, status, offered):
    ServiceListing.objects.filter(pk=listing.pk).update(status=status)
    actions = {"Publish the service", "Pause the service", "Withdraw the service"}
    assert buttons(staff_client.get(url("listing", listing)).content.decode()) & actions == offered


def test_publishing_without_a_rate_or_area_says_what_is_missing(staff_client, listing):
    page = staff_client.get(url("listing", listing)).content.decode()
    assert "Add a rate that applies from today or earlier" in page
    response = staff_client.post(url("listing_publish", listing))
    assert response.status_code == 200
    summary = error_summary(response.content.decode())
    assert "Add a rate that applies from today or earlier" in summary
    assert "Choose at least one area the service covers" in summary
    listing.refresh_from_db()
    assert listing.status == ListingStatus.DRAFT and events() == 0


def test_publish_pause_and_withdraw_and_a_repeat_is_harmless(staff_client, listing):
    RateCardFactory(listing=listing)
    listing.areas.add(AreaFactory())
    for action, status in [("publish", ListingStatus.PUBLISHED), ("pause", ListingStatus.PAUSED),
                           ("publish", ListingStatus.PUBLISHED), ("withdraw", ListingStatus.WITHDRAWN)]:
        for _ in range(2):
            response = staff_client.post(url(f"listing_{action}", listing))
            assert response.status_code == 302
        listing.refresh_from_db()
        assert listing.status == status
    assert AuditEvent.objects.for_object(listing).filter(verb__startswith="servicelisting.").count() == 4


def test_a_forbidden_move_is_explained_and_changes_nothing(staff_client, listing):
    response = staff_client.post(url("listing_pause", listing), follow=True)
    assert "This service is draft, so it cannot be paused" in response.content.decode()
    listing.refresh_from_db()
    assert listing.status == ListingStatus.DRAFT and events() == 0


def test_status_changes_need_post(staff_client, listing):
    assert staff_client.get(url("listing_publish", listing)).status_code == 405


# Specialist claims -------------------------------------------------------------------------------


def claim_data(rows=(), **overrides):
    data = {"justification": "Two trained staff for every visit.", "unit": "hour",
            "lines-TOTAL_FORMS": "6", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "30"}
    for index, row in enumerate(rows):
        data |= {f"lines-{index}-{key}": value for key, value in row.items()}
    data.update(overrides)
    return data


STAFF_ROW = {"kind": "staff", "description": "Senior support worker", "hours": "1.5", "hourly_pay": "15.33"}
ON_COSTS_ROW = {"kind": "on_costs", "description": "NI and pension", "amount": "4.20"}


def test_the_claim_form_has_six_rows_and_offers_the_current_rates(staff_client, listing):
    RateCardFactory(listing=listing, contract_rate_pence=3200, direct_payment_rate_pence=2900)
    content = staff_client.get(url("specialist_claim_submit", listing)).content.decode()
    for index in range(6):
        for field in ("kind", "description", "hours", "hourly_pay", "amount"):
            assert f'name="lines-{index}-{field}"' in content
    assert "£32.00 per hour" in content
    assert "style=" not in content


def test_the_claim_form_asks_for_a_rate_first(staff_client, listing):
    content = staff_client.get(url("specialist_claim_submit", listing)).content.decode()
    assert 'id="no-current-rate"' in content and "lines-0-kind" not in content


def test_submitting_a_claim_shows_lines_total_rate_and_difference(staff_client, listing, staff):
    RateCardFactory(listing=listing, contract_rate_pence=3200, direct_payment_rate_pence=2900)
    # Rows 2 and 4 are left empty, row 5 is filled in after a gap.
    response = staff_client.post(url("specialist_claim_submit", listing),
                                 claim_data([STAFF_ROW, {}, ON_COSTS_ROW, {},
                                             {"kind": "training", "description": "PBS", "amount": "1.50"}]))
    assert response.status_code == 302
    claim = SpecialistClaim.objects.get()
    assert (claim.rate_pence, claim.submitted_by, claim.total_pence()) == (3200, staff, 2300 + 420 + 150)
    assert [line.kind for line in claim.cost_lines.all()] == [CostLineKind.STAFF, "on_costs", "training"]
    content = staff_client.get(url("listing", listing)).content.decode()
    totals = content[content.index('id="claim-totals"'):]
    assert "£28.70" in totals and "£32.00" in totals and "The rate is £3.30 above the cost of care" in totals
    assert "Senior support worker" in content and "£23.00" in content and "Waiting for a decision" in content
    assert "Withdraw the claim" in content
    assert "Make a specialist claim" not in content


@pytest.mark.parametrize(("rows", "overrides", "message"), [
    ([STAFF_ROW], {"justification": ""}, "Enter why this service is specialist"),
    ([{**STAFF_ROW, "hours": ""}], {}, "Line 1: Enter the hours of staff time per unit"),
    ([{**STAFF_ROW, "hourly_pay": "abc"}], {}, "Line 1: Enter the hourly pay in pounds and pence, like 18.50"),
    ([STAFF_ROW, {"kind": "", "description": "Van", "amount": "3"}], {}, "Line 2: Select what the cost is for"),
    ([STAFF_ROW, {"kind": "travel", "description": "Van", "amount": "-3"}], {},
     "Line 2: The amount must be £0 or more"),
    ([ON_COSTS_ROW], {}, "Add at least one line for staff time"),
    ([], {}, "Add at least one line for staff time"),
    ([STAFF_ROW], {"unit": "visit"}, "Select the rate the breakdown is for"),
])
def test_a_bad_claim_is_a_govuk_error_and_saves_nothing(staff_client, listing, rows, overrides, message):
    RateCardFactory(listing=listing)
    response = staff_client.post(url("specialist_claim_submit", listing), claim_data(rows, **overrides))
    assert response.status_code == 200
    content = response.content.decode()
    assert "<title>Error: " in content and message in error_summary(content)
    assert not SpecialistClaim.objects.exists() and not CostOfCareLine.objects.exists() and events() == 0


def test_a_second_claim_while_one_is_open_changes_nothing(staff_client, listing):
    RateCardFactory(listing=listing)
    staff_client.post(url("specialist_claim_submit", listing), claim_data([STAFF_ROW]))
    response = staff_client.post(url("specialist_claim_submit", listing), claim_data([STAFF_ROW]), follow=True)
    assert "already has a specialist claim" in response.content.decode()
    assert SpecialistClaim.objects.count() == 1


def test_a_decided_claim_shows_the_decision_and_reason(staff_client, listing, council, make_member):
    claim = SpecialistClaimFactory(listing=listing, status=SpecialistClaimStatus.REJECTED, decided_at=timezone.now(),
                                   decided_by=make_member(Role.CONTRACT_OFFICER, council),
                                   decision_reason="The breakdown matches our usual homecare costs.")
    CostOfCareLineFactory(claim=claim)
    content = staff_client.get(url("listing", listing)).content.decode()
    decision = content[content.index('id="claim-decision"'):]
    assert "Rejected" in decision and "The breakdown matches our usual homecare costs." in decision
    assert "Withdraw the claim" not in content
    assert "Make a specialist claim" in content


def test_withdrawing_an_accepted_claim(staff_client, listing):
    claim = SpecialistClaimFactory(listing=listing, status=SpecialistClaimStatus.ACCEPTED, decided_at=timezone.now())
    ServiceListing.objects.filter(pk=listing.pk).update(is_specialist=True)
    page = url("specialist_claim_withdraw", listing, claim.pk)
    response = staff_client.post(page, {"withdraw-reason": ""})
    assert response.status_code == 200
    assert "Enter why you are withdrawing the claim" in error_summary(response.content.decode())
    claim.refresh_from_db()
    assert claim.status == SpecialistClaimStatus.ACCEPTED
    for _ in range(2):
        assert staff_client.post(page, {"withdraw-reason": "We changed the service"}).status_code == 302
    claim.refresh_from_db()
    listing.refresh_from_db()
    assert claim.status == SpecialistClaimStatus.WITHDRAWN and not listing.is_specialist
    assert AuditEvent.objects.filter(verb="specialistclaim.withdrawn").count() == 1


def test_prices_above_the_councils_usual_cost_are_marked_in_the_portal(staff_client, listing, provider_org):
    from tests.providers.factories import ReferenceRateFactory

    ReferenceRateFactory(category=listing.category, unit=RateUnit.HOUR, rate_pence=2600)
    RateCardFactory(listing=listing, unit=RateUnit.HOUR, contract_rate_pence=2750, direct_payment_rate_pence=2400,
                    effective_from=days(-5))

    detail = staff_client.get(url("listing", listing)).content.decode()
    assert "usual cost for homecare per hour is £26.00" in detail
    assert detail.count("Above usual cost") == 2  # the contract rate, once in the text and once as a tag
    assert "£24.00" in detail

    listed = staff_client.get(reverse("providers:listings", args=[provider_org.pk])).content.decode()
    assert listed.count("Above usual cost") == 1  # the contract rate only; £24.00 is below £26.00
