"""``POST /api/v1/shopify/webhooks``: Shopify's order and delivery webhooks.

Thin on purpose: verify ``X-Shopify-Hmac-Sha256``, de-duplicate by
``X-Shopify-Webhook-Id`` (and the same body within minutes), turn the payload into the import's order record
(``returns.integrations.shopify``), then the same checks, upsert and locks as ``import_orders``
and ``POST /api/v1/orders`` (``intake.order_records_check``, ``orders_upsert``,
``order_deliveries_record``); ``refunds/create`` is matched to the refund waiting here
(``refund_reconcile``). Topics it does not read get a 200 saying so, because
Shopify retries anything else; so does an order older (``updated_at``) than the version
already written. Every answer is JSON; nothing a client sends gives a 500.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.conf import settings
from django.views.decorators.csrf import csrf_exempt

from returns.api.orders import result_json
from returns.api.webhooks import json_loads, problems, signed_once
from returns.exceptions import ImportErrors
from returns.intake import kept_delivery_date, order_deliveries_record, order_records_check, orders_upsert
from returns.integrations import WebhookRejected
from returns.integrations.shopify import delivery_date, order_record, verify_shopify
from returns.integrations.shopify_refunds import refund_from_webhook
from returns.models import Order, ShopifyIdConflict
from returns.services.refunds import refund_reconcile

log = logging.getLogger(__name__)
SOURCE = "shopify"
ORDER_TOPICS = ("orders/create", "orders/updated")
DELIVERY_TOPIC = "fulfillment_events/create"
REFUND_TOPIC = "refunds/create"
TOPICS = (*ORDER_TOPICS, DELIVERY_TOPIC, REFUND_TOPIC)


def _shopify_id(value) -> str:
    """Shopify's numeric id as text, or "" for anything else."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return str(value)
    return value.strip() if isinstance(value, str) and value.strip().isdigit() and len(value) <= 40 else ""


def _order(payload: dict) -> tuple[int, dict]:
    try:
        record = order_record(
            payload,
            final_sale_tag=settings.SHOPIFY_FINAL_SALE_TAG,
            personalized_property=settings.SHOPIFY_PERSONALIZED_PROPERTY,
        )
        if not record["lines"] and payload.get("line_items"):
            reason = "Every unit of this order was removed or refunded in Shopify; the order is left as it was."
            return 200, {"number": record["number"], "applied": False, "reason": reason}
        [order] = order_records_check([record])
    except ImportErrors as error:
        return 422, {"error": str(error), "problems": problems(error)}
    # Shopify's order does not say when it was delivered: the upsert leaves alone a field it is not
    # given, so the date a fulfillment event recorded stays. Shopify's id is what those events name.
    del order.fields["delivered_on"]
    number = order.fields["number"]
    if shopify_id := _shopify_id(payload.get("id")):
        if other := Order.objects.filter(shopify_order_id=shopify_id).exclude(number=number).first():
            return 200, {"number": number, "applied": False, "reason": _id_conflict(shopify_id, number, other)}
        order.fields["shopify_order_id"] = shopify_id
    line_item_ids = {line["sku"].strip(): line["shopify_line_item_id"] for line in record["lines"]}
    for sku, values in order.lines.items():
        values["shopify_line_item_id"] = line_item_ids.get(sku, "")
    result = orders_upsert(orders=[order])
    return 200, {"number": number, **result_json(result)}


def _id_conflict(shopify_id: str, number: str, other: Order) -> str:
    """Two orders cannot share a Shopify id (its delivery events name the order by it): not written, kept for staff.

    Sending it again cannot help, so the answer is a 200 saying what staff must look at: Shopify retries
    any other status for hours and then removes a webhook that keeps failing, which would lose later orders.
    """
    conflict, created = ShopifyIdConflict.objects.get_or_create(
        shopify_order_id=shopify_id, number=number, defaults={"order": other}
    )
    if not created:
        conflict.order, conflict.times = other, conflict.times + 1
        conflict.save(update_fields=["order", "times", "last_seen_at"])
    log.warning("Shopify order %s has the Shopify id %s of order %s here: refused", number, shopify_id, other.number)
    return (
        f"Shopify's id {shopify_id} already belongs to order {other.number} here, so order {number} was not "
        "written. This will not change by sending it again: staff see it in the admin under Shopify id conflicts."
    )


