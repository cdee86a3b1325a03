"""Writing the audit log: the only way an ``AuditEvent`` comes into being."""

from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.forms.models import model_to_dict

from marketplace.models import AuditEvent, Organisation, User


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The named fields of ``instance`` as JSON-ready values, for an event's before/after."""
    data = model_to_dict(instance, fields=list(fields) if fields is not None else None)
    return {key: (value.pk if isinstance(value, models.Model) else value) for key, value in data.items()}


def record(
    *,
    actor: User | None,
    verb: str,
    target: models.Model,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
    organisation: Organisation | None = None,
) -> AuditEvent:
    """Append one event. Must run inside the transaction of the change it describes.

    ``actor`` None means the system itself (a scheduled job). Raises
    ``TransactionManagementError`` when called outside a transaction, so an event can never
    outlive a change that was rolled back, nor be missing for one that was committed.
    """
    if not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError("audit.record must run inside the change's transaction")
    event = _event(actor=actor, verb=verb, target=target, before=before, after=after, reason=reason,
                   organisation=organisation)
    event.save(force_insert=True)
    return event


def record_many(*, actor: User | None, events: Iterable[dict[str, Any]]) -> list[AuditEvent]:
    """Append many events by ``actor`` in one insert, each exactly as :func:`record` writes it.

    Each of ``events`` holds :func:`record`'s other keyword arguments (``verb``, ``target`` and
    optionally ``before``, ``after``, ``reason``, ``organisation``). For changes made in bulk (a
    payment run's chunk), where one insert per event would cost a query per row. Raises
    ``TransactionManagementError`` outside a transaction, as :func:`record` does.
    """
    if not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError("audit.record_many must run inside the change's transaction")
    rows = [_event(actor=actor, **event) for event in events]
    return AuditEvent.objects.bulk_create(rows) if rows else []


def _event(*, actor: User | None, verb: str, target: models.Model, before: dict | None = None,
           after: dict | None = None, reason: str = "", organisation: Organisation | None = None) -> AuditEvent:
    if actor is not None and not actor.is_authenticated:
        actor = None
    return AuditEvent(
        actor=actor,
        actor_label=(f"{actor} <{actor.email}>" if actor else "system"),
        organisation=organisation,
        verb=verb,
        target_type=ContentType.objects.get_for_model(target),
        target_id=str(target.pk),
        target_label=str(target)[:300],
        before=before or {},
        after=after or {},
        reason=reason,
    )
