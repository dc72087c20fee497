"""Time the order webhooks: N signed orders posted one by one, the median and p95 per order.

    python -m bench webhooks                  # 1,000 orders to POST /api/v1/orders
    python -m bench webhooks --shopify        # and 1,000 to POST /api/v1/shopify/webhooks
    DATABASE_URL=postgres://…/bench python -m bench webhooks --posts 1000

Each post is a new order (three lines, one of them three units with a discount that does
not divide evenly in the Shopify case), signed as the store or Shopify signs it, with its own
delivery id, through Django's test client in this process: the time is the server's
(middleware, signature, checks, upsert, the delivery row and the commit), without a network.
The orders and delivery rows it wrote are deleted at the end (``--keep`` keeps them).
"""

from __future__ import annotations

import copy
import json
import secrets
import statistics
import time
from collections import Counter

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client
from django.test.utils import override_settings

from returns.api.schema import EXAMPLE_ORDER, EXAMPLE_SHOPIFY_ORDER
from returns.api.signing import header_for
from returns.integrations.shopify import shopify_signature
from returns.models import Order, WebhookDelivery

SECRET = secrets.token_urlsafe(24)  # a fresh one per run: the bench signs its own posts
WARM_UP = 10


def _generic_order(number: str) -> dict:
    order = copy.deepcopy(EXAMPLE_ORDER)
    order["number"] = number
    order["lines"] += [
        {**order["lines"][0], "sku": "LAMP-02", "name": "Desk lamp", "quantity": 1, "unit_price": "45.00"},
        {**order["lines"][0], "sku": "PEN-ENG", "name": "Engraved pen", "quantity": 1, "personalized": True},
    ]
    return order


def _shopify_order(number: str, shopify_id: int) -> dict:
    order = copy.deepcopy(EXAMPLE_SHOPIFY_ORDER)
    order.update(id=shopify_id, name=f"#{number}", order_number=shopify_id)
    line = order["line_items"][0]
    order["line_items"] += [
        {**line, "id": 2, "sku": "LAMP-02", "name": "Desk lamp", "quantity": 1, "price": "45.00", "properties": []},
        {**line, "id": 3, "sku": "PEN-ENG", "name": "Engraved pen", "quantity": 1, "discount_allocations": []},
    ]
    return order


class Command(BaseCommand):
    help = "Post N signed orders to the order webhooks and print the median and p95 time per order."

    def add_arguments(self, parser):
        parser.add_argument("--posts", type=int, default=1000, help="Orders posted per endpoint (default 1,000).")
        parser.add_argument("--shopify", action="store_true", help="Also time POST /api/v1/shopify/webhooks.")
        parser.add_argument("--keep", action="store_true", help="Keep the orders written (deleted by default).")

    def handle(self, *args, posts: int, shopify: bool, keep: bool, **options):
        run = secrets.token_hex(3).upper()
        prefix = f"BENCH-{run}-"
        client = Client()
        report = {"database": connection.vendor, "posts": posts}
        with override_settings(
            ORDER_WEBHOOK_SECRET=SECRET,
            SHOPIFY_WEBHOOK_SECRET=SECRET,
            ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
            SECURE_SSL_REDIRECT=False,
        ):
            try:
                report["orders_api"] = self._time(posts, lambda i: self._post_generic(client, f"{prefix}G{i}", run))
                if shopify:
                    report["shopify"] = self._time(posts, lambda i: self._post_shopify(client, f"{prefix}S{i}", i, run))
            finally:
                if not keep:
                    Order.objects.filter(number__startswith=prefix).delete()
                    WebhookDelivery.objects.filter(delivery_id__startswith=f"bench-{run}-").delete()
        for name in ("orders_api", "shopify"):
            if name in report:
                r = report[name]
                self.stdout.write(
                    f"{name:<11} {posts} posts on {connection.vendor}: median {r['median_ms']:.1f} ms, "
                    f"p95 {r['p95_ms']:.1f} ms per order; answers {r['statuses']}"
                )
        self.stdout.write(json.dumps(report))

    def _time(self, posts: int, post) -> dict:
        for i in range(-WARM_UP, 0):
            post(i)
        times, statuses = [], Counter()
        for i in range(posts):
            started = time.perf_counter()
            status = post(i)
            times.append((time.perf_counter() - started) * 1000)
            statuses[str(status)] += 1
        p95 = statistics.quantiles(times, n=20)[18] if len(times) > 1 else times[0]
        return {"median_ms": round(statistics.median(times), 2), "p95_ms": round(p95, 2), "statuses": dict(statuses)}

    @staticmethod
    def _post_generic(client: Client, number: str, run: str) -> int:
        body = json.dumps(_generic_order(number)).encode()
        delivery_id = f"bench-{run}-{number}"
        return client.post(
            "/api/v1/orders",
            body,
            content_type="application/json",
            HTTP_X_ALOTROP_SIGNATURE=header_for(body, SECRET, delivery_id=delivery_id),
            HTTP_X_ALOTROP_DELIVERY=delivery_id,
        ).status_code

    @staticmethod
    def _post_shopify(client: Client, number: str, index: int, run: str) -> int:
        # Shopify's ids are unique: a run's own range, so a kept run does not collide with the next.
        body = json.dumps(_shopify_order(number, int(run, 16) * 10**7 + WARM_UP + index)).encode()
        return client.post(
            "/api/v1/shopify/webhooks",
            body,
            content_type="application/json",
            HTTP_X_SHOPIFY_TOPIC="orders/create",
            HTTP_X_SHOPIFY_HMAC_SHA256=shopify_signature(body, SECRET),
            HTTP_X_SHOPIFY_WEBHOOK_ID=f"bench-{run}-{number}",
        ).status_code
