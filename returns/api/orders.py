"""``POST /api/v1/orders``: the store pushes orders (and delivery dates) as they happen.

Thin on purpose: verify the signature, read the body, then the same checks and the
same upsert as ``import_orders`` (``importing.order_records_check`` and
``importing.orders_upsert``), so a bad record gets the same message either way.
Every answer is JSON; nothing a client sends produces a 500.
"""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from ..exceptions import ImportErrors
from ..importing import OrderImportResult, order_deliveries_record, order_records_check, orders_upsert
from ..models import WebhookDelivery
from .signing import BadSignature, verify

log = logging.getLogger(__name__)
SOURCE = "orders"


def _answer(status: int, body: dict) -> JsonResponse:
    return JsonResponse(body, status=status)


def _problems(error: ImportErrors) -> list[dict]:
    return [
        {"record": p.record, "field": p.field, "message": p.message, "text": str(p)}
        for p in error.problems
        if hasattr(p, "message")
    ]


def _result(result: OrderImportResult) -> dict:
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
            return 422, {"error": str(error), "problems": _problems(error)}
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
        return 422, {"error": str(error), "problems": _problems(error)}
    return 200, _result(orders_upsert(orders=orders))


@csrf_exempt
def orders(request):
    if request.method != "POST":
        return _answer(405, {"error": "Use POST."})
    if not settings.ORDER_WEBHOOK_SECRET:
        return _answer(404, {"error": "The orders webhook is not enabled (ORDER_WEBHOOK_SECRET is not set)."})
    limit = settings.ORDER_WEBHOOK_MAX_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return _answer(413, {"error": f"The body is larger than {limit} bytes; send fewer orders at a time."})
    try:
        body = request.body
    except RequestDataTooBig:
        return _answer(413, {"error": f"The body is larger than {limit} bytes; send fewer orders at a time."})
    if len(body) > limit:
        return _answer(413, {"error": f"The body is larger than {limit} bytes; send fewer orders at a time."})
    try:
        verify(request.headers.get("X-Alotrop-Signature"), body, settings.ORDER_WEBHOOK_SECRET)
    except BadSignature as error:
        log.warning("Orders webhook refused: %s", error)  # never the body
        return _answer(401, {"error": str(error)})

    delivery_id = (request.headers.get("X-Alotrop-Delivery") or "").strip()[:200]
    if delivery_id:
        seen = WebhookDelivery.objects.filter(source=SOURCE, delivery_id=delivery_id).first()
        if seen is not None:
            return _answer(seen.status_code, {**seen.response, "replayed": True})
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        status, answer = 400, {"error": f"The body is not valid JSON: {error}"}
    else:
        try:
            with transaction.atomic():
                status, answer = _handle(payload)
                if delivery_id:
                    WebhookDelivery.objects.create(
                        source=SOURCE, delivery_id=delivery_id, status_code=status, response=answer
                    )
        except IntegrityError:
            # The same delivery arrived twice at once: the first one's answer stands.
            seen = WebhookDelivery.objects.filter(source=SOURCE, delivery_id=delivery_id).first()
            if seen is None:
                return _answer(409, {"error": "A conflicting write happened at the same moment; send it again."})
            return _answer(seen.status_code, {**seen.response, "replayed": True})
    if status == 400 and delivery_id:
        WebhookDelivery.objects.get_or_create(
            source=SOURCE, delivery_id=delivery_id, defaults={"status_code": status, "response": answer}
        )
    return _answer(status, answer)
