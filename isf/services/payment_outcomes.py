"""What happened to a payment after it was sent: settled (Stripe's webhook, or a finance officer
confirming the payment file went through the bank) or failed (the gateway refused it, or the money
came back). Both are idempotent: a repeated event for a payment already there changes nothing."""

from django.db import transaction
from django.utils import timezone

from isf.constants import PaymentStatus
from isf.models import Payment
from marketplace.models import User
from marketplace.transitions import transition

__all__ = ["payment_settle", "payment_fail"]


@transaction.atomic
def payment_settle(*, payment: Payment, by: User | None, reference: str = "", reason: str = "") -> Payment:
    """Mark a sent payment paid. Quietly returns one already settled; raises
    ``InvalidTransition`` for a payment never sent or cancelled."""

    def apply(locked: Payment) -> None:
        locked.settled_at = timezone.now()
        if reference:
            locked.gateway_reference = reference

    return transition(payment, PaymentStatus.SETTLED, by=by, reason=reason or "Payment confirmed",
                      organisation=payment.payee_organisation, apply=apply)


@transaction.atomic
def payment_fail(*, payment: Payment, by: User | None, reason: str) -> Payment:
    """Record that a payment did not go through (the next payment run retries it with the same
    key). A settled payment reported failed afterwards (money returned) moves to failed too; a
    cancelled one stays cancelled. Returns the payment."""
    locked = Payment.objects.select_for_update().get(pk=payment.pk)
    if locked.status == PaymentStatus.CANCELLED:
        return locked
    if locked.status == PaymentStatus.FAILED:
        if locked.last_error != reason:
            locked.last_error = reason
            locked.save(update_fields=["last_error"])
        return locked

    def apply(row: Payment) -> None:
        row.last_error = reason

    return transition(locked, PaymentStatus.FAILED, by=by, reason=reason,
                      organisation=locked.payee_organisation, apply=apply)
