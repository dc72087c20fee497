"""A return's page, its printable authorization, recording the shipment, cancelling, the refund, photos."""

import re
from datetime import date, timedelta

import pytest
import segno
from django.urls import reverse

from returns.conf import store_today
from returns.models import DamagePhoto, Refund, ReturnRequest
from returns.services.inspection import LineVerdict, return_request_inspect
from returns.services.refunds import refund_issue, refund_mark_failed
from returns.services.replacements import replacement_send
from returns.services.requests import (
    LineRequest,
    return_request_approve,
    return_request_receive,
    return_request_record_shipment,
    return_request_reject,
    return_request_submit,
)
from tests.factories import OrderLineFactory, StaffFactory, pending_photo

pytestmark = pytest.mark.django_db
S = ReturnRequest.Status


def standard(ol, quantity=1):
    return LineRequest(ol.pk, quantity, "changed_mind", "Not for me", condition_confirmed=True)


def damaged(ol, preference="refund"):
    return LineRequest(
        ol.pk,
        1,
        "damaged",
        "Cracked base",
        preference=preference,
        photos=[
            pending_photo(ol, "issue", "i.jpg"),
            pending_photo(ol, "packaging", "p.jpg"),
        ],
    )


def url(name, rr):
    return reverse(f"returns:{name}", args=[rr.rma])


def page(client, rr):
    response = client.get(url("return_detail", rr))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def mug(order):
    return order.lines.get(sku="MUG-01")


@pytest.fixture
def lamp(order):
    return order.lines.get(sku="LAMP-02")


@pytest.fixture
def rr(order, mug, lamp, customer):
    """Submitted: two mugs (changed mind) and the lamp (damaged, with photos)."""
    return return_request_submit(order=order, lines=[standard(mug, 2), damaged(lamp)], by=customer)


@pytest.fixture
def approved(rr, service_agent):
    return return_request_approve(request=rr, by=service_agent, note="Thanks, please send it back.")


@pytest.fixture
def signed_in(client, customer):
    client.force_login(customer)
    return client


def ship(rr, customer):
    return return_request_record_shipment(request=rr, by=customer, carrier="UPS", tracking_number="1Z999")


# --- the page in each state -------------------------------------------------


class TestReturnPage:
    def test_submitted(self, signed_in, rr):
        html = page(signed_in, rr)
        assert f"Return {rr.rma}" in html
        assert "Submitted – waiting for review" in html
        assert "We are reviewing your request" in html
        assert "Stoneware mug × 2" in html and "Desk lamp × 1" in html
        assert "you asked for a refund" in html
        assert "Return requested" in html
        assert url("cancel", rr) in html
        assert url("record_shipment", rr) not in html
        assert url("authorization", rr) not in html

    def test_approved_gives_the_steps_and_the_ship_by_date(self, signed_in, approved, settings):
        ship_by = store_today() + timedelta(days=28)
        html = page(signed_in, approved)
        assert f"{ship_by:%A, %b %-d, %Y}" in html and "(28 days left)" in html
        assert 'href="/policy/#shipping">policy §4, Return shipping</a>' in html
        assert "original packaging" in html and "trackable, insured" in html
        assert "Print return authorization" in html and url("authorization", approved) in html
        assert settings.STORE_RETURN_ADDRESS in html
        assert url("record_shipment", approved) in html
        assert "Thanks, please send it back." in html
        assert url("cancel", approved) in html

    def test_approved_without_sending_it_back(self, signed_in, rr, service_agent):
        return_request_approve(request=rr, by=service_agent, return_required=False)
        html = page(signed_in, rr)
        assert "you don't need to send the item back" in html
        assert url("record_shipment", rr) not in html
        assert url("authorization", rr) not in html

    def test_rejected_shows_the_reason(self, signed_in, rr, service_agent):
        return_request_reject(request=rr, by=service_agent, reason="The photos show wear from use.")
        html = page(signed_in, rr)
        assert "We could not accept this return." in html
        assert "The photos show wear from use." in html
        assert url("cancel", rr) not in html

    def test_history_has_dates_and_notes_but_no_staff_names(self, signed_in, approved, service_agent, customer):
        html = page(signed_in, approved)
        assert html.count("<time datetime=") == 2
        assert "Approved" in html and "Thanks, please send it back." in html
        assert service_agent.email not in html and service_agent.full_name not in html

    def test_photos_are_shown_as_thumbnails_linking_to_the_photo(self, signed_in, rr):
        html = page(signed_in, rr)
        for photo in DamagePhoto.objects.all():
            assert reverse("returns:photo", args=[photo.pk]) in html
            assert reverse("returns:photo_thumbnail", args=[photo.pk]) in html
        assert 'alt="The issue (Desk lamp), photo 1"' in html

    def test_unknown_rma_is_404(self, signed_in):
        assert signed_in.get(reverse("returns:return_detail", args=["RMA-XXXX-XXXX"])).status_code == 404

    def test_rma_in_lower_case_still_opens(self, signed_in, rr):
        assert signed_in.get(reverse("returns:return_detail", args=[rr.rma.lower()])).status_code == 200


