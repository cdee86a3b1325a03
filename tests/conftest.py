import uuid

import pytest
from django.conf import settings as django_settings

from tests.marketplace.factories import (
    CouncilFactory,
    MembershipFactory,
    ProviderOrganisationFactory,
    UserFactory,
)


@pytest.fixture(autouse=True)
def _isolated_cache(settings):
    """Give each test its own cache namespace, so tests against a shared Redis never see each
    other's keys (and the local-memory cache starts empty)."""
    cache = dict(django_settings.CACHES["default"])
    cache["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {"default": cache}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Hash test users' passwords with a fast hasher: the production hasher is slow on purpose and
    costs most of a second per user. Stored PBKDF2 hashes (the demo users') still verify."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher",
                                 "django.contrib.auth.hashers.PBKDF2PasswordHasher"]


@pytest.fixture
def council(db):
    return CouncilFactory()


@pytest.fixture
def make_member(db):
    """``make_member(role, organisation)`` → a user holding that role there."""

    def make(role, organisation, **user_fields):
        user = UserFactory(**user_fields)
        MembershipFactory(user=user, organisation=organisation, role=role)
        return user

    return make


@pytest.fixture
def provider_org(db):
    return ProviderOrganisationFactory()
