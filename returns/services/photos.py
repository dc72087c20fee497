"""Photos that upload as they are picked: held as pending uploads until the form is sent, then
attached to the request's lines by the submit service.

A pending photo belongs to one browser session (a random token kept in the
session), to the signed-in user if any, and to one order line the visitor may
see. It is processed (``returns.services.images``) when it arrives, so the form only
references it: a form that bounces keeps its photos. Files sent in the plain inputs
(the page without its script) are kept here the same way, before the form is checked.

Storage is written outside any database transaction that could still roll
back: the files are saved first, then the row; if the row cannot be written the
files are deleted at once. The one exception is the copy out of ``pending/`` when a
return is sent, inside its transaction: a rollback leaves the copies in that day's folder.
Whatever is left (a file with no row, a pending upload never attached) is removed by the
scheduler's jobs (``run_scheduled``), or ``manage.py sweep_photos``.

Pending photos are bounded in all, not only per client: together they take at most
PENDING_PHOTO_MAX_BYTES (past it uploads pause for everyone, ``UploadsPaused``), and one
customer, the order's email whoever signs in or opens a guest link for it, has at most
PENDING_PHOTOS_PER_CUSTOMER (``TooManyPending``). Both are checked again in the short
transaction that writes the row, under one lock, so two uploads at the limit cannot both pass.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import TypeVar

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone

from core import counter
from core.addresses import client_address
from returns.models import (
    PENDING_PHOTO_ROOT,
    PHOTO_ROOT,
    DamagePhoto,
    Message,
    MessagePhoto,
    OrderLine,
    PendingPhoto,
    ReturnLine,
    UnmatchedEmail,
    pending_photo_upload_to,
    photo_upload_to,
)
from returns.roles import PERM_START_FOR_CUSTOMER, Actor, UserPermissions
from returns.selectors.staff import pending_photo_bytes
from returns.services import guest_access as access
from returns.services import images

log = logging.getLogger(__name__)
R = TypeVar("R")

OWNER_SESSION_KEY = "photo_owner"
# Every table whose rows point at photo files: a file none of them names is an orphan (the sweep).
PHOTO_MODELS = (DamagePhoto, PendingPhoto, MessagePhoto)
# A photo file with no row is left this long: its row may be about to be written.
ORPHAN_GRACE = timedelta(hours=1)
PHOTO_EXPIRED = "A photo added earlier has expired or was removed; please add it again."


# How long a customer is asked to wait when pending photos fill PENDING_PHOTO_MAX_BYTES (Retry-After).
PAUSE_SECONDS = 300
# Any fixed number: the key of the PostgreSQL advisory lock that queues the writes of pending photos.
ROOM_LOCK = 7_130_521_004


class TooManyUploads(images.ImageRejected):
    """The client passed PHOTO_UPLOADS_PER_HOUR."""


class UploadsPaused(images.ImageRejected):
    """Pending photos fill PENDING_PHOTO_MAX_BYTES: nothing is wrong with this photo; try again in a few minutes."""

    retry_after = PAUSE_SECONDS


class TooManyPending(images.ImageRejected):
    """This customer already has PENDING_PHOTOS_PER_CUSTOMER photos waiting for their forms."""


def max_age() -> timedelta:
    return timedelta(seconds=getattr(settings, "PENDING_PHOTO_MAX_AGE", 24 * 60 * 60))


def session_owner(request: HttpRequest, *, create: bool) -> str:
    """This browser session's random token; pending photos carry it (survives sign-in: the session is kept)."""
    token = str(request.session.get(OWNER_SESSION_KEY, ""))
    if not token and create:
        token = secrets.token_urlsafe(24)
        request.session[OWNER_SESSION_KEY] = token
    return token


def visible_pending(request: HttpRequest) -> QuerySet[PendingPhoto]:
    """The visitor's own pending photos that have not expired: this session, this user, orders they may see (any
    order for staff who start returns for customers)."""
    owner = session_owner(request, create=False)
    if not owner:
        return PendingPhoto.objects.none()
    user = request.user if request.user.is_authenticated else None
    mine = PendingPhoto.objects.filter(owner=owner, user=user, created_at__gte=timezone.now() - max_age())
    if user is not None and user.is_staff and PERM_START_FOR_CUSTOMER in UserPermissions(user):
        return mine  # staff starting a return for a customer upload to that customer's order
    return mine.filter(order_line__order__in=access.visible_orders(request))


def pending_for(request: HttpRequest, pk: int) -> PendingPhoto:
    found = visible_pending(request).filter(pk=pk).first()
    if found is None:
        raise Http404("No such photo")
    return found


