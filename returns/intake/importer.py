"""The import command's driver: the whole file checked first (``files``), then every order in it
written (``upsert``) a batch at a time, in one transaction.

A file with one bad record writes nothing, so nobody untangles a half-done import.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, connection, reset_queries, transaction

from returns.exceptions import ImportErrors
from returns.intake.fields import Problem
from returns.intake.files import Checked, file_check
from returns.intake.upsert import BATCH, OrderImportResult, upsert_batch


def _forget_queries() -> None:
    """With DEBUG on, Django keeps the last 9000 queries' SQL: 5000 batches of 500 rows held
    hundreds of megabytes. Not while someone counts queries (tests, CaptureQueriesContext)."""
    if settings.DEBUG and not connection.force_debug_cursor:
        reset_queries()


def orders_import(*, path: str | Path, dry_run: bool = False) -> OrderImportResult:
    """Check the whole file, then create or update every order in it in one transaction.

    Memory stays the same whatever the size of the file: it is read as a stream
    twice over, first checked into a scratch file, then written in batches.
    With ``dry_run`` the same work is done and rolled back, so the counts are exactly
    what a real import would report. Raises ImportErrors; then nothing was written.
    """
    path = Path(path)
    if path.suffix.lower() not in (".json", ".csv"):
        raise ImportErrors([Problem(f"'{path.name}' is not a .json or .csv file")])
    result = OrderImportResult()
    with tempfile.TemporaryDirectory(prefix="import_orders-") as scratch:
        checked = Checked(scratch)
        try:
            file_check(path, checked)
            with transaction.atomic():
                for batch in checked.batches(BATCH):
                    upsert_batch(batch, result)
                    _forget_queries()
                if dry_run:
                    transaction.set_rollback(True)
        except IntegrityError as error:
            # Only a concurrent writer can break a constraint the checks above guarantee.
            raise ImportErrors(
                [Problem(f"the database refused the import, maybe another import ran at once: {error}")]
            ) from error
        finally:
            checked.db.close()
    return result
