"""Starting a return: the form, every validation error, the refund estimate, photos and the double submit."""

import re
import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from returns.conf import store_today
from returns.exceptions import PolicyViolation
from returns.models import DamagePhoto, PendingPhoto, ReturnRequest
from returns.services import guest_access as access
from returns.services.requests import LineRequest, return_request_submit
from tests.factories import OrderFactory, OrderLineFactory, jpeg_bytes

pytestmark = pytest.mark.django_db


def name(ol, field):
    return f"line-{ol.pk}-{field}"


def line_data(ol, *, quantity=1, reason="changed_mind", description="Too small for me", confirm=True, **extra):
    data = {
        name(ol, "selected"): "on",
        name(ol, "quantity"): str(quantity),
        name(ol, "reason"): reason,
        name(ol, "description"): description,
        name(ol, "preference"): extra.pop("preference", "refund"),
    }
    if confirm:
        data[name(ol, "condition_confirmed")] = "on"
    data.update({name(ol, k): v for k, v in extra.items()})
    return data


def photo(filename="photo.jpg", content=None):
    return SimpleUploadedFile(filename, content if content is not None else jpeg_bytes(), content_type="image/jpeg")


def start_url(order):
    return reverse("returns:start_return", args=[order.number])


def post(client, order, *parts, key=None, **extra):
    data = {"submission_key": key or str(uuid.uuid4())}
    for part in parts:
        data.update(part)
    data.update(extra)
    return client.post(start_url(order), data)


def error_of(response, ol, field):
    """The text of the error shown next to one field of one line (empty if none)."""
    html = response.content.decode()
    match = re.search(rf'id="id_line-{ol.pk}-{field}_error">(.*?)</div>\s*</div>', html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)) if match else ""


@pytest.fixture
def mug(order):
    return order.lines.get(sku="MUG-01")


@pytest.fixture
def lamp(order):
    return order.lines.get(sku="LAMP-02")


@pytest.fixture
def signed_in(client, customer):
    client.force_login(customer)
    return client


# --- the page ---------------------------------------------------------------


class TestPage:
    def test_one_fieldset_per_line_with_labelled_controls(self, signed_in, order, mug, lamp):
        response = signed_in.get(start_url(order))
        html = response.content.decode()
        assert response.status_code == 200
        assert html.count("<fieldset>\n  <legend") == 2
        assert (
            f'<label class="form-label" for="id_line-{mug.pk}-quantity">How many Stoneware mugs to return '
            '<span class="required-mark" aria-hidden="true">*</span></label>' in html
        )
        assert 'max="2"' in html
        assert "Return Desk lamp" in html
        assert 'name="submission_key"' in html
        assert 'aria-live="polite"' in html
        assert "We don't offer exchanges" in html and "place a new order" in html

    def test_a_one_unit_line_asks_no_quantity(self, signed_in, order, mug, lamp):
        """One lamp bought: "how many" has one answer, sent as it is; two mugs still ask."""
        html = signed_in.get(start_url(order)).content.decode()
        assert "How many Desk lamps to return" not in html
        assert f'<input type="hidden" name="line-{lamp.pk}-quantity" value="1"' in html
        assert "How many Stoneware mugs to return" in html

    def test_the_only_returnable_line_starts_ticked(self, signed_in, customer):
        alone = OrderFactory(email=customer.email)
        kettle = OrderLineFactory(order=alone, name="Kettle", quantity=1)
        html = signed_in.get(start_url(alone)).content.decode()
        assert re.search(rf'<input type="checkbox" name="line-{kettle.pk}-selected"[^>]* checked', html)

    def test_with_several_returnable_lines_none_starts_ticked(self, signed_in, order, mug):
        html = signed_in.get(start_url(order)).content.decode()
        assert not re.search(r'name="line-\d+-selected"[^>]* checked', html)

    def test_the_estimate_button_is_for_pages_without_the_script(self, signed_in, order):
        """The script updates the estimate as choices change; the button shows only where it cannot."""
        html = signed_in.get(start_url(order)).content.decode()
        assert re.search(r"<noscript><button[^>]*data-estimate-button>Update the estimate</button></noscript>", html)

    def test_final_sale_line_offers_only_fault_reasons(self, signed_in, order):
        vase = OrderLineFactory(order=order, sku="VASE-06", name="Clearance vase", final_sale=True)
        html = signed_in.get(start_url(order)).content.decode()
        select = re.search(rf'<select name="line-{vase.pk}-reason".*?</select>', html, re.S).group(0)
        assert 'value="damaged"' in select and 'value="wrong_item"' in select
        assert 'value="changed_mind"' not in select and 'value="wrong_size"' not in select
        # The help says what the policy says (R3), the words the refusal uses too.
        help_text = "Final-sale items can be returned only if they arrived damaged, defective or not what you ordered."
        assert f"{help_text} (policy §2)" in html

    def test_lines_that_cannot_be_returned_say_why(self, signed_in, customer):
        late = OrderFactory(email=customer.email, delivered_on=store_today() - timedelta(days=40))
        OrderLineFactory(order=late, name="Leather boots")
        html = signed_in.get(start_url(late)).content.decode()
        assert "Nothing on this order can be returned now" in html
        assert "Leather boots" in html and "return window closed" in html
        assert 'id="start-return"' not in html


