"""How the OpenAPI schema describes the services search.

``ListingFilter`` is shared with the public search page, so some of its filters are typed for a
form (prices in pounds as a person types them, a language picked by code) and drf-spectacular
cannot guess their types. The services list describes those parameters itself
(``providers.api.views.SEARCH_PARAMETERS``); this extension leaves them to it and describes the
rest from the filter set as usual.
"""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.contrib.django_filters import DjangoFilterExtension


class ListingSearchBackend(DjangoFilterBackend):
    """Filters exactly as ``DjangoFilterBackend`` does; a class of its own so the schema extension
    below applies to the services search only."""


class ListingSearchFilterExtension(DjangoFilterExtension):
    target_class = "providers.api.schema.ListingSearchBackend"
    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        described_by_view = getattr(auto_schema.view, "search_parameter_names", ())
        if field_name in described_by_view:
            return []
        return super().resolve_filter_field(auto_schema, model, filterset_class, field_name, filter_field)
