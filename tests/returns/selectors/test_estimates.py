"""The estimate tells both outcomes when staff's verdict changes the money, through refund_for."""

from decimal import Decimal

import pytest

from returns.domain.estimates import Estimate, Note
from returns.selectors import estimates
from returns.selectors.customer import orders_with_lines
from returns.selectors.policy_facts import Claim
from returns.services.inspection import LineVerdict, return_request_inspect
from returns.services.requests import return_request_approve, return_request_receive
from tests.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def free_order():
    order = OrderFactory(free_shipping=True, shipping_charged=Decimal("0"))
    OrderLineFactory(order=order, sku="JKT", name="Rain jacket", unit_price="60.00", unit_tax="0.00")
    OrderLineFactory(order=order, sku="TEE", name="Logo tee", unit_price="11.80", unit_tax="0.00", final_sale=True)
    return orders_with_lines(type(order).objects.filter(pk=order.pk)).get()


def line(order, sku):
    return next(ol for ol in order.lines.all() if ol.sku == sku)


def test_standard_claims_have_one_outcome(order):
    est = estimates.build(order, [Claim(line(order, "MUG-01"), 2, "changed_mind")])
    assert [o.key for o in est.outcomes] == ["single"]
    assert est.outcomes[0].total == Decimal("27.00")


def test_defective_jacket_on_free_shipping_order_shows_both(free_order):
    est = estimates.build(free_order, [Claim(line(free_order, "JKT"), 1, "defective")])
    confirmed, not_confirmed = est.outcomes
    assert (confirmed.title, confirmed.total) == ("If we confirm the fault", Decimal("60.00"))
    assert (not_confirmed.title, not_confirmed.total) == ("If we find no fault", Decimal("50.01"))
    assert not_confirmed.because == "because the free-shipping return fee ($9.99) then applies"


def test_final_sale_tee_is_nothing_without_a_confirmed_fault(free_order):
    est = estimates.build(free_order, [Claim(line(free_order, "TEE"), 1, "damaged")])
    confirmed, not_confirmed = est.outcomes
    assert confirmed.total == Decimal("11.80")
    assert not_confirmed.total == Decimal("0.00") and not_confirmed.rows == ()
    assert "final-sale items (Logo tee) are refunded only for a confirmed fault" in not_confirmed.because


def test_paid_shipping_fault_claim_loses_the_shipping_share(order):
    est = estimates.build(order, [Claim(line(order, "LAMP-02"), 1, "damaged")])
    confirmed, not_confirmed = est.outcomes
    assert confirmed.total == Decimal("52.45")  # 45.00 + 3.60 + 5.99 × 45/70
    assert not_confirmed.total == Decimal("48.60")
    assert not_confirmed.because == "because shipping is then not refunded"


def test_a_replacement_wanted_is_refunded_if_no_fault(order):
    est = estimates.build(order, [Claim(line(order, "LAMP-02"), 1, "damaged", preference="replacement")])
    confirmed, not_confirmed = est.outcomes
    assert confirmed.total == Decimal("0.00") and est.replacements == ("Desk lamp",)
    assert not_confirmed.total == Decimal("48.60")
    assert "Desk lamp would be refunded, not replaced" in not_confirmed.because


def test_round_trip_through_json(free_order):
    notes = [Note("Rain jacket", "Only 1 can still be returned.", "R4")]
    est = estimates.build(free_order, [Claim(line(free_order, "JKT"), 1, "defective")], notes)
    assert Estimate.from_json(est.to_json()) == est
    assert Estimate.from_json({}) is None


# --- stored with the request, shown until the refund replaces it --------------------


def _submit_jacket(client, customer, free_order):
    client.force_login(customer)
    jacket = line(free_order, "JKT")
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import jpeg_bytes

    def photo(n):
        return SimpleUploadedFile(n, jpeg_bytes(), content_type="image/jpeg")

    data = {
        "submission_key": "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
        f"line-{jacket.pk}-selected": "on",
        f"line-{jacket.pk}-quantity": "1",
        f"line-{jacket.pk}-reason": "defective",
        f"line-{jacket.pk}-description": "The zip broke",
        f"line-{jacket.pk}-preference": "refund",
        f"line-{jacket.pk}-issue_photos": [photo("zip.jpg")],
        f"line-{jacket.pk}-packaging_photos": [photo("box.jpg")],
    }
    from django.urls import reverse

    return client.post(reverse("returns:start_return", args=[free_order.number]), data, follow=True)


def test_the_estimate_is_stored_and_shown_to_customer_and_staff(client, customer, service_agent, free_order):
    from django.urls import reverse

    from returns.models import ReturnRequest

    free_order.email = customer.email
    free_order.save()
    response = _submit_jacket(client, customer, free_order)
    rr = ReturnRequest.objects.get()
    assert [o["total"] for o in rr.estimate["outcomes"]] == ["60.00", "50.01"]
    page = response.content.decode()
    assert "If we confirm the fault" in page and "$60.00" in page
    assert "If we find no fault" in page and "$50.01" in page
    assert "Because the free-shipping return fee ($9.99) then applies." in page

    client.force_login(service_agent)
    staff = client.get(reverse("admin:returns_returnrequest_change", args=[rr.pk])).content.decode()
    assert "The customer's estimate when they submitted" in staff
    assert "$50.01" in staff and '<span class="rr-rule">R10</span>' in staff


def test_the_refund_replaces_the_estimate(client, customer, service_agent, warehouse, free_order):
    from django.urls import reverse

    from returns.models import ReturnRequest

    free_order.email = customer.email
    free_order.save()
    _submit_jacket(client, customer, free_order)
    rr = ReturnRequest.objects.get()
    return_request_approve(request=rr, by=service_agent)
    return_request_receive(request=rr, by=warehouse)
    jacket_line = rr.lines.get()
    return_request_inspect(
        request=rr, by=warehouse, verdicts={jacket_line.pk: LineVerdict(accepted=True, fault_confirmed=False)}
    )
    client.force_login(customer)
    page = client.get(reverse("returns:return_detail", args=[rr.rma])).content.decode()
    assert "Estimated refund" not in page and "Your refund" in page and "$50.01" in page
