"""Orders as the store sold them, and the return requests made against them.

A ReturnRequest moves through the states in ``ReturnRequest.Status`` (the choices, like the
other vocabularies, are ``returns.domain.vocabulary``'s); which move is allowed lives in one
table, ``returns.domain.transitions``. Every move is made by a service in ``returns.services``
and leaves a ``StatusChange`` row.
"""

import secrets
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Upper
from django.utils import timezone

from returns.domain import policy
from returns.domain.events import Event
from returns.domain.money import format_money
from returns.domain.vocabulary import (
    AutoReview,
    Channel,
    MessageAuthor,
    Reason,
    RefundState,
    ReplacementStatus,
    Resolution,
    Restock,
    ReturnStatus,
)

MONEY = {"max_digits": 12, "decimal_places": 2}
HALF_CENT = Value(Decimal("0.005"))
PARTS = F("merchandise") + F("tax") + F("shipping") - F("deduction")
# RMA numbers: Crockford-style alphabet without look-alikes (no I, L, O, U, 0, 1).
RMA_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_rma_number() -> str:
    """A random, unguessable RMA like ``RMA-7KQ4-M9TX`` (30^8, about 6.6e11 values)."""
    body = "".join(secrets.choice(RMA_ALPHABET) for _ in range(8))
    return f"RMA-{body[:4]}-{body[4:]}"


class Order(models.Model):
    """An order as the store recorded it: what was paid, and when it arrived."""

    number = models.CharField(max_length=40, unique=True)
    email = models.EmailField(help_text="The customer's address as on the order (stored lower-case).")
    customer_name = models.CharField(max_length=150, blank=True)
    placed_at = models.DateTimeField()
    delivered_on = models.DateField(null=True, blank=True, help_text="Empty until the store records delivery.")
    currency = models.CharField(max_length=3, default="USD")
    shipping_charged = models.DecimalField(**MONEY, default=0)
    free_shipping = models.BooleanField(default=False)
    payment_method = models.CharField(max_length=100, help_text="Where refunds go, e.g. 'Visa ending 4242'.")
    payment_reference = models.CharField(
        max_length=255,
        blank=True,
        help_text="The payment at the refund provider (a Stripe PaymentIntent id, pi_…); empty: refunded by hand.",
    )
    shopify_order_id = models.CharField(
        max_length=40,
        blank=True,
        help_text="Shopify's id for the order (set by its webhooks), to match its later fulfillment events.",
    )
    store_updated_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="The store's updated_at of the version written here: an older version pushed later changes nothing.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-placed_at"]
        indexes = [models.Index(fields=["email"])]
        permissions = [("correct_delivery_date", "Can change the delivery date of an order with returns")]
        constraints = [
            models.CheckConstraint(condition=Q(shipping_charged__gte=0), name="order_shipping_non_negative"),
            models.CheckConstraint(
                condition=Q(free_shipping=False) | Q(shipping_charged=0), name="order_free_shipping_charges_nothing"
            ),
            models.UniqueConstraint(
                fields=["shopify_order_id"], condition=~Q(shopify_order_id=""), name="order_one_per_shopify_id"
            ),
        ]

    def __str__(self):
        return f"Order {self.number}"


