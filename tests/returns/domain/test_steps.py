"""Every step a return can take, allowed and refused, by status and by role.

returns/domain/steps.py is pure: no test here touches the database (pytest-django would
refuse it), so the whole table of statuses, roles and refund states is checked directly.
The messages are the ones the services raise and the admin and the customer's page show.
"""

from datetime import date, timedelta

import pytest

from returns.domain import steps
from returns.domain.policy import PolicyConfig
from returns.domain.steps import RefundFacts, ReplacementFacts, ReturnFacts, Step
from returns.domain.transitions import ALLOWED
from returns.domain.vocabulary import RefundState, ReplacementStatus, ReturnStatus
from returns.exceptions import AlreadyDone, InvalidTransition, NotAllowed
from returns.roles import (
    AUTOMATIC,
    CUSTOMER_SERVICE,
    PERM_INSPECT,
    PERM_ISSUE_REFUND,
    PERM_RECEIVE,
    PERM_REINSTATE,
    PERM_REPLACEMENT,
    PERM_REVIEW,
    WAREHOUSE,
    UserPermissions,
    role_permissions,
)

S = ReturnStatus
RMA = "RMA-7KQ4-M9TX"
EVERY_PERMISSION = frozenset(
    {PERM_REVIEW, PERM_RECEIVE, PERM_INSPECT, PERM_REINSTATE, PERM_ISSUE_REFUND, PERM_REPLACEMENT}
)
WAREHOUSE_STAFF = role_permissions(WAREHOUSE)
SERVICE_STAFF = role_permissions(CUSTOMER_SERVICE)
NO_ROLE = frozenset()  # a customer


def ret(status, return_required=None, **facts) -> ReturnFacts:
    return ReturnFacts(rma=RMA, status=status, return_required=return_required, **facts)


# Every status a request can really be in, with whether its item must come back (None: not decided yet).
CASES = [
    (S.SUBMITTED, None),
    (S.APPROVED, True),
    (S.APPROVED, False),
    (S.SHIPPED, True),
    (S.RECEIVED, True),
    (S.INSPECTED, True),
    (S.INSPECTED, False),
    (S.EXPIRED, True),
    (S.REJECTED, None),
    (S.CANCELLED, None),
    (S.CANCELLED, True),
    (S.REFUNDED, True),
    (S.COMPLETED, False),
]

# Where each step on a request may be taken by someone whose role allows it.
ALLOWED_IN = {
    Step.APPROVE: {(S.SUBMITTED, None)},
    Step.REJECT: {(S.SUBMITTED, None)},
    Step.CANCEL: {(S.SUBMITTED, None), (S.APPROVED, True), (S.APPROVED, False)},
    Step.RECORD_SHIPMENT: {(S.APPROVED, True), (S.SHIPPED, True)},
    Step.RECEIVE: {(S.APPROVED, True), (S.SHIPPED, True)},
    Step.INSPECT: {(S.APPROVED, False), (S.RECEIVED, True)},
    Step.REINSTATE: {(S.EXPIRED, True)},
}

CHECKS = {
    Step.APPROVE: lambda r, perms: steps.can_approve(r, perms),
    Step.REJECT: lambda r, perms: steps.can_reject(r, perms),
    Step.CANCEL: lambda r, perms: steps.can_cancel(r),
    Step.RECORD_SHIPMENT: lambda r, perms: steps.can_record_shipment(r),
    Step.RECEIVE: lambda r, perms: steps.can_receive(r, perms),
    Step.INSPECT: lambda r, perms: steps.can_inspect(r, perms),
    Step.REINSTATE: lambda r, perms: steps.can_reinstate(r, perms),
}


@pytest.mark.parametrize("step", list(ALLOWED_IN))
@pytest.mark.parametrize(("status", "return_required"), CASES)
def test_each_step_is_allowed_exactly_in_its_statuses(step, status, return_required):
    answer = CHECKS[step](ret(status, return_required), EVERY_PERMISSION)
    expected = (status, return_required) in ALLOWED_IN[step]
    assert bool(answer) is expected
    if expected:
        assert answer.why == "" and answer.error is None
    else:
        assert answer.error in (InvalidTransition, AlreadyDone)
        assert RMA in answer.why


