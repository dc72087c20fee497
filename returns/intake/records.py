"""One order record checked: the JSON export's shape, also what a webhook receives.

Its fields against the specs, the rules across them, its lines (each SKU once); and a list of
records checked together, each order number once. The checks only: nothing is written here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from returns.conf import store_date
from returns.exceptions import ImportErrors
from returns.intake.fields import LINE_SPEC, ORDER_SPEC, problems_at, show, spec_check


@dataclass
class ParsedOrder:
    """An order whose every field and line passed the checks: ready for ``orders_upsert``."""

    fields: dict[str, Any]  # Order field name -> clean value
    lines: dict[str, dict[str, Any]]  # sku -> OrderLine field name -> clean value


def order_rules(order: dict[str, Any]) -> list[tuple[str, str]]:
    """Rules across fields of a valid order (the first is also a database constraint)."""
    errors = []
    if order["free_shipping"] and order["shipping_charged"] != 0:
        errors.append(("shipping_charged", f"is {order['shipping_charged']}, but free_shipping is true"))
    placed_on = store_date(order["placed_at"])
    if order["delivered_on"] and order["delivered_on"] < placed_on:
        errors.append(("delivered_on", f"{order['delivered_on']} is before the order was placed ({placed_on})"))
    return errors


def record_check(record: Any) -> tuple[ParsedOrder | None, list[tuple[str, str]]]:
    """A record of the JSON export cleaned, and (field, message) for each problem in it."""
    if not isinstance(record, dict):
        return None, [("", f"{show(record)} is not an order object")]
    fields, errors = spec_check(ORDER_SPEC, record)
    errors += [] if errors else order_rules(fields)
    lines, raw_lines = {}, record.get("lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        errors.append(("lines", "an order needs at least one line"))
        raw_lines = []
    for position, raw in enumerate(raw_lines):
        if not isinstance(raw, dict):
            errors.append((f"lines[{position}]", f"{show(raw)} is not a line object"))
            continue
        values, line_errors = spec_check(LINE_SPEC, raw, prefix=f"lines[{position}].")
        errors += line_errors
        if values["sku"] in lines:
            errors.append((f"lines[{position}].sku", f"'{values['sku']}' is already a line of this order"))
        elif values["sku"]:
            lines[values["sku"]] = values
    return ParsedOrder(fields, lines), errors


def order_records_check(records: Iterable[Any]) -> list[ParsedOrder]:
    """Clean orders from records already parsed from JSON (the export's ``orders`` items).

    The same checks and messages as a file import, for a caller that holds the
    records in memory (a webhook's body); ``Problem.record`` is the 1-based position.
    Raises ImportErrors listing every problem; pass the result to ``orders_upsert``.
    """
    orders, problems, first_record = [], [], {}
    for index, record in enumerate(records, start=1):
        parsed, errors = record_check(record)
        number = parsed.fields["number"] if parsed else None
        if number in first_record:
            errors.append(("number", f"order {number} is also record {first_record[number]}"))
        elif number:
            first_record[number] = index
        problems += problems_at(errors, record=index)
        if parsed:
            orders.append(parsed)
    if problems:
        raise ImportErrors(problems)
    return orders
