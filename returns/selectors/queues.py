"""The outboxes' queues: which rows are due (the one definition the workers claim by), how many wait, how late.

One reading serves the readiness probe (``/readyz``), the Prometheus endpoint (``/metrics``) and the
staff's admin index. "Waiting" is every row a worker has still to take or finish. "Overdue" counts
from the moment a row became due (``next_attempt_at``): a row sitting out its retry backoff is not
late, and a row that stays due for long means no worker is taking it. A new outbox adds its ``due``
condition here and one ``_QUEUES`` entry: emails, refunds to the provider, events to the store's endpoints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, Min, OuterRef, Q, QuerySet
from django.utils import timezone

from returns.models import EventDelivery, Notification, Refund, WebhookEndpoint


def email_due(now: datetime) -> Q:
    """Pending and due, or a claim whose lease ran out (its worker died)."""
    return Q(state=Notification.State.PENDING, next_attempt_at__lte=now) | Q(
        state=Notification.State.SENDING, lease_until__lte=now
    )


def refund_due(now: datetime) -> Q:
    """Handed to the provider and due; a claimed row's lease is its ``next_attempt_at``."""
    return Q(state=Refund.State.PROCESSING, next_attempt_at__lte=now)


def event_delivery_due(now: datetime) -> Q:
    """Pending and due (or a lapsed claim), to an enabled endpoint, with no earlier event of its return still open
    there: a return's events reach an endpoint in order."""
    open_states = [EventDelivery.State.PENDING, EventDelivery.State.SENDING]
    earlier_open = EventDelivery.objects.filter(
        endpoint=OuterRef("endpoint"), request=OuterRef("request"), id__lt=OuterRef("id"), state__in=open_states
    )
    return (
        (
            Q(state=EventDelivery.State.PENDING, next_attempt_at__lte=now)
            | Q(state=EventDelivery.State.SENDING, lease_until__lte=now)
        )
        & Q(endpoint__in=WebhookEndpoint.objects.filter(enabled=True).values("pk"))
        & ~Exists(earlier_open)
    )


@dataclass(frozen=True)
class Queue:
    name: str
    label: str
    waiting: int
    oldest_due_at: datetime | None  # when the oldest due row became due; None when nothing is due
    oldest_overdue_seconds: float  # 0 when nothing is due


_QUEUES: list[tuple[str, str, Callable[[], QuerySet], Callable[[datetime], Q]]] = [
    (
        "emails",
        "Emails",
        lambda: Notification.objects.filter(state__in=[Notification.State.PENDING, Notification.State.SENDING]),
        email_due,
    ),
    # Only refunds handed to a payment provider wait for the refund worker; a pending one waits for staff.
    (
        "refunds",
        "Refunds to the payment provider",
        lambda: Refund.objects.filter(state=Refund.State.PROCESSING),
        refund_due,
    ),
    # Events to the store's endpoints; those of a disabled endpoint wait for the superuser, not for the worker.
    (
        "events",
        "Events to the store's endpoints",
        lambda: EventDelivery.objects.filter(
            state__in=[EventDelivery.State.PENDING, EventDelivery.State.SENDING], endpoint__enabled=True
        ),
        event_delivery_due,
    ),
]


def outbox_queues(now: datetime | None = None) -> list[Queue]:
    """Each outbox's queue: two indexed reads per outbox (a count, and the earliest due time)."""
    now = now or timezone.now()
    queues = []
    for name, label, waiting, due in _QUEUES:
        earliest = waiting().filter(due(now)).aggregate(at=Min("next_attempt_at"))["at"]
        overdue = max(0.0, (now - earliest).total_seconds()) if earliest else 0.0
        queues.append(Queue(name, label, waiting().count(), earliest, overdue))
    return queues
