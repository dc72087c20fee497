"""The support desk in Debian's chromium: a return started for a customer who emailed (with two photos), a goodwill
exception for a window two days past, and a question asked on the return's page and answered by staff.

Each journey counts its actions (clicks, fields filled, files picked), for the closing figures."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core import mail

from returns.conf import store_today
from returns.models import Channel, Message, ReturnRequest
from returns.services.inspection import LineVerdict, return_request_inspect
from returns.services.refunds import refund_issue
from returns.services.requests import LineRequest, return_request_receive, return_request_submit
from tests.factories import OrderFactory, OrderLineFactory, StaffFactory, jpeg_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
S = ReturnRequest.Status


class Actions:
    """Counts what a person does: each click, field filled, option chosen or file picked is one action."""

    def __init__(self):
        self.count = 0

    def __call__(self, result=None):
        self.count += 1
        return result


@pytest.fixture
def photo_files(tmp_path):
    paths = []
    for name, colour in (("crack.jpg", (180, 30, 30)), ("box.jpg", (150, 120, 60))):
        path = tmp_path / name
        path.write_bytes(jpeg_bytes(size=(800, 600), color=colour))
        paths.append(path)
    return paths


def test_support_starts_a_return_for_a_customer_who_emailed_with_two_photos(
    live_server, staff_signed_in, shot, axe, order, service_agent, settings, photo_files
):
    settings.AUTO_APPROVE = "all"
    act = Actions()
    cara = staff_signed_in(service_agent.email)
    cara.goto(f"{live_server.url}/admin/returns/order/{order.pk}/change/")
    act(cara.get_by_role("link", name="Start a return for this customer").click())
    cara.wait_for_url(f"**/orders/{order.number}/return/for-customer/")
    assert "You are starting this return for" in cara.inner_text("main")
    act(cara.get_by_label("By email").check())
    act(cara.get_by_label("Return Desk lamp").check())
    act(cara.get_by_label("Why are you returning the Desk lamp?").select_option("damaged"))
    act(cara.get_by_label("Short description for the Desk lamp").fill("Customer wrote: the shade arrived cracked."))
    lamp = cara.locator("fieldset", has_text="Desk lamp")
    act(lamp.get_by_label("Photos of the damage or fault").set_input_files(str(photo_files[0])))
    act(lamp.get_by_label("Photos of the packaging it arrived in").set_input_files(str(photo_files[1])))
    cara.wait_for_function("() => document.querySelectorAll('[data-photo-item] img.photo-thumb').length === 2")
    shot(cara, "support-01-start-for-customer")
    axe(cara, "start a return for a customer")
    act(cara.locator("[data-submit-button]").click())
    cara.wait_for_url("**/admin/returns/returnrequest/*/change/")
    rr = ReturnRequest.objects.get()
    assert rr.channel == Channel.EMAIL and rr.status == S.APPROVED
    assert rr.lines.get().photos.count() == 2
    page = cara.content()
    assert "Started by" in page and "for the customer, by email" in page
    shot(cara, "support-02-request-started-for-customer")
    axe(cara, "the request page of a return support started")
    # The customer receives the approval with its printable authorization, as from the portal.
    approval = [m for m in mail.outbox if m.to == [order.email] and "approved" in m.subject.lower()]
    assert len(approval) == 1 and "/authorization/" in approval[0].body
    assert act.count == 8, act.count  # from the order page to a submitted, approved return


def test_a_goodwill_exception_for_a_window_two_days_past_refunded_and_shown_to_both(
    live_server, staff_signed_in, phone, shot, axe, customer, warehouse
):
    sam = StaffFactory(email="sam@alotrop.com", full_name="Sam Lee", role="Customer service")
    sam.user_permissions.add(Permission.objects.get(codename="grant_exception"))
    order = OrderFactory(email=customer.email, delivered_on=store_today() - timedelta(days=30))
    OrderLineFactory(order=order, sku="MUG-01", name="Stoneware mug", quantity=1, unit_price="12.50", unit_tax="1.00")
    page = staff_signed_in(sam.email)
    page.goto(f"{live_server.url}/orders/{order.number}/return/for-customer/")
    page.get_by_label("By phone").check()
    page.get_by_label("Return Stoneware mug").check()
    page.get_by_label("Why are you returning the Stoneware mug?").select_option("changed_mind")
    page.get_by_label("Short description for the Stoneware mug").fill("Too small")
    page.get_by_label(re.compile("I confirm the Stoneware mug is in its original condition")).check()
    page.get_by_label(re.compile("Accept as an exception: The 28-day return window closed")).check()
    page.get_by_label(re.compile("Why the store makes this exception")).fill("Parcel held at customs for a week.")
    shot(page, "support-03-exception-form")
    axe(page, "the exception on the start form")
    page.locator("[data-submit-button]").click()
    page.wait_for_url("**/admin/returns/returnrequest/*/change/")
    rr = ReturnRequest.objects.get()
    line = rr.lines.get()
    assert line.exception_rules == "R1" and line.exception_by == sam
    return_request_receive(request=rr, by=warehouse)
    return_request_inspect(request=rr, by=warehouse, verdicts={line.pk: LineVerdict(accepted=True)})
    rr.refresh_from_db()
    refund_issue(refund=rr.refund, by=sam, reference="ch_goodwill_1")
    page.reload()
    staff_view = page.inner_text("#content")
    assert "Accepted as an exception" in staff_view and "Parcel held at customs for a week." in staff_view
    assert "Accepted as an exception to the return window." in staff_view  # the breakdown says it
    shot(page, "support-04-exception-refunded-staff")
    axe(page, "the request page with an exception")
    # The customer reads it in the refund's breakdown, in plain words.
    phone.goto(f"{live_server.url}/account/sign-in/")
    phone.get_by_label("Email address").fill(customer.email)
    phone.get_by_label("Password").fill("pass-word-123")
    phone.get_by_role("button", name="Sign in").click()
    phone.wait_for_url("**/orders/")
    phone.goto(f"{live_server.url}/returns/{rr.rma}/")
    assert "Accepted as an exception to the return window." in phone.inner_text("main")
    assert "$13.50" in phone.inner_text("main")  # R10 as if eligible: 12.50 + 1.00 tax, no shipping
    shot(phone, "support-05-exception-customer")


def test_a_customer_asks_staff_answer_and_the_customer_reads_it_on_the_page_and_by_email(
    live_server, phone, staff_signed_in, shot, axe, customer, order, service_agent, settings
):
    settings.STAFF_NOTIFICATION_EMAIL = "desk@alotrop.com"
    mug = order.lines.get(sku="MUG-01")
    rr = return_request_submit(
        order=order, by=customer, lines=[LineRequest(mug.pk, 1, "changed_mind", "Too big", condition_confirmed=True)]
    )
    phone.goto(f"{live_server.url}/account/sign-in/")
    phone.get_by_label("Email address").fill(customer.email)
    phone.get_by_label("Password").fill("pass-word-123")
    phone.get_by_role("button", name="Sign in").click()
    phone.wait_for_url("**/orders/")
    phone.goto(f"{live_server.url}/returns/{rr.rma}/")
    phone.get_by_label("Ask about this return").fill("Can I drop the parcel off at your shop instead?")
    phone.get_by_role("button", name="Send your question").click()
    phone.get_by_text("your question is sent").wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, "support-06-question-asked")
    axe(phone, "the return's page with a question")
    assert any(m.to == ["desk@alotrop.com"] for m in mail.outbox)

    cara = staff_signed_in(service_agent.email)
    tile = cara.locator("#tile-messages_waiting")
    assert tile.inner_text().split()[0] == "1"
    tile.click()
    cara.get_by_role("link", name=rr.rma).click()
    cara.get_by_text("Can I drop the parcel off at your shop instead?").wait_for()
    cara.get_by_label(re.compile("Reply to the customer")).fill("Yes: any weekday, 9 to 5, at 100 Warehouse Way.")
    cara.get_by_role("button", name="Send reply").click()
    cara.get_by_text("Reply sent to").wait_for()
    shot(cara, "support-07-staff-replied")
    axe(cara, "the request page with a thread")
    assert Message.objects.filter(author="customer", answered_at__isnull=True).count() == 0

    phone.reload()
    assert "Yes: any weekday, 9 to 5, at 100 Warehouse Way." in phone.inner_text("#messages")
    shot(phone, "support-08-answer-on-the-page")
    reply = [m for m in mail.outbox if m.to == [order.email] and "reply" in m.subject.lower()]
    assert len(reply) == 1 and "Yes: any weekday, 9 to 5, at 100 Warehouse Way." in reply[0].body
