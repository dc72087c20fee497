"""Clean orders written under row locks, and delivery dates recorded.

Orders are matched by number, so writing the same orders twice changes nothing. A record
carrying the store's ``updated_at`` older than the version already written changes nothing
(a late or replayed push never takes an order back in time). The lines of an order with
return requests are never touched: the requests point at them and hold units of them (R4).
Its order-level fields are still updated, except those a refund or the return window was
computed from (``FROZEN_ONCE_RETURNED``): an import reports them as kept; a push that would
move the delivery date is refused, and support changes it in the admin with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef

from returns.conf import store_date
from returns.exceptions import ImportErrors
from returns.intake.fields import DELIVERY_SPEC, Problem, problems_at, show, spec_check
from returns.intake.records import ParsedOrder
from returns.models import Order, OrderLine, ReturnRequest

BATCH = 500  # orders written per round trip


# What a refund was computed from, who may see the order and when its return window
# closes: not changed by an import once the order has return requests (fix those in the
# admin, deliberately; the delivery date with a reason, ``order_delivery_date_correct``).
FROZEN_ONCE_RETURNED = (
    "delivered_on",
    "email",
    "currency",
    "shipping_charged",
    "free_shipping",
    "payment_method",
    "payment_reference",
)


@dataclass
class OrderImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # Orders whose lines in the file differ from the stored ones but were kept
    # because the order has return requests.
    orders_with_kept_lines: list[str] = field(default_factory=list)
    # Orders with return requests whose money or email in the file differ: (number, fields kept).
    orders_with_kept_fields: list[tuple[str, list[str]]] = field(default_factory=list)
    # Records older than the version already written, which changed nothing:
    # (number, the record's updated_at, the written version's).
    orders_older_than_applied: list[tuple[str, datetime, datetime]] = field(default_factory=list)

    @property
    def lines_kept_because_of_returns(self) -> int:
        return len(self.orders_with_kept_lines)


def _changes(instance, values: dict[str, Any]) -> list[str]:
    return [name for name, value in values.items() if getattr(instance, name) != value]


def _lines_differ(current: dict[str, OrderLine], wanted: dict[str, dict]) -> bool:
    return current.keys() != wanted.keys() or any(_changes(current[sku], values) for sku, values in wanted.items())


def _replace_lines(order: Order, current: dict[str, OrderLine], wanted: dict[str, dict]) -> bool:
    """Make the order's lines match the file; True if anything changed."""
    stale = [line.pk for sku, line in current.items() if sku not in wanted]
    if stale:
        OrderLine.objects.filter(pk__in=stale).delete()
    changed = bool(stale)
    for sku, values in wanted.items():
        line = current.get(sku)
        if line is None:
            OrderLine.objects.create(order=order, **values)
            changed = True
        elif names := _changes(line, values):
            for name in names:
                setattr(line, name, values[name])
            line.save(update_fields=names)
            changed = True
    return changed


def _fill_line_item_ids(current: dict[str, OrderLine], wanted: dict[str, dict]) -> bool:
    """An order with returns keeps its lines, but a Shopify line item id it lacks (written before they were kept)
    is only news: filled in, so its refund can be paid inside Shopify. True if any was."""
    filled = []
    for sku, line in current.items():
        new_id = wanted.get(sku, {}).get("shopify_line_item_id", "")
        if new_id and not line.shopify_line_item_id:
            line.shopify_line_item_id = new_id
            filled.append(line)
    OrderLine.objects.bulk_update(filled, ["shopify_line_item_id"])
    return bool(filled)


def orders_upsert(
    *, orders: list[ParsedOrder], result: OrderImportResult | None = None, refuse_new_delivery_dates: bool = False
) -> OrderImportResult:
    """Create or update a batch of clean orders (from ``order_records_check``), matched by number.

    The numbers must be distinct. Counts are added to ``result``. Runs in a
    transaction of its own, or in the caller's, so a caller writing many batches
    can still write all or nothing. With ``refuse_new_delivery_dates`` (a push, not a
    file) another delivery date for an order with returns raises ImportErrors and
    nothing is written.
    """
    result = result if result is not None else OrderImportResult()
    with transaction.atomic():
        upsert_batch(orders, result, refuse_new_delivery_dates=refuse_new_delivery_dates)
    return result


def kept_delivery_date(order: Order, delivered_on) -> str:
    """Why an order with return requests keeps its delivery date, in the words every channel answers with."""
    return (
        f"order {order.number} has return requests, so its delivery date stays {order.delivered_on} "
        f"(its return window runs from it); {delivered_on} was not applied. Support can change it on "
        "the order's page in the admin, with a reason."
    )


def _kept_date_problem(order: Order, delivered_on, **where) -> Problem:
    return Problem(kept_delivery_date(order, delivered_on), field="delivered_on", **where)


