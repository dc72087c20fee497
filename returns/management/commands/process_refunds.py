"""Send refunds to the payment provider, retrying with backoff while it is down."""

import signal

from django.core.management.base import BaseCommand

from returns.outbox.refunds import refunds_process_due
from returns.outbox.worker import run_rounds


class Command(BaseCommand):
    help = (
        "Send due refunds to the payment provider (REFUND_PROVIDER) once, or keep doing so with --loop "
        "(run it as a service in production, beside send_notifications)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Keep running, checking every --interval seconds.")
        parser.add_argument("--interval", type=float, default=10.0)

    def handle(self, *args, **options):
        stop = False

        def request_stop(*_):
            nonlocal stop
            stop = True

        def one_round():
            handled = refunds_process_due()
            if handled or not options["loop"]:
                self.stdout.write(f"{handled} refund(s) sent or checked (see the admin for their state).")

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        if options["loop"]:
            self.stdout.write(f"Refund worker running, every {options['interval']:g} s; SIGTERM or Ctrl-C stops it.")
            self.stdout.flush()
        run_rounds(one_round, loop=options["loop"], interval=options["interval"], stopped=lambda: stop)
        if options["loop"]:
            self.stdout.write("Refund worker stopped.")
