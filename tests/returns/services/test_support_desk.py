"""The support desk's services: returns started for a customer, goodwill exceptions, a return's conversation."""

from decimal import Decimal

import pytest
from django.core import mail

from returns.conf import store_today
from returns.domain.events import Event
from returns.exceptions import NotAllowed, PolicyViolation, ReturnsError
from returns.models import Channel, Message, Notification, ReturnRequest
from returns.services.inspection import LineVerdict, return_request_inspect
from returns.services.messages import TooManyMessages, message_from_customer, message_reply
from returns.services.requests import (
    LineRequest,
    return_request_approve,
    return_request_receive,
    return_request_submit,
)
from tests.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db


def standard(ol, quantity=1, **kwargs):
    return LineRequest(ol.pk, quantity, "changed_mind", "Too big", condition_confirmed=True, **kwargs)


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Emails go out after the change commits: ``with commit():`` runs what the block's changes scheduled."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_support_starts_a_return_by_email_and_the_customer_gets_the_same_emails(order, service_agent, settings, commit):
    settings.AUTO_APPROVE = "standard"
    mug = order.lines.get(sku="MUG-01")
    with commit():
        rr = return_request_submit(
            order=order, lines=[standard(mug)], by=service_agent, auto_approve=True, channel=Channel.EMAIL
        )
    assert rr.channel == Channel.EMAIL and rr.submitted_by == service_agent
    submitted = rr.history.get(event=Event.SUBMITTED)
    assert submitted.note == f"Started by {service_agent.get_full_name()} for the customer, by email."
    # Approved at once like the customer's own request: the customer gets the approval with the authorization.
    assert rr.status == ReturnRequest.Status.APPROVED
    to_customer = [m for m in mail.outbox if m.to == [order.email]]
    assert len(to_customer) == 1 and "approved" in to_customer[0].subject.lower()
    assert "authorization" in to_customer[0].body.lower()


def test_only_those_allowed_start_returns_for_customers(order, warehouse, customer):
    mug = order.lines.get(sku="MUG-01")
    for who in (warehouse, customer, None):
        with pytest.raises(NotAllowed):
            return_request_submit(order=order, lines=[standard(mug)], by=who, channel=Channel.PHONE)
    assert not ReturnRequest.objects.exists()


def test_an_exception_for_a_window_two_days_past_is_kept_on_the_line(late_order, trusted_agent):
    mug = late_order.lines.get()
    with pytest.raises(PolicyViolation) as refused:
        return_request_submit(order=late_order, lines=[standard(mug)], by=trusted_agent, channel=Channel.EMAIL)
    assert "window closed" in str(refused.value)
    rr = return_request_submit(
        order=late_order,
        lines=[standard(mug, exception_reason="Parcel held at customs over the holiday")],
        by=trusted_agent,
        channel=Channel.EMAIL,
    )
    line = rr.lines.get()
    assert line.exception_rules == "R1" and line.exception_by == trusted_agent and line.exception_at
    assert line.exception_reason == "Parcel held at customs over the holiday"


def test_exceptions_need_the_permission_and_never_set_aside_the_units_left(late_order, service_agent, trusted_agent):
    mug = late_order.lines.get()
    with pytest.raises(NotAllowed):
        return_request_submit(
            order=late_order, lines=[standard(mug, exception_reason="Nice customer")], by=service_agent,
            channel=Channel.EMAIL,
        )  # fmt: skip
    with pytest.raises(PolicyViolation) as r4:
        return_request_submit(
            order=late_order, lines=[standard(mug, quantity=3, exception_reason="Nice customer")], by=trusted_agent,
            channel=Channel.EMAIL,
        )  # fmt: skip
    assert "R4" in str(r4.value) or "Only 2" in str(r4.value)
    # The customer's own form can never carry one.
    with pytest.raises(NotAllowed):
        return_request_submit(order=late_order, lines=[standard(mug, exception_reason="x")], by=trusted_agent)


