"""Everything held about one customer's email, as one JSON document (GDPR article 15)."""

from pathlib import Path

from django.core.management.base import BaseCommand

from returns.services.customer_data import customer_export_json, customer_photos_copy


class Command(BaseCommand):
    help = (
        "Write one JSON document with everything held about EMAIL: account, orders, returns with their lines, "
        "history, photos and refunds, and the emails sent. --photos DIR also copies the photo files there."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--photos", type=Path, metavar="DIR", help="Copy the photo files into this folder.")

    def handle(self, *args, email: str, photos: Path | None, **options):
        self.stdout.write(customer_export_json(email))
        if photos is not None:
            copied = customer_photos_copy(email, photos)
            self.stderr.write(f"{len(copied)} photo file(s) copied to {photos}.")
