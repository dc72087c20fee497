"""Reads shared by the customer pages, the admin and the emails, with fixed query counts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet, Sum

from . import policy
from .conf import policy_config, store_today
from .models import AWAITING_INSPECTION, HELD_FOR_REVIEW, Order, OrderLine, Refund, ReturnLine, ReturnRequest


@dataclass(frozen=True)
class LineView:
    """An order line with what the customer may still do with it, and returns already made."""

    line: OrderLine
    eligibility: policy.LineEligibility
    return_lines: list[ReturnLine]


def line_facts(line: OrderLine) -> policy.LineFacts:
    """An order line as the policy sees it: what was bought, and what active returns hold."""
    return policy.LineFacts(
        quantity=line.quantity,
        final_sale=line.final_sale,
        personalized=line.personalized,
        already_requested=line.quantity_in_returns,
    )


def order_money(order: Order) -> policy.OrderMoney:
    """What the customer paid for the order (uses prefetched lines when there are)."""
    merchandise = tax = policy.ZERO
    for line in order.lines.all():
        merchandise += policy.money(line.quantity * line.unit_price)
        tax += policy.money(line.quantity * line.unit_tax)
    return policy.OrderMoney(
        merchandise=merchandise,
        tax=tax,
        shipping_charged=order.shipping_charged,
        free_shipping=order.free_shipping,
        currency=order.currency,
    )


def prior_refunds(order: Order, *, exclude_request_id: int | None = None) -> policy.PriorRefunds:
    """What earlier refunds on this order already gave back (R10 caps, once-per-order fee)."""
    qs = Refund.objects.filter(order=order)
    if exclude_request_id is not None:
        qs = qs.exclude(request_id=exclude_request_id)
    agg = qs.aggregate(
        total=Sum("total"), shipping=Sum("shipping"), fault=Sum("fault_merchandise"), deduction=Sum("deduction")
    )
    zero = policy.ZERO
    return policy.PriorRefunds(
        total=agg["total"] or zero,
        shipping=agg["shipping"] or zero,
        fault_merchandise=agg["fault"] or zero,
        deduction=agg["deduction"] or zero,
    )


def refund_for(
    order: Order,
    lines: Iterable[tuple[OrderLine, int, bool]],
    *,
    exclude_request_id: int | None = None,
) -> policy.RefundBreakdown:
    """R10 over (order line, quantity, fault confirmed) triples, after the order's earlier refunds.

    The one way a refund is computed: staff's preview and record, and the customer's estimate.
    """
    return policy.compute_refund(
        order=order_money(order),
        accepted=[
            policy.AcceptedLine(
                label=line.name,
                quantity=quantity,
                unit_price=line.unit_price,
                unit_tax=line.unit_tax,
                fault_confirmed=fault,
            )
            for line, quantity, fault in lines
        ],
        prior=prior_refunds(order, exclude_request_id=exclude_request_id),
        cfg=policy_config(),
    )


def line_eligibility(order: Order, line: OrderLine, today: date | None = None) -> policy.LineEligibility:
    return policy.line_eligibility(
        line=line_facts(line),
        delivered_on=order.delivered_on,
        today=today or store_today(),
        cfg=policy_config(),
    )


def orders_with_lines(orders: QuerySet[Order]) -> QuerySet[Order]:
    """Orders with their lines and each line's returns: three queries whatever the count."""
    return orders.prefetch_related(
        Prefetch(
            "lines",
            queryset=OrderLine.objects.prefetch_related(
                Prefetch("return_lines", queryset=ReturnLine.objects.select_related("request"))
            ),
        )
    )


def line_views(order: Order, today: date | None = None) -> list[LineView]:
    """Needs ``order`` from ``orders_with_lines`` to stay at a fixed number of queries."""
    today = today or store_today()
    return [
        LineView(line=ol, eligibility=line_eligibility(order, ol, today), return_lines=list(ol.return_lines.all()))
        for ol in order.lines.all()
    ]


def return_detail(requests: QuerySet[ReturnRequest]) -> QuerySet[ReturnRequest]:
    """A request with everything its page shows, in a fixed number of queries."""
    return requests.select_related("order", "refund", "submitted_by").prefetch_related(
        Prefetch("lines", queryset=ReturnLine.objects.select_related("order_line").prefetch_related("photos")),
        "history__by",
    )


def customer_return_detail(requests: QuerySet[ReturnRequest]) -> QuerySet[ReturnRequest]:
    """A return as its customer's page shows it: ``return_detail`` but who acted (staff only), one query less."""
    return requests.select_related("order", "refund").prefetch_related(
        Prefetch("lines", queryset=ReturnLine.objects.select_related("order_line").prefetch_related("photos")),
        "history",
    )


