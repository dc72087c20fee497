"""Our own webhook signature, for the store's ``POST /api/v1/orders``:
``X-Alotrop-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<delivery id>.<raw body>">``,
where the delivery id is the ``X-Alotrop-Delivery`` header as sent ("" without one).

The scheme Stripe uses for its own webhooks, with the delivery id inside the signed text: the
timestamp stops a captured request from being replayed later, the signed delivery id stops it
from being sent again under another id (which would make it new work) within those minutes, the
comparison takes the same time whatever the guess, and several ``v1`` values let a store roll
its secret. The first version signed "<t>.<raw body>"; it is accepted only while
``ORDER_WEBHOOK_ACCEPT_UNSIGNED_DELIVERY_ID`` is on, for a store still moving to the new text.

It signs a request, not an order, so it stays with the API (an import file is never signed);
each provider's check lives with its mapping in ``returns.integrations``.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from returns.integrations import WebhookRejected

TOLERANCE_SECONDS = 300


def signature_for(body: bytes, secret: str, timestamp: int, delivery_id: str | None = "") -> str:
    """The hex signature of ``body``; ``delivery_id=None`` gives the first version's, which signed no id."""
    signed = f"{timestamp}.".encode() + (b"" if delivery_id is None else f"{delivery_id}.".encode()) + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def header_for(body: bytes, secret: str, timestamp: int | None = None, *, delivery_id: str | None = "") -> str:
    """What a sender puts in X-Alotrop-Signature (used by the tests and the benchmark)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={signature_for(body, secret, timestamp, delivery_id)}"


def verify(
    header: str | None,
    body: bytes,
    secret: str,
    *,
    delivery_id: str,
    accept_unsigned_delivery_id: bool = False,
    now: float | None = None,
) -> None:
    """Raise WebhookRejected unless ``header`` signs ``body`` and ``delivery_id`` (as sent) with ``secret``."""
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
    expected = [signature_for(body, secret, timestamp, delivery_id)]
    if accept_unsigned_delivery_id:
        expected.append(signature_for(body, secret, timestamp, None))
    # compare_digest takes the same time however much of a guess matches; every pair is compared.
    matches = [hmac.compare_digest(e, candidate) for e in expected for candidate in candidates]
    if not any(matches):
        raise WebhookRejected(
            'The signature does not match: sign "<t>.<X-Alotrop-Delivery>.<raw body>" '
            '(with an empty id, "<t>..<raw body>").'
        )
