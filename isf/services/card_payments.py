"""A person paying their assessed contribution, or a top-up, into their ISF by card.

The payment is a Stripe PaymentIntent: :func:`card_payment_start` records it and asks Stripe for
the intent the payer's browser confirms with the card; Stripe's signed webhook then says whether it
succeeded (:func:`card_payment_succeeded`, which posts the CONTRIBUTION to the ledger) or failed
(:func:`card_payment_failed`). Nothing reaches the ledger on the browser's word alone.

A card payment's life: ``started → succeeded``, ``started → failed``, and ``failed → succeeded``
(the payer tried again with another card on the same intent). A succeeded payment never changes.
"""

import datetime
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from brokerage.models import Person
from isf import ledger, stripe_client
from isf.constants import CardPaymentPurpose, CardPaymentStatus, ContractStatus, TransactionKind
from isf.models import CardPayment, IsfContract
from marketplace import audit
from marketplace.models import User
from marketplace.money import format_pence

__all__ = ["card_payment_start", "card_payment_succeeded", "card_payment_failed", "may_pay_for",
           "CARD_PAYMENT_MAX_PENCE"]

# A ceiling well above four weeks of any contribution, so a mistyped amount is caught before a
# card is charged.
CARD_PAYMENT_MAX_PENCE = 500_000


