"""Orders coming in from the store: the export file (``import_orders``), our orders webhook and Shopify's.

All three go through the same checks and the same upsert, so a bad record gets the same message
whichever way it came. Callers import from here, the names below; the modules behind it are its jobs:

- ``fields``: one value (parsers, the field specs, the located ``Problem``);
- ``records``: one order record, and a list of them, checked;
- ``files``: a JSON or CSV file read as a stream and checked into a scratch store;
- ``upsert``: clean orders and delivery dates written under row locks;
- ``importer``: the import command's driver, a whole file checked then written in one transaction.
"""

from returns.intake.fields import CENT, LINE_SPEC, MAX_MONEY, ORDER_SPEC, REQUIRED, Problem
from returns.intake.importer import orders_import
from returns.intake.records import order_records_check
from returns.intake.upsert import (
    FROZEN_ONCE_RETURNED,
    OrderImportResult,
    kept_delivery_date,
    order_deliveries_record,
    orders_upsert,
)

__all__ = [
    "CENT",
    "FROZEN_ONCE_RETURNED",
    "LINE_SPEC",
    "MAX_MONEY",
    "ORDER_SPEC",
    "REQUIRED",
    "OrderImportResult",
    "Problem",
    "kept_delivery_date",
    "order_deliveries_record",
    "order_records_check",
    "orders_import",
    "orders_upsert",
]
