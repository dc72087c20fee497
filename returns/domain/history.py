"""How staff read a request's history: who acted, in plain words, and what each step and status means.

The customer's pages use the statuses' own labels (the customer's wording, "waiting for your
parcel"); staff read their side of it ("awaiting parcel"). A step with no person behind it was
taken by the customer through a guest link, or by a job: each event says which
(``returns.domain.events``).
"""

from __future__ import annotations

from typing import Any

from returns.domain.events import Actor, Event
from returns.domain.vocabulary import ReturnStatus

S = ReturnStatus

STAFF_STATUS_LABELS: dict[str, str] = {
    S.SUBMITTED: "Submitted – to review",
    S.APPROVED: "Approved – awaiting parcel",
    S.REJECTED: "Rejected",
    S.CANCELLED: "Cancelled by the customer",
    S.EXPIRED: "Expired – not shipped in time",
    S.SHIPPED: "Shipped – on the way",
    S.RECEIVED: "Received – to inspect",
    S.INSPECTED: "Inspected – refund or replacement to send",
    S.REFUNDED: "Refunded",
    S.COMPLETED: "Completed",
}


def status_label(status: str) -> str:
    """Staff wording for a status code; never the raw code."""
    if not status:
        return "—"
    if status in STAFF_STATUS_LABELS:
        return STAFF_STATUS_LABELS[status]
    return status.replace("_", " ").capitalize()


def event_label(value: str) -> str:
    """Staff wording for a stored event; a value no code writes reads as its words."""
    event = Event.lookup(value)
    return event.staff_label if event else value.replace("_", " ").capitalize()


def actor(change: Any) -> str:
    """Who took this history step (a StatusChange)."""
    return actor_name(change.by, change.event)


def actor_name(user: Any, event: str) -> str:
    """A person by email (staff marked), the customer by guest link, or the job that acted."""
    if user is not None:
        return f"{user.email} (staff)" if user.is_staff else f"{user.email} (customer)"
    known = Event.lookup(event)
    return known.unattended if known else Actor.SYSTEM
