"""Fixtures for Stripe: keys, the fake Connect server, localstripe, signed webhook deliveries, and
ISF payments sent through Stripe.

Nothing here reaches the internet: every Stripe call goes to 127.0.0.1.
"""

import datetime
import hashlib
import hmac
import itertools
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from isf import ledger
from isf.constants import AccountKind, Gateway, PaymentKind, PaymentStatus, RunTrigger, TransactionKind
from isf.models import PayeeAccount, Payment, PaymentRun
from tests.isf.factories_ledger import ledger_contract
from tests.isf.stripe.fake_connect import FakeConnect

SECRET_KEY = "sk_test_mixedmarket"
WEBHOOK_SECRET = "whsec_mixedmarkettestsecret"
PUBLISHABLE_KEY = "pk_test_mixedmarket"
WEBHOOK_PATH = "/webhooks/stripe/"

_references = itertools.count(1)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def stripe_keys(settings):
    """Stripe switched on with test keys; a short client timeout so timeouts are quick to test."""
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_PUBLISHABLE_KEY = PUBLISHABLE_KEY
    settings.STRIPE_TIMEOUT_SECONDS = 1
    settings.PAYMENT_GATEWAY = "stripe"
    return settings


@pytest.fixture
def fake_connect(stripe_keys):
    """The fake Connect server, running, with ``STRIPE_API_BASE`` pointing at it."""
    server = FakeConnect(api_key=SECRET_KEY).start()
    stripe_keys.STRIPE_API_BASE = server.url
    yield server
    server.stop()


@pytest.fixture(scope="session")
def localstripe_url():
    """``localstripe`` running on a free port of 127.0.0.1 for the whole session."""
    port = _free_port()
    command = [str(Path(sys.executable).parent / "localstripe"), "--port", str(port), "--from-scratch"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(f"{url}/js.stripe.com/v3/", timeout=1).close()
            break
        except (urllib.error.URLError, ConnectionError, OSError):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("localstripe did not start") from None
            time.sleep(0.1)
    yield url
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def on_localstripe(stripe_keys, localstripe_url):
    """Stripe settings pointing at localstripe (its API and its stand-in for Stripe.js)."""
    stripe_keys.STRIPE_API_BASE = localstripe_url
    stripe_keys.STRIPE_JS_URL = f"{localstripe_url}/js.stripe.com/v3/"
    return localstripe_url


def signature_header(payload: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header for ``payload``, made the way Stripe makes it."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def make_event(kind: str, obj: dict, *, event_id: str | None = None) -> dict:
    return {"id": event_id or f"evt_test_{next(_references):06d}", "object": "event", "type": kind,
            "created": int(time.time()), "livemode": False, "api_version": "2025-01-01",
            "data": {"object": obj}}


@pytest.fixture
def deliver(client):
    """``deliver(event, **signature options)`` posts the event to the webhook as Stripe would."""

    def post(event: dict, *, header: str | None = None, **options):
        payload = json.dumps(event).encode()
        headers = {} if header == "" else {"HTTP_STRIPE_SIGNATURE": header or signature_header(payload, **options)}
        return client.post(WEBHOOK_PATH, data=payload, content_type="application/json", **headers)

    return post


# ISF payments ----------------------------------------------------------------------------------------

def stripe_payee(organisation, *, stripe_account_id: str = "acct_1TestProvider") -> PayeeAccount:
    return PayeeAccount.objects.create(organisation=organisation, holder_name=organisation.name[:140],
                                       sort_code="309430", account_number="00733445",
                                       stripe_account_id=stripe_account_id)


def isf_payment(contract=None, *, status=PaymentStatus.PENDING, amount_pence: int = 153_600,
                period_start: datetime.date = datetime.date(2026, 5, 4), gateway_reference: str = "") -> Payment:
    """A recorded ISF release for ``contract`` (a new active contract if not given), posted to the
    ledger, to be sent by Stripe; ``status`` as given."""
    contract = contract or ledger_contract()
    number = next(_references)
    run = PaymentRun.objects.create(reference=f"RUN-STRIPE-{number:05d}", run_on=period_start - datetime.timedelta(days=7),
                                    covers_until=period_start, gateway=Gateway.STRIPE, trigger=RunTrigger.COMMAND)
    release = ledger.post(
        kind=TransactionKind.RELEASE, description=f"Release for {contract.reference}",
        occurred_on=period_start - datetime.timedelta(days=7), contract=contract,
        entries=[(ledger.council_account(AccountKind.COUNCIL_FUNDING), -amount_pence),
                 (ledger.contract_fund_account(contract), amount_pence)],
        idempotency_key=f"isf:{contract.pk}:{period_start.isoformat()}")
    return Payment.objects.create(
        idempotency_key=f"isf:{contract.pk}:{period_start.isoformat()}", kind=PaymentKind.ISF_RELEASE, run=run,
        contract=contract, person=contract.person, payee_organisation=contract.provider, period_start=period_start,
        period_end=period_start + datetime.timedelta(days=27), release_pence=amount_pence, amount_pence=amount_pence,
        status=status, gateway=Gateway.STRIPE, gateway_reference=gateway_reference, release=release)
