"""How staff read a request's history: who acted, in plain words, and what each step and status means.

The customer's pages use the statuses' own labels (the customer's wording, "waiting for your
parcel"); staff read their side of it ("awaiting parcel"). A step with no person behind it was
taken by the customer through a guest link, or by a job: auto-approval, the deadline job
(``process_deadlines``) or the refund provider.
"""

from __future__ import annotations

from returns.models import ReturnStatus

S = ReturnStatus

STAFF_STATUS_LABELS = {
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

EVENT_LABELS = {
    "submitted": "Return requested",
    "approved": "Approved",
    "auto_approved": "Approved automatically",
    "held": "Held for review",
    "rejected": "Rejected",
    "cancelled": "Cancelled",
    "shipped": "Parcel shipped",
    "tracking_updated": "Tracking number changed",
    "received": "Parcel received",
    "inspected": "Items inspected",
    "closed": "Closed",
    "refund_issued": "Refund issued",
    "refund_failed": "Refund failed",
    "refund_succeeded": "Refund paid",
    "refund_pending": "Refund sent to the provider",
    "replacement_sent": "Replacement sent",
    "ship_by_reminder": "Ship-by reminder sent",
    "expired": "Expired",
    "reinstated": "Reinstated",
    # Account emails in the outbox (no return request).
    "guest_link": "Guest sign-in link",
    "verify_email": "Email address check",
    "password_reset": "Password reset",
    "account_exists": "Account already exists",
}

# Steps the customer takes; with nobody signed in they came through the guest link in an email.
CUSTOMER_EVENTS = frozenset({"submitted", "shipped", "tracking_updated", "cancelled"})
DEADLINE_EVENTS = frozenset({"ship_by_reminder", "expired"})
AUTO_APPROVAL_EVENTS = frozenset({"approved", "auto_approved", "held"})

GUEST = "Customer via guest link"
AUTO_APPROVAL = "System: auto-approval"
DEADLINE_JOB = "System: deadline job"
REFUND_PROVIDER = "System: refund provider"
SYSTEM = "System"


def status_label(status: str) -> str:
    """Staff wording for a status code; never the raw code."""
    if not status:
        return "—"
    if status in STAFF_STATUS_LABELS:
        return STAFF_STATUS_LABELS[status]
    return status.replace("_", " ").capitalize()


def event_label(event: str) -> str:
    return EVENT_LABELS.get(event) or event.replace("_", " ").capitalize()


def actor(change) -> str:
    """Who took this history step (a StatusChange)."""
    return actor_name(change.by, change.event)


def actor_name(user, event: str) -> str:
    """A person by email (staff marked), the customer by guest link, or the job that acted."""
    if user is not None:
        return f"{user.email} (staff)" if user.is_staff else f"{user.email} (customer)"
    if event in CUSTOMER_EVENTS:
        return GUEST
    if event in DEADLINE_EVENTS:
        return DEADLINE_JOB
    if event in AUTO_APPROVAL_EVENTS:
        return AUTO_APPROVAL
    if event.startswith("refund_") or event == "closed":
        return REFUND_PROVIDER
    return SYSTEM
