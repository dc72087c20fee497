"""What the store keeps only for a while, forgotten on schedule (the scheduler's daily ``retention`` job).

Each period is a setting (README, Retention); 0 keeps that kind for ever:

- ``EMAIL_BODY_KEEP_DAYS``: the body of an email sent (or given up on, or expired) that long ago is
  blanked; the row stays, so staff still see who was told what, when (subject and state);
- ``ACCESS_ATTEMPT_KEEP_DAYS``: sign-in attempt rows (django-axes' ``AccessAttempt``: an email address
  typed and a client address) older than that are deleted; the lockout only counts the last
  LOGIN_LOCKOUT_MINUTES;
- ``PHOTO_KEEP_DAYS``: the photos of a return closed (refunded, completed, rejected, cancelled, expired)
  that long ago are deleted from storage; their rows stay and say "Removed after N days" to staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from axes.models import AccessAttempt
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from returns.domain.vocabulary import ReturnStatus
from returns.models import DamagePhoto, Notification, ReturnRequest
from returns.services.photos import photo_files_delete

CLOSED = (
    ReturnStatus.REFUNDED,
    ReturnStatus.COMPLETED,
    ReturnStatus.REJECTED,
    ReturnStatus.CANCELLED,
    ReturnStatus.EXPIRED,
)
BATCH = 500


@dataclass(frozen=True)
class Forgotten:
    email_bodies: int
    access_attempts: int
    photos: int

    def __str__(self) -> str:
        return (
            f"{self.email_bodies} email bodies blanked (older than {settings.EMAIL_BODY_KEEP_DAYS} days), "
            f"{self.access_attempts} sign-in attempts deleted (older than {settings.ACCESS_ATTEMPT_KEEP_DAYS} days), "
            f"{self.photos} photos removed (returns closed over {settings.PHOTO_KEEP_DAYS} days ago)"
        )


def _cutoff(days: int, now: datetime) -> datetime | None:
    return now - timedelta(days=days) if days > 0 else None


def email_bodies_forget(*, now: datetime) -> int:
    cutoff = _cutoff(settings.EMAIL_BODY_KEEP_DAYS, now)
    if cutoff is None:
        return 0
    done = [Notification.State.SENT, Notification.State.FAILED, Notification.State.EXPIRED]
    rows = Notification.objects.filter(state__in=done, created_at__lt=cutoff).exclude(body_text="", body_html="")
    return rows.update(body_text="", body_html="")


def access_attempts_forget(*, now: datetime) -> int:
    cutoff = _cutoff(settings.ACCESS_ATTEMPT_KEEP_DAYS, now)
    if cutoff is None:
        return 0
    deleted, _ = AccessAttempt.objects.filter(attempt_time__lt=cutoff).delete()
    return int(deleted)


def closed_return_photos_remove(*, now: datetime) -> int:
    """Files first go once their rows say so (on commit), a batch at a time; returns how many photos."""
    days = settings.PHOTO_KEEP_DAYS
    cutoff = _cutoff(days, now)
    if cutoff is None:
        return 0
    closed = (
        ReturnRequest.objects.filter(status__in=CLOSED, created_at__lt=cutoff)
        .annotate(closed_at=Max("history__at"))
        .filter(closed_at__lt=cutoff)
        .values("pk")
    )
    ids = list(
        DamagePhoto.objects.filter(line__request__in=closed, removed_after_days__isnull=True).values_list(
            "pk", flat=True
        )
    )
    for start in range(0, len(ids), BATCH):
        with transaction.atomic():
            batch = list(DamagePhoto.objects.select_for_update().filter(pk__in=ids[start : start + BATCH]))
            names = [name for photo in batch for name in (photo.image.name, photo.thumbnail.name)]
            DamagePhoto.objects.filter(pk__in=[photo.pk for photo in batch]).update(
                image="", thumbnail="", removed_after_days=days
            )
            transaction.on_commit(partial(photo_files_delete, names))
    return len(ids)


def retention_run(*, now: datetime | None = None) -> Forgotten:
    now = now or timezone.now()
    return Forgotten(
        email_bodies=email_bodies_forget(now=now),
        access_attempts=access_attempts_forget(now=now),
        photos=closed_return_photos_remove(now=now),
    )
