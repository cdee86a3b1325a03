"""The webhook endpoint: signed events settle or fail ISF payments once; anything unsigned is refused
and leaves no trace."""

import contextlib
import json
import threading
import time

import pytest
from django.db import connection
from django.test import Client

from isf.constants import PaymentStatus
from isf.models import Payment, StripeEvent
from isf.services import stripe_event_handle
from isf.services.stripe_events import TRANSFER_REVERSED
from marketplace.models import AuditEvent
from tests.isf.stripe.conftest import WEBHOOK_PATH, isf_payment, make_event, signature_header

pytestmark = pytest.mark.django_db


def transfer(payment: Payment, **fields) -> dict:
    return {"id": payment.gateway_reference or "tr_unknown", "object": "transfer", "amount": payment.amount_pence,
            "amount_reversed": 0, "currency": "gbp", "destination": "acct_1TestProvider", "reversed": False,
            "metadata": {"payment_key": payment.idempotency_key}, **fields}


@pytest.fixture
def sent(stripe_keys):
    return isf_payment(status=PaymentStatus.SENT, gateway_reference="tr_1Sent")


def settled_events(payment: Payment) -> int:
    return AuditEvent.objects.filter(verb="payment.settled", target_id=str(payment.pk)).count()


def test_a_signed_transfer_event_settles_the_payment(deliver, sent):
    response = deliver(make_event("transfer.created", transfer(sent)))

    assert response.status_code == 200
    assert response.json()["status"] == "handled"
    sent.refresh_from_db()
    assert sent.status == PaymentStatus.SETTLED
    assert sent.settled_at is not None
    event = StripeEvent.objects.get()
    assert event.type == "transfer.created"
    assert event.outcome == f"Payment {sent.idempotency_key} settled"


def test_the_payment_is_found_by_its_key_when_the_transfer_id_was_never_recorded(deliver, stripe_keys):
    payment = isf_payment(status=PaymentStatus.SENT)

    deliver(make_event("transfer.paid", transfer(payment, id="tr_1LostReply")))

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SETTLED
    assert payment.gateway_reference == "tr_1LostReply"


@pytest.mark.parametrize("header_options", [
    {"secret": "whsec_someoneelse"},
    {"timestamp": int(time.time()) - 3600},
    {"header": "t=1,v1=deadbeef"},
    {"header": "not a signature"},
], ids=["wrong secret", "too old", "forged", "garbage"])
def test_a_bad_signature_is_refused_and_nothing_is_recorded(deliver, sent, header_options):
    response = deliver(make_event("transfer.created", transfer(sent)), **header_options)

    assert response.status_code == 400
    assert "signature" in response.json()["error"].lower()
    assert StripeEvent.objects.count() == 0
    sent.refresh_from_db()
    assert sent.status == PaymentStatus.SENT


def test_a_missing_signature_is_refused(deliver, sent):
    response = deliver(make_event("transfer.created", transfer(sent)), header="")

    assert response.status_code == 400
    assert response.json() == {"error": "The Stripe-Signature header is missing"}
    assert StripeEvent.objects.count() == 0


def test_a_body_changed_after_signing_is_refused(client, sent):
    payload = json.dumps(make_event("transfer.created", transfer(sent))).encode()
    header = signature_header(payload)

    response = client.post(WEBHOOK_PATH, data=payload.replace(b"153600", b"999999"),
                           content_type="application/json", HTTP_STRIPE_SIGNATURE=header)

    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0