class OrderLine(models.Model):
    """One product on an order, at the price actually paid (after discounts)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(**MONEY, help_text="Paid per item, after discounts.")
    unit_tax = models.DecimalField(**MONEY, default=0, help_text="Tax paid per item.")
    final_sale = models.BooleanField(default=False)
    personalized = models.BooleanField(default=False)
    # R4: units held by requests that are not cancelled, rejected or expired.
    # Kept by the services under a lock; the constraint makes overselling a
    # database error, whatever path the write takes.
    quantity_in_returns = models.PositiveIntegerField(default=0, editable=False)
    # Shopify's id for the line item (its webhook's line_items[].id), which a refund inside Shopify names. Units
    # of one Shopify line that paid different amounts are lines of their own here ("#2" SKUs): they share it.
    shopify_line_item_id = models.CharField(max_length=40, blank=True, default="", editable=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "sku"], name="orderline_unique_sku_per_order"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="orderline_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="orderline_price_non_negative"),
            models.CheckConstraint(condition=Q(unit_tax__gte=0), name="orderline_tax_non_negative"),
            models.CheckConstraint(
                condition=Q(quantity_in_returns__gte=0) & Q(quantity_in_returns__lte=F("quantity")),
                name="orderline_returns_within_quantity",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.sku})"


# Two staff queues whose rows no single column picks out: defined once here, for their partial indexes
# (ReturnRequest.Meta) and for returns.selectors, so a query's condition is the index's and PostgreSQL uses it.
AWAITING_INSPECTION = Q(status=ReturnStatus.RECEIVED) | Q(status=ReturnStatus.APPROVED, return_required=False)
HELD_FOR_REVIEW = Q(status=ReturnStatus.SUBMITTED, auto_review=AutoReview.HELD)


class ReturnRequest(models.Model):
    """A return (RMA) of some units of some lines of one order.

    States:
      submitted  waiting for staff review (R5)
      approved   instructions sent; the customer ships by ``ship_by`` (R6)
      rejected   staff refused it, with a reason the customer sees
      cancelled  the customer withdrew it before shipping
      expired    approved but not shipped by the ship-by day; staff may reinstate
      shipped    the customer recorded carrier and tracking
      received   the parcel reached the warehouse
      inspected  every line inspected; a refund and/or replacement is pending
      refunded   the refund was issued (and any replacement sent)
      completed  closed with nothing (more) to pay: replacement sent or nothing accepted
    """

    Status = ReturnStatus

    rma = models.CharField("RMA number", max_length=20, unique=True, default=new_rma_number, editable=False)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="return_requests")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUBMITTED, editable=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # How the request came in: the customer's own form, or staff starting it for a customer who wrote or called.
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.PORTAL, editable=False)
    # A key the form carries so a double click or a reload cannot submit twice.
    submission_key = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    return_required = models.BooleanField(null=True, editable=False, help_text="Set by staff at approval (R9).")
    approved_on = models.DateField(null=True, blank=True, editable=False)
    ship_by = models.DateField(null=True, blank=True, editable=False)
    reminder_sent_on = models.DateField(null=True, blank=True, editable=False)
    carrier = models.CharField(max_length=60, blank=True, editable=False)
    tracking_number = models.CharField(max_length=80, blank=True, editable=False)
    rejection_reason = models.TextField(blank=True, editable=False)
    # returns.domain.risk at submission: approved at once, held by a risk rule, or left for staff; which rule, and why.
    auto_review = models.CharField(max_length=10, choices=AutoReview.choices, blank=True, default="", editable=False)
    auto_review_rule = models.CharField(max_length=60, blank=True, editable=False)
    auto_review_note = models.TextField(blank=True, editable=False)
    # The refund estimate exactly as the customer saw it when submitting (see returns.selectors.estimates).
    estimate = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "ship_by"]),
            models.Index(fields=["tracking_number"]),
            # The admin's default sort and its queues at any size (see returns.admin.search for the search ones).
            models.Index(fields=["created_at", "id"], name="request_created_idx"),
            models.Index(fields=["status", "created_at", "id"], name="request_status_created_idx"),
            # The API's pages (GET /api/v1/returns): keyset on (updated_at, id), from updated_since on.
            models.Index(fields=["updated_at", "id"], name="request_updated_idx"),
            models.Index(Upper("tracking_number"), name="request_tracking_upper_idx"),
            # The queues that are not one status: their lists read 50 entries in order, their counts the index alone.
            models.Index(fields=["created_at", "id"], condition=AWAITING_INSPECTION, name="request_to_inspect_idx"),
            models.Index(fields=["created_at", "id"], condition=HELD_FOR_REVIEW, name="request_held_idx"),
            # Approved, the parcel still to come: the overdue queue (ship_by < today) and the deadline job.
            models.Index(
                fields=["ship_by", "id"],
                condition=Q(status=ReturnStatus.APPROVED, return_required=True),
                name="request_awaiting_parcel_idx",
            ),
        ]
        permissions = [
            ("review_returnrequest", "Can approve or reject return requests"),
            ("receive_returnrequest", "Can receive returned parcels"),
            ("inspect_returnrequest", "Can inspect returned items"),
            ("reinstate_returnrequest", "Can reinstate expired return requests"),
            ("arrange_replacement", "Can send replacements"),
            ("start_for_customer", "Can start a return for a customer who wrote or called"),
            ("grant_exception", "May grant exceptions: accept a line the window or an exclusion refuses"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ReturnStatus.values), name="request_status_valid"),
            models.CheckConstraint(
                condition=Q(approved_on__isnull=True) | Q(return_required__isnull=False),
                name="request_approval_decides_return_required",
            ),
        ]

    def __str__(self):
        return self.rma


class ReturnLine(models.Model):
    """Some units of one order line in a request, the customer's claim, and staff's verdict."""

    ReplacementStatus = ReplacementStatus

    request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="return_lines")
    quantity = models.PositiveIntegerField()
    reason = models.CharField(max_length=20, choices=Reason.choices)
    description = models.TextField(max_length=2000)
    condition_confirmed = models.BooleanField(default=False, help_text="R2, for standard reasons.")
    preference = models.CharField(
        max_length=12, choices=Resolution.choices, default=Resolution.REFUND, help_text="R9, for fault reasons."
    )
    # Inspection (staff's verdict, not the customer's claim, decides the refund).
    inspected_at = models.DateTimeField(null=True, blank=True, editable=False)
    accepted = models.BooleanField(null=True, editable=False)
    fault_confirmed = models.BooleanField(null=True, editable=False)
    inspection_note = models.TextField(blank=True, editable=False)
    resolution = models.CharField(max_length=12, choices=Resolution.choices, blank=True, editable=False)
    replacement_status = models.CharField(
        max_length=10, choices=ReplacementStatus.choices, blank=True, default="", editable=False
    )
    # For an accepted line: back on the shelf or not (damaged), chosen at inspection; empty until then and for a
    # rejected line. A refund paid inside Shopify sends it per line (restockType).
    restock = models.CharField(max_length=10, choices=Restock.choices, blank=True, default="", editable=False)
    # A goodwill exception (customer service with PERM_GRANT_EXCEPTION): the rules it set aside (R1, R3; never R4),
    # who granted it, when and why. Empty: the line met the policy.
    exception_rules = models.CharField(max_length=20, blank=True, default="", editable=False)
    exception_reason = models.TextField(blank=True, editable=False)
    exception_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    exception_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["exception_at"], condition=~Q(exception_rules=""), name="returnline_exception_idx"),
            # "Replacements to send": a handful of rows among all lines.
            models.Index(
                fields=["request"], condition=Q(replacement_status="pending"), name="returnline_replace_todo_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["request", "order_line"], name="returnline_one_per_order_line"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="returnline_quantity_positive"),
            models.CheckConstraint(
                condition=~Q(resolution="replacement") | Q(accepted=True, fault_confirmed=True),
                name="returnline_replacement_needs_confirmed_fault",
            ),
            models.CheckConstraint(
                condition=Q(exception_rules="") | (~Q(exception_reason="") & Q(exception_at__isnull=False)),
                name="returnline_exception_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(restock="") | (Q(restock__in=Restock.values) & Q(accepted=True)),
                name="returnline_restock_only_accepted",
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.order_line.name}"

    @property
    def is_fault_claim(self) -> bool:
        return policy.is_fault_reason(self.reason)


# Photos of sent returns, one folder per day of upload (UTC), so the daily orphan check lists one folder;
# photos uploaded for a return not sent yet under their own prefix, which a bucket lifecycle rule expires
# (README, Photos in S3-compatible storage). Random names: nothing about the customer or the file leaks.
PHOTO_ROOT = "photos"
PENDING_PHOTO_ROOT = "pending"


def photo_upload_to(instance: object, filename: str) -> str:
    return f"{PHOTO_ROOT}/{timezone.now():%Y-%m-%d}/{secrets.token_urlsafe(24)}.jpg"


def pending_photo_upload_to(instance: object, filename: str) -> str:
    return f"{PENDING_PHOTO_ROOT}/{secrets.token_urlsafe(24)}.jpg"


class DamagePhoto(models.Model):
    """A photo backing a damage or fault claim (R7). Private to its owner and staff."""

    class Kind(models.TextChoices):
        ISSUE = "issue", "The issue"
        PACKAGING = "packaging", "The packaging"

    line = models.ForeignKey(ReturnLine, on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    image = models.ImageField(upload_to=photo_upload_to, width_field="width", height_field="height")
    thumbnail = models.ImageField(upload_to=photo_upload_to, blank=True)
    width = models.PositiveIntegerField(null=True, editable=False)
    height = models.PositiveIntegerField(null=True, editable=False)
    original_name = models.CharField(max_length=255, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    # Set when retention removed the files (PHOTO_KEEP_DAYS after the return closed): the row stays, so staff
    # see that there was a photo and why it is gone.
    removed_after_days = models.PositiveIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.get_kind_display()} photo for {self.line_id}"

    @property
    def removal_note(self) -> str:
        if self.removed_after_days is None:
            return ""
        return f"Removed after {self.removed_after_days} days"


class PendingPhoto(models.Model):
    """A photo uploaded while the customer fills in the start-a-return form, not yet part of a request.

    Its files are already processed and stored; it belongs to one browser session
    (``owner``, a random token kept in the session), the signed-in user if any, and
    one order line. Its files live under ``pending/``; submitting the form copies them into
    the day's ``photos/`` folder for a ``DamagePhoto``; the scheduler's ``photos`` job deletes
    those left behind after PENDING_PHOTO_MAX_AGE. Together they take at most PENDING_PHOTO_MAX_BYTES, and one
    customer has at most PENDING_PHOTOS_PER_CUSTOMER of them.
    """

    order_line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="+")
    owner = models.CharField(max_length=64, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=DamagePhoto.Kind.choices)
    image = models.ImageField(upload_to=pending_photo_upload_to, width_field="width", height_field="height")
    thumbnail = models.ImageField(upload_to=pending_photo_upload_to, blank=True)
    width = models.PositiveIntegerField(null=True, editable=False)
    height = models.PositiveIntegerField(null=True, editable=False)
    original_name = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Bytes of its two files in storage; summed over every pending photo against PENDING_PHOTO_MAX_BYTES
    # (indexed: the sum reads the index alone).
    size = models.PositiveBigIntegerField(default=0, db_index=True, editable=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["issue", "packaging"]), name="pendingphoto_kind_valid"),
        ]

    def __str__(self):
        return f"Pending {self.kind} photo for line {self.order_line_id}"


class Refund(models.Model):
    """The money for one request (R10-R12): its breakdown, where it goes, and whether it went.

    The breakdown is stored, not recomputed, so what the customer was told is
    what was paid. One per request, enforced by the database (R12).
    """

    State = RefundState

    request = models.OneToOneField(ReturnRequest, on_delete=models.PROTECT, related_name="refund")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    currency = models.CharField(max_length=3)
    merchandise = models.DecimalField(**MONEY)
    tax = models.DecimalField(**MONEY)
    shipping = models.DecimalField(**MONEY)
    deduction = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    fault_merchandise = models.DecimalField(**MONEY, default=0, help_text="Used to share shipping across requests.")
    breakdown = models.JSONField(default=list, help_text="Each line: label, amount, rule, explanation.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    payment_method = models.CharField(max_length=100)
    reference = models.CharField(max_length=100, blank=True, help_text="The payment processor's reference.")
    issued_on = models.DateField(null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    failure_reason = models.TextField(blank=True, help_text="Between staff only; the customer is never shown it.")
    # Refunds paid through a provider (returns.integrations): which one, which try, and the worker's schedule.
    provider = models.CharField(max_length=20, blank=True, editable=False)
    provider_round = models.PositiveSmallIntegerField(
        default=0, editable=False, help_text="Sends after a definite failure; part of the idempotency key."
    )
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    next_attempt_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["created_at", "id"], name="refund_created_idx"),
            models.Index(fields=["updated_at", "id"], name="refund_updated_idx"),  # the API's pages
            models.Index(fields=["state", "created_at", "id"], name="refund_state_created_idx"),
            models.Index(fields=["state", "issued_on"], name="refund_state_issued_idx"),
            models.Index(fields=["reference"], name="refund_reference_idx"),
            models.Index(fields=["state", "next_attempt_at"], name="refund_state_next_attempt_idx"),
        ]
        permissions = [("issue_refund", "Can issue refunds and mark them failed")]
        constraints = [
            models.CheckConstraint(
                condition=Q(merchandise__gte=0)
                & Q(tax__gte=0)
                & Q(shipping__gte=0)
                & Q(deduction__gte=0)
                & Q(total__gte=0)
                & Q(fault_merchandise__gte=0),
                name="refund_amounts_non_negative",
            ),
            # Equal to the cent. Written as a half-cent band because SQLite keeps
            # decimals as floats; on PostgreSQL (numeric, 2 places) it is exact equality.
            models.CheckConstraint(
                condition=Q(total__gt=PARTS - HALF_CENT) & Q(total__lt=PARTS + HALF_CENT),
                name="refund_total_equals_parts",
            ),
            models.CheckConstraint(
                condition=~Q(state="issued") | Q(issued_on__isnull=False),
                name="refund_issued_has_date",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "processing", "issued", "failed"]), name="refund_state_valid"
            ),
        ]

    def __str__(self):
        return f"Refund of {format_money(self.total, self.currency)} for {self.request.rma}"


class StatusChange(models.Model):
    """One step in a request's history: who, when, from, to, and a note."""

    request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="history")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    event = models.CharField(max_length=40, help_text="What happened, e.g. 'approved' or 'refund_failed'.")
    note = models.TextField(blank=True, help_text="Shown to the customer, except for STAFF_ONLY_EVENTS.")

    # Steps between staff only (a payment processor's error); the customer's page leaves them out.
    # Derived from the event list, under the name the note's help text gives.
    STAFF_ONLY_EVENTS = frozenset(event for event in Event if not event.customer_sees)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.request_id}: {self.from_status or '-'} → {self.to_status}"

    @property
    def customer_visible(self) -> bool:
        return self.event not in self.STAFF_ONLY_EVENTS


