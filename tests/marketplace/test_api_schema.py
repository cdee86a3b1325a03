import re

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


def test_openapi_schema_describes_our_api_only(client):
    response = client.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/people/{id}/" in paths
    assert "/api/v1/organisations/" in paths
    assert all(path.startswith("/api/v1/") for path in paths)


def test_openapi_schema_is_also_served_at_api_schema_and_describes_the_directory(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert set(paths) == set(client.get("/api/v1/schema/?format=json").json()["paths"])
    for path in ["/api/v1/services/", "/api/v1/services/{id}/", "/api/v1/services/{id}/publish/",
                 "/api/v1/services/{id}/pause/", "/api/v1/services/{id}/withdraw/",
                 "/api/v1/services/{id}/capacity/", "/api/v1/services/{id}/rate-cards/", "/api/v1/rate-cards/",
                 "/api/v1/categories/", "/api/v1/client-groups/", "/api/v1/languages/", "/api/v1/areas/"]:
        assert path in paths
    search = {parameter["name"] for parameter in paths["/api/v1/services/"]["get"]["parameters"]}
    assert {"q", "category", "postcode", "client_group", "language", "specialist", "has_capacity", "unit", "route",
            "min_price", "max_price", "sort", "page", "page_size"} <= search
    assert set(paths["/api/v1/services/{id}/"]) == {"get", "patch"}  # no PUT, no DELETE


def test_money_in_the_schema_is_integer_pence_and_never_a_float(client):
    schemas = client.get("/api/schema/?format=json").json()["components"]["schemas"]
    for name, schema in schemas.items():
        for field, spec in schema.get("properties", {}).items():
            assert spec.get("format") not in ("float", "double"), f"{name}.{field}"
            if field.endswith("_pence"):
                assert spec["type"] == "integer", f"{name}.{field}"


def test_api_docs_page_loads_with_only_local_assets(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(assets) >= 3  # Swagger UI's stylesheet and two scripts (plus the favicon)
    for asset in assets:
        assert asset.startswith("/static/drf_spectacular_sidecar/"), asset
        assert finders.find(asset.removeprefix("/static/")), asset
    assert "http://" not in html and "https://" not in html and '"//' not in html  # no CDN, no other host
    assert 'url: "/api/schema/"' in html


def test_openapi_schema_documents_plans_negotiations_packages_and_decisions(client):
    paths = client.get("/api/schema/?format=json").json()["paths"]
    for path in ["/api/v1/support-plans/", "/api/v1/support-plans/{id}/submit/", "/api/v1/support-plans/{id}/lines/",
                 "/api/v1/support-plans/{id}/approve/", "/api/v1/support-plans/{id}/return/",
                 "/api/v1/support-plans/{id}/reject/", "/api/v1/negotiations/{id}/offer/",
                 "/api/v1/negotiations/{id}/accept/", "/api/v1/package-requests/{id}/choose/",
                 "/api/v1/package-responses/{id}/offer/", "/api/v1/direct-payment-reviews/{id}/complete/",
                 "/api/v1/budget-transitions/"]:
        assert path in paths, path


def test_openapi_schema_generates_without_warnings():
    from io import StringIO

    from django.core.management import call_command

    errors = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null", stderr=errors)
