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


@pytest.fixture
def task_worker():
    """Whatever runs queued Celery tasks where the configuration says: in process on the embedded
    set-up (tasks run eagerly, nothing to start); with ``REDIS_URL``, a real worker (in a thread
    of this process) taking tasks from the real Redis broker. With a worker the test must be
    ``transaction=True``, so the worker's own connection sees what the test committed, and should
    wait for the task's effect (:func:`wait_until`)."""
    from marketplace.celery import app

    if app.conf.task_always_eager:
        yield None
        return
    from celery.contrib.testing.worker import start_worker

    # Tasks queued by earlier tests that had no worker would otherwise run here, against rows
    # that no longer exist.
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30) as worker:
        yield worker


def wait_until(condition, *, timeout: float = 60, every: float = 0.2):
    """Poll ``condition()`` until it is true (returning its value); fail after ``timeout`` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"still waiting after {timeout} s")
        time.sleep(every)
