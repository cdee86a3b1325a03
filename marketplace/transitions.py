"""Moving a record through its lifecycle: one helper for every state machine.

A model with a lifecycle declares ``TRANSITIONS = {from_state: {to_state, ...}}`` and keeps its
state in ``status``. :func:`transition` locks the row, refuses a move the table does not allow,
saves, and writes the audit event — the history of every lifecycle is the audit log.
"""

from collections.abc import Callable

from django.db import models, transaction

from marketplace import audit
from marketplace.models import Organisation, User


class InvalidTransition(Exception):
    """The record cannot move from its current state to the one asked for."""

    def __init__(self, obj: models.Model, current: str, target: str, allowed: set[str]):
        self.obj, self.current, self.target, self.allowed = obj, current, target, allowed
        label = obj._meta.verbose_name
        if allowed:
            options = ", ".join(sorted(allowed))
            message = f"This {label} is {current}; it can move to {options}, not {target}."
        else:
            message = f"This {label} is {current} and cannot change any more."
        super().__init__(message)


def allowed_moves(obj: models.Model, field: str = "status") -> set[str]:
    return set(type(obj).TRANSITIONS.get(getattr(obj, field), set()))


@transaction.atomic
def transition(
    obj: models.Model,
    to: str,
    *,
    by: User | None,
    reason: str = "",
    organisation: Organisation | None = None,
    field: str = "status",
    apply: Callable[[models.Model], None] | None = None,
) -> models.Model:
    """Move ``obj`` to state ``to`` and return the fresh, locked row.

    Moving to the state it is already in does nothing (a second click is harmless). ``apply``
    sets milestone fields (``approved_at``, ``approved_by``…) on the locked row before it is saved.
    Raises :class:`InvalidTransition` for a move the model's table does not allow.
    """
    locked = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
    current = getattr(locked, field)
    if current == to:
        return locked
    allowed = allowed_moves(locked, field)
    if to not in allowed:
        raise InvalidTransition(locked, current, to, allowed)
    setattr(locked, field, to)
    if apply is not None:
        apply(locked)
    locked.save()
    audit.record(
        actor=by,
        verb=f"{locked._meta.model_name}.{to}",
        target=locked,
        before={field: current},
        after={field: to},
        reason=reason,
        organisation=organisation,
    )
    return locked
