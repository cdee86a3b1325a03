"""Stripe's webhook events, each handled once.

Every verified event is stored as a :class:`~isf.models.StripeEvent` under its unique id in the
same transaction as what it changes, so a repeated delivery — even two deliveries racing — finds
the id taken and changes nothing, and a failure part-way leaves neither the event nor half its
effect behind (Stripe then delivers it again).

- ``transfer.created`` / ``transfer.paid``: the ISF payment sent as that transfer is settled;
- ``transfer.reversed`` / ``transfer.failed``: the payment failed (the money came back), and the
  next payment run sends it again with the same key;
- ``payment_intent.succeeded``: a card payment is paid and posted to the ledger;
- ``payment_intent.payment_failed`` / ``payment_intent.canceled``: a card payment failed;
- anything else is stored with the outcome "ignored".

The outcome of each event is kept on it in words, including why an event changed nothing (no
payment with that transfer, an amount that does not match).
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from isf.constants import Gateway, PaymentStatus
from isf.models import CardPayment, Payment, StripeEvent
from isf.services.card_payments import card_payment_failed, card_payment_succeeded
from isf.services.payment_outcomes import payment_fail, payment_settle
from marketplace.money import format_pence
from marketplace.transitions import InvalidTransition

__all__ = ["stripe_event_handle", "StripeEventNotReady", "TRANSFER_REVERSED"]

TRANSFER_REVERSED = "The transfer was reversed by Stripe"
IGNORED = "ignored"


class StripeEventNotReady(Exception):
    """The event is about a payment the platform has not finished recording as sent (the webhook
    overtook the payment run). Nothing is stored, so Stripe's next delivery is handled afresh."""


def _object(event: dict) -> dict:
    data = event.get("data")
    found = data.get("object") if isinstance(data, dict) else None
    return found if isinstance(found, dict) else {}


def _payment_for_transfer(transfer: dict) -> Payment | None:
    transfer_id = transfer.get("id")
    if isinstance(transfer_id, str) and transfer_id:
        payment = Payment.objects.filter(gateway=Gateway.STRIPE, gateway_reference=transfer_id).first()
        if payment is not None:
            return payment
    metadata = transfer.get("metadata")
    key = metadata.get("payment_key") if isinstance(metadata, dict) else None
    if isinstance(key, str) and key:
        return Payment.objects.filter(idempotency_key=key).first()
    return None


def _transfer_paid(transfer: dict) -> str:
    payment = _payment_for_transfer(transfer)
    if payment is None:
        return f"No payment was sent as transfer {transfer.get('id', '(no id)')}; nothing changed"
    if payment.status in (PaymentStatus.PENDING, PaymentStatus.FAILED):
        raise StripeEventNotReady(f"Payment {payment.idempotency_key} is not recorded as sent yet")
    if payment.status == PaymentStatus.SETTLED:
        return f"Payment {payment.idempotency_key} was already settled"
    payment_settle(payment=payment, by=None, reference=str(transfer.get("id") or ""),
                   reason="Stripe confirmed the transfer")
    return f"Payment {payment.idempotency_key} settled"


def _transfer_reversed(transfer: dict) -> str:
    payment = _payment_for_transfer(transfer)
    if payment is None:
        return f"No payment was sent as transfer {transfer.get('id', '(no id)')}; nothing changed"
    amount, reversed_amount = transfer.get("amount"), transfer.get("amount_reversed")
    if (transfer.get("reversed") is False and isinstance(amount, int) and isinstance(reversed_amount, int)
            and 0 < reversed_amount < amount):
        return (f"Transfer for payment {payment.idempotency_key} partly reversed ({format_pence(reversed_amount)}); "
                "the payment is unchanged: check it in Stripe")
    before = payment.status
    failed = payment_fail(payment=payment, by=None, reason=TRANSFER_REVERSED)
    if failed.status == before:
        return f"Payment {payment.idempotency_key} was already {failed.get_status_display().lower()}"
    return f"Payment {payment.idempotency_key} failed: {TRANSFER_REVERSED.lower()}"


def _intent_succeeded(intent: dict, event_id: str) -> str:
    amount = intent.get("amount_received") or intent.get("amount")
    if intent.get("currency", "gbp") != "gbp":
        return f"Card payment {intent.get('id')} was not in pounds; nothing recorded"
    card_payment = card_payment_succeeded(payment_intent_id=str(intent.get("id")), amount_pence=amount,
                                          event_id=event_id)
    return f"Card payment {card_payment.pk} paid: {format_pence(card_payment.amount_pence)} into the fund"


def _intent_failed(intent: dict, cancelled: bool) -> str:
    error = intent.get("last_payment_error")
    message = error.get("message") if isinstance(error, dict) else ""
    reason = message or ("The card payment was cancelled" if cancelled else "The card payment did not go through")
    card_payment = card_payment_failed(payment_intent_id=str(intent.get("id")), reason=reason)
    return f"Card payment {card_payment.pk} {card_payment.get_status_display().lower()}: {card_payment.failure_reason}"


def _dispatch(event: dict) -> str:
    kind, found = event.get("type"), _object(event)
    if kind in ("transfer.created", "transfer.paid"):
        return _transfer_paid(found)
    if kind in ("transfer.reversed", "transfer.failed"):
        return _transfer_reversed(found)
    if kind == "payment_intent.succeeded":
        return _intent_succeeded(found, event["id"])
    if kind in ("payment_intent.payment_failed", "payment_intent.canceled"):
        return _intent_failed(found, cancelled=kind == "payment_intent.canceled")
    return IGNORED


@transaction.atomic
def stripe_event_handle(*, event: dict) -> StripeEvent:
    """Store the verified ``event`` and apply it; returns its :class:`StripeEvent`.

    An event already stored is returned as it is, with ``repeated`` set True on the returned
    object (False for one handled now), and nothing changes. An event about a payment or card
    payment the platform does not know, or one the platform refuses (an amount that does not
    match, a move its lifecycle does not allow), is stored with that outcome and changes nothing
    else. Raises :class:`StripeEventNotReady` (nothing stored) for a transfer whose payment is not
    yet recorded as sent, and ``ValueError`` for an event with no id or type.
    """
    event_id, kind = event.get("id"), event.get("type")
    if not isinstance(event_id, str) or not event_id or not isinstance(kind, str) or not kind:
        raise ValueError("A Stripe event needs an id and a type")
    try:
        with transaction.atomic():
            record = StripeEvent.objects.create(event_id=event_id[:100], type=kind[:100], payload=event)
    except IntegrityError:
        # A delivery of the same event got here first (perhaps at the same moment, on another worker).
        record = StripeEvent.objects.get(event_id=event_id[:100])
        record.repeated = True
        return record
    try:
        with transaction.atomic():
            outcome = _dispatch(event)
    except (CardPayment.DoesNotExist, Payment.DoesNotExist):
        outcome = f"No card payment was started as {_object(event).get('id', '(no id)')}; nothing changed"
    except ValidationError as error:
        outcome = f"Not applied: {' '.join(error.messages)}"
    except InvalidTransition as error:
        outcome = f"Not applied: {error}"
    record.outcome = outcome[:300]
    record.save(update_fields=["outcome"])
    record.repeated = False
    return record
