"""Nobody in between: the store's webhook brings the order and its delivery, the customer returns it on a
phone, the warehouse inspects it, the refund is paid at (the local stand-in for) Stripe and the customer
sees it refunded. Every call crosses a real socket: the store and Stripe post to the live server.

Screenshots land in test-artifacts/screenshots/ (kept out of git).
"""

import copy
import datetime
import hashlib
import hmac
import json
import re
import time
import urllib.error
import urllib.request
from decimal import Decimal

import pytest
from django.utils import timezone

from returns.api.schema import EXAMPLE_ORDER
from returns.api.signing import header_for
from returns.models import Order, Refund, ReturnRequest
from tests.conftest import STRIPE_WEBHOOK_TEST_SECRET

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
S = ReturnRequest.Status
ORDER_SECRET = "whsec_store_journey"
PI = "pi_3JourneyAlotrop"


def post_json(url, payload, headers):
    body = json.dumps(payload).encode()
    request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310 - the live server
    request.add_header("Content-Type", "application/json")
    for name, value in headers(body).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 - the live server
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def return_started(page, base, email, number):
    """The customer signs in on ``page`` and opens Start a return for order ``number``."""
    page.goto(f"{base}/account/sign-in/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill("pass-word-123")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/orders/")
    page.get_by_role("link", name=re.compile(f"Start a return.*{number}")).first.click()
    page.wait_for_url(f"**/orders/{number}/return/")


def parcel_received(wes, base, rma):
    """The warehouse scans the parcel in at the receiving desk."""
    wes.goto(f"{base}/admin/returns/returnrequest/receiving/")
    wes.get_by_label("RMA number").fill(rma)
    wes.get_by_label("RMA number").press("Enter")
    wes.get_by_role("button", name=f"Mark {rma} received").click()
    wes.get_by_text(re.compile(f"{rma}.*received", re.I)).first.wait_for()


def from_the_store(live_server, payload, delivery_id):
    return post_json(
        f"{live_server.url}/api/v1/orders",
        payload,
        lambda body: {
            "X-Alotrop-Signature": header_for(body, ORDER_SECRET, delivery_id=delivery_id),
            "X-Alotrop-Delivery": delivery_id,
        },
    )


