"""Payment gateways: how a recorded payment leaves the platform.

Every gateway takes a :class:`~isf.models.Payment` that is already recorded (with its idempotency
key) and posted to the ledger, and either returns :class:`Sent` or raises :class:`GatewayError`.
A gateway must be safe to call again with the same payment: the payment run retries a payment that
failed, or whose outcome was never recorded (a crash after sending), with the same key, and the
gateway must not pay it twice (Stripe dedupes on the ``Idempotency-Key`` header; a payment file
holds one line per payment).

- ``file`` (:mod:`isf.gateways.payment_file`): a BACS line in the run's payment file for the
  council's finance system; the embedded default, no network.
- ``stripe`` (:mod:`isf.gateways.stripe_connect`): a Stripe Connect transfer to the provider's
  connected account; settlement or failure arrives later by webhook.
"""

from dataclasses import dataclass
from typing import Protocol

from isf.constants import Gateway
from isf.models import Payment


@dataclass(frozen=True)
class Sent:
    """The gateway took the payment: ``reference`` is its own id for it (a Stripe transfer id, a
    payment-file line reference); ``settled`` is True when no later confirmation is expected."""

    reference: str
    settled: bool = False


class GatewayError(Exception):
    """The gateway did not take the payment. ``reason`` is shown to finance officers as it is;
    ``retryable`` False means retrying cannot help until someone changes something (for example
    the payee has no bank details)."""

    def __init__(self, reason: str, *, retryable: bool = True):
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class PaymentGateway(Protocol):
    name: str
    # True when sending makes no network call (a payment file): the run then sends a chunk of
    # payments in one transaction. A network gateway sends each in its own.
    batch_safe: bool

    def send(self, payment: Payment) -> Sent: ...


def gateway_for(name: str) -> PaymentGateway:
    """The gateway called ``name`` (:class:`isf.constants.Gateway`)."""
    if name == Gateway.STRIPE:
        from isf.gateways.stripe_connect import StripeConnectGateway

        return StripeConnectGateway()
    if name == Gateway.PAYMENT_FILE:
        from isf.gateways.payment_file import PaymentFileGateway

        return PaymentFileGateway()
    raise ValueError(f"{name} is not a payment gateway")
