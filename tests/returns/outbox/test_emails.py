"""Email at every status change (R13): who gets it, what it says, and that it goes exactly once."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from returns.models import Notification, ReturnRequest
from returns.outbox.mail import notification_retry, notifications_send_due
from returns.services.deadlines import return_request_expire, return_request_send_reminder
from returns.services.inspection import LineVerdict, return_request_inspect
from returns.services.refunds import refund_issue
from returns.services.replacements import replacement_send
from returns.services.requests import (
    LineRequest,
    return_request_approve,
    return_request_cancel,
    return_request_receive,
    return_request_record_shipment,
    return_request_reinstate,
    return_request_reject,
    return_request_submit,
)
from tests.factories import pending_photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Run a service and the after-commit sending it schedules; return the emails sent."""

    def run(fn, **kwargs):
        start = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            result = fn(**kwargs)
        return result, mail.outbox[start:]

    return run


def _submit(order, customer):
    mug = order.lines.get(sku="MUG-01")
    lamp = order.lines.get(sku="LAMP-02")
    return return_request_submit(
        order=order,
        by=customer,
        lines=[
            LineRequest(
                order_line_id=mug.pk,
                quantity=2,
                reason="changed_mind",
                description="Too small",
                condition_confirmed=True,
            ),
            LineRequest(
                order_line_id=lamp.pk,
                quantity=1,
                reason="damaged",
                description="Cracked shade",
                photos=[pending_photo(lamp, "issue"), pending_photo(lamp, "packaging")],
            ),
        ],
    )


def only(messages, to):
    found = [m for m in messages if m.to == [to]]
    assert len(found) == 1, [(m.to, m.subject) for m in messages]
    return found[0]


def html_of(message):
    return message.alternatives[0][0]


def test_submission_emails_the_customer_and_staff(order, customer, send, settings):
    settings.STAFF_NOTIFICATION_EMAIL = "returns-team@alotrop.com"
    req, sent = send(_submit, order=order, customer=customer)
    assert len(sent) == 2
    to_customer = only(sent, order.email)
    assert req.rma in to_customer.subject and order.number in to_customer.subject
    assert "Stoneware mug × 2" in to_customer.body and "Desk lamp × 1" in to_customer.body
    assert f"/returns/{req.rma}/" in to_customer.body  # the link to the return's page
    assert "Stoneware mug" in html_of(to_customer)
    to_staff = only(sent, "returns-team@alotrop.com")
    assert req.rma in to_staff.subject and order.email in to_staff.subject
    assert "Cracked shade" in to_staff.body and "prefers refund" in to_staff.body
    assert f"/admin/returns/returnrequest/{req.pk}/change/" in to_staff.body


def test_approval_email_has_steps_ship_by_and_authorization_link(order, customer, service_agent, send):
    req = _submit(order, customer)
    req, sent = send(return_request_approve, request=req, by=service_agent, note="Use any carrier.")
    msg = only(sent, order.email)
    assert req.rma in msg.subject
    assert f"ship by {req.ship_by:%b} {req.ship_by.day}" in msg.subject
    assert f"{req.ship_by:%B} {req.ship_by.day}, {req.ship_by.year}" in msg.body
    assert "Alotrop Returns, 100 Warehouse Way" in msg.body
    assert f"/returns/{req.rma}/authorization/" in msg.body
    assert "Use any carrier." in msg.body
    assert "original packaging" in msg.body


def test_approval_without_return_says_so(order, customer, service_agent, send):
    req = _submit(order, customer)
    _, sent = send(return_request_approve, request=req, by=service_agent, return_required=False)
    msg = only(sent, order.email)
    assert "no need to send it back" in msg.subject
    assert "do not need to send the item back" in msg.body


def test_rejection_email_carries_the_reason(order, customer, service_agent, send):
    req = _submit(order, customer)
    _, sent = send(return_request_reject, request=req, by=service_agent, reason="Bought over 6 months ago.")
    msg = only(sent, order.email)
    assert req.rma in msg.subject
    assert "Reason: Bought over 6 months ago." in msg.body


