"""The query parameters of the Open Referral endpoints, checked before any query runs.

Names and meanings follow the Open Referral UK openapi.json (``schemas/openapi.json``). A bad value
is answered with 400 and a message naming the parameter; parameters the spec defines that this
directory has no data for (``minimum_age``, ``maximum_age``, ``start_time``, ``end_time``, ``day``,
``proximity``, ``minimal``, ``full``, ``format``) and unknown ones are ignored, as HSDS allows.
"""

from django import forms

from providers.search import MAX_QUERY_LENGTH

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200


class _Form(forms.Form):
    """Blank values count as not given, so ``?page=&search=`` is the same as no parameters."""

    def __init__(self, data=None, **kwargs):
        if data is not None:
            data = {name: data.get(name, "").strip() for name in self.base_fields if data.get(name, "").strip()}
        super().__init__(data, **kwargs)

    @property
    def problems(self) -> dict[str, list[str]]:
        return {name: list(messages) for name, messages in self.errors.items()}


def _uuid_field(name: str) -> forms.UUIDField:
    return forms.UUIDField(required=False, error_messages={
        "invalid": f"{name} must be a UUID, like 3f7b145d-84af-42d7-8fae-eaca714b02b2"})


class PageForm(_Form):
    page = forms.IntegerField(required=False, min_value=1, error_messages={
        "invalid": "page must be a whole number, 1 or more", "min_value": "page must be a whole number, 1 or more"})
    per_page = forms.IntegerField(required=False, min_value=1, max_value=MAX_PER_PAGE, error_messages={
        key: f"per_page must be a whole number from 1 to {MAX_PER_PAGE}" for key in ("invalid", "min_value",
                                                                                    "max_value")})

    def clean_page(self):
        return self.cleaned_data["page"] or 1

    def clean_per_page(self):
        return self.cleaned_data["per_page"] or DEFAULT_PER_PAGE


class ServiceSearchForm(PageForm):
    """``/services`` and ``/service_at_locations``. ``postcode`` and ``modified_after`` are taken on
    both (the UK profile lists ``postcode`` only for ``/service_at_locations``)."""

    search = forms.CharField(required=False, max_length=MAX_QUERY_LENGTH, error_messages={
        "max_length": f"search must be at most {MAX_QUERY_LENGTH} characters"})
    taxonomy_term_id = _uuid_field("taxonomy_term_id")
    taxonomy_id = _uuid_field("taxonomy_id")
    organization_id = _uuid_field("organization_id")
    postcode = forms.CharField(required=False, max_length=10, error_messages={
        "max_length": "postcode must be a postcode, like E8 1AB, or a postcode district, like E8"})
    modified_after = forms.DateTimeField(required=False, error_messages={
        "invalid": "modified_after must be an ISO 8601 date and time, like 2025-05-01T09:30:00Z "
                   "(write a + in a time zone offset as %2B)"})


class TaxonomyTermForm(PageForm):
    """``/taxonomy_terms``: the UK profile names only ``page`` and ``per_page``; the HSDS 3.0 filters
    are taken too. Every term here is top level, so ``top_only`` changes nothing and any
    ``parent_id`` finds none."""

    taxonomy_id = _uuid_field("taxonomy_id")
    parent_id = _uuid_field("parent_id")
    top_only = forms.NullBooleanField(required=False)

    def clean_top_only(self):
        value = self.cleaned_data["top_only"]
        if self.data.get("top_only") and value is None:
            raise forms.ValidationError("top_only must be true or false")
        return value
