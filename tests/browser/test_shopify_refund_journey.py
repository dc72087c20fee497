"""A Shopify store, start to end: the order arrives by Shopify's signed webhook, the customer returns the shirt on
a phone, customer service approves, the warehouse receives and inspects it choosing to restock it, customer
service presses *Refund through Shopify* (the local stand-in for Shopify's GraphQL API), and the customer's page
says Refunded. Every call crosses a real socket: Shopify posts to the live server, the portal to the stand-in.

Screenshots land in test-artifacts/screenshots/ (kept out of git).
"""

import copy
import datetime
import re

import pytest
from django.utils import timezone

from returns.integrations.shopify import shopify_signature
from returns.models import Order, Refund, ReturnRequest
from tests.browser.test_integrated_journey import parcel_received, post_json, return_started
from tests.conftest import SHOPIFY_LOCATION
from tests.returns.integrations.shopify.test_webhooks import EVENT, ORDER

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
S = ReturnRequest.Status
SECRET = "shpss_journey_secret"


def from_shopify(live_server, topic, payload, webhook_id):
    return post_json(
        f"{live_server.url}/api/v1/shopify/webhooks",
        payload,
        lambda body: {
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": shopify_signature(body, SECRET),
            "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-Shop-Domain": "alotrop.myshopify.com",
        },
    )


def test_order_from_shopify_returned_inspected_with_restock_and_refunded_inside_shopify(
    browser, live_server, staff_signed_in, phone, shot, axe, settings, fake_shopify, customer, service_agent, warehouse
):
    settings.SHOPIFY_WEBHOOK_SECRET = SECRET
    settings.AUTO_APPROVE = "off"  # customer service approves
    today = timezone.localdate()

    # 1. Shopify sends the order as it is placed, then the carrier's delivery.
    order = copy.deepcopy(ORDER)
    placed = f"{today - datetime.timedelta(days=6)}T10:15:00-05:00"
    order.update(created_at=placed, processed_at=placed, updated_at=placed)
    status, answer = from_shopify(live_server, "orders/create", order, "wh-order-1")
    assert (status, answer["created"]) == (200, 1), answer
    delivered = {**EVENT, "happened_at": f"{today - datetime.timedelta(days=2)}T15:30:00Z"}
    status, answer = from_shopify(live_server, "fulfillment_events/create", delivered, "wh-delivery-1")
    assert status == 200 and answer["applied"] is True, answer
    shirt = Order.objects.get(number="1001").lines.get(sku="SHIRT-LIN-M")
    assert shirt.shopify_line_item_id == "1300001"
    fake_shopify.add_order("5723411234567", lines={"1300001": 1, "1300002": 3, "1300003": 1}, paid="102.74")

    # 2. The customer returns the shirt on a phone.
    page = phone
    return_started(page, live_server.url, customer.email, "1001")
    page.get_by_label("Return Linen shirt - M").check()
    page.get_by_label("Why are you returning the Linen shirt - M?").select_option("wrong_size")
    page.get_by_label("Short description for the Linen shirt - M").fill("Too tight across the shoulders.")
    page.get_by_label(re.compile("I confirm the Linen shirt - M is in its original condition")).check()
    page.locator("#estimate [data-estimate-total]").filter(has_text="$57.38").wait_for()
    page.locator("[data-submit-button]").click()
    page.wait_for_url("**/returns/RMA-*/")
    req = ReturnRequest.objects.get(order__number="1001")
    assert req.status == S.SUBMITTED

    # 3. Customer service approves; the warehouse receives the parcel and inspects it, putting it back on the shelf.
    cara = staff_signed_in(service_agent.email)
    cara.goto(f"{live_server.url}/admin/returns/returnrequest/{req.pk}/change/")
    cara.get_by_role("button", name=f"Approve {req.rma}").click()
    cara.get_by_text(re.compile(f"{req.rma}.*approved", re.I)).first.wait_for()
    wes = staff_signed_in(warehouse.email)
    parcel_received(wes, live_server.url, req.rma)
    handheld = staff_signed_in(warehouse.email, width=390, height=844)  # the same page on a warehouse handheld
    handheld.goto(f"{live_server.url}/admin/returns/returnrequest/{req.pk}/inspect/")
    handheld.get_by_label("No restock (damaged)").wait_for()
    shot(handheld, "shopify-00-inspection-restock-390")
    wes.goto(f"{live_server.url}/admin/returns/returnrequest/{req.pk}/inspect/")
    row = wes.locator("tr", has_text="Linen shirt - M")
    row.get_by_label("Accept").check()
    row.get_by_label("Restock (back on the shelf)").check()
    shot(wes, "shopify-01-inspection-restock-1280")
    axe(wes, "the inspection with the restock choice")
    wes.get_by_role("button", name="Preview the refund").click()
    wes.get_by_text("Accepted, no fault, restock (back on the shelf)").wait_for()
    wes.get_by_role("button", name=f"Confirm inspection of {req.rma}").click()
    wes.get_by_text(re.compile("inspected", re.I)).first.wait_for()
    refund = Refund.objects.get(request=req)
    assert refund.total.to_eng_string() == "57.38" and refund.state == Refund.State.PENDING

    # 4. Customer service refunds it through Shopify: one refund there, for the shirt, restocked at the location.
    cara.goto(f"{live_server.url}/admin/returns/returnrequest/{req.pk}/change/")
    cara.get_by_text("Restock (back on the shelf)").first.wait_for()
    cara.get_by_role("button", name="Refund through Shopify").click()
    cara.get_by_text(re.compile(f"Refund for {req.rma}")).first.wait_for()
    shot(cara, "shopify-02-staff-refunded-1280")
    [made] = fake_shopify.refunds_for("5723411234567")
    assert made["_input"]["refundLineItems"] == [
        {
            "lineItemId": "gid://shopify/LineItem/1300001",
            "quantity": 1,
            "restockType": "RETURN",
            "locationId": SHOPIFY_LOCATION,
        }
    ]
    assert made["_input"]["transactions"][0]["amount"] == "57.38"
    refund.refresh_from_db()
    assert refund.state == Refund.State.ISSUED and refund.reference == made["id"]

    # 5. The customer's page says refunded, to Shopify Payments.
    page.goto(f"{live_server.url}/returns/{req.rma}/")
    text = page.inner_text("main")
    assert "Refunded" in text and "$57.38" in text and "Shopify Payments" in text
    assert made["id"] not in text  # Shopify's reference is for staff
    shot(page, "shopify-03-customer-refunded-390")
    axe(page, "the refunded return")
