"""Hostile and careless bodies at the three webhooks, signed as their senders sign: no 500, nothing half written."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path

import pytest

from returns.api.schema import EXAMPLE_ORDER
from returns.api.signing import header_for
from returns.integrations.shopify import shopify_signature
from returns.models import Order, OrderLine, WebhookDelivery
from tests.conftest import STRIPE_WEBHOOK_TEST_SECRET

pytestmark = pytest.mark.django_db
ORDERS_SECRET = "whsec_orders_test"
SHOPIFY_SECRET = "shpss_test_webhook_secret"

REFUND_EVENT = (
    b'{"id": "evt_1", "object": "event", "type": "refund.updated", "data": {"object": {"object": "refund", %s}}}'
)
BODIES = {
    "deep nesting": b"[" * 100_000 + b"]" * 100_000,
    "deep object": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "huge integer": b'{"number": "1", "total": ' + b"9" * 5000 + b"}",
    "huge exponent": b'{"number": "1e999999", "shipping": 1e999999, "id": 1e999999}',
    "NaN and Infinity": b'{"number": NaN, "shipping": Infinity, "id": -Infinity, "line_items": [{"price": NaN}]}',
    "duplicate keys": b'{"number": "1", "number": {"x": 1}, "id": 1, "id": "2"}',
    "array": b"[1, 2, 3]",
    "string": b'"order"',
    "null": b"null",
    "number": b"1e400",
    "NUL in strings": b'{"number": "1\\u0000", "email": "a\\u0000@example.com", "name": "#1\\u0000", "id": "1\\u0000"}',
    "lone surrogate": b'{"number": "\\ud800", "email": "\\udfff@example.com", "name": "#\\ud800"}',
    "not UTF-8": b'{"number": "\xff\xfe"}',
    "empty": b"",
    "BOM": b'\xef\xbb\xbf{"number": "1"}',
    "whitespace only": b"   \n ",
    "wrong types": b'{"number": [], "email": {}, "lines": "x", "line_items": {"a": 1}, "shipping_lines": 7, "id": 1}',
    "wrong types 2": b'{"type": [], "data": {"object": 5}, "line_items": [5], "status": {}, "order_id": true}',
    "deliveries wrong": b'{"deliveries": [null, 1, [], {"number": {}}], "delivery": 5}',
    "orders wrong": b'{"orders": [null, [], "x", 1e999]}',
    "refund, wrong types": REFUND_EVENT
    % b'"id": ["re_1"], "amount": "lots", "status": ["succeeded"], "metadata": ["x"], "failure_reason": {}',
    "refund, huge numbers": REFUND_EVENT
    % b'"id": "re_1", "amount": 1e30, "metadata": {"alotrop_refund_id": "999999999999999999999999999999"}',
    "refund, NUL": REFUND_EVENT
    % b'"id": "re_\\u0000", "status": "succeeded\\u0000", "metadata": {"alotrop_idempotency_key": "\\u0000"}',
}


def post_orders(client, body, **headers):
    return client.post(
        "/api/v1/orders",
        body,
        content_type=headers.pop("content_type", "application/json"),
        HTTP_X_ALOTROP_SIGNATURE=header_for(body, ORDERS_SECRET),
        **headers,
    )


def post_shopify(client, body, topic="orders/create", **headers):
    return client.post(
        "/api/v1/shopify/webhooks",
        body,
        content_type=headers.pop("content_type", "application/json"),
        HTTP_X_SHOPIFY_TOPIC=topic,
        HTTP_X_SHOPIFY_HMAC_SHA256=shopify_signature(body, SHOPIFY_SECRET),
        **headers,
    )


def post_stripe(client, body, **headers):
    at = int(time.time())
    signature = hmac.new(STRIPE_WEBHOOK_TEST_SECRET.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return client.post(
        "/api/v1/stripe/webhook",
        body,
        content_type=headers.pop("content_type", "application/json"),
        HTTP_STRIPE_SIGNATURE=f"t={at},v1={signature}",
        **headers,
    )


@pytest.fixture(autouse=True)
def _secrets(settings):
    settings.ORDER_WEBHOOK_SECRET = ORDERS_SECRET
    settings.SHOPIFY_WEBHOOK_SECRET = SHOPIFY_SECRET
    settings.REFUND_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_unused"
    settings.STRIPE_WEBHOOK_SECRET = STRIPE_WEBHOOK_TEST_SECRET


SENDERS = {
    "orders": post_orders,
    "shopify order": post_shopify,
    "shopify delivery": lambda client, body, **h: post_shopify(client, body, "fulfillment_events/create", **h),
    "stripe": post_stripe,
}


@pytest.mark.parametrize("sender", SENDERS)
def test_hostile_signed_bodies_get_a_plain_answer_and_write_nothing(client, sender):
    client.raise_request_exception = False  # a 500 is an answer to collect here, not an error that stops the walk
    failures = {}
    for name, body in BODIES.items():
        response = SENDERS[sender](client, body)
        if response.status_code >= 500 or response["Content-Type"] != "application/json":
            failures[name] = response.status_code
    assert failures == {}
    assert not Order.objects.exists() and not OrderLine.objects.exists()


@pytest.mark.parametrize("sender", ["orders", "shopify order"])
def test_a_chunked_body_without_content_length_is_asked_for_again_not_refused_as_a_bad_signature(client, sender):
    """gunicorn hands Django a chunked body with no CONTENT_LENGTH, which Django then reads as empty."""
    body = b'{"number": "1"}'
    response = SENDERS[sender](client, body, CONTENT_LENGTH="", HTTP_TRANSFER_ENCODING="chunked")
    assert response.status_code == 411 and "Content-Length" in response.json()["error"]
    assert not WebhookDelivery.objects.exists()


def _order_body(sender: str, name: str) -> bytes:
    if sender == "orders":
        return json.dumps({**EXAMPLE_ORDER, "number": "100234", "customer_name": name}).encode()
    shopify = json.loads((Path(__file__).parents[1] / "integrations" / "shopify" / "orders_create.json").read_text())
    return json.dumps({**shopify, "customer": {**shopify.get("customer", {}), "first_name": name}}).encode()


@pytest.mark.parametrize("sender", ["orders", "shopify order"])
def test_the_same_delivery_id_with_another_body_is_refused_and_the_first_stands(client, sender):
    """A careless sender reusing one id for new content would otherwise get "replayed" and lose the content."""
    delivery = {"orders": "HTTP_X_ALOTROP_DELIVERY", "shopify order": "HTTP_X_SHOPIFY_WEBHOOK_ID"}[sender]
    first = SENDERS[sender](client, _order_body(sender, "Ana"), **{delivery: "d-1"})
    names = list(Order.objects.values_list("customer_name", flat=True))
    assert first.status_code == 200 and len(names) == 1

    changed = SENDERS[sender](client, _order_body(sender, "Eve"), **{delivery: "d-1"})
    assert changed.status_code == 409 and "already used for a different body" in changed.json()["error"]
    assert list(Order.objects.values_list("customer_name", flat=True)) == names

    again = SENDERS[sender](client, _order_body(sender, "Ana"), **{delivery: "d-1"})
    assert again.status_code == 200 and again.json() == {**first.json(), "replayed": True}