class Notification(models.Model):
    """An email to send, written in the same transaction as the change it tells of.

    The outbox: a worker (``send_notifications``) sends pending rows after commit
    and retries failures with backoff. A row is claimed (``sending``, with a lease)
    before the SMTP conversation and marked sent right after it, so a worker that
    dies mid-send leaves a claim that is retried only once its lease has expired.

    Link emails (guest link and code, account verification, password reset) are
    rows too, with no return request; they carry secrets (``secret``), so staff
    never see their bodies and the body is blanked once sent or expired.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Gave up – needs attention"
        EXPIRED = "expired", "Not sent: its link expired"

    request = models.ForeignKey(
        ReturnRequest, on_delete=models.CASCADE, related_name="notifications", null=True, blank=True
    )
    change = models.ForeignKey(
        StatusChange, on_delete=models.CASCADE, related_name="notifications", null=True, blank=True
    )
    event = models.CharField(max_length=40)
    audience = models.CharField(max_length=10, choices=[("customer", "Customer"), ("staff", "Staff")])
    to = models.EmailField()
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    secret = models.BooleanField(
        default=False, help_text="Carries a sign-in link or code: the body is never shown and is erased once sent."
    )
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Not sent after this (its link expired).")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(
        null=True, blank=True, help_text="While sending: another worker may retry it only after this."
    )
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Replies by email: the return's own reply address (REPLY_TO_ADDRESS with its token); customer emails only.
    reply_to = models.EmailField(max_length=254, blank=True, default="")
    # Sent through a provider (EMAIL_PROVIDER): its id for the message, and when its webhook said delivered.
    provider_message_id = models.CharField(max_length=100, blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["provider_message_id"], condition=~Q(provider_message_id=""), name="notification_provider_idx"
            ),
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["created_at", "id"], name="notification_created_idx"),
            models.Index(fields=["state", "created_at", "id"], name="notif_state_created_idx"),
            models.Index(fields=["to"], name="notification_to_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["change", "audience"], name="notification_once_per_change_and_audience"),
            models.CheckConstraint(
                condition=~Q(state="sent") | Q(sent_at__isnull=False), name="notification_sent_has_time"
            ),
            models.CheckConstraint(
                condition=~Q(state="sending") | Q(lease_until__isnull=False), name="notification_sending_has_lease"
            ),
        ]

    def __str__(self):
        return f"{self.subject} → {self.to}"


class Message(models.Model):
    """One message in a return's conversation (or an order's, before a return exists): the customer's or staff's.

    Written by ``returns.services.messages`` only. A customer's message waits for an answer
    (``answered_at`` empty) until staff reply on the return; the *Messages waiting* queue lists
    those, oldest first. ``change`` is the history row the message made (the email hangs on it).
    """

    Author = MessageAuthor

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="messages")
    request = models.ForeignKey(ReturnRequest, null=True, blank=True, on_delete=models.CASCADE, related_name="messages")
    author = models.CharField(max_length=10, choices=MessageAuthor.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(max_length=5000)
    # By email: the whole message as it arrived (quoted history included), for staff; the Message-ID, stored once.
    full_text = models.TextField(blank=True)
    email_message_id = models.CharField(max_length=255, blank=True, default="")
    change = models.OneToOneField(
        StatusChange, null=True, blank=True, on_delete=models.SET_NULL, related_name="message"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # Messages waiting: the customers' messages nobody answered yet, oldest first.
            models.Index(
                fields=["created_at", "id"],
                condition=Q(author="customer", answered_at__isnull=True),
                name="message_waiting_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(author__in=MessageAuthor.values), name="message_author_valid"),
            models.UniqueConstraint(
                fields=["email_message_id"], condition=~Q(email_message_id=""), name="message_email_once"
            ),
        ]

    def __str__(self):
        return f"{self.get_author_display()} message on {self.request_id or self.order_id}"


class UnmatchedEmail(models.Model):
    """Mail to the reply address that could not be joined to a return safely: no valid token, or a sender other than
    the order's. Kept for staff to assign to a return or dismiss, so nothing is lost and nothing reaches the wrong
    customer's thread."""

    class State(models.TextChoices):
        OPEN = "open", "To sort"
        ASSIGNED = "assigned", "Added to a return"
        DISMISSED = "dismissed", "Dismissed"

    email_message_id = models.CharField(
        max_length=255, blank=True, default="", help_text="The provider's id, stored once."
    )
    sender = models.CharField(max_length=254, blank=True)
    recipients = models.TextField(blank=True)
    subject = models.CharField(max_length=255, blank=True)
    text = models.TextField(blank=True)
    why = models.CharField(max_length=200, help_text="Why it was not joined to a return, for staff.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    message = models.OneToOneField(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="unmatched_email"
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = "unmatched email"
        constraints = [
            models.UniqueConstraint(
                fields=["email_message_id"], condition=~Q(email_message_id=""), name="unmatched_email_once"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["open", "assigned", "dismissed"]), name="unmatched_state_valid"
            ),
        ]

    def __str__(self):
        return f"{self.subject or '(no subject)'} from {self.sender}"


