"""Events out: each step of a return, signed the Standard Webhooks way, to the endpoints the store registered.

``event_record`` runs inside the service's transaction (``returns.services.history.record_step``): the
event row and one delivery row per endpoint that hears its type exist if and only if the change
committed. ``deliveries_send_due`` (``manage.py deliver_webhooks``) sends them on the one lease
(``returns.outbox.lease``): claimed, sent with WEBHOOKS_TIMEOUT, a 2xx is delivered, anything else is
retried with backoff until WEBHOOKS_RETRY_HOURS after the event, then given up; an endpoint that has
answered nothing but failures for that long is disabled and the superuser told on the admin index.

Order: a delivery waits while an earlier one of the same return to the same endpoint is pending or
being sent, so a receiver hears a return's steps in the order they happened. Several threads send at
once, never two to the same endpoint, so a slow or dead endpoint holds one thread for at most its
timeout and never the others; no page ever waits on an endpoint (nothing is sent from a request).
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connections, transaction
from django.db.models import Q
from django.utils import timezone
from standardwebhooks import Webhook

from returns.domain.events import PUBLIC_TYPES, Event
from returns.models import (
    EventDelivery,
    EventDeliveryAttempt,
    ReturnRequest,
    StatusChange,
    WebhookEndpoint,
    WebhookEvent,
)
from returns.outbox import http_post
from returns.outbox.lease import Lease
from returns.selectors.public import moment, public_parts, public_return, public_step
from returns.selectors.queues import event_delivery_due

D = EventDelivery.State
LEASE = timedelta(seconds=60)  # well past WEBHOOKS_TIMEOUT: a worker that died mid-call is retried after it
USER_AGENT = "Alotrop-Returns-Webhooks/1"


def new_message_id() -> str:
    return f"msg_{secrets.token_urlsafe(18)}"


def event_body(*, message_id: str, change: StatusChange, request: ReturnRequest, public_type: str) -> str:
    """The JSON the endpoints receive: Standard Webhooks' ``type``, ``timestamp`` and ``data``."""
    payload = {
        "type": public_type,
        "timestamp": moment(change.at),
        "data": {"id": message_id, **public_step(change), "return": public_return(request)},
    }
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def event_record(*, request: ReturnRequest, change: StatusChange) -> WebhookEvent | None:
    """The event row and its deliveries, in the change's transaction; nothing when no endpoint hears it."""
    public_type = PUBLIC_TYPES[Event(change.event)]
    endpoints = [e for e in WebhookEndpoint.objects.filter(enabled=True) if e.hears(public_type)]
    if not endpoints:
        return None
    fresh = public_parts(ReturnRequest.objects.filter(pk=request.pk)).get()
    message_id = new_message_id()
    event = WebhookEvent.objects.create(
        message_id=message_id,
        type=public_type,
        request=request,
        change=change,
        body=event_body(message_id=message_id, change=change, request=fresh, public_type=public_type),
        created_at=change.at,
    )
    EventDelivery.objects.bulk_create(
        [EventDelivery(event=event, endpoint=e, request=request, next_attempt_at=change.at) for e in endpoints]
    )
    return event


# --- signing ------------------------------------------------------------------------------------


def standing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets that sign now: the newest, and an older one until its ``until`` has passed."""
    standing = []
    for entry in endpoint.secrets:
        until = entry.get("until")
        if until is None or datetime.fromisoformat(until) > now:
            standing.append(entry["secret"])
    return standing


def signed_headers(*, endpoint: WebhookEndpoint, message_id: str, body: str, now: datetime) -> dict[str, str]:
    """``webhook-signature``: ``v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">``, one per standing secret."""
    signatures = [Webhook(secret).sign(message_id, now, body) for secret in standing_secrets(endpoint, now)]
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": " ".join(signatures),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


# --- sending --------------------------------------------------------------------------------------


QUEUE = Lease(
    model=EventDelivery,
    due=event_delivery_due,
    held={"state": D.SENDING},
    lease_field="lease_until",
    duration=lambda: LEASE,
    related=("event", "endpoint"),
)


@dataclass
class DeliverResult:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    disabled: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, outcome: str) -> None:
        with self.lock:
            setattr(self, outcome, getattr(self, outcome) + 1)


