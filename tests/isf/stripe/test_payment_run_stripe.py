"""A payment run paying providers through Stripe Connect, end to end: the run sends a transfer per
contract and period with the payment's key, Stripe's signed webhook settles it, and a transfer
whose answer never came back (a timeout) is sent again with the same key by the next run without
a second transfer."""

import pytest

from isf.constants import Gateway, PaymentStatus, RunTrigger
from isf.models import Payment
from isf.services import payment_run_execute, payment_run_start
from tests.isf.payments.factories import START, paid_contract
from tests.isf.stripe.conftest import make_event, stripe_payee

pytestmark = pytest.mark.django_db


def run_stripe(run_on=START):
    run = payment_run_start(by=None, trigger=RunTrigger.COMMAND, run_on=run_on, gateway=Gateway.STRIPE)
    return payment_run_execute(run=run)


def stripe_contract():
    contract = paid_contract(with_bank=False)
    stripe_payee(contract.provider, stripe_account_id="acct_1RunProvider")
    return contract


def test_the_run_transfers_each_contracts_period_once_and_the_webhook_settles_it(fake_connect, deliver):
    contract = stripe_contract()

    run = run_stripe()

    payment = Payment.objects.get(contract=contract)
    assert run.payments_made == 1 and run.failures == []
    assert payment.status == PaymentStatus.SENT and payment.gateway == Gateway.STRIPE
    transfer = fake_connect.transfers[payment.gateway_reference]
    assert transfer["amount"] == payment.amount_pence and transfer["destination"] == "acct_1RunProvider"
    assert fake_connect.transfers_per_key[payment.idempotency_key] == 1

    # The same run again, and a later one, send nothing more.
    payment_run_execute(run=run)
    run_stripe()
    assert fake_connect.transfer_count == 1

    response = deliver(make_event("transfer.created", transfer))
    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SETTLED


def test_a_transfer_that_timed_out_is_retried_with_the_same_key_and_made_once(fake_connect):
    contract = stripe_contract()
    fake_connect.time_out_next(1)

    first = run_stripe()

    payment = Payment.objects.get(contract=contract)
    assert payment.status == PaymentStatus.FAILED
    assert [failure["payment"] for failure in first.failures] == [payment.pk]
    # Stripe made the transfer; we could not know.
    assert fake_connect.transfer_count == 1

    run_stripe()

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SENT
    assert fake_connect.transfer_count == 1
    assert fake_connect.transfers_per_key[payment.idempotency_key] == 1
    assert payment.gateway_reference in fake_connect.transfers


def test_a_provider_without_a_connected_account_is_listed_as_a_failure_and_nothing_is_sent(fake_connect):
    contract = paid_contract()  # bank details, no Stripe account

    run = run_stripe()

    payment = Payment.objects.get(contract=contract)
    assert payment.status == PaymentStatus.FAILED
    assert run.failures[0]["reason"] == (f"{contract.provider.name} has no Stripe connected account: "
                                         "add it to their payment details")
    assert fake_connect.transfer_count == 0