class MessagePhoto(models.Model):
    """A photo a customer attached to an email reply: re-encoded like every photo, private to the return's customer
    and staff. Held by its message, or by the unmatched email until staff assign it."""

    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.CASCADE, related_name="photos")
    unmatched = models.ForeignKey(
        UnmatchedEmail, null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    image = models.ImageField(upload_to=photo_upload_to, width_field="width", height_field="height")
    thumbnail = models.ImageField(upload_to=photo_upload_to, blank=True)
    width = models.PositiveIntegerField(null=True, editable=False)
    height = models.PositiveIntegerField(null=True, editable=False)
    original_name = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(message__isnull=False) | Q(unmatched__isnull=False), name="messagephoto_has_a_holder"
            ),
        ]

    def __str__(self):
        return f"Photo {self.original_name or self.pk}"


class GuestCode(models.Model):
    """One request for a guest link: the order number and address typed, and the one-time code mailed.

    Written by the request as typed (no lookup, so the answer takes as long whether or
    not the order exists); the email worker looks the order up and, when there is one,
    sets ``order`` and the code's hash. Only a keyed hash of the code is stored.
    """

    number = models.CharField(max_length=40)
    email = models.EmailField()
    notification = models.OneToOneField(
        Notification, on_delete=models.SET_NULL, null=True, blank=True, related_name="guest_code"
    )
    order = models.ForeignKey(Order, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    code_hash = models.CharField(max_length=64, blank=True)
    tries = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self):
        return f"Code for order {self.number}"


