"""The words a return is described in: its statuses, reasons, resolutions, the refund's and a
replacement's states, and what the risk rules decided.

They live here, not in ``returns.models``, so the pure rules (``returns.domain``) can name them
without importing the models; the models use them as their fields' choices. The values are what
the database stores, so they never change.
"""

from __future__ import annotations

from django.db.models import TextChoices

from returns.domain import policy


class Reason(TextChoices):
    DAMAGED = policy.DAMAGED, policy.REASON_LABELS[policy.DAMAGED]
    DEFECTIVE = policy.DEFECTIVE, policy.REASON_LABELS[policy.DEFECTIVE]
    WRONG_ITEM = policy.WRONG_ITEM, policy.REASON_LABELS[policy.WRONG_ITEM]
    CHANGED_MIND = policy.CHANGED_MIND, policy.REASON_LABELS[policy.CHANGED_MIND]
    WRONG_SIZE = policy.WRONG_SIZE, policy.REASON_LABELS[policy.WRONG_SIZE]
    NOT_AS_DESCRIBED = policy.NOT_AS_DESCRIBED, policy.REASON_LABELS[policy.NOT_AS_DESCRIBED]
    OTHER = policy.OTHER, policy.REASON_LABELS[policy.OTHER]


class Resolution(TextChoices):
    REFUND = "refund", "Refund"
    REPLACEMENT = "replacement", "Replacement"


class Restock(TextChoices):
    """What becomes of an accepted item, chosen at inspection and sent with a refund paid inside Shopify."""

    RESTOCK = "restock", "Restock (back on the shelf)"
    NO_RESTOCK = "no_restock", "No restock (damaged)"

    @staticmethod
    def goes_back(choice: bool | None, *, fault_confirmed: bool) -> bool:
        """Staff's choice, else as the verdict suggests: an item with a confirmed fault does not go back on the
        shelf, any other does."""
        return choice if choice is not None else not fault_confirmed


class ReturnStatus(TextChoices):
    """See ReturnRequest for what each state means."""

    SUBMITTED = "submitted", "Submitted – waiting for review"
    APPROVED = "approved", "Approved – waiting for your parcel"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired – not shipped in time"
    SHIPPED = "shipped", "Shipped – on its way to us"
    RECEIVED = "received", "Received – waiting for inspection"
    INSPECTED = "inspected", "Inspected – refund being processed"
    REFUNDED = "refunded", "Refunded"
    COMPLETED = "completed", "Completed"


class AutoReview(TextChoices):
    """What ``returns.domain.risk`` decided when the request was submitted."""

    NONE = "", "Not checked"
    APPROVED = "approved", "Approved automatically"
    HELD = "held", "Held for staff by a risk rule"
    STAFF = "staff", "Left for staff (AUTO_APPROVE)"


class Channel(TextChoices):
    """How a return request came in."""

    PORTAL = "portal", "The customer, on the portal"
    EMAIL = "email", "Staff, for a customer who emailed"
    PHONE = "phone", "Staff, for a customer who called"


class MessageAuthor(TextChoices):
    """Who wrote a message in a return's conversation."""

    CUSTOMER = "customer", "Customer"
    STAFF = "staff", "Staff"


class ReplacementStatus(TextChoices):
    """A returned line's replacement (R9): none, promised at inspection, or on its way."""

    NONE = "", "None"
    PENDING = "pending", "To be sent"
    SENT = "sent", "Sent"


class RefundState(TextChoices):
    """Where a refund is; ``returns.services.refunds`` says what moves it."""

    PENDING = "pending", "To be issued"
    PROCESSING = "processing", "At the payment provider – waiting for its answer"
    ISSUED = "issued", "Issued"
    FAILED = "failed", "Failed – to retry"
