"""Delete photos uploaded for a return never sent, and photo files no row refers to (run_scheduled: hourly)."""

from django.core.management.base import BaseCommand

from returns.services.photos import photos_sweep


class Command(BaseCommand):
    help = (
        "Delete pending photo uploads older than PENDING_PHOTO_MAX_AGE and photo files with no row "
        "(left by a crash). Safe to run any number of times, beside the web processes."
    )

    def handle(self, *args, **options):
        result = photos_sweep()
        self.stdout.write(
            f"{result.expired} expired pending photo(s) deleted, {result.orphan_files} file(s) with no row deleted."
        )
