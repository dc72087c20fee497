"""Reads shared by the customer pages, the admin and the emails, with fixed query counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch, QuerySet

from . import policy
from .conf import policy_config, store_today
from .models import Order, OrderLine, ReturnLine, ReturnRequest


@dataclass(frozen=True)
class LineView:
    """An order line with what the customer may still do with it, and returns already made."""

    line: OrderLine
    eligibility: policy.LineEligibility
    return_lines: list[ReturnLine]


def line_eligibility(order: Order, line: OrderLine, today: date | None = None) -> policy.LineEligibility:
    return policy.line_eligibility(
        line=policy.LineFacts(
            quantity=line.quantity,
            final_sale=line.final_sale,
            personalized=line.personalized,
            already_requested=line.quantity_in_returns,
        ),
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
