"""A small stand-in for the few Stripe Connect endpoints the platform uses, for tests.

localstripe has no connected accounts or transfers, so this server answers ``POST /v1/accounts``,
``POST /v1/transfers`` and ``GET /v1/transfers/<id>`` in Stripe's JSON shape, well enough for the
real ``stripe`` library to parse. Like Stripe it checks the secret key, replays the stored answer
for a repeated ``Idempotency-Key`` with the same parameters, and refuses the same key with other
parameters (400 ``idempotency_error``). Unlike Stripe it insists on the key for every POST, so a
caller that forgets it is caught. Tests can make the next requests fail (a 500, a 402) or time out,
and can count the transfers made per key.
"""

import itertools
import json
import secrets
import threading
import time
from collections import Counter, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl


def _unflatten(pairs: list[tuple[str, str]]) -> dict:
    """``metadata[payment_key]=x`` → ``{"metadata": {"payment_key": "x"}}``, as Stripe reads forms."""
    result: dict = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        target = result
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return result


def _error(kind: str, message: str, **extra) -> dict:
    return {"error": {"type": kind, "message": message, **extra}}


class FakeConnect:
    """A running fake: ``url`` to point ``STRIPE_API_BASE`` at, ``transfers_per_key`` to count."""

    def __init__(self, api_key: str):
        self.api_key = api_key
        self.transfers: dict[str, dict] = {}
        self.accounts: dict[str, dict] = {}
        self.transfers_per_key: Counter = Counter()
        self.requests: list[tuple[str, str, dict]] = []
        self._replies: dict[str, tuple[list, int, dict]] = {}
        self._faults: deque = deque()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeConnect":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # What tests tell it ---------------------------------------------------------------------------

    def fail_next(self, count: int = 1, status: int = 500) -> None:
        """Answer the next ``count`` requests with ``status`` (500: Stripe's fault, nothing done;
        402: refused) instead of handling them."""
        for _ in range(count):
            self._faults.append(("status", status))

    def time_out_next(self, count: int = 1, seconds: float = 3.0) -> None:
        """Handle the next ``count`` requests (the transfer is made) but answer only after
        ``seconds``, beyond the client's timeout: the caller cannot know it worked."""
        for _ in range(count):
            self._faults.append(("slow", seconds))

    @property
    def transfer_count(self) -> int:
        return len(self.transfers)

    # Stripe's behaviour -----------------------------------------------------------------------------

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):04d}{secrets.token_hex(6)}"

    def _create_transfer(self, params: dict, key: str) -> tuple[int, dict]:
        try:
            amount = int(params["amount"])
        except (KeyError, ValueError):
            return 400, _error("invalid_request_error", "Missing required param: amount.", param="amount")
        destination = params.get("destination", "")
        if destination not in self.accounts and not destination.startswith("acct_"):
            return 400, _error("invalid_request_error", f"No such destination: '{destination}'", param="destination")
        transfer_id = self._new_id("tr")
        transfer = {
            "id": transfer_id, "object": "transfer", "amount": amount, "amount_reversed": 0,
            "currency": params.get("currency", "gbp"), "destination": destination,
            "description": params.get("description"), "metadata": params.get("metadata", {}),
            "reversed": False, "created": int(time.time()), "livemode": False,
            "balance_transaction": self._new_id("txn"), "source_transaction": None, "transfer_group": None,
            "reversals": {"object": "list", "data": [], "has_more": False, "total_count": 0,
                          "url": f"/v1/transfers/{transfer_id}/reversals"},
        }
        self.transfers[transfer_id] = transfer
        self.transfers_per_key[key] += 1
        return 200, transfer

    def _create_account(self, params: dict) -> tuple[int, dict]:
        account_id = self._new_id("acct")
        account = {"id": account_id, "object": "account", "type": params.get("type", "custom"),
                   "country": params.get("country", "GB"), "email": params.get("email"),
                   "business_profile": params.get("business_profile", {}), "charges_enabled": False,
                   "payouts_enabled": False, "created": int(time.time()), "metadata": {}}
        self.accounts[account_id] = account
        return 200, account

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, body: dict, delay: float = 0.0) -> None:
                if delay:
                    time.sleep(delay)
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.send_header("Request-Id", f"req_{secrets.token_hex(6)}")
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting, as a timed-out client does

            def _authorised(self) -> bool:
                if self.headers.get("Authorization", "") != f"Bearer {fake.api_key}":
                    self._send(401, _error("invalid_request_error", "Invalid API Key provided"))
                    return False
                return True

            def _fault(self):
                with fake._lock:
                    return fake._faults.popleft() if fake._faults else None

            def do_GET(self):
                fake.requests.append(("GET", self.path, dict(self.headers)))
                if not self._authorised():
                    return
                fault = self._fault()
                if fault and fault[0] == "status":
                    return self._send(fault[1], _error("api_error", "Something went wrong on Stripe's end."))
                delay = fault[1] if fault else 0.0
                path = self.path.split("?")[0].rstrip("/")
                if path.startswith("/v1/transfers/"):
                    transfer = fake.transfers.get(path.rsplit("/", 1)[1])
                    if transfer is None:
                        return self._send(404, _error("invalid_request_error", "No such transfer"))
                    return self._send(200, transfer, delay)
                self._send(404, _error("invalid_request_error", f"Unrecognized request URL (GET: {path})"))

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                pairs = parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True)
                fake.requests.append(("POST", self.path, dict(self.headers)))
                if not self._authorised():
                    return
                key = self.headers.get("Idempotency-Key")
                if not key:
                    return self._send(400, _error("invalid_request_error", "An Idempotency-Key header is required"))
                fault = self._fault()
                if fault and fault[0] == "status":
                    if fault[1] == 402:
                        return self._send(402, _error("card_error", "The transfer was declined.",
                                                      code="transfers_not_allowed"))
                    return self._send(fault[1], _error("api_error", "Something went wrong on Stripe's end."))
                delay = fault[1] if fault else 0.0
                path = self.path.split("?")[0].rstrip("/")
                signature = sorted(pairs)
                with fake._lock:
                    stored = fake._replies.get(key)
                    if stored is not None:
                        if stored[0] != (path, signature):
                            status, body = 400, _error(
                                "idempotency_error",
                                "Keys for idempotent requests can only be used with the same parameters they "
                                "were first used with.")
                        else:
                            status, body = stored[1], stored[2]
                    else:
                        params = _unflatten(pairs)
                        if path == "/v1/transfers":
                            status, body = fake._create_transfer(params, key)
                        elif path == "/v1/accounts":
                            status, body = fake._create_account(params)
                        else:
                            status, body = 404, _error("invalid_request_error",
                                                       f"Unrecognized request URL (POST: {path})")
                        fake._replies[key] = ((path, signature), status, body)
                self._send(status, body, delay)

        return Handler