def test_each_step_to_the_refund_emails_the_customer(order, customer, service_agent, warehouse, send):
    req = _submit(order, customer)
    return_request_approve(request=req, by=service_agent)
    _, sent = send(return_request_record_shipment, request=req, by=customer, carrier="UPS", tracking_number="1Z999")
    assert "1Z999" in only(sent, order.email).body
    _, sent = send(return_request_receive, request=req, by=warehouse)
    assert "has arrived" in only(sent, order.email).subject
    lines = {rl.order_line.sku: rl.pk for rl in req.lines.select_related("order_line")}
    _, sent = send(
        return_request_inspect,
        request=req,
        by=warehouse,
        verdicts={
            lines["MUG-01"]: LineVerdict(accepted=True),
            lines["LAMP-02"]: LineVerdict(accepted=True, fault_confirmed=True, note="Shade cracked"),
        },
    )
    inspected = only(sent, order.email)
    req.refresh_from_db()
    refund = req.refund
    # 25.00 + 2.00 tax (mugs) + 45.00 + 3.60 tax (lamp) + 5.99 × 45/70 = 3.85 shipping share.
    assert refund.total == Decimal("79.45")
    assert "$79.45" in inspected.subject
    assert "Shade cracked" in inspected.body and "Shipping refund: $3.85. Shipping is refunded" in inspected.body
    # Customers read money one way, and no internal rule IDs.
    assert "USD" not in inspected.body and not re.search(r"\bR\d{1,2}\b", inspected.body + inspected_html(inspected))

    _, sent = send(refund_issue, refund=refund, by=service_agent, reference="re_555", today=_monday())
    issued = only(sent, order.email)
    assert "$79.45" in issued.subject
    assert not re.search(r"\bR\d{1,2}\b", issued.body + inspected_html(issued))
    assert "Visa ending 4242" in issued.body
    # Issued on Monday 2026-11-30: 5 business days -> Mon Dec 7, 10 -> Mon Dec 14.
    assert "Monday, December 7" in issued.body and "Monday, December 14, 2026" in issued.body
    assert "re_555" in issued.body
    req.refresh_from_db()
    assert req.status == ReturnRequest.Status.REFUNDED


def inspected_html(message):
    return message.alternatives[0][0] if message.alternatives else ""


def _monday():
    from datetime import date

    return date(2026, 11, 30)


def test_replacement_and_cancel_emails(order, customer, service_agent, send):
    lamp = order.lines.get(sku="LAMP-02")
    req = return_request_submit(
        order=order,
        lines=[
            LineRequest(
                order_line_id=lamp.pk,
                quantity=1,
                reason="defective",
                description="Flickers",
                preference="replacement",
                photos=[pending_photo(lamp, "issue"), pending_photo(lamp, "packaging")],
            )
        ],
    )
    return_request_approve(request=req, by=service_agent, return_required=False)
    line = req.lines.get()
    return_request_inspect(
        request=req,
        by=service_agent,
        verdicts={line.pk: LineVerdict(accepted=True, fault_confirmed=True, replace=True)},
    )
    _, sent = send(replacement_send, line=line, by=service_agent, note="UPS 1Z777")
    msg = only(sent, order.email)
    assert "replacement is on its way" in msg.subject and "UPS 1Z777" in msg.body

    mug = order.lines.get(sku="MUG-01")
    other = return_request_submit(
        order=order,
        lines=[LineRequest(order_line_id=mug.pk, quantity=1, reason="wrong_item", description="A bowl came")],
    )
    _, sent = send(return_request_cancel, request=other, by=customer)
    assert "cancelled" in only(sent, order.email).subject


def test_reminder_expiry_and_reinstatement_emails(order, customer, service_agent, send):
    req = return_request_approve(request=_submit(order, customer), by=service_agent)
    ship_by = req.ship_by
    _, sent = send(return_request_send_reminder, request=req, today=ship_by - timedelta(days=7))
    msg = only(sent, order.email)
    assert "Reminder" in msg.subject
    # A date, not "7 days left", which is wrong the day after it is read.
    assert f"by {ship_by:%A}, {ship_by:%B} {ship_by.day}, {ship_by.year}" in msg.body and "days left" not in msg.body
    _, sent = send(return_request_expire, request=req, today=ship_by + timedelta(days=1))
    assert "expired" in only(sent, order.email).subject
    _, sent = send(return_request_reinstate, request=req, by=service_agent, note="Carrier delay")
    msg = only(sent, order.email)
    assert "reinstated" in msg.subject and "Carrier delay" in msg.body


