"""The Open Referral UK 3.0 endpoints (``schemas/openapi.json``): check the parameters, call one
selector, serialise. Every response is JSON with ``Access-Control-Allow-Origin: *``."""

from functools import cache
from pathlib import Path

from django.http import HttpResponse
from django.urls import reverse

from providers.openreferral import ids, serializers
from providers.openreferral import selectors as feed
from providers.openreferral.forms import PageForm, ServiceSearchForm, TaxonomyTermForm
from providers.openreferral.http import bad_parameters, endpoint, json_response, not_found

HSDS_VERSION = "HSDS-UK-3.0"
PROFILE_URL = "https://open-referral-uk-profile.readthedocs.io/en/latest/"
SCHEMAS = Path(__file__).resolve().parent / "schemas"


@cache
def _openapi_document() -> bytes:
    return (SCHEMAS / "openapi.json").read_bytes()


@endpoint
def api_root(request):
    return json_response({
        "version": HSDS_VERSION,
        "profile": PROFILE_URL,
        "openapi_url": request.build_absolute_uri(reverse("openreferral:openapi")),
    })


@endpoint
def openapi(request):
    """The Open Referral UK profile's openapi.json, unchanged: the spec this API implements."""
    return HttpResponse(_openapi_document(), content_type="application/json")


def _searched_page(request, to_dict):
    form = ServiceSearchForm(request.GET)
    if not form.is_valid():
        return bad_parameters(form.problems)
    params = form.cleaned_data
    try:
        listings = feed.listings_matching(
            search=params["search"], postcode=params["postcode"], taxonomy_term_id=params["taxonomy_term_id"],
            taxonomy_id=params["taxonomy_id"], organization_id=params["organization_id"],
            modified_after=params["modified_after"])
    except feed.SearchError as error:
        return bad_parameters(error.problems)
    rows, total = feed.page_of(listings, page=params["page"], per_page=params["per_page"])
    return json_response(serializers.page([to_dict(row) for row in rows], total=total, page_number=params["page"],
                                          per_page=params["per_page"]))


@endpoint
def services(request):
    return _searched_page(request, serializers.service)


@endpoint
def service_detail(request, record_id):
    listing_id = ids.parse(record_id)
    listing = feed.listing_for_id(listing_id) if listing_id else None
    if listing is None:
        return not_found("No public service has this id")
    return json_response(serializers.service_full(listing))


@endpoint
def service_at_locations(request):
    return _searched_page(request, serializers.service_at_location)


@endpoint
def service_at_location_detail(request, record_id):
    at_location_id = ids.parse(record_id)
    listing = feed.listing_for_id(ids.feed_id_of_service_at_location(at_location_id)) if at_location_id else None
    if listing is None:
        return not_found("No public service at location has this id")
    return json_response(serializers.service_at_location(listing, full=True))


def _listed(form: PageForm, records: list):
    """A page of a short list held in memory (taxonomies, terms); ``form`` has been validated."""
    page, per_page = form.cleaned_data["page"], form.cleaned_data["per_page"]
    start = (page - 1) * per_page
    return json_response(serializers.page(records[start:start + per_page], total=len(records), page_number=page,
                                          per_page=per_page))


@endpoint
def taxonomies(request):
    form = PageForm(request.GET)
    if not form.is_valid():
        return bad_parameters(form.problems)
    return _listed(form, [serializers.taxonomy(taxonomy) for taxonomy in feed.TAXONOMIES])


@endpoint
def taxonomy_detail(request, record_id):
    taxonomy = feed.taxonomy_for_id(ids.parse(record_id))
    if taxonomy is None:
        return not_found("No taxonomy has this id")
    return json_response(serializers.taxonomy(taxonomy, feed.terms()))


@endpoint
def taxonomy_terms(request):
    form = TaxonomyTermForm(request.GET)
    if not form.is_valid():
        return bad_parameters(form.problems)
    params = form.cleaned_data
    terms = feed.terms()
    if params["taxonomy_id"] is not None:
        terms = [term for term in terms if term.taxonomy.id == str(params["taxonomy_id"])]
    if params["parent_id"] is not None:
        terms = []  # both taxonomies are flat: no term has a parent
    return _listed(form, [serializers.taxonomy_term(term) for term in terms])


@endpoint
def taxonomy_term_detail(request, record_id):
    term_id = ids.parse(record_id)
    term = feed.term_for_id(term_id) if term_id else None
    if term is None:
        return not_found("No taxonomy term has this id")
    return json_response(serializers.taxonomy_term(term))


@endpoint
def organizations(request):
    form = PageForm(request.GET)
    if not form.is_valid():
        return bad_parameters(form.problems)
    page, per_page = form.cleaned_data["page"], form.cleaned_data["per_page"]
    rows, total = feed.page_of(feed.public_organisations(), page=page, per_page=per_page)
    return json_response(serializers.page([serializers.organization(row) for row in rows], total=total,
                                          page_number=page, per_page=per_page))


@endpoint
def organization_detail(request, record_id):
    organisation_id = ids.parse(record_id)
    found = feed.organisation_for_id(organisation_id) if organisation_id else None
    if found is None:
        return not_found("No public organisation has this id")
    return json_response(serializers.organization_full(*found))


@endpoint
def unknown(request, path=""):
    return not_found("No Open Referral endpoint at this address")
