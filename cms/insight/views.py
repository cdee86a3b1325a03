"""The dashboards in the council console: one page per section, each figure as a chart (where it
has one), its table and a CSV download, under the same filters. Contract and finance officers
only; anyone else is refused."""

import importlib
from dataclasses import dataclass

from django.http import Http404, HttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from cms.insight.charts import chart_svg
from cms.insight.figures import Figure
from cms.insight.filters import Filters, FiltersForm
from marketplace.console import ConsolePage, OfficerMenuItem, OfficersOnly
from marketplace.csv_export import csv_text


@dataclass(frozen=True)
class Section:
    slug: str
    title: str
    intro: str
    module: str

    @property
    def figures(self):
        return importlib.import_module(f"cms.insight.{self.module}").FIGURES

    def figure(self, slug: str):
        """The function working out the figure called ``slug`` in this section (None if none is)."""
        for function in self.figures:
            if figure_slug(function) == slug:
                return function
        return None


SECTIONS = (
    Section("self-directed-support", "Self-directed support",
            "How many of the people the council supports direct their own support with a personal budget, "
            "counted the ways the council reports it, against the council's target.", "sds"),
    Section("money", "Money",
            "How budgets are taken, what is spent against them, what providers hold in Individual Service Funds, "
            "what has been paid, and what negotiation has saved.", "spending"),
    Section("work", "Work waiting",
            "Plans waiting for sign-off, accreditations and evidence about to expire, and direct-payment reviews "
            "that are overdue.", "workload"),
    Section("market", "Market coverage",
            "The services approved providers offer by type of support and area, their capacity, and where there "
            "are gaps.", "coverage"),
)
BY_SLUG = {section.slug: section for section in SECTIONS}


def figure_slug(function) -> str:
    return function.__name__.replace("_", "-")


class DashboardView(OfficersOnly, ConsolePage, TemplateView):
    template_name = "cms/insight/section.html"
    header_icon = "table"

    def dispatch(self, request, *args, section: str = SECTIONS[0].slug, **kwargs):
        self.section = BY_SLUG.get(section)
        if self.section is None:
            raise Http404("No such dashboard")
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return f"Dashboards: {self.section.title}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = FiltersForm(self.request.GET or None, today=timezone.localdate())
        filters = form.filters()
        figures = []
        for function in self.section.figures:
            figure: Figure = function(filters)
            figures.append({"figure": figure, "chart": chart_svg(figure), "rows": figure.formatted_rows(),
                            "csv": f"{reverse('insight_csv', args=[self.section.slug, figure_slug(function)])}"
                                   f"?{filters.query()}"})
        context.update(section=self.section, sections=SECTIONS, form=form, filters=filters, figures=figures)
        return context


class FigureCsvView(OfficersOnly, View):
    """One figure's table as a CSV file, under the filters of the page it was linked from."""

    def get(self, request, section: str, figure: str):
        found = BY_SLUG.get(section)
        function = found.figure(figure) if found else None
        if function is None:
            raise Http404("No such figure")
        filters: Filters = FiltersForm(request.GET or None, today=timezone.localdate()).filters()
        result = function(filters)
        response = HttpResponse(csv_text(result.csv_rows()), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (f'attachment; filename="{result.slug}-{filters.start:%Y-%m}-to-'
                                           f'{filters.end:%Y-%m}.csv"')
        return response


urlpatterns = [
    path("insight/", DashboardView.as_view(), name="insight"),
    path("insight/<slug:section>/", DashboardView.as_view(), name="insight_section"),
    path("insight/<slug:section>/<slug:figure>.csv", FigureCsvView.as_view(), name="insight_csv"),
]


def menu_item():
    return OfficerMenuItem("Dashboards", reverse("insight"), icon_name="table", order=190)