# The refusals by status, in the services' words.
REFUSED = [
    (
        Step.APPROVE,
        S.APPROVED,
        True,
        InvalidTransition,
        f"Cannot approve {RMA}: it is approved – waiting for your parcel.",
    ),
    (Step.APPROVE, S.EXPIRED, True, InvalidTransition, f"{RMA} is not waiting for review."),
    (Step.APPROVE, S.REJECTED, None, InvalidTransition, f"Cannot approve {RMA}: it is rejected."),
    (
        Step.REJECT,
        S.APPROVED,
        True,
        InvalidTransition,
        f"Cannot reject {RMA}: it is approved – waiting for your parcel.",
    ),
    (
        Step.CANCEL,
        S.SHIPPED,
        True,
        InvalidTransition,
        f"{RMA} can no longer be cancelled: it is shipped – on its way to us.",
    ),
    (
        Step.CANCEL,
        S.EXPIRED,
        True,
        InvalidTransition,
        f"{RMA} can no longer be cancelled: it is expired – not shipped in time.",
    ),
    (Step.RECORD_SHIPMENT, S.APPROVED, False, InvalidTransition, f"{RMA} does not need to be sent back."),
    (
        Step.RECORD_SHIPMENT,
        S.SUBMITTED,
        None,
        InvalidTransition,
        f"Cannot record a shipment for {RMA}: it is submitted – waiting for review.",
    ),
    (Step.RECEIVE, S.RECEIVED, True, AlreadyDone, f"{RMA} was already received."),
    (
        Step.RECEIVE,
        S.APPROVED,
        False,
        InvalidTransition,
        f"{RMA} was approved without sending the item back: inspect it instead.",
    ),
    (
        Step.RECEIVE,
        S.SUBMITTED,
        None,
        InvalidTransition,
        f"Cannot receive {RMA}: it is submitted – waiting for review.",
    ),
    (Step.INSPECT, S.APPROVED, True, InvalidTransition, f"{RMA} must be received before it is inspected."),
    (Step.INSPECT, S.SHIPPED, True, InvalidTransition, f"Cannot inspect {RMA}: it is shipped – on its way to us."),
    (
        Step.INSPECT,
        S.INSPECTED,
        True,
        InvalidTransition,
        f"Cannot inspect {RMA}: it is inspected – refund being processed.",
    ),
    (Step.REINSTATE, S.SUBMITTED, None, InvalidTransition, f"{RMA} has not expired."),
    (
        Step.REINSTATE,
        S.APPROVED,
        True,
        InvalidTransition,
        f"Cannot approve {RMA}: it is approved – waiting for your parcel.",
    ),
]


@pytest.mark.parametrize(("step", "status", "return_required", "error", "message"), REFUSED)
def test_a_refusal_says_why_in_the_services_words(step, status, return_required, error, message):
    answer = CHECKS[step](ret(status, return_required), EVERY_PERMISSION)
    assert (answer.error, answer.why) == (error, message)
    with pytest.raises(error) as raised:
        answer.or_raise()
    assert raised.value.message == message


@pytest.mark.parametrize(
    ("step", "status", "return_required", "target"),
    [
        (Step.APPROVE, S.SUBMITTED, None, S.APPROVED),
        (Step.REJECT, S.SUBMITTED, None, S.REJECTED),
        (Step.CANCEL, S.APPROVED, True, S.CANCELLED),
        (Step.RECORD_SHIPMENT, S.APPROVED, True, S.SHIPPED),
        (Step.RECEIVE, S.SHIPPED, True, S.RECEIVED),
        (Step.INSPECT, S.RECEIVED, True, S.INSPECTED),
        (Step.INSPECT, S.APPROVED, False, S.INSPECTED),
        (Step.REINSTATE, S.EXPIRED, True, S.APPROVED),
    ],
)
def test_every_step_that_moves_the_status_asks_the_transition_table(monkeypatch, step, status, return_required, target):
    facts = ret(status, return_required)
    assert CHECKS[step](facts, EVERY_PERMISSION)
    monkeypatch.setitem(ALLOWED, status, ALLOWED[status] - {target})
    assert not CHECKS[step](facts, EVERY_PERMISSION)


# --- roles ---------------------------------------------------------------------------------