# --- the refund and the replacement ---------------------------------------------


class TestRefund:
    def test_breakdown_method_and_expected_dates_after_issue(
        self, signed_in, approved, customer, warehouse, service_agent
    ):
        ship(approved, customer)
        return_request_receive(request=approved, by=warehouse)
        verdicts = {
            rl.pk: LineVerdict(accepted=True, fault_confirmed=rl.reason == "damaged") for rl in approved.lines.all()
        }
        return_request_inspect(request=approved, by=warehouse, verdicts=verdicts)
        refund = Refund.objects.get(request=approved)

        pending = page(signed_in, approved)
        assert "Your refund is being processed" in pending
        assert "$79.45" in pending
        # A processor's failure is between staff: the customer's page does not show it.
        refund_mark_failed(refund=refund, by=service_agent, reason="Stripe error card_declined ch_3Q")
        assert "card_declined" not in page(signed_in, approved)

        # Friday Nov 6, 2026: 5 and 10 business days later are Fri Nov 13 and Fri Nov 20.
        refund_issue(refund=refund, by=service_agent, reference="re_123", today=date(2026, 11, 6))
        html = page(signed_in, approved)
        assert "Refunded" in html
        for label, amount in [
            ("Stoneware mug × 2", "$25.00"),
            ("Tax on Stoneware mug × 2", "$2.00"),
            ("Desk lamp × 1", "$45.00"),
            ("Tax on Desk lamp × 1", "$3.60"),
            ("Shipping refund", "$3.85"),
        ]:
            assert re.search(rf">{re.escape(label)}</th><td class=\"money\">{re.escape(amount)}</td>", html), label
        assert re.search(r'class="money fw-bold">\$79\.45<', html)
        assert "To: Visa ending 4242" in html
        assert "Fri, Nov 13, 2026" in html and "Fri, Nov 20, 2026" in html
        assert 'href="/policy/#refunds">policy §5, Refund processing</a>' in html
        assert "re_123" not in html.split('id="refund-heading"')[1].split("</section>")[0]

    def test_replacement_status(self, signed_in, order, lamp, customer, service_agent):
        rr = return_request_submit(order=order, lines=[damaged(lamp, preference="replacement")], by=customer)
        return_request_approve(request=rr, by=service_agent, return_required=False)
        line = rr.lines.get()
        verdict = LineVerdict(accepted=True, fault_confirmed=True, replace=True)
        return_request_inspect(request=rr, by=service_agent, verdicts={line.pk: verdict})
        html = page(signed_in, rr)
        assert "you asked for a replacement" in html
        assert "Replacement: <strong>being prepared</strong>" in html
        replacement_send(line=line, by=service_agent)
        html = page(signed_in, rr)
        assert "Replacement: <strong>sent</strong>" in html and "Completed" in html


# --- the printable authorization ------------------------------------------------


def qr_modules(html):
    """The dark modules drawn by the page's QR code, read back from its SVG path."""
    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    path = re.search(r'class="qrline"[^>]* d="([^"]+)"', svg).group(1)
    grid = [[0] * size for _ in range(size)]
    x = y = 0.0
    for command, args in re.findall(r"([Mmh])([^Mmh]*)", path):
        numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", args)]
        if command == "M":
            x, y = numbers
        elif command == "m":
            x, y = x + numbers[0], y + numbers[1]
        else:
            for i in range(int(numbers[0])):
                grid[int(y)][int(x) + i] = 1
            x += numbers[0]
    return grid


