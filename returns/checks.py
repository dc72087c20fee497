"""``manage.py check --deploy`` warns about what works on one machine and silently not on several.

Each is a warning, not an error: a single-host deployment may silence it by its id in
``SILENCED_SYSTEM_CHECKS`` (a comma-separated environment variable), knowingly.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register

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
