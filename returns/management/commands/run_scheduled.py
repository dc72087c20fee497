"""Run every periodic job that is due, once across all hosts (README, Deployment: the scheduler)."""

import signal

from django.core.management.base import BaseCommand

from returns.management.scheduler import JOBS, run_due
from returns.outbox.worker import run_rounds


class Command(BaseCommand):
    help = (
        "Run the periodic jobs whose period has passed: "
        + "; ".join(f"{job.name} ({job.what}, every {job.period})" for job in JOBS)
        + ". Each runs under a database lock, so the scheduler may run on every host."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Keep running, looking every --interval seconds.")
        parser.add_argument("--interval", type=float, default=60.0)

    def handle(self, *args, **options):
        stopping = False

        def request_stop(*_):
            # A job in progress finishes (each is safe to stop between rows, but not worth cutting short).
            nonlocal stopping
            stopping = True

        def one_round():
            ran = run_due()
            for result in ran:
                self.stdout.write(f"{result.job}: {result.outcome}")
            if not ran and not options["loop"]:
                self.stdout.write("Nothing due.")

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        if options["loop"]:
            self.stdout.write("Scheduler running.", ending="\n")
            self.stdout.flush()
        run_rounds(one_round, loop=options["loop"], interval=options["interval"], stopped=lambda: stopping)
        if options["loop"]:
            self.stdout.write("Scheduler stopped.")
