"""The store's API keys: ``add NAME`` (prints the key once; only its hash is kept), ``list``, ``revoke ID``."""

from django.core.management.base import BaseCommand, CommandError

from returns.exceptions import ApiKeyRefused
from returns.models import ApiKey
from returns.services.api_keys import api_key_add, api_key_revoke


def _when(moment) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "never"


class Command(BaseCommand):
    help = "Add, list or revoke the keys the store's systems read the API with (Authorization: Bearer <key>)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("add", help="Add a key for a system; prints the key once.").add_argument(
            "name", help="Which system holds it, e.g. ERP."
        )
        sub.add_parser("list", help="List the keys: id, prefix, name, made, last used, revoked.")
        sub.add_parser("revoke", help="Revoke a key: it is refused (401) from the next call.").add_argument(
            "id", type=int
        )

    def handle(self, *args, **options):
        action = options["action"]
        if action == "add":
            try:
                row, key = api_key_add(name=options["name"])
            except ApiKeyRefused as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"API key {row.pk} added for {row.name}.")
            self.stdout.write(
                "The key (shown only now; only its hash is kept; send it as Authorization: Bearer <key>):"
            )
            self.stdout.write(key)
        elif action == "list":
            rows = ApiKey.objects.all()
            if not rows:
                self.stdout.write("No API keys. Add one with: manage.py api_keys add NAME")
            for row in rows:
                state = f"REVOKED {_when(row.revoked_at)}" if row.revoked_at else "active"
                self.stdout.write(
                    f"{row.pk}\t{row.prefix}…\t{row.name}\tmade {_when(row.created_at)}\t"
                    f"last used {_when(row.last_used_at)}\t{state}"
                )
        else:
            row = api_key_revoke(key_id=options["id"])
            if row is None:
                raise CommandError(f"No API key {options['id']}; see manage.py api_keys list.")
            self.stdout.write(f"API key {row.pk} ({row.name}, {row.prefix}…) revoked.")
