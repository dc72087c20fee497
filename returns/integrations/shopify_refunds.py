"""Refunds paid inside Shopify: the Admin GraphQL API's ``refundCreate``, and its ``refunds/create`` webhook read.

For orders that came from Shopify (``Order.shopify_order_id``): the refund names the order's line items with
the quantities accepted at inspection and each line's restock choice (``restockType`` RETURN at
``SHOPIFY_RESTOCK_LOCATION_ID``, or NO_RESTOCK), the shipping R10 refunds, and one transaction of exactly
our computed total whose parent is the order's original payment (read from the order's transactions first).
Shopify's refund input has no field for a fee kept back, so the total is the transaction's amount, the
free-shipping return fee is named line by line in the ``note`` and ``discrepancyReason: OTHER`` tells
Shopify the difference from its own computation is deliberate.

Paid at most once: ``refundCreate`` carries ``@idempotent(key: …)`` (Shopify answers a repeated key with the
refund it already made; the directive arrived in API version 2026-01 and is required from 2026-04), and the
note carries our key too, so a retry first looks at the order's refunds for one already made with it.

The client: Shopify's official Python library (``ShopifyAPI``) runs GraphQL through
``urllib.request.urlopen`` with no timeout, takes the shop and token from a process-global session
(``ShopifyResource.activate_session``) and prints errors to stdout; a click must not wait for ever, two
workers' threads must not share a session, and the tests point the client at a local stand-in. So this is
a thin GraphQL client over urllib3 (already a dependency): a timeout on every call, the shop per call.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import urllib3
from django.conf import settings

from returns.integrations import (
    NO_DETAIL,
    ProviderRefund,
    ProviderRefused,
    ProviderUnavailable,
    RefundDetail,
    WebhookRejected,
    minor_units,
)

if TYPE_CHECKING:
    from returns.models import Order

# Our idempotency key, as the refund worker makes it (``outbox.refunds.idempotency_key``), found in a note.
KEY_IN_NOTE = re.compile(r"\[alotrop-key: (alotrop-[A-Z0-9-]+-refund-(\d{1,18})-\d+)\]")
STATUS = {
    "SUCCESS": "succeeded",
    "PENDING": "pending",
    "AWAITING_RESPONSE": "pending",
    "UNKNOWN": "pending",
    "FAILURE": "failed",
    "ERROR": "failed",
}
POOL = urllib3.PoolManager(retries=False)
NOTE_LIMIT = 2000

ORDER_QUERY = """
query AlotropRefundOrder($id: ID!) {
  order(id: $id) {
    id
    name
    presentmentCurrencyCode
    transactions(first: 50) {
      id kind status gateway
      amountSet { presentmentMoney { amount currencyCode } }
    }
    refunds(first: 50) {
      id note
      totalRefundedSet { presentmentMoney { amount currencyCode } }
      transactions(first: 10) { nodes { id kind status errorCode } }
    }
  }
}
"""

REFUND_FIELDS = """
      id note
      totalRefundedSet { presentmentMoney { amount currencyCode } }
      transactions(first: 10) { nodes { id kind status errorCode } }
"""

REFUND_QUERY = f"""
query AlotropRefund($id: ID!) {{
  refund(id: $id) {{{REFUND_FIELDS}  }}
}}
"""


def refund_mutation(key: str) -> str:
    # The key is a GraphQL string literal, as in Shopify's own examples (JSON's escaping is GraphQL's).
    return f"""
mutation AlotropRefundCreate($input: RefundInput!) {{
  refundCreate(input: $input) @idempotent(key: {json.dumps(key)}) {{
    refund {{{REFUND_FIELDS}    }}
    userErrors {{ field message }}
  }}
}}
"""


def order_gid(shopify_id: str) -> str:
    return shopify_id if shopify_id.startswith("gid://") else f"gid://shopify/Order/{shopify_id}"


def line_item_gid(shopify_id: str) -> str:
    return shopify_id if shopify_id.startswith("gid://") else f"gid://shopify/LineItem/{shopify_id}"


def _numeric_id(value: Any) -> str:
    """Shopify's id as digits ("gid://shopify/LineItem/13" or 13 -> "13"), or "" for anything else."""
    text = str(value).rsplit("/", 1)[-1] if isinstance(value, int | str) and not isinstance(value, bool) else ""
    return text if text.isdigit() and len(text) <= 40 else ""


