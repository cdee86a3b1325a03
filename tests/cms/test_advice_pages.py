import pytest
from wagtail.models import Page, PageViewRestriction

from cms import demo_data
from cms.models import AdviceIndexPage, AdvicePage, HomePage, QualityFrameworkPage
from providers.constants import StandardScope
from providers.models import QualityStandard
from tests.cms.test_pages import add_advice_page

pytestmark = pytest.mark.django_db


def add_quality_page(parent=None, **fields):
    parent = parent or AdviceIndexPage.objects.get()
    fields = {"intro": "The standards every approved organisation meets.", **fields}
    page = QualityFrameworkPage(title="The quality framework", slug="quality-framework", **fields)
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def add_standard(code, title, **fields):
    fields = {"evidence_required": "Your policy.", "applies_to": StandardScope.BOTH, **fields}
    return QualityStandard.objects.create(code=code, title=title, **fields)


def test_advice_page_shows_breadcrumbs_last_updated_and_related_pages(client):
    page = add_advice_page()
    add_advice_page(title="Ways to take your budget", slug="ways")
    add_quality_page()
    draft = AdvicePage(title="Draft guide", slug="draft", summary="Not ready.", body=[], live=False)
    AdviceIndexPage.objects.get().add_child(instance=draft)

    html = client.get("/advice/personal-budgets/").text

    assert '<a class="govuk-breadcrumbs__link" href="/">Home</a>' in html
    assert '<a class="govuk-breadcrumbs__link" href="/advice/">Information and advice</a>' in html
    page.refresh_from_db()
    assert f"Last updated <time datetime=\"{page.last_published_at:%Y-%m-%d}\">" in html
    related = html[html.index("Related content"):]
    assert '<a class="govuk-link" href="/advice/ways/">Ways to take your budget</a>' in related
    assert '<a class="govuk-link" href="/advice/quality-framework/">The quality framework</a>' in related
    assert "What is a personal budget</a>" not in related  # not a link to itself
    assert "Draft guide" not in html


def test_advice_index_lists_live_public_guides_with_their_summaries(client):
    add_advice_page()
    add_quality_page()
    private = add_advice_page(title="Staff only", slug="staff-only")
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.PASSWORD, password="x")
    draft = AdvicePage(title="Draft guide", slug="draft", summary="Not ready.", body=[], live=False)
    AdviceIndexPage.objects.get().add_child(instance=draft)

    html = client.get("/advice/").text

    assert '<a class="govuk-link" href="/advice/personal-budgets/">What is a personal budget</a>' in html
    assert "Money the council sets aside for your care and support." in html
    assert '<a class="govuk-link" href="/advice/quality-framework/">The quality framework</a>' in html
    assert "The standards every approved organisation meets." in html
    assert "Staff only" not in html and "Draft guide" not in html


def test_steps_contact_and_button_blocks_render_as_govuk_components(client):
    directory = Page.objects.get(slug="find-support")
    index = AdviceIndexPage.objects.get()
    page = AdvicePage(title="Getting support", slug="getting-support", summary="How to start.", body=[
        {"type": "steps", "value": {"heading": "What happens next", "steps": [
            {"title": "Ask for an assessment", "text": "<p>Call the council.</p>"},
            {"title": "Plan your support", "text": "<p>With a broker if you like.</p>"}]}},
        {"type": "contact", "value": {"heading": "Contact the council", "team": "Adult social care",
                                      "telephone": "020 7946 0000", "email": "asc@example.org",
                                      "hours": "Monday to Friday, 9am to 5pm"}},
        {"type": "button", "value": {"text": "Find care and support", "page": directory.pk}},
    ])
    index.add_child(instance=page)
    page.save_revision().publish()

    html = client.get("/advice/getting-support/").text

    assert '<h2 class="govuk-heading-m">What happens next</h2>' in html
    steps = html[html.index('<ol class="govuk-list govuk-list--number app-steps">'):]
    assert steps.index("Ask for an assessment") < steps.index("Plan your support") < steps.index("</ol>")
    assert '<p class="govuk-body">Call the council.</p>' in steps
    assert '<a class="govuk-link" href="tel:02079460000">020 7946 0000</a>' in html
    assert '<a class="govuk-link" href="mailto:asc@example.org">asc@example.org</a>' in html
    assert "Monday to Friday, 9am to 5pm" in html
    assert ('<a href="/find-support/" role="button" draggable="false" class="govuk-button" '
            'data-module="govuk-button">Find care and support</a>') in html


def test_rich_text_is_styled_with_govuk_classes(client):
    directory = Page.objects.get(slug="find-support")
    page = AdvicePage(title="Getting support", slug="getting-support", summary="How to start.", body=[
        {"type": "paragraph", "value": (
            f'<p data-block-key="a1">Use the <a linktype="page" id="{directory.pk}">directory</a>.</p>'
            "<ul><li>one</li></ul><ol><li>first</li></ol>")},
        {"type": "details", "value": {"summary": "More", "text": "<ul><li>hidden item</li></ul>"}},
    ])
    AdviceIndexPage.objects.get().add_child(instance=page)
    page.save_revision().publish()

    html = client.get("/advice/getting-support/").text

    assert ('<p class="govuk-body" data-block-key="a1">Use the <a class="govuk-link" href="/find-support/">'
            "directory</a>.</p>") in html
    assert '<ul class="govuk-list govuk-list--bullet"><li>one</li></ul>' in html
    assert '<ol class="govuk-list govuk-list--number"><li>first</li></ol>' in html
    assert '<ul class="govuk-list govuk-list--bullet"><li>hidden item</li></ul>' in html


