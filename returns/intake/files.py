"""An export file (JSON or CSV) read as a stream and checked, every order into a scratch store on disk.

UTF-8 first, a megabyte at a time; then each JSON record (ijson) or CSV row through the record
checks, with repeated order numbers and SKUs found anywhere in the file. The clean orders wait
in ``Checked`` for the writing pass, so memory stays the same whatever the size of the file.
Each problem names its place (JSON: the record's position in "orders"; CSV: the physical line,
header = 1) and field, so whoever exported the file can fix it.
"""

from __future__ import annotations

import codecs
import csv
import pickle
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import ijson

from returns.exceptions import ImportErrors
from returns.intake.fields import LINE_SPEC, ORDER_SPEC, REQUIRED, Problem, problems_at, show, spec_check
from returns.intake.records import ParsedOrder, order_rules, record_check

CSV_COLUMNS = {**{name: name for name in ORDER_SPEC}, **{name: f"line_{name}" for name in LINE_SPEC}}
REQUIRED_COLUMNS = [CSV_COLUMNS[name] for name, (_, default) in (ORDER_SPEC | LINE_SPEC).items() if default is REQUIRED]

# A file with more problems than this is reported with the first ones and a count:
# whoever fixes it starts at the top, and memory stays the same whatever the file.
MAX_PROBLEMS_KEPT = 1000
CHUNK = 1 << 20  # bytes read at a time
PICKLE = pickle.HIGHEST_PROTOCOL


class Checked:
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


def _check_json(path: Path, checked: Checked) -> None:
    last = None  # (record, order number) last read whole, to say where a syntax error is
    index = 0
    try:
        with _json_file(path) as file:
            for index, record in enumerate(ijson.items(file, "orders.item"), start=1):
                parsed, errors = record_check(record)
                number = parsed.fields["number"] if parsed else None
                if number:
                    first = checked.add_order(number, index, parsed)
                    if first:
                        errors.append(("number", f"order {number} is also record {first[0]}"))
                checked.report(problems_at(errors, record=index))
                last = (index, number)
    except ijson.JSONError as error:
        detail = str(error).splitlines()[0].removeprefix("parse error: ").removeprefix("lexical error: ")
        where = f"after record {last[0]}" + (f" (order {last[1]})" if last[1] else "") if last else "before any order"
        checked.report([Problem(f"not valid JSON {where}: {detail}")])
        return
    if not index and not _json_has_orders_list(path):
        checked.report([Problem('the file needs an object with an "orders" list at the top')])


def _check_csv(path: Path, checked: Checked) -> None:
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


def _csv_row_check(checked: Checked, columns: list[str], row: list[str], line: int) -> list[Problem]:
    if not any(cell.strip() for cell in row):
        return []
    if len(row) != len(columns):
        return [Problem(f"has {len(row)} values; the header has {len(columns)} columns", line=line)]
    raw = dict(zip(columns, row, strict=True))
    fields, errors = spec_check(ORDER_SPEC, raw, column=CSV_COLUMNS.__getitem__)
    errors += [] if errors else order_rules(fields)
    values, line_errors = spec_check(LINE_SPEC, raw, column=CSV_COLUMNS.__getitem__)
    problems = problems_at(errors + line_errors, line=line)
    if errors:
        return problems
    number, sku = fields["number"], values["sku"]
    shown = {name: raw.get(name, "").strip() for name in ORDER_SPEC}
    first = checked.add_order(number, line, ParsedOrder(fields, {}), shown)
    if first:
        first_line, first_fields, first_shown = first
        for name in ORDER_SPEC:
            if fields[name] != first_fields[name]:
                message = f"{show(raw.get(name, '').strip())} differs from line {first_line} of order {number}"
                problems.append(Problem(f"{message} ({show(first_shown[name])})", field=name, line=line))
    if sku and (sku_line := checked.add_line(number, sku, line, values)):
        problems.append(
            Problem(f"'{sku}' is already on line {sku_line} of order {number}", field="line_sku", line=line)
        )
    return problems


def file_check(path: Path, checked: Checked) -> None:
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
