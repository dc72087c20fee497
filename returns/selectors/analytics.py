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
  they were submitted (``auto_review``), as a share of the approved ones.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from returns.conf import store_date
from returns.domain.events import Event
from returns.models import AutoReview, OrderLine, Reason, Refund, ReturnLine, ReturnRequest, StatusChange

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