def test_a_final_sale_exception_is_refunded_as_if_eligible_and_said_in_the_breakdown(
    customer, trusted_agent, warehouse
):
    o = OrderFactory(email=customer.email, free_shipping=True, shipping_charged=Decimal("0"))
    scarf = OrderLineFactory(
        order=o, sku="SCARF", name="Silk scarf", quantity=1, unit_price="40.00", unit_tax="0", final_sale=True
    )
    rr = return_request_submit(
        order=o, lines=[standard(scarf, exception_reason="Store's choice")], by=trusted_agent, channel=Channel.PHONE
    )
    assert rr.lines.get().exception_rules == "R3"
    return_request_approve(request=rr, by=trusted_agent)
    return_request_receive(request=rr, by=warehouse)
    line = rr.lines.get()
    return_request_inspect(
        request=rr, by=warehouse, verdicts={line.pk: LineVerdict(accepted=True, fault_confirmed=False)}
    )
    refund = rr.refund
    # R10 as for any standard return of a free-shipping order: the $9.99 fee is deducted once.
    assert refund.merchandise == Decimal("40.00") and refund.deduction == Decimal("9.99")
    assert refund.total == Decimal("30.01")
    assert (
        "Accepted as an exception to the final-sale and personalized exclusion." in refund.breakdown[0]["explanation"]
    )


def test_a_customer_question_reaches_staff_and_the_reply_reaches_the_customer(
    order, customer, service_agent, settings, commit
):
    settings.STAFF_NOTIFICATION_EMAIL = "desk@alotrop.com"
    rr = return_request_submit(order=order, lines=[standard(order.lines.get(sku="MUG-01"))], by=customer)
    mail.outbox.clear()
    with commit():
        asked = message_from_customer(request=rr, by=customer, body="  When will my label arrive?\x00 ")
    assert asked.body == "When will my label arrive?" and asked.answered_at is None
    notice = [m for m in mail.outbox if m.to == ["desk@alotrop.com"]]
    assert len(notice) == 1 and "When will my label arrive?" in notice[0].body
    assert not [m for m in mail.outbox if m.to == [order.email]]  # the customer is not emailed their own question
    mail.outbox.clear()
    with commit():
        reply = message_reply(request=rr, by=service_agent, body="It is attached to your approval email.")
    asked.refresh_from_db()
    assert asked.answered_at == reply.created_at
    to_customer = [m for m in mail.outbox if m.to == [order.email]]
    assert len(to_customer) == 1 and "It is attached to your approval email." in to_customer[0].body
    assert [c.event for c in rr.history.order_by("at", "id")][-2:] == [Event.MESSAGE_RECEIVED, Event.MESSAGE_ANSWERED]
    assert Notification.objects.filter(request=rr, event=Event.MESSAGE_ANSWERED, audience="customer").count() == 1


def test_replies_need_the_permission_and_words(order, customer, warehouse, service_agent):
    rr = return_request_submit(order=order, lines=[standard(order.lines.get(sku="MUG-01"))], by=customer)
    with pytest.raises(NotAllowed):
        message_reply(request=rr, by=warehouse, body="Hello")
    with pytest.raises(ReturnsError, match="Write your message first"):
        message_reply(request=rr, by=service_agent, body="   ")
    assert not Message.objects.exists()


def test_customer_messages_are_limited_per_hour(order, customer, settings, fresh_cache):
    settings.MESSAGES_PER_HOUR = 2
    rr = return_request_submit(order=order, lines=[standard(order.lines.get(sku="MUG-01"))], by=customer)
    message_from_customer(request=rr, by=customer, body="One")
    message_from_customer(request=rr, by=customer, body="Two")
    with pytest.raises(TooManyMessages):
        message_from_customer(request=rr, by=customer, body="Three")
    assert Message.objects.count() == 2


def test_analytics_count_exceptions_by_rule_and_staff_and_time_the_first_reply(
    late_order, trusted_agent, order, customer, service_agent
):
    from datetime import timedelta as td

    from django.utils import timezone

    from returns.selectors.analytics import returns_analytics

    mug = late_order.lines.get()
    return_request_submit(
        order=late_order, lines=[standard(mug, quantity=2, exception_reason="Customs")], by=trusted_agent,
        channel=Channel.EMAIL,
    )  # fmt: skip
    rr = return_request_submit(order=order, lines=[standard(order.lines.get(sku="MUG-01"))], by=customer)
    asked = message_from_customer(request=rr, by=customer, body="Where is my label?")
    Message.objects.filter(pk=asked.pk).update(created_at=timezone.now() - td(hours=3))
    message_reply(request=rr, by=service_agent, body="In your approval email.")
    today = store_today()
    data = returns_analytics(today - td(days=7), today)
    assert [(e.rule, e.granted_by, e.lines, e.value) for e in data.exceptions] == [
        ("R1", "sam@alotrop.com", 1, {"USD": Decimal("27.00")})  # 2 × (12.50 + 1.00)
    ]
    assert data.threads_answered == 1 and Decimal("2.9") <= data.median_hours_to_first_reply <= Decimal("3.1")
