"""Staff take a return from review to refund in the admin, in Debian's chromium; the customer sees each step.

Screenshots of each admin screen land in test-artifacts/screenshots/ (kept out of git).
"""

import re
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.core import mail

from returns.models import Refund, ReturnRequest
from returns.services.requests import LineRequest, return_request_record_shipment, return_request_submit
from tests.factories import pending_photo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
S = ReturnRequest.Status


def subjects_to(address):
    return [m.subject for m in mail.outbox if m.to == [address]]


def test_review_receive_inspect_and_refund(
    browser, live_server, staff_signed_in, shot, client, settings, customer, order, service_agent, warehouse
):
    settings.STAFF_NOTIFICATION_EMAIL = "returns-team@alotrop.com"
    mug, lamp = order.lines.get(sku="MUG-01"), order.lines.get(sku="LAMP-02")
    req = return_request_submit(
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
                description="The shade is cracked.",
                photos=[
                    pending_photo(lamp, "issue", size=(400, 300)),
                    pending_photo(lamp, "packaging", size=(400, 300), color=(150, 120, 60)),
                ],
            ),
        ],
    )

    # Customer service: the overview, the list, the request, approve.
    cara = staff_signed_in(service_agent.email)
    assert cara.locator("#tile-review").inner_text().split() == ["1", "To", "review"]
    shot(cara, "staff-01-admin-overview")
    cara.goto(f"{live_server.url}/admin/returns/returnrequest/")
    cara.get_by_role("link", name=req.rma).click()
    cara.get_by_text("The shade is cracked.").first.wait_for()
    cara.wait_for_load_state("networkidle")
    assert cara.locator("img[src*='/photos/']").count() >= 2  # thumbnails through the private view
    shot(cara, "staff-02-request-page-submitted")
    cara.get_by_role("button", name=f"Approve {req.rma}").click()
    cara.get_by_text(re.compile(f"{req.rma}.*approved", re.I)).first.wait_for()
    req.refresh_from_db()
    assert req.status == S.APPROVED and req.ship_by is not None

    # The customer posts it (their side is in the customer journey).
    return_request_record_shipment(request=req, by=customer, carrier="UPS", tracking_number="1Z999")

    # Warehouse: scan the RMA at the receiving desk (lower case, stray spaces, Enter), receive, inspect.
    wes = staff_signed_in(warehouse.email)
    wes.goto(f"{live_server.url}/admin/returns/returnrequest/receiving/")
    shot(wes, "staff-03-receiving-desk")
    wes.get_by_label("RMA number").fill(f"  {req.rma.lower()} ")
    wes.get_by_label("RMA number").press("Enter")
    receive = wes.get_by_role("button", name=f"Mark {req.rma} received")
    receive.wait_for()
    shot(wes, "staff-04-scanned-ready-to-receive")
    receive.click()
    req.refresh_from_db()
    assert req.status == S.RECEIVED
    assert wes.get_by_role("button", name=f"Approve {req.rma}").count() == 0  # not a warehouse step

    wes.goto(f"{live_server.url}/admin/returns/returnrequest/{req.pk}/change/")
    wes.get_by_role("link", name=f"Inspect {req.rma}").click()
    mug_row = wes.locator("tr", has_text="Stoneware mug")
    lamp_row = wes.locator("tr", has_text="Desk lamp")
    mug_row.get_by_label("Accept").check()
    lamp_row.get_by_label("Accept").check()
    lamp_row.get_by_label("Fault confirmed").check()
    lamp_row.get_by_label(re.compile("Note the customer sees")).fill("Shade cracked in transit.")
    wes.get_by_role("button", name="Preview the refund").click()
    # 25.00 + 2.00 + 45.00 + 3.60 + shipping 5.99 × 45/70 = 3.85 → 79.45, shown before anything is saved.
    wes.get_by_text("79.45").first.wait_for()
    assert "3.85" in wes.content()
    assert not Refund.objects.exists()
    shot(wes, "staff-05-inspection-preview")
    wes.get_by_role("button", name=f"Confirm inspection of {req.rma}").click()
    wes.get_by_text(re.compile("inspected", re.I)).first.wait_for()
    refund = Refund.objects.get(request=req)
    assert refund.total == Decimal("79.45")
    assert wes.get_by_role("button", name="Mark refund issued").count() == 0  # warehouse cannot pay

    # Customer service issues the refund.
    cara.goto(f"{live_server.url}/admin/returns/returnrequest/{req.pk}/change/")
    shot(cara, "staff-06-request-page-inspected")
    cara.get_by_label("Payment processor's reference").fill("re_3QxA9")
    cara.get_by_role("button", name="Mark refund issued").click()
    cara.get_by_text(re.compile("issued", re.I)).first.wait_for()
    req.refresh_from_db()
    assert req.status == S.REFUNDED
    shot(cara, "staff-07-request-page-refunded")

    # The customer's page and mailbox followed every step.
    customer_context = browser.new_context(viewport={"width": 390, "height": 844})
    client.force_login(customer)
    customer_context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    mine = customer_context.new_page()
    mine.goto(f"{live_server.url}/returns/{req.rma}/")
    text = mine.inner_text("main")
    assert "Refunded" in text and "79.45" in text and "Visa ending 4242" in text
    assert "re_3QxA9" not in text
    shot(mine, "staff-08-customer-sees-refund")
    customer_context.close()

    received = subjects_to(order.email)
    assert len(received) == 6, received  # submitted, approved, shipped, received, inspected, refund issued
    assert all(req.rma in s for s in received)
    assert any("$79.45" in s for s in received)
    assert len(subjects_to("returns-team@alotrop.com")) == 1
