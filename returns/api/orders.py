"""``POST /api/v1/orders``: the store pushes orders (and delivery dates) as they happen.

Thin on purpose: verify the signature, read the body, then the same checks and the
same upsert as ``import_orders`` (``intake.order_records_check`` and
``intake.orders_upsert``), so a bad record gets the same message either way.
Every answer is JSON; nothing a client sends produces a 500.
"""

from __future__ import annotations

from django.conf import settings
from django.views.decorators.csrf import csrf_exempt

from returns.api.signing import verify
from returns.api.webhooks import json_loads, problems, signed_once
from returns.exceptions import ImportErrors
from returns.intake import OrderImportResult, order_deliveries_record, order_records_check, orders_upsert

SOURCE = "orders"


def result_json(result: OrderImportResult) -> dict:
    return {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "orders_with_kept_lines": result.orders_with_kept_lines,
        "orders_with_kept_fields": [{"number": n, "fields": f} for n, f in result.orders_with_kept_fields],
    }


def _handle(payload) -> tuple[int, dict]:
    """The work for a verified, parsed body: (status, answer). Writes nothing unless the answer is 200."""
    if isinstance(payload, dict) and ("delivery" in payload or "deliveries" in payload):
        items = payload.get("deliveries") if "deliveries" in payload else [payload.get("delivery")]
        if not isinstance(items, list) or not items:
            return 422, {"error": "'deliveries' must be a list of {number, delivered_on}.", "problems": []}
        try:
            updated = order_deliveries_record(deliveries=items)
        except ImportErrors as error:
            return 422, {"error": str(error), "problems": problems(error)}
        return 200, {"deliveries_recorded": updated}
    if isinstance(payload, dict) and "orders" in payload:
        records = payload["orders"]
        if not isinstance(records, list) or not records:
            return 422, {"error": "'orders' must be a non-empty list of orders.", "problems": []}
    elif isinstance(payload, dict):
        records = [payload]
    else:
        return 422, {"error": 'The body must be an order, {"orders": [...]} or {"delivery": {...}}.', "problems": []}
    if len(records) > settings.ORDER_WEBHOOK_MAX_ORDERS:
        return 413, {"error": f"At most {settings.ORDER_WEBHOOK_MAX_ORDERS} orders per request."}
    try:
        orders = order_records_check(records)
    except ImportErrors as error:
        return 422, {"error": str(error), "problems": problems(error)}
    return 200, result_json(orders_upsert(orders=orders))


@csrf_exempt
def orders(request):
    def work(body: bytes) -> tuple[int, dict]:
        try:
            payload = json_loads(body)
        except ValueError as error:  # not UTF-8, not JSON, NaN, too deep, too long a number
            return 400, {"error": f"The body is not valid JSON: {error}"}
        return _handle(payload)

    return signed_once(
        request,
        source=SOURCE,
        delivery_header="X-Alotrop-Delivery",
        work=work,
        name="orders",
        setting="ORDER_WEBHOOK_SECRET",
        header="X-Alotrop-Signature",
        verify=verify,
        hint="send fewer orders at a time",
    )
