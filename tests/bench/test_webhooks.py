"""bench_webhooks posts signed orders to both webhooks, reports the times and leaves nothing behind."""

import io
import json

import pytest
from django.core.management import call_command

from bench import webhooks
from returns.models import Order, WebhookDelivery

pytestmark = pytest.mark.django_db


def test_bench_webhooks_times_every_post_and_cleans_up():
    out = io.StringIO()
    call_command(webhooks.Command(), posts=5, shopify=True, stdout=out)
    report = json.loads(out.getvalue().splitlines()[-1])
    for name in ("orders_api", "shopify"):
        assert report[name]["statuses"] == {"200": 5}, report
        assert report[name]["p95_ms"] >= report[name]["median_ms"] > 0
    assert "median" in out.getvalue() and "p95" in out.getvalue()
    assert not Order.objects.exists() and not WebhookDelivery.objects.exists()


def test_keep_keeps_the_orders_with_their_split_lines():
    call_command(webhooks.Command(), posts=2, shopify=True, keep=True, stdout=io.StringIO())
    shopify_orders = Order.objects.filter(number__contains="-S")
    assert shopify_orders.count() == 2 + 10  # and the warm-up's
    skus = sorted(shopify_orders.first().lines.values_list("sku", "quantity"))
    assert skus == [("LAMP-02", 1), ("MUG-01", 1), ("MUG-01#2", 2), ("PEN-ENG", 1)]
