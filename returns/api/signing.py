"""Our own webhook signature, for the store's ``POST /api/v1/orders``:
``X-Alotrop-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">``.

The scheme Stripe uses for its own webhooks: the timestamp inside the signed text
stops a captured request from being replayed later, the comparison takes the same
time whatever the guess, and several ``v1`` values let a store roll its secret.

It signs a request, not an order, so it stays with the API (an import file is never signed);
each provider's check lives with its mapping in ``returns.integrations``.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from returns.integrations import WebhookRejected

TOLERANCE_SECONDS = 300


def signature_for(body: bytes, secret: str, timestamp: int) -> str:
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def header_for(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """What a sender puts in X-Alotrop-Signature (used by the tests and the benchmark)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={signature_for(body, secret, timestamp)}"


def verify(header: str | None, body: bytes, secret: str, *, now: float | None = None) -> None:
    if not secret:
        raise WebhookRejected("The webhook is not configured (no secret).")
    if not header:
        raise WebhookRejected("The X-Alotrop-Signature header is missing.")
    timestamp, candidates = None, []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise WebhookRejected("The X-Alotrop-Signature header must read t=<unix seconds>,v1=<hex signature>.")
    now = time.time() if now is None else now
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise WebhookRejected("The signature's timestamp is more than 5 minutes from now; sign the request again.")
    expected = signature_for(body, secret, timestamp)
    # compare_digest takes the same time however much of a guess matches.
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise WebhookRejected("The signature does not match the body.")