# --- submitting ---------------------------------------------------------------


class TestSubmit:
    def test_two_lines_one_damaged_with_photos(self, signed_in, order, mug, lamp, customer):
        response = post(
            signed_in,
            order,
            line_data(mug, quantity=2, reason="wrong_size"),
            line_data(
                lamp,
                reason="damaged",
                description="Arrived with a cracked base",
                confirm=False,
                preference="replacement",
                issue_photos=[photo("crack-1.jpg"), photo("crack-2.jpg")],
                packaging_photos=[photo("box.jpg")],
            ),
        )
        request = ReturnRequest.objects.get()
        assert response.status_code == 302
        assert response.url == reverse("returns:return_detail", args=[request.rma])
        assert request.order == order and request.submitted_by == customer
        assert request.submission_key
        mug_line, lamp_line = request.lines.order_by("order_line__sku").reverse()
        assert (mug_line.order_line, mug_line.quantity, mug_line.reason) == (mug, 2, "wrong_size")
        assert mug_line.condition_confirmed is True
        assert (lamp_line.reason, lamp_line.preference, lamp_line.description) == (
            "damaged",
            "replacement",
            "Arrived with a cracked base",
        )
        kinds = sorted(p.kind for p in lamp_line.photos.all())
        assert kinds == ["issue", "issue", "packaging"]
        assert sorted(p.original_name for p in lamp_line.photos.all()) == ["box.jpg", "crack-1.jpg", "crack-2.jpg"]
        assert not mug_line.photos.exists()

        page = signed_in.get(response.url).content.decode()
        assert (
            f"Your return {request.rma} is requested. We review it usually within one business day "
            "and email you as soon as we have."
        ) in page
        assert "Stoneware mug × 2" in page and "Desk lamp × 1" in page
        assert "Submitted – waiting for review" in page
        for p in lamp_line.photos.all():
            assert reverse("returns:photo_thumbnail", args=[p.pk]) in page

    def test_guest_with_a_session_link_can_submit(self, client, order, mug):
        client.get(reverse("accounts:guest_open", args=[access.guest_token(order)]))
        response = post(client, order, line_data(mug))
        request = ReturnRequest.objects.get()
        assert response.status_code == 302
        assert request.submitted_by is None

    def test_unticked_lines_are_ignored_whatever_they_hold(self, signed_in, order, mug, lamp):
        junk = line_data(lamp, quantity="lots", reason="nonsense", description="")
        del junk[name(lamp, "selected")]
        response = post(signed_in, order, line_data(mug), junk)
        assert response.status_code == 302
        assert ReturnRequest.objects.get().lines.get().order_line == mug


class TestDoubleSubmit:
    def test_same_key_twice_makes_one_request_and_shows_it(self, signed_in, order, mug):
        key = str(uuid.uuid4())
        first = post(signed_in, order, line_data(mug), key=key)
        second = post(signed_in, order, line_data(mug), key=key)
        request = ReturnRequest.objects.get()
        assert first.status_code == second.status_code == 302
        assert first.url == second.url == reverse("returns:return_detail", args=[request.rma])
        assert request.submission_key == key
        assert order.lines.get(pk=mug.pk).quantity_in_returns == 1

    def test_same_key_with_other_choices_still_makes_one_request(self, signed_in, order, mug, lamp):
        key = str(uuid.uuid4())
        post(signed_in, order, line_data(mug), key=key)
        again = post(signed_in, order, line_data(lamp), key=key)
        assert again.status_code == 302
        assert ReturnRequest.objects.count() == 1

    def test_a_new_form_gets_a_new_key(self, signed_in, order):
        pattern = r'name="submission_key" value="([^"]+)"'
        keys = [re.search(pattern, signed_in.get(start_url(order)).content.decode()).group(1) for _ in range(2)]
        assert keys[0] != keys[1]
        assert all(uuid.UUID(k) for k in keys)


# --- every validation error ---------------------------------------------------