def _send_one(delivery: EventDelivery, now: datetime, result: DeliverResult) -> None:
    endpoint = delivery.endpoint
    event = delivery.event
    headers = signed_headers(endpoint=endpoint, message_id=event.message_id, body=event.body, now=now)
    answer = http_post.post(
        endpoint.url,
        event.body.encode(),
        headers,
        timeout=settings.WEBHOOKS_TIMEOUT,
        allow_private=settings.WEBHOOKS_ALLOW_PRIVATE,
    )
    finished = timezone.now()
    with transaction.atomic():
        EventDeliveryAttempt.objects.create(
            delivery=delivery,
            at=now,
            status_code=answer.status,
            error=answer.error,
            response=answer.body,
            milliseconds=answer.milliseconds,
        )
        common = {"lease_until": None, "last_status": answer.status, "last_error": answer.error}
        if answer.ok:
            if QUEUE.finish(delivery, state=D.DELIVERED, delivered_at=finished, **common):
                WebhookEndpoint.objects.filter(pk=endpoint.pk).exclude(failing_since=None).update(failing_since=None)
                result.count("delivered")
            return
        give_up_at = event.created_at + timedelta(hours=settings.WEBHOOKS_RETRY_HOURS)
        if now >= give_up_at:
            if QUEUE.finish(delivery, state=D.FAILED, **common):
                result.count("failed")
        elif QUEUE.retry(delivery, now, state=D.PENDING, **common):
            result.count("retrying")
        _endpoint_failed(endpoint.pk, now, result)


def _endpoint_failed(endpoint_id: int, now: datetime, result: DeliverResult) -> None:
    """Count the failing streak from its first failure; past WEBHOOKS_RETRY_HOURS the endpoint is disabled."""
    WebhookEndpoint.objects.filter(pk=endpoint_id, failing_since=None).update(failing_since=now)
    limit = now - timedelta(hours=settings.WEBHOOKS_RETRY_HOURS)
    hours = settings.WEBHOOKS_RETRY_HOURS
    if WebhookEndpoint.objects.filter(pk=endpoint_id, enabled=True, failing_since__lte=limit).update(
        enabled=False,
        disabled_at=now,
        disabled_reason=f"No delivery answered 2xx for {hours} hours; its events wait until it is enabled again.",
    ):
        with result.lock:
            result.disabled.append(endpoint_id)


class _Busy:
    """The endpoints this process is sending to now: a thread never takes a second row for one of them."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ids: set[int] = set()

    def claim(self, now: datetime, skip: set[int]):
        with self.lock:
            row = QUEUE.claim(now, skip=skip, where=~Q(endpoint_id__in=list(self.ids)) if self.ids else None)
            if row is not None:
                self.ids.add(row.endpoint_id)
                skip.add(row.pk)  # each row at most once a round
            return row

    def done(self, endpoint_id: int) -> None:
        with self.lock:
            self.ids.discard(endpoint_id)


def deliveries_send_due(
    *,
    now: datetime | None = None,
    limit: int = 1000,
    threads: int | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> DeliverResult:
    """Send every due delivery (up to ``limit``), ``threads`` at a time, at most one per endpoint at once."""
    threads = threads or settings.WEBHOOKS_WORKER_THREADS
    result = DeliverResult()
    busy = _Busy()
    taken: set[int] = set()
    budget = [limit]

    def work(own_thread: bool) -> None:
        try:
            while not should_stop():
                with busy.lock:
                    if budget[0] <= 0:
                        return
                    budget[0] -= 1
                moment_ = now or timezone.now()
                row = busy.claim(moment_, taken)
                if row is None:
                    return
                try:
                    _send_one(row, moment_, result)
                finally:
                    busy.done(row.endpoint_id)
        finally:
            if own_thread:
                connections.close_all()

    if threads <= 1:
        work(own_thread=False)
        return result
    close_old_connections()
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="webhooks") as pool:
        for future in [pool.submit(work, True) for _ in range(threads)]:
            future.result()
    return result


def delivery_send_again(*, delivery: EventDelivery) -> EventDelivery:
    """Staff send a delivery again (delivered or not): it is due now, with the same id and body."""
    with transaction.atomic():
        row = EventDelivery.objects.select_for_update().get(pk=delivery.pk)
        if row.state == D.SENDING and row.lease_until and row.lease_until > timezone.now():
            return row  # being sent right now
        row.state = D.PENDING
        row.next_attempt_at = timezone.now()
        row.lease_until = None
        row.save(update_fields=["state", "next_attempt_at", "lease_until"])
    return row


def queue_depth() -> int:
    """Deliveries not yet done (pending or being sent): the backlog a queue metric reads."""
    return EventDelivery.objects.filter(state__in=[D.PENDING, D.SENDING]).count()
