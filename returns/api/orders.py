"""``POST /api/v1/orders``: the store pushes orders (and delivery dates) as they happen.

Thin on purpose: verify the signature (which covers the delivery id), read the body, then
the same checks and the same upsert as ``import_orders`` (``intake.order_records_check`` and
``intake.orders_upsert``), so a bad record gets the same message either way. Unlike a file, a
push that would move the delivery date of an order with returns is refused (422).
Every answer is JSON; nothing a client sends produces a 500.
"""

from __future__ import annotations

from functools import partial

from django.conf import settings
from django.views.decorators.csrf import csrf_exempt

from returns.api.signing import verify
from returns.api.webhooks import delivery_id_of, json_loads, problems, signed_once
from returns.exceptions import ImportErrors
from returns.intake import OrderImportResult, order_deliveries_record, order_records_check, orders_upsert

SOURCE = "orders"
DELIVERY_HEADER = "X-Alotrop-Delivery"


def _older(number: str, version, applied) -> dict:
    """A record older than the version already written: answered 200, because sending it again cannot help."""
    return {
        "number": number,
        "updated_at": version.isoformat(),
        "applied_updated_at": applied.isoformat(),
        "message": f"Order {number} (updated_at {version.isoformat()}) is older than the version already applied "
        f"(updated_at {applied.isoformat()}); nothing changed.",
    }


def result_json(result: OrderImportResult) -> dict:
    return {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "orders_with_kept_lines": result.orders_with_kept_lines,
        "orders_with_kept_fields": [{"number": n, "fields": f} for n, f in result.orders_with_kept_fields],
        "older_than_applied": [_older(*older) for older in result.orders_older_than_applied],
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
        result = orders_upsert(orders=orders, refuse_new_delivery_dates=True)
    except ImportErrors as error:
        return 422, {"error": str(error), "problems": problems(error)}
    return 200, result_json(result)


@csrf_exempt
def orders(request):
    signed = partial(
        verify,
        delivery_id=delivery_id_of(request, DELIVERY_HEADER),
        accept_unsigned_delivery_id=settings.ORDER_WEBHOOK_ACCEPT_UNSIGNED_DELIVERY_ID,
    )
    return signed_once(
        request,
        source=SOURCE,
        delivery_header=DELIVERY_HEADER,
        work=lambda body: _handle(json_loads(body)),
        name="orders",
        setting="ORDER_WEBHOOK_SECRET",
        header="X-Alotrop-Signature",
        verify=signed,
        hint="send fewer orders at a time",
    )
