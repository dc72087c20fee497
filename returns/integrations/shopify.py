"""Shopify: its webhooks' signature check, and its order webhooks turned into the import's order
record, exactly what the policy needs.

Pure functions of the payload (and two settings): no database. The record they make
goes through the importer's own checks and upsert (``intake.order_records_check``,
``intake.orders_upsert``), so a Shopify order is validated like any imported order.

The signature: ``X-Shopify-Hmac-Sha256`` is base64 of the HMAC-SHA256 of the raw body (no
timestamp; ``X-Shopify-Webhook-Id`` de-duplicates instead).

The mapping, field by field (Shopify's REST webhook payload, Admin API 2024-01 and later):

- number: the order's ``name`` ("#1001", what the customer sees in emails and on the
  order status page) without the leading "#", as customers type it into the portal
  (the portal drops a leading "#" too); ``order_number`` when there is no name.
- email: ``email``, else ``contact_email``, else ``customer.email``.
- customer_name: the customer's first and last name, else the billing or shipping name.
- placed_at: ``created_at`` (with Shopify's offset), else ``processed_at``.
- currency and money: what the customer paid, in the currency they paid in: each amount
  is read from its ``*_set.presentment_money`` when Shopify sends it (a store selling in
  several currencies), else from the plain field in the shop's ``currency``.
- each line: quantity × price less the sum of the line's ``discount_allocations`` is what
  was paid for the line; its ``tax_lines`` are its tax. Both are split into whole cents
  per unit so that the units add up exactly to what was paid: a 3-unit line that paid
  10.00 is 3.34 + 3.33 + 3.33. The order model holds one unit price per line, so units
  that paid different amounts become lines of their own: the first keeps the SKU, the
  others get "#2", "#3" after it (``WIDGET-01`` 1 × 3.34 and ``WIDGET-01#2`` 2 × 3.33).
  The policy engine then refunds exactly what each returned unit cost, and a whole line
  returned refunds exactly what the line cost. With ``taxes_included`` (prices include
  tax, as in the EU and UK) the tax is taken out of the price, so it is not refunded twice.
- quantity: ``current_quantity`` when Shopify sends it (the units left after an order edit
  or a refund in Shopify), else ``quantity``; the units kept are those that paid the most.
  An order whose every unit was removed is left as it was.
- sku: the line's ``sku``; a line without one gets ``shopify-variant-<variant_id>``
  (or ``shopify-line-<id>``); two lines with the same SKU number on like split lines.
- shipping_charged: every ``shipping_lines`` price less its ``discount_allocations``
  (a free-shipping code), plus its tax lines unless prices include tax: what the
  customer paid for shipping. free_shipping: the order ships (has shipping lines)
  and paid nothing for it, which is what the free-shipping return fee (R10) is for.
- final_sale: order webhooks do not carry product tags, so the store's theme copies the
  product tag onto the line as a line-item property when it is added to the cart (see
  the README): a property named ``SHOPIFY_FINAL_SALE_TAG`` (default "final-sale"; a
  leading "_", which hides it at checkout, and letter case do not matter) whose value is
  not empty/false/no/0. Gift cards are final sale too.
- personalized: the line has a property named ``SHOPIFY_PERSONALIZED_PROPERTY`` (default
  "Personalization", letter case does not matter) with a value.
- payment_method: the ``payment_gateway_names`` ("shopify_payments" → "Shopify Payments").
- payment_reference: the note attribute ``payment_reference`` if the checkout recorded one
  (a Stripe PaymentIntent id); order webhooks carry no payment id of their own since
  Shopify removed ``payment_details`` in API version 2023-04.
- updated_at: ``updated_at``, when the order last changed in Shopify: an older version (a
  retry arriving late, a replay) never overwrites a newer one.
- shopify_line_item_id: the line item's ``id``, on each of our lines made from it ("#2" lines too), so
  a refund paid inside Shopify (``shopify_refunds``) names the line item and Shopify's ``refunds/create``
  is matched to a return's lines.
- delivered_on: not in the order; a ``fulfillment_events/create`` with status
  ``delivered`` sets it (``delivery_date``), the day of ``happened_at`` in the store's
  time zone (``TIME_ZONE``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.dateparse import parse_datetime

from returns.conf import store_date
from returns.exceptions import ImportErrors
from returns.intake import CENT, MAX_MONEY, Problem
from returns.integrations import WebhookRejected
from returns.models import Order, OrderLine

FALSE_WORDS = {"", "false", "no", "0"}
MAX_AMOUNT = MAX_MONEY * 1000  # beyond any order; keeps the arithmetic below exact
SKU_LENGTH = OrderLine._meta.get_field("sku").max_length
NAME_LENGTH = OrderLine._meta.get_field("name").max_length
CUSTOMER_NAME_LENGTH = Order._meta.get_field("customer_name").max_length


class _Reader:
    """Reads amounts from the payload, noting a problem (with its place) for each one that is not an amount."""

    def __init__(self, order: dict):
        self.problems: list[Problem] = []
        self.presentment = bool(order.get("presentment_currency"))

    def problem(self, where: str, message: str) -> None:
        self.problems.append(Problem(message, field=where, record=1))

    def amount(self, item: Any, key: str, where: str) -> Decimal:
        """``item[key]`` as Decimal (in the customer's currency when sent); 0 and a problem if not an amount."""
        value = item.get(key) if isinstance(item, dict) else None
        money_set = item.get(f"{key}_set") if isinstance(item, dict) else None
        if self.presentment and isinstance(money_set, dict) and isinstance(money_set.get("presentment_money"), dict):
            value, where = money_set["presentment_money"].get("amount"), f"{where}_set.presentment_money.amount"
        else:
            where = f"{where}.{key}"
        try:
            amount = Decimal(value) if isinstance(value, str | int | Decimal) and not isinstance(value, bool) else None
            exact = amount is not None and abs(amount) < MAX_AMOUNT and amount == amount.quantize(CENT)
        except (InvalidOperation, ValueError):
            exact = False
        if not exact:
            self.problem(where, f"{_show(value)} is not an amount like 12.50")
            return Decimal(0)
        return amount

    def items(self, parent: dict, key: str, where: str) -> list[dict]:
        """``parent[key]``, a list of objects (missing or null: none)."""
        value = parent.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            self.problem(f"{where}{key}", "is not a list of objects")
            return []
        return value

    def total(self, parent: dict, key: str, amount_key: str, where: str) -> Decimal:
        """The sum of ``amount_key`` over the objects of ``parent[key]``."""
        return sum(
            (
                self.amount(item, amount_key, f"{where}{key}[{i}]")
                for i, item in enumerate(self.items(parent, key, where))
            ),
            Decimal(0),
        )


def _show(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else repr(value)


def cents_per_unit(total: Decimal, quantity: int) -> list[Decimal]:
    """``total`` split over ``quantity`` units in whole cents, largest first, adding up to ``total`` exactly.

    >>> cents_per_unit(Decimal("10.00"), 3)
    [Decimal('3.34'), Decimal('3.33'), Decimal('3.33')]
    """
    base, extra = divmod(int(total / CENT), quantity)
    return [(base + 1) * CENT] * extra + [base * CENT] * (quantity - extra)


def _property(line: dict, wanted: str) -> str | None:
    """The value of the line-item property named ``wanted`` (a leading "_" and letter case ignored)."""
    wanted = wanted.strip().lstrip("_").casefold()
    properties = line.get("properties")
    for prop in properties if isinstance(properties, list) else []:
        if isinstance(prop, dict) and str(prop.get("name") or "").strip().lstrip("_").casefold() == wanted:
            return str(prop.get("value") if prop.get("value") is not None else "").strip()
    return None


def _sku(line: dict) -> str:
    sku = line.get("sku")
    if isinstance(sku, str) and sku.strip():
        return sku.strip()
    for key, prefix in (("variant_id", "shopify-variant-"), ("id", "shopify-line-")):
        if isinstance(line.get(key), int | str) and str(line[key]).strip():
            return f"{prefix}{line[key]}"
    return ""


def _line_item_id(line: dict) -> str:
    """Shopify's id of the line item (what a refund inside Shopify names), as digits; "" if it has none."""
    value = line.get("id")
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return str(value)
    return value.strip() if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 40 else ""


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _lines(order: dict, read: _Reader, *, final_sale_tag: str, personalized_property: str) -> list[dict]:
    taxes_included = order.get("taxes_included") is True
    records, skus_used = [], {}
    for position, line in enumerate(read.items(order, "line_items", "")):
        where = f"line_items[{position}]"
        quantity = line.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            read.problem(f"{where}.quantity", f"{_show(quantity)} is not a quantity of at least 1")
            continue
        paid = read.amount(line, "price", where) * quantity - read.total(line, "discount_allocations", "amount", where)
        tax = read.total(line, "tax_lines", "price", f"{where}.")
        if taxes_included:
            paid -= tax
        # Units that paid the same (price, tax) share a line; at most three kinds of unit.
        units = list(zip(cents_per_unit(paid, quantity), cents_per_unit(tax, quantity), strict=True))
        # Units removed in Shopify (an order edit, a refund there) are not the customer's to return.
        current = line.get("current_quantity", quantity)
        if isinstance(current, int) and not isinstance(current, bool) and 0 <= current < quantity:
            units = units[:current]
        groups: list[list] = []
        for unit in units:
            if groups and groups[-1][0] == unit:
                groups[-1][1] += 1
            else:
                groups.append([unit, 1])
        base = _sku(line)
        name = (_text(line.get("name")) or _text(line.get("title")) or base)[:NAME_LENGTH]
        flag = _property(line, final_sale_tag)
        final_sale = line.get("gift_card") is True or (flag is not None and flag.casefold() not in FALSE_WORDS)
        personalized = bool(_property(line, personalized_property))
        for (unit_price, unit_tax), count in groups:
            used = skus_used.get(base, 0)
            skus_used[base] = used + 1
            suffix = f"#{used + 1}" if used else ""
            records.append(
                {
                    "sku": base[: SKU_LENGTH - len(suffix)] + suffix if base else "",
                    "name": name,
                    "quantity": count,
                    "unit_price": str(unit_price),
                    "unit_tax": str(unit_tax),
                    "final_sale": final_sale,
                    "personalized": personalized,
                    # Not part of the import's format: the webhook view puts it on the lines after the checks.
                    "shopify_line_item_id": _line_item_id(line),
                }
            )
    return records


def _shipping(order: dict, read: _Reader) -> tuple[Decimal, bool]:
    """(what the customer paid for shipping after shipping discounts, whether the order ships at all)."""
    shipping_lines = read.items(order, "shipping_lines", "")
    paid = Decimal(0)
    for position, shipping in enumerate(shipping_lines):
        where = f"shipping_lines[{position}]"
        charged = read.amount(shipping, "price", where) - read.total(shipping, "discount_allocations", "amount", where)
        paid += max(Decimal(0), charged)
        if charged > 0 and order.get("taxes_included") is not True:
            paid += read.total(shipping, "tax_lines", "price", f"{where}.")
    return paid, bool(shipping_lines)


def _customer_name(order: dict) -> str:
    customer = order.get("customer") if isinstance(order.get("customer"), dict) else {}
    name = " ".join(part for part in (_text(customer.get("first_name")), _text(customer.get("last_name"))) if part)
    for address in ("billing_address", "shipping_address"):
        if not name and isinstance(order.get(address), dict):
            name = _text(order[address].get("name"))
    return name[:CUSTOMER_NAME_LENGTH]


def _payment_method(order: dict) -> str:
    names = order.get("payment_gateway_names")
    names = [_text(n) for n in names if _text(n)] if isinstance(names, list) else []
    if not names and _text(order.get("gateway")):
        names = [_text(order["gateway"])]
    shown = ", ".join(n.replace("_", " ").title() if n.islower() else n for n in names)
    return shown[:100] or "Shopify"


def _note_attribute(order: dict, name: str) -> str:
    attributes = order.get("note_attributes")
    for attribute in attributes if isinstance(attributes, list) else []:
        if isinstance(attribute, dict) and attribute.get("name") == name:
            return _text(attribute.get("value"))
    return ""


def order_number(order: Any) -> str:
    """The number customers see: ``name`` ("#1001") without the "#"; ``order_number`` if there is no name."""
    if not isinstance(order, dict):
        return ""
    name = _text(order.get("name")).lstrip("#").strip()
    if name:
        return name
    number = order.get("order_number")
    return str(number) if isinstance(number, int | str) and not isinstance(number, bool) else ""


def order_record(order: Any, *, final_sale_tag: str, personalized_property: str) -> dict:
    """The import-format record of an ``orders/create`` or ``orders/updated`` payload.

    Raises ImportErrors for amounts that cannot be read (with their place in Shopify's
    payload); anything else (a missing email, a bad currency) is left for the importer's
    own checks, which then give their usual messages.
    """
    if not isinstance(order, dict):
        raise ImportErrors([Problem(f"{_show(order)} is not an order object", record=1)])
    read = _Reader(order)
    lines = _lines(order, read, final_sale_tag=final_sale_tag, personalized_property=personalized_property)
    shipping, ships = _shipping(order, read)
    if read.problems:
        raise ImportErrors(read.problems)
    customer = order.get("customer") if isinstance(order.get("customer"), dict) else {}
    return {
        "number": order_number(order),
        "email": _text(order.get("email")) or _text(order.get("contact_email")) or _text(customer.get("email")),
        "customer_name": _customer_name(order),
        "placed_at": order.get("created_at") or order.get("processed_at"),
        "currency": order.get("presentment_currency") if read.presentment else order.get("currency"),
        "shipping_charged": str(shipping),
        "free_shipping": ships and shipping == 0,
        "payment_method": _payment_method(order),
        "payment_reference": _note_attribute(order, "payment_reference"),
        "updated_at": order.get("updated_at"),
        "lines": lines,
    }


def delivery_date(event: Any) -> date:
    """The store's calendar day of a ``fulfillment_events/create`` event (``happened_at``, else ``created_at``)."""
    moments: Iterable[Any] = (
        (event.get(key) for key in ("happened_at", "created_at")) if isinstance(event, dict) else ()
    )
    for text in moments:
        try:
            moment = parse_datetime(text) if isinstance(text, str) else None
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return store_date(moment)
    message = "is not a date and time with an offset like 2026-10-05T23:30:00-04:00"
    raise ImportErrors([Problem(message, field="happened_at", record=1)])


def shopify_signature(body: bytes, secret: str) -> str:
    """What Shopify sends in X-Shopify-Hmac-Sha256: base64 of the HMAC-SHA256 of the raw body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify_shopify(header: str | None, body: bytes, secrets: str) -> None:
    """``secrets``: one, or several separated by commas (a secret being rolled, or webhooks made in the
    Shopify admin and by an app, which sign with different secrets)."""
    candidates = [secret.strip() for secret in secrets.split(",") if secret.strip()]
    if not candidates:
        raise WebhookRejected("The webhook is not configured (no secret).")
    if not header:
        raise WebhookRejected("The X-Shopify-Hmac-Sha256 header is missing.")
    sent = header.strip().encode()
    # compare_digest takes the same time however much of a guess matches; every secret is tried.
    matches = [hmac.compare_digest(shopify_signature(body, secret).encode(), sent) for secret in candidates]
    if not any(matches):
        raise WebhookRejected("The X-Shopify-Hmac-Sha256 signature does not match the body.")
