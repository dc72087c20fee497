"""Email from customers into the portal: a reply joins its return's conversation, or waits for staff to sort.

The provider's inbound webhook (``returns.api.inbound_email``, through django-anymail) hands over
an ``InboundMail``. What is done with it:

- a reply to a return's own address (``guest_access.reply_address``) whose sender is the order's
  email joins that return's thread: the quoted history is cut off (``email-reply-parser``), the
  whole message kept for staff; image attachments go through the photo pipeline (re-encoded,
  stripped, private), other attachments are refused with a line in the thread saying so;
- mail to the plain address that names one of the sender's returns (its RMA) joins that thread;
  one that names one of the sender's orders starts a conversation on the order;
- anything else (a forged or altered token, another sender, nothing named) becomes an
  ``UnmatchedEmail`` for staff to assign or dismiss: nothing is lost and nothing reaches the
  wrong customer's thread.

The provider's message id is stored once (``Message.email_message_id``,
``UnmatchedEmail.email_message_id``): a replayed delivery adds nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from email_reply_parser import EmailReplyParser

from core.addresses import normalize_email
from returns.exceptions import NotAllowed, ReturnsError
from returns.integrations import LONE_SURROGATE
from returns.models import Message, MessagePhoto, Notification, Order, ReturnRequest, UnmatchedEmail
from returns.roles import PERM_REPLY, Actor, UserPermissions
from returns.services import guest_access, images, photos
from returns.services.messages import message_from_customer, message_on_order

log = logging.getLogger(__name__)

MAX_TEXT = 100_000
RMA_IN_TEXT = re.compile(r"\bRMA-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}\b", re.IGNORECASE)
NUMBER_IN_TEXT = re.compile(r"(?<![\w-])#?([A-Za-z0-9][A-Za-z0-9-]{2,39})(?![\w-])")
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic", "image/heif")


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class InboundMail:
    """One email as any provider's inbound webhook gives it, in the terms the portal needs."""

    message_id: str
    sender: str
    recipients: tuple[str, ...]
    subject: str = ""
    text: str = ""
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Received:
    """What became of a mail: the message it made, or the unmatched row, or nothing (a replay)."""

    message: Message | None = None
    unmatched: UnmatchedEmail | None = None
    replay: bool = False


def _clean(text: str, limit: int = MAX_TEXT) -> str:
    """Text a database column takes: no NUL, no lone surrogate (a hostile body's), at most ``limit`` characters."""
    return LONE_SURROGATE.sub("\ufffd", str(text or "").replace("\x00", ""))[:limit]


def reply_text(text: str) -> str:
    """The customer's new words: the quoted history and signature cut off."""
    try:
        reply = str(EmailReplyParser.parse_reply(text))
    except Exception:  # a hostile body the parser cannot walk: keep the text as it came
        log.warning("Could not strip the quoted part of an inbound email", exc_info=True)
        reply = text
    return reply.strip()


def inbound_mail_receive(mail: InboundMail) -> Received:
    """Join ``mail`` to the conversation it belongs to, or keep it for staff (see the module's docstring)."""
    mail = InboundMail(
        message_id=_clean(mail.message_id, 255),
        sender=normalize_email(_clean(mail.sender, 254)),
        recipients=tuple(_clean(r, 254) for r in mail.recipients[:50]),
        subject=_clean(mail.subject, 255),
        text=_clean(mail.text),
        attachments=mail.attachments,
    )
    if mail.message_id and (
        Message.objects.filter(email_message_id=mail.message_id).exists()
        or UnmatchedEmail.objects.filter(email_message_id=mail.message_id).exists()
    ):
        return Received(replay=True)
    request, had_token = guest_access.reply_token_status(mail.recipients)
    if request is not None:
        if mail.sender != normalize_email(request.order.email):
            return _unmatched(mail, f"Sent from {mail.sender or 'no address'}, not the address on {request.rma}.")
        return _join(mail, request)
    if had_token:
        return _unmatched(mail, "The reply address was altered or forged: it names no return.")
    request = _named_return(mail)
    if request is not None:
        return _join(mail, request)
    order = _named_order(mail)
    if order is not None:
        return _guarded(mail, lambda: Received(message=_on_order(mail, order)))
    return _unmatched(mail, "It names no return or order of the sender's.")


def _named_return(mail: InboundMail) -> ReturnRequest | None:
    rmas = {m.upper() for m in RMA_IN_TEXT.findall(f"{mail.subject}\n{mail.text[:20_000]}")}
    if not rmas or not mail.sender:
        return None
    found = ReturnRequest.objects.select_related("order").filter(rma__in=list(rmas)[:20], order__email=mail.sender)
    return found.order_by("-created_at").first()


def _named_order(mail: InboundMail) -> Order | None:
    if not mail.sender:
        return None
    words = {m.lstrip("#") for m in NUMBER_IN_TEXT.findall(f"{mail.subject}\n{reply_text(mail.text)[:5_000]}")}
    candidates = [w for w in words if any(ch.isdigit() for ch in w)][:50]
    if not candidates:
        return None
    return Order.objects.filter(number__in=candidates, email=mail.sender).order_by("-placed_at").first()


