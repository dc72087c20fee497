"""Importing orders from the store's export, a JSON or CSV file.

The whole file is checked first, then every order is written in one transaction:
a file with one bad record writes nothing, so nobody untangles a half-done import.
Each problem names its place (JSON: the record's position in "orders"; CSV: the
physical line, header = 1) and field, so whoever exported the file can fix it.

Orders are matched by number, so importing a file twice changes nothing. The lines
of an order with return requests are never touched: the requests point at them and
hold units of them (R4). Its order-level fields are still updated.

Optional fields: customer_name, delivered_on (empty until delivered) and the flags
free_shipping, final_sale, personalized (empty is false). Unknown fields are ignored.
"""

from __future__ import annotations

import codecs
import csv
import json
import pickle
import re
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

import ijson
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, reset_queries, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from accounts.models import normalize_email
from returns.conf import store_date
from returns.exceptions import ImportErrors
from returns.models import Order, OrderLine, ReturnRequest

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


@dataclass
class ParsedOrder:
    fields: dict[str, Any]  # Order field name -> clean value
    lines: dict[str, dict[str, Any]]  # sku -> OrderLine field name -> clean value


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

    @property
    def lines_kept_because_of_returns(self) -> int:
        return len(self.orders_with_kept_lines)


# --- one value ------------------------------------------------------------


class _Invalid(ValueError):
    """A value that cannot be used; the message completes "field X: ..."."""


def _show(value: Any) -> str:
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
            raise _Invalid(f"{_show(value)} is not {expected}")
        return result

    return parse


def _text(model, name: str) -> Callable[[Any], str]:
    max_length = model._meta.get_field(name).max_length

    def parse(value: Any) -> str:
        if name == "number" and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # exports may write order numbers as JSON numbers
        if not isinstance(value, str) or "\x00" in value:
            raise _Invalid(f"{_show(value)} is not text")
        if len(value.strip()) > max_length:
            raise _Invalid(f"is {len(value.strip())} characters long; at most {max_length} fit")
        return value.strip()

    return parse


def _email(value: Any) -> str:
    email = normalize_email(_text(Order, "email")(value))
    try:
        validate_email(email)
    except ValidationError:
        raise _Invalid(f"{_show(value)} is not an email address") from None
    return email


def _money(value: Any) -> Decimal:
    if isinstance(value, str) and MONEY_TEXT.fullmatch(value.strip()):
        amount = Decimal(value.strip())
    elif isinstance(value, int | Decimal) and not isinstance(value, bool) and Decimal(value).is_finite():
        amount = Decimal(value)  # a JSON number, parsed as Decimal
    else:
        raise _Invalid(f"{_show(value)} is not an amount like 12.50")
    if amount < 0 or amount >= MAX_MONEY:
        raise _Invalid(f"{_show(value)} is {'negative' if amount < 0 else 'too large'}")
    if amount != amount.quantize(CENT):
        raise _Invalid(f"{_show(value)} has more than 2 decimal places")
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
CSV_COLUMNS = {**{name: name for name in ORDER_SPEC}, **{name: f"line_{name}" for name in LINE_SPEC}}
REQUIRED_COLUMNS = [CSV_COLUMNS[name] for name, (_, default) in (ORDER_SPEC | LINE_SPEC).items() if default is REQUIRED]


def _check(spec, raw: dict, column: Callable[[str], str] = str, prefix: str = "") -> tuple[dict, list[tuple[str, str]]]:
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


def _order_rules(order: dict[str, Any]) -> list[tuple[str, str]]:
    """Rules across fields of a valid order (the first is also a database constraint)."""
    errors = []
    if order["free_shipping"] and order["shipping_charged"] != 0:
        errors.append(("shipping_charged", f"is {order['shipping_charged']}, but free_shipping is true"))
    placed_on = store_date(order["placed_at"])
    if order["delivered_on"] and order["delivered_on"] < placed_on:
        errors.append(("delivered_on", f"{order['delivered_on']} is before the order was placed ({placed_on})"))
    return errors


# --- one order record: the JSON export's shape, also what a webhook receives ---


