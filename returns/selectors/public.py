"""A return as the store's own systems see it: the fields every event sent out and every API answer carry.

Built from ``returns.selectors.summary`` (the same refund and dates the customer is shown), on a request
loaded through ``public_parts`` so it costs no query of its own, whatever the number of returns. What is
left out on purpose: photos, the customer's description, their email and any staff member's, the
staff-only failure reason of a refund and the risk rules' notes. Money is a string with two places beside
its currency, never a float.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from django.db.models import QuerySet

from returns.domain.vocabulary import AutoReview
from returns.models import Refund, ReturnLine, ReturnRequest
from returns.selectors.summary import return_summary, summary_parts


def public_parts(requests: QuerySet[ReturnRequest]) -> QuerySet[ReturnRequest]:
    """Requests with everything ``public_return`` reads: the order, the refund and the lines."""
    return summary_parts(requests.select_related("order"))


def money(value: Decimal | None) -> str | None:
    return None if value is None else str(Decimal(value).quantize(Decimal("0.01")))


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def moment(value: datetime | None) -> str | None:
    """An aware time in UTC, ISO 8601 with a Z."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _line(line: ReturnLine) -> dict:
    sold = line.order_line
    return {
        "sku": sold.sku,
        "name": sold.name,
        "quantity": line.quantity,
        "unit_price": money(sold.unit_price),
        "unit_tax": money(sold.unit_tax),
        "reason": line.reason,
        "preference": line.preference,
        "inspected": line.inspected_at is not None,
        "accepted": line.accepted,
        "fault_confirmed": line.fault_confirmed,
        "resolution": line.resolution or None,
        "replacement_status": line.replacement_status or None,
    }


def _refund(refund: Refund | None, expected: tuple[date, date] | None) -> dict | None:
    if refund is None:
        return None
    return {
        "state": refund.state,
        "currency": refund.currency,
        "merchandise": money(refund.merchandise),
        "tax": money(refund.tax),
        "shipping": money(refund.shipping),
        "deduction": money(refund.deduction),
        "total": money(refund.total),
        "breakdown": [
            {
                "label": part.get("label", ""),
                "amount": money(Decimal(part.get("amount", "0"))),
                "rule": part.get("rule"),
            }
            for part in refund.breakdown
        ],
        "issued_on": _day(refund.issued_on),
        "reference": refund.reference or None,
        "expected_between": [d.isoformat() for d in expected] if expected else None,
    }


def public_return(request: ReturnRequest, *, today: date | None = None) -> dict:
    """The return's public fields; reads only what ``public_parts`` loaded."""
    summary = return_summary(request, today=today)
    order = request.order
    return {
        "rma": request.rma,
        "order": {"number": order.number, "currency": order.currency},
        "status": request.status,
        "status_label": request.get_status_display(),
        "held_for_review": request.auto_review == AutoReview.HELD,
        "return_required": request.return_required,
        "approved_on": _day(request.approved_on),
        "ship_by": _day(request.ship_by),
        "carrier": request.carrier or None,
        "tracking_number": request.tracking_number or None,
        "created_at": moment(request.created_at),
        "updated_at": moment(request.updated_at),
        "currency": order.currency,
        "lines": [_line(line) for line in summary.lines],
        "refund": _refund(summary.refund, summary.expected_refund),
    }
