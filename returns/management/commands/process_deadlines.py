"""R6 deadlines: ship-by reminders and expiry. Safe to run any number of times (``run_scheduled`` runs it hourly)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from returns.conf import store_today
from returns.services.deadlines import deadlines_process


class Command(BaseCommand):
    help = "Send ship-by reminders and expire approved returns not shipped in time. Each happens once."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Act as if today were YYYY-MM-DD (store time zone). For catching up.")

    def handle(self, *args, **options):
        try:
            today = date.fromisoformat(options["date"]) if options["date"] else store_today()
        except ValueError as exc:
            raise CommandError(f"--date must look like 2026-11-30: {exc}") from exc
        reminded, expired = deadlines_process(today=today)
        self.stdout.write(f"{today:%Y-%m-%d}: {reminded} reminder(s) sent, {expired} return(s) expired.")