class TestAuthorization:
    def test_has_the_rma_the_address_the_items_and_a_qr_of_the_rma(self, signed_in, approved, settings):
        response = signed_in.get(url("authorization", approved))
        html = response.content.decode()
        assert response.status_code == 200
        assert approved.rma in html
        assert settings.STORE_RETURN_ADDRESS in html
        assert "Stoneware mug" in html and "MUG-01" in html and "Desk lamp" in html
        assert "<svg" in html
        assert f'role="img" aria-label="QR code of return number {approved.rma}"' in html
        assert "Print return authorization" in html
        expected = segno.make(approved.rma, error="m", micro=False)
        assert qr_modules(html) == [[int(bool(v)) for v in row] for row in expected.matrix_iter(border=4)]

    def test_not_yet_approved_goes_back_to_the_return(self, signed_in, rr):
        response = signed_in.get(url("authorization", rr))
        assert response.status_code == 302 and response.url == url("return_detail", rr)

    def test_still_printable_once_shipped(self, signed_in, approved, customer):
        ship(approved, customer)
        assert signed_in.get(url("authorization", approved)).status_code == 200


# --- recording the shipment -------------------------------------------------------


class TestShipment:
    def test_happy_path(self, signed_in, approved):
        response = signed_in.post(url("record_shipment", approved), {"carrier": "UPS", "tracking_number": "1Z999AA1"})
        assert response.status_code == 302 and response.url == url("return_detail", approved)
        approved.refresh_from_db()
        assert (approved.status, approved.carrier, approved.tracking_number) == (S.SHIPPED, "UPS", "1Z999AA1")
        html = page(signed_in, approved)
        assert "the carrier and tracking number are recorded" in html
        assert "1Z999AA1" in html and "Shipment recorded" in html
        assert "Correct the shipment details" in html

    def test_empty_tracking_number_is_shown_next_to_the_field(self, signed_in, approved):
        response = signed_in.post(url("record_shipment", approved), {"carrier": "UPS", "tracking_number": "  "})
        html = response.content.decode()
        assert response.status_code == 200
        error = re.search(r'id="id_tracking_number_error">(.*?)</div>\s*</div>', html, re.S).group(1)
        assert "Enter the tracking number" in error
        assert 'value="UPS"' in html
        approved.refresh_from_db()
        assert approved.status == S.APPROVED and approved.tracking_number == ""

    def test_correcting_after_shipping(self, signed_in, approved, customer):
        ship(approved, customer)
        signed_in.post(url("record_shipment", approved), {"carrier": "FedEx", "tracking_number": "7749"})
        approved.refresh_from_db()
        assert (approved.status, approved.carrier, approved.tracking_number) == (S.SHIPPED, "FedEx", "7749")
        assert "Tracking details corrected" in page(signed_in, approved)

    def test_refused_before_approval(self, signed_in, rr):
        response = signed_in.post(url("record_shipment", rr), {"carrier": "UPS", "tracking_number": "1Z"}, follow=True)
        assert "Cannot record a shipment for" in response.content.decode()
        rr.refresh_from_db()
        assert rr.status == S.SUBMITTED


# --- cancelling -----------------------------------------------------------------


class TestCancel:
    def test_asks_for_confirmation_then_cancels(self, signed_in, rr, mug):
        confirm = signed_in.get(url("cancel", rr))
        assert confirm.status_code == 200 and "Yes, cancel this return" in confirm.content.decode()
        rr.refresh_from_db()
        assert rr.status == S.SUBMITTED
        response = signed_in.post(url("cancel", rr))
        assert response.status_code == 302
        rr.refresh_from_db()
        assert rr.status == S.CANCELLED
        mug.refresh_from_db()
        assert mug.quantity_in_returns == 0
        html = page(signed_in, rr)
        assert f"Return {rr.rma} is cancelled" in html and "Cancelled" in html

    def test_approved_can_be_cancelled(self, signed_in, approved):
        signed_in.post(url("cancel", approved))
        approved.refresh_from_db()
        assert approved.status == S.CANCELLED

    def test_refused_after_shipping(self, signed_in, approved, customer):
        ship(approved, customer)
        response = signed_in.post(url("cancel", approved), follow=True)
        assert "can no longer be cancelled" in response.content.decode()
        approved.refresh_from_db()
        assert approved.status == S.SHIPPED
        assert url("cancel", approved) not in page(signed_in, approved)
        assert signed_in.get(url("cancel", approved)).status_code == 302


