import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def staff(provider_org, make_member):
    """Provider staff of ``provider_org`` (modules may override it with another role)."""
    from marketplace.constants import Role

    return make_member(Role.PROVIDER_STAFF, provider_org)
