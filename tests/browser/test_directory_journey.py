"""A person finds, filters and compares services in the public directory, in Chromium, with axe
checking every page (WCAG 2.2 AA) and a screenshot of each kept in test-results/."""

import re

import pytest

from marketplace.constants import ClientGroup
from providers.constants import AccreditationStatus, RateUnit
from tests.cms.test_directory import approved, district, language, reference_rate, service
from tests.marketplace.factories import BrokerOrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

URL = "/find-support/"


@pytest.fixture
def directory(monkeypatch):
    """Seven Polish-speaking personal-care services in E8 (three to a page), others that do not
    match, a suspended provider's service and a broker."""
    monkeypatch.setattr("providers.selectors.DIRECTORY_PAGE_SIZE", 3)
    reference_rate(pence=2500)
    e8, n16 = district("E8", "Hackney Central"), district("N16", "Stoke Newington")
    polish, english = language("pl"), language("en")
    for i in range(7):
        service(title=f"Personal care {chr(65 + i)}", description="Personal care at home: washing, dressing, meals.",
                areas=[e8], languages=[polish, english], client_groups=[ClientGroup.OLDER_PERSON],
                rates=[(RateUnit.HOUR, 2300 + 100 * i, 2000 + 50 * i)], capacity=i, specialist=i == 6)
    service(title="Personal care in N16", description="Personal care at home.", areas=[n16], languages=[polish])
    service(title="Day centre", category="day-opportunities", areas=[e8], languages=[polish])
    suspended = approved()
    service(suspended, title="Personal care suspended", description="Personal care.", areas=[e8], languages=[polish])
    suspended.accreditation.status = AccreditationStatus.SUSPENDED
    suspended.accreditation.save()
    broker = approved(BrokerOrganisationFactory(name="Hackney Support Planning", postcode="E8 2AA",
                                                description="We help you plan your support."))
    return {"broker": broker}


def result_titles(page) -> list[str]:
    return page.locator(".app-directory-result h3").all_inner_texts()


def test_a_person_searches_filters_pages_and_compares_services(live_server, page, check_accessible, directory):
    page.goto(live_server.url + "/")
    page.get_by_role("button", name="Find care and support").click()  # the GOV.UK start button
    page.wait_for_url(f"**{URL}")
    assert page.title() == "Find care and support – Mixed Market"
    check_accessible(page, "directory-search")

    # Text and filters, kept in the address so the search can be bookmarked.
    page.get_by_label("Search", exact=True).fill("personal care")
    page.get_by_label("Postcode or area").fill("e8 4ab")
    page.get_by_label("Language").select_option(label="Polish")
    page.get_by_label("Who it is for").select_option(label="Older person")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_load_state()
    assert "postcode=e8+4ab" in page.url and "language=pl" in page.url
    assert page.title() == "Search results – Find care and support – Mixed Market"
    assert page.locator("#result-count").inner_text() == "7 services found"
    assert result_titles(page) == ["Personal care A", "Personal care B", "Personal care C"]
    first = page.locator(".app-directory-result").first
    assert "£23.00 per hour arranged by the council" in first.inner_text()
    assert "Full at the moment" in first.inner_text()
    check_accessible(page, "directory-results")

    # Tick two on page 1, go to page 2: they are still chosen.
    page.get_by_label("Add Personal care A to comparison").check()
    page.get_by_label("Add Personal care C to comparison").check()
    page.get_by_role("button", name="Next page").click()
    page.wait_for_load_state()
    assert result_titles(page) == ["Personal care D", "Personal care E", "Personal care F"]
    assert "You have chosen 2 of up to 4 services." in page.locator("#comparison").inner_text()
    assert page.get_by_label("Language").input_value() == "pl"  # filters kept with the page
    check_accessible(page, "directory-results-page-2")

    # Two more on page 2, back to page 1: all four kept and page 1's boxes still ticked.
    page.get_by_label("Add Personal care D to comparison").check()
    page.get_by_label("Add Personal care F to comparison").check()
    page.get_by_role("button", name="Page 1").click()
    page.wait_for_load_state()
    assert page.get_by_label("Add Personal care A to comparison").is_checked()
    assert page.get_by_label("Add Personal care C to comparison").is_checked()
    assert not page.get_by_label("Add Personal care B to comparison").is_checked()
    assert "You have chosen 4 of up to 4 services." in page.locator("#comparison").inner_text()

    # A fifth is refused, and the first four are kept.
    page.get_by_label("Add Personal care B to comparison").check()
    page.get_by_role("button", name="Update comparison").click()
    page.wait_for_load_state()
    banner = page.locator(".govuk-notification-banner")
    assert "You can compare up to 4 services at a time" in banner.inner_text()
    assert not page.get_by_label("Add Personal care B to comparison").is_checked()
    assert "You have chosen 4 of up to 4 services." in page.locator("#comparison").inner_text()
    check_accessible(page, "directory-results-fifth-refused")

    # Compare them side by side.
    page.get_by_role("button", name="Compare selected").click()
    page.wait_for_url(f"**{URL}compare/**")
    assert page.title() == "Compare services – Find care and support – Mixed Market"
    headers = page.locator("table thead th").all_inner_texts()[1:]
    assert headers == ["Personal care A", "Personal care C", "Personal care D", "Personal care F"]
    table = page.locator("table").inner_text()
    assert "Above usual cost" in table and "Specialist" in table and "Polish" in table
    check_accessible(page, "directory-compare")

    page.get_by_role("link", name="Remove Personal care C from comparison").click()
    page.wait_for_load_state()
    assert page.locator("table thead th").all_inner_texts()[1:] == ["Personal care A", "Personal care D",
                                                                    "Personal care F"]

    # Back to the results, with the search and the choice intact.
    page.get_by_role("link", name="Back to search results").click()
    page.wait_for_load_state()
    assert page.get_by_label("Search", exact=True).input_value() == "personal care"
    assert "You have chosen 3 of up to 4 services." in page.locator("#comparison").inner_text()

    # A service page, then its provider's page.
    page.get_by_role("link", name="Personal care B", exact=True).click()
    page.wait_for_url(f"**{URL}services/**")
    assert page.locator("h1").inner_text() == "Personal care B"
    assert "Approved until" in page.locator("main").inner_text()
    check_accessible(page, "directory-service")
    page.locator("main").get_by_role("link", name=re.compile(r"Provider \d+ Ltd")).first.click()
    page.wait_for_url(f"**{URL}organisations/**")
    assert "Personal care B" in page.locator("main").inner_text()
    check_accessible(page, "directory-organisation")