def return_authorization(requests: QuerySet[ReturnRequest]) -> QuerySet[ReturnRequest]:
    """A return as its printable authorization shows it: the order, and each line with its order line."""
    return requests.select_related("order").prefetch_related(
        Prefetch("lines", queryset=ReturnLine.objects.select_related("order_line"))
    )


# --- the customer portal ----------------------------------------------------


def customer_returns(requests: QuerySet[ReturnRequest]) -> QuerySet[ReturnRequest]:
    """The customer's list of returns: one query, newest first."""
    return requests.select_related("order").order_by("-created_at")


def return_for_submission(order: Order, submission_key: str) -> ReturnRequest | None:
    """The request a form with this key already made (a double click, a reload, the back button)."""
    return ReturnRequest.objects.filter(order=order, submission_key=submission_key).first()


@dataclass(frozen=True)
class Claim:
    """One line as the customer is about to ask for it, for the refund estimate."""

    order_line: OrderLine
    quantity: int
    reason: str
    preference: str = "refund"

    @property
    def is_fault(self) -> bool:
        return policy.is_fault_reason(self.reason)

    @property
    def wants_replacement(self) -> bool:
        return self.is_fault and self.preference == "replacement"


# --- the staff desk (admin) -------------------------------------------------
# The queues staff work from. One definition each, shared by the admin's list
# filters and the overview on the admin index, so a number always matches its list.


def waiting_for_review_q():
    return Q(status=ReturnRequest.Status.SUBMITTED)


def held_for_review_q():
    """Waiting for review because a risk rule held it at submission (``returns.risk``), not by mode."""
    return HELD_FOR_REVIEW


def overdue_to_ship_q(today: date):
    """R6: approved, the item must come back, and the ship-by day has passed (the day itself is on time)."""
    return Q(status=ReturnRequest.Status.APPROVED, return_required=True, ship_by__lt=today)


def awaiting_inspection_q():
    """Parcels at the warehouse, and approved requests whose item staff chose not to have sent back (R9)."""
    return AWAITING_INSPECTION


def store_week(today: date) -> tuple[date, date]:
    """Monday to Sunday of the store's week holding ``today``."""
    from datetime import timedelta

    monday = today - timedelta(days=today.weekday())
    return monday, monday + timedelta(days=6)


def on_the_way_q():
    """The customer shipped it; the warehouse expects the parcel."""
    return Q(status=ReturnRequest.Status.SHIPPED)


def replacements_to_send_q():
    """Requests with a line whose replacement staff have not sent yet (R9)."""
    from django.db.models import Exists, OuterRef

    pending = ReturnLine.objects.filter(request=OuterRef("pk"), replacement_status=ReturnLine.ReplacementStatus.PENDING)
    return Q(Exists(pending))


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
    from django.db import connection

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


def staff_overview(today: date | None = None) -> StaffOverview:
    """The admin index's numbers: two queries, each count capped at OVERVIEW_CAP and read from an index."""
    from django.db.models import Count

    from .models import Notification, Refund

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
        week_start=start,
        week_end=end,
        refunds_this_week=refunds,
    )


def refunds_issued_between(refunds: QuerySet, start: date, end: date) -> QuerySet:
    """Refunds marked issued with ``issued_on`` from ``start`` to ``end``, both included."""
    from .models import Refund

    return refunds.filter(state=Refund.State.ISSUED, issued_on__gte=start, issued_on__lte=end)


def normalize_rma(text: str) -> str:
    """What a person typed or a scanner sent -> ``RMA-XXXX-XXXX`` when it can be read as one.

    Accepts lower case, surrounding spaces, missing dashes or prefix, and a payload
    (a URL, say) that contains the RMA.
    """
    import re

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


# --- risk at review: the customer's history for the same email ------------------


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
    from datetime import datetime, time, timedelta

    from django.db.models import Count, DecimalField, ExpressionWrapper, F
    from django.utils import timezone

    today = today or store_today()
    email = (email or "").strip().lower()

    def since(days: int):
        return timezone.make_aware(datetime.combine(today - timedelta(days=days), time.min))

    d90, d365 = since(90), since(365)
    S = ReturnRequest.Status
    requests = ReturnRequest.objects.filter(order__email=email, created_at__gte=d365)
    counts = requests.aggregate(
        r90=Count("pk", filter=Q(created_at__gte=d90) & ~Q(status=S.CANCELLED)),
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
