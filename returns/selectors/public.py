"""A return as the store's own systems see it: the fields every event sent out and every API answer carry.

Built from ``returns.selectors.summary`` (the same refund and dates the customer is shown), on a request
loaded through ``public_parts`` so it costs no query of its own, whatever the number of returns. What is
left out on purpose: photos, the customer's description, their email and any staff member's, the
staff-only failure reason of a refund and the risk rules' notes. Money is a string with two places beside
its currency, never a float.

The API (``returns.api.store``) reads its pages here too: ``returns_page`` and ``refunds_page`` walk the
rows in (updated_at, id) order from a position (keyset, so a row changed between two pages moves to the
end instead of shifting the others), each page in a fixed number of queries whatever its size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Model, Prefetch, Q, QuerySet

from returns.domain.estimates import Estimate
from returns.domain.events import PUBLIC_TYPES, Event
from returns.domain.vocabulary import AutoReview
from returns.models import Refund, ReturnLine, ReturnRequest, StatusChange
from returns.selectors.summary import expected_refund, return_summary, summary_parts


def public_parts(requests: QuerySet[ReturnRequest]) -> QuerySet[ReturnRequest]:
    """Requests with everything ``public_return`` reads: the order, the refund and the lines."""
    return summary_parts(requests.select_related("order"))


def public_detail_parts(requests: QuerySet[ReturnRequest]) -> QuerySet[ReturnRequest]:
    """``public_parts`` and the history, for ``public_return_detail``."""
    return public_parts(requests).prefetch_related(
        Prefetch("history", queryset=StatusChange.objects.order_by("at", "id"))
    )


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


def public_step(change: StatusChange) -> dict:
    """A history row's move, as an event's data and the API's history carry it: the note only where the
    customer reads it too (a processor's error stays between staff)."""
    event = Event.lookup(change.event)
    return {
        "from_status": change.from_status or None,
        "to_status": change.to_status,
        "note": change.note if event is not None and event.customer_sees and change.note else None,
    }


def _estimate(stored: dict[str, Any]) -> dict | None:
    """The estimate shown before submitting, as kept with the request; the payment method is left out."""
    estimate = Estimate.from_json(stored)
    if estimate is None:
        return None
    return {
        "currency": estimate.currency,
        "outcomes": [
            {
                "key": outcome.key,
                "title": outcome.title,
                "total": money(outcome.total),
                "because": outcome.because or None,
                "rows": [
                    {"label": r.label, "amount": money(r.amount), "rule": r.rule or None, "explanation": r.explanation}
                    for r in outcome.rows
                ],
            }
            for outcome in estimate.outcomes
        ],
        "replacements": list(estimate.replacements),
        "notes": [{"name": n.name, "message": n.message, "rule": n.rule or None} for n in estimate.notes],
        "problem": estimate.problem or None,
    }


def public_return_detail(request: ReturnRequest, *, today: date | None = None) -> dict:
    """``public_return`` with the history (every step, oldest first, by its public type) and the estimate;
    reads only what ``public_detail_parts`` loaded."""
    history = []
    for change in request.history.all():
        event = Event.lookup(change.event)
        if event is not None:
            history.append({"type": PUBLIC_TYPES[event], "at": moment(change.at), **public_step(change)})
    return {**public_return(request, today=today), "history": history, "estimate": _estimate(request.estimate)}


def public_refund(refund: Refund) -> dict:
    """A refund as the API lists it: the refund fields every event carries, with its return and order."""
    request = refund.request
    return {
        "rma": request.rma,
        "order": {"number": refund.order.number, "currency": refund.order.currency},
        "return_status": request.status,
        "created_at": moment(refund.created_at),
        "updated_at": moment(refund.updated_at),
        **(_refund(refund, expected_refund(refund)) or {}),
    }


# --- the API's pages ----------------------------------------------------------------------------------

Position = tuple[datetime, int]  # (updated_at, id) of the last row a page gave


@dataclass(frozen=True)
class Page:
    rows: list
    has_more: bool

    @property
    def last(self) -> Position | None:
        return (self.rows[-1].updated_at, self.rows[-1].pk) if self.rows else None


def _page(rows: QuerySet, *, after: Position | None, limit: int, **lookups) -> Page:
    """``limit`` rows from after ``after``, matching the ``lookups`` given (None: that filter is not asked)."""
    rows = rows.filter(**{lookup: value for lookup, value in lookups.items() if value is not None})
    if after is not None:
        at, pk = after
        rows = rows.filter(Q(updated_at__gt=at) | Q(updated_at=at, pk__gt=pk))
    found: list[Model] = list(rows.order_by("updated_at", "id")[: limit + 1])
    return Page(rows=found[:limit], has_more=len(found) > limit)


def returns_page(
    *,
    updated_since: datetime | None = None,
    status: str | None = None,
    order: str | None = None,
    after: Position | None = None,
    limit: int,
) -> Page:
    """Returns in (updated_at, id) order, loaded for ``public_return``; ``order`` is the order's number. Two queries
    whatever ``limit``."""
    return _page(
        public_parts(ReturnRequest.objects.all()),
        after=after,
        limit=limit,
        updated_at__gte=updated_since,
        status=status,
        order__number=order,
    )


def refunds_page(
    *,
    issued_since: date | None = None,
    updated_since: datetime | None = None,
    state: str | None = None,
    after: Position | None = None,
    limit: int,
) -> Page:
    """Refunds in (updated_at, id) order, with their return and order: one query whatever ``limit``."""
    return _page(
        Refund.objects.select_related("request", "order"),
        after=after,
        limit=limit,
        issued_on__gte=issued_since,
        updated_at__gte=updated_since,
        state=state,
    )
