"""A customer's return, counted as a person on a phone would (issue 16), at 390 px: a one-line standard return
from the home page to the approved return with its authorization on screen, as a guest typing the emailed code
(9 actions or fewer) and signed in (8 or fewer); and a fault claim whose photos are still uploading when Send
is pressed, which waits for them and is sent with both.

One action: a click, a field filled, a choice made in a list, a box ticked. Page loads are the main frame's
navigations. axe-core runs on every page of the walk; screenshots land in test-artifacts/screenshots/.
"""

import re

import pytest
from django.core import mail

from returns.models import DamagePhoto, ReturnRequest
from tests.browser.test_customer_journey import photos  # noqa: F401  (a fixture)
from tests.browser.test_photo_uploads import lamp_as_damaged, signed_in_page
from tests.browser.test_staff_flow import Counted
from tests.factories import OrderFactory, OrderLineFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
S = ReturnRequest.Status


@pytest.fixture
def one_line_order(customer, settings):
    settings.AUTO_APPROVE = "standard"
    order = OrderFactory(email=customer.email, number="400123")
    OrderLineFactory(order=order, sku="TEE-01", name="Linen tee", quantity=1, unit_price="30.00", unit_tax="2.40")
    return order


def from_home(page, live_server):
    """The walk starts on the home page; counting starts there."""
    walk = Counted(page)
    page.goto(f"{live_server.url}/")
    walk.loads = 0
    return walk


def finish(walk, axe, shot, name, *, most):
    """Start a return's part of the walk, then the count: at most ``most`` actions from the home page."""
    return_one_line(walk, axe, shot, name)
    print(f"{name}: {walk.actions} actions, {walk.loads} page loads")
    assert walk.actions <= most, walk.actions


def ask_for_a_link(walk, order):
    """On the home page, as a guest: the order number, the email, *Email me a link*; the email that comes."""
    page = walk.page
    walk.fill(page.get_by_label("Order number"), order.number)
    walk.fill(page.get_by_label("Email address used for the order"), order.email)
    walk.click(page.get_by_role("button", name="Email me a link"))
    page.get_by_label("Code from the email").wait_for()
    (message,) = mail.outbox
    return message


def return_one_line(walk, axe, shot, name):
    """On Start a return: the only line is ticked and has one unit, so a reason, the condition and Send."""
    page = walk.page
    page.wait_for_url("**/return/")
    box = page.get_by_label("Return Linen tee")
    assert box.is_checked()  # the only returnable line starts ticked
    assert page.get_by_label("How many Linen tees to return").count() == 0  # one unit: nothing to choose
    assert page.get_by_role("button", name="Update the estimate").count() == 0  # the script keeps it current
    axe(page, "start a return")
    walk.click(page.get_by_label("Why are you returning the Linen tee?"))  # a choice in the list
    page.get_by_label("Why are you returning the Linen tee?").select_option("wrong_size")
    walk.click(page.get_by_label(re.compile("I confirm the Linen tee is in its original condition")))
    page.locator("#estimate [data-estimate-total]").filter(has_text="$32.40").wait_for()
    shot(page, f"{name}-start-return-390")
    walk.click(page.locator("[data-submit-button]"))
    page.wait_for_url("**/returns/RMA-*/")
    req = ReturnRequest.objects.get()
    assert req.status == S.APPROVED
    page.get_by_role("link", name="Print return authorization").wait_for()
    assert req.rma in page.inner_text("h1")
    shot(page, f"{name}-approved-390")
    axe(page, "the approved return")
    return req


def test_a_guest_typing_the_code_returns_a_line_in_nine_actions(live_server, phone, axe, shot, one_line_order):
    walk = from_home(phone, live_server)
    page = phone
    axe(page, "home")
    message = ask_for_a_link(walk, one_line_order)
    code = re.search(r"^ *Your code: (\d{3} \d{3})$", message.body, re.M).group(1)
    assert one_line_order.number not in message.body.split("Your code:", 1)[1].splitlines()[0]
    walk.fill(page.get_by_label("Code from the email"), code)
    walk.click(page.get_by_role("button", name="Open my order"))
    walk.click(page.get_by_role("link", name="Start a return"))
    finish(walk, axe, shot, "flow-guest", most=9)


def test_a_guest_opening_the_emailed_link(live_server, phone, axe, shot, one_line_order):
    walk = from_home(phone, live_server)
    page = phone
    message = ask_for_a_link(walk, one_line_order)
    path = re.search(r"^http\S+?(/account/guest/\S+)$", message.body, re.M).group(1)
    page.goto(f"{live_server.url}{path}")  # tapping the link in the mail app
    walk.actions += 1
    walk.click(page.get_by_role("link", name="Start a return"))
    finish(walk, axe, shot, "flow-guest-link", most=8)


def test_signed_in_returns_a_line_in_eight_actions(live_server, phone, axe, shot, one_line_order):
    walk = from_home(phone, live_server)
    page = phone
    walk.click(page.get_by_role("link", name="Sign in").first)
    walk.fill(page.get_by_label("Email address"), "ana@example.com")
    walk.fill(page.get_by_label("Password"), "pass-word-123")
    walk.click(page.get_by_role("button", name="Sign in"))
    page.wait_for_url("**/orders/")
    walk.click(page.get_by_role("link", name=re.compile(f"Start a return.*{one_line_order.number}")))
    finish(walk, axe, shot, "flow-signed-in", most=8)


def test_send_while_photos_upload_waits_for_them_then_sends(
    browser,
    live_server,
    axe,
    shot,
    client,
    customer,
    order,
    photos,  # noqa: F811  (the imported fixture)
):
    context, page = signed_in_page(browser, live_server, client, customer, width=390)
    page.goto(f"{live_server.url}/orders/{order.number}/return/")
    lamp_as_damaged(page, description="The shade is cracked.")
    # A slow phone connection: each photo takes seconds to go up.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 150, "downloadThroughput": 400_000, "uploadThroughput": 4_000},
    )
    lamp = page.locator("fieldset", has_text="Desk lamp")
    lamp.get_by_label("Photos of the damage or fault").set_input_files(str(photos["cracked-shade.jpg"]))
    lamp.get_by_label("Photos of the packaging it arrived in").set_input_files(str(photos["box.jpg"]))
    assert page.locator("[data-photo-item].is-uploading").count() >= 1
    send = page.locator("[data-submit-button]")
    send.click()  # once, while the photos are still on their way
    assert send.inner_text() == "Sending when your photos are uploaded…"
    assert "will be sent as soon as they are done" in page.inner_text("#photo-wait")
    shot(page, "flow-send-waits-for-photos-390")
    axe(page, "start a return, waiting for photos")
    assert not ReturnRequest.objects.exists()
    page.wait_for_url("**/returns/RMA-*/", timeout=60_000)
    req = ReturnRequest.objects.get()
    assert sorted(DamagePhoto.objects.filter(line__request=req).values_list("kind", flat=True)) == [
        "issue",
        "packaging",
    ]
    assert req.rma in page.inner_text("h1")
    context.close()
