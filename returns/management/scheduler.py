"""The periodic jobs and the one scheduler that runs them (``manage.py run_scheduled [--loop]``).

Every host may run the scheduler (the same systemd unit everywhere): each job runs under a lock
that one process at a time can hold (a PostgreSQL advisory lock, held by the database session and
released if the process dies; on SQLite a file lock beside the database), and starts only when
its row in ``ScheduledJobRun``, read again under the lock, says its period has passed. So each due
job runs once in all, whichever host gets there first, and a slow job is never started twice.

Each job returns one line saying what it did; the scheduler logs it (with the job's name) and keeps
it on the job's row.
"""

from __future__ import annotations

import fcntl
import logging
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

from core.logs import bound
from returns.api.webhooks import deliveries_sweep
from returns.conf import store_today
from returns.models import ScheduledJobRun
from returns.services.deadlines import deadlines_process
from returns.services.photos import orphan_photos_sweep, pending_photos_sweep
from returns.services.retention import retention_run

log = logging.getLogger(__name__)

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Job:
    name: str
    period: timedelta
    run: Callable[[], str]
    what: str


def _deadlines() -> str:
    today = store_today()
    reminded, expired = deadlines_process(today=today)
    return f"{today:%Y-%m-%d}: {reminded} reminder(s) sent, {expired} return(s) expired"


def _pending_photos() -> str:
    return f"{pending_photos_sweep()} expired pending photo(s) deleted"


def _orphan_photos() -> str:
    result = orphan_photos_sweep()
    return f"{result.orphan_files} file(s) with no row deleted in {', '.join(result.folders_listed)}"


def _webhook_ids() -> str:
    return (
        f"{deliveries_sweep()} webhook delivery id(s) older than {settings.WEBHOOK_DELIVERY_KEEP_DAYS} days forgotten"
    )


def _sessions() -> str:
    engine = import_module(settings.SESSION_ENGINE)
    if settings.SESSION_ENGINE == "django.contrib.sessions.backends.db":
        from django.contrib.sessions.models import Session

        deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
        return f"{deleted} expired session(s) deleted"
    engine.SessionStore.clear_expired()
    return "expired sessions cleared"


def _retention() -> str:
    return str(retention_run())


JOBS: list[Job] = [
    Job("deadlines", HOUR, _deadlines, "ship-by reminders and expiry (R6)"),
    Job("pending_photos", HOUR, _pending_photos, "photos uploaded for a return never sent (PENDING_PHOTO_MAX_AGE)"),
    Job("orphan_photos", DAY, _orphan_photos, "photo files no row refers to, in the folder of two days ago"),
    Job("webhook_ids", DAY, _webhook_ids, "webhook delivery ids older than WEBHOOK_DELIVERY_KEEP_DAYS"),
    Job("sessions", DAY, _sessions, "expired sign-in and guest sessions"),
    Job("retention", DAY, _retention, "email bodies, sign-in attempts and closed returns' photos past their keep"),
]


def lock_key(name: str) -> int:
    """A stable 32-bit key for ``pg_try_advisory_lock``, the same in every process."""
    return zlib.crc32(f"alotrop-returns:job:{name}".encode())


@contextmanager
def job_lock(name: str) -> Iterator[bool]:
    """Hold the job's lock while the block runs; yields False (at once) when another process holds it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [lock_key(name)])
            held = cursor.fetchone()[0]
        try:
            yield held
        finally:
            if held and connection.connection is not None:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [lock_key(name)])
        return
    folder = Path(settings.SCHEDULER_LOCK_DIR or Path(str(settings.DATABASES["default"]["NAME"])).parent)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f".alotrop-job-{name}.lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _due(job: Job, now: datetime) -> bool:
    last = ScheduledJobRun.objects.filter(job=job.name).values_list("started_at", flat=True).first()
    return last is None or last <= now - job.period


@dataclass(frozen=True)
class Ran:
    job: str
    outcome: str
    failed: bool


def run_due(*, now: datetime | None = None, jobs: list[Job] | None = None) -> list[Ran]:
    """Run every job whose period has passed and that no other process is running; what each did."""
    ran = []
    for job in JOBS if jobs is None else jobs:
        moment = now or timezone.now()
        if not _due(job, moment):
            continue
        with job_lock(job.name) as held:
            # Read again under the lock: another process may have run it since the first look.
            if not held or not _due(job, moment):
                continue
            ScheduledJobRun.objects.update_or_create(
                job=job.name,
                defaults={"started_at": moment, "finished_at": None, "outcome": "running", "failed": False},
            )
            with bound(job=job.name):
                try:
                    outcome, failed = job.run(), False
                    log.info("Job %s: %s", job.name, outcome)
                except Exception as error:  # one job failing must not stop the others; it is retried next period
                    outcome, failed = f"failed: {type(error).__name__}: {error}"[:2000], True
                    log.exception("Job %s failed", job.name)
            ScheduledJobRun.objects.filter(job=job.name).update(
                finished_at=timezone.now(), outcome=outcome, failed=failed
            )
            ran.append(Ran(job.name, outcome, failed))
    return ran
