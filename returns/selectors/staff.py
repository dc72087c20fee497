"""Reads for staff: the queues (one condition each, shared with their partial indexes), the
index's counts, the room pending photos take, a return found by RMA, and a customer's history
for the risk panel."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Count, DecimalField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet, Sum

from core.addresses import normalize_email
from returns.conf import store_today
from returns.domain import policy
from returns.models import (
    AWAITING_INSPECTION,
    HELD_FOR_REVIEW,
    Message,
    Notification,
    OrderLine,
    PendingPhoto,
    Refund,
    ReturnLine,
    ReturnRequest,
)
from returns.selectors.risk import counted_in_90_days, start_of_day


def waiting_for_review_q():
    return Q(status=ReturnRequest.Status.SUBMITTED)


def held_for_review_q():
    """Waiting for review because a risk rule held it at submission (``returns.domain.risk``), not by mode."""
    return HELD_FOR_REVIEW


def overdue_to_ship_q(today: date):
    """R6: approved, the item must come back, and the ship-by day has passed (the day itself is on time)."""
    return Q(status=ReturnRequest.Status.APPROVED, return_required=True, ship_by__lt=today)


def awaiting_inspection_q():
    """Parcels at the warehouse, and approved requests whose item staff chose not to have sent back (R9)."""
    return AWAITING_INSPECTION


def store_week(today: date) -> tuple[date, date]:
    """Monday to Sunday of the store's week holding ``today``."""
    monday = today - timedelta(days=today.weekday())
    return monday, monday + timedelta(days=6)


def on_the_way_q():
    """The customer shipped it; the warehouse expects the parcel."""
    return Q(status=ReturnRequest.Status.SHIPPED)


def replacements_to_send_q():
    """Requests with a line whose replacement staff have not sent yet (R9)."""
    pending = ReturnLine.objects.filter(request=OuterRef("pk"), replacement_status=ReturnLine.ReplacementStatus.PENDING)
    return Q(Exists(pending))


def next_in_queue(condition, *, after: ReturnRequest) -> ReturnRequest | None:
    """The request staff meet after ``after`` in a queue's list (newest first, as the list shows it), from the
    top again past the end; None when nothing else waits. ``after`` itself is never next (it may still match,
    if someone else's step failed)."""
    queue = ReturnRequest.objects.filter(condition).exclude(pk=after.pk).order_by("-created_at", "-id")
    older = Q(created_at__lt=after.created_at) | Q(created_at=after.created_at, id__lt=after.pk)
    return queue.filter(older).first() or queue.first()


@dataclass(frozen=True)
class StaffOverview:
    waiting_for_review: int
    overdue_to_ship: int
    on_the_way: int
    awaiting_inspection: int
    refunds_to_issue: int
    refunds_failed: int
    replacements_to_send: int
    emails_failed: int
    week_start: date
    week_end: date
    refunds_this_week: list[dict]  # one per currency: currency, count, total
    refunds_processing: int = 0
    held_for_review: int = 0
    messages_waiting: int = 0

    @property
    def refunds_this_week_count(self) -> int:
        return sum(row["count"] for row in self.refunds_this_week)


# The overview counts each queue up to here and shows "1,000+" beyond: its cost is bounded by this number,
# not by how busy the store is nor how long its history. A queue that long is worked from its list.
OVERVIEW_CAP = 1000


