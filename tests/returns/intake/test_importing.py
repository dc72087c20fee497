"""The import's checks and writes for records already in memory (what a webhook receives)."""

from decimal import Decimal

import pytest

from returns.exceptions import ImportErrors
from returns.intake import order_records_check, orders_upsert
from returns.models import Order
from tests.returns.intake.test_import_orders import line_record, order_record

pytestmark = pytest.mark.django_db


def test_checked_records_are_written_and_a_repeat_changes_nothing():
    records = [order_record(), order_record("100235", lines=[line_record(unit_price=Decimal("19.99"))])]

    result = orders_upsert(orders=order_records_check(records))

    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    assert Order.objects.get(number="100235").lines.get().unit_price == Decimal("19.99")
    again = orders_upsert(orders=order_records_check(records))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_bad_records_are_refused_with_the_same_words_as_a_file():
    records = [order_record(), order_record(currency="usd"), "an order"]

    with pytest.raises(ImportErrors) as refused:
        order_records_check(records)

    assert [str(problem) for problem in refused.value.problems] == [
        "record 2, field currency: 'usd' is not a currency code like USD",
        "record 2, field number: order 100234 is also record 1",
        "record 3: 'an order' is not an order object",
    ]
    assert not Order.objects.exists()
