"""Who may take which step on a return now, and if not, why: one check per step.

Like Oscar's ``available_statuses()``: each ``can_<step>`` takes plain facts (the return's,
the refund's or a line's) and the actor's permissions, and answers with an ``Answer``: true
when the step may be taken, otherwise the sentence and the error the service raises. The
services ask under their row lock and raise it; the admin's buttons and the customer's page ask
the same functions to decide what to offer. Every check that moves a status consults the one
transition table (``returns.domain.transitions``).

Permissions are anything ``perm in perms`` works on: a frozenset of names (tests, ``AUTOMATIC``)
or ``returns.roles.UserPermissions`` (a user). Pure: nothing here reads the database.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from returns.domain import policy
from returns.domain.policy import day
from returns.domain.transitions import can_transition, refusal
from returns.domain.vocabulary import RefundState, ReplacementStatus, ReturnStatus
from returns.exceptions import AlreadyDone, InvalidTransition, NotAllowed, ReturnsError
from returns.roles import (
    PERM_INSPECT,
    PERM_ISSUE_REFUND,
    PERM_RECEIVE,
    PERM_REINSTATE,
    PERM_REPLACEMENT,
    PERM_REVIEW,
)

S = ReturnStatus
Permissions = Container[str]


# --- the facts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnFacts:
    """What the checks read of a return request."""

    rma: str
    status: str
    return_required: bool | None = None
    ship_by: date | None = None
    reminder_sent_on: date | None = None

    @classmethod
    def of(cls, request: Any) -> ReturnFacts:
        """The facts of a ``ReturnRequest`` (read from its fields; no query)."""
        return cls(
            rma=request.rma,
            status=request.status,
            return_required=request.return_required,
            ship_by=request.ship_by,
            reminder_sent_on=request.reminder_sent_on,
        )


@dataclass(frozen=True)
class RefundFacts:
    """What the checks read of a refund."""

    state: str
    issued_on: date | None = None
    reference: str = ""

    @classmethod
    def of(cls, refund: Any) -> RefundFacts:
        return cls(state=refund.state, issued_on=refund.issued_on, reference=refund.reference)


@dataclass(frozen=True)
class ReplacementFacts:
    """What the checks read of a returned line's replacement (R9)."""

    name: str
    status: str = ReplacementStatus.NONE

    @classmethod
    def of(cls, line: Any) -> ReplacementFacts:
        """From a ``ReturnLine`` with its ``order_line`` loaded."""
        return cls(name=line.order_line.name, status=line.replacement_status)


# --- the answer ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """True when the step may be taken; otherwise ``why``, in the words the person reads, and
    the error a service raises for it."""

    why: str = ""
    error: type[ReturnsError] | None = None
    rule: str | None = None

    def __bool__(self) -> bool:
        return self.error is None

    def or_raise(self) -> None:
        if self.error is not None:
            raise self.error(self.why, rule=self.rule)


YES = Answer()


def _no(error: type[ReturnsError], why: str, rule: str | None = None) -> Answer:
    return Answer(why=why, error=error, rule=rule)


def _move(ret: ReturnFacts, target: str) -> Answer:
    """The transition table's answer for moving this return to ``target``."""
    if can_transition(ret.status, target):
        return YES
    return _no(InvalidTransition, refusal(ret.rma, ret.status, target))


# --- roles -------------------------------------------------------------------------------


