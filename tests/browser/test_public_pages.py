import pytest

from tests.cms.test_pages import add_advice_page
from tests.providers.factories import AccreditationApprovedFactory, ServiceListingPublishedFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_home_page_is_govuk_styled_and_accessible(live_server, page, check_accessible, settings):
    settings.COUNCIL_NAME = "Test Borough Council"
    ServiceListingPublishedFactory(organisation=AccreditationApprovedFactory().organisation)
    response = page.goto(live_server.url + "/")
    assert response.status == 200
    assert page.locator("h1").inner_text() == "Care and support in your area"
    # The GOV.UK stylesheet really loaded: the heading font and the heading size come from it.
    assert "arial" in page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily").lower()
    assert page.evaluate("getComputedStyle(document.querySelector('h1')).fontSize") in {"32px", "48px"}
    # GOV.UK Frontend's JavaScript ran.
    page.wait_for_function("document.body.classList.contains('govuk-frontend-supported')")
    assert page.locator(".govuk-summary-list__value").first.inner_text() == "1"
    assert page.locator("header").get_by_role("link", name="Test Borough Council").is_visible()
    check_accessible(page, "home")


def test_advice_page_is_accessible_and_its_details_open(live_server, page, check_accessible):
    add_advice_page()
    page.goto(live_server.url + "/advice/")
    check_accessible(page, "advice-index")
    page.get_by_role("link", name="What is a personal budget").click()
    page.wait_for_url("**/advice/personal-budgets/")
    assert page.locator("h1").inner_text() == "What is a personal budget"
    page.get_by_text("What is a support plan?").click()
    assert page.get_by_text("Your plan.").is_visible()
    check_accessible(page, "advice-page")


def test_sign_in_page_shows_errors_in_govuk_style_and_is_accessible(live_server, page, check_accessible):
    page.goto(live_server.url + "/accounts/login/")
    check_accessible(page, "sign-in")
    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password").fill("wrong-password-123")
    page.get_by_role("button", name="Sign in").click()
    assert page.locator(".govuk-error-summary").is_visible()
    assert page.title().startswith("Error: ")
    check_accessible(page, "sign-in-error")


@pytest.mark.parametrize("path, heading", [("/accessibility/", "Accessibility statement"), ("/cookies/", "Cookies")])
def test_footer_pages_are_accessible(live_server, page, check_accessible, path, heading):
    page.goto(live_server.url + "/")
    page.locator("footer").get_by_role("link", name=heading).click()
    page.wait_for_url("**" + path)
    assert page.locator("h1").inner_text() == heading
    check_accessible(page, path.strip("/"))
