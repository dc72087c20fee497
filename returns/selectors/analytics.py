"""What comes back and why, for a date range: the numbers behind the staff's analytics page.

Every figure is an aggregate in the database (a fixed number of queries, whatever the range),
except the median, which reads one (request, received, refunded) row per refund in the range.

Definitions (the page says them too):
- returns per week: requests created that week (Monday start, store time), any status;
- refunded per week: refunds issued that week (``issued_on``), per currency;
- top SKUs: units in requests created in the range that were not cancelled or rejected, against
  units sold on orders placed in the range (the imported orders); return rate = returned / sold;
- reasons: lines of requests created in the range; "fault confirmed" = inspected lines staff
  confirmed at fault, as a share of inspected lines with that reason;
- median days from received to refunded: refunds issued in the range whose parcel was received
  (requests approved without sending the item back have no "received" day and are left out);
- approved automatically: requests created in the range that ``returns.domain.risk`` approved as
  they were submitted (``auto_review``), as a share of the approved ones;
- goodwill exceptions: lines of requests created in the range that staff accepted as an exception
  (the window, R1, or an exclusion, R3), counted and valued (units x price paid with tax) by rule
  and by the staff member who granted them;
- median time to first reply: for each return whose first customer message was written in the
  range, the time from it to the first staff reply after it (returns not answered yet are left out).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Max, Min, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from returns.conf import store_date
from returns.domain.events import Event
from returns.models import AutoReview, Message, OrderLine, Reason, Refund, ReturnLine, ReturnRequest, StatusChange

S = ReturnRequest.Status
NOT_RETURNED = (S.CANCELLED, S.REJECTED)
TOP_SKUS = 10
CENT = Decimal("0.01")


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _moment(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass(frozen=True)
class Week:
    start: date
    returns: int
    refunded: dict[str, Decimal]  # currency -> total issued that week


@dataclass(frozen=True)
class SkuRow:
    sku: str
    name: str
    returned: int
    sold: int

    @property
    def rate(self) -> Decimal | None:
        return (Decimal(self.returned) / self.sold).quantize(Decimal("0.001")) if self.sold else None


@dataclass(frozen=True)
class ReasonRow:
    reason: str
    label: str
    lines: int
    inspected: int
    fault_confirmed: int

    @property
    def confirmed_share(self) -> Decimal | None:
        return (Decimal(self.fault_confirmed) / self.inspected).quantize(Decimal("0.001")) if self.inspected else None


@dataclass(frozen=True)
class ExceptionRow:
    rule: str  # "R1", "R3" or "R1,R3"
    granted_by: str
    lines: int
    value: dict[str, Decimal]  # currency -> units x (price + tax)


@dataclass(frozen=True)
class Analytics:
    start: date
    end: date
    weeks: list[Week]
    skus: list[SkuRow]
    reasons: list[ReasonRow]
    median_days_received_to_refunded: Decimal | None
    refunds_timed: int
    approved: int
    approved_automatically: int
    exceptions: list[ExceptionRow] = field(default_factory=list)
    median_hours_to_first_reply: Decimal | None = None
    threads_answered: int = 0

    @property
    def auto_share(self) -> Decimal | None:
        return (
            (Decimal(self.approved_automatically) / self.approved).quantize(Decimal("0.001")) if self.approved else None
        )

    @property
    def currencies(self) -> list[str]:
        return sorted({c for w in self.weeks for c in w.refunded})

    @property
    def total_returns(self) -> int:
        return sum(w.returns for w in self.weeks)


def returns_analytics(start: date, end: date) -> Analytics:
    """Figures for requests and refunds from ``start`` to ``end`` (store dates, both included)."""
    since, until = _moment(start), _moment(end + timedelta(days=1))
    requests = ReturnRequest.objects.filter(created_at__gte=since, created_at__lt=until)

    # Per day in the database, folded into Monday weeks here: the same on SQLite and PostgreSQL.
    per_day = requests.annotate(day=TruncDate("created_at")).values("day").annotate(n=Count("pk")).order_by()
    counts: dict[date, int] = {}
    for row in per_day:
        week = monday(row["day"])
        counts[week] = counts.get(week, 0) + row["n"]
    refunded: dict[date, dict[str, Decimal]] = {}
    issued = Refund.objects.filter(state=Refund.State.ISSUED, issued_on__gte=start, issued_on__lte=end)
    for row in issued.values("issued_on", "currency").annotate(total=Sum("total")).order_by():
        week = refunded.setdefault(monday(row["issued_on"]), {})
        total = week.get(row["currency"], Decimal("0")) + Decimal(str(row["total"]))
        week[row["currency"]] = total.quantize(CENT)
    weeks = []
    week = monday(start)
    while week <= end:
        weeks.append(Week(week, counts.get(week, 0), refunded.get(week, {})))
        week += timedelta(days=7)

    kept = ReturnLine.objects.filter(request__in=requests.exclude(status__in=NOT_RETURNED))
    by_sku = list(
        kept.values("order_line__sku").annotate(units=Sum("quantity")).order_by("-units", "order_line__sku")[:TOP_SKUS]
    )
    skus = [row["order_line__sku"] for row in by_sku]
    sold_rows = (
        OrderLine.objects.filter(sku__in=skus, order__placed_at__gte=since, order__placed_at__lt=until)
        .values("sku")
        .annotate(units=Sum("quantity"), name=Max("name"))
        .order_by()
    )
    sold = {row["sku"]: row for row in sold_rows}
    sku_rows = [
        SkuRow(
            sku=row["order_line__sku"],
            name=sold.get(row["order_line__sku"], {}).get("name", ""),
            returned=row["units"],
            sold=sold.get(row["order_line__sku"], {}).get("units", 0),
        )
        for row in by_sku
    ]

    reason_counts = {
        row["reason"]: row
        for row in ReturnLine.objects.filter(request__in=requests)
        .values("reason")
        .annotate(
            lines=Count("pk"),
            inspected=Count("pk", filter=Q(inspected_at__isnull=False)),
            confirmed=Count("pk", filter=Q(inspected_at__isnull=False, fault_confirmed=True)),
        )
        .order_by()
    }
    reasons = [
        ReasonRow(value, label, row["lines"], row["inspected"], row["confirmed"])
        for value, label in Reason.choices
        if (row := reason_counts.get(value))
    ]
    reasons.sort(key=lambda r: (-r.lines, r.label))

    timed = list(issued.values_list("request_id", "issued_on"))
    received = {}
    for request_id, at in (
        StatusChange.objects.filter(request_id__in=[r for r, _ in timed], event=Event.RECEIVED)
        .order_by("at")
        .values_list("request_id", "at")
    ):
        received.setdefault(request_id, store_date(at))
    days = [(issued_on - received[r]).days for r, issued_on in timed if r in received]
    median = Decimal(str(statistics.median(days))).quantize(Decimal("0.1")) if days else None

    # Automatic is what the risk rules recorded on the request: an approval with no user may also be
    # a person's whose staff account was deleted since.
    approvals = StatusChange.objects.filter(request__in=requests, event=Event.APPROVED).aggregate(
        approved=Count("request", distinct=True),
        auto=Count("request", distinct=True, filter=Q(request__auto_review=AutoReview.APPROVED)),
    )
    return Analytics(
        exceptions=_exceptions(requests),
        **_first_replies(since, until),
        start=start,
        end=end,
        weeks=weeks,
        skus=sku_rows,
        reasons=reasons,
        median_days_received_to_refunded=median,
        refunds_timed=len(days),
        approved=approvals["approved"],
        approved_automatically=approvals["auto"],
    )


def _exceptions(requests) -> list[ExceptionRow]:
    """Goodwill exceptions granted on the range's requests, by rule and staff member: one aggregate query."""
    value = ExpressionWrapper(
        F("quantity") * (F("order_line__unit_price") + F("order_line__unit_tax")),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )
    rows = (
        ReturnLine.objects.filter(request__in=requests)
        .exclude(exception_rules="")
        .values("exception_rules", "exception_by__email", "request__order__currency")
        .annotate(lines=Count("pk"), value=Sum(value))
        .order_by("exception_rules", "exception_by__email")
    )
    out: dict[tuple[str, str], ExceptionRow] = {}
    for row in rows:
        key = (row["exception_rules"], row["exception_by__email"] or "(account deleted)")
        found = out.setdefault(key, ExceptionRow(key[0], key[1], 0, {}))
        currency = row["request__order__currency"]
        amount = Decimal(str(row["value"] or 0)).quantize(CENT)
        found.value[currency] = found.value.get(currency, Decimal("0")) + amount
        out[key] = ExceptionRow(found.rule, found.granted_by, found.lines + row["lines"], found.value)
    return list(out.values())


def _first_replies(since: datetime, until: datetime) -> dict:
    """Median hours from a return's first customer message (written in the range) to staff's first reply after it."""
    firsts = dict(
        Message.objects.filter(author=Message.Author.CUSTOMER, request__isnull=False)
        .values("request")
        .annotate(first=Min("created_at"))
        .filter(first__gte=since, first__lt=until)
        .values_list("request", "first")
    )
    replies: dict[int, datetime] = {}
    for request_id, at in (
        Message.objects.filter(author=Message.Author.STAFF, request_id__in=list(firsts), created_at__gte=since)
        .order_by("created_at")
        .values_list("request_id", "created_at")
    ):
        if at >= firsts[request_id]:
            replies.setdefault(request_id, at)
    hours = [(replies[r] - firsts[r]).total_seconds() / 3600 for r in replies]
    median = Decimal(str(statistics.median(hours))).quantize(Decimal("0.1")) if hours else None
    return {"median_hours_to_first_reply": median, "threads_answered": len(hours)}
