import pytest
from wagtail.models import Page

from cms.models import AdviceIndexPage, AdvicePage, HomePage
from providers.constants import ListingStatus
from tests.providers.factories import (
    AccreditationAppliedFactory,
    AccreditationApprovedFactory,
    ServiceListingPublishedFactory,
)

pytestmark = pytest.mark.django_db


def add_advice_page(title="What is a personal budget", slug="personal-budgets"):
    index = AdviceIndexPage.objects.get()
    page = AdvicePage(
        title=title, slug=slug, summary="Money the council sets aside for your care and support.",
        body=[
            {"type": "heading", "value": {"text": "How much you get", "size": "m"}},
            {"type": "paragraph", "value": "<p>The council works out an <b>indicative</b> budget.</p>"},
            {"type": "inset", "value": "Reablement is free of charge."},
            {"type": "warning", "value": "Do not pay a relative who lives with you from a direct payment."},
            {"type": "details", "value": {"summary": "What is a support plan?", "text": "<p>Your plan.</p>"}},
        ],
    )
    index.add_child(instance=page)
    page.save_revision().publish()
    return page


def test_migrations_leave_a_home_page_at_the_site_root_with_an_advice_section(client):
    response = client.get("/")
    assert response.status_code == 200
    assert isinstance(response.context["page"], HomePage)
    assert '<h1 class="govuk-heading-xl">Care and support in your area</h1>' in response.text
    assert client.get("/advice/").status_code == 200
    assert not Page.objects.filter(content_type__model="page", depth=2).exists()


def test_home_page_counts_only_published_services_of_approved_organisations(client):
    approved = AccreditationApprovedFactory().organisation
    pending = AccreditationAppliedFactory().organisation
    ServiceListingPublishedFactory(organisation=approved)
    ServiceListingPublishedFactory(organisation=approved, status=ListingStatus.DRAFT)
    ServiceListingPublishedFactory(organisation=pending)
    counts = client.get("/").context["counts"]
    assert counts == {"providers": 1, "brokers": 0, "services": 1}


def test_home_page_uses_a_constant_number_of_queries(client, django_assert_max_num_queries):
    for _ in range(5):
        ServiceListingPublishedFactory(organisation=AccreditationApprovedFactory().organisation)
    add_advice_page()
    with django_assert_max_num_queries(12):
        client.get("/")
    for n in range(10):
        ServiceListingPublishedFactory(organisation=AccreditationApprovedFactory().organisation)
        add_advice_page(title=f"Advice {n}", slug=f"advice-{n}")
    with django_assert_max_num_queries(12):
        client.get("/")


def test_advice_page_renders_each_block_as_a_govuk_component(client):
    add_advice_page()
    response = client.get("/advice/personal-budgets/")
    assert response.status_code == 200
    html = response.text
    assert '<h2 class="govuk-heading-m">How much you get</h2>' in html
    assert '<div class="govuk-inset-text">Reablement is free of charge.</div>' in html
    assert "govuk-warning-text" in html and "Do not pay a relative" in html
    assert '<span class="govuk-details__summary-text">What is a support plan?</span>' in html
    assert 'aria-label="Breadcrumb"' in html
    index = client.get("/advice/")
    assert "What is a personal budget" in index.text


def test_unknown_page_is_a_govuk_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.text
