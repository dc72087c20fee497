"""From the home page to an approved return, as a guest and signed in, on a phone and a desktop.

Each journey counts what the customer does (clicks, typing, choices) and the pages they see,
for the issue's measure. Screenshots land in test-artifacts/screenshots/.
"""

import re
import time
from decimal import Decimal

import pytest
from django.core import mail

from returns.domain import policy
from returns.models import ReturnRequest
from tests.factories import OrderFactory, OrderLineFactory, jpeg_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

S = ReturnRequest.Status


class Journey:
    """Counts a customer's actions and the pages they load."""

    def __init__(self, page):
        self.page = page
        self.actions = 0
        self.pages = []
        page.on("framenavigated", lambda frame: frame == page.main_frame and self.pages.append(frame.url))

    def act(self, locator, how="click", *args):
        getattr(locator, how)(*args)
        self.actions += 1

    def page_count(self):
        # A redirect's hop is not a page anyone sees: count distinct paths in the order seen.
        paths = []
        for url in self.pages:
            path = re.sub(r"^https?://[^/]+", "", url)
            if not paths or paths[-1] != path:
                paths.append(path)
        return len(paths)


def code_from_email(to, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in mail.outbox:
            found = re.search(r"^ *Your code: (\d{3} \d{3})$", message.body, re.M)
            if to in message.to and found:
                return found.group(1)
        time.sleep(0.1)
    raise AssertionError(f"No email with a code reached {to}")


def fill_standard_return(journey, page, name):
    """A standard reason: the reason is the description (§3), so there are no words to type."""
    journey.act(page.get_by_label(f"Return {name}"), "check")
    journey.act(page.get_by_label(f"Why are you returning the {name}?"), "select_option", "changed_mind")
    journey.act(page.get_by_label(re.compile(f"I confirm the {name} is in its original condition")), "check")


def test_guest_from_home_to_an_approved_return_and_its_printout(live_server, phone, shot, axe, customer, order):
    page = phone
    journey = Journey(page)
    page.goto(f"{live_server.url}/")
    axe(page, "home")
    assert page.locator("footer").get_by_role("link", name="Return & Refund Policy").count() == 1
    journey.act(page.get_by_label("Order number"), "fill", order.number)
    journey.act(page.get_by_label("Email address used for the order"), "fill", order.email)
    journey.act(page.get_by_role("button", name="Email me a link"))
    page.get_by_role("heading", name="Check your inbox").wait_for()
    code = code_from_email(order.email)
    journey.act(page.get_by_label("Code from the email"), "fill", code)
    journey.act(page.get_by_role("button", name="Open my order"))
    page.wait_for_url(f"**/orders/{order.number}/")
    journey.act(page.get_by_role("link", name=re.compile("Start a return")).first)
    page.wait_for_url(f"**/orders/{order.number}/return/")
    fill_standard_return(journey, page, "Stoneware mug")
    page.locator("#estimate [data-estimate-total]").filter(has_text="$13.50").wait_for()
    journey.act(page.locator("[data-submit-button]"))
    page.wait_for_url("**/returns/RMA-*/")

    rr = ReturnRequest.objects.get()
    assert rr.status == S.APPROVED and rr.auto_review_rule == "AUTO_APPROVE=standard"
    main = page.inner_text("main")
    assert f"Your return {rr.rma} is approved" in main
    assert f"ship it by {rr.ship_by:%A}, {policy.day(rr.ship_by)}" in main
    shot(page, "journey-guest-01-approved-390")
    axe(page, "the confirmation page")
    guest = {"actions": journey.actions, "pages": journey.page_count()}

    # One tap prints the authorization (the print dialog is recorded, not opened).
    page.context.add_init_script("window.print = () => { window.__printed = (window.__printed || 0) + 1; };")
    journey.act(page.get_by_role("link", name="Print return authorization").first)
    page.wait_for_url(f"**/returns/{rr.rma}/authorization/?print=1")
    page.wait_for_function("window.__printed === 1")
    assert rr.rma in page.inner_text("main")
    shot(page, "journey-guest-02-authorization-390")
    axe(page, "the authorization")
    print(f"\nGUEST to an approved return: {guest['actions']} actions, {guest['pages']} pages + an email")
    assert guest == {"actions": 10, "pages": 5}  # 11 before issue 16 (the description)


def test_signed_in_from_home_to_an_approved_return(live_server, desktop, shot, axe, customer, order):
    page = desktop
    journey = Journey(page)
    page.goto(f"{live_server.url}/")
    journey.act(page.get_by_role("main").get_by_role("link", name="Sign in"))
    page.wait_for_url("**/account/sign-in/**")
    axe(page, "sign in")
    journey.act(page.get_by_label("Email address"), "fill", customer.email)
    journey.act(page.get_by_label("Password"), "fill", "pass-word-123")
    journey.act(page.get_by_role("button", name="Sign in"))
    page.wait_for_url("**/orders/")
    axe(page, "my orders")
    journey.act(page.get_by_role("link", name=re.compile(f"Start a return.*{order.number}")))
    page.wait_for_url(f"**/orders/{order.number}/return/")
    fill_standard_return(journey, page, "Stoneware mug")
    journey.act(page.locator("[data-submit-button]"))
    page.wait_for_url("**/returns/RMA-*/")
    assert ReturnRequest.objects.get().status == S.APPROVED
    assert "Print return authorization" in page.inner_text("main")
    shot(page, "journey-signed-in-01-approved-1280")
    counts = {"actions": journey.actions, "pages": journey.page_count()}
    print(f"\nSIGNED IN to an approved return: {counts['actions']} actions, {counts['pages']} pages")
    assert counts == {"actions": 9, "pages": 5}  # 10 before issue 16 (the description)


@pytest.fixture
def free_shipping_order(customer):
    order = OrderFactory(email=customer.email, number="200555", free_shipping=True, shipping_charged=Decimal("0"))
    OrderLineFactory(order=order, sku="JKT-9", name="Rain jacket", unit_price="60.00", unit_tax="0.00")
    OrderLineFactory(
        order=order, sku="TEE-1", name="Logo tee", quantity=2, unit_price="11.80", unit_tax="0.00", final_sale=True
    )
    return order


@pytest.fixture
def pictures(tmp_path):
    paths = []
    for name in ("zip.jpg", "box.jpg"):
        path = tmp_path / name
        path.write_bytes(jpeg_bytes(size=(640, 480)))
        paths.append(path)
    return paths


@pytest.mark.parametrize("width", [390, 1280])
def test_fault_claim_estimate_shows_both_outcomes_before_and_after(
    live_server, browser, client, shot, axe, customer, free_shipping_order, pictures, width
):
    from django.conf import settings

    client.force_login(customer)
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/orders/{free_shipping_order.number}/return/")

    # Keyboard order starts at the first checkbox: from the page's heading, Tab lands on it.
    page.evaluate("(() => { const h = document.querySelector('main h1'); h.tabIndex = -1; h.focus(); })()")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('aria-label') || document.activeElement.id") == (
        page.get_by_label("Return Rain jacket").get_attribute("id")
    )
    # At most one policy link per line, and no rule IDs anywhere a customer looks.
    for name in ("Rain jacket", "Logo tee"):
        line = page.locator("[data-line]", has_text=name)
        assert line.locator("a.policy-link").count() <= 1
    assert not re.search(r"\bR\d{1,2}\b", page.inner_text("main"))

    page.get_by_label("Return Rain jacket").check()
    page.get_by_label("Why are you returning the Rain jacket?").select_option("defective")
    page.get_by_label("Short description for the Rain jacket").fill("The zip broke on day two.")
    jacket = page.locator("[data-line]", has_text="Rain jacket")
    jacket.get_by_label("Photos of the damage or fault").set_input_files(str(pictures[0]))
    jacket.get_by_label("Photos of the packaging it arrived in").set_input_files(str(pictures[1]))
    jacket.locator("[data-photo-item]").nth(1).wait_for()
    estimate = page.locator("#estimate")
    estimate.get_by_role("heading", name=re.compile("If we find no fault")).wait_for()
    text = estimate.inner_text()
    assert "If we confirm the fault: $60.00" in text
    assert "If we find no fault: $50.01" in text and "free-shipping return fee ($9.99) then applies" in text
    # Over the quantity left: the estimate says why, not "tick an item".
    page.get_by_label("Return Logo tee").check()
    page.get_by_label("How many Logo tees to return").fill("3")
    estimate.get_by_text("Only 2 of this item can still be returned.").wait_for()
    page.get_by_label("Return Logo tee").uncheck()
    estimate.get_by_text("Only 2 of this item can still be returned.").wait_for(state="detached")
    shot(page, f"journey-fault-01-estimate-{width}")
    axe(page, "start a return with a fault claim")

    page.locator("[data-submit-button]").click()
    page.wait_for_url("**/returns/RMA-*/")
    rr = ReturnRequest.objects.get()
    assert rr.status == S.SUBMITTED  # a fault claim waits for staff under AUTO_APPROVE=standard
    main = page.inner_text("main")
    assert "If we confirm the fault: $60.00" in main and "If we find no fault: $50.01" in main
    shot(page, f"journey-fault-02-return-page-{width}")
    axe(page, "the return's page with its estimate")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    context.close()


