"""``python -m bench <command> [options]``: the benchmarks that run inside Django, kept out of the production app.

    python -m bench admin --requests 1000000                   # staff pages over a filled database
    python -m bench photo_uploads --url http://127.0.0.1:8001  # uploads against a running gunicorn
    python -m bench webhooks --shopify                         # the order webhooks, in this process

Each command is a Django management command in ``bench/<command>.py``, run with the settings
manage.py would use (DJANGO_SETTINGS_MODULE, or ``--settings``; config.settings.local by default).
No settings install them, so photo_uploads runs with the production settings of the gunicorn it
measures while production ships nothing of the bench. ``make bench`` (bench/run.py) times the pages.
"""

import os
import sys
from importlib import import_module

import django
from django.core.management.base import CommandParser, handle_default_options

COMMANDS = ("admin", "events_out", "inbound_email", "photo_uploads", "webhooks")


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[1] not in COMMANDS:
        sys.exit(f"usage: python -m bench {{{','.join(COMMANDS)}}} [options]  (--help after a command for its options)")
    # --settings and --pythonpath take effect before Django is set up, as with manage.py.
    early = CommandParser(add_help=False, allow_abbrev=False)
    early.add_argument("--settings")
    early.add_argument("--pythonpath")
    handle_default_options(early.parse_known_args(argv[2:])[0])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    django.setup()
    import_module(f"bench.{argv[1]}").Command().run_from_argv(["python -m bench", *argv[1:]])


if __name__ == "__main__":
    main(sys.argv)