def may_pay_for(user: User, person: Person) -> bool:
    """Only the person, or their representative, pays into the person's fund."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.pk is not None and user.pk in (person.user_id, person.representative_id)


def _checked_amount(amount_pence) -> int:
    if isinstance(amount_pence, bool) or not isinstance(amount_pence, int):
        raise ValidationError({"amount": ["Enter the amount in pounds and pence, like 24.50"]})
    if amount_pence <= 0:
        raise ValidationError({"amount": ["Enter an amount more than £0"]})
    if amount_pence > CARD_PAYMENT_MAX_PENCE:
        raise ValidationError({"amount": [f"Enter an amount of {format_pence(CARD_PAYMENT_MAX_PENCE)} or less"]})
    return amount_pence


def _record(*, person: Person, contract: IsfContract, purpose: str, amount_pence: int, by: User,
            key: str) -> CardPayment:
    """The card payment for ``key``: the one already recorded (a double click), or a new one."""
    existing = CardPayment.objects.filter(idempotency_key=key).first()
    if existing is None:
        try:
            with transaction.atomic():
                existing = CardPayment.objects.create(
                    person=person, contract=contract, purpose=purpose, amount_pence=amount_pence,
                    idempotency_key=key, started_by=by)
                audit.record(actor=by, verb="cardpayment.started", target=existing, organisation=contract.provider,
                             after={"contract": contract.pk, "purpose": purpose, "amount_pence": amount_pence})
                return existing
        except IntegrityError:
            existing = CardPayment.objects.get(idempotency_key=key)
    if existing.person_id != person.pk:
        raise PermissionDenied("That payment belongs to someone else.")
    return existing


def card_payment_start(*, person: Person, contract: IsfContract, purpose: str, amount_pence: int, by: User,
                       token: uuid.UUID | str) -> CardPayment:
    """Record a card payment of ``amount_pence`` into ``contract``'s fund and create its Stripe
    PaymentIntent; returns the card payment, whose ``payment_intent_id`` the pay page confirms.

    ``token`` is made once per form, so submitting the same form twice returns the same card
    payment and one PaymentIntent. Raises ``PermissionDenied`` unless ``by`` is the person or their
    representative; ``ValidationError`` when the contract is not the person's ISF in force, the
    purpose is unknown, the amount is not whole pence above £0 and at most £5,000, the token is
    not a form token, or Stripe refuses or does not answer (the card payment stays recorded and the
    same form can be sent again).

    The card payment is saved (and committed, when no outer transaction is open) before Stripe is
    asked, so a crash in between leaves a record that the same token picks up; Stripe's
    idempotency key (``card:<token>``) makes the second request return the first intent.
    """
    if not may_pay_for(by, person):
        raise PermissionDenied("Only the person or their representative can pay into their fund.")
    try:
        token = uuid.UUID(str(token))
    except ValueError:
        raise ValidationError("The form has expired: open the payment page again") from None
    if contract.person_id != person.pk:
        raise ValidationError({"contract": ["Choose one of your Individual Service Funds"]})
    if contract.status != ContractStatus.ACTIVE:
        raise ValidationError({"contract": ["You can only pay into a fund that is in force"]})
    if purpose not in CardPaymentPurpose.values:
        raise ValidationError({"purpose": ["Choose whether this is your contribution or a top-up"]})
    amount_pence = _checked_amount(amount_pence)
    key = f"card:{token}"
    card_payment = _record(person=person, contract=contract, purpose=purpose, amount_pence=amount_pence, by=by,
                           key=key)
    if card_payment.payment_intent_id or card_payment.status != CardPaymentStatus.STARTED:
        return card_payment
    refused = None
    with transaction.atomic():
        # The lock makes a second click wait for the first one's PaymentIntent instead of asking
        # Stripe for another.
        locked = CardPayment.objects.select_for_update().get(pk=card_payment.pk)
        if locked.payment_intent_id or locked.status != CardPaymentStatus.STARTED:
            return locked
        try:
            intent = stripe_client.create_payment_intent(
                amount_pence=locked.amount_pence, idempotency_key=key,
                description=f"{locked.get_purpose_display()} to ISF {contract.reference}",
                metadata={"card_payment": locked.pk, "person": person.reference, "contract": contract.reference})
        except stripe_client.StripeUnavailable:
            raise ValidationError("Card payments are not answering just now. Try again in a few minutes: "
                                  "you will not be charged twice.") from None
        except stripe_client.StripeRefused as error:
            refused = error.message
            locked.status = CardPaymentStatus.FAILED
            locked.failure_reason = f"The card payment could not be set up: {refused}"
            locked.save(update_fields=["status", "failure_reason"])
            audit.record(actor=by, verb="cardpayment.failed", target=locked, organisation=contract.provider,
                         before={"status": CardPaymentStatus.STARTED}, after={"status": CardPaymentStatus.FAILED},
                         reason=locked.failure_reason)
        else:
            locked.payment_intent_id = intent.id
            locked.save(update_fields=["payment_intent_id"])
            audit.record(actor=by, verb="cardpayment.intent_created", target=locked, organisation=contract.provider,
                         after={"payment_intent_id": intent.id})
    if refused is not None:
        raise ValidationError(f"The card payment could not be set up: {refused}")
    return locked


def _locked_by_intent(payment_intent_id: str) -> CardPayment:
    """The card payment of the PaymentIntent, locked; raises ``CardPayment.DoesNotExist``."""
    return (CardPayment.objects.select_for_update(of=("self",))
            .select_related("person", "contract", "contract__provider").get(payment_intent_id=payment_intent_id))


@transaction.atomic
def card_payment_succeeded(*, payment_intent_id: str, amount_pence: int, event_id: str,
                           on: datetime.date | None = None) -> CardPayment:
    """Record that Stripe took the card payment: post the CONTRIBUTION (the person's contribution
    account gives, the contract's fund receives) and mark it paid. Safe to repeat: a payment
    already paid is returned unchanged and the ledger's key ``card:<intent>`` posts once.

    Raises ``CardPayment.DoesNotExist`` for an intent the platform did not start, and
    ``ValidationError`` when Stripe's amount is not the amount asked for (nothing is posted).
    """
    card_payment = _locked_by_intent(payment_intent_id)
    if card_payment.status == CardPaymentStatus.SUCCEEDED:
        return card_payment
    whole = isinstance(amount_pence, int) and not isinstance(amount_pence, bool)
    if not whole or amount_pence != card_payment.amount_pence:
        paid = format_pence(amount_pence) if whole else repr(amount_pence)
        raise ValidationError(f"Stripe reports {paid} paid but {format_pence(card_payment.amount_pence)} was asked "
                              "for; nothing was recorded")
    person, contract = card_payment.person, card_payment.contract
    posted = ledger.post(
        kind=TransactionKind.CONTRIBUTION,
        description=f"{card_payment.get_purpose_display()} paid by card",
        occurred_on=on or timezone.localdate(),
        entries=[(ledger.person_contribution_account(person), -amount_pence),
                 (ledger.contract_fund_account(contract), amount_pence)],
        contract=contract, idempotency_key=f"card:{payment_intent_id}")
    before = card_payment.status
    card_payment.status = CardPaymentStatus.SUCCEEDED
    card_payment.succeeded_at = timezone.now()
    card_payment.failure_reason = ""
    card_payment.ledger_transaction = posted
    card_payment.save(update_fields=["status", "succeeded_at", "failure_reason", "ledger_transaction"])
    audit.record(actor=None, verb="cardpayment.succeeded", target=card_payment, organisation=contract.provider,
                 before={"status": before}, after={"status": CardPaymentStatus.SUCCEEDED, "event": event_id,
                                                   "ledger_transaction": posted.pk})
    return card_payment


@transaction.atomic
def card_payment_failed(*, payment_intent_id: str, reason: str) -> CardPayment:
    """Record that the card payment failed or was cancelled, with Stripe's reason. A payment
    already paid stays paid; one already failed keeps its first reason. Raises
    ``CardPayment.DoesNotExist`` for an intent the platform did not start."""
    card_payment = _locked_by_intent(payment_intent_id)
    if card_payment.status != CardPaymentStatus.STARTED:
        return card_payment
    reason = (reason or "").strip() or "The card payment did not go through"
    card_payment.status = CardPaymentStatus.FAILED
    card_payment.failure_reason = reason[:2000]
    card_payment.save(update_fields=["status", "failure_reason"])
    audit.record(actor=None, verb="cardpayment.failed", target=card_payment,
                 organisation=card_payment.contract.provider, before={"status": CardPaymentStatus.STARTED},
                 after={"status": CardPaymentStatus.FAILED}, reason=card_payment.failure_reason)
    return card_payment
