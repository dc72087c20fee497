"""Send the emails waiting in the outbox, retrying failures with backoff."""

import signal
import time

from django.core.management.base import BaseCommand

from returns.notifications import notifications_send_due


class Command(BaseCommand):
    help = "Send due notification emails once, or keep doing so with --loop (run it as a service in production)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Keep running, checking every --interval seconds.")
        parser.add_argument("--interval", type=float, default=5.0)

    def handle(self, *args, **options):
        stop = False

        def request_stop(*_):
            nonlocal stop
            stop = True

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        while True:
            result = notifications_send_due()
            if result.sent or result.retrying or result.failed or not options["loop"]:
                self.stdout.write(
                    f"{result.sent} sent, {result.retrying} to retry later, {result.failed} given up (see the admin)."
                )
            if not options["loop"] or stop:
                return
            slept = 0.0
            while slept < options["interval"] and not stop:
                time.sleep(0.25)
                slept += 0.25
            if stop:
                return
