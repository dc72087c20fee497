"""Signed webhooks: ``X-Alotrop-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">``.

The scheme Stripe uses for its own webhooks: the timestamp inside the signed text
stops a captured request from being replayed later, the comparison takes the same
time whatever the guess, and several ``v1`` values let a store roll its secret.

Shopify signs its own way: ``X-Shopify-Hmac-Sha256`` is base64 of the HMAC-SHA256 of
the raw body (no timestamp; ``X-Shopify-Webhook-Id`` de-duplicates instead).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

TOLERANCE_SECONDS = 300


class BadSignature(Exception):
    """Why a request is not believed; the message is safe to send back (it names no secret)."""


def signature_for(body: bytes, secret: str, timestamp: int) -> str:
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def header_for(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """What a sender puts in X-Alotrop-Signature (used by the tests and the benchmark)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={signature_for(body, secret, timestamp)}"


def verify(header: str | None, body: bytes, secret: str, *, now: float | None = None) -> None:
    if not secret:
        raise BadSignature("The webhook is not configured (no secret).")
    if not header:
        raise BadSignature("The X-Alotrop-Signature header is missing.")
    timestamp, candidates = None, []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise BadSignature("The X-Alotrop-Signature header must read t=<unix seconds>,v1=<hex signature>.")
    now = time.time() if now is None else now
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise BadSignature("The signature's timestamp is more than 5 minutes from now; sign the request again.")
    expected = signature_for(body, secret, timestamp)
    # compare_digest takes the same time however much of a guess matches.
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise BadSignature("The signature does not match the body.")


def shopify_signature(body: bytes, secret: str) -> str:
    """What Shopify sends in X-Shopify-Hmac-Sha256: base64 of the HMAC-SHA256 of the raw body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify_shopify(header: str | None, body: bytes, secrets: str) -> None:
    """``secrets``: one, or several separated by commas (a secret being rolled, or webhooks made in the
    Shopify admin and by an app, which sign with different secrets)."""
    candidates = [secret.strip() for secret in secrets.split(",") if secret.strip()]
    if not candidates:
        raise BadSignature("The webhook is not configured (no secret).")
    if not header:
        raise BadSignature("The X-Shopify-Hmac-Sha256 header is missing.")
    sent = header.strip().encode()
    # compare_digest takes the same time however much of a guess matches; every secret is tried.
    matches = [hmac.compare_digest(shopify_signature(body, secret).encode(), sent) for secret in candidates]
    if not any(matches):
        raise BadSignature("The X-Shopify-Hmac-Sha256 signature does not match the body.")
