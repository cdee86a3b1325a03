"""Stripe Connect: an ISF payment is a Transfer from the council's Stripe balance to the provider's
connected account. The payment's idempotency key is sent as Stripe's ``Idempotency-Key``, so a
retry after a timeout, or after a crash between sending and recording, returns the transfer already
made instead of paying twice. Settlement (or a reversal) arrives later by webhook
(:mod:`isf.services.stripe_events`)."""

from isf import stripe_client
from isf.constants import Gateway, PaymentKind
from isf.gateways import GatewayError, Sent
from isf.models import Payment, PayeeAccount

RETRY_LATER = "Stripe did not answer in time; it will be retried with the same key"


class StripeConnectGateway:
    name = Gateway.STRIPE
    batch_safe = False  # a network call per payment, each in its own transaction

    def send(self, payment: Payment) -> Sent:
        """Transfer ``payment.amount_pence`` to the provider's connected account and return the
        transfer id, not yet settled. Raises ``GatewayError`` (not retryable) for a direct payment
        to a person (those go by payment file), a provider without a connected account, or a
        transfer Stripe refuses; (retryable) when Stripe does not answer."""
        if payment.kind != PaymentKind.ISF_RELEASE or payment.payee_organisation_id is None:
            raise GatewayError("Direct payments to people are paid by payment file, not by Stripe",
                               retryable=False)
        account = (PayeeAccount.objects.filter(organisation_id=payment.payee_organisation_id)
                   .select_related("organisation").first())
        if account is None or not account.stripe_account_id:
            name = account.organisation.name if account is not None else payment.payee_organisation.name
            raise GatewayError(f"{name} has no Stripe connected account: add it to their payment details",
                               retryable=False)
        contract = payment.contract
        try:
            transfer_id = stripe_client.create_transfer(
                amount_pence=payment.amount_pence,
                destination=account.stripe_account_id,
                idempotency_key=payment.idempotency_key,
                description=f"ISF {contract.reference} from {payment.period_start:%d %b %Y}",
                metadata={"payment_key": payment.idempotency_key, "contract": contract.reference,
                          "period_start": payment.period_start.isoformat()},
            )
        except stripe_client.StripeUnavailable:
            raise GatewayError(RETRY_LATER, retryable=True) from None
        except stripe_client.StripeRefused as error:
            raise GatewayError(f"Stripe refused the transfer: {error.message}", retryable=False) from None
        return Sent(reference=transfer_id, settled=False)
