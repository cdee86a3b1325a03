from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.db import models
from django.db.models.signals import post_delete, post_save
from django.db.models import Case, F, Value, When, Window
from django.db.models.functions import RowNumber
from django.http import Http404, QueryDict
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from cms.blocks import AdviceStreamBlock
from cms.forms import (
    MAX_COMPARE,
    BrokerSearchForm,
    compare_selection,
    present_search_form,
    query_with,
    with_remove_queries,
)
from marketplace.models import Organisation
from providers import selectors as provider_selectors
from providers.constants import REMINDER_DAYS
from providers.models import QualityStandard, ServiceListing


class HomePage(Page):
    """The public front door: what the service is, with the directory's headline numbers."""

    intro = models.TextField(help_text="One or two sentences under the main heading.")
    body = StreamField(AdviceStreamBlock(), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]
    search_fields = Page.search_fields + [index.SearchField("intro"), index.SearchField("body")]
    subpage_types = ["cms.AdviceIndexPage", "cms.DirectoryPage", "cms.QualityFrameworkPage"]
    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    @property
    def summary_text(self) -> str:
        return self.intro

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["counts"] = provider_selectors.directory_counts()
        context["categories"] = provider_selectors.category_summary()
        context["advice_pages"], context["directory"] = _front_page_links()
        return context


def _front_page_links() -> tuple[list[Page], Page | None]:
    """Up to six advice pages by title and the first directory page, live and public, in one query
    (plus Wagtail's one for view restrictions), so the home page's query count does not grow."""
    types = ContentType.objects.get_for_models(AdvicePage, DirectoryPage)
    advice_type, directory_type = types[AdvicePage], types[DirectoryPage]
    pages = (
        Page.objects.live().public().filter(content_type__in=[advice_type, directory_type])
        .annotate(place=Window(RowNumber(), partition_by=F("content_type"),
                               order_by=[F("title").asc(), F("path").asc()]),
                  places=Case(When(content_type=directory_type, then=Value(1)), default=Value(6)))
        .filter(place__lte=F("places")).order_by("title", "path")
    )
    advice, directories = [], []
    for page in pages:
        (directories if page.content_type_id == directory_type.pk else advice).append(page)
    return advice, (directories[0] if directories else None)


class AdviceIndexPage(Page):
    """The "Information and advice" section: lists its advice pages and the quality framework."""

    intro = models.TextField(blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    search_fields = Page.search_fields + [index.SearchField("intro")]
    subpage_types = ["cms.AdvicePage", "cms.DirectoryPage", "cms.QualityFrameworkPage"]
    parent_page_types = ["cms.HomePage"]

    @property
    def summary_text(self) -> str:
        return self.intro

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["advice_pages"] = (
            Page.objects.child_of(self).live().public().type(AdvicePage, QualityFrameworkPage)
            .order_by("title").specific())
        return context


def _related_pages(page: Page):
    """The other live, public guides in the same section, for the "Related content" list."""
    return (Page.objects.sibling_of(page, inclusive=False).live().public()
            .type(AdvicePage, QualityFrameworkPage).order_by("title"))


class AdvicePage(Page):
    """One piece of information and advice ("What is a personal budget", "Choosing a provider"…)."""

    summary = models.TextField(help_text="Shown in lists and search results; one or two sentences.")
    body = StreamField(AdviceStreamBlock())

    content_panels = Page.content_panels + [FieldPanel("summary"), FieldPanel("body")]
    search_fields = Page.search_fields + [index.SearchField("summary"), index.SearchField("body")]
    subpage_types: list[str] = []
    parent_page_types = ["cms.AdviceIndexPage"]

    @property
    def summary_text(self) -> str:
        return self.summary

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["related_pages"] = _related_pages(self)
        return context


class QualityFrameworkPage(Page):
    """The council's shared quality framework for providers and brokers [H VI]. The editor writes
    the introduction and any guidance; the standards themselves are read from the ones contract
    officers keep in the council console, so the page always says what approval really checks.
    """

    intro = models.TextField(help_text="Shown under the main heading, in lists and in search results.")
    body = StreamField(AdviceStreamBlock(), blank=True,
                       help_text="Shown above the list of standards, which comes from the council console.")

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]
    # The standards are indexed with the page so that searching for one ("safeguarding", "QF-03")
    # finds the page that explains it; see reindex_quality_framework for keeping this fresh.
    search_fields = Page.search_fields + [
        index.SearchField("intro"), index.SearchField("body"), index.SearchField("standards_text"),
    ]
    parent_page_types = ["cms.HomePage", "cms.AdviceIndexPage"]
    subpage_types: list[str] = []
    max_count = 1

    @property
    def summary_text(self) -> str:
        return self.intro

    def standards_text(self) -> str:
        # PostgreSQL's parser reads "QF-07" as "qf" and the number "-07", while a search for "QF-07"
        # looks for "qf" and "07"; the code is indexed in both forms so that either backend finds it.
        return "\n".join(
            f"{standard.code} {standard.code.replace('-', ' ')} {standard.title}. {standard.evidence_required}"
            for standard in provider_selectors.active_quality_standards().order_by("code"))

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["standard_groups"] = provider_selectors.quality_standards_by_scope()
        context["reminder_days"] = sorted(REMINDER_DAYS, reverse=True)
        context["related_pages"] = _related_pages(self)
        return context