class TestErrors:
    def assert_nothing_made(self, response):
        assert response.status_code == 200
        assert ReturnRequest.objects.count() == 0
        assert DamagePhoto.objects.count() == 0
        assert "Your return has not been sent yet" in response.content.decode()

    def test_no_line_chosen(self, signed_in, order):
        response = post(signed_in, order)
        self.assert_nothing_made(response)
        assert "Choose at least one item to return" in response.content.decode()

    def test_quantity_over_returnable(self, signed_in, order, mug):
        response = post(signed_in, order, line_data(mug, quantity=3))
        self.assert_nothing_made(response)
        assert "Only 2 of this item can still be returned." in error_of(response, mug, "quantity")
        assert "(policy §1)" in error_of(response, mug, "quantity")
        assert "R4" not in error_of(response, mug, "quantity")

    def test_quantity_over_what_other_requests_left(self, signed_in, order, mug):
        return_request_submit(
            order=order,
            lines=[LineRequest(mug.pk, 1, "changed_mind", "x", condition_confirmed=True)],
        )
        response = post(signed_in, order, line_data(mug, quantity=2))
        assert "Only 1 of this item can still be returned." in error_of(response, mug, "quantity")
        assert ReturnRequest.objects.count() == 1

    def test_quantity_not_a_number(self, signed_in, order, mug):
        response = post(signed_in, order, line_data(mug, quantity="two"))
        self.assert_nothing_made(response)
        assert "Enter a whole number" in error_of(response, mug, "quantity")

    def test_missing_condition_confirmation(self, signed_in, order, mug):
        response = post(signed_in, order, line_data(mug, confirm=False))
        self.assert_nothing_made(response)
        text = error_of(response, mug, "condition_confirmed")
        assert "confirm the item is in its original condition" in text and "(policy §1)" in text

    def test_standard_reason_on_a_final_sale_line(self, signed_in, order):
        vase = OrderLineFactory(order=order, sku="VASE-06", name="Clearance vase", final_sale=True)
        response = post(signed_in, order, line_data(vase, reason="changed_mind"))
        self.assert_nothing_made(response)
        text = error_of(response, vase, "reason")
        assert "Final-sale items can be returned only if they arrived damaged" in text and "(policy §2)" in text

    def test_damaged_without_a_packaging_photo(self, signed_in, order, lamp):
        response = post(
            signed_in, order, line_data(lamp, reason="damaged", confirm=False, issue_photos=[photo("crack.jpg")])
        )
        self.assert_nothing_made(response)
        text = error_of(response, lamp, "packaging_photos")
        assert "Add at least one photo of the packaging" in text and "(policy §7)" in text
        assert error_of(response, lamp, "issue_photos") == ""
        # The photo already sent is kept: the page names it and the form carries it.
        html = response.content.decode()
        kept = PendingPhoto.objects.get()
        assert "crack.jpg" in html and "The 1 photo you added is kept." in html
        assert f'name="{name(lamp, "pending_photos")}" value="{kept.pk}"' in html
        assert reverse("returns:pending_photo_thumbnail", args=[kept.pk]) in html

        # Sending again with the kept photo and a packaging photo makes the request with both.
        again = post(
            signed_in,
            order,
            line_data(lamp, reason="damaged", confirm=False, packaging_photos=[photo("box.jpg")]),
            **{name(lamp, "pending_photos"): [str(kept.pk)]},
        )
        assert again.status_code == 302
        photos = ReturnRequest.objects.get().lines.get().photos.order_by("kind")
        assert [(p.kind, p.original_name) for p in photos] == [("issue", "crack.jpg"), ("packaging", "box.jpg")]
        # Attached: the same picture, moved out of pending/ into the day's folder.
        assert photos[0].image.read() == kept.image.read()
        assert kept.image.name.startswith("pending/") and photos[0].image.name.startswith("photos/")
        assert not PendingPhoto.objects.exists()

    def test_damaged_without_any_photo(self, signed_in, order, lamp):
        response = post(signed_in, order, line_data(lamp, reason="defective", confirm=False))
        self.assert_nothing_made(response)
        assert "photo that shows the damage or fault" in error_of(response, lamp, "issue_photos")
        assert "photo of the packaging" in error_of(response, lamp, "packaging_photos")

    def test_a_broken_image_file(self, signed_in, order, lamp, settings):
        response = post(
            signed_in,
            order,
            line_data(
                lamp,
                reason="damaged",
                confirm=False,
                issue_photos=[photo("crack.jpg"), photo("broken.jpg", b"this is not a jpeg")],
                packaging_photos=[photo("box.jpg")],
            ),
        )
        self.assert_nothing_made(response)
        text = error_of(response, lamp, "issue_photos")
        assert "broken.jpg" in text and "not a photo we can read" in text
        assert error_of(response, lamp, "packaging_photos") == ""
        # The two good photos are kept for the next try; the broken file is stored nowhere.
        assert sorted(PendingPhoto.objects.values_list("original_name", flat=True)) == ["box.jpg", "crack.jpg"]
        stored = {str(p.relative_to(settings.MEDIA_ROOT)) for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()}
        assert stored == {n for p in PendingPhoto.objects.all() for n in (p.image.name, p.thumbnail.name)}

    def test_too_many_photos_in_one_request(self, signed_in, order, lamp, settings):
        settings.PHOTO_MAX_COUNT = 2
        response = post(
            signed_in,
            order,
            line_data(
                lamp,
                reason="damaged",
                confirm=False,
                issue_photos=[photo("a.jpg"), photo("b.jpg")],
                packaging_photos=[photo("c.jpg")],
            ),
        )
        self.assert_nothing_made(response)
        assert "“c.jpg” was not added: a return can have at most 2 photos." in response.content.decode()
        assert sorted(PendingPhoto.objects.values_list("original_name", flat=True)) == ["a.jpg", "b.jpg"]

    def test_description_missing_on_a_fault_claim(self, signed_in, order, lamp):
        """R5, R7: a damage, fault or wrong-item claim says what is wrong, beside its photos."""
        response = post(signed_in, order, line_data(lamp, reason="wrong_item", confirm=False, description="   "))
        self.assert_nothing_made(response)
        assert "Tell us briefly what is wrong with it." in error_of(response, lamp, "description")

    def test_no_description_is_needed_for_a_standard_reason(self, signed_in, order, mug):
        """R5 (§3): "changed my mind" is the brief description of the reason; nothing more is asked."""
        response = post(signed_in, order, line_data(mug, description=""))
        assert response.status_code == 302
        line = ReturnRequest.objects.get().lines.get()
        assert (line.reason, line.description) == ("changed_mind", "")

    def test_reason_missing(self, signed_in, order, mug):
        response = post(signed_in, order, line_data(mug, reason=""))
        self.assert_nothing_made(response)
        assert "Choose a reason" in error_of(response, mug, "reason")

    def test_window_closed_since_the_page_was_opened(self, signed_in, customer):
        late = OrderFactory(email=customer.email, delivered_on=store_today() - timedelta(days=29))
        boots = OrderLineFactory(order=late, name="Leather boots")
        response = post(signed_in, late, line_data(boots))
        assert response.status_code == 200
        assert ReturnRequest.objects.count() == 0
        assert "Nothing on this order can be returned now" in response.content.decode()

    def test_entered_values_are_kept(self, signed_in, order, mug):
        response = post(signed_in, order, line_data(mug, confirm=False, description="Handle is loose"))
        html = response.content.decode()
        assert "Handle is loose</textarea>" in html
        assert re.search(rf'name="line-{mug.pk}-reason"[^>]*>.*?value="changed_mind" selected', html, re.S)

    def test_service_problems_show_next_to_their_line(self, signed_in, order, mug, monkeypatch):
        """The service re-checks under a lock (another request may have taken the units meanwhile)."""
        from returns.domain import policy

        def refuse(**kwargs):
            raise PolicyViolation(
                "no",
                problems=[
                    (mug, policy.Decision(False, "R4", "Every unit of this item is already in a return request.")),
                    (None, policy.Decision(False, "R5", "An item chosen is not on this order.")),
                ],
            )

        monkeypatch.setattr("returns.web.views.return_request_submit", refuse)
        response = post(signed_in, order, line_data(mug))
        assert "Every unit of this item is already in a return request." in error_of(response, mug, "quantity")
        assert "An item chosen is not on this order." in response.content.decode()


