"""A return's conversation: the customer asks (on the page or by replying to an email), staff answer.

Each message is a ``Message`` row and a history row (``Event.MESSAGE_RECEIVED`` /
``Event.MESSAGE_ANSWERED``) written in one transaction; the history row's email goes through
the outbox like every other: staff get a notice at STAFF_NOTIFICATION_EMAIL, the customer the
reply. A staff reply answers every customer message waiting on that return. Customers write at
most MESSAGES_PER_HOUR messages an hour per return, counted where every process sees it
(``core.counter``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core import counter
from returns.domain.events import Event
from returns.exceptions import NotAllowed, ReturnsError
from returns.models import Message, Order, ReturnRequest
from returns.outbox.mail import notification_record
from returns.roles import PERM_REPLY, Actor, UserPermissions
from returns.services.history import locked, record_note

MAX_LENGTH = 5000
EMPTY = "Write your message first."
TOO_LONG = f"Messages can be at most {MAX_LENGTH} characters."


class TooManyMessages(ReturnsError):
    """More customer messages this hour than MESSAGES_PER_HOUR allows."""


def clean_body(body: str) -> str:
    """The text as stored: NUL bytes (which no database column takes) dropped, trimmed, or a plain refusal."""
    body = (body or "").replace("\x00", "").strip()
    if not body:
        raise ReturnsError(EMPTY)
    if len(body) > MAX_LENGTH:
        raise ReturnsError(TOO_LONG)
    return body


def _within_limit(request: ReturnRequest) -> None:
    limit = settings.MESSAGES_PER_HOUR
    if counter.count("messages", "return", str(request.pk)) > limit:
        raise TooManyMessages(
            f"You have sent {limit} messages about this return in the last hour. "
            "We will answer those first; please write again later."
        )


def message_from_customer(
    *,
    request: ReturnRequest,
    by: Actor,
    body: str,
    full_text: str = "",
    email_message_id: str = "",
    limited: bool = True,
) -> Message:
    """The customer asks about their return (on its page, or by email: ``full_text`` and its message id).

    ``limited=False`` where the message did not come through the page's form (an email, staff sorting one).
    """
    body = clean_body(body)
    if limited:
        _within_limit(request)
    with transaction.atomic():
        request = locked(request)
        change = record_note(request, by=by, event=Event.MESSAGE_RECEIVED, note="", notify=False)
        message = Message.objects.create(
            order_id=request.order_id,
            request=request,
            author=Message.Author.CUSTOMER,
            by=by,
            body=body,
            full_text=full_text.replace("\x00", "")[:100_000],
            email_message_id=email_message_id[:255],
            change=change,
        )
        notification_record(request=request, change=change)
    return message


def message_reply(*, request: ReturnRequest, by: Actor, body: str) -> Message:
    """Staff answer on the request page: the customer is emailed, the waiting messages are answered."""
    if PERM_REPLY not in UserPermissions(by):
        raise NotAllowed("You may not answer customers' messages.")
    body = clean_body(body)
    with transaction.atomic():
        request = locked(request)
        change = record_note(request, by=by, event=Event.MESSAGE_ANSWERED, note="", notify=False)
        now = timezone.now()
        message = Message.objects.create(
            order_id=request.order_id,
            request=request,
            author=Message.Author.STAFF,
            by=by,
            body=body,
            change=change,
            created_at=now,
        )
        Message.objects.filter(
            request=request, author=Message.Author.CUSTOMER, answered_at__isnull=True, created_at__lte=now
        ).update(answered_at=now)
        notification_record(request=request, change=change)
    return message


def message_on_order(*, order: Order, body: str, full_text: str = "", email_message_id: str = "") -> Message:
    """A customer wrote about an order with no return named (to the plain support address): staff see it waiting,
    and may start a return from the order's page."""
    return Message.objects.create(
        order=order,
        author=Message.Author.CUSTOMER,
        body=clean_body(body),
        full_text=full_text.replace("\x00", "")[:100_000],
        email_message_id=email_message_id[:255],
    )


def messages_dismiss_waiting(*, request: ReturnRequest, by: Actor) -> int:
    """Staff mark every message waiting on this return as needing no answer; returns how many."""
    if PERM_REPLY not in UserPermissions(by):
        raise NotAllowed("You may not answer customers' messages.")
    waiting = Message.objects.filter(request=request, author=Message.Author.CUSTOMER, answered_at__isnull=True)
    return waiting.update(answered_at=timezone.now())


def message_dismiss(*, message: Message, by: Actor) -> None:
    """Staff mark a waiting message as needing no answer (it stays in the thread)."""
    if PERM_REPLY not in UserPermissions(by):
        raise NotAllowed("You may not answer customers' messages.")
    Message.objects.filter(pk=message.pk, answered_at__isnull=True).update(answered_at=timezone.now())
