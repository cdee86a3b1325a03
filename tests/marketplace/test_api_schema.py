import pytest

pytestmark = pytest.mark.django_db


def test_openapi_schema_describes_our_api_only(client):
    response = client.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/people/{id}/" in paths
    assert "/api/v1/organisations/" in paths
    assert all(path.startswith("/api/v1/") for path in paths)
