"""Email at every status change (R13), through an outbox.

``notification_record`` runs inside the service's transaction: the email is
rendered and stored with the change it tells of, so it exists if and only if the
change committed. ``notifications_send_due`` sends what is due, one row at a time
under a row lock, and retries failures with backoff; a row is marked sent in the
same transaction that holds its lock, so two workers never send the same email.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from . import policy
from .access import guest_link
from .conf import policy_config, store_today
from .models import Notification, Refund, ReturnRequest, StatusChange

log = logging.getLogger(__name__)

# Which events the customer hears of. A status change always has one of these;
# "closed" follows refund_issued / replacement_sent / inspected, which already told them.
CUSTOMER_EVENTS = frozenset(
    {
        "submitted",
        "approved",
        "rejected",
        "cancelled",
        "shipped",
        "received",
        "inspected",
        "refund_issued",
        "replacement_sent",
        "ship_by_reminder",
        "expired",
        "reinstated",
    }
)
STAFF_EVENTS = {"submitted": "staff_new_request"}

BACKOFF_MINUTES = (1, 5, 15, 30, 60, 120, 240, 480)


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
    cfg = policy_config()
    refund = Refund.objects.filter(request=request).first()
    expected = policy.expected_refund_dates(refund.issued_on, cfg) if refund and refund.issued_on else None
    ship_by_days_left = (request.ship_by - today).days if request.ship_by else None
    return {
        "request": request,
        "order": request.order,
        "lines": list(request.lines.select_related("order_line")),
        "change": change,
        "refund": refund,
        "expected": expected,
        "ship_by_days_left": ship_by_days_left,
        "store_name": settings.STORE_NAME,
        "store_url": settings.STORE_URL,
        "support_email": settings.STORE_SUPPORT_EMAIL,
        "return_address": settings.STORE_RETURN_ADDRESS,
        "cfg": cfg,
        **customer_links(request),
    }


def render_email(template: str, context: dict) -> tuple[str, str, str]:
    base = f"returns/emails/{template}"
    subject = " ".join(render_to_string(f"{base}_subject.txt", context).split())
    text = render_to_string(f"{base}_body.txt", context).strip() + "\n"
    html = render_to_string(f"{base}_body.html", context)
    return subject, text, html


def notification_record(
    *, request: ReturnRequest, change: StatusChange, today: date | None = None
) -> list[Notification]:
    """Store the emails this change calls for; send them once the transaction commits."""
    wanted = []
    if change.event in CUSTOMER_EVENTS:
        wanted.append(("customer", change.event, request.order.email))
    if change.event in STAFF_EVENTS and settings.STAFF_NOTIFICATION_EMAIL:
        wanted.append(("staff", STAFF_EVENTS[change.event], settings.STAFF_NOTIFICATION_EMAIL))
    if not wanted:
        return []
    context = _context(request, change, today or store_today())
    rows = []
    for audience, template, to in wanted:
        subject, text, html = render_email(template, {**context, "staff": audience == "staff"})
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
            )
        )
    if settings.EMAIL_DELIVERY == "immediate":
        ids = [n.pk for n in rows]
        transaction.on_commit(lambda: notifications_send_due(ids=ids))
    return rows


@dataclass
class SendResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def _claim(now: datetime, ids: list[int] | None, skip: set[int]) -> Notification | None:
    qs = Notification.objects.filter(state=Notification.State.PENDING, next_attempt_at__lte=now).exclude(pk__in=skip)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.select_for_update(skip_locked=True).order_by("next_attempt_at", "id").first()


def notifications_send_due(
    *, now: datetime | None = None, ids: list[int] | None = None, limit: int = 500
) -> SendResult:
    """Send due emails one by one; a failure is retried later with backoff."""
    result = SendResult()
    skip: set[int] = set()
    connection = get_connection(fail_silently=False)
    try:
        for _ in range(limit):
            moment = now or timezone.now()
            with transaction.atomic():
                note = _claim(moment, ids, skip)
                if note is None:
                    break
                skip.add(note.pk)
                message = EmailMultiAlternatives(
                    subject=note.subject,
                    body=note.body_text,
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    to=[note.to],
                    connection=connection,
                    headers={"X-Alotrop-Notification": str(note.pk)},
                )
                if note.body_html:
                    message.attach_alternative(note.body_html, "text/html")
                note.attempts += 1
                try:
                    message.send()
                except Exception as exc:  # any transport error: keep the email and retry later
                    log.warning("Email %s to %s failed (attempt %s): %s", note.pk, note.to, note.attempts, exc)
                    note.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                    if note.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
                        note.state = Notification.State.FAILED
                        result.failed += 1
                    else:
                        delay = BACKOFF_MINUTES[min(note.attempts - 1, len(BACKOFF_MINUTES) - 1)]
                        note.next_attempt_at = moment + timedelta(minutes=delay)
                        result.retrying += 1
                    # A broken connection is not reused for the next email.
                    connection.close()
                    connection = get_connection(fail_silently=False)
                else:
                    note.state = Notification.State.SENT
                    note.sent_at = moment
                    note.last_error = ""
                    result.sent += 1
                note.save(update_fields=["attempts", "state", "sent_at", "next_attempt_at", "last_error"])
    finally:
        connection.close()
    return result


def notification_retry(*, notification: Notification) -> Notification:
    """Staff send a failed email again: it goes back in the queue, due now."""
    with transaction.atomic():
        note = Notification.objects.select_for_update().get(pk=notification.pk)
        if note.state == Notification.State.SENT:
            return note
        note.state = Notification.State.PENDING
        note.next_attempt_at = timezone.now()
        note.save(update_fields=["state", "next_attempt_at"])
    if settings.EMAIL_DELIVERY == "immediate":
        transaction.on_commit(lambda: notifications_send_due(ids=[note.pk]))
    return note