# --- the estimate -----------------------------------------------------------


def estimate_url(order):
    return reverse("returns:estimate", args=[order.number])


class TestEstimate:
    def test_endpoint_amounts_to_the_cent(self, signed_in, order, mug, lamp):
        """Mug (standard) 12.50 + 1.00 tax; lamp (damaged) 45.00 + 3.60 tax; shipping 5.99 × 45/70 = 3.85."""
        data = {**line_data(mug), **line_data(lamp, reason="damaged", confirm=False)}
        response = signed_in.post(estimate_url(order), data)
        html = response.content.decode()
        assert response.status_code == 200
        assert "<html" not in html
        for amount in ("$12.50", "$1.00", "$45.00", "$3.60", "$3.85"):
            assert amount in html
        assert re.search(r"data-estimate-total>\$65\.95<", html)
        assert "This is an estimate" in html and "inspect" in html
        assert "Visa ending 4242" in html
        assert 'href="/policy/#refunds">policy §5, Refund processing</a>' in html
        assert not re.search(r"\bR\d+\b", html)

    def test_free_shipping_fee_is_deducted(self, signed_in, customer):
        order = OrderFactory(email=customer.email, shipping_charged=0, free_shipping=True)
        scarf = OrderLineFactory(order=order, name="Wool scarf", unit_price="39.00", unit_tax="3.12")
        html = signed_in.post(estimate_url(order), line_data(scarf)).content.decode()
        assert "Free-shipping return fee" in html and "−$9.99" in html
        assert re.search(r"data-estimate-total>\$32\.13<", html)

    def test_a_replacement_is_not_in_the_refund(self, signed_in, order, mug, lamp):
        data = {**line_data(mug), **line_data(lamp, reason="defective", confirm=False, preference="replacement")}
        html = signed_in.post(estimate_url(order), data).content.decode()
        assert re.search(r"data-estimate-total>\$13\.50<", html)
        assert "Desk lamp: you asked for a replacement" in html

    def test_only_usable_lines_count(self, signed_in, order, mug, lamp):
        data = {**line_data(mug, quantity=5), **line_data(lamp)}
        html = signed_in.post(estimate_url(order), data).content.decode()
        assert re.search(r"data-estimate-total>\$48\.60<", html)

    def test_nothing_chosen(self, signed_in, order):
        html = signed_in.post(estimate_url(order), {}).content.decode()
        assert "Tick an item" in html

    def test_without_javascript_the_button_shows_it_and_keeps_the_values(self, signed_in, order, mug, lamp):
        data = {**line_data(mug, description="Not my style"), **line_data(lamp, reason="damaged", confirm=False)}
        response = post(signed_in, order, data, estimate="1")
        html = response.content.decode()
        assert response.status_code == 200
        assert ReturnRequest.objects.count() == 0
        assert re.search(r"data-estimate-total>\$65\.95<", html)
        assert "Not my style</textarea>" in html
        assert "Your return has not been sent yet" not in html

    def test_the_page_shows_an_empty_estimate_at_first(self, signed_in, order):
        html = signed_in.get(start_url(order)).content.decode()
        assert 'id="estimate" aria-live="polite"' in html
        assert "Tick an item" in html

    def test_estimate_is_post_only(self, signed_in, order):
        assert signed_in.get(estimate_url(order)).status_code == 405