def capped_counts(querysets: dict[str, QuerySet], cap: int) -> dict[str, int]:
    """How many rows each queryset has, up to ``cap + 1``, in one statement.

    ``SELECT (SELECT COUNT(*) FROM (… LIMIT cap + 1)), …``: each count stops at the cap (an index-only
    scan on PostgreSQL when an index covers the condition). The SQL is Django's own for each queryset.
    """
    parts, params = [], []
    for qs in querysets.values():
        sql, qs_params = qs.order_by()[: cap + 1].query.sql_with_params()
        # Django's compiled SQL with its parameters kept apart; nothing typed by anyone is spliced in.
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS q{len(parts)})")  # noqa: S608
        params.extend(qs_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return dict(zip(querysets, row, strict=True))


def messages_waiting_q() -> Q:
    """A customer's message nobody has answered yet: the *Messages waiting* queue (its partial index's condition)."""
    return Q(author=Message.Author.CUSTOMER, answered_at__isnull=True)


def staff_overview(today: date | None = None) -> StaffOverview:
    """The admin index's numbers: two queries, each count capped at OVERVIEW_CAP and read from an index."""
    today = today or store_today()
    requests = ReturnRequest.objects.values("pk")
    refunds = Refund.objects.values("pk")
    counts = capped_counts(
        {
            "review": requests.filter(waiting_for_review_q()),
            "held": requests.filter(held_for_review_q()),
            "overdue": requests.filter(overdue_to_ship_q(today)),
            "on_the_way": requests.filter(on_the_way_q()),
            "inspection": requests.filter(awaiting_inspection_q()),
            "to_issue": refunds.filter(state=Refund.State.PENDING),
            "failed": refunds.filter(state=Refund.State.FAILED),
            "processing": refunds.filter(state=Refund.State.PROCESSING),
            "replacements": ReturnLine.objects.filter(replacement_status=ReturnLine.ReplacementStatus.PENDING)
            .values("request")
            .distinct(),
            "emails_failed": Notification.objects.filter(state=Notification.State.FAILED).values("pk"),
            "messages": Message.objects.filter(messages_waiting_q()).values("pk"),
        },
        OVERVIEW_CAP,
    )
    start, end = store_week(today)
    refunds = list(
        refunds_issued_between(Refund.objects.all(), start, end)
        .order_by()
        .values("currency")
        .annotate(count=Count("pk"), total=Sum("total"))
        .order_by("currency")
    )
    return StaffOverview(
        waiting_for_review=counts["review"],
        held_for_review=counts["held"],
        overdue_to_ship=counts["overdue"],
        on_the_way=counts["on_the_way"],
        awaiting_inspection=counts["inspection"],
        refunds_to_issue=counts["to_issue"],
        refunds_failed=counts["failed"],
        refunds_processing=counts["processing"],
        replacements_to_send=counts["replacements"],
        emails_failed=counts["emails_failed"],
        messages_waiting=counts["messages"],
        week_start=start,
        week_end=end,
        refunds_this_week=refunds,
    )


def pending_photo_bytes() -> int:
    """Bytes all pending photos take in storage: the number PENDING_PHOTO_MAX_BYTES caps (a sum over an index)."""
    return PendingPhoto.objects.aggregate(total=Sum("size"))["total"] or 0


def refunds_issued_between(refunds: QuerySet, start: date, end: date) -> QuerySet:
    """Refunds marked issued with ``issued_on`` from ``start`` to ``end``, both included."""
    return refunds.filter(state=Refund.State.ISSUED, issued_on__gte=start, issued_on__lte=end)


def normalize_rma(text: str) -> str:
    """What a person typed or a scanner sent -> ``RMA-XXXX-XXXX`` when it can be read as one.

    Accepts lower case, surrounding spaces, missing dashes or prefix, and a payload
    (a URL, say) that contains the RMA.
    """
    raw = (text or "").strip().upper()
    compact = re.sub(r"[\s-]", "", raw)
    if compact.startswith("RMA"):
        compact = compact[3:]
    if re.fullmatch(r"[A-Z0-9]{8}", compact):
        return f"RMA-{compact[:4]}-{compact[4:]}"
    found = re.search(r"RMA-[A-Z0-9]{4}-[A-Z0-9]{4}", raw)
    return found.group(0) if found else raw


def return_by_rma(text: str) -> ReturnRequest | None:
    code = normalize_rma(text)
    return ReturnRequest.objects.filter(rma=code).first() if code else None


@dataclass(frozen=True)
class CustomerHistory:
    """What staff weigh at review: the same email's returns, refunds, rejections and unconfirmed fault claims."""

    email: str
    returns_90_days: int
    returns_12_months: int
    refunded_90_days: list[tuple[Decimal, str]]  # (total, currency), one per currency
    refunded_12_months: list[tuple[Decimal, str]]
    bought_12_months: Decimal  # value of the items on orders placed in 12 months
    returned_12_months: Decimal  # of those, the value asked back (requests not cancelled or rejected)
    rejections_12_months: int
    fault_claims_not_confirmed: int  # fault claims inspection did not confirm, in 12 months

    @property
    def return_rate(self) -> Decimal | None:
        """Share of the value bought in 12 months that came back, 0-1 (None with nothing bought)."""
        if not self.bought_12_months:
            return None
        return (self.returned_12_months / self.bought_12_months).quantize(Decimal("0.001"))


def customer_history(email: str, today: date | None = None) -> CustomerHistory:
    """Four queries, each on the email's index, however long the store's history."""
    today = today or store_today()
    email = normalize_email(email)
    d365 = start_of_day(today, 365)
    S = ReturnRequest.Status
    requests = ReturnRequest.objects.filter(order__email=email, created_at__gte=d365)
    counts = requests.aggregate(
        r90=Count("pk", filter=counted_in_90_days(today)),  # the count the risk rule reads
        r365=Count("pk", filter=~Q(status=S.CANCELLED)),
        rejected=Count("pk", filter=Q(status=S.REJECTED)),
    )
    refunds = (
        Refund.objects.filter(order__email=email, state=Refund.State.ISSUED, issued_on__gte=today - timedelta(days=365))
        .values("currency")
        .annotate(
            t365=Sum("total"),
            t90=Sum("total", filter=Q(issued_on__gte=today - timedelta(days=90))),
        )
        .order_by("currency")
    )
    refunds = list(refunds)
    cents = DecimalField(max_digits=14, decimal_places=2)
    value = ExpressionWrapper(F("quantity") * F("unit_price"), output_field=cents)
    bought = OrderLine.objects.filter(order__email=email, order__placed_at__gte=d365).aggregate(v=Sum(value))["v"]
    returned_value = ExpressionWrapper(F("quantity") * F("order_line__unit_price"), output_field=cents)
    lines = ReturnLine.objects.filter(order_line__order__email=email, order_line__order__placed_at__gte=d365).aggregate(
        returned=Sum(returned_value, filter=~Q(request__status__in=[S.CANCELLED, S.REJECTED])),
        unconfirmed=Count(
            "pk",
            filter=Q(reason__in=policy.FAULT_REASONS, inspected_at__isnull=False, fault_confirmed=False),
        ),
    )
    zero = Decimal("0.00")
    return CustomerHistory(
        email=email,
        returns_90_days=counts["r90"],
        returns_12_months=counts["r365"],
        refunded_90_days=[(r["t90"] or zero, r["currency"]) for r in refunds if r["t90"]],
        refunded_12_months=[(r["t365"] or zero, r["currency"]) for r in refunds],
        bought_12_months=Decimal(bought or 0),
        returned_12_months=Decimal(lines["returned"] or 0),
        rejections_12_months=counts["rejected"],
        fault_claims_not_confirmed=lines["unconfirmed"],
    )