class Step(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    CANCEL = "cancel"
    RECORD_SHIPMENT = "record_shipment"
    RECEIVE = "receive"
    INSPECT = "inspect"
    REINSTATE = "reinstate"
    ISSUE_REFUND = "issue_refund"
    MARK_REFUND_FAILED = "mark_refund_failed"
    SEND_REPLACEMENT = "send_replacement"
    SEND_REMINDER = "send_reminder"
    EXPIRE = "expire"


# The permission each staff step needs, and what its refusal says the role does not allow.
# The customer's steps (cancel, record a shipment) need none: only the return's customer, or
# staff, reach them (``returns.services.guest_access``); the deadline job's need none either.
ROLE: dict[Step, tuple[str, str]] = {
    Step.APPROVE: (PERM_REVIEW, "approve returns"),
    Step.REJECT: (PERM_REVIEW, "reject returns"),
    Step.RECEIVE: (PERM_RECEIVE, "receive parcels"),
    Step.INSPECT: (PERM_INSPECT, "inspect returns"),
    Step.REINSTATE: (PERM_REINSTATE, "reinstate returns"),
    Step.ISSUE_REFUND: (PERM_ISSUE_REFUND, "issue refunds"),
    Step.MARK_REFUND_FAILED: (PERM_ISSUE_REFUND, "manage refunds"),
    Step.SEND_REPLACEMENT: (PERM_REPLACEMENT, "arrange replacements"),
}
# R9: an item staff let the customer keep is inspected by whoever approved it: customer service.
INSPECT_KEPT = (PERM_REVIEW, "inspect returns that are not sent back")


def _role(perms: Permissions, needed: tuple[str, str]) -> Answer:
    perm, doing = needed
    if perm in perms:
        return YES
    return _no(NotAllowed, f"Your role does not allow you to {doing}.")


def may(step: Step, perms: Permissions) -> Answer:
    """Whether the actor's role allows this step at all: the first thing its check asks.

    A service asks it before reading the form too, so someone without the role hears that
    first, whatever they typed.
    """
    return _role(perms, ROLE[step]) if step in ROLE else YES


# --- the steps of a return request --------------------------------------------------------


def can_approve(ret: ReturnFacts, perms: Permissions) -> Answer:
    """R5: a submitted request is approved (by customer service, or the risk rules as ``AUTOMATIC``)."""
    if not (answer := may(Step.APPROVE, perms)):
        return answer
    if not (answer := _move(ret, S.APPROVED)):
        return answer
    if ret.status != S.SUBMITTED:  # the table's expired -> approved is reinstating, a step of its own
        return _no(InvalidTransition, f"{ret.rma} is not waiting for review.")
    return YES


def can_reject(ret: ReturnFacts, perms: Permissions) -> Answer:
    if not (answer := may(Step.REJECT, perms)):
        return answer
    return _move(ret, S.REJECTED)


def can_cancel(ret: ReturnFacts) -> Answer:
    """The customer (or staff for them) withdraws a request whose parcel is not on its way."""
    if can_transition(ret.status, S.CANCELLED):
        return YES
    return _no(InvalidTransition, f"{ret.rma} can no longer be cancelled: it is {_status(ret)}.")


def can_record_shipment(ret: ReturnFacts) -> Answer:
    """R6: the customer records the carrier and tracking of an item that must come back, and may
    record them again, to correct them, until it arrives."""
    if ret.status == S.APPROVED and not ret.return_required:
        return _no(InvalidTransition, f"{ret.rma} does not need to be sent back.")
    if ret.status == S.SHIPPED:
        return YES
    return _move(ret, S.SHIPPED)


def can_receive(ret: ReturnFacts, perms: Permissions) -> Answer:
    if not (answer := may(Step.RECEIVE, perms)):
        return answer
    if ret.status == S.RECEIVED:
        return _no(AlreadyDone, f"{ret.rma} was already received.")
    if ret.status == S.APPROVED and ret.return_required is False:
        return _no(InvalidTransition, f"{ret.rma} was approved without sending the item back: inspect it instead.")
    return _move(ret, S.RECEIVED)


def can_inspect(ret: ReturnFacts, perms: Permissions) -> Answer:
    """R9: a received parcel is inspected by the warehouse; an item the customer keeps, by customer service."""
    if ret.status == S.APPROVED and ret.return_required:
        return _no(InvalidTransition, f"{ret.rma} must be received before it is inspected.")
    if not (answer := _role(perms, INSPECT_KEPT if ret.status == S.APPROVED else ROLE[Step.INSPECT])):
        return answer
    return _move(ret, S.INSPECTED)


def can_reinstate(ret: ReturnFacts, perms: Permissions) -> Answer:
    """R6: customer service gives an expired request a new ship-by day."""
    if not (answer := may(Step.REINSTATE, perms)):
        return answer
    if not (answer := _move(ret, S.APPROVED)):
        return answer
    if ret.status != S.EXPIRED:
        return _no(InvalidTransition, f"{ret.rma} has not expired.")
    return YES


def can_send_reminder(ret: ReturnFacts, today: date, cfg: policy.PolicyConfig) -> Answer:
    """R6: the deadline job reminds once, in the reminder window, of a parcel that could still expire."""
    if not can_transition(ret.status, S.EXPIRED) or not ret.ship_by:
        return _no(InvalidTransition, f"{ret.rma} has no parcel waiting to be sent.")
    if ret.reminder_sent_on is not None:
        return _no(AlreadyDone, f"{ret.rma} was already reminded.")
    if not (policy.ship_by_reminder_date(ret.ship_by, cfg) <= today <= ret.ship_by):
        return _no(InvalidTransition, f"{ret.rma} is not in its reminder window.")
    return YES


def can_expire(ret: ReturnFacts, today: date) -> Answer:
    """R6: the deadline job expires an approved request not shipped by its ship-by day."""
    if not (answer := _move(ret, S.EXPIRED)):
        return answer
    if not ret.ship_by or not policy.is_ship_by_overdue(ret.ship_by, today):
        return _no(InvalidTransition, f"{ret.rma} is not past its ship-by day.")
    return YES


# --- the refund and the replacements ---------------------------------------------------------


def can_issue_refund(refund: RefundFacts, perms: Permissions, *, provider: str = "") -> Answer:
    """R11, R12: a refund is paid once: not again once issued, nor while the provider has it.

    ``provider`` is the label of the provider it would be sent through ("" when paid by hand).
    """
    if not (answer := may(Step.ISSUE_REFUND, perms)):
        return answer
    if refund.state == RefundState.ISSUED:
        # An issued refund has its day (a constraint of the table); "earlier" only keeps the type honest.
        on = day(refund.issued_on) if refund.issued_on else "an earlier day"
        why = f"This refund was already issued on {on} (reference {refund.reference})."
        return _no(AlreadyDone, why, rule="R12")
    if refund.state == RefundState.PROCESSING:
        if provider:
            why = f"This refund was already sent to {provider} and is waiting for its answer; nothing is sent twice."
        else:
            why = "This refund is at the payment provider, waiting for its answer."
        return _no(AlreadyDone, why, rule="R12")
    return YES


def can_mark_refund_failed(refund: RefundFacts, perms: Permissions) -> Answer:
    if not (answer := may(Step.MARK_REFUND_FAILED, perms)):
        return answer
    if refund.state != RefundState.PENDING:
        state = RefundState(refund.state).label.lower()
        return _no(InvalidTransition, f"Only a refund waiting to be issued can fail; this one is {state}.")
    return YES


def can_send_replacement(line: ReplacementFacts, perms: Permissions) -> Answer:
    """R9: the replacement an inspection promised is sent, once."""
    if not (answer := may(Step.SEND_REPLACEMENT, perms)):
        return answer
    if line.status == ReplacementStatus.SENT:
        return _no(AlreadyDone, f"The replacement for {line.name} was already sent.")
    if line.status != ReplacementStatus.PENDING:
        return _no(InvalidTransition, f"No replacement is due for {line.name}.")
    return YES


def _status(ret: ReturnFacts) -> str:
    return S(ret.status).label.lower()