# --- the per-client limit ---------------------------------------------------------


def count_upload(request: HttpRequest) -> None:
    """Count one photo for this client (its address and its session); raise TooManyUploads over the limit.

    Counted by the counter every limit shares (``core.counter``), so the count holds across
    processes and hosts: in the database, or in the shared cache with CACHE_URL.
    """
    limit = getattr(settings, "PHOTO_UPLOADS_PER_HOUR", 60)
    over = False
    for kind, value in (("client", client_address(request)), ("session", session_owner(request, create=True))):
        over = counter.count("photos", kind, value) > limit or over
    if over:
        minutes = max(1, counter.seconds_left() // 60)
        raise TooManyUploads(
            f"You have sent {limit} photos in the last hour, the most we accept. "
            f"Please try again in {minutes} minute{'s' if minutes != 1 else ''}."
        )


# --- the room pending photos take -------------------------------------------------------


def check_room(*, order_line: OrderLine, size: int, name: str = "") -> None:
    """Refuse a photo of ``size`` bytes that would take pending photos past either limit."""
    label = f"“{name}”" if name else "This photo"
    if pending_photo_bytes() + size > images.setting("PENDING_PHOTO_MAX_BYTES"):
        log.warning("Pending photos fill PENDING_PHOTO_MAX_BYTES: uploads are paused")
        raise UploadsPaused(
            f"{label} was not added: photo uploads are paused for a few minutes. Please try again shortly.",
            filename=name,
        )
    limit = images.setting("PENDING_PHOTOS_PER_CUSTOMER")
    email = order_line.order.email
    if PendingPhoto.objects.filter(order_line__order__email=email).count() >= limit:
        raise TooManyPending(
            f"{label} was not added: {limit} photos are already waiting for returns not sent yet, the most we "
            "keep. Send those returns or remove photos you no longer need, then add it again.",
            filename=name,
        )


def _lock_room() -> None:
    """Queue the check and the write of pending photos, until the transaction ends.

    PostgreSQL: a transaction-level advisory lock. SQLite: nothing to do, its IMMEDIATE
    transactions (config/settings/base.py) hold the database's write lock from BEGIN.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ROOM_LOCK])


# --- writing and deleting -------------------------------------------------------------


def _save(content: File[bytes], *, pending: bool = True) -> str:
    """Under pending/ for a photo waiting for its form (the bucket expires what is left there), else in today's
    photos/ folder (a photo a customer emailed belongs to its message at once)."""
    name = pending_photo_upload_to(None, content.name or "") if pending else photo_upload_to(None, content.name or "")
    return str(default_storage.save(name, content))


def _copy_to_photos(name: str) -> str:
    """A copy of a pending photo's file in today's photos folder (pending/ expires; photos/ is kept)."""
    if not name:
        return ""
    with default_storage.open(name, "rb") as source:
        return str(default_storage.save(photo_upload_to(None, name), source))


def _delete_files(*names: str) -> None:
    for name in names:
        if not name:
            continue
        try:
            default_storage.delete(name)
        except Exception:  # a file we cannot delete now is found again by the orphan check
            log.warning("Could not delete photo file %s", name, exc_info=True)


def pending_photo_create(
    *, order_line: OrderLine, owner: str, user: Actor, photo: images.ProcessedPhoto
) -> PendingPhoto:
    """Store a processed photo's files, then its row; if the row fails, the files go too.

    Files first (never inside a transaction that could roll back and leave them
    unreferenced), then the row in its own short transaction, where the limits on pending
    photos are checked again under the lock: a photo refused there takes its files with it.
    """
    if not owner:
        raise ValueError("A pending photo needs the session's owner token.")
    size = photo.image.size + photo.thumbnail.size
    check_room(order_line=order_line, size=size, name=photo.original_name)  # before writing anything

    def row(image_name: str, thumb_name: str) -> PendingPhoto:
        with transaction.atomic():
            _lock_room()
            check_room(order_line=order_line, size=size, name=photo.original_name)  # again, in turn
            return PendingPhoto.objects.create(
                size=size,
                order_line=order_line,
                owner=owner,
                user=user,
                kind=photo.kind,
                image=image_name,
                thumbnail=thumb_name,
                width=photo.width,
                height=photo.height,
                original_name=photo.original_name[:255],
            )

    return _files_then_row(photo, row, pending=True)


def pending_photo_upload(
    *, request: HttpRequest, order_line: OrderLine, kind: str, upload: File[bytes]
) -> PendingPhoto:
    """Count, process and store one photo for this visitor; raises ImageRejected (with a message for them)."""
    check_room(order_line=order_line, size=0, name=getattr(upload, "name", ""))  # before any decoding
    count_upload(request)
    processed = images.process_photo(upload=upload, kind=kind)
    user = request.user if request.user.is_authenticated else None
    return pending_photo_create(
        order_line=order_line, owner=session_owner(request, create=True), user=user, photo=processed
    )


@dataclass(frozen=True)
class ChosenFile:
    """A file picked in a plain file input (no script) for one line's photos of one kind."""

    order_line: OrderLine
    kind: str
    upload: File[bytes]


@dataclass(frozen=True)
class Kept:
    """What became of a chosen file: a pending photo, or why not (in words for the customer, naming the file)."""

    chosen: ChosenFile
    photo: PendingPhoto | None = None
    refused: str = ""
    retry_after: int = 0  # seconds, when uploads are paused


def over_limit_message(upload: File[bytes], limit: int) -> str:
    name = getattr(upload, "name", "") or "This file"
    return f"“{name}” was not added: a return can have at most {limit} photos."


def pending_photos_upload(*, request: HttpRequest, files: Sequence[ChosenFile], already: int) -> list[Kept]:
    """Keep the files sent in the plain inputs as pending photos while the return has room for them.

    ``already`` photos are kept for the form; a refused file says why and the next one is still tried.
    """
    limit = images.setting("PHOTO_MAX_COUNT")
    results = []
    for chosen in files:
        if already >= limit:
            results.append(Kept(chosen, refused=over_limit_message(chosen.upload, limit)))
            continue
        try:
            photo = pending_photo_upload(
                request=request, order_line=chosen.order_line, kind=chosen.kind, upload=chosen.upload
            )
        except images.ImageRejected as exc:
            results.append(Kept(chosen, refused=exc.message, retry_after=getattr(exc, "retry_after", 0)))
            continue
        results.append(Kept(chosen, photo=photo))
        already += 1
    return results


def pending_photos_lock(ids: Sequence[int]) -> dict[int, PendingPhoto]:
    """The pending photos a request names that still exist and have not expired, locked until commit."""
    if not ids:
        return {}
    rows = PendingPhoto.objects.select_for_update().filter(pk__in=ids, created_at__gte=timezone.now() - max_age())
    return {p.pk: p for p in rows}


def pending_photos_attach(*, line: ReturnLine, photos: Sequence[PendingPhoto]) -> None:
    """Pending photos become the line's photos: their files are copied out of ``pending/`` into today's
    ``photos/`` folder, and the pending files are deleted once this commits. A rollback leaves the pending
    rows and files as they were; the copies it leaves behind are found by the daily orphan check."""
    for photo in photos:
        DamagePhoto.objects.create(
            line=line,
            kind=photo.kind,
            image=_copy_to_photos(photo.image.name),
            thumbnail=_copy_to_photos(photo.thumbnail.name),
            width=photo.width,
            height=photo.height,
            original_name=photo.original_name[:255],
        )
    PendingPhoto.objects.filter(pk__in=[p.pk for p in photos]).delete()
    names = [name for p in photos for name in (p.image.name, p.thumbnail.name)]
    transaction.on_commit(lambda: _delete_unreferenced(names))


def pending_photo_remove(*, photo: PendingPhoto) -> None:
    """The customer removed a photo before sending: the row, then (once that is committed) its files."""
    with transaction.atomic():
        deleted, _ = PendingPhoto.objects.filter(pk=photo.pk).delete()
        if deleted:
            names = (photo.image.name, photo.thumbnail.name)
            transaction.on_commit(lambda: _delete_unreferenced(names))


def photo_files_delete(names: Iterable[str]) -> None:
    """Delete these photo files, those no row points at any more (retention, after their rows were emptied)."""
    _delete_unreferenced(names)


def _names_in_use(names: list[str]) -> set[str]:
    """Those of ``names`` that a photo row (of any kind) points at, as its image or its thumbnail."""
    used: set[str] = set()
    for model in PHOTO_MODELS:
        used.update(model.objects.filter(image__in=names).values_list("image", flat=True))
        used.update(model.objects.filter(thumbnail__in=names).values_list("thumbnail", flat=True))
    return used


def _delete_unreferenced(names: Iterable[str]) -> None:
    """Delete files no row points at any more (a DamagePhoto may share a pending photo's files)."""
    wanted = [n for n in names if n]
    used = _names_in_use(wanted)
    _delete_files(*(n for n in wanted if n not in used))


def message_photo_create(
    *, photo: images.ProcessedPhoto, message: Message | None = None, unmatched: UnmatchedEmail | None = None
) -> MessagePhoto:
    """Store a processed photo a customer emailed: files first, then the row; if the row fails, the files go too."""
    return _files_then_row(
        photo,
        lambda image_name, thumb_name: MessagePhoto.objects.create(
            message=message,
            unmatched=unmatched,
            image=image_name,
            thumbnail=thumb_name,
            width=photo.width,
            height=photo.height,
            original_name=photo.original_name[:255],
        ),
        pending=False,
    )


def _files_then_row(photo: images.ProcessedPhoto, row: Callable[[str, str], R], *, pending: bool) -> R:
    """Store a processed photo's two files, then ``row(image_name, thumb_name)``; if the row fails, the files go
    too (files are never written inside a transaction that could roll back and leave them unreferenced)."""
    image_name = _save(photo.image, pending=pending)
    thumb_name = ""
    try:
        thumb_name = _save(photo.thumbnail, pending=pending)
        return row(image_name, thumb_name)
    except BaseException:
        _delete_files(image_name, thumb_name)
        raise


# --- the sweep (run_scheduled) ---------------------------------------------------------


@dataclass
class SweepResult:
    expired: int = 0
    orphan_files: int = 0
    folders_listed: list[str] = field(default_factory=list)


def pending_photos_sweep(*, now: datetime | None = None) -> int:
    """Delete pending photos older than PENDING_PHOTO_MAX_AGE, rows then files (the scheduler, hourly).

    Read from the database alone: no storage listing. Safe beside the web processes: a pending photo
    being attached right now is locked by the submit and skipped.
    """
    now = now or timezone.now()
    cutoff = now - max_age()
    expired = 0
    for pk in list(PendingPhoto.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)):
        with transaction.atomic():
            row = PendingPhoto.objects.select_for_update(skip_locked=True).filter(pk=pk, created_at__lt=cutoff).first()
            if row is None:
                continue
            names = (row.image.name or "", row.thumbnail.name or "")
            row.delete()
            transaction.on_commit(partial(_delete_unreferenced, names))
        expired += 1
    return expired