# (step, the facts where it is allowed, {role: the refusal's words, or None when the role may}).
BY_ROLE = [
    (
        Step.APPROVE,
        ret(S.SUBMITTED),
        {SERVICE_STAFF: None, WAREHOUSE_STAFF: "approve returns", NO_ROLE: "approve returns"},
    ),
    (
        Step.REJECT,
        ret(S.SUBMITTED),
        {SERVICE_STAFF: None, WAREHOUSE_STAFF: "reject returns", NO_ROLE: "reject returns"},
    ),
    (
        Step.RECEIVE,
        ret(S.SHIPPED, True),
        {WAREHOUSE_STAFF: None, SERVICE_STAFF: "receive parcels", NO_ROLE: "receive parcels"},
    ),
    (Step.INSPECT, ret(S.RECEIVED, True), {WAREHOUSE_STAFF: None, SERVICE_STAFF: None, NO_ROLE: "inspect returns"}),
    (
        Step.INSPECT,
        ret(S.APPROVED, False),
        {
            SERVICE_STAFF: None,
            WAREHOUSE_STAFF: "inspect returns that are not sent back",
            NO_ROLE: "inspect returns that are not sent back",
        },
    ),
    (
        Step.REINSTATE,
        ret(S.EXPIRED, True),
        {SERVICE_STAFF: None, WAREHOUSE_STAFF: "reinstate returns", NO_ROLE: "reinstate returns"},
    ),
    # The customer's own steps need no staff role.
    (Step.CANCEL, ret(S.SUBMITTED), {NO_ROLE: None, WAREHOUSE_STAFF: None, SERVICE_STAFF: None}),
    (Step.RECORD_SHIPMENT, ret(S.APPROVED, True), {NO_ROLE: None, WAREHOUSE_STAFF: None, SERVICE_STAFF: None}),
]


@pytest.mark.parametrize(("step", "facts", "by_role"), BY_ROLE)
def test_each_step_needs_its_role(step, facts, by_role):
    for perms, refused in by_role.items():
        answer = CHECKS[step](facts, perms)
        if refused is None:
            assert answer, (step, sorted(perms))
        else:
            assert (answer.error, answer.why) == (NotAllowed, f"Your role does not allow you to {refused}.")


def test_the_role_is_asked_before_the_status():
    """As the services did: someone without the role hears that, whatever state the request is in."""
    answer = steps.can_approve(ret(S.REJECTED), WAREHOUSE_STAFF)
    assert answer.error is NotAllowed
    answer = steps.can_receive(ret(S.RECEIVED, True), SERVICE_STAFF)
    assert answer.error is NotAllowed


def test_an_item_that_must_come_back_is_received_before_anyone_may_inspect_it():
    answer = steps.can_inspect(ret(S.APPROVED, True), NO_ROLE)
    assert answer.why == f"{RMA} must be received before it is inspected."


def test_may_answers_for_the_role_alone():
    assert steps.may(Step.APPROVE, SERVICE_STAFF)
    assert steps.may(Step.APPROVE, WAREHOUSE_STAFF).why == "Your role does not allow you to approve returns."
    assert steps.may(Step.CANCEL, NO_ROLE)


def test_automatic_steps_may_approve_and_send_a_refund_only():
    assert steps.can_approve(ret(S.SUBMITTED), AUTOMATIC)
    assert steps.can_issue_refund(RefundFacts(RefundState.PENDING), AUTOMATIC)
    assert steps.can_receive(ret(S.SHIPPED, True), AUTOMATIC).error is NotAllowed
    assert steps.can_reinstate(ret(S.EXPIRED, True), AUTOMATIC).error is NotAllowed


class FakeUser:
    def __init__(self, *perms, active=True):
        self.perms, self.is_active, self.asked = set(perms), active, []

    def has_perm(self, perm):
        self.asked.append(perm)
        return perm in self.perms


def test_a_users_permissions_are_asked_one_at_a_time_and_only_when_needed():
    user = FakeUser(PERM_RECEIVE)
    assert steps.can_receive(ret(S.SHIPPED, True), UserPermissions(user))
    assert user.asked == [PERM_RECEIVE]
    assert not steps.can_receive(ret(S.SHIPPED, True), UserPermissions(FakeUser(PERM_RECEIVE, active=False)))
    assert not steps.can_receive(ret(S.SHIPPED, True), UserPermissions(None))


# --- the refund and the replacements --------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "error", "message"),
    [
        (RefundState.PENDING, None, ""),
        (RefundState.FAILED, None, ""),
        (RefundState.ISSUED, AlreadyDone, "This refund was already issued on May 4, 2026 (reference PAY-77)."),
        (RefundState.PROCESSING, AlreadyDone, "This refund is at the payment provider, waiting for its answer."),
    ],
)
def test_a_refund_is_issued_once(state, error, message):
    refund = RefundFacts(state=state, issued_on=date(2026, 5, 4), reference="PAY-77")
    answer = steps.can_issue_refund(refund, SERVICE_STAFF)
    assert (answer.error, answer.why) == (error, message)
    if error:
        assert answer.rule == "R12"


