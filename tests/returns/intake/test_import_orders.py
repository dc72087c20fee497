"""``manage.py import_orders``: what the person running it reads, and what lands in the database."""

import csv
import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, reset_queries

from returns.models import Order, OrderLine, Reason, ReturnLine, ReturnRequest

pytestmark = pytest.mark.django_db

CSV_ROW = {
    "number": "100234",
    "email": "ana@example.com",
    "customer_name": "Ana Lima",
    "placed_at": "2026-10-01T10:00:00Z",
    "delivered_on": "2026-10-05",
    "currency": "USD",
    "shipping_charged": "5.99",
    "free_shipping": "false",
    "payment_method": "Visa ending 4242",
    "line_sku": "MUG-01",
    "line_name": "Stoneware mug",
    "line_quantity": "2",
    "line_unit_price": "12.50",
    "line_unit_tax": "1.00",
    "line_final_sale": "",
    "line_personalized": "",
}


def line_record(**changes):
    line = {
        "sku": "MUG-01",
        "name": "Stoneware mug",
        "quantity": 2,
        "unit_price": "12.50",
        "unit_tax": "1.00",
        "final_sale": False,
        "personalized": False,
    }
    return line | changes


def order_record(number="100234", **changes):
    record = {
        "number": number,
        "email": "ana@example.com",
        "customer_name": "Ana Lima",
        "placed_at": "2026-10-01T10:00:00Z",
        "delivered_on": "2026-10-05",
        "currency": "USD",
        "shipping_charged": "5.99",
        "free_shipping": False,
        "payment_method": "Visa ending 4242",
        "lines": [line_record()],
    }
    return record | changes


def write_json(tmp_path, *records, name="orders.json"):
    path = tmp_path / name
    path.write_text(json.dumps({"orders": list(records)}, indent=2), encoding="utf-8")
    return path


def write_csv(tmp_path, *rows, name="orders.csv", columns=tuple(CSV_ROW), encoding="utf-8", newline="\n"):
    path = tmp_path / name
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, lineterminator=newline, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(CSV_ROW | row for row in rows)
    return path


