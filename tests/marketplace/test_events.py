"""Domain events: written with the change, run after the commit, never lost when a handler fails."""

import pytest
from django.db import transaction

from marketplace import events
from marketplace.models import DomainEvent

# Serialized rollback like every transactional test here, so whichever order they run in each starts
# from the migrated data.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

TOPIC = "tests.something_happened"


@pytest.fixture
def seen():
    calls = []

    def handler(event):
        calls.append(event.payload["n"])

    events._handlers[TOPIC].append(handler)
    yield calls
    events._handlers[TOPIC].remove(handler)


def test_handlers_run_after_the_commit_and_the_event_is_marked_dispatched(seen):
    with transaction.atomic():
        event = events.emit(TOPIC, {"n": 1})
        assert seen == []  # not before the change is committed
    assert seen == [1]
    event.refresh_from_db()
    assert event.dispatched_at is not None and event.attempts == 1


def test_a_rolled_back_change_leaves_no_event_and_runs_nothing(seen):
    with pytest.raises(RuntimeError), transaction.atomic():
        events.emit(TOPIC, {"n": 2})
        raise RuntimeError("the change failed")
    assert seen == [] and not DomainEvent.objects.filter(topic=TOPIC).exists()


def test_emit_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError):
        events.emit(TOPIC, {"n": 3})


def test_a_failing_handler_leaves_the_event_pending_and_a_later_dispatch_runs_it(seen):
    failures = {"left": 1}

    def flaky(event):
        if failures["left"]:
            failures["left"] -= 1
            raise ConnectionError("provider system unreachable")

    events._handlers[TOPIC].insert(0, flaky)
    try:
        with transaction.atomic():
            event = events.emit(TOPIC, {"n": 4})
        event.refresh_from_db()
        assert event.dispatched_at is None and event.attempts == 1
        assert "unreachable" in event.last_error
        assert events.dispatch_pending() == 1
        event.refresh_from_db()
        assert event.dispatched_at is not None and event.attempts == 2 and event.last_error == ""
        # Dispatched events are not run again.
        assert events.dispatch_pending() == 0
    finally:
        events._handlers[TOPIC].remove(flaky)
    # The other handler ran once: the failed attempt stopped before reaching it, the retry ran it.
    assert seen == [4]