def _record_check(record: Any) -> tuple[ParsedOrder | None, list[tuple[str, str]]]:
    """A record of the JSON export cleaned, and (field, message) for each problem in it."""
    if not isinstance(record, dict):
        return None, [("", f"{_show(record)} is not an order object")]
    fields, errors = _check(ORDER_SPEC, record)
    errors += [] if errors else _order_rules(fields)
    lines, raw_lines = {}, record.get("lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        errors.append(("lines", "an order needs at least one line"))
        raw_lines = []
    for position, raw in enumerate(raw_lines):
        if not isinstance(raw, dict):
            errors.append((f"lines[{position}]", f"{_show(raw)} is not a line object"))
            continue
        values, line_errors = _check(LINE_SPEC, raw, prefix=f"lines[{position}].")
        errors += line_errors
        if values["sku"] in lines:
            errors.append((f"lines[{position}].sku", f"'{values['sku']}' is already a line of this order"))
        elif values["sku"]:
            lines[values["sku"]] = values
    return ParsedOrder(fields, lines), errors


def _problems(errors: list[tuple[str, str]], **where) -> list[Problem]:
    return [Problem(message, field=name, **where) for name, message in errors]


def order_records_check(records: Iterable[Any]) -> list[ParsedOrder]:
    """Clean orders from records already parsed from JSON (the export's ``orders`` items).

    The same checks and messages as a file import, for a caller that holds the
    records in memory (a webhook's body); ``Problem.record`` is the 1-based position.
    Raises ImportErrors listing every problem; pass the result to ``orders_upsert``.
    """
    orders, problems, first_record = [], [], {}
    for index, record in enumerate(records, start=1):
        parsed, errors = _record_check(record)
        number = parsed.fields["number"] if parsed else None
        if number in first_record:
            errors.append(("number", f"order {number} is also record {first_record[number]}"))
        elif number:
            first_record[number] = index
        problems += _problems(errors, record=index)
        if parsed:
            orders.append(parsed)
    if problems:
        raise ImportErrors(problems)
    return orders


# --- the file, read twice: checked into a scratch store, then written ------

# A file with more problems than this is reported with the first ones and a count:
# whoever fixes it starts at the top, and memory stays the same whatever the file.
MAX_PROBLEMS_KEPT = 1000
CHUNK = 1 << 20  # bytes read at a time
BATCH = 500  # orders written per round trip
PICKLE = pickle.HIGHEST_PROTOCOL


class _Checked:
    """Clean orders kept on disk between the two passes, so memory does not grow with the file.

    An SQLite file in a temporary directory: it finds a repeated order number or
    SKU anywhere in the file, gathers an order's CSV rows wherever they are, and
    hands the orders back in file order for writing.
    """

    def __init__(self, directory: str):
        self.db = sqlite3.connect(Path(directory) / "checked.sqlite3", isolation_level=None)
        self.db.executescript(
            """
            PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
            CREATE TABLE orders (number TEXT PRIMARY KEY, place INTEGER, fields BLOB, shown BLOB);
            CREATE TABLE lines (number TEXT, sku TEXT, place INTEGER, line BLOB, PRIMARY KEY (number, sku));
            BEGIN;
            """
        )
        self.problems: list[Problem] = []
        self.problem_count = 0
        self.order_count = 0
        self.has_lines = False

    def report(self, problems: list[Problem]) -> None:
        self.problem_count += len(problems)
        self.problems += problems[: max(0, MAX_PROBLEMS_KEPT - len(self.problems))]

    def add_order(self, number: str, place: int, order: ParsedOrder, shown: dict | None = None) -> tuple | None:
        """None if the number is new; else the place, fields and shown values it was first seen with.

        A JSON record comes whole, lines included; a CSV row adds its line with ``add_line``.
        """
        added = self.db.execute(
            "INSERT OR IGNORE INTO orders VALUES (?, ?, ?, ?)",
            (number, place, pickle.dumps((order.fields, order.lines), PICKLE), shown and pickle.dumps(shown, PICKLE)),
        ).rowcount
        if added:
            self.order_count += 1
            return None
        first_place, first, first_shown = self.db.execute(
            "SELECT place, fields, shown FROM orders WHERE number = ?", (number,)
        ).fetchone()
        # Only ever what add_order wrote just above, in this run's own temporary directory.
        return first_place, pickle.loads(first)[0], first_shown and pickle.loads(first_shown)  # noqa: S301

    def add_line(self, number: str, sku: str, place: int, values: dict) -> int | None:
        """None if the SKU is new to the order; else the place it was first seen at."""
        added = self.db.execute(
            "INSERT OR IGNORE INTO lines VALUES (?, ?, ?, ?)", (number, sku, place, pickle.dumps(values, PICKLE))
        ).rowcount
        self.has_lines = True
        if added:
            return None
        return self.db.execute("SELECT place FROM lines WHERE number = ? AND sku = ?", (number, sku)).fetchone()[0]

    def batches(self, size: int) -> Iterator[list[ParsedOrder]]:
        orders = self.db.execute("SELECT number, fields FROM orders ORDER BY rowid")
        while rows := orders.fetchmany(size):
            batch = {number: ParsedOrder(*pickle.loads(order)) for number, order in rows}  # noqa: S301
            if self.has_lines:
                marks = ",".join("?" * len(batch))
                query = f"SELECT number, sku, line FROM lines WHERE number IN ({marks}) ORDER BY rowid"  # noqa: S608
                for number, sku, line in self.db.execute(query, [*batch]):
                    batch[number].lines[sku] = pickle.loads(line)  # noqa: S301
            yield list(batch.values())


def _text_check(path: Path) -> bool:
    """Raise ImportErrors unless the file is UTF-8 text; True if it holds more than blanks.

    Read a megabyte at a time, each piece cut before a character that may be unfinished.
    """
    lines_before, has_text, carry = 0, False, b""
    with path.open("rb") as file:
        data = file.read(CHUNK).removeprefix(codecs.BOM_UTF8)
        while True:
            chunk = file.read(CHUNK)
            data += chunk
            if chunk:  # more follows: keep the last character, maybe unfinished, for the next piece
                cut = len(data)
                while cut > max(0, len(data) - 4) and data[cut - 1] & 0xC0 == 0x80:  # continuation bytes
                    cut -= 1
                cut -= 1 if cut and data[cut - 1] >= 0xC0 else 0  # and the byte that starts them
                data, carry = data[:cut], data[cut:]
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as error:
                line = lines_before + data[: error.start].count(b"\n") + 1
                message = f"the file is not UTF-8 text (byte 0x{data[error.start]:02x}); save or export it as UTF-8"
                raise ImportErrors([Problem(message, line=line)]) from None
            has_text = has_text or bool(text.strip())
            if not chunk:
                break
            lines_before += data.count(b"\n")
            data, carry = carry, b""
    return has_text


def _json_file(path: Path) -> BinaryIO:
    file = path.open("rb")
    if file.read(3) != codecs.BOM_UTF8:  # spreadsheet programs and some exporters add one
        file.seek(0)
    return file


def _json_has_orders_list(path: Path) -> bool:
    with _json_file(path) as file:
        events = ijson.parse(file)
        for prefix, event, value in events:
            if (prefix, event) == ("", "map_key") and value == "orders":
                return next(events)[1] == "start_array"
            if prefix == "" and event not in ("start_map", "map_key"):
                return False
    return False


def _check_json(path: Path, checked: _Checked) -> None:
    last = None  # (record, order number) last read whole, to say where a syntax error is
    index = 0
    try:
        with _json_file(path) as file:
            for index, record in enumerate(ijson.items(file, "orders.item"), start=1):
                parsed, errors = _record_check(record)
                number = parsed.fields["number"] if parsed else None
                if number:
                    first = checked.add_order(number, index, parsed)
                    if first:
                        errors.append(("number", f"order {number} is also record {first[0]}"))
                checked.report(_problems(errors, record=index))
                last = (index, number)
    except ijson.JSONError as error:
        detail = str(error).splitlines()[0].removeprefix("parse error: ").removeprefix("lexical error: ")
        where = f"after record {last[0]}" + (f" (order {last[1]})" if last[1] else "") if last else "before any order"
        checked.report([Problem(f"not valid JSON {where}: {detail}")])
        return
    if not index and not _json_has_orders_list(path):
        checked.report([Problem('the file needs an object with an "orders" list at the top')])


def _check_csv(path: Path, checked: _Checked) -> None:
    with path.open(encoding="utf-8-sig", newline="") as file:
        reader = csv.reader(file)
        try:
            header = next(reader, [])
            columns = [column.strip() for column in header]
            repeated = sorted({column for column in columns if columns.count(column) > 1})
            if repeated:
                return checked.report([Problem(f"column {', '.join(repeated)} appears more than once", line=1)])
            missing = [column for column in REQUIRED_COLUMNS if column not in columns]
            if missing:
                return checked.report([Problem(f"the header lacks the column(s) {', '.join(missing)}", line=1)])
            end = reader.line_num
            for row in reader:
                line, end = end + 1, reader.line_num  # where the row starts: a quoted cell may span lines
                checked.report(_csv_row_check(checked, columns, row, line))
        except csv.Error as error:
            checked.report([Problem(f"not valid CSV: {error}", line=reader.line_num)])
    return None


def _csv_row_check(checked: _Checked, columns: list[str], row: list[str], line: int) -> list[Problem]:
    if not any(cell.strip() for cell in row):
        return []
    if len(row) != len(columns):
        return [Problem(f"has {len(row)} values; the header has {len(columns)} columns", line=line)]
    raw = dict(zip(columns, row, strict=True))
    fields, errors = _check(ORDER_SPEC, raw, column=CSV_COLUMNS.__getitem__)
    errors += [] if errors else _order_rules(fields)
    values, line_errors = _check(LINE_SPEC, raw, column=CSV_COLUMNS.__getitem__)
    problems = _problems(errors + line_errors, line=line)
    if errors:
        return problems
    number, sku = fields["number"], values["sku"]
    shown = {name: raw.get(name, "").strip() for name in ORDER_SPEC}
    first = checked.add_order(number, line, ParsedOrder(fields, {}), shown)
    if first:
        first_line, first_fields, first_shown = first
        for name in ORDER_SPEC:
            if fields[name] != first_fields[name]:
                message = f"{_show(raw.get(name, '').strip())} differs from line {first_line} of order {number}"
                problems.append(Problem(f"{message} ({_show(first_shown[name])})", field=name, line=line))
    if sku and (sku_line := checked.add_line(number, sku, line, values)):
        problems.append(
            Problem(f"'{sku}' is already on line {sku_line} of order {number}", field="line_sku", line=line)
        )
    return problems


def _file_check(path: Path, checked: _Checked) -> None:
    """First pass: every order in the file, clean, into ``checked``; or ImportErrors listing the problems."""
    try:
        has_text = _text_check(path)
    except OSError as error:
        raise ImportErrors([Problem(f"cannot read '{path}': {error.strerror}")]) from None
    if not has_text:
        raise ImportErrors([Problem("the file is empty")])
    (_check_json if path.suffix.lower() == ".json" else _check_csv)(path, checked)
    if not checked.order_count and not checked.problem_count:
        checked.report([Problem("the file has no orders")])
    if checked.problem_count:
        raise ImportErrors(checked.problems, count=checked.problem_count)


# --- writing --------------------------------------------------------------


# What a refund was computed from, and who may see the order: not changed by an
# import once the order has return requests (fix those in the admin, deliberately).
FROZEN_ONCE_RETURNED = (
    "email",
    "currency",
    "shipping_charged",
    "free_shipping",
    "payment_method",
    "payment_reference",
)


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


def orders_upsert(*, orders: list[ParsedOrder], result: OrderImportResult | None = None) -> OrderImportResult:
    """Create or update a batch of clean orders (from ``order_records_check``), matched by number.

    The numbers must be distinct. Counts are added to ``result``. Runs in a
    transaction of its own, or in the caller's, so a caller writing many batches
    can still write all or nothing.
    """
    result = result if result is not None else OrderImportResult()
    with transaction.atomic():
        _upsert(orders, result)
    return result


def _upsert(orders: list[ParsedOrder], result: OrderImportResult) -> None:
    # Locking the orders queues us behind return_request_submit, which locks the
    # order too, so "has no return requests" stays true until we commit.
    has_returns = Exists(ReturnRequest.objects.filter(order=OuterRef("pk")))
    existing = (
        Order.objects.select_for_update()
        .annotate(has_returns=has_returns)
        .prefetch_related("lines")
        .in_bulk([order.fields["number"] for order in orders], field_name="number")
    )
    new_orders = []
    for parsed in orders:
        order = existing.get(parsed.fields["number"])
        if order is None:
            new_orders.append((Order(**parsed.fields), parsed.lines))
            continue
        changed = _changes(order, parsed.fields)
        if order.has_returns:
            # Refunds were computed from these and visibility follows the email: keep them.
            kept = [name for name in changed if name in FROZEN_ONCE_RETURNED]
            if kept:
                result.orders_with_kept_fields.append((order.number, kept))
            changed = [name for name in changed if name not in FROZEN_ONCE_RETURNED]
        for name in changed:
            setattr(order, name, parsed.fields[name])
        if changed:
            order.save(update_fields=[*changed, "updated_at"])
        lines = {line.sku: line for line in order.lines.all()}
        if order.has_returns:
            lines_changed = False
            if _lines_differ(lines, parsed.lines):
                result.orders_with_kept_lines.append(order.number)
        else:
            lines_changed = _replace_lines(order, lines, parsed.lines)
        if changed or lines_changed:
            result.updated += 1
        else:
            result.unchanged += 1
    Order.objects.bulk_create([order for order, _ in new_orders], batch_size=BATCH)
    OrderLine.objects.bulk_create(
        [OrderLine(order=order, **values) for order, lines in new_orders for values in lines.values()],
        batch_size=BATCH,
    )
    result.created += len(new_orders)


def _forget_queries() -> None:
    """With DEBUG on, Django keeps the last 9000 queries' SQL: 5000 batches of 500 rows held
    hundreds of megabytes. Not while someone counts queries (tests, CaptureQueriesContext)."""
    if settings.DEBUG and not connection.force_debug_cursor:
        reset_queries()


DELIVERY_SPEC = {"number": ORDER_SPEC["number"], "delivered_on": (_day, REQUIRED)}


def order_deliveries_record(*, deliveries: list[Any]) -> int:
    """The store says orders were delivered: ``[{"number", "delivered_on"}]``, all or nothing.

    The same field checks and messages as an import; an unknown order or a date
    before the order was placed is a problem too. Returns how many orders changed.
    """
    problems, clean = [], []
    for index, raw in enumerate(deliveries, start=1):
        if not isinstance(raw, dict):
            problems.append(Problem(f"{_show(raw)} is not a delivery object", record=index))
            continue
        values, errors = _check(DELIVERY_SPEC, raw)
        problems += _problems(errors, record=index)
        if not errors:
            clean.append((index, values))
    if problems:
        raise ImportErrors(problems)
    with transaction.atomic():
        orders = Order.objects.select_for_update().in_bulk([v["number"] for _, v in clean], field_name="number")
        for index, values in clean:
            order = orders.get(values["number"])
            if order is None:
                problems.append(Problem(f"there is no order {values['number']}", field="number", record=index))
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


def orders_import(*, path: str | Path, dry_run: bool = False) -> OrderImportResult:
    """Check the whole file, then create or update every order in it in one transaction.

    Memory stays the same whatever the size of the file: it is read as a stream
    twice over, first checked into a scratch file, then written in batches.
    With ``dry_run`` the same work is done and rolled back, so the counts are exactly
    what a real import would report. Raises ImportErrors; then nothing was written.
    """
    path = Path(path)
    if path.suffix.lower() not in (".json", ".csv"):
        raise ImportErrors([Problem(f"'{path.name}' is not a .json or .csv file")])
    result = OrderImportResult()
    with tempfile.TemporaryDirectory(prefix="import_orders-") as scratch:
        checked = _Checked(scratch)
        try:
            _file_check(path, checked)
            with transaction.atomic():
                for batch in checked.batches(BATCH):
                    _upsert(batch, result)
                    _forget_queries()
                if dry_run:
                    transaction.set_rollback(True)
        except IntegrityError as error:
            # Only a concurrent writer can break a constraint the checks above guarantee.
            raise ImportErrors(
                [Problem(f"the database refused the import, maybe another import ran at once: {error}")]
            ) from error
        finally:
            checked.db.close()
    return result