def test_a_person_finds_someone_to_help_them_plan_and_sees_errors_clearly(live_server, page, check_accessible,
                                                                         directory):
    page.goto(live_server.url + URL)
    page.get_by_role("link", name="People who can help you plan").click()
    page.wait_for_url(f"**{URL}brokers/")
    assert page.title() == "People who can help you plan – Find care and support – Mixed Market"
    page.get_by_label("Postcode or area").fill("E8")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    assert "Hackney Support Planning" in page.locator("main").inner_text()
    check_accessible(page, "directory-brokers")
    page.get_by_role("link", name="Hackney Support Planning").click()
    page.wait_for_url(f"**{URL}organisations/**")
    assert "help people plan their support" in page.locator("main").inner_text()
    check_accessible(page, "directory-broker")

    # Bad input: an error summary that links to each field, inline errors, and no results.
    page.goto(live_server.url + URL)
    page.get_by_label("From (optional)").fill("30")
    page.get_by_label("To (optional)").fill("20")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_load_state()
    assert page.title().startswith("Error: ")
    summary = page.locator(".govuk-error-summary")
    assert "Maximum price must be the same as or more than the minimum price" in summary.inner_text()
    assert page.locator(".app-directory-result").count() == 0
    check_accessible(page, "directory-search-errors")

    page.get_by_label("To (optional)").fill("")
    page.get_by_label("Postcode or area").fill("nowhere")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_load_state()
    summary.get_by_role("link", name=re.compile("Enter a real postcode")).click()
    assert page.evaluate("document.activeElement.id") == "id_postcode"
    assert "Enter a real postcode" in page.locator("#id_postcode_error").inner_text()


def test_the_comparison_survives_paging_with_javascript_switched_off(live_server, browser, directory):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(live_server.url + URL + "?q=personal+care&postcode=E8")
        page.get_by_label("Add Personal care B to comparison").check()
        page.get_by_role("button", name="Next page").click()
        page.wait_for_load_state()
        page.get_by_label("Add Personal care E to comparison").check()
        page.get_by_role("button", name="Compare selected").click()
        page.wait_for_load_state()
        assert page.locator("table thead th").all_inner_texts()[1:] == ["Personal care B", "Personal care E"]
    finally:
        context.close()
