"""Delete photos uploaded for a return never sent, and photo files no row refers to (run_scheduled does both)."""

from django.core.management.base import BaseCommand

from returns.services.photos import orphan_photos_sweep, orphan_photos_sweep_all, pending_photos_sweep


class Command(BaseCommand):
    help = (
        "Delete pending photo uploads older than PENDING_PHOTO_MAX_AGE, and photo files with no row (left by a "
        "crash) in the photos folder of two days ago and in pending/; --all reads every folder instead (one "
        "listing call each: once, after moving from the old layout). Safe to run any time, beside the web processes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Look for files with no row in every folder.")

    def handle(self, *args, **options):
        expired = pending_photos_sweep()
        result = orphan_photos_sweep_all() if options["all"] else orphan_photos_sweep()
        self.stdout.write(
            f"{expired} expired pending photo(s) deleted, {result.orphan_files} file(s) with no row deleted "
            f"({len(result.folders_listed)} folder(s) read)."
        )
