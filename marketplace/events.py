"""Domain events: how a lower app tells a higher one that something happened, without importing it.

``emit(topic, payload)`` writes a :class:`~marketplace.models.DomainEvent` inside the caller's
transaction and, once that commits, runs every handler subscribed to the topic. A handler that
raises leaves the event pending; ``dispatch_pending()`` (a beat task and a management command)
runs pending events again. Handlers are idempotent: they may see an event more than once.
"""

import logging
from collections import defaultdict
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from marketplace.models import DomainEvent

log = logging.getLogger(__name__)

Handler = Callable[[DomainEvent], None]
_handlers: dict[str, list[Handler]] = defaultdict(list)

PLAN_APPROVED = "brokerage.plan_approved"


def subscribe(topic: str) -> Callable[[Handler], Handler]:
    """Register ``handler(event)`` for ``topic``; call at import time from an app's ``ready()``."""

    def register(handler: Handler) -> Handler:
        if handler not in _handlers[topic]:
            _handlers[topic].append(handler)
        return handler

    return register


def handlers_for(topic: str) -> list[Handler]:
    return list(_handlers.get(topic, ()))


def emit(topic: str, payload: dict) -> DomainEvent:
    """Record the event in the current transaction; its handlers run after the commit."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Domain events are emitted inside the transaction of the change they describe.")
    event = DomainEvent.objects.create(topic=topic, payload=payload)
    transaction.on_commit(lambda: dispatch(event.pk))
    return event


def dispatch(event_id: int) -> bool:
    """Run the handlers of one pending event; True when it is (now or already) dispatched."""
    with transaction.atomic():
        event = DomainEvent.objects.select_for_update().filter(pk=event_id, dispatched_at__isnull=True).first()
        if event is None:
            return True
        try:
            with transaction.atomic():
                for handler in handlers_for(event.topic):
                    handler(event)
        except Exception as error:  # a handler's failure must not lose the event: it is retried later
            log.exception("Handler failed for domain event %s (%s)", event.pk, event.topic)
            DomainEvent.objects.filter(pk=event.pk).update(attempts=event.attempts + 1, last_error=str(error)[:2000])
            return False
        DomainEvent.objects.filter(pk=event.pk).update(attempts=event.attempts + 1, last_error="",
                                                        dispatched_at=timezone.now())
        return True


def dispatch_pending(limit: int = 500) -> int:
    """Dispatch events still pending (oldest first); returns how many were dispatched now."""
    pending = list(DomainEvent.objects.filter(dispatched_at__isnull=True).order_by("occurred_at", "id")
                   .values_list("pk", flat=True)[:limit])
    return sum(1 for event_id in pending if dispatch(event_id))