def test_no_email_when_the_change_rolls_back(order, customer, send):
    def failing():
        with transaction.atomic():
            _submit(order, customer)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        send(failing)
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_tracking_correction_sends_no_second_email(order, customer, service_agent, send):
    req = return_request_approve(request=_submit(order, customer), by=service_agent)
    return_request_record_shipment(request=req, by=customer, carrier="UPS", tracking_number="1Z1")
    _, sent = send(return_request_record_shipment, request=req, by=customer, carrier="UPS", tracking_number="1Z2")
    assert sent == []


class FlakyBackend:
    """A mail backend that fails the first ``failures`` sends, like an SMTP server having a bad minute."""

    failures = 0
    delivered: list = []

    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        return True

    def close(self):
        pass

    def send_messages(self, messages):
        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise ConnectionError("421 service not available")
        FlakyBackend.delivered.extend(messages)
        return len(messages)


@pytest.fixture
def flaky(settings):
    settings.EMAIL_BACKEND = "tests.returns.outbox.test_emails.FlakyBackend"
    settings.EMAIL_DELIVERY = "worker"
    FlakyBackend.delivered = []
    FlakyBackend.failures = 0
    return FlakyBackend


def test_failed_sends_are_retried_with_backoff_then_given_up(order, customer, flaky, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    settings.STAFF_NOTIFICATION_EMAIL = ""
    _submit(order, customer)
    note = Notification.objects.get()
    flaky.failures = 10
    now = timezone.now()
    assert notifications_send_due(now=now).retrying == 1
    note.refresh_from_db()
    assert (note.attempts, note.state) == (1, "pending")
    assert note.next_attempt_at == now + timedelta(minutes=1)
    assert "421" in note.last_error
    # Not due yet: nothing is tried.
    assert notifications_send_due(now=now + timedelta(seconds=30)).retrying == 0
    notifications_send_due(now=now + timedelta(minutes=1))
    assert notifications_send_due(now=now + timedelta(hours=1)).failed == 1
    note.refresh_from_db()
    assert (note.attempts, note.state) == (3, "failed")
    # Staff retry from the admin: it goes out once the server is back.
    flaky.failures = 0
    notification_retry(notification=note)
    assert notifications_send_due().sent == 1
    assert len(flaky.delivered) == 1
    note.refresh_from_db()
    assert note.state == "sent" and note.sent_at is not None


def test_send_twice_never_sends_twice(order, customer, flaky):
    _submit(order, customer)
    first = notifications_send_due()
    second = notifications_send_due()
    assert (first.sent, second.sent) == (2, 0)
    assert len(flaky.delivered) == 2


def test_send_notifications_command_reports(order, customer, flaky, capsys):
    _submit(order, customer)
    call_command("send_notifications")
    assert "2 sent, 0 to retry later, 0 given up" in capsys.readouterr().out


def test_plain_text_and_subjects_are_not_html_escaped_but_the_html_part_is(
    order, customer, service_agent, send, settings
):
    settings.STAFF_NOTIFICATION_EMAIL = "returns-team@alotrop.com"
    order.customer_name = "Siobhán O'Brien"
    order.save(update_fields=["customer_name"])
    mug = order.lines.get(sku="MUG-01")
    line = LineRequest(order_line_id=mug.pk, quantity=1, reason="changed_mind", condition_confirmed=True,
                       description='Too "small" & <b>chipped</b>')  # fmt: skip
    req, sent = send(return_request_submit, order=order, by=customer, lines=[line])
    to_staff = only(sent, "returns-team@alotrop.com")
    assert 'Too "small" & <b>chipped</b>' in to_staff.body
    assert "&quot;" not in to_staff.body and "&amp;" not in to_staff.body and "&lt;" not in to_staff.body
    assert "&lt;b&gt;chipped&lt;/b&gt;" in html_of(to_staff)  # the HTML part still escapes what customers typed
    _, sent = send(return_request_reject, request=req, by=service_agent, reason="Bought on O'Brien's card.")
    to_customer = only(sent, order.email)
    assert "O'Brien" in to_customer.body and "&#x27;" not in to_customer.body
    assert "Reason: Bought on O'Brien's card." in to_customer.body