# --- who may see it ---------------------------------------------------------


class TestAccess:
    @pytest.mark.parametrize("method", ["get", "post"])
    def test_another_customer_gets_404(self, client, other_customer, order, method):
        client.force_login(other_customer)
        for url in (start_url(order), estimate_url(order)):
            if method == "get" and url == estimate_url(order):
                continue
            assert getattr(client, method)(url).status_code == 404

    @pytest.mark.parametrize("method", ["get", "post"])
    def test_anonymous_gets_404(self, client, order, method):
        for url in (start_url(order), estimate_url(order)):
            if method == "get" and url == estimate_url(order):
                continue
            response = getattr(client, method)(url)
            assert response.status_code == 404
            assert "sign in" in response.content.decode()

    def test_a_guest_link_opens_only_its_order(self, client, order, customer):
        other = OrderFactory(email=customer.email)
        OrderLineFactory(order=other)
        client.get(reverse("accounts:guest_open", args=[access.guest_token(order)]))
        assert client.get(start_url(order)).status_code == 200
        assert client.get(start_url(other)).status_code == 404

    def test_unverified_email_sees_nothing(self, client, customer, order):
        customer.email_verified = False
        customer.save()
        client.force_login(customer)
        assert client.get(start_url(order)).status_code == 404


# --- queries ----------------------------------------------------------------


@pytest.mark.parametrize("lines", [3, 30])
def test_start_page_queries_do_not_grow_with_lines(signed_in, customer, lines, django_assert_max_num_queries):
    """The page reads the order with its lines and their returns in fixed prefetches, plus prior refunds."""
    order = OrderFactory(email=customer.email)
    for _ in range(lines):
        OrderLineFactory(order=order, quantity=2)
    first = order.lines.first()
    return_request_submit(order=order, lines=[LineRequest(first.pk, 1, "changed_mind", "x", condition_confirmed=True)])
    with django_assert_max_num_queries(6):
        response = signed_in.get(start_url(order))
    assert response.status_code == 200
    with django_assert_max_num_queries(6):
        signed_in.post(estimate_url(order), line_data(first))