#: Headings for each group of standards, in the order a reader meets them.
class DirectoryPage(RoutablePageMixin, Page):
    """The public directory: find, filter and compare approved providers' services, and find
    brokers who help people plan. An editor places it in the page tree and writes its intro; the
    routes below show what ``providers`` selectors read (only approved, in-date organisations'
    published services are ever public).

    Routes, under the page's own URL: ``""`` search results, ``services/<reference>/`` a service,
    ``organisations/<slug>/`` a provider or broker, ``compare/`` up to four services side by side,
    ``brokers/`` people who can help you plan. Everything is a GET: searches can be bookmarked and
    the comparison travels in the query string, so it survives paging without JavaScript.
    """

    intro = models.TextField(help_text="One or two sentences under the main heading of the search page.")
    brokers_intro = models.TextField(
        blank=True, help_text="Shown above the search for people who can help you plan (brokers).")

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("brokers_intro")]
    parent_page_types = ["cms.HomePage", "cms.AdviceIndexPage"]
    subpage_types: list[str] = []
    template = "cms/directory/search.html"
    search_fields = Page.search_fields + [index.SearchField("intro"), index.SearchField("brokers_intro")]

    @property
    def summary_text(self) -> str:
        return self.intro

    def _render(self, request, template: str, **context):
        return self.render(request, template=f"cms/directory/{template}", context_overrides={
            "directory_url": self.get_url(request), "max_compare": MAX_COMPARE, **context})

    @path("", name="search")
    def search(self, request):
        filterset = provider_selectors.directory_search(request.GET)
        form = present_search_form(filterset.form)
        results, page_numbers = None, []
        if filterset.valid:
            results = provider_selectors.directory_results_page(filterset.qs, request.GET.get("page"))
            page_numbers = results.paginator.get_elided_page_range(results.number, on_each_side=1, on_ends=1)
        selection, refused = compare_selection(request.GET)
        chosen = provider_selectors.public_listing_titles(selection)
        references = with_remove_queries(request.GET, chosen)
        on_page = {listing.reference for listing in results.object_list} if results is not None else set()
        return self._render(
            request, "search.html", form=form, valid=filterset.valid, results=results,
            page_numbers=page_numbers, ellipsis=Paginator.ELLIPSIS,
            searched=any(request.GET.get(name) for name in form.fields if name != "sort"),
            # "Best match" without search words is by name, so it is the default either way.
            sort=form["sort"].value() or "relevance",
            chosen=chosen, chosen_references=references, refused=refused, dropped=len(selection) - len(chosen),
            hidden_references=[ref for ref in references if ref not in on_page],
            clear_query=query_with(QueryDict(), compare=references))

    @path("services/<slug:reference>/", name="service")
    def service(self, request, reference):
        try:
            listing = provider_selectors.public_listing_detail(reference)
        except ServiceListing.DoesNotExist:
            raise Http404("No such service in the directory") from None
        return self._render(request, "service.html", listing=listing, organisation=listing.organisation)

    @path("organisations/<slug:slug>/", name="organisation")
    def organisation(self, request, slug):
        try:
            organisation = provider_selectors.public_organisation(slug)
        except Organisation.DoesNotExist:
            raise Http404("No such organisation in the directory") from None
        return self._render(request, "organisation.html", organisation=organisation,
                            listings=provider_selectors.organisation_public_listings(organisation))

    @path("compare/", name="compare")
    def compare(self, request):
        selection, refused = compare_selection(request.GET)
        listings = provider_selectors.listings_for_comparison(selection)
        references = with_remove_queries(request.GET, listings)
        return self._render(request, "compare.html", listings=listings, refused=refused,
                            dropped=len(selection) - len(listings),
                            back_query=query_with(request.GET, compare=references))

    @path("brokers/", name="brokers")
    def brokers(self, request):
        form = BrokerSearchForm(request.GET)
        results = None
        if form.is_valid():
            brokers = provider_selectors.public_brokers(text=form.cleaned_data["q"],
                                                        district=form.cleaned_data["postcode"])
            results = provider_selectors.brokers_page(brokers, request.GET.get("page"))
        searched = any(request.GET.get(name) for name in form.fields)
        return self._render(request, "brokers.html", form=form, results=results, searched=searched)


def reindex_quality_framework(sender, **kwargs):
    """Re-index the quality framework page when a standard changes, so that searching for a new or
    renamed standard finds it (and a retired one no longer does). Wagtail keeps pages' own edits in
    the index; standards are edited outside the page, in the council console."""
    for page in QualityFrameworkPage.objects.all():
        index.insert_or_update_object(page)


post_save.connect(reindex_quality_framework, sender=QualityStandard,
                  dispatch_uid="cms.reindex_quality_framework_on_save")
post_delete.connect(reindex_quality_framework, sender=QualityStandard,
                    dispatch_uid="cms.reindex_quality_framework_on_delete")
