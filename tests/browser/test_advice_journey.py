"""A reader finds their way through information and advice, the quality framework and site search."""

import pytest

from cms import demo_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_reader_browses_advice_the_quality_framework_and_searches(live_server, page, check_accessible):
    demo_data._save_advice_pages(progress=False)

    page.goto(live_server.url + "/advice/")
    assert page.locator("h1").inner_text() == "Information and advice"
    check_accessible(page, "advice-journey-index")

    page.get_by_role("link", name="Choosing a provider").click()
    page.wait_for_url("**/advice/choosing-a-provider/")
    assert page.locator("h1").inner_text() == "Choosing a provider"
    breadcrumbs = page.get_by_role("navigation", name="Breadcrumb")
    assert breadcrumbs.get_by_role("link", name="Information and advice").is_visible()
    assert page.get_by_text("Last updated").is_visible()
    related = page.get_by_role("navigation", name="Related content")
    assert related.get_by_role("link", name="Ways to take your budget").is_visible()
    page.get_by_text("Questions to ask a provider").click()
    assert page.get_by_text("Will I see the same staff each time?").is_visible()
    check_accessible(page, "advice-journey-page")

    page.get_by_role("button", name="Read the quality framework").click()
    page.wait_for_url("**/advice/quality-framework/")
    assert page.locator("h1").inner_text() == "The quality framework"
    assert page.get_by_role("heading", name="QF-02: Safeguarding adults").is_visible()
    assert page.get_by_role("heading", name="Standards for brokers only").is_visible()
    check_accessible(page, "advice-journey-quality-framework")

    page.goto(live_server.url + "/search/")
    check_accessible(page, "advice-journey-search-empty")
    page.get_by_label("Search this site").fill("prepaid card")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/search/?q=prepaid+card")
    assert page.get_by_role("status").inner_text() == "1 result for “prepaid card”"
    check_accessible(page, "advice-journey-search-results")
    page.get_by_role("link", name="Ways to take your budget").click()
    page.wait_for_url("**/advice/ways-to-take-your-budget/")
    assert page.get_by_role("heading", name="Individual Service Fund").is_visible()

    page.goto(live_server.url + "/search/?q=" + "x" * 201)
    assert page.title().startswith("Error: ")
    assert page.locator(".govuk-error-summary").is_visible()
    check_accessible(page, "advice-journey-search-error")
