"""The facts the pure policy needs, read from the database: a line's units, an order's money,
the refunds already made, and the refund for a set of claims."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date

from django.db.models import Sum

from returns.conf import policy_config, store_today
from returns.domain import policy
from returns.models import Order, OrderLine, Refund


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
    exceptions: Mapping[int, str] | None = None,
) -> policy.RefundBreakdown:
    """R10 over (order line, quantity, fault confirmed) triples, after the order's earlier refunds.

    ``exceptions``: order line id -> the rules a goodwill exception set aside ("R1,R3"), said in the breakdown.

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
                exception=frozenset(filter(None, (exceptions or {}).get(line.pk, "").split(","))),
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


def waived_eligibility(order: Order, line: OrderLine, today: date | None = None) -> policy.LineEligibility:
    """The line as a goodwill exception would see it: the window and the exclusions set aside, R4 as ever."""
    return policy.line_eligibility(
        line=line_facts(line),
        delivered_on=order.delivered_on,
        today=today or store_today(),
        cfg=policy_config(),
        waive=policy.WAIVABLE_RULES,
    )


def exception_offers(order: Order, views: list, today: date | None = None) -> tuple[list, dict[int, str]]:
    """The lines as staff who may grant exceptions see them: a line that the window (R1) or an exclusion (R3)
    refuses, but a goodwill exception would let through, comes with its eligibility as if they did not, and with
    what the exception sets aside, in the rules' own words (order line id -> text)."""
    offered, out = {}, []
    for view in views:
        e = view.eligibility
        refused = [d for d in (e.window, e.exclusion) if d is not None and not d.ok]
        waived = waived_eligibility(order, view.line, today) if refused else None
        if waived is not None and waived.can_return:
            offered[view.line.pk] = " ".join(f"{d.message} ({d.rule})" for d in refused)
            view = replace(view, eligibility=waived)
        out.append(view)
    return out, offered


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