def _delivery(payload: dict) -> tuple[int, dict]:
    status = payload.get("status")
    if status != "delivered":
        return 200, {"applied": False, "reason": f"Only events with status 'delivered' are read, not {status!r}."}
    shopify_id = _shopify_id(payload.get("order_id"))
    # Locked (``once`` runs this in a transaction) so the "is it later?" test below sees the date that
    # a concurrent event for another parcel of the same order may be writing.
    order = Order.objects.select_for_update().filter(shopify_order_id=shopify_id).first() if shopify_id else None
    if order is None:
        log.warning("Shopify delivery for an order not known here (Shopify id %s)", shopify_id or "missing")
        return 200, {"applied": False, "reason": f"No order here has the Shopify id {payload.get('order_id')!r}."}
    try:
        delivered_on = delivery_date(payload)
        if kept := _kept_delivery(order, delivered_on):
            # Not an error Shopify can mend by retrying (see _id_conflict): answered 200, nothing written.
            return 200, {"applied": False, "number": order.number, "reason": kept}
        # Several parcels: the last delivery counts, whatever order the events arrive in.
        later = not order.delivered_on or order.delivered_on < delivered_on
        changed = (
            order_deliveries_record(deliveries=[{"number": order.number, "delivered_on": delivered_on.isoformat()}])
            if later
            else 0
        )
    except ImportErrors as error:
        return 422, {"error": str(error), "problems": problems(error)}
    order.refresh_from_db(fields=["delivered_on"])
    return 200, {
        "applied": True,
        "number": order.number,
        "delivered_on": order.delivered_on.isoformat(),
        "deliveries_recorded": changed,
    }


def _refund(payload: dict) -> tuple[int, dict]:
    """A refund made in Shopify: matched to the refund waiting here (ours, or one made by hand in Shopify's
    admin for the same items), never paid again. Any other refund is Shopify's own business: 200, ignored."""
    try:
        read = refund_from_webhook(payload)
    except WebhookRejected as exc:
        return 422, {"error": str(exc), "problems": []}
    if read is None:
        return 200, {"applied": False, "reason": "The refund moved no money (no refund transaction): ignored."}
    shopify_id, answer = read
    order = Order.objects.filter(shopify_order_id=shopify_id).first()
    if order is None:
        return 200, {"applied": False, "reason": f"No order here has the Shopify id {shopify_id}: ignored."}
    refund, reason = refund_reconcile(order=order, answer=answer)
    if refund is None:
        log.info("Shopify refund %s on order %s not matched: %s", answer.id, order.number, reason)
        return 200, {"applied": False, "number": order.number, "reason": reason}
    refund.refresh_from_db(fields=["state"])
    return 200, {"applied": True, "number": order.number, "rma": refund.request.rma, "state": refund.state}


def _kept_delivery(order: Order, delivered_on) -> str:
    """Why this delivery date is not taken, or "": an order with returns keeps its date (its window runs from it)."""
    if not order.delivered_on or order.delivered_on == delivered_on or not order.return_requests.exists():
        return ""
    return kept_delivery_date(order, delivered_on)


@csrf_exempt
def webhooks(request):
    topic = (request.headers.get("X-Shopify-Topic") or "").strip()

    def work(body: bytes) -> tuple[int, dict]:
        if topic not in TOPICS:
            return 200, {"topic": topic, "ignored": True, "reason": f"This endpoint reads only {', '.join(TOPICS)}."}
        payload = json_loads(body, parse_float=Decimal)
        if not isinstance(payload, dict):
            return 422, {"error": "The body must be a JSON object.", "problems": []}
        handler = _order if topic in ORDER_TOPICS else _refund if topic == REFUND_TOPIC else _delivery
        status, result = handler(payload)
        return status, {"topic": topic, **result}

    return signed_once(
        request,
        source=SOURCE,
        delivery_header="X-Shopify-Webhook-Id",
        work=work,
        topic=topic[:100],
        name="Shopify",
        setting="SHOPIFY_WEBHOOK_SECRET",
        header="X-Shopify-Hmac-Sha256",
        verify=verify_shopify,
        hint="Shopify's order is too large for this portal",
    )
