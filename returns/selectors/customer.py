"""Reads for the customer's pages: their orders with each line's eligibility, their returns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch, QuerySet

from returns.conf import store_today
from returns.domain import policy
from returns.models import Message, Order, OrderLine, ReturnLine, ReturnRequest
from returns.selectors.policy_facts import line_eligibility


@dataclass(frozen=True)
class LineView:
    """An order line with what the customer may still do with it, and returns already made."""

    line: OrderLine
    eligibility: policy.LineEligibility
    return_lines: list[ReturnLine]


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
        Prefetch(
            "lines",
            queryset=ReturnLine.objects.select_related("order_line", "exception_by").prefetch_related("photos"),
        ),
        "history__by",
        Prefetch("messages", queryset=Message.objects.select_related("by").prefetch_related("photos")),
    )


def customer_return_detail(requests: QuerySet[ReturnRequest]) -> QuerySet[ReturnRequest]:
    """A return as its customer's page shows it: ``return_detail`` but who acted (staff only), and its conversation."""
    return requests.select_related("order", "refund").prefetch_related(
        Prefetch("lines", queryset=ReturnLine.objects.select_related("order_line").prefetch_related("photos")),
        "history",
        Prefetch("messages", queryset=Message.objects.prefetch_related("photos")),
    )


def return_authorization(requests: QuerySet[ReturnRequest]) -> QuerySet[ReturnRequest]:
    """A return as its printable authorization shows it: the order, and each line with its order line."""
    return requests.select_related("order").prefetch_related(
        Prefetch("lines", queryset=ReturnLine.objects.select_related("order_line"))
    )


def customer_returns(requests: QuerySet[ReturnRequest]) -> QuerySet[ReturnRequest]:
    """The customer's list of returns: one query, newest first."""
    return requests.select_related("order").order_by("-created_at")


def return_for_submission(order: Order, submission_key: str) -> ReturnRequest | None:
    """The request a form with this key already made (a double click, a reload, the back button)."""
    return ReturnRequest.objects.filter(order=order, submission_key=submission_key).first()
