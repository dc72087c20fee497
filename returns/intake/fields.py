"""One value of an order or a line: the parsers, the field specs of the export's format, and the
located ``Problem`` every check of intake reports.

A parser raises ``_Invalid`` with a message that completes "field X: ..."; ``spec_check`` runs a
spec over a raw record and collects them, so a file, a webhook and a delivery date are refused
with the same words.

Optional fields: customer_name, delivered_on (empty until delivered), updated_at (when the
store last changed the order: an older version never overwrites a newer one) and the flags
free_shipping, final_sale, personalized (empty is false). Unknown fields are ignored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from core.addresses import normalize_email
from returns.models import Order, OrderLine

CENT = Decimal("0.01")
MAX_MONEY = Decimal(10) ** 10  # DecimalField(max_digits=12, decimal_places=2)
MAX_QUANTITY = 2_147_483_647  # PositiveIntegerField
MONEY_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")
WHOLE_NUMBER_TEXT = re.compile(r"-?[0-9]+")
FLAG_WORDS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
REQUIRED = object()  # a spec's default meaning "there is no default"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file, located so the person can find and fix it."""

    message: str
    field: str = ""
    record: int | None = None  # JSON: 1-based position in "orders"
    line: int | None = None  # CSV: physical line, header = 1; JSON: syntax errors

    def __str__(self) -> str:
        where = [f"record {self.record}"] if self.record else []
        where += [f"line {self.line}"] if self.line else []
        where += [f"field {self.field}"] if self.field else []
        return f"{', '.join(where)}: {self.message}" if where else self.message


class _Invalid(ValueError):
    """A value that cannot be used; the message completes "field X: ..."."""


def show(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return f"'{value}'" if isinstance(value, str) else str(value)


def _parser(convert: Callable[[str], Any], expected: str) -> Callable[[Any], Any]:
    """A parser of text; ``convert`` returns None or raises ValueError for a bad value."""

    def parse(value: Any) -> Any:
        try:
            result = convert(value.strip()) if isinstance(value, str) else None
        except ValueError:
            result = None
        if result is None:
            raise _Invalid(f"{show(value)} is not {expected}")
        return result

    return parse


def _text(model, name: str) -> Callable[[Any], str]:
    max_length = model._meta.get_field(name).max_length

    def parse(value: Any) -> str:
        if name == "number" and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # exports may write order numbers as JSON numbers
        if not isinstance(value, str) or "\x00" in value:
            raise _Invalid(f"{show(value)} is not text")
        if len(value.strip()) > max_length:
            raise _Invalid(f"is {len(value.strip())} characters long; at most {max_length} fit")
        return value.strip()

    return parse


def _email(value: Any) -> str:
    email = normalize_email(_text(Order, "email")(value))
    try:
        validate_email(email)
    except ValidationError:
        raise _Invalid(f"{show(value)} is not an email address") from None
    return email


def _money(value: Any) -> Decimal:
    if isinstance(value, str) and MONEY_TEXT.fullmatch(value.strip()):
        amount = Decimal(value.strip())
    elif isinstance(value, int | Decimal) and not isinstance(value, bool) and Decimal(value).is_finite():
        amount = Decimal(value)  # a JSON number, parsed as Decimal
    else:
        raise _Invalid(f"{show(value)} is not an amount like 12.50")
    if amount < 0 or amount >= MAX_MONEY:
        raise _Invalid(f"{show(value)} is {'negative' if amount < 0 else 'too large'}")
    if amount != amount.quantize(CENT):
        raise _Invalid(f"{show(value)} has more than 2 decimal places")
    return amount.quantize(CENT)


def _quantity(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        value = _parser(lambda text: int(text) if WHOLE_NUMBER_TEXT.fullmatch(text) else None, "a whole number")(value)
    if not 1 <= value <= MAX_QUANTITY:
        raise _Invalid(f"{value} is not a quantity of at least 1")
    return value


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return _parser(lambda text: FLAG_WORDS.get(text.lower()), "true or false")(value)


def _store_time(text: str):
    """A bare date is not a time; a time without an offset is the store's local time."""
    moment = parse_datetime(text) if len(text) > 10 else None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


_moment = _parser(_store_time, "a date and time like 2026-10-01T10:00:00Z")
_day = _parser(parse_date, "a date like 2026-10-05")
_currency = _parser(lambda text: text if re.fullmatch(r"[A-Z]{3}", text) else None, "a currency code like USD")

# field name -> (parse, default or REQUIRED)
ORDER_SPEC: dict[str, tuple[Callable[[Any], Any], Any]] = {
    "number": (_text(Order, "number"), REQUIRED),
    "email": (_email, REQUIRED),
    "customer_name": (_text(Order, "customer_name"), ""),
    "placed_at": (_moment, REQUIRED),
    "delivered_on": (_day, None),
    "currency": (_currency, REQUIRED),
    "shipping_charged": (_money, REQUIRED),
    "free_shipping": (_flag, False),
    "payment_method": (_text(Order, "payment_method"), REQUIRED),
    "payment_reference": (_text(Order, "payment_reference"), ""),
    # The store's version of the order, kept as Order.store_updated_at (``upsert``).
    "updated_at": (_moment, None),
}
LINE_SPEC: dict[str, tuple[Callable[[Any], Any], Any]] = {
    "sku": (_text(OrderLine, "sku"), REQUIRED),
    "name": (_text(OrderLine, "name"), REQUIRED),
    "quantity": (_quantity, REQUIRED),
    "unit_price": (_money, REQUIRED),
    "unit_tax": (_money, REQUIRED),
    "final_sale": (_flag, False),
    "personalized": (_flag, False),
}


def spec_check(
    spec, raw: dict, column: Callable[[str], str] = str, prefix: str = ""
) -> tuple[dict, list[tuple[str, str]]]:
    """Clean values (None where bad), and (field as the file names it, message) for each bad one."""
    values, errors = {}, []
    for name, (parse, default) in spec.items():
        value = raw.get(column(name))
        if value is None or (isinstance(value, str) and not value.strip()):
            if default is REQUIRED:
                errors.append((prefix + column(name), "is required but missing or empty"))
            values[name] = None if default is REQUIRED else default
            continue
        try:
            values[name] = parse(value)
        except _Invalid as error:
            values[name] = None
            errors.append((prefix + column(name), str(error)))
    return values, errors


def problems_at(errors: list[tuple[str, str]], **where) -> list[Problem]:
    """``spec_check``'s (field, message) pairs as Problems, all at the same place (``record=`` or ``line=``)."""
    return [Problem(message, field=name, **where) for name, message in errors]


# What the store says when an order was delivered.
DELIVERY_SPEC = {"number": ORDER_SPEC["number"], "delivered_on": (_day, REQUIRED)}
