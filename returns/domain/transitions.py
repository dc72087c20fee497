"""Which status may follow which: the one table, and the one check."""

from returns.exceptions import InvalidTransition
from returns.models import ReturnRequest

S = ReturnRequest.Status

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

VERBS = {
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


def check_transition(request: ReturnRequest, target: str) -> None:
    if not can_transition(request.status, target):
        current = S(request.status).label
        raise InvalidTransition(f"Cannot {VERBS.get(target, target)} {request.rma}: it is {current.lower()}.")
