"""Send the emails waiting in the outbox, retrying failures with backoff.

SIGTERM or SIGINT stops the worker: between emails at once; during an SMTP
conversation it lets that email finish for up to SHUTDOWN_GRACE seconds, then
abandons it and gives the row back to the outbox (a second signal abandons at once).
"""

import signal

from django.core.management.base import BaseCommand

from returns.outbox.mail import SendInterrupted, in_smtp_conversation, notifications_send_due
from returns.outbox.worker import run_rounds

SHUTDOWN_GRACE = 5  # an SMTP conversation takes well under a second; past this it is stuck


class Command(BaseCommand):
    help = "Send due notification emails once, or keep doing so with --loop (run it as a service in production)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Keep running, checking every --interval seconds.")
        parser.add_argument("--interval", type=float, default=5.0)

    def handle(self, *args, **options):
        signals = 0

        def request_stop(*_):
            nonlocal signals
            signals += 1
            if in_smtp_conversation():
                if signals > 1:
                    raise SendInterrupted
                signal.alarm(SHUTDOWN_GRACE)

        def grace_over(*_):
            if in_smtp_conversation():
                raise SendInterrupted

        def one_round():
            result = notifications_send_due(should_stop=lambda: signals > 0)
            if result.sent or result.retrying or result.failed or not options["loop"]:
                self.stdout.write(
                    f"{result.sent} sent, {result.retrying} to retry later, {result.failed} given up (see the admin)."
                )

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGALRM, grace_over)
        try:
            run_rounds(one_round, loop=options["loop"], interval=options["interval"], stopped=lambda: signals > 0)
        except SendInterrupted:
            self.stdout.write("Stopped while sending; that email went back to the outbox to be sent again.")
        finally:
            signal.alarm(0)
        self.stdout.write("Email worker stopped.")