def _processed_attachments(mail: InboundMail) -> tuple[list[images.ProcessedPhoto], list[str]]:
    """The photos re-encoded, and a line for each attachment refused (not a photo, unreadable, one too many)."""
    kept: list[images.ProcessedPhoto] = []
    refused: list[str] = []
    limit = images.setting("PHOTO_MAX_COUNT")
    for attachment in mail.attachments:
        name = _clean(attachment.name, 255) or "attachment"
        if attachment.content_type.lower() not in PHOTO_TYPES:
            refused.append(f"“{name}” was not added: only photos (JPEG, PNG, WebP or HEIC) can be attached.")
            continue
        if len(kept) >= limit:
            refused.append(f"“{name}” was not added: at most {limit} photos per email.")
            continue
        try:
            kept.append(images.process_photo(upload=ContentFile(attachment.content, name=name), kind="issue"))
        except images.ImageRejected as exc:
            refused.append(f"“{name}” was not added: {exc}")
    return kept, refused


def _body_with_refusals(body: str, refused: list[str]) -> str:
    lines = [body] if body else []
    if refused:
        lines.append("\n".join(f"[{line}]" for line in refused))
    return "\n\n".join(lines) or "(The email had no text.)"


def _join(mail: InboundMail, request: ReturnRequest) -> Received:
    kept, refused = _processed_attachments(mail)
    body = _body_with_refusals(reply_text(mail.text), refused)

    def write() -> Received:
        with transaction.atomic():
            message = message_from_customer(
                request=request,
                by=None,
                body=body[:5000],
                full_text=mail.text,
                email_message_id=mail.message_id,
                limited=False,
            )
            for photo in kept:
                photos.message_photo_create(photo=photo, message=message)
        return Received(message=message)

    return _guarded(mail, write)


def _on_order(mail: InboundMail, order: Order) -> Message:
    kept, refused = _processed_attachments(mail)
    with transaction.atomic():
        message = message_on_order(
            order=order,
            body=_body_with_refusals(reply_text(mail.text), refused)[:5000],
            full_text=mail.text,
            email_message_id=mail.message_id,
        )
        for photo in kept:
            photos.message_photo_create(photo=photo, message=message)
    return message


def _unmatched(mail: InboundMail, why: str) -> Received:
    kept, _refused = _processed_attachments(mail)

    def write() -> Received:
        with transaction.atomic():
            row = UnmatchedEmail.objects.create(
                email_message_id=mail.message_id,
                sender=mail.sender,
                recipients=", ".join(mail.recipients),
                subject=mail.subject,
                text=mail.text,
                why=why[:200],
            )
            for photo in kept:
                photos.message_photo_create(photo=photo, unmatched=row)
        return Received(unmatched=row)

    return _guarded(mail, write)


def _guarded(mail: InboundMail, write: Callable[[], Received]) -> Received:
    """Write once: the same message id arriving twice at once stores one row (the database's unique constraint)."""
    try:
        return write()
    except IntegrityError:
        if mail.message_id:
            return Received(replay=True)
        raise


# --- staff sorting unmatched mail ---------------------------------------------------------------


def unmatched_assign(*, email: UnmatchedEmail, request: ReturnRequest, by: Actor) -> Message:
    """Staff decide an unmatched email belongs to ``request``: it joins the thread as the customer's message."""
    if PERM_REPLY not in UserPermissions(by):
        raise NotAllowed("You may not sort customers' email.")
    with transaction.atomic():
        email = UnmatchedEmail.objects.select_for_update().get(pk=email.pk)
        if email.state != UnmatchedEmail.State.OPEN:
            raise ReturnsError("This email was already sorted by someone else.")
        message = message_from_customer(
            request=request,
            by=None,
            body=(reply_text(email.text) or "(The email had no text.)")[:5000],
            full_text=email.text,
            limited=False,
        )
        MessagePhoto.objects.filter(unmatched=email).update(message=message, unmatched=None)
        email.state, email.message = UnmatchedEmail.State.ASSIGNED, message
        email.handled_by, email.handled_at = by, timezone.now()
        email.save(update_fields=["state", "message", "handled_by", "handled_at"])
    return message


def unmatched_dismiss(*, email: UnmatchedEmail, by: Actor) -> None:
    """Staff decide an unmatched email needs nothing (spam, a duplicate): it stays listed as dismissed."""
    if PERM_REPLY not in UserPermissions(by):
        raise NotAllowed("You may not sort customers' email.")
    UnmatchedEmail.objects.filter(pk=email.pk, state=UnmatchedEmail.State.OPEN).update(
        state=UnmatchedEmail.State.DISMISSED, handled_by=by, handled_at=timezone.now()
    )


# --- what a provider says became of an email we sent -----------------------------------------


def email_delivery_record(*, provider_message_id: str, delivered_at: datetime | None = None, failure: str = "") -> int:
    """A provider's webhook: the email it knows as ``provider_message_id`` was delivered (``delivered_at``), or
    bounced or was refused (``failure``, shown to staff; the row joins *Emails failed*). Returns rows changed."""
    if not provider_message_id:
        return 0
    rows = Notification.objects.filter(provider_message_id=provider_message_id)
    if failure:
        return rows.update(state=Notification.State.FAILED, last_error=failure[:2000])
    return rows.filter(delivered_at__isnull=True).update(delivered_at=delivered_at or timezone.now())
