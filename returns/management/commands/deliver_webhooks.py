"""Send the events waiting for the store's endpoints, retrying failures with backoff (``--loop``: as a service).

SIGTERM or SIGINT stops the worker after the calls under way (each at most WEBHOOKS_TIMEOUT).
"""

import signal

from django.core.management.base import BaseCommand

from returns.outbox.webhooks import deliveries_send_due
from returns.outbox.worker import run_rounds


class Command(BaseCommand):
    help = "Deliver due webhook events once, or keep doing so with --loop (run it as a service in production)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Keep running, checking every --interval seconds.")
        parser.add_argument("--interval", type=float, default=1.0)

    def handle(self, *args, **options):
        signals = 0

        def request_stop(*_):
            nonlocal signals
            signals += 1

        def one_round():
            result = deliveries_send_due(should_stop=lambda: signals > 0)
            if result.delivered or result.retrying or result.failed or not options["loop"]:
                self.stdout.write(
                    f"{result.delivered} delivered, {result.retrying} to retry later, {result.failed} given up."
                )
            for endpoint_id in result.disabled:
                self.stderr.write(f"Endpoint {endpoint_id} disabled: it answered no 2xx for WEBHOOKS_RETRY_HOURS.")

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        run_rounds(one_round, loop=options["loop"], interval=options["interval"], stopped=lambda: signals > 0)
        self.stdout.write("Webhook worker stopped.")
