"""The API's OpenAPI 3.1 description, served at ``/api/v1/schema``.

Written by hand (one endpoint does not need a schema generator); the tests post
its examples to the real endpoint, so the description cannot drift from the code.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.views.decorators.http import require_GET

from returns.api import schema_store
from returns.intake import LINE_SPEC, ORDER_SPEC, REQUIRED

MONEY = {"type": "string", "pattern": r"^[0-9]+(\.[0-9]{1,2})?$", "examples": ["12.50"]}
TYPES = {
    "number": {"type": "string", "maxLength": 40},
    "email": {"type": "string", "format": "email"},
    "customer_name": {"type": "string"},
    "placed_at": {"type": "string", "format": "date-time", "description": "With an offset; else the store's time."},
    "delivered_on": {"type": ["string", "null"], "format": "date", "description": "Empty until delivered."},
    "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
    "shipping_charged": MONEY,
    "free_shipping": {"type": "boolean"},
    "payment_method": {"type": "string", "description": "Where refunds go, as the customer knows it."},
    "payment_reference": {"type": "string", "description": "The Stripe PaymentIntent id (pi_…), for refunds."},
    "sku": {"type": "string"},
    "name": {"type": "string"},
    "quantity": {"type": "integer", "minimum": 1},
    "unit_price": {**MONEY, "description": "Paid per unit after discounts."},
    "unit_tax": {**MONEY, "description": "Tax paid per unit."},
    "final_sale": {"type": "boolean"},
    "personalized": {"type": "boolean"},
    "updated_at": {
        "type": ["string", "null"],
        "format": "date-time",
        "description": (
            "When the store last changed the order. Optional, but send it: a version older than the one "
            "already applied changes nothing (answered 200, listed in older_than_applied)."
        ),
    },
}

EXAMPLE_ORDER = {
    "number": "100234",
    "email": "ana@example.com",
    "customer_name": "Ana Lima",
    "placed_at": "2026-10-01T10:00:00Z",
    "delivered_on": None,
    "currency": "USD",
    "shipping_charged": "5.99",
    "free_shipping": False,
    "payment_method": "Visa ending 4242",
    "payment_reference": "pi_3OrderAlotrop100234",
    "updated_at": "2026-10-01T10:00:00Z",
    "lines": [
        {
            "sku": "MUG-01",
            "name": "Stoneware mug",
            "quantity": 2,
            "unit_price": "12.50",
            "unit_tax": "1.00",
            "final_sale": False,
            "personalized": False,
        }
    ],
}
EXAMPLE_DELIVERY = {"delivery": {"number": "100234", "delivered_on": "2026-10-05"}}

# Shopify's payloads, cut down to what the portal reads (Shopify sends much more; the rest is ignored).
EXAMPLE_SHOPIFY_ORDER = {
    "id": 5723411234567,
    "name": "#1001",
    "order_number": 1001,
    "email": "ana@example.com",
    "created_at": "2026-10-01T10:15:00-04:00",
    "updated_at": "2026-10-01T10:15:02-04:00",
    "currency": "USD",
    "presentment_currency": "USD",
    "taxes_included": False,
    "payment_gateway_names": ["shopify_payments"],
    "note_attributes": [{"name": "payment_reference", "value": "pi_3ShopifyAlotrop1001"}],
    "customer": {"first_name": "Ana", "last_name": "Lima"},
    "line_items": [
        {
            "id": 1300002,
            "variant_id": 4400002,
            "sku": "MUG-01",
            "name": "Stoneware mug",
            "quantity": 3,
            "price": "5.00",
            "gift_card": False,
            "discount_allocations": [{"amount": "5.00", "discount_application_index": 0}],
            "tax_lines": [{"title": "State tax", "rate": 0.0625, "price": "0.81"}],
            "properties": [{"name": "Personalization", "value": "A. L."}, {"name": "_final-sale", "value": "true"}],
        }
    ],
    "shipping_lines": [{"title": "Standard", "price": "7.99", "discount_allocations": [], "tax_lines": []}],
}
EXAMPLE_SHOPIFY_DELIVERY = {
    "id": 9100001,
    "fulfillment_id": 6200001,
    "order_id": 5723411234567,
    "status": "delivered",
    "happened_at": "2026-10-06T03:30:00Z",
}
# A refund made in Shopify for two mugs of order #1001 (line item 1300002), by hand in its admin.
EXAMPLE_SHOPIFY_REFUND = {
    "id": 929361463,
    "order_id": 5723411234567,
    "note": "Mugs came back",
    "admin_graphql_api_id": "gid://shopify/Refund/929361463",
    "refund_line_items": [{"id": 1040001, "line_item_id": 1300002, "quantity": 2, "restock_type": "return"}],
    "transactions": [
        {"id": 3900001, "kind": "refund", "status": "success", "amount": "20.00", "gateway": "shopify_payments"}
    ],
}
SHOPIFY_MONEY = {"type": "string", "examples": ["5.00"]}
SHOPIFY_AMOUNTS = {
    "type": "array",
    "items": {"type": "object", "properties": {"amount": SHOPIFY_MONEY, "price": SHOPIFY_MONEY}},
}
SHOPIFY_ORDER = {
    "type": "object",
    "description": (
        "Shopify's order (REST webhook payload). Read: name (the number, without '#'), email, created_at, "
        "presentment_currency/currency (amounts from *_set.presentment_money when sent), taxes_included, "
        "payment_gateway_names, note_attributes.payment_reference, customer name, updated_at (an older "
        "version than the one applied changes nothing); each line's sku, name, "
        "quantity, price less discount_allocations and tax_lines, split into whole cents per unit (units "
        "that paid a cent more become a line 'SKU#2'), properties SHOPIFY_FINAL_SALE_TAG and "
        "SHOPIFY_PERSONALIZED_PROPERTY, gift_card; shipping_lines price less discount_allocations plus "
        "tax_lines."
    ),
    "required": ["id", "name", "line_items"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string", "examples": ["#1001"]},
        "email": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "currency": {"type": "string"},
        "presentment_currency": {"type": "string"},
        "taxes_included": {"type": "boolean"},
        "line_items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "sku": {"type": ["string", "null"]},
                    "name": {"type": "string"},
                    "quantity": {"type": "integer", "minimum": 1},
                    "price": SHOPIFY_MONEY,
                    "discount_allocations": SHOPIFY_AMOUNTS,
                    "tax_lines": SHOPIFY_AMOUNTS,
                    "properties": {"type": "array", "items": {"type": "object"}},
                },
            },
        },
        "shipping_lines": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "price": SHOPIFY_MONEY,
                    "discount_allocations": SHOPIFY_AMOUNTS,
                    "tax_lines": SHOPIFY_AMOUNTS,
                },
            },
        },
    },
}
SHOPIFY_DELIVERY = {
    "type": "object",
    "description": "Shopify's fulfillment event. Only status 'delivered' is read: the day of happened_at in TIME_ZONE.",
    "required": ["order_id", "status", "happened_at"],
    "properties": {
        "order_id": {"type": "integer"},
        "status": {"type": "string", "examples": ["delivered"]},
        "happened_at": {"type": "string", "format": "date-time"},
    },
}


SHOPIFY_REFUND = {
    "type": "object",
    "description": (
        "Shopify's refunds/create: matched to the refund waiting here for the same order and items (ours by the "
        "key in its note, or one made by hand in Shopify's admin), which is then issued, never paid again."
    ),
    "required": ["id", "order_id", "refund_line_items", "transactions"],
    "properties": {
        "id": {"type": "integer"},
        "order_id": {"type": "integer"},
        "note": {"type": ["string", "null"]},
        "refund_line_items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"line_item_id": {"type": "integer"}, "quantity": {"type": "integer"}},
            },
        },
        "transactions": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "kind": {"type": "string", "examples": ["refund"]},
                    "status": {"type": "string", "examples": ["success", "pending", "failure"]},
                    "amount": SHOPIFY_MONEY,
                },
            },
        },
    },
}


def _shopify_path() -> dict:
    header = {"in": "header", "required": True, "schema": {"type": "string"}}
    return {
        "post": {
            "summary": "Shopify's orders/create, orders/updated, fulfillment_events/create and refunds/create webhooks",
            "description": (
                "Subscribe in Shopify with the JSON format. Other topics are answered 200 with ignored: true "
                "(Shopify retries anything but a 2xx). Off (404) while SHOPIFY_WEBHOOK_SECRET is not set."
            ),
            "parameters": [
                {**header, "name": "X-Shopify-Topic", "description": "orders/create, orders/updated, …"},
                {**header, "name": "X-Shopify-Hmac-Sha256", "description": "Base64 HMAC-SHA256 of the raw body."},
                {
                    **header,
                    "name": "X-Shopify-Webhook-Id",
                    "required": False,
                    "description": "Makes a redelivery a no-op.",
                },
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "oneOf": [
                                {"$ref": "#/components/schemas/ShopifyOrder"},
                                {"$ref": "#/components/schemas/ShopifyFulfillmentEvent"},
                                {"$ref": "#/components/schemas/ShopifyRefund"},
                            ]
                        },
                        "examples": {
                            "orders/create": {"value": EXAMPLE_SHOPIFY_ORDER},
                            "fulfillment_events/create": {"value": EXAMPLE_SHOPIFY_DELIVERY},
                            "refunds/create": {"value": EXAMPLE_SHOPIFY_REFUND},
                        },
                    }
                },
            },
            "responses": _responses(
                ok=(
                    "Written, nothing to change, an order older (updated_at) than the version already applied "
                    "(older_than_applied; nothing changed), or a topic or event status this endpoint ignores. "
                    "applied: false with a reason, nothing written, for what no retry can mend: an order whose "
                    "Shopify id already belongs to another order here (kept for staff under Shopify id "
                    "conflicts), or a delivered event that would move the delivery date of an order with returns; "
                    "a refund for an order or items with no refund waiting here (ignored)."
                ),
                refused="Missing or wrong X-Shopify-Hmac-Sha256.",
                invalid="The order maps to a record import_orders would refuse (the same messages).",
            ),
        }
    }


def _object(spec: dict, extra: dict | None = None) -> dict:
    return {
        "type": "object",
        "required": [name for name, (_, default) in spec.items() if default is REQUIRED] + list(extra or {}),
        "properties": {name: TYPES[name] for name in spec} | (extra or {}),
    }


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _responses(*, ok: str, refused: str, invalid: str) -> dict:
    return {
        "200": {"description": ok, "content": {"application/json": {"schema": {"type": "object"}}}},
        "400": _error(
            "The body is not JSON (NaN, Infinity, too deep a nesting or a number over 4,300 digits are not), "
            "holds text that cannot be stored (a lone surrogate such as \\ud800, or a value the database "
            "refuses), or the delivery id is over 200 characters. Nothing was written."
        ),
        "401": _error(refused),
        "411": _error("A chunked body without Content-Length: send it with Content-Length."),
        "409": _error(
            "This delivery id was already used for a different body, or a conflicting write happened at the "
            "same moment (send it again); nothing was written."
        ),
        "413": _error("The body is over the size limit (ORDER_WEBHOOK_MAX_BYTES)."),
        "422": _error(invalid),
    }


def document() -> dict:
    line = _object(LINE_SPEC)
    order = _object(
        ORDER_SPEC, {"lines": {"type": "array", "minItems": 1, "items": {"$ref": "#/components/schemas/Line"}}}
    )
    delivery = {
        "type": "object",
        "required": ["number", "delivered_on"],
        "properties": {"number": TYPES["number"], "delivered_on": {"type": "string", "format": "date"}},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Alotrop Returns API",
            "version": "1",
            "description": (
                "The store pushes orders and delivery dates. Every request is signed: "
                "X-Alotrop-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of '<t>.<delivery id>.<raw body>' "
                "with the shared secret>, where the delivery id is the X-Alotrop-Delivery header as sent (empty "
                "without one: '<t>..<raw body>'); a timestamp more than 5 minutes from now is refused. "
                "X-Alotrop-Delivery: <id> makes a redelivery answer the same as the first time without doing "
                "anything again, and the same body sent again within 10 minutes, under any id, is answered as a "
                "replay. Send each order's updated_at: an older version never overwrites a newer one. "
                "The store's systems read returns and refunds (GET, with the fields the events carry) with an "
                "API key: Authorization: Bearer <key>."
            ),
        },
        "paths": {
            "/api/v1/orders": {
                "post": {
                    "summary": "Create or update orders (matched by number), or record deliveries",
                    "parameters": [
                        {"name": "X-Alotrop-Signature", "in": "header", "required": True, "schema": {"type": "string"}},
                        {
                            "name": "X-Alotrop-Delivery",
                            "in": "header",
                            "required": False,
                            "schema": {"type": "string", "maxLength": 200},
                            "description": "The delivery's id, covered by the signature; its retries keep it.",
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "oneOf": [
                                        {"$ref": "#/components/schemas/Order"},
                                        {
                                            "type": "object",
                                            "required": ["orders"],
                                            "properties": {
                                                "orders": {
                                                    "type": "array",
                                                    "minItems": 1,
                                                    "items": {"$ref": "#/components/schemas/Order"},
                                                }
                                            },
                                        },
                                        {
                                            "type": "object",
                                            "minProperties": 1,
                                            "additionalProperties": False,
                                            "properties": {
                                                "delivery": {"$ref": "#/components/schemas/Delivery"},
                                                "deliveries": {
                                                    "type": "array",
                                                    "items": {"$ref": "#/components/schemas/Delivery"},
                                                },
                                            },
                                        },
                                    ]
                                },
                                "examples": {
                                    "order": {"value": EXAMPLE_ORDER},
                                    "orders": {"value": {"orders": [EXAMPLE_ORDER]}},
                                    "delivery": {"value": EXAMPLE_DELIVERY},
                                },
                            }
                        },
                    },
                    "responses": _responses(
                        ok=(
                            "Written (or nothing to change): orders created, updated, unchanged; orders older "
                            "(updated_at) than the version already applied are listed in older_than_applied and "
                            "change nothing (not an error: sending them again cannot help)."
                        ),
                        refused="Missing or wrong signature (of '<t>.<delivery id>.<raw body>'), or a timestamp "
                        "too far from now.",
                        invalid=(
                            "Problems, each with its record (1-based), field and message; nothing written. "
                            "Among them: another delivery date for an order with return requests (its return "
                            "window runs from it; support changes it in the admin, with a reason)."
                        ),
                    ),
                }
            },
            "/api/v1/shopify/webhooks": _shopify_path(),
            **schema_store.paths(),
        },
        "components": {
            "securitySchemes": schema_store.SECURITY_SCHEMES,
            "schemas": {
                **schema_store.SCHEMAS,
                "Order": order,
                "Line": line,
                "Delivery": delivery,
                "ShopifyOrder": SHOPIFY_ORDER,
                "ShopifyFulfillmentEvent": SHOPIFY_DELIVERY,
                "ShopifyRefund": SHOPIFY_REFUND,
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {"type": "string"},
                        "problems": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "record": {"type": ["integer", "null"]},
                                    "field": {"type": "string"},
                                    "message": {"type": "string"},
                                    "text": {"type": "string"},
                                },
                            },
                        },
                    },
                },
            },
        },
    }


@require_GET
def schema(request):
    return JsonResponse(document(), json_dumps_params={"indent": 2})
