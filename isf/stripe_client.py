"""Everything the platform asks of Stripe, and the only module that imports ``stripe``.

Each call builds its own client from settings (``STRIPE_SECRET_KEY``, ``STRIPE_API_BASE`` — a local
fake server in tests — and ``STRIPE_TIMEOUT_SECONDS``), so a test that changes a setting is seen at
once. The library's own network retries are off: a payment run retries a failed transfer itself,
with the same idempotency key, and a retry hidden inside one call would only make it slower to
report a Stripe that is not answering.

Stripe's exceptions never leave this module. Callers see:

- :class:`StripeUnavailable`: Stripe did not answer, timed out or had a fault of its own (5xx, 429);
  trying again later with the same idempotency key is safe;
- :class:`StripeRefused`: Stripe answered and said no (4xx); ``message`` says why, and trying again
  unchanged will not help;
- :class:`BadSignature`: a webhook whose signature is missing, wrong or too old.
"""

import json
from dataclasses import dataclass

import stripe
from django.conf import settings

__all__ = ["StripeUnavailable", "StripeRefused", "BadSignature", "PaymentIntentInfo", "create_connected_account",
           "create_transfer", "create_payment_intent", "retrieve_payment_intent", "retrieve_transfer",
           "construct_event", "is_configured"]

CURRENCY = "gbp"
# Long enough for Stripe on a bad day, short enough that a payment run over thousands of contracts
# does not stall for minutes on one transfer.
DEFAULT_TIMEOUT_SECONDS = 10
# Stripe's own default: a signed webhook older than this is refused, so a captured request cannot
# be replayed later.
SIGNATURE_TOLERANCE_SECONDS = 300


class StripeUnavailable(Exception):
    """Stripe did not answer in time, could not be reached, or failed on its side. Retryable."""


class StripeRefused(Exception):
    """Stripe answered and refused the request; ``message`` is its reason in words."""

    def __init__(self, message: str, *, status: int | None = None, code: str = ""):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


class BadSignature(Exception):
    """A webhook request that cannot be shown to come from Stripe."""


@dataclass(frozen=True)
class PaymentIntentInfo:
    """What the platform keeps of a PaymentIntent: its id, the secret the payer's browser needs to
    confirm it, its status (``requires_payment_method``, ``succeeded``…) and its amount."""

    id: str
    client_secret: str
    status: str
    amount_pence: int | None = None


def is_configured() -> bool:
    """True when a Stripe secret key is set (card payments and Stripe transfers can be used)."""
    return bool(settings.STRIPE_SECRET_KEY)


def _client() -> stripe.StripeClient:
    key = settings.STRIPE_SECRET_KEY
    if not key:
        raise StripeRefused("Stripe is not set up: STRIPE_SECRET_KEY is empty")
    base = settings.STRIPE_API_BASE
    timeout = settings.STRIPE_TIMEOUT_SECONDS or DEFAULT_TIMEOUT_SECONDS
    return stripe.StripeClient(
        key,
        base_addresses={"api": base.rstrip("/")} if base else None,
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=timeout),
    )


def _translated(error: stripe.StripeError) -> Exception:
    """Our exception for one of Stripe's."""
    if isinstance(error, stripe.APIConnectionError | stripe.RateLimitError):
        return StripeUnavailable(error.user_message or "Stripe could not be reached")
    status = error.http_status
    if status is None or status >= 500:
        return StripeUnavailable(error.user_message or "Stripe had a problem of its own")
    return StripeRefused(error.user_message or f"Stripe refused the request ({status})",
                         status=status, code=error.code or "")


def _call(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except stripe.StripeError as error:
        raise _translated(error) from error


def create_connected_account(*, organisation_name: str, email: str) -> str:
    """Open a Stripe Connect (custom) account for a provider in the UK; returns its ``acct_…`` id."""
    client = _client()
    account = _call(client.v1.accounts.create, params={
        "type": "custom", "country": "GB", "email": email,
        "business_profile": {"name": organisation_name},
        "capabilities": {"transfers": {"requested": True}},
    })
    return account.id


def create_transfer(*, amount_pence: int, destination: str, idempotency_key: str, description: str,
                    metadata: dict[str, str]) -> str:
    """Transfer ``amount_pence`` (GBP) to the connected account ``destination``; returns the ``tr_…``
    id. Sent with Stripe's ``Idempotency-Key`` header: a repeat with the same key and parameters
    returns the first transfer instead of making another."""
    if isinstance(amount_pence, bool) or not isinstance(amount_pence, int) or amount_pence <= 0:
        raise ValueError("amount_pence must be a positive whole number of pence")
    client = _client()
    transfer = _call(client.v1.transfers.create, params={
        "amount": amount_pence, "currency": CURRENCY, "destination": destination,
        "description": description, "metadata": {key: str(value) for key, value in metadata.items()},
    }, options={"idempotency_key": idempotency_key})
    return transfer.id


def retrieve_transfer(transfer_id: str) -> dict:
    """The transfer ``transfer_id`` as Stripe has it (``amount``, ``destination``, ``reversed``…)."""
    client = _client()
    return _call(client.v1.transfers.retrieve, transfer_id).to_dict()


def _intent_info(intent) -> PaymentIntentInfo:
    return PaymentIntentInfo(id=intent.id, client_secret=intent.client_secret or "", status=intent.status or "",
                             amount_pence=intent.to_dict().get("amount"))


def create_payment_intent(*, amount_pence: int, idempotency_key: str, description: str,
                          metadata: dict[str, str]) -> PaymentIntentInfo:
    """A PaymentIntent for a card payment of ``amount_pence`` (GBP), made once per
    ``idempotency_key``."""
    if isinstance(amount_pence, bool) or not isinstance(amount_pence, int) or amount_pence <= 0:
        raise ValueError("amount_pence must be a positive whole number of pence")
    client = _client()
    # The description travels in the metadata: it then shows in Stripe's dashboard and is kept by
    # every Stripe-compatible server (localstripe refuses a top-level description on a PaymentIntent).
    metadata = {key: str(value) for key, value in metadata.items()} | {"description": description[:500]}
    intent = _call(client.v1.payment_intents.create, params={
        "amount": amount_pence, "currency": CURRENCY, "payment_method_types": ["card"], "metadata": metadata,
    }, options={"idempotency_key": idempotency_key})
    return _intent_info(intent)


def retrieve_payment_intent(payment_intent_id: str) -> PaymentIntentInfo:
    """The PaymentIntent ``payment_intent_id`` as Stripe has it now."""
    client = _client()
    return _intent_info(_call(client.v1.payment_intents.retrieve, payment_intent_id))


def construct_event(payload: bytes, signature_header: str) -> dict:
    """The webhook event in ``payload`` as a plain dict, after checking ``signature_header``
    (``Stripe-Signature``) against ``STRIPE_WEBHOOK_SECRET``. Raises :class:`BadSignature` when the
    header is missing or malformed, the signature does not match, it is older than five minutes, no
    secret is configured, or the signed body is not a JSON object."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise BadSignature("Webhooks are not set up: no signing secret is configured")
    if not signature_header:
        raise BadSignature("The Stripe-Signature header is missing")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise BadSignature("The body is not UTF-8 text") from None
    try:
        stripe.WebhookSignature.verify_header(text, signature_header, secret, SIGNATURE_TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError as error:
        raise BadSignature(f"The signature does not match: {error.user_message}") from None
    try:
        event = json.loads(text)
    except ValueError:
        raise BadSignature("The body is not JSON") from None
    if not isinstance(event, dict):
        raise BadSignature("The body is not a Stripe event")
    return event
