"""Which status may follow which: the one table, and the one check.

Who may take a step, and what else it needs, is ``returns.domain.steps``: every step check
there consults this table.
"""

from typing import Any

from returns.domain.vocabulary import ReturnStatus
from returns.exceptions import InvalidTransition

S = ReturnStatus

ALLOWED: dict[str, frozenset[str]] = {
    S.SUBMITTED: frozenset({S.APPROVED, S.REJECTED, S.CANCELLED}),
    # INSPECTED straight from APPROVED only when staff waived the return (R9).
    S.APPROVED: frozenset({S.SHIPPED, S.RECEIVED, S.CANCELLED, S.EXPIRED, S.INSPECTED}),
    S.SHIPPED: frozenset({S.RECEIVED}),
    S.EXPIRED: frozenset({S.APPROVED}),
    S.RECEIVED: frozenset({S.INSPECTED}),
    S.INSPECTED: frozenset({S.REFUNDED, S.COMPLETED}),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
    S.REFUNDED: frozenset(),
    S.COMPLETED: frozenset(),
}

VERBS: dict[str, str] = {
    S.APPROVED: "approve",
    S.REJECTED: "reject",
    S.CANCELLED: "cancel",
    S.EXPIRED: "expire",
    S.SHIPPED: "record a shipment for",
    S.RECEIVED: "receive",
    S.INSPECTED: "inspect",
    S.REFUNDED: "refund",
    S.COMPLETED: "complete",
}


def can_transition(current: str, target: str) -> bool:
    return target in ALLOWED.get(current, frozenset())


def refusal(rma: str, current: str, target: str) -> str:
    """Why ``current`` cannot become ``target``, in the customer's words for the status."""
    return f"Cannot {VERBS.get(target, target)} {rma}: it is {S(current).label.lower()}."


def check_transition(request: Any, target: str) -> None:
    """``request`` is anything with ``rma`` and ``status`` (a ReturnRequest, ``steps.ReturnFacts``)."""
    if not can_transition(request.status, target):
        raise InvalidTransition(refusal(request.rma, request.status, target))
