"""The return's events: what a history row says happened, and everything that hangs on it.

One member per event a service writes. Each carries the staff's label, what the customer's
history shows (``None``: staff only, the customer's page leaves it out), whether the customer is
emailed (``templates/returns/emails/<value>_*``), which staff email it sends, and who acted when
the row has no user. The values are what ``StatusChange.event`` and ``Notification.event`` store,
so existing rows keep their meaning. Account emails share that column but are not return
events: ``returns.outbox.account_emails``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Actor(StrEnum):
    """Who took a step no person is recorded for, as staff read it in the history."""

    GUEST = "Customer via guest link"  # the customer's own step, signed in through an email's link
    AUTO_APPROVAL = "System: auto-approval"
    DEADLINE_JOB = "System: deadline job"
    REFUND_PROVIDER = "System: refund provider"
    SYSTEM = "System"


@dataclass(frozen=True)
class About:
    staff_label: str
    customer_label: str | None = None  # None: staff only
    emails_customer: bool = False
    staff_email: str = ""  # the template (templates/returns/emails/<staff_email>_*) sent to STAFF_NOTIFICATION_EMAIL
    unattended: Actor = Actor.SYSTEM  # who acted when the row has no user


class Event(StrEnum):
    """What happened to a return request; the member is the stored value."""

    staff_label: str
    customer_label: str | None
    emails_customer: bool
    staff_email: str
    unattended: Actor

    def __new__(cls, value: str, about: About) -> Event:
        member = str.__new__(cls, value)
        member._value_ = value
        member.staff_label = about.staff_label
        member.customer_label = about.customer_label
        member.emails_customer = about.emails_customer
        member.staff_email = about.staff_email
        member.unattended = about.unattended
        return member

    @property
    def customer_sees(self) -> bool:
        return self.customer_label is not None

    @classmethod
    def lookup(cls, value: str) -> Event | None:
        """The event a stored value names, or None (an account email's kind, or a value no code writes)."""
        try:
            return cls(value)  # type: ignore[call-arg]  # the Enum lookup by value, not __new__'s construction
        except ValueError:
            return None

    SUBMITTED = (
        "submitted",
        About(
            "Return requested",
            customer_label="Return requested",
            emails_customer=True,
            staff_email="staff_new_request",
            unattended=Actor.GUEST,
        ),
    )
    # Auto-approval held the request for staff (a limit, a risk rule): staff see why; the customer was told their
    # request arrived and is told the decision.
    HELD = "held", About("Held for review", unattended=Actor.AUTO_APPROVAL)
    APPROVED = (
        "approved",
        About("Approved", customer_label="Approved", emails_customer=True, unattended=Actor.AUTO_APPROVAL),
    )
    REJECTED = "rejected", About("Rejected", customer_label="Not approved", emails_customer=True)
    CANCELLED = (
        "cancelled",
        About("Cancelled", customer_label="Cancelled", emails_customer=True, unattended=Actor.GUEST),
    )
    SHIPPED = (
        "shipped",
        About("Parcel shipped", customer_label="Shipment recorded", emails_customer=True, unattended=Actor.GUEST),
    )
    TRACKING_UPDATED = (
        "tracking_updated",
        About("Tracking number changed", customer_label="Tracking details corrected", unattended=Actor.GUEST),
    )
    RECEIVED = (
        "received",
        About("Parcel received", customer_label="Parcel received at our warehouse", emails_customer=True),
    )
    INSPECTED = "inspected", About("Items inspected", customer_label="Items inspected", emails_customer=True)
    # Follows refund_issued, replacement_sent or inspected, which already told the customer.
    CLOSED = "closed", About("Closed", customer_label="Closed", unattended=Actor.REFUND_PROVIDER)
    REFUND_SENT = "refund_sent", About("Refund sent to the provider", unattended=Actor.REFUND_PROVIDER)
    REFUND_RETRYING = (
        "refund_retrying",
        About("Refund retrying: the provider did not answer", unattended=Actor.REFUND_PROVIDER),
    )
    REFUND_ISSUED = (
        "refund_issued",
        About("Refund issued", customer_label="Refund issued", emails_customer=True, unattended=Actor.REFUND_PROVIDER),
    )
    # A payment processor's error is between staff and the provider.
    REFUND_FAILED = (
        "refund_failed",
        About("Refund failed", staff_email="staff_refund_failed", unattended=Actor.REFUND_PROVIDER),
    )
    REPLACEMENT_SENT = (
        "replacement_sent",
        About("Replacement sent", customer_label="Replacement sent", emails_customer=True),
    )
    SHIP_BY_REMINDER = (
        "ship_by_reminder",
        About(
            "Ship-by reminder sent",
            customer_label="Reminder to ship",
            emails_customer=True,
            unattended=Actor.DEADLINE_JOB,
        ),
    )
    EXPIRED = (
        "expired",
        About(
            "Expired",
            customer_label="Expired: not shipped by the ship-by date",
            emails_customer=True,
            unattended=Actor.DEADLINE_JOB,
        ),
    )
    REINSTATED = (
        "reinstated",
        About("Reinstated", customer_label="Reinstated with a new ship-by date", emails_customer=True),
    )
    # The return's conversation (``returns.services.messages``): the message itself is the thread's, the row
    # its place in the history. A customer's message notifies staff; a staff reply emails the customer.
    MESSAGE_RECEIVED = (
        "message_received",
        About("Customer wrote a message", staff_email="staff_message_received", unattended=Actor.GUEST),
    )
    MESSAGE_ANSWERED = "message_answered", About("Staff replied", emails_customer=True)


# The type each event has for the store's systems (webhooks out, the API): stable names, never changed once
# published. A new event is one line here; tests/returns/domain/test_events.py fails until it has one.
PUBLIC_TYPES: dict[Event, str] = {
    Event.SUBMITTED: "return.submitted",
    Event.HELD: "return.held",
    Event.APPROVED: "return.approved",
    Event.REJECTED: "return.rejected",
    Event.CANCELLED: "return.cancelled",
    Event.SHIPPED: "return.shipped",
    Event.TRACKING_UPDATED: "return.tracking_updated",
    Event.RECEIVED: "return.received",
    Event.INSPECTED: "return.inspected",
    Event.CLOSED: "return.closed",
    Event.REFUND_SENT: "refund.sent",
    Event.REFUND_RETRYING: "refund.retrying",
    Event.REFUND_ISSUED: "refund.issued",
    Event.REFUND_FAILED: "refund.failed",
    Event.REPLACEMENT_SENT: "replacement.sent",
    Event.SHIP_BY_REMINDER: "return.ship_by_reminder",
    Event.EXPIRED: "return.expired",
    Event.REINSTATED: "return.reinstated",
    Event.MESSAGE_RECEIVED: "message.received",
    Event.MESSAGE_ANSWERED: "message.answered",
}
EVENT_OF_TYPE: dict[str, Event] = {public: event for event, public in PUBLIC_TYPES.items()}
