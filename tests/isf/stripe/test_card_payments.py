"""Card contributions, end to end against localstripe: the PaymentIntent is made in localstripe,
confirmed with a test card through the real ``stripe`` library, and the signed webhook records the
contribution in the ledger."""

import json
import time
import urllib.parse
import urllib.request
import uuid
from decimal import Decimal

import pytest
import stripe
from django.core.exceptions import PermissionDenied, ValidationError

from isf import ledger
from isf.constants import CardPaymentPurpose, CardPaymentStatus, ContractStatus, TransactionKind
from isf.models import CardPayment, LedgerTransaction, StripeEvent
from isf.services import card_payment_failed, card_payment_start, card_payment_succeeded
from marketplace.constants import Role
from marketplace.models import AuditEvent
from tests.isf.factories_ledger import ledger_contract
from tests.isf.stripe.conftest import SECRET_KEY, WEBHOOK_PATH, WEBHOOK_SECRET, signature_header
from tests.marketplace.factories import UserFactory

pytestmark = pytest.mark.django_db

CONTRIBUTION = CardPaymentPurpose.CONTRIBUTION


def localstripe(url: str) -> stripe.StripeClient:
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": url}, max_network_retries=0)


def pay_with_test_card(url: str, payment_intent_id: str, number: str = "4242424242424242"):
    """What Stripe.js does in the payer's browser: attach a card and confirm the intent."""
    client = localstripe(url)
    method = client.v1.payment_methods.create(params={"type": "card", "card": {
        "number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}})
    client.v1.payment_intents.update(payment_intent_id, params={"payment_method": method.id})
    try:
        return client.v1.payment_intents.confirm(payment_intent_id)
    except stripe.CardError:
        return client.v1.payment_intents.retrieve(payment_intent_id)


def localstripe_event(url: str, kind: str, payment_intent_id: str) -> dict:
    """The event localstripe raised for the intent (it raises it a moment after the change)."""
    client = localstripe(url)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for event in client.v1.events.list(params={"type": kind, "limit": 100}).data:
            if event.data.object.id == payment_intent_id:
                return event.to_dict()
        time.sleep(0.1)
    raise AssertionError(f"localstripe raised no {kind} for {payment_intent_id}")


def intents_in(url: str) -> set[str]:
    return {intent.id for intent in localstripe(url).v1.payment_intents.list(params={"limit": 1000}).data}


def deliver_signed(client, event: dict):
    payload = json.dumps(event).encode()
    return client.post(WEBHOOK_PATH, data=payload, content_type="application/json",
                       HTTP_STRIPE_SIGNATURE=signature_header(payload, secret=WEBHOOK_SECRET))


@pytest.fixture
def contract(db):
    return ledger_contract()


@pytest.fixture
def payer(contract):
    user = UserFactory()
    contract.person.user = user
    contract.person.save(update_fields=["user"])
    return user


def start(contract, payer, *, amount_pence=16_000, token=None, purpose=CONTRIBUTION, person=None):
    return card_payment_start(person=person or contract.person, contract=contract, purpose=purpose,
                              amount_pence=amount_pence, by=payer, token=token or uuid.uuid4())


def fund_and_contribution(contract) -> tuple[int, int]:
    return (ledger.balance(ledger.contract_fund_account(contract)),
            ledger.balance(ledger.person_contribution_account(contract.person)))


# End to end ------------------------------------------------------------------------------------------

def test_card_contribution_end_to_end(client, on_localstripe, contract, payer):
    card_payment = start(contract, payer, amount_pence=16_000)

    intent = localstripe(on_localstripe).v1.payment_intents.retrieve(card_payment.payment_intent_id)
    assert (intent.amount, intent.currency, intent.status) == (16_000, "gbp", "requires_payment_method")
    assert intent.metadata["card_payment"] == str(card_payment.pk)

    assert pay_with_test_card(on_localstripe, card_payment.payment_intent_id).status == "succeeded"
    event = localstripe_event(on_localstripe, "payment_intent.succeeded", card_payment.payment_intent_id)
    response = deliver_signed(client, event)

    assert response.status_code == 200
    card_payment.refresh_from_db()
    assert card_payment.status == CardPaymentStatus.SUCCEEDED
    assert card_payment.succeeded_at is not None
    posted = card_payment.ledger_transaction
    assert posted.kind == TransactionKind.CONTRIBUTION
    assert posted.contract == contract
    assert sum(posted.entries.values_list("amount_pence", flat=True)) == 0
    assert fund_and_contribution(contract) == (16_000, -16_000)

    replay = deliver_signed(client, event)

    assert replay.json()["status"] == "already handled"
    assert LedgerTransaction.objects.filter(kind=TransactionKind.CONTRIBUTION).count() == 1
    assert fund_and_contribution(contract) == (16_000, -16_000)


def test_a_declined_card_records_the_failure_and_nothing_in_the_ledger(client, on_localstripe, contract, payer):
    card_payment = start(contract, payer)

    pay_with_test_card(on_localstripe, card_payment.payment_intent_id, number="4000000000000341")
    event = localstripe_event(on_localstripe, "payment_intent.payment_failed", card_payment.payment_intent_id)
    deliver_signed(client, event)

    card_payment.refresh_from_db()
    assert card_payment.status == CardPaymentStatus.FAILED
    assert card_payment.failure_reason
    assert fund_and_contribution(contract) == (0, 0)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_localstripe_delivers_the_webhook_to_the_running_site(live_server, localstripe_url, stripe_keys):
    """Stripe's own delivery: localstripe signs the event and posts it to the site's endpoint."""
    stripe_keys.STRIPE_API_BASE = localstripe_url
    contract = ledger_contract()
    payer = UserFactory()
    contract.person.user = payer
    contract.person.save(update_fields=["user"])
    config = f"{localstripe_url}/_config/webhooks/mixed-market-live"
    def register(url: str):
        body = urllib.parse.urlencode({"url": url, "secret": WEBHOOK_SECRET}).encode()
        urllib.request.urlopen(urllib.request.Request(config, data=body, method="POST"), timeout=5).close()

    register(f"{live_server.url}{WEBHOOK_PATH}")
    try:
        card_payment = start(contract, payer, amount_pence=4_250)
        assert pay_with_test_card(localstripe_url, card_payment.payment_intent_id).status == "succeeded"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            card_payment.refresh_from_db()
            if card_payment.status == CardPaymentStatus.SUCCEEDED:
                break
            time.sleep(0.2)
    finally:
        # Later tests' events must not reach this site: point the webhook at a closed port.
        register("http://127.0.0.1:9/")

    assert card_payment.status == CardPaymentStatus.SUCCEEDED
    assert StripeEvent.objects.filter(type="payment_intent.succeeded").count() == 1
    assert fund_and_contribution(contract) == (4_250, -4_250)


# Starting ------------------------------------------------------------------------------------------------

def test_a_double_click_makes_one_card_payment_and_one_payment_intent(on_localstripe, contract, payer):
    token = uuid.uuid4()
    before = intents_in(on_localstripe)

    first = start(contract, payer, token=token)
    second = start(contract, payer, token=token)

    assert second.pk == first.pk
    assert second.payment_intent_id == first.payment_intent_id
    assert CardPayment.objects.count() == 1
    assert intents_in(on_localstripe) - before == {first.payment_intent_id}
    assert AuditEvent.objects.filter(verb="cardpayment.started").count() == 1


def test_a_representative_may_pay_for_the_person(on_localstripe, contract):
    representative = UserFactory()
    contract.person.representative = representative
    contract.person.save(update_fields=["representative"])

    card_payment = start(contract, representative, purpose=CardPaymentPurpose.TOP_UP)

    assert card_payment.started_by == representative
    assert card_payment.purpose == CardPaymentPurpose.TOP_UP


def test_someone_else_cannot_pay_for_the_person(on_localstripe, contract, council, make_member):
    officer = make_member(Role.FINANCE_OFFICER, council)

    with pytest.raises(PermissionDenied):
        start(contract, officer)
    assert CardPayment.objects.count() == 0


def test_paying_into_another_persons_contract_is_refused(on_localstripe, contract, payer):
    someone_elses = ledger_contract()

    with pytest.raises(ValidationError) as refused:
        start(someone_elses, payer, person=contract.person)

    assert refused.value.message_dict == {"contract": ["Choose one of your Individual Service Funds"]}
    assert CardPayment.objects.count() == 0


@pytest.mark.parametrize("status", [ContractStatus.OFFERED, ContractStatus.SUSPENDED, ContractStatus.ENDED])
def test_paying_into_a_contract_not_in_force_is_refused(on_localstripe, payer, contract, status):
    contract.status = status
    contract.save(update_fields=["status"])

    with pytest.raises(ValidationError) as refused:
        start(contract, payer)

    assert "in force" in refused.value.message_dict["contract"][0]
    assert CardPayment.objects.count() == 0


@pytest.mark.parametrize("amount, message", [
    (0, "Enter an amount more than £0"),
    (-100, "Enter an amount more than £0"),
    (500_001, "Enter an amount of £5,000.00 or less"),
    (Decimal("10.5"), "Enter the amount in pounds and pence, like 24.50"),
    (12.5, "Enter the amount in pounds and pence, like 24.50"),
])
def test_amounts_must_be_whole_pence_above_nothing_and_at_most_5000_pounds(on_localstripe, contract, payer, amount,
                                                                            message):
    with pytest.raises(ValidationError) as refused:
        start(contract, payer, amount_pence=amount)

    assert refused.value.message_dict == {"amount": [message]}
    assert CardPayment.objects.count() == 0


def test_exactly_5000_pounds_is_accepted(on_localstripe, contract, payer):
    assert start(contract, payer, amount_pence=500_000).amount_pence == 500_000


def test_when_stripe_does_not_answer_the_same_form_can_be_sent_again(stripe_keys, localstripe_url, contract, payer):
    stripe_keys.STRIPE_API_BASE = "http://127.0.0.1:9"
    token = uuid.uuid4()

    with pytest.raises(ValidationError) as refused:
        start(contract, payer, token=token)
    assert "not answering" in refused.value.messages[0]
    kept = CardPayment.objects.get()
    assert (kept.status, kept.payment_intent_id) == (CardPaymentStatus.STARTED, None)

    stripe_keys.STRIPE_API_BASE = localstripe_url
    card_payment = start(contract, payer, token=token)

    assert card_payment.pk == kept.pk
    assert card_payment.payment_intent_id.startswith("pi_")


# Webhook outcomes -----------------------------------------------------------------------------------------

def started(contract, payer, intent_id="pi_test_1", amount_pence=16_000) -> CardPayment:
    return CardPayment.objects.create(person=contract.person, contract=contract, purpose=CONTRIBUTION,
                                      amount_pence=amount_pence, idempotency_key=f"card:{uuid.uuid4()}",
                                      payment_intent_id=intent_id, started_by=payer)


def test_succeeded_twice_posts_once(contract, payer):
    card_payment = started(contract, payer)

    card_payment_succeeded(payment_intent_id="pi_test_1", amount_pence=16_000, event_id="evt_1")
    again = card_payment_succeeded(payment_intent_id="pi_test_1", amount_pence=16_000, event_id="evt_2")

    assert again.ledger_transaction == CardPayment.objects.get(pk=card_payment.pk).ledger_transaction
    assert LedgerTransaction.objects.filter(kind=TransactionKind.CONTRIBUTION).count() == 1
    assert fund_and_contribution(contract) == (16_000, -16_000)


def test_an_amount_that_does_not_match_is_recorded_and_nothing_is_posted(client, stripe_keys, contract, payer):
    card_payment = started(contract, payer)
    event = {"id": "evt_mismatch", "type": "payment_intent.succeeded", "object": "event",
             "data": {"object": {"id": "pi_test_1", "object": "payment_intent", "amount": 100, "currency": "gbp"}}}

    response = deliver_signed(client, event)

    assert response.status_code == 200
    assert StripeEvent.objects.get().outcome.startswith("Not applied: Stripe reports £1.00 paid but £160.00")
    card_payment.refresh_from_db()
    assert card_payment.status == CardPaymentStatus.STARTED
    assert LedgerTransaction.objects.filter(kind=TransactionKind.CONTRIBUTION).count() == 0


def test_an_intent_the_platform_did_not_start_is_recorded_and_changes_nothing(client, stripe_keys):
    event = {"id": "evt_stranger", "type": "payment_intent.succeeded", "object": "event",
             "data": {"object": {"id": "pi_stranger", "object": "payment_intent", "amount": 100, "currency": "gbp"}}}

    response = deliver_signed(client, event)

    assert response.status_code == 200
    assert StripeEvent.objects.get().outcome == "No card payment was started as pi_stranger; nothing changed"


def test_cancelled_then_cannot_undo_a_payment_already_made(client, stripe_keys, contract, payer):
    card_payment = started(contract, payer)
    card_payment_succeeded(payment_intent_id="pi_test_1", amount_pence=16_000, event_id="evt_1")

    card_payment_failed(payment_intent_id="pi_test_1", reason="Cancelled")

    card_payment.refresh_from_db()
    assert card_payment.status == CardPaymentStatus.SUCCEEDED


def test_a_failed_payment_paid_on_a_second_try_is_recorded(client, stripe_keys, contract, payer):
    card_payment = started(contract, payer)
    deliver_signed(client, {"id": "evt_c1", "type": "payment_intent.payment_failed", "object": "event", "data": {
        "object": {"id": "pi_test_1", "object": "payment_intent", "amount": 16_000,
                   "last_payment_error": {"message": "Your card was declined."}}}})
    card_payment.refresh_from_db()
    assert (card_payment.status, card_payment.failure_reason) == (CardPaymentStatus.FAILED, "Your card was declined.")

    deliver_signed(client, {"id": "evt_c2", "type": "payment_intent.succeeded", "object": "event", "data": {
        "object": {"id": "pi_test_1", "object": "payment_intent", "amount": 16_000, "currency": "gbp"}}})

    card_payment.refresh_from_db()
    assert card_payment.status == CardPaymentStatus.SUCCEEDED
    assert card_payment.failure_reason == ""
    assert fund_and_contribution(contract) == (16_000, -16_000)


def test_a_cancelled_intent_fails_the_card_payment(client, stripe_keys, contract, payer):
    card_payment = started(contract, payer)

    deliver_signed(client, {"id": "evt_x", "type": "payment_intent.canceled", "object": "event", "data": {
        "object": {"id": "pi_test_1", "object": "payment_intent", "amount": 16_000}}})

    card_payment.refresh_from_db()
    assert (card_payment.status, card_payment.failure_reason) == (CardPaymentStatus.FAILED,
                                                                  "The card payment was cancelled")