def run_import(path, *options):
    out = io.StringIO()
    call_command("import_orders", str(path), *options, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def run_failing_import(path, *options):
    """The command's final error and what it printed to stderr, one problem a line."""
    err = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("import_orders", str(path), *options, stdout=io.StringIO(), stderr=err)
    return str(failure.value), err.getvalue()


def lines_of(number):
    return [
        (line.sku, line.quantity, line.unit_price, line.unit_tax)
        for line in OrderLine.objects.filter(order__number=number).order_by("sku")
    ]


@pytest.fixture
def first_import(tmp_path):
    """Order 100234 as first imported: not delivered yet, a mug and a lamp."""
    lamp = line_record(sku="LAMP-02", name="Desk lamp", quantity=1, unit_price="45.00", unit_tax="3.60")
    run_import(write_json(tmp_path, order_record(delivered_on=None, lines=[line_record(), lamp]), name="first.json"))
    return Order.objects.get(number="100234")


# --- files that import ------------------------------------------------------


def test_json_import_creates_orders_with_exact_amounts(tmp_path):
    path = tmp_path / "orders.json"
    # Amounts as JSON numbers must arrive exactly: 19.99, not 19.989999...
    path.write_text(
        """{"orders": [
          {"number": "100234", "email": "Ana.Lima@Example.COM", "customer_name": "Ana Lima",
           "placed_at": "2026-10-01T10:00:00Z", "delivered_on": "2026-10-05", "currency": "USD",
           "shipping_charged": "5.99", "free_shipping": false, "payment_method": "Visa ending 4242",
           "lines": [
             {"sku": "MUG-01", "name": "Stoneware mug", "quantity": 2, "unit_price": "12.50", "unit_tax": "1.00",
              "final_sale": false, "personalized": false},
             {"sku": "RING-07", "name": "Engraved ring", "quantity": 1, "unit_price": 19.99, "unit_tax": 1.6,
              "final_sale": true, "personalized": true}]},
          {"number": "100235", "email": "bruno@example.com", "placed_at": "2026-10-02T09:30:00-04:00",
           "delivered_on": null, "currency": "EUR", "shipping_charged": 0, "free_shipping": true,
           "payment_method": "PayPal", "lines": [{"sku": "LAMP-02", "name": "Desk lamp", "quantity": 1,
           "unit_price": "45.00", "unit_tax": "0"}]}
        ]}""",
        encoding="utf-8",
    )

    assert run_import(path) == "Imported orders.json: 2 created, 0 updated, 0 unchanged.\n"

    ana = Order.objects.get(number="100234")
    assert ana.email == "ana.lima@example.com"
    assert ana.placed_at == datetime(2026, 10, 1, 10, 0, tzinfo=UTC)
    assert ana.delivered_on == date(2026, 10, 5)
    assert (ana.currency, ana.shipping_charged, ana.free_shipping) == ("USD", Decimal("5.99"), False)
    assert ana.payment_method == "Visa ending 4242"
    mug, ring = ana.lines.order_by("sku")
    assert (mug.quantity, mug.unit_price, mug.unit_tax, mug.final_sale, mug.personalized) == (
        2,
        Decimal("12.50"),
        Decimal("1.00"),
        False,
        False,
    )
    assert (ring.unit_price, ring.unit_tax, ring.final_sale, ring.personalized) == (
        Decimal("19.99"),
        Decimal("1.60"),
        True,
        True,
    )
    bruno = Order.objects.get(number="100235")
    assert bruno.delivered_on is None
    assert bruno.customer_name == ""
    assert (bruno.currency, bruno.shipping_charged, bruno.free_shipping) == ("EUR", Decimal("0.00"), True)
    assert bruno.placed_at == datetime(2026, 10, 2, 13, 30, tzinfo=UTC)
    assert lines_of("100235") == [("LAMP-02", 1, Decimal("45.00"), Decimal("0.00"))]


def test_csv_from_a_spreadsheet_groups_rows_into_orders(tmp_path):
    # Spreadsheet programs write a byte-order mark and CRLF line ends.
    path = write_csv(
        tmp_path,
        {"email": "ANA@example.com", "placed_at": "2026-10-01 10:00:00"},
        {
            "email": "ANA@example.com",
            "placed_at": "2026-10-01 10:00:00",
            "line_sku": "RING-07",
            "line_name": "Engraved ring",
            "line_quantity": "1",
            "line_unit_price": "80.00",
            "line_unit_tax": "6.40",
            "line_final_sale": "Yes",
            "line_personalized": "1",
        },
        {"number": "100235", "delivered_on": "", "free_shipping": "TRUE", "shipping_charged": "0.00"},
        encoding="utf-8-sig",
        newline="\r\n",
    )

    assert run_import(path) == "Imported orders.csv: 2 created, 0 updated, 0 unchanged.\n"

    ana = Order.objects.get(number="100234")
    assert ana.email == "ana@example.com"
    # No offset given: 10:00 in the store's time zone (New York, EDT in October).
    assert ana.placed_at == datetime(2026, 10, 1, 14, 0, tzinfo=UTC)
    assert ana.delivered_on == date(2026, 10, 5)
    assert lines_of("100234") == [
        ("MUG-01", 2, Decimal("12.50"), Decimal("1.00")),
        ("RING-07", 1, Decimal("80.00"), Decimal("6.40")),
    ]
    ring = ana.lines.get(sku="RING-07")
    assert ring.final_sale and ring.personalized
    assert not ana.lines.get(sku="MUG-01").final_sale
    other = Order.objects.get(number="100235")
    assert (other.delivered_on, other.free_shipping, other.shipping_charged) == (None, True, Decimal("0.00"))


def test_importing_the_same_file_again_changes_nothing(tmp_path):
    path = write_json(tmp_path, order_record(), order_record("100235", email="bruno@example.com"))
    run_import(path)
    stamps = dict(Order.objects.values_list("number", "updated_at"))

    assert run_import(path) == "Imported orders.json: 0 created, 0 updated, 2 unchanged.\n"

    assert Order.objects.count() == 2
    assert OrderLine.objects.count() == 2
    assert dict(Order.objects.values_list("number", "updated_at")) == stamps


def test_a_delivery_date_arriving_later_updates_the_order(tmp_path, first_import):
    lamp = line_record(sku="LAMP-02", name="Desk lamp", quantity=1, unit_price="45.00", unit_tax="3.60")
    path = write_json(tmp_path, order_record(delivered_on="2026-10-06", lines=[line_record(), lamp]))

    assert run_import(path) == "Imported orders.json: 0 created, 1 updated, 0 unchanged.\n"

    first_import.refresh_from_db()
    assert first_import.delivered_on == date(2026, 10, 6)
    assert Order.objects.count() == 1


def test_lines_follow_the_file_for_an_order_without_returns(tmp_path, first_import):
    mug = first_import.lines.get(sku="MUG-01")
    vase = line_record(sku="VASE-03", name="Glass vase", quantity=1, unit_price="30.00", unit_tax="2.40")
    path = write_json(tmp_path, order_record(lines=[line_record(quantity=3, unit_price="11.00"), vase]))

    assert run_import(path) == "Imported orders.json: 0 created, 1 updated, 0 unchanged.\n"

    assert lines_of("100234") == [
        ("MUG-01", 3, Decimal("11.00"), Decimal("1.00")),
        ("VASE-03", 1, Decimal("30.00"), Decimal("2.40")),
    ]
    assert first_import.lines.get(sku="MUG-01").pk == mug.pk  # updated in place, not replaced


def test_an_order_with_a_return_request_keeps_its_lines(tmp_path, first_import):
    mug = first_import.lines.get(sku="MUG-01")
    request = ReturnRequest.objects.create(order=first_import)
    ReturnLine.objects.create(
        request=request, order_line=mug, quantity=1, reason=Reason.DAMAGED, description="Cracked handle."
    )
    OrderLine.objects.filter(pk=mug.pk).update(quantity_in_returns=1)
    lines_before = lines_of("100234")
    # The store's system now says: delivered, one mug instead of two, the lamp gone.
    path = write_json(tmp_path, order_record(delivered_on="2026-10-05", lines=[line_record(quantity=1)]))

    output = run_import(path)

    assert output.splitlines() == [
        "Imported orders.json: 0 created, 1 updated, 0 unchanged.",
        "Order 100234 has return requests, so its lines were kept as they are; "
        "the file's different lines for it were not applied.",
    ]
    assert lines_of("100234") == lines_before
    mug.refresh_from_db()
    assert (mug.quantity, mug.quantity_in_returns) == (2, 1)
    first_import.refresh_from_db()
    assert first_import.delivered_on == date(2026, 10, 5)


def test_an_order_with_a_return_request_keeps_its_email_and_money(tmp_path, first_import):
    ReturnRequest.objects.create(order=first_import)
    path = write_json(
        tmp_path,
        order_record(
            email="someone.else@example.com", shipping_charged="0", free_shipping=True, customer_name="Ana L. Lima"
        ),
    )

    output = run_import(path)

    assert (
        "Order 100234 has return requests, so its email, shipping_charged, free_shipping were kept as they are"
        in output
    )
    first_import.refresh_from_db()
    assert first_import.email == "ana@example.com"  # who may see the order and its returns does not move
    assert (first_import.shipping_charged, first_import.free_shipping) == (Decimal("5.99"), False)
    assert first_import.customer_name == "Ana L. Lima"  # harmless fields still update


def test_dry_run_reports_what_would_change_and_writes_nothing(tmp_path, first_import):
    path = write_json(tmp_path, order_record(), order_record("100235"))

    output = run_import(path, "--dry-run")

    assert (
        output == "Checked orders.json (dry run, nothing written); it would give: 1 created, 1 updated, 0 unchanged.\n"
    )
    assert list(Order.objects.values_list("number", flat=True)) == ["100234"]
    first_import.refresh_from_db()
    assert first_import.delivered_on is None
    assert len(lines_of("100234")) == 2


# --- files that are refused --------------------------------------------------


def assert_refused(path, expected_problem, *options):
    """Nothing was written, and the person is told where the problem is."""
    orders_before = list(Order.objects.values_list("number", "delivered_on"))
    lines_before = OrderLine.objects.count()

    error, problems = run_failing_import(path, *options)

    assert "nothing was written" in error
    assert expected_problem in problems.splitlines()
    assert list(Order.objects.values_list("number", "delivered_on")) == orders_before
    assert OrderLine.objects.count() == lines_before


def bad_line(**changes):
    return lambda record: record["lines"][0].update(changes)


def bad_order(**changes):
    return lambda record: record.update(changes)


@pytest.mark.parametrize(
    ("spoil", "expected_problem"),
    [
        (bad_line(unit_price="abc"), "record 3, field lines[0].unit_price: 'abc' is not an amount like 12.50"),
        (bad_line(unit_price="12,50"), "record 3, field lines[0].unit_price: '12,50' is not an amount like 12.50"),
        (
            bad_order(shipping_charged="5.999"),
            "record 3, field shipping_charged: '5.999' has more than 2 decimal places",
        ),
        (bad_line(unit_tax="-1.00"), "record 3, field lines[0].unit_tax: '-1.00' is negative"),
        (bad_order(email="ana@"), "record 3, field email: 'ana@' is not an email address"),
        (
            bad_order(placed_at="yesterday"),
            "record 3, field placed_at: 'yesterday' is not a date and time like 2026-10-01T10:00:00Z",
        ),
        (
            bad_order(delivered_on="2026-13-01"),
            "record 3, field delivered_on: '2026-13-01' is not a date like 2026-10-05",
        ),
        (
            bad_order(delivered_on="2026-09-30"),
            "record 3, field delivered_on: 2026-09-30 is before the order was placed (2026-10-01)",
        ),
        (bad_order(currency="usd"), "record 3, field currency: 'usd' is not a currency code like USD"),
        (bad_line(quantity=0), "record 3, field lines[0].quantity: 0 is not a quantity of at least 1"),
        (bad_line(quantity="two"), "record 3, field lines[0].quantity: 'two' is not a whole number"),
        (bad_line(final_sale="maybe"), "record 3, field lines[0].final_sale: 'maybe' is not true or false"),
        (bad_order(free_shipping=True), "record 3, field shipping_charged: is 5.99, but free_shipping is true"),
        (bad_order(lines=[]), "record 3, field lines: an order needs at least one line"),
        (
            bad_order(lines=[line_record(), line_record(quantity=1)]),
            "record 3, field lines[1].sku: 'MUG-01' is already a line of this order",
        ),
        (bad_order(number="100235"), "record 3, field number: order 100235 is also record 2"),
        (
            lambda record: record.pop("payment_method"),
            "record 3, field payment_method: is required but missing or empty",
        ),
        (bad_line(sku=""), "record 3, field lines[0].sku: is required but missing or empty"),
    ],
    ids=[
        "amount-not-a-number",
        "amount-with-decimal-comma",
        "amount-with-three-decimals",
        "negative-amount",
        "bad-email",
        "bad-datetime",
        "bad-date",
        "delivered-before-placed",
        "lower-case-currency",
        "zero-quantity",
        "quantity-in-words",
        "bad-flag",
        "free-shipping-but-charged",
        "no-lines",
        "duplicate-sku",
        "duplicate-order-number",
        "missing-field",
        "empty-sku",
    ],
)
def test_a_bad_json_record_writes_nothing(tmp_path, first_import, spoil, expected_problem):
    bad = order_record("100236")
    spoil(bad)
    # A valid update and a valid new order before the bad record: neither is written.
    path = write_json(tmp_path, order_record(), order_record("100235"), bad)

    assert_refused(path, expected_problem)


@pytest.mark.parametrize(
    ("rows", "expected_problem"),
    [
        ([{}, {"number": "100235", "line_quantity": "x"}], "line 3, field line_quantity: 'x' is not a whole number"),
        ([{"line_final_sale": "maybe"}], "line 2, field line_final_sale: 'maybe' is not true or false"),
        (
            [{}, {"line_sku": "LAMP-02", "email": "bruno@example.com"}],
            "line 3, field email: 'bruno@example.com' differs from line 2 of order 100234 ('ana@example.com')",
        ),
        (
            [{}, {"line_sku": "LAMP-02", "shipping_charged": "0.00"}],
            "line 3, field shipping_charged: '0.00' differs from line 2 of order 100234 ('5.99')",
        ),
        ([{}, {"line_quantity": "1"}], "line 3, field line_sku: 'MUG-01' is already on line 2 of order 100234"),
        # A quoted name over two lines: problems still name the line a spreadsheet shows.
        (
            [{"line_name": "Stoneware\nmug"}, {"number": "100235", "line_unit_price": "free"}],
            "line 4, field line_unit_price: 'free' is not an amount like 12.50",
        ),
    ],
    ids=[
        "bad-quantity",
        "bad-flag",
        "email-differs-between-rows",
        "shipping-differs-between-rows",
        "duplicate-sku",
        "multi-line-cell",
    ],
)
def test_a_bad_csv_row_writes_nothing(tmp_path, first_import, rows, expected_problem):
    assert_refused(write_csv(tmp_path, *rows), expected_problem)


@pytest.mark.parametrize(
    ("name", "content", "expected_problem"),
    [
        ("orders.json", b"", "the file is empty"),
        ("orders.csv", b"\n\n", "the file is empty"),
        ("orders.json", b'{"order": []}', 'the file needs an object with an "orders" list at the top'),
        ("orders.json", b'{"orders": []}', "the file has no orders"),
        ("orders.csv", ",".join(CSV_ROW).encode(), "the file has no orders"),
        (
            "orders.csv",
            ",".join(CSV_ROW).encode() + b"\n" + ",".join(CSV_ROW.values()).encode() + b"\n100236,jos\xe9@example.com",
            "line 3: the file is not UTF-8 text (byte 0xe9); save or export it as UTF-8",
        ),
        (
            "orders.csv",
            ",".join(c for c in CSV_ROW if c not in ("currency", "line_unit_tax")).encode(),
            "line 1: the header lacks the column(s) currency, line_unit_tax",
        ),
        (
            "orders.csv",
            ",".join(CSV_ROW).encode() + b"\n100236,ana@example.com,Ana",
            "line 2: has 3 values; the header has 16 columns",
        ),
        ("orders.xlsx", b"PK\x03\x04", "'orders.xlsx' is not a .json or .csv file"),
    ],
    ids=[
        "empty-json",
        "blank-csv",
        "no-orders-list",
        "empty-orders-list",
        "csv-header-only",
        "not-utf8",
        "csv-missing-columns",
        "csv-short-row",
        "unknown-extension",
    ],
)
def test_a_broken_file_writes_nothing(tmp_path, first_import, name, content, expected_problem):
    path = tmp_path / name
    path.write_bytes(content)

    assert_refused(path, expected_problem)


@pytest.mark.parametrize(
    ("records", "where"),
    [([], "before any order"), ([order_record("100235")], "after record 1 (order 100235)")],
    ids=["first-record", "after-a-good-record"],
)
def test_malformed_json_says_after_which_order_and_writes_nothing(tmp_path, first_import, records, where):
    path = tmp_path / "orders.json"
    good = "".join(json.dumps(record) + ",\n" for record in records)
    path.write_text('{"orders": [\n' + good + '  {"number": "100236",}\n]}', encoding="utf-8")

    error, problems = run_failing_import(path)

    assert error == "orders.json has 1 problem; nothing was written."
    [problem] = problems.splitlines()
    # Our words and where; the parser's own detail after the colon may vary with its version.
    assert problem.startswith(f"not valid JSON {where}: ")
    assert list(Order.objects.values_list("number", flat=True)) == ["100234"]


def test_rows_of_one_order_apart_in_a_csv_make_one_order(tmp_path):
    lamp = {"line_sku": "LAMP-02", "line_name": "Desk lamp", "line_unit_price": "45.00", "line_unit_tax": "3.60"}
    path = write_csv(tmp_path, {}, {"number": "100235"}, lamp)

    assert run_import(path) == "Imported orders.csv: 2 created, 0 updated, 0 unchanged.\n"

    assert [sku for sku, *_ in lines_of("100234")] == ["LAMP-02", "MUG-01"]
    assert [sku for sku, *_ in lines_of("100235")] == ["MUG-01"]


def test_a_file_read_in_small_pieces_keeps_characters_whole(tmp_path, monkeypatch):
    """The file is read a piece at a time; a character cut between two pieces is still read whole."""
    monkeypatch.setattr("returns.intake.files.CHUNK", 3)
    path = write_json(tmp_path, order_record(customer_name="Zoë Ångström 李"), order_record("100235"))

    assert run_import(path) == "Imported orders.json: 2 created, 0 updated, 0 unchanged.\n"

    assert Order.objects.get(number="100234").customer_name == "Zoë Ångström 李"


def test_a_file_with_very_many_problems_shows_the_first_and_counts_all(tmp_path):
    path = write_json(tmp_path, *(order_record(str(200000 + i), currency="usd") for i in range(1500)))

    error, problems = run_failing_import(path)

    assert error == "orders.json has 1500 problems; nothing was written."
    shown = problems.splitlines()
    assert shown[0] == "record 1, field currency: 'usd' is not a currency code like USD"
    assert shown[100:] == ["... and 1400 more."]
    assert not Order.objects.exists()


def test_money_as_a_json_number_must_be_exact_to_the_cent(tmp_path):
    path = tmp_path / "orders.json"
    path.write_text(json.dumps({"orders": [order_record()]}).replace('"12.50"', "12.505"), encoding="utf-8")

    assert_refused(path, "record 1, field lines[0].unit_price: 12.505 has more than 2 decimal places")


def test_every_problem_is_listed_on_its_own_line(tmp_path):
    path = write_json(
        tmp_path, order_record(currency="dollars"), order_record("100235", lines=[line_record(quantity=-1)])
    )

    error, problems = run_failing_import(path)

    assert error == "orders.json has 2 problems; nothing was written."
    assert problems.splitlines() == [
        "record 1, field currency: 'dollars' is not a currency code like USD",
        "record 2, field lines[0].quantity: -1 is not a quantity of at least 1",
    ]


def test_dry_run_of_a_bad_file_reports_the_problems(tmp_path):
    path = write_json(tmp_path, order_record(email="not an email"))

    assert_refused(path, "record 1, field email: 'not an email' is not an email address", "--dry-run")


def test_a_long_import_keeps_no_pile_of_queries_with_debug_on(tmp_path, settings, monkeypatch):
    """With DEBUG, Django remembers the last 9000 queries: thousands of 500-row inserts were hundreds of MB."""
    settings.DEBUG = True
    monkeypatch.setattr("returns.intake.importer.BATCH", 1)
    reset_queries()

    run_import(write_json(tmp_path, *(order_record(str(300000 + i)) for i in range(20))))

    assert Order.objects.count() == 20
    assert len(connection.queries) < 10  # the last batch's, not 20 batches'


def test_a_record_older_than_the_version_written_changes_nothing_and_is_listed(tmp_path):
    run_import(
        write_json(tmp_path, order_record(updated_at="2026-10-06T12:00:00Z", customer_name="Ana B."), name="new.json")
    )

    output = run_import(write_json(tmp_path, order_record(updated_at="2026-10-05T12:00:00Z"), name="old.json"))

    assert "Order 100234 in the file (updated_at 2026-10-05T12:00:00+00:00) is older than the version" in output
    assert "nothing changed" in output
    assert Order.objects.get(number="100234").customer_name == "Ana B."
