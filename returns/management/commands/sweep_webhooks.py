"""Forget webhook deliveries older than WEBHOOK_DELIVERY_KEEP_DAYS (run_scheduled runs it daily)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from returns.api.webhooks import deliveries_sweep


class Command(BaseCommand):
    help = (
        "Delete the record of webhook deliveries (orders API, Shopify) older than WEBHOOK_DELIVERY_KEEP_DAYS; "
        "they only answer a redelivery, and senders stop retrying after a few days. Safe to run any time."
    )

    def handle(self, *args, **options):
        deleted = deliveries_sweep()
        self.stdout.write(
            f"{deleted} webhook delivery record(s) older than {settings.WEBHOOK_DELIVERY_KEEP_DAYS} days deleted."
        )