def test_required_fields_are_checked_in_the_browser_and_errors_clear_when_fixed(
    live_server, phone, client, customer, order
):
    from django.conf import settings

    client.force_login(customer)
    phone.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = phone
    page.goto(f"{live_server.url}/orders/{order.number}/return/")
    page.locator("[data-submit-button]").click()
    nothing = page.get_by_text("Choose at least one item to return: tick the box next to it.")
    nothing.wait_for()
    page.get_by_label("Return Stoneware mug").check()
    nothing.wait_for(state="detached")

    # A damage claim needs its description (R5, R7): the script says so before sending, in the server's words.
    reason = page.get_by_label("Why are you returning the Stoneware mug?")
    reason.select_option("damaged")
    page.locator("[data-submit-button]").click()
    description = page.get_by_label("Short description for the Stoneware mug")
    assert description.get_attribute("aria-invalid") == "true"
    assert "Tell us briefly what is wrong with it." in page.inner_text("main")
    # For a standard reason the reason is the description (§3): the same empty field is fine.
    reason.select_option("changed_mind")
    assert description.get_attribute("aria-invalid") is None
    assert "Tell us briefly what is wrong with it." not in page.inner_text("main")
    page.locator("[data-submit-button]").click()
    assert description.get_attribute("aria-invalid") is None
    assert page.get_by_text("Please confirm the item is in its original condition").count() == 1
    assert ReturnRequest.objects.count() == 0  # nothing was sent
    page.get_by_label(re.compile("I confirm the Stoneware mug")).check()
    assert page.get_by_text("Please confirm the item is in its original condition").count() == 0
    # The marks say which fields are always needed; the description's help says when it is.
    assert page.locator("label[for$='-description'] .required-mark").count() == 0
    assert "Needed for damage, a fault or a wrong item" in page.inner_text("main")
