"""The facts the risk rules judge a request by (``returns.selectors.risk``): the 90-day count, the block list,
the refund it could reach with its one fallback, and the reasons."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from returns.conf import store_today
from returns.domain.estimates import Estimate
from returns.models import BlockedEmail, Order, Refund, ReturnRequest
from returns.selectors.customer import orders_with_lines, return_detail
from returns.selectors.risk import risk_facts
from returns.selectors.staff import customer_history
from returns.services.requests import LineRequest, return_request_cancel, return_request_submit
from tests.factories import OrderFactory, OrderLineFactory, pending_photo

pytestmark = pytest.mark.django_db


def standard(ol):
    return LineRequest(
        order_line_id=ol.pk, quantity=1, reason="changed_mind", description="Not for me", condition_confirmed=True
    )


def damaged(ol):
    photos = (pending_photo(ol, "issue"), pending_photo(ol, "packaging"))
    return LineRequest(order_line_id=ol.pk, quantity=1, reason="damaged", description="Cracked", photos=photos)


def submit(order, *lines):
    return return_request_submit(order=order, lines=list(lines))


def loaded(rr):
    """The request and its order as the staff page loads them (lines, order lines and refund prefetched)."""
    detail = return_detail(ReturnRequest.objects.filter(pk=rr.pk)).get()
    return detail, orders_with_lines(Order.objects.filter(pk=detail.order_id)).get()


def test_the_facts_of_a_request(order):
    rr = submit(order, standard(order.lines.get(sku="MUG-01")), damaged(order.lines.get(sku="LAMP-02")))
    facts = risk_facts(rr, store_today())
    assert (facts.email, facts.currency) == ("ana@example.com", "USD")
    assert facts.reasons == ("changed_mind", "damaged")
    assert facts.returns_90_days == 1  # this one
    assert (facts.blocked, facts.blocked_reason) == (False, "")
    # The estimate kept at submission, fault confirmed: 12.50 + 1.00, 45.00 + 3.60 and the lamp's 3.85 of shipping.
    assert facts.estimated_refund == Estimate.from_json(rr.estimate).highest == Decimal("65.95")


def test_the_90_day_count_is_the_staff_panels(order, customer):
    """Cancelled requests, requests older than 90 days and another email's are not counted, here or on the panel."""
    now = timezone.now()
    for _ in range(2):
        other = OrderFactory(email=customer.email)
        submit(other, standard(OrderLineFactory(order=other)))
    old = OrderFactory(email=customer.email)
    ReturnRequest.objects.filter(pk=submit(old, standard(OrderLineFactory(order=old))).pk).update(
        created_at=now - timedelta(days=91)
    )
    gone = OrderFactory(email=customer.email)
    return_request_cancel(request=submit(gone, standard(OrderLineFactory(order=gone))), by=None)
    stranger = OrderFactory(email="someone@example.com")
    submit(stranger, standard(OrderLineFactory(order=stranger)))
    rr = submit(order, standard(order.lines.get(sku="MUG-01")))
    today = store_today()
    assert risk_facts(rr, today).returns_90_days == 3
    assert customer_history(customer.email, today).returns_90_days == 3


def test_the_block_list_and_its_reason(order):
    rr = submit(order, standard(order.lines.get(sku="MUG-01")))
    BlockedEmail.objects.create(email="ana@example.com", reason="Chargebacks in 2025")
    facts = risk_facts(rr, store_today())
    assert (facts.blocked, facts.blocked_reason) == (True, "Chargebacks in 2025")
    BlockedEmail.objects.update(reason="")
    assert (risk_facts(rr, store_today()).blocked, risk_facts(rr, store_today()).blocked_reason) == (True, "")


def test_an_estimate_with_no_outcome_falls_back_to_all_that_was_paid(order):
    """Earlier refunds leave too little for the lamp: the estimate has no outcome, so the rules read the 81.59 paid."""
    first = submit(order, standard(order.lines.get(sku="MUG-01")))
    Refund.objects.create(
        request=first, order=order, currency="USD", merchandise=Decimal("75.00"), tax=0, shipping=0, deduction=0,
        total=Decimal("75.00"), payment_method="Visa",
    )  # fmt: skip
    rr = submit(order, standard(order.lines.get(sku="LAMP-02")))
    assert rr.estimate["outcomes"] == [] and rr.estimate["problem"]
    assert risk_facts(rr, store_today()).estimated_refund == Decimal("81.59")  # 25.00 + 2.00 + 45.00 + 3.60 + 5.99


def test_a_refund_once_recorded_replaces_the_estimate(order):
    rr = submit(order, standard(order.lines.get(sku="MUG-01")))
    Refund.objects.create(
        request=rr, order=order, currency="USD", merchandise=Decimal("12.50"), tax=Decimal("1.00"), shipping=0,
        deduction=Decimal("0.50"), total=Decimal("13.00"), payment_method="Visa",
    )  # fmt: skip
    detail, with_lines = loaded(rr)
    assert risk_facts(detail, store_today(), order=with_lines).estimated_refund == Decimal("13.00")


def test_a_request_from_before_estimates_were_kept_is_estimated_from_its_lines(order):
    rr = submit(order, standard(order.lines.get(sku="MUG-01")))
    ReturnRequest.objects.filter(pk=rr.pk).update(estimate={})
    detail, with_lines = loaded(rr)
    assert risk_facts(detail, store_today(), order=with_lines).estimated_refund == Decimal("13.50")


def test_one_query_for_a_request_the_staff_page_loaded(order, django_assert_num_queries):
    rr = submit(order, damaged(order.lines.get(sku="LAMP-02")))
    detail, with_lines = loaded(rr)
    with django_assert_num_queries(1):  # the 90-day count and the block list together
        risk_facts(detail, store_today(), order=with_lines)
