"""A guest on a phone types the 6-digit code from the email instead of switching apps (Debian's chromium)."""

import re

import pytest
from django.core import mail

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _immediate(settings):
    settings.EMAIL_DELIVERY = "immediate"


@pytest.mark.parametrize(("size", "width"), [("phone", 390), ("desktop", 1280)])
def test_a_guest_opens_the_order_with_the_code_from_the_email(live_server, request, shot, axe, order, size, width):
    page = request.getfixturevalue(size)
    mail.outbox.clear()
    page.goto(f"{live_server.url}/account/guest/")
    page.get_by_label("Order number").fill(order.number)
    page.get_by_label("Email address used for the order").fill(order.email)
    page.get_by_role("button", name="Email me a link").click()
    page.wait_for_url("**/account/guest/")
    assert "Check your inbox" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, f"guest-code-01-check-your-inbox-{width}")
    axe(page, "check your inbox")

    (message,) = mail.outbox
    code = re.search(r"Your code: (\d{3} \d{3})", message.body).group(1)  # typed as shown, space included
    wrong = f"{(int(code.replace(' ', '')) + 1) % 1_000_000:06d}"
    page.get_by_label("Code from the email").fill(wrong)
    page.get_by_role("button", name="Open my order").click()
    assert "That code is not right." in page.content()
    shot(page, f"guest-code-02-wrong-code-{width}")
    axe(page, "wrong code")

    page.get_by_label("Code from the email").fill(code)
    page.get_by_role("button", name="Open my order").click()
    page.wait_for_url(f"**/orders/{order.number}/")
    assert "Stoneware mug" in page.content()
    shot(page, f"guest-code-03-order-{width}")
