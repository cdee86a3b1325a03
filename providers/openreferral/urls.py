"""``/openreferral/``: the Open Referral UK 3.0 read API. Paths follow the spec, without a trailing
slash; one is tolerated. Anything else under the prefix is a JSON 404, not the site's HTML page."""

from django.urls import path, re_path

from providers.openreferral import views

app_name = "openreferral"

_ID = r"(?P<record_id>[^/]+)"

urlpatterns = [
    path("", views.api_root, name="root"),
    path("openapi.json", views.openapi, name="openapi"),
    re_path(r"^services/?$", views.services, name="services"),
    re_path(rf"^services/{_ID}/?$", views.service_detail, name="service"),
    re_path(r"^service_at_locations/?$", views.service_at_locations, name="service_at_locations"),
    re_path(rf"^service_at_locations/{_ID}/?$", views.service_at_location_detail, name="service_at_location"),
    re_path(r"^taxonomies/?$", views.taxonomies, name="taxonomies"),
    re_path(rf"^taxonomies/{_ID}/?$", views.taxonomy_detail, name="taxonomy"),
    re_path(r"^taxonomy_terms/?$", views.taxonomy_terms, name="taxonomy_terms"),
    re_path(rf"^taxonomy_terms/{_ID}/?$", views.taxonomy_term_detail, name="taxonomy_term"),
    re_path(r"^organizations/?$", views.organizations, name="organizations"),
    re_path(rf"^organizations/{_ID}/?$", views.organization_detail, name="organization"),
    re_path(r"^(?P<path>.*)$", views.unknown),
]
