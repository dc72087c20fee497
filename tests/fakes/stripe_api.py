"""A small stand-in for Stripe's API on 127.0.0.1, for the official ``stripe`` library to talk to.

It keeps payment intents and refunds in memory and behaves as Stripe documents:
an ``Idempotency-Key`` seen before answers with the first answer (and
``Idempotent-Replayed: true``), a refund larger than what is left on the charge is
refused (400, ``amount_too_large``), amounts are integers in minor units. It can be
told to misbehave for the next request(s): ``timeout`` (makes the refund, answers too
late), ``500`` (answers an error, makes nothing) or ``decline`` (402, makes nothing).
"""

from __future__ import annotations

import contextlib
import json
import secrets
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.local_server import LocalServer

API_KEY = "sk_test_fake_alotrop"


def _form(body: str) -> dict:
    """Stripe's form encoding (``metadata[rma]=…``, ``expand[0]=…``) into nested dicts."""
    out: dict = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        if "[" in key:
            outer, inner = key.split("[", 1)
            out.setdefault(outer, {})[inner.rstrip("]")] = value
        else:
            out[key] = value
    return out


class FakeStripe(LocalServer):
    def __init__(self, *, refund_status: str = "succeeded", slow_seconds: float = 2.0):
        self.refund_status = refund_status  # what a new refund's status is: succeeded or pending
        self.slow_seconds = slow_seconds  # how late a "timeout" answer comes
        self.payment_intents: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.answers: dict[str, tuple[int, dict]] = {}  # idempotency key -> first answer
        self.misbehave: deque[str] = deque()
        self.requests: list[tuple[str, str, dict, dict]] = []  # method, path, params, headers
        self.lock = threading.Lock()
        self._serve()

    # --- test controls -----------------------------------------------------

    @property
    def url(self) -> str:
        return self.base_url

    def add_payment(self, pi: str, *, amount: int, currency: str = "usd", refunded: int = 0) -> str:
        charge = f"ch_{secrets.token_hex(8)}"
        self.payment_intents[pi] = {
            "id": pi,
            "object": "payment_intent",
            "amount": amount,
            "amount_received": amount,
            "currency": currency,
            "status": "succeeded",
            "latest_charge": charge,
            "_charge": {
                "id": charge,
                "object": "charge",
                "amount": amount,
                "amount_captured": amount,
                "currency": currency,
                "payment_intent": pi,
                "captured": True,
                "_refunded_elsewhere": refunded,
            },
        }
        return pi

    def fail_next(self, how: str, times: int = 1) -> None:
        assert how in ("timeout", "500", "decline")
        self.misbehave.extend([how] * times)

    def refunds_for(self, pi: str) -> list[dict]:
        return [r for r in self.refunds.values() if r["payment_intent"] == pi]

    def settle(self, refund_id: str, status: str, failure_reason: str | None = None) -> dict:
        """Stripe finishing a pending refund; returns the refund object a webhook carries."""
        refund = self.refunds[refund_id]
        refund["status"] = status
        refund["failure_reason"] = failure_reason
        return dict(refund)

    # --- Stripe's behaviour ------------------------------------------------------

    def _refunded(self, pi: str) -> int:
        charge = self.payment_intents[pi]["_charge"]
        ours = sum(r["amount"] for r in self.refunds_for(pi) if r["status"] not in ("failed", "canceled"))
        return charge["_refunded_elsewhere"] + ours

    def _intent(self, pi: str, expand: bool) -> dict:
        intent = {k: v for k, v in self.payment_intents[pi].items() if not k.startswith("_")}
        if expand:
            charge = {k: v for k, v in self.payment_intents[pi]["_charge"].items() if not k.startswith("_")}
            charge["amount_refunded"] = self._refunded(pi)
            intent["latest_charge"] = charge
        return intent

    @staticmethod
    def _error(status: int, kind: str, message: str, code: str | None = None) -> tuple[int, dict]:
        return status, {"error": {"type": kind, "message": message, "code": code}}

    def _create_refund(self, params: dict) -> tuple[int, dict]:
        pi = params.get("payment_intent", "")
        if pi not in self.payment_intents:
            return self._error(400, "invalid_request_error", f"No such payment_intent: '{pi}'", "resource_missing")
        try:
            amount = int(params["amount"])
        except (KeyError, ValueError):
            return self._error(400, "invalid_request_error", "Invalid integer: amount", "parameter_invalid_integer")
        charge = self.payment_intents[pi]["_charge"]
        left = charge["amount_captured"] - self._refunded(pi)
        if amount <= 0 or amount > left:
            return self._error(
                400,
                "invalid_request_error",
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
                "amount_too_large",
            )
        refund = {
            "id": f"re_{secrets.token_hex(12)}",
            "object": "refund",
            "amount": amount,
            "currency": charge["currency"],
            "charge": charge["id"],
            "payment_intent": pi,
            "status": self.refund_status,
            "failure_reason": None,
            "metadata": params.get("metadata", {}),
            "created": int(time.time()),
        }
        self.refunds[refund["id"]] = refund
        return 200, dict(refund)

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, body: dict, replayed: bool = False):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", f"req_{secrets.token_hex(6)}")
                if replayed:
                    self.send_header("Idempotent-Replayed", "true")
                self.end_headers()
                # The client may have given up (a timeout): as with Stripe, what was done stays done.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

            def _authorized(self) -> bool:
                if self.headers.get("Authorization") != f"Bearer {API_KEY}":
                    self._send(*fake._error(401, "invalid_request_error", "Invalid API Key provided"))
                    return False
                return True

            def do_GET(self):
                parts = urlsplit(self.path)
                params = _form(parts.query)
                with fake.lock:
                    fake.requests.append(("GET", parts.path, params, dict(self.headers)))
                if not self._authorized():
                    return
                path = parts.path.rstrip("/")
                with fake.lock:
                    if path.startswith("/v1/payment_intents/"):
                        pi = path.rsplit("/", 1)[1]
                        if pi not in fake.payment_intents:
                            missing = f"No such payment_intent: '{pi}'"
                            return self._send(*fake._error(404, "invalid_request_error", missing))
                        return self._send(200, fake._intent(pi, "latest_charge" in str(params.get("expand", ""))))
                    if path == "/v1/refunds":
                        data = [dict(r) for r in fake.refunds.values()]
                        if params.get("payment_intent"):
                            data = [r for r in data if r["payment_intent"] == params["payment_intent"]]
                        page = {"object": "list", "data": data, "has_more": False, "url": "/v1/refunds"}
                        return self._send(200, page)
                    if path.startswith("/v1/refunds/"):
                        refund = fake.refunds.get(path.rsplit("/", 1)[1])
                        if refund is None:
                            return self._send(*fake._error(404, "invalid_request_error", "No such refund"))
                        return self._send(200, dict(refund))
                self._send(*fake._error(404, "invalid_request_error", f"Unrecognized request URL (GET: {path})"))

            def do_POST(self):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                params = _form(self.rfile.read(length).decode())
                key = self.headers.get("Idempotency-Key")
                with fake.lock:
                    fake.requests.append(("POST", parts.path, params, dict(self.headers)))
                if not self._authorized():
                    return
                if parts.path != "/v1/refunds":
                    return self._send(*fake._error(404, "invalid_request_error", "Unrecognized request URL"))
                with fake.lock:
                    if key and key in fake.answers:
                        return self._send(*fake.answers[key], replayed=True)
                    how = fake.misbehave.popleft() if fake.misbehave else None
                    if how == "500":
                        answer = fake._error(500, "api_error", "An unknown error occurred")
                    elif how == "decline":
                        answer = fake._error(402, "card_error", "The card issuer declined the refund.", "card_declined")
                    else:
                        answer = fake._create_refund(params)
                    if key and how != "500":
                        fake.answers[key] = answer
                if how == "timeout":
                    time.sleep(fake.slow_seconds)
                self._send(*answer)

        return Handler