def from_stripe(live_server, refund_object):
    event = {
        "id": f"evt_{refund_object['id'][3:15]}",
        "object": "event",
        "type": "refund.updated",
        "api_version": "2024-06-20",
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": refund_object},
    }

    def signed(body):
        at = int(time.time())
        mac = hmac.new(STRIPE_WEBHOOK_TEST_SECRET.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
        return {"Stripe-Signature": f"t={at},v1={mac}"}

    return post_json(f"{live_server.url}/api/v1/stripe/webhook", event, signed)


def test_order_by_webhook_returned_inspected_and_refunded_at_stripe(
    browser, live_server, staff_signed_in, phone, shot, axe, settings, fake_stripe, customer, service_agent, warehouse
):
    settings.ORDER_WEBHOOK_SECRET = ORDER_SECRET
    settings.AUTO_APPROVE = "standard"
    fake_stripe.refund_status = "pending"  # Stripe settles card refunds later and says so by webhook
    today = timezone.localdate()

    # 1. The store pushes the order when it is placed (two mugs at 12.50 + 1.00 tax, 5.99 shipping) ...
    order = copy.deepcopy(EXAMPLE_ORDER)
    order.update(number="300777", payment_reference=PI, placed_at=f"{today - datetime.timedelta(days=6)}T09:00:00Z")
    fake_stripe.add_payment(PI, amount=3299)
    status, answer = from_the_store(live_server, order, "dlv-1")
    assert (status, answer["created"]) == (200, 1)
    assert not Order.objects.get(number="300777").delivered_on
    # ... and the carrier's delivery two days later, as a small payload of its own (sent twice: a redelivery).
    delivery = {"delivery": {"number": "300777", "delivered_on": str(today - datetime.timedelta(days=2))}}
    first = from_the_store(live_server, delivery, "dlv-2")
    assert first[0] == 200
    again = from_the_store(live_server, delivery, "dlv-2")
    assert again == (200, {**first[1], "replayed": True})
    assert Order.objects.get(number="300777").delivered_on == today - datetime.timedelta(days=2)

    # 2. The customer returns both mugs on a phone; the risk rules approve it at once.
    page = phone
    return_started(page, live_server.url, customer.email, "300777")
    page.get_by_label("Return Stoneware mug").check()
    page.get_by_label("How many Stoneware mugs to return").fill("2")
    page.get_by_label("Why are you returning the Stoneware mug?").select_option("changed_mind")
    page.get_by_label("Short description for the Stoneware mug").fill("Too small for my coffee.")
    page.get_by_label(re.compile("I confirm the Stoneware mug is in its original condition")).check()
    page.locator("#estimate [data-estimate-total]").filter(has_text="$27.00").wait_for()
    page.locator("[data-submit-button]").click()
    page.wait_for_url("**/returns/RMA-*/")
    req = ReturnRequest.objects.get(order__number="300777")
    assert req.status == S.APPROVED  # approved at once, no person in between
    page.get_by_label("Carrier").fill("UPS")
    page.get_by_label("Tracking number").fill("1Z999AA10123456784")
    page.get_by_role("button", name="Record shipment").click()
    page.get_by_text("1Z999AA10123456784").first.wait_for()
    shot(page, "integrated-01-customer-shipped")

    # 3. The warehouse scans the parcel in and inspects it.
    wes = staff_signed_in(warehouse.email)
    parcel_received(wes, live_server.url, req.rma)
    wes.goto(f"{live_server.url}/admin/returns/returnrequest/{req.pk}/change/")
    wes.get_by_role("link", name=f"Inspect {req.rma}").click()
    wes.locator("tr", has_text="Stoneware mug").get_by_label("Accept").check()
    wes.get_by_role("button", name="Preview the refund").click()
    wes.get_by_text("27.00").first.wait_for()
    wes.get_by_role("button", name=f"Confirm inspection of {req.rma}").click()
    wes.get_by_text(re.compile("inspected", re.I)).first.wait_for()
    refund = Refund.objects.get(request=req)
    assert refund.total == Decimal("27.00") and refund.state == Refund.State.PENDING

    # 4. Customer service sends it through Stripe: one refund there, in cents, keyed by our row.
    cara = staff_signed_in(service_agent.email)
    cara.goto(f"{live_server.url}/admin/returns/returnrequest/{req.pk}/change/")
    cara.get_by_role("button", name=re.compile("Refund through Stripe")).click()
    cara.get_by_text(re.compile("Stripe", re.I)).first.wait_for()
    shot(cara, "integrated-02-staff-refund-sent")
    [at_stripe] = fake_stripe.refunds_for(PI)
    assert at_stripe["amount"] == 2700 and at_stripe["metadata"]["rma"] == req.rma
    refund.refresh_from_db()
    assert refund.state == Refund.State.PROCESSING and refund.reference == at_stripe["id"]

    # 5. Stripe says it succeeded; the customer's page says refunded, to the card they paid with.
    assert from_stripe(live_server, fake_stripe.settle(at_stripe["id"], "succeeded"))[0] == 200
    req.refresh_from_db()
    assert req.status == S.REFUNDED
    page.goto(f"{live_server.url}/returns/{req.rma}/")
    text = page.inner_text("main")
    assert "Refunded" in text and "$27.00" in text and "Visa ending 4242" in text
    assert at_stripe["id"] not in text  # the provider's reference is for staff
    shot(page, "integrated-03-customer-sees-refund")
    axe(page, "the refunded return")
    assert len(fake_stripe.refunds_for(PI)) == 1
