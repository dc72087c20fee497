"""``manage.py import_orders FILE [--dry-run]``: load the store's order export."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from returns.exceptions import ImportErrors
from returns.intake import orders_import

# Past this many, more lines would bury the first ones; the count says the rest.
MAX_PROBLEMS_SHOWN = 100


class Command(BaseCommand):
    help = (
        "Import orders from the store's JSON or CSV export. The whole file is checked first; "
        "if any record has a problem, nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .json or .csv file of orders")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and report what would change, writing nothing"
        )

    def handle(self, *args, file, dry_run, **options):
        name = Path(file).name
        try:
            result = orders_import(path=file, dry_run=dry_run)
        except ImportErrors as error:
            for problem in error.problems[:MAX_PROBLEMS_SHOWN]:
                self.stderr.write(str(problem))
            hidden = error.count - min(len(error.problems), MAX_PROBLEMS_SHOWN)
            if hidden > 0:
                self.stderr.write(f"... and {hidden} more.")
            count = error.count
            raise CommandError(
                f"{name} has {count} problem{'' if count == 1 else 's'}; nothing was written."
            ) from error

        counts = f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged."
        if dry_run:
            self.stdout.write(f"Checked {name} (dry run, nothing written); it would give: {counts}")
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {name}: {counts}"))
        for number in result.orders_with_kept_lines:
            self.stdout.write(
                self.style.WARNING(
                    f"Order {number} has return requests, so its lines were kept as they are; "
                    "the file's different lines for it were not applied."
                )
            )
        for number, version, applied in result.orders_older_than_applied:
            self.stdout.write(
                self.style.WARNING(
                    f"Order {number} in the file (updated_at {version.isoformat()}) is older than the version "
                    f"already applied (updated_at {applied.isoformat()}); nothing changed."
                )
            )
        for number, fields in result.orders_with_kept_fields:
            self.stdout.write(
                self.style.WARNING(
                    f"Order {number} has return requests, so its {', '.join(fields)} "
                    "were kept as they are; the file's different values were not applied."
                )
            )