def test_webhooks_are_refused_when_no_secret_is_configured(deliver, sent, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""

    response = deliver(make_event("transfer.created", transfer(sent)))

    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0


def test_the_endpoint_needs_no_login_or_csrf_token_but_only_takes_posts(sent):
    csrf_client = Client(enforce_csrf_checks=True)
    payload = json.dumps(make_event("transfer.created", transfer(sent))).encode()

    response = csrf_client.post(WEBHOOK_PATH, data=payload, content_type="application/json",
                                HTTP_STRIPE_SIGNATURE=signature_header(payload))

    assert response.status_code == 200
    assert csrf_client.get(WEBHOOK_PATH).status_code == 405


def test_the_same_event_twice_changes_things_once(deliver, sent):
    event = make_event("transfer.created", transfer(sent))

    first = deliver(event)
    second = deliver(event)

    assert first.json()["status"] == "handled"
    assert second.status_code == 200
    assert second.json()["status"] == "already handled"
    assert StripeEvent.objects.count() == 1
    assert settled_events(sent) == 1


def test_an_event_stored_by_a_racing_delivery_is_reported_as_already_handled(sent):
    """The insert itself decides, not a read before it: the unique id catches a delivery that
    raced past any check."""
    event = make_event("transfer.created", transfer(sent))
    StripeEvent.objects.create(event_id=event["id"], type=event["type"], payload=event, outcome="handled elsewhere")

    record = stripe_event_handle(event=event)

    assert record.repeated is True
    assert record.outcome == "handled elsewhere"
    sent.refresh_from_db()
    assert sent.status == PaymentStatus.SENT


def test_transfer_reversed_fails_a_settled_payment(deliver, sent):
    deliver(make_event("transfer.created", transfer(sent)))

    response = deliver(make_event("transfer.reversed", transfer(sent, reversed=True,
                                                                amount_reversed=sent.amount_pence)))

    assert response.status_code == 200
    sent.refresh_from_db()
    assert sent.status == PaymentStatus.FAILED
    assert sent.last_error == TRANSFER_REVERSED


def test_a_partial_reversal_leaves_the_payment_and_says_so(deliver, sent):
    deliver(make_event("transfer.reversed", transfer(sent, amount_reversed=1000)))

    sent.refresh_from_db()
    assert sent.status == PaymentStatus.SENT
    assert "partly reversed (£10.00)" in StripeEvent.objects.get().outcome


def test_a_transfer_the_platform_did_not_send_is_recorded_and_changes_nothing(deliver, sent):
    response = deliver(make_event("transfer.created", {"id": "tr_1Stranger", "object": "transfer", "metadata": {}}))

    assert response.status_code == 200
    assert StripeEvent.objects.get().outcome == "No payment was sent as transfer tr_1Stranger; nothing changed"
    sent.refresh_from_db()
    assert sent.status == PaymentStatus.SENT


def test_an_event_for_a_payment_not_yet_recorded_as_sent_is_asked_again_later(deliver, stripe_keys):
    """The webhook overtook the payment run: nothing is stored, so Stripe's next delivery settles it."""
    payment = isf_payment(status=PaymentStatus.PENDING)
    event = make_event("transfer.created", transfer(payment, id="tr_1Early"))

    early = deliver(event)

    assert early.status_code == 409
    assert StripeEvent.objects.count() == 0
    Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.SENT, gateway_reference="tr_1Early")
    assert deliver(event).json()["status"] == "handled"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SETTLED


def test_other_event_types_are_recorded_as_ignored(deliver, stripe_keys):
    response = deliver(make_event("customer.created", {"id": "cus_1", "object": "customer"}))

    assert response.status_code == 200
    assert StripeEvent.objects.get().outcome == "ignored"


def test_a_signed_body_that_is_not_an_event_is_refused(client, stripe_keys):
    payload = json.dumps({"hello": "world"}).encode()

    response = client.post(WEBHOOK_PATH, data=payload, content_type="application/json",
                           HTTP_STRIPE_SIGNATURE=signature_header(payload))

    assert response.status_code == 400
    assert "id and a type" in response.json()["error"]
    assert StripeEvent.objects.count() == 0


def test_a_failure_while_applying_an_event_leaves_nothing_behind(deliver, sent, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("isf.services.stripe_events.payment_settle", broken)

    response = deliver(make_event("transfer.created", transfer(sent)))

    assert response.status_code == 503
    assert "nothing was recorded" in response.json()["error"]
    assert StripeEvent.objects.count() == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_deliveries_racing_change_things_once(stripe_keys):
    payment = isf_payment(status=PaymentStatus.SENT, gateway_reference="tr_1Race")
    payload = json.dumps(make_event("transfer.created", transfer(payment))).encode()
    header = signature_header(payload)
    barrier = threading.Barrier(2)
    answers = []
    # PostgreSQL makes the second insert wait for the first transaction and then fail on the unique
    # id. SQLite's in-memory test database cannot make a writer wait (it fails "table is locked"
    # at once, where a file database would wait), so there the deliveries take turns.
    turns = threading.Lock() if connection.vendor == "sqlite" else contextlib.nullcontext()

    def post():
        try:
            barrier.wait()
            with turns:
                answers.append(Client().post(WEBHOOK_PATH, data=payload, content_type="application/json",
                                             HTTP_STRIPE_SIGNATURE=header).json()["status"])
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answers) == ["already handled", "handled"]
    assert StripeEvent.objects.count() == 1
    assert settled_events(payment) == 1
