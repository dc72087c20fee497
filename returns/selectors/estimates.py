"""The refund estimate for claims on an order: the refunds computed through ``refund_for`` (the one
way a refund is computed), shaped and worded by ``returns.domain.estimates``."""

from __future__ import annotations

from collections.abc import Sequence

from returns.domain import policy
from returns.domain.estimates import Estimate, Note, excluded_unless_fault, from_outcomes
from returns.selectors.policy_facts import Claim, refund_for


def build(order, claims: Sequence[Claim], notes: Sequence[Note] = ()) -> Estimate:
    """The estimate for these claims. ``order`` with its lines prefetched keeps it at one query per outcome."""
    shape = {"currency": order.currency, "payment_method": order.payment_method, "claims": claims, "notes": notes}
    if not claims:
        return from_outcomes(**shape)
    try:
        confirmed = refund_for(
            order, [(c.order_line, c.quantity, c.is_fault) for c in claims if not c.wants_replacement]
        )
        if not any(c.is_fault for c in claims):
            return from_outcomes(**shape, confirmed=confirmed)
        # No fault found: a standard item is refunded as a standard return, an excluded one not at all.
        not_confirmed = refund_for(
            order, [(c.order_line, c.quantity, False) for c in claims if not (c.is_fault and excluded_unless_fault(c))]
        )
    except policy.PolicyError as exc:
        return from_outcomes(**shape, problem=str(exc))
    return from_outcomes(**shape, confirmed=confirmed, not_confirmed=not_confirmed)
