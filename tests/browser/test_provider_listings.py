import re

import pytest
from django.utils import timezone

from marketplace.constants import Role
from providers.constants import ListingStatus, SpecialistClaimStatus
from providers.models import ServiceListing
from tests.marketplace.factories import PASSWORD, ProviderOrganisationFactory
from tests.providers.factories import AreaFactory, WardFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_provider_lists_a_service_prices_it_publishes_it_and_claims_specialist_costs(
        live_server, page, check_accessible, make_member):
    organisation = ProviderOrganisationFactory(name="Acorn Homecare Ltd")
    staff = make_member(Role.PROVIDER_STAFF, organisation, username="sam")
    AreaFactory(code="E8", name="Hackney Central")
    WardFactory(name="Dalston", code="E05009367")

    page.goto(live_server.url + "/portal/")
    page.get_by_label("Username").fill(staff.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**/portal/{organisation.pk}/")
    page.get_by_role("link", name="Your services").click()
    page.wait_for_url(f"**/portal/{organisation.pk}/services/")
    assert page.locator("h1").inner_text() == "Your services"
    check_accessible(page, "portal-services-empty")

    # Create a listing: first with a mistake, then properly.
    page.get_by_role("button", name="Add a service").click()
    page.wait_for_url("**/services/new/")
    check_accessible(page, "portal-service-new")
    page.get_by_role("button", name="Save as a draft").click()
    page.wait_for_load_state()
    assert page.title().startswith("Error: ")
    summary = page.locator(".govuk-error-summary")
    assert summary.get_by_role("link", name="Enter the name of the service").is_visible()
    check_accessible(page, "portal-service-new-errors")

    page.get_by_label("Category").select_option(label="Homecare")
    page.get_by_label("Name of the service").fill("Dementia home support")
    page.get_by_label("Description").fill("Visits at home from staff trained in dementia care.")
    page.get_by_label("In the person's home").check()
    page.get_by_label("Older person").check()
    page.get_by_label("E8 (Hackney Central)").check()
    page.get_by_label("Dalston ward").check()
    page.get_by_label("Polish").check()
    page.get_by_label("Specialisms").fill("Dementia\nParkinson's")
    page.get_by_label("hours a week").check()
    page.get_by_label("Capacity available now").fill("30")
    page.get_by_role("button", name="Save as a draft").click()
    page.wait_for_url(re.compile(r".*/services/\d+/$"))
    listing = ServiceListing.objects.get()
    assert page.locator("h1").inner_text() == "Dementia home support"
    assert page.locator("#listing-status").inner_text() == "Draft"
    check_accessible(page, "portal-service-draft")

    # Add a rate: a bad amount first.
    rate_form = page.locator("#add-rate")
    rate_form.get_by_label("Charged").select_option(label="per hour")
    rate_form.get_by_label("Contract rate, in pounds").fill("abc")
    rate_form.get_by_label("Direct payment rate, in pounds").fill("21.00")
    today = timezone.localdate()
    rate_form.get_by_label("Day").fill(str(today.day))
    rate_form.get_by_label("Month").fill(str(today.month))
    rate_form.get_by_label("Year").fill(str(today.year))
    rate_form.get_by_role("button", name="Add the rate").click()
    page.wait_for_load_state()
    assert page.title().startswith("Error: ")
    assert page.locator(".govuk-error-summary").get_by_role(
        "link", name="Enter the contract rate in pounds and pence, like 18.50").is_visible()
    check_accessible(page, "portal-service-rate-error")
    page.locator("#add-rate").get_by_label("Contract rate, in pounds").fill("24.50")
    page.locator("#add-rate").get_by_role("button", name="Add the rate").click()
    page.wait_for_url(f"**/services/{listing.pk}/")
    assert page.locator(".govuk-notification-banner--success").is_visible()
    assert page.locator("#rate-history").get_by_text("£24.50").is_visible()
    assert page.locator("#rate-history").get_by_text("Current").is_visible()

    # Publish.
    page.get_by_role("button", name="Publish the service").click()
    page.wait_for_url(f"**/services/{listing.pk}/")
    assert page.locator("#listing-status").inner_text() == "Published"
    assert page.get_by_role("button", name="Pause the service").is_visible()
    check_accessible(page, "portal-service-published")
    listing.refresh_from_db()
    assert listing.status == ListingStatus.PUBLISHED

    # Specialist claim with a cost-of-care breakdown.
    page.get_by_role("link", name="Make a specialist claim").click()
    page.wait_for_url("**/specialist-claim/")
    check_accessible(page, "portal-specialist-claim-form")
    page.get_by_label("Why is this service specialist?").fill(
        "Every visit needs a worker trained in dementia care and positive behaviour support.")
    page.get_by_label("£24.50 per hour").check()
    line1 = page.locator("#line-1")
    line1.get_by_label("Cost").select_option(label="Staff time")
    line1.get_by_label("Description or grade").fill("Senior support worker")
    line1.get_by_label("Hours per unit").fill("1")
    line1.get_by_label("Hourly pay, in pounds").fill("15.50")
    line2 = page.locator("#line-2")
    line2.get_by_label("Cost").select_option(label="Training")
    line2.get_by_label("Description or grade").fill("Dementia training")
    line2.get_by_label("Amount per unit, in pounds").fill("1.25")
    page.get_by_role("button", name="Send the claim").click()
    page.wait_for_url(f"**/services/{listing.pk}/")
    totals = page.locator("#claim-totals")
    assert totals.get_by_text("£16.75").is_visible()
    assert totals.get_by_text("The rate is £7.75 above the cost of care").is_visible()
    assert page.locator("#specialist-claim").get_by_text("Waiting for a decision").is_visible()
    check_accessible(page, "portal-specialist-claim-submitted")
    assert listing.specialist_claims.get().status == SpecialistClaimStatus.SUBMITTED

    page.goto(live_server.url + f"/portal/{organisation.pk}/services/")
    row = page.locator(f"#listing-{listing.pk}")
    assert row.get_by_text("Published").is_visible()
    assert row.get_by_text("£24.50 per hour").is_visible()
    check_accessible(page, "portal-services-list")