class BlockedEmail(models.Model):
    """An email whose requests always wait for staff (``returns.domain.risk``); customer service keeps the list."""

    email = models.EmailField(unique=True, help_text="Stored lower-case; matched exactly against the order's email.")
    reason = models.TextField(blank=True, help_text="Why, for staff: shown on every request it holds.")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["email"]
        verbose_name = "blocked email"

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)


class OrderCorrection(models.Model):
    """A change staff made by hand to what an order with returns keeps (its delivery date): who, when, from, to, why."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="corrections")
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    field = models.CharField(max_length=40)
    from_value = models.CharField(max_length=100, blank=True)
    to_value = models.CharField(max_length=100, blank=True)
    reason = models.TextField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.order}: {self.field} {self.from_value or '-'} → {self.to_value or '-'}"


class ShopifyIdConflict(models.Model):
    """Shopify sent an order whose Shopify id another order here already has: refused, and kept here for staff.

    One row per (Shopify id, number sent); ``times`` counts Shopify's retries of it.
    """

    shopify_order_id = models.CharField(max_length=40)
    number = models.CharField(max_length=40, help_text="The order number Shopify sent with the id.")
    order = models.ForeignKey(
        Order,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The order here that already has this Shopify id.",
    )
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now=True)
    times = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-last_seen_at"]
        verbose_name = "Shopify id conflict"
        constraints = [
            models.UniqueConstraint(fields=["shopify_order_id", "number"], name="shopify_id_conflict_once"),
        ]

    def __str__(self):
        return f"Shopify id {self.shopify_order_id}: order {self.number}"


class WebhookDelivery(models.Model):
    """A webhook already handled: a redelivery (same delivery id) or a replay (same body, soon after) gets the same
    answer, nothing twice."""

    source = models.CharField(max_length=20)  # "orders", "shopify"
    delivery_id = models.CharField(max_length=200, blank=True)  # "" when the sender gave none
    topic = models.CharField(max_length=100, blank=True)  # Shopify's X-Shopify-Topic
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField(default=dict)
    # SHA-256 of the raw body: the same delivery id with another body is refused, not answered as a
    # replay ("" for deliveries recorded before it was kept).
    body_sha256 = models.CharField(max_length=64, blank=True, default="")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "delivery_id"], condition=~Q(delivery_id=""), name="webhook_delivery_once"
            )
        ]
        indexes = [models.Index(fields=["source", "body_sha256", "received_at"], name="webhook_delivery_body")]

    def __str__(self):
        return f"{self.source} {self.delivery_id} → {self.status_code}"


class WebhookEndpoint(models.Model):
    """A URL of the store's own systems that hears the events it asked for, signed the Standard Webhooks way.

    ``secrets``: the signing secrets standing now, newest first, each ``{"secret": "whsec_…", "until": iso|null}``;
    while a secret is rolled, both sign (the receiver accepts either). Added, listed and removed by
    ``manage.py webhooks`` or, by the superuser, in the admin. Failing for WEBHOOKS_RETRY_HOURS in a row
    disables it (``disabled_at``, ``disabled_reason``) and the admin index says so.
    """

    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    # The public event types it hears ("return.approved", …); empty: every type.
    event_types = models.JSONField(default=list, blank=True)
    secrets = models.JSONField(default=list, editable=False)
    enabled = models.BooleanField(default=True)
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "webhook endpoint"

    def __str__(self):
        return self.url

    def hears(self, public_type: str) -> bool:
        return not self.event_types or public_type in self.event_types


class WebhookEvent(models.Model):
    """One event for the store's systems, written in the transaction of the change it tells of.

    ``body`` is the JSON exactly as every endpoint receives it, so each attempt signs the same bytes;
    ``message_id`` is its ``webhook-id``, the same on every attempt, for the receiver to drop repeats.
    """

    message_id = models.CharField(max_length=40, unique=True)
    type = models.CharField(max_length=60)
    request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="+")
    change = models.ForeignKey(StatusChange, on_delete=models.CASCADE, related_name="+", null=True, blank=True)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.type} {self.message_id}"


class EventDelivery(models.Model):
    """One event on its way to one endpoint: an outbox row on ``returns.outbox.lease``.

    States: pending (due at ``next_attempt_at``), sending (claimed, ``lease_until``), delivered (a 2xx),
    failed (no 2xx for WEBHOOKS_RETRY_HOURS). ``request`` is the event's, kept here so the events of one
    return reach an endpoint in order (a row waits while an earlier one of its return is not done).
    """

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Gave up – no 2xx for 3 days"

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "event deliveries"
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="eventdelivery_due_idx"),
            models.Index(fields=["endpoint", "request", "id"], name="eventdelivery_order_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="eventdelivery_once_per_endpoint"),
            models.CheckConstraint(
                condition=~Q(state="sending") | Q(lease_until__isnull=False), name="eventdelivery_sending_has_lease"
            ),
            models.CheckConstraint(
                condition=~Q(state="delivered") | Q(delivered_at__isnull=False), name="eventdelivery_delivered_has_time"
            ),
        ]

    def __str__(self):
        return f"{self.event_id} → {self.endpoint_id}: {self.state}"


class EventDeliveryAttempt(models.Model):
    """One try at a delivery: when, the answer's status (none: no answer), and the first 1 KB of what it said."""

    delivery = models.ForeignKey(EventDelivery, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    response = models.TextField(blank=True)
    milliseconds = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.delivery_id} at {self.at}: {self.status_code or self.error}"