# --- photos -------------------------------------------------------------------------


class TestPhotos:
    def test_owner_gets_the_jpeg_privately(self, signed_in, rr):
        photo = DamagePhoto.objects.filter(kind="issue").get()
        response = signed_in.get(reverse("returns:photo", args=[photo.pk]))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert response["Cache-Control"] == "private, max-age=3600"
        assert response["X-Content-Type-Options"] == "nosniff"
        body = b"".join(response.streaming_content)
        assert body.startswith(b"\xff\xd8") and body == photo.image.open("rb").read()

    def test_thumbnail_or_the_photo_when_there_is_none(self, signed_in, rr):
        issue = DamagePhoto.objects.get(kind="issue")
        packaging = DamagePhoto.objects.get(kind="packaging")
        thumb = signed_in.get(reverse("returns:photo_thumbnail", args=[issue.pk]))
        assert b"".join(thumb.streaming_content) == issue.thumbnail.open("rb").read()
        fallback = signed_in.get(reverse("returns:photo_thumbnail", args=[packaging.pk]))
        assert b"".join(fallback.streaming_content) == packaging.image.open("rb").read()
        assert fallback["Cache-Control"] == "private, max-age=3600"

    def test_staff_who_may_view_photos_see_them(self, client, rr, warehouse):
        client.force_login(warehouse)
        photo = DamagePhoto.objects.first()
        assert client.get(reverse("returns:photo", args=[photo.pk])).status_code == 200
        assert client.get(reverse("returns:photo_thumbnail", args=[photo.pk])).status_code == 200

    def test_staff_without_the_permission_do_not(self, client, rr):
        client.force_login(StaffFactory())
        assert client.get(reverse("returns:photo", args=[DamagePhoto.objects.first().pk])).status_code == 404

    @pytest.mark.parametrize("view", ["returns:photo", "returns:photo_thumbnail"])
    def test_another_customer_and_anonymous_get_404(self, client, rr, other_customer, view):
        target = reverse(view, args=[DamagePhoto.objects.first().pk])
        assert client.get(target).status_code == 404
        client.force_login(other_customer)
        assert client.get(target).status_code == 404


# --- who may see it ----------------------------------------------------------------------

PRIVATE = [
    ("get", "return_detail"),
    ("get", "authorization"),
    ("post", "record_shipment"),
    ("get", "cancel"),
    ("post", "cancel"),
]


@pytest.mark.parametrize(("method", "name"), PRIVATE)
def test_another_customer_gets_404_and_changes_nothing(client, approved, other_customer, method, name):
    client.force_login(other_customer)
    response = getattr(client, method)(url(name, approved), {"carrier": "UPS", "tracking_number": "1Z"})
    assert response.status_code == 404
    html = response.content.decode()
    assert "Stoneware mug" not in html and "100234" not in html and "approved" not in html.lower()
    approved.refresh_from_db()
    assert approved.status == S.APPROVED


@pytest.mark.parametrize(("method", "name"), PRIVATE)
def test_anonymous_gets_404_and_changes_nothing(client, approved, method, name):
    response = getattr(client, method)(url(name, approved), {"carrier": "UPS", "tracking_number": "1Z"})
    assert response.status_code == 404
    approved.refresh_from_db()
    assert approved.status == S.APPROVED


# --- queries ----------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 12])
def test_return_page_queries_do_not_grow_with_lines(
    client, customer, order, service_agent, count, django_assert_max_num_queries
):
    """The request, its lines with their order lines, their photos, its history, its messages: fixed prefetches.

    The authorization needs only the request and its lines with their order lines."""
    lines = [OrderLineFactory(order=order) for _ in range(count)]
    rr = return_request_submit(order=order, lines=[damaged(ol) for ol in lines], by=customer)
    return_request_approve(request=rr, by=service_agent)
    client.force_login(customer)
    with django_assert_max_num_queries(7):
        html = page(client, rr)
    assert html.count("returns/photos/") == 0 and html.count("/thumbnail/") == 2 * count
    with django_assert_max_num_queries(4):
        assert client.get(url("authorization", rr)).status_code == 200