def orphan_photos_day(now: datetime | None = None) -> date:
    """The photos folder the daily check reads: two days back (UTC), a day no upload or submit writes to any more."""
    return ((now or timezone.now()) - timedelta(days=2)).date()


def orphan_photos_sweep(
    *, day: date | None = None, now: datetime | None = None, orphan_grace: timedelta = ORPHAN_GRACE
) -> SweepResult:
    """Delete photo files no row refers to, in one day's photos folder and in ``pending/`` (the scheduler, daily).

    Orphans come from a crash between writing a file and its row, or a submit rolled back after copying
    its photos: both land in the folder of the day they happened. A file younger than ``orphan_grace``
    is left alone (its row may be about to be written). Listing calls: one per 1,000 files of that day
    and of pending/, instead of one per folder of the whole bucket.
    """
    now = now or timezone.now()
    day = day or orphan_photos_day(now)
    result = SweepResult()
    for folder in (f"{PHOTO_ROOT}/{day:%Y-%m-%d}", PENDING_PHOTO_ROOT):
        result.folders_listed.append(folder)
        result.orphan_files += _sweep_orphans_in(folder, now - orphan_grace)
    return result


def orphan_photos_sweep_all(*, now: datetime | None = None, orphan_grace: timedelta = ORPHAN_GRACE) -> SweepResult:
    """Every folder under photos/ and pending/ (``sweep_photos --all``, by hand: one listing call per folder)."""
    older_than = (now or timezone.now()) - orphan_grace
    result = SweepResult()
    for root in (PHOTO_ROOT, PENDING_PHOTO_ROOT):
        try:
            folders, _files = default_storage.listdir(root)
        except (FileNotFoundError, NotADirectoryError):
            continue
        for folder in [f"{root}/{d}" for d in folders] + [root]:
            result.folders_listed.append(folder)
            result.orphan_files += _sweep_orphans_in(folder, older_than)
    return result


def _sweep_orphans_in(folder: str, older_than: datetime) -> int:
    try:
        names = [f"{folder}/{f}" for f in default_storage.listdir(folder)[1]]
    except (FileNotFoundError, NotADirectoryError):
        return 0
    if not names:
        return 0
    used = _names_in_use(names)
    deleted = 0
    for name in names:
        if name in used:
            continue
        try:
            modified = default_storage.get_modified_time(name)
        except (FileNotFoundError, NotImplementedError):
            continue
        if modified < older_than:
            _delete_files(name)
            deleted += 1
    return deleted
