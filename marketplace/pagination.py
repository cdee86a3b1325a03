"""Pagination that stays fast on big lists: the count stops at a cap and pages stop there too.

Counting every match and jumping to page 400 (an OFFSET of 8,000) are what make list pages slow
as the directory grows; nobody reads that far. Past the cap a page says "more than 1,000" and
asks the reader to narrow the search.
"""

from functools import cached_property

from django.core.paginator import Paginator
from rest_framework.pagination import PageNumberPagination

MAX_COUNTED = 1000


class CappedPaginator(Paginator):
    """A Django paginator whose ``count`` is at most ``max_counted``; ``count_capped`` says it was cut."""

    max_counted = MAX_COUNTED

    @cached_property
    def count(self) -> int:
        # COUNT(*) over a LIMIT-ed subquery: the database stops after max_counted + 1 rows.
        head = self.object_list[: self.max_counted + 1]
        counted = head.count() if hasattr(head, "query") else len(head)
        self.count_capped = counted > self.max_counted
        return min(counted, self.max_counted)

    @property
    def count_capped(self) -> bool:
        return self.__dict__.get("count_capped", False)

    @count_capped.setter
    def count_capped(self, value: bool) -> None:
        self.__dict__["count_capped"] = value


class CappedPageNumberPagination(PageNumberPagination):
    """API lists: ``?page=`` and ``?page_size=`` (up to 100), counted up to the cap."""

    django_paginator_class = CappedPaginator
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["count_capped"] = self.page.paginator.count_capped
        return response

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["count_capped"] = {
            "type": "boolean", "description": f"True when there are more than {MAX_COUNTED} results; count stops there."}
        return schema
