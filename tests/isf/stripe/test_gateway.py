"""The Stripe Connect gateway against the fake Connect server: one transfer per payment however
often it is sent."""

import pytest

from isf import stripe_client
from isf.constants import Gateway, PaymentKind
from isf.gateways import GatewayError, Sent, gateway_for
from isf.gateways.stripe_connect import RETRY_LATER, StripeConnectGateway
from tests.isf.stripe.conftest import isf_payment, stripe_payee

pytestmark = pytest.mark.django_db


@pytest.fixture
def payment(fake_connect):
    payment = isf_payment()
    stripe_payee(payment.payee_organisation)
    return payment


def test_gateway_for_stripe_is_the_connect_gateway():
    assert isinstance(gateway_for(Gateway.STRIPE), StripeConnectGateway)


def test_send_makes_one_transfer_to_the_connected_account(fake_connect, payment):
    sent = StripeConnectGateway().send(payment)

    assert sent == Sent(reference=sent.reference, settled=False)
    transfer = fake_connect.transfers[sent.reference]
    assert transfer["amount"] == 153_600
    assert transfer["currency"] == "gbp"
    assert transfer["destination"] == "acct_1TestProvider"
    assert transfer["metadata"] == {"payment_key": payment.idempotency_key, "contract": payment.contract.reference,
                                    "period_start": "2026-05-04"}
    assert fake_connect.transfers_per_key == {payment.idempotency_key: 1}
    method, path, headers = fake_connect.requests[-1]
    assert (method, path) == ("POST", "/v1/transfers")
    assert headers["Idempotency-Key"] == payment.idempotency_key


def test_sending_again_returns_the_same_transfer_without_paying_twice(fake_connect, payment):
    """A crash after sending and before recording: the next run sends the same payment again."""
    first = StripeConnectGateway().send(payment)
    again = StripeConnectGateway().send(payment)

    assert again.reference == first.reference
    assert fake_connect.transfer_count == 1


def test_retry_after_a_stripe_fault_makes_exactly_one_transfer(fake_connect, payment):
    fake_connect.fail_next(status=500)

    with pytest.raises(GatewayError) as failed:
        StripeConnectGateway().send(payment)
    assert failed.value.retryable is True
    assert failed.value.reason == RETRY_LATER
    assert fake_connect.transfer_count == 0

    sent = StripeConnectGateway().send(payment)
    assert fake_connect.transfers_per_key == {payment.idempotency_key: 1}
    assert sent.reference in fake_connect.transfers


def test_retry_after_a_timeout_returns_the_transfer_stripe_made_meanwhile(fake_connect, payment):
    fake_connect.time_out_next(seconds=2.5)  # the client gives up after 1 s; the fake made the transfer

    with pytest.raises(GatewayError) as failed:
        StripeConnectGateway().send(payment)
    assert failed.value.retryable is True
    assert "retried with the same key" in failed.value.reason

    sent = StripeConnectGateway().send(payment)
    assert fake_connect.transfer_count == 1
    assert fake_connect.transfers_per_key == {payment.idempotency_key: 1}
    assert sent.reference == next(iter(fake_connect.transfers))


def test_a_refused_transfer_is_not_retried(fake_connect, payment):
    fake_connect.fail_next(status=402)

    with pytest.raises(GatewayError) as failed:
        StripeConnectGateway().send(payment)

    assert failed.value.retryable is False
    assert failed.value.reason == "Stripe refused the transfer: The transfer was declined."


def test_provider_without_connected_account_is_refused_without_calling_stripe(fake_connect):
    payment = isf_payment()
    stripe_payee(payment.payee_organisation, stripe_account_id="")

    with pytest.raises(GatewayError) as failed:
        StripeConnectGateway().send(payment)

    assert failed.value.retryable is False
    assert "has no Stripe connected account" in failed.value.reason
    assert fake_connect.requests == []


def test_provider_without_payment_details_is_refused(fake_connect):
    payment = isf_payment()

    with pytest.raises(GatewayError) as failed:
        StripeConnectGateway().send(payment)

    assert failed.value.retryable is False
    assert payment.payee_organisation.name in failed.value.reason


def test_direct_payment_to_a_person_is_refused(fake_connect, payment):
    payment.kind = PaymentKind.DIRECT_PAYMENT
    payment.payee_organisation = None

    with pytest.raises(GatewayError) as failed:
        StripeConnectGateway().send(payment)

    assert failed.value.retryable is False
    assert "payment file" in failed.value.reason
    assert fake_connect.requests == []


# The client itself ------------------------------------------------------------------------------------

def test_the_fake_insists_on_an_idempotency_key_and_refuses_it_with_other_parameters(fake_connect):
    transfer = stripe_client.create_transfer(amount_pence=100, destination="acct_1X", idempotency_key="k-1",
                                             description="One", metadata={})
    assert transfer.startswith("tr_")

    with pytest.raises(stripe_client.StripeRefused) as refused:
        stripe_client.create_transfer(amount_pence=200, destination="acct_1X", idempotency_key="k-1",
                                      description="One", metadata={})
    assert refused.value.status == 400
    assert "same parameters" in refused.value.message
    assert fake_connect.transfer_count == 1


def test_a_wrong_secret_key_is_refused(fake_connect, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_wrong"

    with pytest.raises(stripe_client.StripeRefused) as refused:
        stripe_client.create_transfer(amount_pence=100, destination="acct_1X", idempotency_key="k-2",
                                      description="One", metadata={})
    assert refused.value.status == 401


def test_stripe_unreachable_is_retryable(stripe_keys):
    stripe_keys.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens on the discard port

    with pytest.raises(stripe_client.StripeUnavailable):
        stripe_client.create_transfer(amount_pence=100, destination="acct_1X", idempotency_key="k-3",
                                      description="One", metadata={})


def test_create_connected_account_and_read_a_transfer_back(fake_connect):
    account = stripe_client.create_connected_account(organisation_name="Sunrise Care", email="pay@sunrise.test")
    transfer_id = stripe_client.create_transfer(amount_pence=2_500, destination=account, idempotency_key="k-4",
                                                description="Test", metadata={"payment_key": "k-4"})

    assert account.startswith("acct_")
    assert fake_connect.accounts[account]["email"] == "pay@sunrise.test"
    transfer = stripe_client.retrieve_transfer(transfer_id)
    assert (transfer["amount"], transfer["destination"]) == (2_500, account)


def test_without_a_secret_key_nothing_is_sent(settings):
    settings.STRIPE_SECRET_KEY = ""

    assert stripe_client.is_configured() is False
    with pytest.raises(stripe_client.StripeRefused):
        stripe_client.create_transfer(amount_pence=100, destination="acct_1X", idempotency_key="k-5",
                                      description="One", metadata={})
