"""``manage.py check --deploy`` warns about what works on one machine and silently not on several.

``returns.W003`` (only with ``--database default``, as it reads the database) says when no scheduler
has run a job for a day. Each is a warning, not an error: a single-host deployment may silence it by its id in
``SILENCED_SYSTEM_CHECKS`` (a comma-separated environment variable), knowingly.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.checks import Tags, Warning, register

# Every job runs at least daily: a scheduler silent for longer than this is not running.
SCHEDULER_SILENCE = timedelta(days=1, hours=1)

PER_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)
LOCAL_STORAGES = (
    "django.core.files.storage.FileSystemStorage",
    "django.core.files.storage.filesystem.FileSystemStorage",
)


@register(Tags.caches, deploy=True)
def check_shared_cache(app_configs, **kwargs):
    backend = settings.CACHES["default"]["BACKEND"]
    if settings.THROTTLE_STORE == "cache" and backend in PER_PROCESS_CACHES:
        return [
            Warning(
                f"The limits count in a cache each process keeps for itself ({backend.rsplit('.', 1)[-1]}): "
                "with several gunicorn workers or hosts, a client gets the limit once per process.",
                hint="Set CACHE_URL=redis://host:6379/0, or THROTTLE_STORE=database.",
                id="returns.W001",
            )
        ]
    return []


@register(deploy=True)
def check_shared_photo_storage(app_configs, **kwargs):
    backend = settings.STORAGES["default"]["BACKEND"]
    if backend in LOCAL_STORAGES:
        return [
            Warning(
                f"Customers' photos are kept on this machine's disk ({settings.MEDIA_ROOT}): a second web host "
                "would not see them, and the photo sweep on another host would take them for orphans.",
                hint="Set AWS_STORAGE_BUCKET_NAME (README, Photos in S3-compatible storage); on one host only, "
                "add returns.W002 to SILENCED_SYSTEM_CHECKS.",
                id="returns.W002",
            )
        ]
    return []


@register(Tags.database, deploy=True)
def check_scheduler_runs(app_configs, databases=None, **kwargs):
    """With ``--database default``: has ``run_scheduled`` run lately? Without it, the jobs never run."""
    if not databases or "default" not in databases:
        return []
    from django.db import DatabaseError
    from django.utils import timezone

    from returns.models import ScheduledJobRun

    try:
        last = ScheduledJobRun.objects.order_by("-started_at").values_list("started_at", flat=True).first()
    except DatabaseError:
        return []  # not migrated yet: the migration check says so
    if last is None or last < timezone.now() - SCHEDULER_SILENCE:
        since = "has never run here" if last is None else f"last ran a job at {last:%Y-%m-%d %H:%M} UTC"
        return [
            Warning(
                f"The scheduler {since}: deadlines (R6), the photo sweep and the retention jobs are not running.",
                hint="Run `manage.py run_scheduled --loop` as a service on one host or on every host "
                "(README, Deployment).",
                id="returns.W003",
            )
        ]
    return []