class ScheduledJobRun(models.Model):
    """When each periodic job (``manage.py run_scheduled``) last started and what it did.

    Every host may run the scheduler: a job starts only under its lock (a PostgreSQL advisory lock),
    and only when this row says its period has passed, so each due job runs once in all.
    """

    job = models.CharField(max_length=40, unique=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.TextField(blank=True, help_text="What the last run did, or why it failed.")
    failed = models.BooleanField(default=False)

    class Meta:
        ordering = ["job"]

    def __str__(self):
        return f"{self.job} at {self.started_at:%Y-%m-%d %H:%M}"


class CustomerErasure(models.Model):
    """A customer's data erased on their request (GDPR article 17): who did it, when, and what was kept.

    It holds no personal data itself: the order numbers and RMAs kept (anonymised) and how many rows of
    each kind were removed, never the address or the name.
    """

    erased_at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    how = models.CharField(max_length=40, help_text="Where it was asked for: the admin or manage.py customer_erase.")
    orders = models.JSONField(default=list, help_text="Order numbers kept, anonymised.")
    returns = models.JSONField(default=list, help_text="RMAs kept, anonymised.")
    removed = models.JSONField(default=dict, help_text="How many rows of each kind were removed or scrubbed.")

    class Meta:
        ordering = ["-erased_at"]

    def __str__(self):
        return f"Erasure {self.pk} at {self.erased_at:%Y-%m-%d %H:%M}"


class ApiKey(models.Model):
    """A key the store's systems read the API with (``Authorization: Bearer <key>``).

    Only the SHA-256 of the key is kept: keys are long random tokens (``returns.services.api_keys``), so a fast
    hash is enough, and a stolen table yields no key. ``prefix`` is the key's first characters, shown to tell keys
    apart and used to find the row. Revoked keys stay, for the record of who made them and when they were used.
    """

    name = models.CharField(max_length=100, help_text="Which system holds it, e.g. 'ERP'.")
    prefix = models.CharField(max_length=16, db_index=True, editable=False)
    key_sha256 = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["id"]
        verbose_name = "API key"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"
