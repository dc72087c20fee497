"""R6 deadlines: ship-by reminders and expiry. Safe to run any number of times (cron, hourly)."""

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError

from returns.conf import policy_config, store_today
from returns.models import ReturnRequest
from returns.services.deadlines import return_request_expire, return_request_send_reminder


class Command(BaseCommand):
    help = "Send ship-by reminders and expire approved returns not shipped in time. Each happens once."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Act as if today were YYYY-MM-DD (store time zone). For catching up.")

    def handle(self, *args, **options):
        try:
            today = date.fromisoformat(options["date"]) if options["date"] else store_today()
        except ValueError as exc:
            raise CommandError(f"--date must look like 2026-11-30: {exc}") from exc
        cfg = policy_config()
        waiting = ReturnRequest.objects.filter(status=ReturnRequest.Status.APPROVED, ship_by__isnull=False)
        # The queries narrow the candidates; each service re-checks under a lock.
        remind_ids = waiting.filter(
            reminder_sent_on__isnull=True,
            ship_by__gte=today,
            ship_by__lte=today + timedelta(days=cfg.ship_by_reminder_days),
        ).values_list("pk", flat=True)
        expire_ids = waiting.filter(ship_by__lt=today).values_list("pk", flat=True)
        reminded = sum(
            return_request_send_reminder(request=ReturnRequest(pk=pk), today=today) for pk in list(remind_ids)
        )
        expired = sum(return_request_expire(request=ReturnRequest(pk=pk), today=today) for pk in list(expire_ids))
        self.stdout.write(f"{today:%Y-%m-%d}: {reminded} reminder(s) sent, {expired} return(s) expired.")
