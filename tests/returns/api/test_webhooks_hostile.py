"""Hostile and careless bodies at the three webhooks, signed as their senders sign: no 500, nothing half written."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path

import pytest

from returns.api.schema import EXAMPLE_ORDER, EXAMPLE_SHOPIFY_DELIVERY, EXAMPLE_SHOPIFY_ORDER, EXAMPLE_SHOPIFY_REFUND
from returns.api.signing import header_for
from returns.integrations.shopify import shopify_signature
from returns.models import Order, OrderLine, Refund, WebhookDelivery
from tests.conftest import STRIPE_WEBHOOK_TEST_SECRET
from tests.returns.admin.test_admin import (  # noqa: F401  (the fixtures are used by name)
    fixture_approved,
    fixture_inspected,
    fixture_received,
    fixture_submitted,
)

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
        HTTP_X_ALOTROP_SIGNATURE=header_for(
            body, ORDERS_SECRET, delivery_id=headers.get("HTTP_X_ALOTROP_DELIVERY", "")
        ),
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
    "shopify refund": lambda client, body, **h: post_shopify(client, body, "refunds/create", **h),
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


# --- a lone surrogate, and a walk of hostile values over every field of a valid body ---------------

SHOPIFY_ORDER = json.loads((Path(__file__).parents[1] / "integrations" / "shopify" / "orders_create.json").read_text())
PLACEHOLDER = "\u2063hostile\u2063"
# Raw JSON put in place of one value: text no database holds, too long, too deep, too large, every type.
HOSTILE = {
    "lone surrogate": b'"\\ud800"',
    "surrogate inside text": b'"Ana \\udfff Lima"',
    "NUL": b'"1\\u0000"',
    "over-long text": b'"' + b"x" * 100_000 + b'"',
    "deep nesting": b"[" * 5_000 + b"]" * 5_000,
    "4,000-digit integer": b"1" + b"0" * 4_000,
    "5,000-digit integer": b"1" + b"0" * 5_000,
    "huge exponent": b"1e400",
    "huge negative": b"-9" + b"9" * 30,
    "fraction": b"0.5",
    "true": b"true",
    "null": b"null",
    "list": b'["x"]',
    "object": b'{"x": 1}',
    "empty text": b'""',
}


def _paths(value, where=()):
    """Every place in a JSON value: each object member and list item, containers included."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield (*where, key)
            yield from _paths(child, (*where, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield (*where, index)
            yield from _paths(child, (*where, index))


def _with(document, path, raw: bytes) -> bytes:
    copy = json.loads(json.dumps(document))
    parent = copy
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = PLACEHOLDER
    return json.dumps(copy).encode().replace(json.dumps(PLACEHOLDER).encode(), raw)


@pytest.fixture
def stripe_refund_in_flight(inspected):
    """A refund sent to Stripe and pending there: the webhook's events about it reach the database."""
    refund = Refund.objects.get(request=inspected)
    Refund.objects.filter(pk=refund.pk).update(state=Refund.State.PROCESSING, provider="stripe", reference="re_walk")
    return refund


def _refund_event(status="pending", failure_reason=None) -> dict:
    refund = {"id": "re_walk", "object": "refund", "amount": 2700, "currency": "usd", "status": status}
    refund |= {"metadata": {"rma": "RMA-WALK"}, "failure_reason": failure_reason}
    return {"id": "evt_walk", "object": "event", "type": "refund.updated", "data": {"object": refund}}


@pytest.mark.parametrize(
    ("sender", "document", "path"),
    [
        ("orders", EXAMPLE_ORDER, ("customer_name",)),
        ("orders", EXAMPLE_ORDER, ("lines", 0, "name")),
        ("shopify order", SHOPIFY_ORDER, ("name",)),
        ("shopify order", SHOPIFY_ORDER, ("customer", "first_name")),
        ("stripe", _refund_event(), ("data", "object", "id")),
        ("stripe", _refund_event("failed", "card_lost"), ("data", "object", "failure_reason")),
    ],
)
@pytest.mark.usefixtures("stripe_refund_in_flight")
def test_a_lone_surrogate_in_a_signed_body_is_a_plain_400_in_json(client, sender, document, path):
    """Attack 5: a 500 with an HTML page made the sender retry, and Shopify drops a webhook that keeps failing."""
    before = _stored()
    response = SENDERS[sender](client, _with(document, path, HOSTILE["lone surrogate"]))

    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert "cannot be stored" in response.json()["error"] and "surrogate" in response.json()["error"]
    assert _stored() == before


def _stored():
    orders = list(Order.objects.values_list("number", "customer_name", "updated_at"))
    return orders, list(Refund.objects.values_list("state", "reference", "failure_reason", "updated_at"))


# Shopify's payloads as the schema describes them (what the portal reads): Shopify's full example has
# hundreds of fields the portal never looks at.
WALKED = {
    "orders": EXAMPLE_ORDER,
    "shopify order": EXAMPLE_SHOPIFY_ORDER,
    "shopify delivery": EXAMPLE_SHOPIFY_DELIVERY,
    "shopify refund": EXAMPLE_SHOPIFY_REFUND,
    "stripe": _refund_event(),
}


@pytest.mark.parametrize("sender", WALKED)
def test_every_field_of_a_valid_body_with_every_hostile_value_is_never_a_5xx_and_always_json(
    client, sender, stripe_refund_in_flight
):
    client.raise_request_exception = False  # a 500 is an answer to collect here, not an error that stops the walk
    if sender in ("shopify delivery", "shopify refund"):
        assert post_shopify(client, json.dumps(EXAMPLE_SHOPIFY_ORDER).encode()).status_code == 200  # its order
    failures = {}
    for path in _paths(WALKED[sender]):
        for name, raw in HOSTILE.items():
            Refund.objects.filter(pk=stripe_refund_in_flight.pk).update(
                state=Refund.State.PROCESSING, reference="re_walk"
            )
            response = SENDERS[sender](client, _with(WALKED[sender], path, raw))
            if response.status_code >= 500 or response["Content-Type"] != "application/json":
                failures[(".".join(map(str, path)), name)] = response.status_code
    assert failures == {}
