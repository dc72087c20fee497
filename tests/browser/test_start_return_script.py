"""The start-a-return page's script in a real browser (Debian's chromium), on a 375 px wide phone."""

import pytest
from django.conf import settings

from returns.models import ReturnRequest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(browser, live_server, client, customer):
    """A 375 px wide page signed in as the customer."""
    client.force_login(customer)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context = browser.new_context(viewport={"width": 375, "height": 800})
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_estimate_follows_the_choices_and_the_request_is_sent_once(phone, live_server, order):
    phone.goto(f"{live_server.url}/orders/{order.number}/return/")
    confirm = phone.get_by_label("I confirm the Desk lamp is in its original condition")
    packaging_photos = phone.locator("fieldset", has_text="Desk lamp").get_by_label("Photos of the packaging")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375

    # Details of a line appear once it is ticked; the fault-only part only for a fault reason. One lamp was
    # bought: it asks no quantity.
    reason = phone.get_by_label("Why are you returning the Desk lamp?")
    assert not reason.is_visible()
    phone.get_by_label("Return Desk lamp").check()
    assert reason.is_visible()
    assert phone.get_by_label("How many Desk lamps to return").count() == 0
    phone.get_by_label("Why are you returning the Desk lamp?").select_option("changed_mind")
    assert confirm.is_visible()
    assert not packaging_photos.is_visible()

    # The estimate is fetched from the server and swapped in, without a reload.
    estimate = phone.locator("#estimate [data-estimate-total]")
    estimate.filter(has_text="$48.60").wait_for()
    phone.get_by_label("Why are you returning the Desk lamp?").select_option("damaged")
    assert packaging_photos.is_visible() and not confirm.is_visible()
    estimate.filter(has_text="$52.45").wait_for()  # 45.00 + 3.60 + shipping 5.99 × 45/70 = 3.85
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375

    # A standard reason, sent with a double click: one request, and the return's page.
    phone.get_by_label("Why are you returning the Desk lamp?").select_option("wrong_size")
    phone.get_by_label("Short description for the Desk lamp").fill("Too bright")
    confirm.check()
    phone.locator("[data-submit-button]").dblclick()
    phone.wait_for_url("**/returns/RMA-*/")
    assert ReturnRequest.objects.count() == 1
    # A standard return passes every rule: approved at once (AUTO_APPROVE=standard).
    assert "Approved – waiting for your parcel" in phone.content()
