"""The return's page tells what happened: carrier links, a completed return with no refund, the item's fate."""

import re

import pytest
from django.urls import reverse

from returns.models import ReturnRequest
from returns.services.inspection import LineVerdict, return_request_inspect
from returns.services.requests import (
    LineRequest,
    return_request_approve,
    return_request_receive,
    return_request_record_shipment,
    return_request_submit,
)

pytestmark = pytest.mark.django_db
S = ReturnRequest.Status


@pytest.fixture
def approved(order, customer, service_agent):
    mug = order.lines.get(sku="MUG-01")
    rr = return_request_submit(
        order=order,
        lines=[LineRequest(mug.pk, 1, "changed_mind", "Too small", condition_confirmed=True)],
        by=customer,
    )
    return return_request_approve(request=rr, by=service_agent)


@pytest.fixture
def signed_in(client, customer):
    client.force_login(customer)
    return client


def page(client, rr):
    return client.get(reverse("returns:return_detail", args=[rr.rma])).content.decode()


def record(client, rr, carrier, number):
    return client.post(
        reverse("returns:record_shipment", args=[rr.rma]), {"carrier": carrier, "tracking_number": number}
    )


@pytest.mark.parametrize(
    ("number", "carrier", "url"),
    [
        ("1Z999AA10123456784", "UPS", "https://www.ups.com/track?tracknum=1Z999AA10123456784"),
        (
            "9400111899223856928499",
            "USPS",
            "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223856928499",
        ),
        ("123456789012", "FedEx", "https://www.fedex.com/fedextrack/?trknbr=123456789012"),
        ("1234567890", "DHL", "tracking-id=1234567890"),
    ],
)
def test_carrier_is_told_from_the_number_and_linked(signed_in, approved, number, carrier, url):
    assert record(signed_in, approved, "", number).status_code == 302
    approved.refresh_from_db()
    assert (approved.carrier, approved.tracking_number) == (carrier, number)
    html = page(signed_in, approved)
    assert re.search(rf'<a class="font-monospace" href="[^"]*{re.escape(url)}[^"]*"', html)


def test_a_named_carrier_wins_and_an_unknown_number_stays_text(signed_in, approved):
    record(signed_in, approved, "my local courier", "AB-77")
    approved.refresh_from_db()
    html = page(signed_in, approved)
    assert approved.carrier == "my local courier"
    assert '<span class="font-monospace">AB-77</span>' in html


def test_no_carrier_and_an_unknown_number_asks_for_the_carrier(signed_in, approved):
    response = record(signed_in, approved, "", "AB-77")
    assert response.status_code == 200
    assert "tell the carrier from this tracking number" in response.content.decode()
    approved.refresh_from_db()
    assert approved.status == S.APPROVED


def test_completed_with_no_refund_says_so_and_what_happens_to_the_item(
    signed_in, approved, customer, warehouse, settings, mailoutbox, django_capture_on_commit_callbacks
):
    return_request_record_shipment(request=approved, by=customer, carrier="UPS", tracking_number="1Z1")
    return_request_receive(request=approved, by=warehouse)
    line = approved.lines.get()
    with django_capture_on_commit_callbacks(execute=True):
        return_request_inspect(
            request=approved, by=warehouse, verdicts={line.pk: LineVerdict(accepted=False, note="Used, with stains")}
        )
    approved.refresh_from_db()
    assert approved.status == S.COMPLETED
    html = page(signed_in, approved)
    assert "This return is complete, with <strong>no refund</strong>" in html
    assert "We keep the Stoneware mug for 30 days" in html and approved.rma in html
    settings.UNACCEPTED_ITEM = "send_back"
    assert "We will send the Stoneware mug back to you at no cost" in page(signed_in, approved)


def test_inspection_email_says_no_refund_and_the_item_fate(approved, customer, warehouse, mailoutbox, settings):
    from django.core import mail

    from returns.outbox.mail import notifications_send_due

    return_request_record_shipment(request=approved, by=customer, carrier="UPS", tracking_number="1Z1")
    return_request_receive(request=approved, by=warehouse)
    line = approved.lines.get()
    return_request_inspect(request=approved, by=warehouse, verdicts={line.pk: LineVerdict(accepted=False, note="Used")})
    mail.outbox.clear()
    notifications_send_due()
    inspected = next(m for m in mail.outbox if "inspection result" in m.subject)
    assert "No refund is due on this return." in inspected.body
    assert "We keep the Stoneware mug for 30 days" in inspected.body
