"""A customer on a phone, from signing in to a recorded tracking number, in Debian's chromium.

Screenshots of each page land in test-artifacts/screenshots/ (kept out of git).
"""

import re

import pytest

from returns.models import DamagePhoto, ReturnRequest
from returns.services.requests import return_request_approve
from tests.factories import jpeg_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def photos(tmp_path):
    paths = {}
    for name, colour in (("cracked-shade.jpg", (180, 30, 30)), ("box.jpg", (150, 120, 60))):
        path = tmp_path / name
        path.write_bytes(jpeg_bytes(size=(800, 600), color=colour))
        paths[name] = path
    return paths


def test_customer_returns_two_lines_with_photos_and_records_tracking(
    live_server, phone, shot, axe, customer, order, service_agent, photos
):
    page = phone
    page.goto(f"{live_server.url}/account/sign-in/")
    page.get_by_label("Email address").fill("ANA@example.com")
    page.get_by_label("Password").fill("pass-word-123")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/orders/")
    assert page.get_by_role("heading", level=1).inner_text().strip() != ""
    assert "Stoneware mug" in page.content()
    shot(page, "customer-01-orders")
    axe(page, "my orders")

    page.get_by_role("link", name=re.compile(f"Start a return.*{order.number}")).first.click()
    page.wait_for_url(f"**/orders/{order.number}/return/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # Two mugs, changed mind.
    page.get_by_label("Return Stoneware mug").check()
    page.get_by_label("How many Stoneware mugs to return").fill("2")
    page.get_by_label("Why are you returning the Stoneware mug?").select_option("changed_mind")
    page.get_by_label("Short description for the Stoneware mug").fill("They are smaller than I expected.")
    page.get_by_label(re.compile("I confirm the Stoneware mug is in its original condition")).check()
    # The lamp arrived damaged: photos of the damage and of the box.
    lamp = page.locator("fieldset", has_text="Desk lamp")
    page.get_by_label("Return Desk lamp").check()
    page.get_by_label("Why are you returning the Desk lamp?").select_option("damaged")
    page.get_by_label("Short description for the Desk lamp").fill("The shade is cracked.")
    lamp.get_by_label("Photos of the damage or fault").set_input_files(str(photos["cracked-shade.jpg"]))
    lamp.get_by_label("Photos of the packaging it arrived in").set_input_files(str(photos["box.jpg"]))
    # Each photo uploads as it is picked; both are in once their thumbnails show.
    page.wait_for_function("() => document.querySelectorAll('[data-photo-item] img.photo-thumb').length === 2")

    # The estimate: 25.00 + 2.00 (mugs) + 45.00 + 3.60 (lamp) + 3.85 shipping share (5.99 × 45/70) = 79.45.
    page.locator("#estimate [data-estimate-total]").filter(has_text="$79.45").wait_for()
    assert "policy §5" in page.locator("#estimate").inner_text()
    assert "exchange" in page.content().lower()  # R8: no exchanges, and how to get one
    shot(page, "customer-02-start-return-with-estimate")
    axe(page, "start a return")

    page.locator("[data-submit-button]").click()
    page.wait_for_url("**/returns/RMA-*/")
    req = ReturnRequest.objects.get()
    assert req.rma in page.content()
    assert DamagePhoto.objects.filter(line__request=req).count() == 2
    assert "Submitted" in page.content()
    shot(page, "customer-03-return-submitted")

    # Customer service approves it (their side is tested in the staff journey).
    req = return_request_approve(request=req, by=service_agent)
    page.reload()
    assert f"Please ship it by {req.ship_by:%A}" in page.inner_text("main")
    shot(page, "customer-04-return-approved")
    axe(page, "the return's page")

    page.context.add_init_script("window.print = () => { window.__printed = true; };")  # no dialog in the test
    page.get_by_role("link", name="Print return authorization").first.click()
    page.wait_for_url(f"**/returns/{req.rma}/authorization/?print=1")
    page.wait_for_function("window.__printed === true")
    assert req.rma in page.content()
    assert "100 Warehouse Way" in page.content()
    qr = page.locator("[role=img][aria-label*='return number'] svg")
    assert qr.count() == 1 and qr.bounding_box()["width"] >= 120
    shot(page, "customer-05-authorization")
    axe(page, "the authorization")
    page.emulate_media(media="print")
    shot(page, "customer-06-authorization-print")
    page.emulate_media(media="screen")

    page.go_back()
    page.get_by_label("Carrier").fill("UPS")
    page.get_by_label("Tracking number").fill("1Z999AA10123456784")
    page.get_by_role("button", name="Record shipment").click()
    page.get_by_text("1Z999AA10123456784").first.wait_for()
    req.refresh_from_db()
    assert (req.status, req.tracking_number) == (ReturnRequest.Status.SHIPPED, "1Z999AA10123456784")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "customer-07-shipped")