def upsert_batch(
    orders: list[ParsedOrder], result: OrderImportResult, *, refuse_new_delivery_dates: bool = False
) -> None:
    """``orders_upsert`` inside the caller's transaction, with no savepoint per batch (the file import)."""
    # Locking the orders queues us behind return_request_submit, which locks the
    # order too, so "has no return requests" stays true until we commit.
    has_returns = Exists(ReturnRequest.objects.filter(order=OuterRef("pk")))
    existing = (
        Order.objects.select_for_update()
        .annotate(has_returns=has_returns)
        .prefetch_related("lines")
        .in_bulk([order.fields["number"] for order in orders], field_name="number")
    )
    new_orders, refused = [], []
    for position, parsed in enumerate(orders, start=1):
        fields = dict(parsed.fields)
        version = fields.pop("updated_at", None)  # the store's; ours is Order.updated_at
        order = existing.get(fields["number"])
        if order is None:
            new_orders.append((Order(**fields, store_updated_at=version), parsed.lines))
            continue
        if version and order.store_updated_at and version < order.store_updated_at:
            result.orders_older_than_applied.append((order.number, version, order.store_updated_at))
            continue
        changed = _changes(order, fields)
        if order.has_returns:
            # Refunds were computed from these, visibility follows the email, the window the date: keep them.
            kept = [name for name in changed if name in FROZEN_ONCE_RETURNED]
            if order.delivered_on is None and "delivered_on" in kept:
                kept.remove("delivered_on")  # not delivered yet: the first date is news, not a re-dating
            if refuse_new_delivery_dates and "delivered_on" in kept and fields["delivered_on"] is not None:
                refused.append(_kept_date_problem(order, fields["delivered_on"], record=position))
            if kept:
                result.orders_with_kept_fields.append((order.number, kept))
            changed = [name for name in changed if name not in kept]
        for name in changed:
            setattr(order, name, fields[name])
        if version and version != order.store_updated_at:
            order.store_updated_at = version
            order.save(update_fields=[*changed, "store_updated_at", "updated_at"])
        elif changed:
            order.save(update_fields=[*changed, "updated_at"])
        lines = {line.sku: line for line in order.lines.all()}
        if order.has_returns:
            lines_changed = _fill_line_item_ids(lines, parsed.lines)
            if _lines_differ(lines, parsed.lines):
                result.orders_with_kept_lines.append(order.number)
        else:
            lines_changed = _replace_lines(order, lines, parsed.lines)
        if changed or lines_changed:
            result.updated += 1
        else:
            result.unchanged += 1
    if refused:
        raise ImportErrors(refused)  # the caller's transaction rolls back what this batch wrote
    Order.objects.bulk_create([order for order, _ in new_orders], batch_size=BATCH)
    OrderLine.objects.bulk_create(
        [OrderLine(order=order, **values) for order, lines in new_orders for values in lines.values()],
        batch_size=BATCH,
    )
    result.created += len(new_orders)


def order_deliveries_record(*, deliveries: list[Any]) -> int:
    """The store says orders were delivered: ``[{"number", "delivered_on"}]``, all or nothing.

    The same field checks and messages as an import; an unknown order, a date before
    the order was placed, or another date for an order with return requests (its window
    runs from it; support changes it in the admin) is a problem too. Returns how many
    orders changed.
    """
    problems, clean = [], []
    for index, raw in enumerate(deliveries, start=1):
        if not isinstance(raw, dict):
            problems.append(Problem(f"{show(raw)} is not a delivery object", record=index))
            continue
        values, errors = spec_check(DELIVERY_SPEC, raw)
        problems += problems_at(errors, record=index)
        if not errors:
            clean.append((index, values))
    if problems:
        raise ImportErrors(problems)
    with transaction.atomic():
        orders = (
            Order.objects.select_for_update()
            .annotate(has_returns=Exists(ReturnRequest.objects.filter(order=OuterRef("pk"))))
            .in_bulk([v["number"] for _, v in clean], field_name="number")
        )
        for index, values in clean:
            order = orders.get(values["number"])
            if order is None:
                problems.append(Problem(f"there is no order {values['number']}", field="number", record=index))
                continue
            if order.has_returns and order.delivered_on and order.delivered_on != values["delivered_on"]:
                problems.append(_kept_date_problem(order, values["delivered_on"], record=index))
                continue
            placed_on = store_date(order.placed_at)
            if values["delivered_on"] < placed_on:
                message = f"{values['delivered_on']} is before the order was placed ({placed_on})"
                problems.append(Problem(message, field="delivered_on", record=index))
        if problems:
            raise ImportErrors(problems)
        changed = 0
        for _, values in clean:
            order = orders[values["number"]]
            if order.delivered_on != values["delivered_on"]:
                order.delivered_on = values["delivered_on"]
                order.save(update_fields=["delivered_on", "updated_at"])
                changed += 1
    return changed
