"""One summary of a return (``returns.selectors.summary``) behind its customer page, its status
emails and its staff page: the three tell the same dates for the refund, whatever its state."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail

from returns.conf import policy_config, store_today
from returns.domain import policy
from returns.models import Refund, ReturnRequest
from returns.outbox import mail as status_mail
from returns.selectors.summary import return_summary, summary_parts
from returns.services.inspection import LineVerdict, return_request_inspect
from returns.services.refunds import refund_issue
from returns.services.requests import (
    LineRequest,
    return_request_approve,
    return_request_receive,
    return_request_submit,
)
from tests.factories import OrderFactory, OrderLineFactory
from tests.returns.admin.test_admin import page_url
from tests.returns.web.test_views_return import url

pytestmark = pytest.mark.django_db
S = ReturnRequest.Status


def _inspected(order, line, customer, agent, warehouse) -> ReturnRequest:
    req = return_request_submit(
        order=order,
        by=customer,
        lines=[LineRequest(line.pk, 1, "changed_mind", "Not for me", condition_confirmed=True)],
    )
    return_request_approve(request=req, by=agent)
    return_request_receive(request=req, by=warehouse)
    verdicts = {rl.pk: LineVerdict(accepted=True) for rl in req.lines.all()}
    return return_request_inspect(request=req, by=warehouse, verdicts=verdicts)


def pending(order, customer, agent, warehouse):
    return _inspected(order, order.lines.get(sku="MUG-01"), customer, agent, warehouse)


def issued(order, customer, agent, warehouse):
    req = pending(order, customer, agent, warehouse)
    refund_issue(refund=Refund.objects.get(request=req), by=agent, reference="PAY-1")
    return req


def zero(order, customer, agent, warehouse):
    """A free-shipping order whose return fee (9.99) takes the whole refund: settled at once, nothing paid."""
    free = OrderFactory(email=customer.email, free_shipping=True, shipping_charged=Decimal("0"))
    socks = OrderLineFactory(order=free, sku="SOCKS", name="Socks", unit_price=Decimal("6.00"), unit_tax=Decimal("0"))
    return _inspected(free, socks, customer, agent, warehouse)


def three_pages(client, req, customer, agent):
    """The expected refund dates as the customer's page, the latest status email and the staff page have them."""
    client.force_login(customer)
    customer_page = client.get(url("return_detail", req)).context["expected"]
    email = status_mail._context(req, req.history.last(), store_today())["expected"]
    client.force_login(agent)
    staff_page = client.get(page_url(req)).context["refund_info"]["expected"]
    return customer_page, email, staff_page


@pytest.mark.parametrize(
    ("build", "state", "paid"),
    [(issued, Refund.State.ISSUED, True), (zero, Refund.State.ISSUED, False), (pending, Refund.State.PENDING, True)],
)
def test_the_three_pages_agree_on_when_the_refund_arrives(
    client, order, customer, service_agent, warehouse, build, state, paid
):
    req = ReturnRequest.objects.get(pk=build(order, customer, service_agent, warehouse).pk)
    refund = req.refund
    assert (refund.state, refund.total > 0) == (state, paid)
    expected = policy.expected_refund_dates(refund.issued_on, policy_config()) if state == "issued" and paid else None
    assert three_pages(client, req, customer, service_agent) == (expected, expected, expected)


def test_a_zero_refund_tells_no_dates_in_the_email_either(order, customer, service_agent, warehouse):
    """The status email used to give expected dates to any refund with an issue day, a zero one
    included (the pages never did); no template shows them for nothing paid, but now none carries them."""
    req = zero(order, customer, service_agent, warehouse)
    assert req.refund.issued_on == store_today() and req.refund.total == 0
    assert status_mail._context(req, req.history.last(), store_today())["expected"] is None


def test_the_refund_email_gives_the_dates_the_customer_page_gives(
    client, order, customer, service_agent, warehouse, django_capture_on_commit_callbacks
):
    req = pending(order, customer, service_agent, warehouse)
    with django_capture_on_commit_callbacks(execute=True):
        refund_issue(refund=Refund.objects.get(request=req), by=service_agent, reference="PAY-1")
    start, end = three_pages(client, req, customer, service_agent)[0]
    (refund_email,) = [m for m in mail.outbox if m.subject.startswith(f"Return {req.rma}: your refund of ")]
    assert f"Expect it between {start:%A, %B} {start.day} and {end:%A, %B} {end.day}, {end.year}" in refund_email.body


def test_the_summary_costs_no_query_once_its_parts_are_loaded(
    order, customer, service_agent, warehouse, django_assert_num_queries
):
    req = issued(order, customer, service_agent, warehouse)
    with django_assert_num_queries(2):  # the request with its refund; its lines with their order lines
        loaded = summary_parts(ReturnRequest.objects.filter(pk=req.pk)).get()
    with django_assert_num_queries(0):
        summary = return_summary(loaded)
    assert [line.order_line.name for line in summary.lines] == ["Stoneware mug"]
    assert summary.refund.state == Refund.State.ISSUED and summary.expected_refund is not None
    assert not (summary.can_cancel or summary.can_record_shipment or summary.must_ship or summary.has_authorization)


def test_the_customer_may_ship_cancel_and_print_while_the_parcel_is_to_come(order, customer, service_agent):
    req = return_request_submit(
        order=order,
        by=customer,
        lines=[LineRequest(order.lines.get(sku="MUG-01").pk, 1, "changed_mind", "Meh", condition_confirmed=True)],
    )
    return_request_approve(request=req, by=service_agent, today=store_today() - timedelta(days=20))
    summary = return_summary(summary_parts(ReturnRequest.objects.filter(pk=req.pk)).get())
    assert (summary.must_ship, summary.can_record_shipment, summary.can_cancel, summary.has_authorization) == (
        True,
        True,
        True,
        True,
    )
    assert summary.ship_by_days_left == 8  # approved 20 days ago, 28 days to ship
    assert summary.expected_refund is None and summary.refund is None and summary.unaccepted_item == ""
