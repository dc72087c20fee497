"""Write a store export of N orders (JSON or CSV) for measuring ``import_orders``.

    python bench/make_orders.py 50000 /tmp/orders.json
    python bench/make_orders.py 50000 /tmp/orders.csv

Each order has 1 to 3 lines; the numbers are 900000000 + i, so they never meet the demo's.
"""

import csv
import json
import sys
from pathlib import Path

PRODUCTS = [
    ("MUG-01", "Stoneware mug", "12.50", "1.00"),
    ("LAMP-02", "Desk lamp", "45.00", "3.60"),
    ("VASE-03", "Glass vase", "30.00", "2.40"),
]


def orders(count):
    for i in range(count):
        yield {
            "number": str(900_000_000 + i),
            "email": f"customer{i % 5000}@example.com",
            "customer_name": f"Customer {i % 5000}",
            "placed_at": f"2026-10-{1 + i % 28:02d}T10:00:00Z",
            "delivered_on": f"2026-11-{1 + i % 28:02d}",
            "currency": "USD",
            "shipping_charged": "5.99",
            "free_shipping": False,
            "payment_method": "Visa ending 4242",
            "lines": [
                {"sku": sku, "name": name, "quantity": 1 + i % 2, "unit_price": price, "unit_tax": tax}
                for sku, name, price, tax in PRODUCTS[: 1 + i % 3]
            ],
        }


def main(count, path):
    path = Path(path)
    with path.open("w", encoding="utf-8", newline="") as f:
        if path.suffix == ".json":
            f.write('{"orders": [\n')
            for i, order in enumerate(orders(count)):
                f.write((",\n" if i else "") + json.dumps(order))
            f.write("\n]}\n")
            return
        writer = None
        for order in orders(count):
            lines = order.pop("lines")
            for line in lines:
                row = order | {f"line_{name}": value for name, value in line.items()}
                if writer is None:
                    writer = csv.DictWriter(f, fieldnames=list(row))
                    writer.writeheader()
                writer.writerow(row)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
