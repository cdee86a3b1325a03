from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from cms.blocks import AdviceStreamBlock
from providers import selectors as provider_selectors


class HomePage(Page):
    """The public front door: what the service is, with the directory's headline numbers."""

    intro = models.TextField(help_text="One or two sentences under the main heading.")
    body = StreamField(AdviceStreamBlock(), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]
    subpage_types = ["cms.AdviceIndexPage"]
    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["counts"] = provider_selectors.directory_counts()
        context["categories"] = provider_selectors.category_summary()
        context["advice_pages"] = AdvicePage.objects.live().public().order_by("title")[:6]
        return context


class AdviceIndexPage(Page):
    """The "Information and advice" section: lists its advice pages."""

    intro = models.TextField(blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    subpage_types = ["cms.AdvicePage"]
    parent_page_types = ["cms.HomePage"]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["advice_pages"] = AdvicePage.objects.child_of(self).live().public().order_by("title")
        return context


class AdvicePage(Page):
    """One piece of information and advice ("What is a personal budget", "Choosing a provider"…)."""

    summary = models.TextField(help_text="Shown in lists and search results; one or two sentences.")
    body = StreamField(AdviceStreamBlock())

    content_panels = Page.content_panels + [FieldPanel("summary"), FieldPanel("body")]
    search_fields = Page.search_fields + [index.SearchField("summary"), index.SearchField("body")]
    subpage_types: list[str] = []
    parent_page_types = ["cms.AdviceIndexPage"]
