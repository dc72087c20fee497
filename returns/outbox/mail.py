"""Email at every status change (R13), and every link email, through an outbox.

``notification_record`` runs inside the service's transaction: the email is
rendered and stored with the change it tells of, so it exists if and only if the
change committed. ``notifications_send_due`` sends what is due, one row at a time:
it claims the row (state ``sending`` with a lease, committed) before the SMTP
conversation and marks it sent right after, so a worker killed mid-send leaves a
claim that another worker retries only once the lease has expired, and two
workers never send the same row at once. Every message carries a Message-ID
derived from its row, so a retry after a crash is the same message to mail servers.

No request waits on a mail server: with ``EMAIL_DELIVERY=immediate`` the sending
runs on a background thread after the change commits; every SMTP connection has
``EMAIL_TIMEOUT``.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connections, transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from returns.conf import policy_config, store_today
from returns.domain.events import Event
from returns.models import GuestCode, Notification, ReturnRequest, StatusChange
from returns.outbox.lease import Lease
from returns.selectors.queues import email_due
from returns.selectors.summary import return_summary, summary_parts
from returns.services.guest_access import guest_link, reply_address

log = logging.getLogger(__name__)


def _absolute(path: str) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def _url(name: str, *args) -> str | None:
    try:
        return _absolute(reverse(name, args=args))
    except NoReverseMatch:
        return None


def customer_links(request: ReturnRequest) -> dict[str, str | None]:
    """Links that open the return for the customer, signed in or not."""
    return {
        "return_url": guest_link(request.order, next_name="returns:return_detail", next_args=[request.rma]),
        "authorization_url": guest_link(request.order, next_name="returns:authorization", next_args=[request.rma]),
        "staff_url": _url("admin:returns_returnrequest_change", request.pk),
    }


def _context(request: ReturnRequest, change: StatusChange, today: date) -> dict:
    # Read afresh (two queries), inside the change's transaction: the refund and lines as they now are.
    summary = return_summary(summary_parts(ReturnRequest.objects.filter(pk=request.pk)).get(), today=today)
    return {
        "request": request,
        "order": request.order,
        "lines": summary.lines,
        "replaced": summary.replaced,
        "unaccepted_item": summary.unaccepted_item,
        "change": change,
        "refund": summary.refund,
        "expected": summary.expected_refund,
        "ship_by_days_left": summary.ship_by_days_left,
        "store_name": settings.STORE_NAME,
        "store_url": settings.STORE_URL,
        "support_email": settings.STORE_SUPPORT_EMAIL,
        "return_address": settings.STORE_RETURN_ADDRESS,
        "cfg": policy_config(),
        **customer_links(request),
    }


def render_email(template: str, context: dict, *, folder: str = "returns/emails") -> tuple[str, str, str]:
    """Render <folder>/<template>_subject.txt, _body.txt and _body.html: (subject, text, html)."""
    base = f"{folder}/{template}"
    subject = " ".join(render_to_string(f"{base}_subject.txt", context, using="text").split())
    text = render_to_string(f"{base}_body.txt", context, using="text").strip() + "\n"
    html = render_to_string(f"{base}_body.html", context)
    return subject, text, html


def notification_record(
    *, request: ReturnRequest, change: StatusChange, today: date | None = None
) -> list[Notification]:
    """Store the emails this change calls for; send them once the transaction commits."""
    event = Event(change.event)
    wanted = []
    if event.emails_customer:
        wanted.append(("customer", event.value, request.order.email))
    if event.staff_email and settings.STAFF_NOTIFICATION_EMAIL:
        wanted.append(("staff", event.staff_email, settings.STAFF_NOTIFICATION_EMAIL))
    if not wanted:
        return []
    context = _context(request, change, today or store_today())
    replies_to = reply_address(request)
    rows = []
    for audience, template, to in wanted:
        # Staff notices keep the plain From: a staff reply to one must not become the customer's message.
        reply_to = replies_to if audience == "customer" else ""
        subject, text, html = render_email(template, {**context, "staff": audience == "staff", "reply_to": reply_to})
        rows.append(
            Notification.objects.create(
                request=request,
                change=change,
                event=change.event,
                audience=audience,
                to=to,
                subject=subject[:255],
                body_text=text,
                body_html=html,
                reply_to=reply_to,
            )
        )
    notifications_send_soon([n.pk for n in rows])
    return rows


# --- off the request ------------------------------------------------------------------

# One sender thread per process: the request that recorded the rows has already
# answered when a slow or hanging mail server is being waited on.
_sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="email-sender")


def _send_in_background(ids: list[int]) -> None:
    try:
        notifications_send_due(ids=ids)
    except Exception:  # logged; the rows stay in the outbox for the worker
        log.exception("Sending emails %s in the background failed", ids)
    finally:
        connections.close_all()  # this thread's own database connections


def notifications_send_soon(ids: Iterable[int]) -> None:
    """With EMAIL_DELIVERY=immediate, send these rows once the transaction commits, off the request."""
    ids = list(ids)
    if not ids or settings.EMAIL_DELIVERY != "immediate":
        return
    if settings.EMAIL_IN_BACKGROUND:
        transaction.on_commit(lambda: _sender.submit(_send_in_background, ids))
    else:  # tests only: deterministic, in the caller's thread
        transaction.on_commit(lambda: notifications_send_due(ids=ids))


def background_idle(timeout: float | None = None) -> None:
    """Wait until the sender thread has done what was handed to it so far (for tests and benchmarks)."""
    marker: Future = _sender.submit(lambda: None)
    marker.result(timeout=timeout)


@dataclass
class SendResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    expired: int = 0


class SendInterrupted(BaseException):
    """Raised (by the worker's signal handlers) to abandon an SMTP conversation on shutdown.

    A BaseException, so the transport-error handling below does not treat it as a failed attempt.
    """


# True while this thread is inside an SMTP conversation: the worker's shutdown
# handler interrupts only then, never half-way through a database write.
_smtp = threading.local()


def in_smtp_conversation() -> bool:
    return getattr(_smtp, "active", False)


def message_id(note: Notification) -> str:
    """The same Message-ID for every attempt at one row, so a resend after a crash is recognisably one message."""
    domain = (settings.PORTAL_BASE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]) or "localhost"
    tag = salted_hmac("returns.notification-message-id", str(note.pk)).hexdigest()[:12]
    return f"<notification-{note.pk}.{tag}@{domain}>"


def _expire_links(now: datetime) -> int:
    """Link emails whose link has expired are not sent any more, and their bodies are erased."""
    blank = {"body_text": "", "body_html": ""}
    expired = Notification.objects.filter(
        secret=True, expires_at__lte=now, state__in=[Notification.State.PENDING, Notification.State.FAILED]
    ).update(state=Notification.State.EXPIRED, lease_until=None, **blank)
    Notification.objects.filter(secret=True, expires_at__lte=now).exclude(body_text="", body_html="").exclude(
        state=Notification.State.SENDING
    ).update(**blank)
    # Requests for a guest code (order number and address as typed) are of no use a day after the code died.
    GuestCode.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    return expired


QUEUE = Lease(
    model=Notification,
    due=email_due,
    held={"state": Notification.State.SENDING},
    lease_field="lease_until",
    duration=lambda: timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS),
)


def _message(note: Notification, connection) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=note.subject,
        body=note.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[note.to],
        connection=connection,
        headers={"X-Alotrop-Notification": str(note.pk), "Message-ID": message_id(note)},
        reply_to=[note.reply_to] if note.reply_to else None,
    )
    if note.body_html:
        message.attach_alternative(note.body_html, "text/html")
    return message


# Renders a link email whose body is made by the sender (the guest link: the order is
# looked up off the request). Returns False when there is nothing to send.
PREPARERS: dict[str, Callable[[Notification], bool]] = {}


def _drop(connection) -> None:
    """Close an SMTP connection without a QUIT conversation (the server may be the one hanging)."""
    smtp = getattr(connection, "connection", None)
    if smtp is not None:
        with contextlib.suppress(OSError):
            smtp.close()
        connection.connection = None


def notifications_send_due(
    *,
    now: datetime | None = None,
    ids: list[int] | None = None,
    limit: int = 500,
    should_stop: Callable[[], bool] = lambda: False,
) -> SendResult:
    """Send due emails one by one; a failure is retried later with backoff."""
    result = SendResult()
    result.expired = _expire_links(now or timezone.now())
    connection = get_connection(fail_silently=False)
    try:
        for note, moment in QUEUE.claimed(now=now, ids=ids, limit=limit, should_stop=should_stop):
            preparer = PREPARERS.get(note.event)
            if preparer is not None and not note.body_text and not preparer(note):
                continue  # the preparer settled the row (nothing to send)
            message = _message(note, connection)
            _smtp.active = True
            try:
                # Opened here, not by send(): send() would also close a connection it opened, and
                # the QUIT exchange would widen the moment between "accepted" and "marked sent".
                if getattr(connection, "connection", True) is None:
                    connection.open()
                message.send()
            except SendInterrupted:
                _smtp.active = False
                # Shutting down: give the row back, due now, as if this attempt had not started.
                _drop(connection)
                QUEUE.finish(note, state=Notification.State.PENDING, lease_until=None, attempts=note.attempts - 1)
                raise
            except Exception as exc:  # any transport error: keep the email and retry later
                _smtp.active = False
                log.warning("Email %s failed (attempt %s): %s", note.pk, note.attempts, exc)
                fields = {"last_error": f"{type(exc).__name__}: {exc}"[:2000], "lease_until": None}
                if note.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
                    QUEUE.finish(note, state=Notification.State.FAILED, **fields)
                    result.failed += 1
                else:
                    QUEUE.retry(note, moment, state=Notification.State.PENDING, **fields)
                    result.retrying += 1
                # A broken connection is not reused for the next email.
                _drop(connection)
                connection = get_connection(fail_silently=False)
            else:
                _smtp.active = False
                fields = {"state": Notification.State.SENT, "sent_at": moment, "last_error": "", "lease_until": None}
                # Sent through a provider (anymail): its id for the message, which its delivery webhooks name.
                provider_id = getattr(getattr(message, "anymail_status", None), "message_id", None)
                if isinstance(provider_id, str) and provider_id:
                    fields["provider_message_id"] = provider_id[:100]
                if note.secret:
                    fields.update(body_text="", body_html="")  # the link or code is in the customer's inbox now
                QUEUE.finish(note, **fields)
                log.info("Email %s sent (%s)", note.pk, note.event)
                result.sent += 1
    finally:
        _smtp.active = False
        try:
            connection.close()
        except Exception:  # a server that stops answering at QUIT loses us nothing: everything is recorded
            _drop(connection)
    return result


def notification_retry(*, notification: Notification) -> Notification:
    """Staff send a failed email again: it goes back in the queue, due now."""
    with transaction.atomic():
        note = Notification.objects.select_for_update().get(pk=notification.pk)
        if note.state in (Notification.State.SENT, Notification.State.SENDING, Notification.State.EXPIRED):
            return note
        note.state = Notification.State.PENDING
        note.next_attempt_at = timezone.now()
        note.save(update_fields=["state", "next_attempt_at"])
        notifications_send_soon([note.pk])
    return note