def test_a_button_to_an_unpublished_page_is_left_out(client):
    directory = Page.objects.get(slug="find-support")
    page = AdvicePage(title="Getting support", slug="getting-support", summary="How to start.", body=[
        {"type": "button", "value": {"text": "Find care and support", "page": directory.pk}}])
    AdviceIndexPage.objects.get().add_child(instance=page)
    page.save_revision().publish()
    directory.unpublish()

    assert "Find care and support</a>" not in client.get("/advice/getting-support/").text


def test_quality_framework_page_lists_the_active_standards_grouped_by_who_they_apply_to(client):
    # The framework's starting standards come from the providers migrations.
    add_quality_page(body=[{"type": "paragraph", "value": "<p>One framework for everyone.</p>"}])
    QualityStandard.objects.filter(code="QF-05").update(active=False)

    response = client.get("/advice/quality-framework/")

    assert response.status_code == 200
    html = response.text
    assert "One framework for everyone." in html
    both = html.index("Standards for providers and brokers")
    providers = html.index("Standards for providers only")
    brokers = html.index("Standards for brokers only")
    assert both < html.index("QF-02: Safeguarding adults") < providers
    assert providers < html.index("QF-01: Registration with the Care Quality Commission") < brokers
    assert providers < html.index("QF-08: Business continuity") < brokers
    assert brokers < html.index("QF-07: Independent support planning")
    assert "Certificates for public liability (at least £5 million)" in html
    card = html[html.index("QF-08: Business continuity"):]
    card = card[:card.index("</dl>")]
    assert "No, it is recommended" in card and "24 months" in card and "Providers" in card
    card = html[html.index("QF-02: Safeguarding adults"):]
    card = card[:card.index("</dl>")]
    assert "Yes, it must be met before the council approves an organisation" in card and "12 months" in card
    assert "reminds organisations 60, 30 and 7 days before their evidence runs out" in html
    assert "Complaints and feedback" not in html  # retired
    assert '<a class="govuk-breadcrumbs__link" href="/advice/">Information and advice</a>' in html


def test_a_new_standard_appears_on_the_quality_framework_page(client):
    add_quality_page()
    assert "Medication support" not in client.get("/advice/quality-framework/").text

    add_standard("QF-09", "Medication support", evidence_required="Your medication policy.", renewal_months=6,
                 mandatory=False, applies_to=StandardScope.PROVIDERS)

    html = client.get("/advice/quality-framework/").text
    assert "QF-09: Medication support" in html and "Your medication policy." in html and "6 months" in html


def test_quality_framework_page_query_count_does_not_grow_with_standards(client, django_assert_max_num_queries):
    add_quality_page()
    add_advice_page()
    client.get("/advice/quality-framework/")  # warm Wagtail's site cache
    with django_assert_max_num_queries(20) as few:
        client.get("/advice/quality-framework/")
    for number in range(20):
        add_standard(f"QX-{number}", f"Extra standard {number}", applies_to=StandardScope.BROKERS)
        add_advice_page(title=f"Guide {number}", slug=f"guide-{number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get("/advice/quality-framework/").text
    assert "QX-19: Extra standard 19" in html and "Guide 19</a>" in html


def test_advice_pages_query_count_does_not_grow_with_more_guides(client, django_assert_max_num_queries):
    add_advice_page()
    client.get("/advice/personal-budgets/")
    with django_assert_max_num_queries(20) as page_queries:
        client.get("/advice/personal-budgets/")
    with django_assert_max_num_queries(20) as index_queries:
        client.get("/advice/")
    add_quality_page()
    for number in range(15):
        add_advice_page(title=f"Guide {number}", slug=f"guide-{number}")
    with django_assert_max_num_queries(len(page_queries.captured_queries)):
        client.get("/advice/personal-budgets/")
    # The quality framework page adds its own type to the index: one more query, once.
    with django_assert_max_num_queries(len(index_queries.captured_queries) + 1):
        client.get("/advice/")


def test_only_one_quality_framework_page_can_be_created():
    home = HomePage.objects.get()
    index = AdviceIndexPage.objects.get()
    assert QualityFrameworkPage.can_create_at(index) and QualityFrameworkPage.can_create_at(home)
    add_quality_page()
    assert not QualityFrameworkPage.can_create_at(index)
    assert not QualityFrameworkPage.can_create_at(home)


def test_seeding_creates_the_advice_pages_and_quality_framework_once(client):
    created = demo_data._save_advice_pages(progress=False)

    assert created == 4
    index = AdviceIndexPage.objects.get()
    assert sorted(AdvicePage.objects.child_of(index).live().values_list("title", flat=True)) == [
        "Choosing a provider", "Ways to take your budget", "What is a personal budget"]
    assert QualityFrameworkPage.objects.child_of(index).live().get().title == "The quality framework"
    pages = Page.objects.count()

    assert demo_data._save_advice_pages(progress=False) == 0
    assert Page.objects.count() == pages

    budget = client.get("/advice/what-is-a-personal-budget/").text
    assert "Your contribution and the council&#x27;s share" in budget
    assert "the council pays £240 a week" in budget
    assert "How you get a personal budget" in budget and "Contact the council" in budget
    ways = client.get("/advice/ways-to-take-your-budget/").text
    for way in ("Direct payment", "Third-party managed direct payment", "Council-managed budget",
                "Individual Service Fund"):
        assert f'<h2 class="govuk-heading-m">{way}</h2>' in ways
    choosing = client.get("/advice/choosing-a-provider/").text
    assert 'href="/advice/quality-framework/" role="button"' in choosing
    assert 'href="/find-support/" role="button"' in choosing
    quality = client.get("/advice/quality-framework/").text
    assert "How an organisation is approved" in quality and "QF-03: Insurance" in quality