def _messages(errors: list) -> str:
    texts = [str(e.get("message") or e) if isinstance(e, dict) else str(e) for e in errors]
    return "; ".join(t.strip() for t in texts if t.strip())[:1000] or "no reason given"


class GraphQLClient:
    """One shop's Admin GraphQL endpoint: a POST per call, the token in ``X-Shopify-Access-Token``."""

    def __init__(self, *, base: str, token: str, version: str, timeout: float):
        self.url = f"{base.rstrip('/')}/admin/api/{version}/graphql.json"
        self.token = token
        self.timeout = timeout

    def execute(self, query: str, variables: dict) -> dict:
        """The answer's ``data``; Shopify's "try later" (a timeout, 429, THROTTLED, 5xx) is ProviderUnavailable."""
        body = json.dumps({"query": query, "variables": variables}).encode()
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-Shopify-Access-Token": self.token,
        }
        try:
            response = POOL.request("POST", self.url, body=body, headers=headers, timeout=self.timeout, redirect=False)
        except urllib3.exceptions.HTTPError as exc:  # timeouts, refused connections, dropped answers
            raise ProviderUnavailable(f"Shopify did not answer: {exc.__class__.__name__}") from exc
        status = response.status
        if status == 429:
            raise ProviderUnavailable("Shopify is throttling our calls (429): tried again later.")
        if status in (401, 403):
            raise ProviderUnavailable(
                f"Shopify refused our access token ({status}): check SHOPIFY_ADMIN_ACCESS_TOKEN and its "
                "write_orders scope."
            )
        if status >= 500:
            raise ProviderUnavailable(f"Shopify had an error ({status}).")
        try:
            answer = json.loads(response.data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ProviderUnavailable(f"Shopify's answer ({status}) was not JSON.") from exc
        errors = answer.get("errors") if isinstance(answer, dict) else None
        if isinstance(errors, list | dict | str) and errors:
            errors = errors if isinstance(errors, list) else [errors]
            codes = {(e.get("extensions") or {}).get("code") for e in errors if isinstance(e, dict)}
            if "THROTTLED" in codes:
                raise ProviderUnavailable("Shopify is throttling our calls (THROTTLED): tried again later.")
            raise ProviderRefused(f"Shopify refused the call: {_messages(errors)}")
        if status != 200 or not isinstance(answer, dict) or not isinstance(answer.get("data"), dict):
            raise ProviderRefused(f"Shopify answered {status} without data.")
        return answer["data"]


def _money(money_bag: Any) -> tuple[Decimal, str]:
    presentment = (money_bag or {}).get("presentmentMoney") if isinstance(money_bag, dict) else None
    try:
        return Decimal(str(presentment["amount"])), str(presentment.get("currencyCode") or "")
    except (TypeError, KeyError, InvalidOperation):
        return Decimal(0), ""


def refund_status(transactions: list) -> tuple[str, str]:
    """(pending, succeeded or failed; why it failed) of a refund from its refund transactions."""
    statuses = [STATUS.get(str(t.get("status") or "").upper(), "pending") for t in transactions if isinstance(t, dict)]
    if any(s == "failed" for s in statuses):
        codes = [str(t.get("errorCode") or t.get("error_code") or "") for t in transactions if isinstance(t, dict)]
        return "failed", ", ".join(c for c in codes if c) or "the refund transaction failed"
    if statuses and all(s == "succeeded" for s in statuses):
        return "succeeded", ""
    return "pending", ""


def _as_refund(refund: dict, currency: str = "") -> ProviderRefund:
    nodes = ((refund.get("transactions") or {}).get("nodes")) or []
    status, reason = refund_status([n for n in nodes if isinstance(n, dict) and n.get("kind") in ("REFUND", None)])
    amount, paid_in = _money(refund.get("totalRefundedSet"))
    key, ours = _key_in(refund.get("note"))
    return ProviderRefund(
        id=str(refund.get("id") or ""),
        status=status,
        amount_minor=minor_units(amount, paid_in or currency or "USD") if amount else 0,
        failure_reason=reason,
        our_refund_id=ours,
        key=key,
    )


def _key_in(note: Any) -> tuple[str, int | None]:
    found = KEY_IN_NOTE.search(note) if isinstance(note, str) else None
    return (found.group(1), int(found.group(2))) if found else ("", None)


def refund_note(*, detail: RefundDetail, currency: str, key: str) -> str:
    """What Shopify's admin shows on the refund: our breakdown line by line, the fee kept back, our key."""
    lines = [f"Return {detail.rma} (Alotrop Returns), refund as computed there (R10):"]
    lines += [f"- {label}: {amount}" for label, amount in detail.breakdown]
    if detail.deduction > 0:
        lines.append(f"- Free-shipping return fee deducted: -{detail.deduction} {currency} (R10)")
    restocked = [f"{line.name} × {line.quantity}" for line in detail.lines if line.restock]
    if restocked:
        lines.append(f"Restocked: {', '.join(restocked)}.")
    tail = f"[alotrop-key: {key}]"
    text = "\n".join(lines)
    return f"{text[: NOTE_LIMIT - len(tail) - 1]}\n{tail}"


def refund_line_items(detail: RefundDetail, location: str) -> list[dict]:
    """One input per Shopify line item and restock choice: units split into "#2" lines here are one line there."""
    quantities: dict[tuple[str, bool], int] = {}
    for line in detail.lines:
        if not line.line_id:
            raise ProviderRefused(
                f"{line.name} ({line.sku}) has no Shopify line item id here (its order was written before the "
                "portal kept them): send the order again from Shopify, or refund it in Shopify and mark it issued."
            )
        quantities[(line.line_id, line.restock)] = quantities.get((line.line_id, line.restock), 0) + line.quantity
    if location == "" and any(restock for _, restock in quantities):
        raise ProviderRefused(
            "SHOPIFY_RESTOCK_LOCATION_ID is not set, so Shopify cannot restock: set the location items go back "
            "to, then retry. Nothing was asked of Shopify."
        )
    if location and not location.startswith("gid://"):
        location = f"gid://shopify/Location/{location}"
    items = []
    for (line_id, restock), quantity in quantities.items():
        item: dict[str, Any] = {"lineItemId": line_item_gid(line_id), "quantity": quantity}
        if restock:
            item.update(restockType="RETURN", locationId=location)
        else:
            item["restockType"] = "NO_RESTOCK"
        items.append(item)
    return items


def _parent(order: dict, currency: str) -> dict:
    """The order's original payment: its successful sale or capture (the largest, if it was paid in parts)."""
    paid = [
        t
        for t in order.get("transactions") or []
        if isinstance(t, dict) and t.get("kind") in ("SALE", "CAPTURE") and t.get("status") == "SUCCESS"
    ]
    if not paid:
        raise ProviderRefused(f"Order {order.get('name') or ''} has no successful payment in Shopify to refund.")
    return max(paid, key=lambda t: _money(t.get("amountSet"))[0])


class ShopifyRefunds:
    name = "shopify"
    label = "Shopify"
    automatic = True

    def __init__(self, *, interactive: bool = False):
        # A staff member's click waits at most SHOPIFY_CLICK_TIMEOUT per call; past that the refund waits and
        # the worker asks again, with the same key and its own, longer SHOPIFY_TIMEOUT.
        timeout = settings.SHOPIFY_TIMEOUT
        if interactive:
            timeout = min(settings.SHOPIFY_CLICK_TIMEOUT, timeout)
        base = settings.SHOPIFY_API_BASE or f"https://{settings.SHOPIFY_SHOP_DOMAIN}"
        self.client = GraphQLClient(
            base=base, token=settings.SHOPIFY_ADMIN_ACCESS_TOKEN, version=settings.SHOPIFY_API_VERSION, timeout=timeout
        )

    def payment_reference_of(self, order: Order) -> str:
        return order.shopify_order_id

    def why_not_payable(self, order: Order) -> str:
        if order.shopify_order_id:
            return ""
        return (
            f"Order {order.number} did not come from Shopify, so Shopify cannot refund it: pay it where it was "
            "paid and enter that payment's reference."
        )

    def _order(self, payment_reference: str) -> dict:
        data = self.client.execute(ORDER_QUERY, {"id": order_gid(payment_reference)})
        order = data.get("order")
        if not isinstance(order, dict):
            raise ProviderRefused(f"Shopify has no order {payment_reference} (is SHOPIFY_SHOP_DOMAIN this store?).")
        return order

    def refund_send(
        self,
        *,
        payment_reference: str,
        amount: Decimal,
        currency: str,
        key: str,
        metadata: dict,
        retry: bool,
        detail: RefundDetail = NO_DETAIL,
    ) -> ProviderRefund:
        if not _numeric_id(payment_reference):
            raise ProviderRefused(f"{payment_reference!r} is not a Shopify order id.")
        minor_units(amount, currency)  # a fraction the currency cannot pay is refused before any call
        items = refund_line_items(detail, settings.SHOPIFY_RESTOCK_LOCATION_ID)
        order = self._order(payment_reference)
        if retry:
            for refund in order.get("refunds") or []:
                if isinstance(refund, dict) and _key_in(refund.get("note"))[0] == key:
                    return _as_refund(refund, currency)
        shop_currency = str(order.get("presentmentCurrencyCode") or "")
        if shop_currency.upper() != currency.upper():
            raise ProviderRefused(
                f"Order {order.get('name')} was paid in {shop_currency}, the refund is in {currency}."
            )
        parent = _parent(order, currency)
        refund_input: dict[str, Any] = {
            "orderId": order_gid(payment_reference),
            "currency": currency.upper(),
            "notify": False,  # the portal emails the customer itself (R11)
            "note": refund_note(detail=detail, currency=currency.upper(), key=key),
            "refundLineItems": items,
            "transactions": [
                {
                    "orderId": order_gid(payment_reference),
                    "parentId": parent["id"],
                    "gateway": parent.get("gateway") or "",
                    "kind": "REFUND",
                    "amount": str(amount),
                }
            ],
        }
        if detail.shipping > 0:
            refund_input["shipping"] = {"amount": str(detail.shipping)}
        if detail.deduction > 0:
            refund_input["discrepancyReason"] = "OTHER"
        data = self.client.execute(refund_mutation(key), {"input": refund_input})
        payload = data.get("refundCreate") or {}
        if payload.get("userErrors"):
            raise ProviderRefused(f"Shopify refused the refund: {_messages(payload['userErrors'])}")
        refund = payload.get("refund")
        if not isinstance(refund, dict) or not refund.get("id"):
            raise ProviderUnavailable("Shopify answered without the refund; asked again later with the same key.")
        return _as_refund(refund, currency)

    def refund_status(self, *, reference: str) -> ProviderRefund:
        refund = self.client.execute(REFUND_QUERY, {"id": reference}).get("refund")
        if not isinstance(refund, dict):
            raise ProviderRefused(f"Shopify has no refund {reference}.")
        return _as_refund(refund)

    def webhook_refund(self, *, body: bytes, headers) -> ProviderRefund | None:
        raise WebhookRejected("Shopify's refunds/create webhook goes to /api/v1/shopify/webhooks.")


def _list(value: Any) -> list[dict]:
    """The objects of a list in a payload (anything else: none)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def refund_from_webhook(payload: Any) -> tuple[str, ProviderRefund] | None:
    """A ``refunds/create`` payload as (Shopify's order id, the refund); None when it moved no money.

    Its REST shape: ``id``, ``order_id``, ``note``, ``refund_line_items[]`` (``line_item_id``, ``quantity``),
    ``transactions[]`` (``kind`` refund, ``status`` success/pending/failure/error, ``amount``).
    """
    if not isinstance(payload, dict):
        raise WebhookRejected("The body must be a JSON object.")
    refund_id, order_id = _numeric_id(payload.get("id")), _numeric_id(payload.get("order_id"))
    if not refund_id or not order_id:
        raise WebhookRejected("A refund needs its id and order_id.")
    transactions = [t for t in _list(payload.get("transactions")) if str(t.get("kind")).lower() == "refund"]
    if not transactions:
        return None
    status, reason = refund_status([{**t, "status": str(t.get("status") or "").upper()} for t in transactions])
    lines: dict[str, int] = {}
    for item in _list(payload.get("refund_line_items")):
        line_id, quantity = _numeric_id(item.get("line_item_id")), item.get("quantity")
        if line_id and isinstance(quantity, int) and not isinstance(quantity, bool) and quantity > 0:
            lines[line_id] = lines.get(line_id, 0) + quantity
    key, ours = _key_in(payload.get("note"))
    return order_id, ProviderRefund(
        id=f"gid://shopify/Refund/{refund_id}",
        status=status,
        failure_reason=reason,
        our_refund_id=ours,
        key=key,
        lines=tuple(sorted(lines.items())),
    )


def provider(*, interactive: bool = False) -> ShopifyRefunds:
    return ShopifyRefunds(interactive=interactive)
