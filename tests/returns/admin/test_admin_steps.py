"""A request's page offers exactly the steps the step checks allow, for every status and each role.

The buttons are read from the page as staff get it; what they should be is asked of
``returns.domain.steps`` directly, and written out too, so a check that drifts shows here.
"""

from datetime import timedelta

import pytest

from returns.domain import steps
from returns.domain.steps import RefundFacts, ReplacementFacts, ReturnFacts
from returns.models import Refund, ReturnRequest
from returns.roles import CUSTOMER_SERVICE, WAREHOUSE, role_permissions
from returns.services.deadlines import return_request_expire
from returns.services.refunds import refund_issue, refund_mark_failed
from returns.services.replacements import replacement_send
from returns.services.requests import (
    return_request_approve,
    return_request_cancel,
    return_request_receive,
    return_request_record_shipment,
    return_request_reject,
)
from tests.returns.admin.test_admin import admin_url, damaged, inspect_all, lamp, mug, page_url, standard, submit

pytestmark = pytest.mark.django_db
S = ReturnRequest.Status


def _approved(order, customer, agent, *, return_required=True):
    req = submit(order, standard(mug(order), 2), by=customer)
    return return_request_approve(request=req, by=agent, return_required=return_required)


def _received(order, customer, agent, warehouse):
    return return_request_receive(request=_approved(order, customer, agent), by=warehouse)


def _replacement_due(order, customer, agent, warehouse):
    req = submit(order, damaged(lamp(order), preference="replacement"), by=customer)
    return_request_approve(request=req, by=agent)
    return_request_receive(request=req, by=warehouse)
    return inspect_all(req, warehouse, accepted=True, fault_confirmed=True, replace=True)


def _kept(order, customer, agent, warehouse):
    req = submit(order, damaged(lamp(order)), by=customer)
    return return_request_approve(request=req, by=agent, return_required=False)


def _expired(order, customer, agent, warehouse):
    req = _approved(order, customer, agent)
    return_request_expire(request=req, today=req.ship_by + timedelta(days=1))
    return req


BUILD = {
    "submitted": lambda o, c, a, w: submit(o, standard(mug(o), 2), by=c),
    "approved": lambda o, c, a, w: _approved(o, c, a),
    "approved, kept by the customer": _kept,
    "shipped": lambda o, c, a, w: return_request_record_shipment(
        request=_approved(o, c, a), by=c, carrier="UPS", tracking_number="1Z999"
    ),
    "received": _received,
    "inspected, refund to issue": lambda o, c, a, w: inspect_all(_received(o, c, a, w), w),
    "inspected, refund failed": lambda o, c, a, w: (
        refund_mark_failed(
            refund=Refund.objects.get(request=inspect_all(_received(o, c, a, w), w)), by=a, reason="Card closed"
        ).request
    ),
    "inspected, replacement to send": _replacement_due,
    "refunded": lambda o, c, a, w: (
        refund_issue(
            refund=Refund.objects.get(request=inspect_all(_received(o, c, a, w), w)), by=a, reference="PAY-1"
        ).request
    ),
    "completed": lambda o, c, a, w: replacement_send(line=_replacement_due(o, c, a, w).lines.get(), by=a).request,
    "expired": _expired,
    "rejected": lambda o, c, a, w: return_request_reject(
        request=submit(o, standard(mug(o)), by=c), by=a, reason="Worn"
    ),
    "cancelled": lambda o, c, a, w: return_request_cancel(request=submit(o, standard(mug(o)), by=c), by=c),
}

# Each state's status, and what each role is offered there, written out: (the warehouse's, customer service's).
OFFERED = {
    "submitted": (S.SUBMITTED, set(), {"approve", "reject"}),
    "approved": (S.APPROVED, {"receive"}, set()),
    "approved, kept by the customer": (S.APPROVED, set(), {"inspect"}),
    "shipped": (S.SHIPPED, {"receive"}, set()),
    "received": (S.RECEIVED, {"inspect"}, {"inspect"}),
    "inspected, refund to issue": (S.INSPECTED, set(), {"refund_issue", "refund_fail"}),
    "inspected, refund failed": (S.INSPECTED, set(), {"refund_issue"}),
    "inspected, replacement to send": (S.INSPECTED, set(), {"replacement"}),
    "refunded": (S.REFUNDED, set(), set()),
    "completed": (S.COMPLETED, set(), set()),
    "expired": (S.EXPIRED, set(), {"reinstate"}),
    "rejected": (S.REJECTED, set(), set()),
    "cancelled": (S.CANCELLED, set(), set()),
}
STEP_URLS = ("approve", "reject", "receive", "inspect", "refund_issue", "refund_fail", "reinstate")


def offered_on_the_page(html: str, req: ReturnRequest) -> set[str]:
    offered = {name for name in STEP_URLS if f'"{admin_url(name, req.pk)}"' in html}
    if any(f'"{admin_url("replacement", req.pk, line.pk)}"' in html for line in req.lines.all()):
        offered.add("replacement")
    return offered


def allowed_by_the_checks(req: ReturnRequest, perms) -> set[str]:
    ret = ReturnFacts.of(req)
    refund = Refund.objects.filter(request=req).first()
    answers = {
        "approve": steps.can_approve(ret, perms),
        "reject": steps.can_reject(ret, perms),
        "receive": steps.can_receive(ret, perms),
        "inspect": steps.can_inspect(ret, perms),
        "reinstate": steps.can_reinstate(ret, perms),
        "refund_issue": refund is not None and steps.can_issue_refund(RefundFacts.of(refund), perms),
        "refund_fail": refund is not None and steps.can_mark_refund_failed(RefundFacts.of(refund), perms),
        "replacement": any(
            steps.can_send_replacement(ReplacementFacts.of(line), perms)
            for line in req.lines.select_related("order_line")
        ),
    }
    return {name for name, answer in answers.items() if answer}


def test_every_status_is_among_the_states():
    assert set(OFFERED) == set(BUILD)
    assert {status for status, *_ in OFFERED.values()} == set(S.values)


@pytest.mark.parametrize("state", list(BUILD))
def test_the_page_offers_exactly_what_the_checks_allow(client, state, order, customer, service_agent, warehouse):
    req = ReturnRequest.objects.get(pk=BUILD[state](order, customer, service_agent, warehouse).pk)
    status, *by_role = OFFERED[state]
    assert req.status == status
    for user, role, written in zip((warehouse, service_agent), (WAREHOUSE, CUSTOMER_SERVICE), by_role, strict=True):
        client.force_login(user)
        html = client.get(page_url(req)).content.decode()
        allowed = allowed_by_the_checks(req, role_permissions(role))
        assert offered_on_the_page(html, req) == allowed == written, (state, role)
        if not written:
            assert "Nothing for you to do on this request now." in html
