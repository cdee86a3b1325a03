"""Site search at ``/search/?q=``: every live, public page of the site, found through Wagtail's
search backend (the database backend: PostgreSQL full-text search there, SQLite's FTS5 on the
embedded set-up). Pages are indexed as they are published; ``manage.py update_index`` rebuilds
the index from scratch.

The quality framework page indexes its standards' codes, titles and evidence with the page (see
``cms.models.QualityFrameworkPage``), so a search for a standard leads to the page that explains
it, in the same ranked list as everything else.
"""

import re

from django import forms
from django.core.paginator import Page as PaginatorPage
from django.core.paginator import Paginator
from django.shortcuts import render
from wagtail.models import Page, Site

from providers.search import MAX_QUERY_LENGTH

RESULTS_PER_PAGE = 10
# Only words reach the search backend: quotes, asterisks and brackets mean something to SQLite's
# full-text query language (an unmatched quote is a database error), and nothing to a reader.
_WORD = re.compile(r"\w+")


class SiteSearchForm(forms.Form):
    q = forms.CharField(
        label="Search this site", max_length=MAX_QUERY_LENGTH, required=False,
        error_messages={
            "max_length": f"Search must be {MAX_QUERY_LENGTH} characters or fewer",
            "null_characters_not_allowed": "Search must only include letters, numbers and punctuation",
        })


def search_pages(query: str, *, site: Site | None, number, per_page: int = RESULTS_PER_PAGE) -> PaginatorPage:
    """One page of the live, public pages of ``site`` that match ``query``, best match first, as
    their specific page types (so each result can show its own summary). A page number that is
    not a number shows the first page; one past the end shows the last."""
    words = " ".join(_WORD.findall(query))
    if not words:
        return Paginator([], per_page).get_page(1)
    pages = Page.objects.live().public()
    if site is not None:
        pages = pages.in_site(site)
    # Every word must match (the last may be the start of a word), as people expect of a site
    # search: more words, fewer and closer results.
    results = Paginator(pages.search(words, operator="and"), per_page).get_page(number)
    # One query per page type on this page of results, however many results there are.
    by_id = Page.objects.filter(pk__in=[page.pk for page in results.object_list]).specific().in_bulk()
    results.object_list = [by_id[page.pk] for page in results.object_list if page.pk in by_id]
    return results


def search(request):
    form = SiteSearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    results = None
    if query:
        results = search_pages(query, site=Site.find_for_request(request), number=request.GET.get("page"))
    return render(request, "cms/search.html", {"form": form, "query": query, "results": results})
