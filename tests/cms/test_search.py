import pytest
from wagtail.models import PageViewRestriction

from cms import demo_data
from cms.models import AdviceIndexPage, AdvicePage
from cms.search import RESULTS_PER_PAGE
from providers.constants import StandardScope
from providers.models import QualityStandard
from providers.search import MAX_QUERY_LENGTH
from tests.cms.test_advice_pages import add_quality_page

pytestmark = pytest.mark.django_db


def add_guide(title, slug, *, summary="A short guide.", text="Plain words.", publish=True):
    page = AdvicePage(title=title, slug=slug, summary=summary,
                      body=[{"type": "paragraph", "value": f"<p>{text}</p>"}])
    AdviceIndexPage.objects.get().add_child(instance=page)
    if publish:
        page.save_revision().publish()
    else:
        page.unpublish()
    return page


def titles(response):
    return [page.title for page in response.context["results"].object_list]


def test_an_empty_search_shows_the_search_box_and_no_results(client):
    for query in ({}, {"q": ""}, {"q": "   "}):
        response = client.get("/search/", query)
        assert response.status_code == 200
        assert response.context["results"] is None
        assert '<label class="govuk-label govuk-label--m" for="id_q">Search this site</label>' in response.text
        assert "results for" not in response.text


def test_search_finds_seeded_advice_by_a_word_in_its_body(client):
    demo_data._save_advice_pages(progress=False)

    response = client.get("/search/", {"q": "prepaid card"})

    assert titles(response) == ["Ways to take your budget"]
    html = response.text
    assert "1 result for “prepaid card”" in html
    assert '<a class="govuk-link" href="/advice/ways-to-take-your-budget/">Ways to take your budget</a>' in html
    assert "You can take your personal budget as a direct payment" in html  # its summary
    assert "testserver/advice/ways-to-take-your-budget/" in html  # its address
    assert "<title>prepaid card – Search – Mixed Market</title>" in html


def test_search_finds_the_quality_framework_page_by_a_standards_name(client):
    add_quality_page()

    assert titles(client.get("/search/", {"q": "safeguarding"})) == ["The quality framework"]
    assert titles(client.get("/search/", {"q": "QF-07"})) == ["The quality framework"]


def test_a_new_or_retired_standard_is_found_or_forgotten_at_once(client):
    add_quality_page()
    assert titles(client.get("/search/", {"q": "medication"})) == []

    standard = QualityStandard.objects.create(code="QF-09", title="Medication support",
                                              evidence_required="Your policy.", applies_to=StandardScope.PROVIDERS)
    assert titles(client.get("/search/", {"q": "medication"})) == ["The quality framework"]

    standard.active = False
    standard.save()
    assert titles(client.get("/search/", {"q": "medication"})) == []


def test_search_does_not_show_drafts_or_private_pages(client):
    add_guide("Public guide", "public", text="Respite breaks for carers.")
    add_guide("Draft guide", "draft", text="Respite breaks, not ready yet.", publish=False)
    private = add_guide("Private guide", "private", text="Respite breaks for staff only.")
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.PASSWORD, password="x")
    withdrawn = add_guide("Withdrawn guide", "withdrawn", text="Respite breaks we no longer offer.")
    withdrawn.unpublish()

    response = client.get("/search/", {"q": "respite"})

    assert titles(response) == ["Public guide"]
    assert "Draft guide" not in response.text and "Private guide" not in response.text


def test_results_are_paginated_and_bad_page_numbers_show_a_real_page(client):
    for number in range(RESULTS_PER_PAGE + 2):
        add_guide(f"Day centre guide {number}", f"guide-{number}", text="Day centres near you.")

    first = client.get("/search/", {"q": "day centres"})
    assert len(titles(first)) == RESULTS_PER_PAGE
    assert "12 results for “day centres”" in first.text
    assert "Page 1 of 2" in first.text and 'href="?q=day+centres&amp;page=2" rel="next"' in first.text

    second = client.get("/search/", {"q": "day centres", "page": "2"})
    assert len(titles(second)) == 2
    assert set(titles(first)).isdisjoint(titles(second))
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text

    for page, shown in (("abc", 1), ("999", 2), ("-1", 2), ("0", 2), ("", 1)):
        response = client.get("/search/", {"q": "day centres", "page": page})
        assert response.status_code == 200
        assert f"Page {shown} of 2" in response.text


@pytest.mark.parametrize("query", ['"', '"unterminated', "*", "(", "budget)", "NOT", "a AND OR", "'; DROP TABLE",
                                   "%", "\\", "🙂", "!!!"])
def test_search_copes_with_any_punctuation(client, query):
    add_guide("Personal budgets", "budgets", text="Your budget.")

    response = client.get("/search/", {"q": query})

    assert response.status_code == 200
    assert response.context["results"] is not None


def test_search_syntax_is_treated_as_plain_words(client):
    add_guide("Personal budgets", "budgets", text="Your budget and your plan.")

    assert titles(client.get("/search/", {"q": '"budget'})) == ["Personal budgets"]
    assert titles(client.get("/search/", {"q": "budget*"})) == ["Personal budgets"]
    assert titles(client.get("/search/", {"q": "!!!"})) == []
    assert "There are no matching pages." in client.get("/search/", {"q": "!!!"}).text


def test_a_search_that_is_too_long_or_has_a_null_character_gets_a_govuk_error(client):
    for query, message in (("x" * (MAX_QUERY_LENGTH + 1), f"Search must be {MAX_QUERY_LENGTH} characters or fewer"),
                           ("budget\x00", "Search must only include letters, numbers and punctuation")):
        response = client.get("/search/", {"q": query})
        assert response.status_code == 200
        html = response.text
        assert "<title>Error: Search – Mixed Market</title>" in html
        assert '<h2 class="govuk-error-summary__title">There is a problem</h2>' in html
        assert f'<a href="#id_q">{message}</a>' in html
        assert 'class="govuk-input govuk-input--error"' in html
        assert response.context["results"] is None


def test_every_word_must_match(client):
    add_guide("Direct payments", "direct", text="Cash paid to you by direct payment.")
    add_guide("Managed budgets", "managed", text="The council arranges your support.")

    assert titles(client.get("/search/", {"q": "direct payment"})) == ["Direct payments"]
    assert titles(client.get("/search/", {"q": "council arranges"})) == ["Managed budgets"]


def test_search_query_count_does_not_grow_with_results(client, django_assert_max_num_queries):
    add_quality_page(intro="Standards for care at home.")
    add_guide("Care at home 0", "care-0", text="Care at home.")
    client.get("/search/", {"q": "care"})
    with django_assert_max_num_queries(15) as few:
        client.get("/search/", {"q": "care"})
    for number in range(1, 25):
        add_guide(f"Care at home {number}", f"care-{number}", text="Care at home.")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/search/", {"q": "care"})
    assert len(titles(response)) == RESULTS_PER_PAGE