def test_a_refund_at_the_provider_names_it():
    answer = steps.can_issue_refund(RefundFacts(RefundState.PROCESSING), SERVICE_STAFF, provider="Stripe")
    assert answer.why == "This refund was already sent to Stripe and is waiting for its answer; nothing is sent twice."


@pytest.mark.parametrize(
    ("state", "allowed", "label"),
    [
        (RefundState.PENDING, True, ""),
        (RefundState.PROCESSING, False, "at the payment provider – waiting for its answer"),
        (RefundState.ISSUED, False, "issued"),
        (RefundState.FAILED, False, "failed – to retry"),
    ],
)
def test_only_a_refund_waiting_to_be_issued_can_fail(state, allowed, label):
    answer = steps.can_mark_refund_failed(RefundFacts(state), SERVICE_STAFF)
    assert bool(answer) is allowed
    if not allowed:
        assert (answer.error, answer.why) == (
            InvalidTransition,
            f"Only a refund waiting to be issued can fail; this one is {label}.",
        )


def test_the_refund_steps_need_customer_service():
    pending = RefundFacts(RefundState.PENDING)
    assert steps.can_issue_refund(pending, WAREHOUSE_STAFF).why == "Your role does not allow you to issue refunds."
    assert (
        steps.can_mark_refund_failed(pending, WAREHOUSE_STAFF).why == "Your role does not allow you to manage refunds."
    )
    # The role comes first: a warehouse click on an issued refund is refused for the role, not as "already issued".
    assert steps.can_issue_refund(RefundFacts(RefundState.ISSUED, date(2026, 5, 4)), NO_ROLE).error is NotAllowed


@pytest.mark.parametrize(
    ("status", "error", "message"),
    [
        (ReplacementStatus.PENDING, None, ""),
        (ReplacementStatus.SENT, AlreadyDone, "The replacement for Desk lamp was already sent."),
        (ReplacementStatus.NONE, InvalidTransition, "No replacement is due for Desk lamp."),
    ],
)
def test_a_replacement_is_sent_once_and_only_when_due(status, error, message):
    answer = steps.can_send_replacement(ReplacementFacts("Desk lamp", status), SERVICE_STAFF)
    assert (answer.error, answer.why) == (error, message)


def test_a_replacement_needs_customer_service():
    answer = steps.can_send_replacement(ReplacementFacts("Desk lamp", ReplacementStatus.PENDING), WAREHOUSE_STAFF)
    assert answer.why == "Your role does not allow you to arrange replacements."


# --- the deadline job (R6) -----------------------------------------------------------------

SHIP_BY = date(2026, 6, 30)
CFG = PolicyConfig()  # reminded 7 days before the ship-by day


@pytest.mark.parametrize(
    ("facts", "today", "allowed"),
    [
        (ret(S.APPROVED, True, ship_by=SHIP_BY), SHIP_BY + timedelta(days=1), True),
        (ret(S.APPROVED, True, ship_by=SHIP_BY), SHIP_BY, False),  # the ship-by day itself is on time
        (ret(S.SHIPPED, True, ship_by=SHIP_BY), SHIP_BY + timedelta(days=9), False),
        (ret(S.APPROVED, False), SHIP_BY + timedelta(days=9), False),  # nothing to send, no ship-by day
        (ret(S.EXPIRED, True, ship_by=SHIP_BY), SHIP_BY + timedelta(days=9), False),
    ],
)
def test_only_an_approved_parcel_past_its_ship_by_day_expires(facts, today, allowed):
    assert bool(steps.can_expire(facts, today)) is allowed


@pytest.mark.parametrize(
    ("facts", "today", "allowed"),
    [
        (ret(S.APPROVED, True, ship_by=SHIP_BY), SHIP_BY - timedelta(days=7), True),
        (ret(S.APPROVED, True, ship_by=SHIP_BY), SHIP_BY, True),
        (ret(S.APPROVED, True, ship_by=SHIP_BY), SHIP_BY - timedelta(days=8), False),  # too early
        (ret(S.APPROVED, True, ship_by=SHIP_BY), SHIP_BY + timedelta(days=1), False),  # too late: it expires
        (ret(S.APPROVED, True, ship_by=SHIP_BY, reminder_sent_on=SHIP_BY - timedelta(days=7)), SHIP_BY, False),
        (ret(S.SHIPPED, True, ship_by=SHIP_BY), SHIP_BY, False),
    ],
)
def test_the_ship_by_reminder_is_sent_once_in_its_window(facts, today, allowed):
    assert bool(steps.can_send_reminder(facts, today, CFG)) is allowed
