"""The delivery date of an order with returns: kept by imports and pushes, changed by support with a reason."""

from datetime import timedelta

import pytest
from django.urls import reverse

from returns.conf import store_today
from returns.models import Order, OrderCorrection
from tests.returns.admin.test_admin import messages_of, mug, standard, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def returned(order, customer):
    submit(order, standard(mug(order)), by=customer)
    return order


def change_url(order):
    return reverse("admin:returns_order_delivery_date", args=[order.pk])


def test_customer_service_changes_the_date_with_a_reason_and_the_order_page_shows_who_when_from_to_why(
    client, returned, service_agent
):
    before = returned.delivered_on
    new_date = before - timedelta(days=2)
    client.force_login(service_agent)
    page = client.get(reverse("admin:returns_order_change", args=[returned.pk])).content.decode()
    assert change_url(returned) in page  # offered on the order's page
    assert 'name="delivered_on"' not in page  # the form's own field is read-only: kept like the email

    response = client.post(change_url(returned), {"delivered_on": new_date.isoformat(), "reason": "Carrier proof"})

    assert response.status_code == 302
    assert ("success", f"The delivery date of order {returned.number} is now {new_date}.") in messages_of(response)
    returned.refresh_from_db()
    assert returned.delivered_on == new_date
    [change] = OrderCorrection.objects.all()
    assert (change.by, change.field, change.from_value, change.to_value, change.reason) == (
        service_agent,
        "delivered_on",
        before.isoformat(),
        new_date.isoformat(),
        "Carrier proof",
    )
    page = client.get(reverse("admin:returns_order_change", args=[returned.pk])).content.decode()
    assert f"{before.isoformat()} → {new_date.isoformat()}. Why: Carrier proof" in page
    assert service_agent.email in page


def test_without_a_reason_nothing_changes(client, returned, service_agent):
    client.force_login(service_agent)
    response = client.post(change_url(returned), {"delivered_on": store_today().isoformat(), "reason": "  "})
    assert response.status_code == 400
    assert Order.objects.get(pk=returned.pk).delivered_on == returned.delivered_on
    assert not OrderCorrection.objects.exists()


@pytest.mark.parametrize("days", [1, -30])
def test_a_date_in_the_future_or_before_the_order_was_placed_is_refused(client, returned, service_agent, days):
    client.force_login(service_agent)
    wanted = store_today() + timedelta(days=days) if days > 0 else returned.placed_at.date() + timedelta(days=days)
    response = client.post(change_url(returned), {"delivered_on": wanted.isoformat(), "reason": "Typo"})
    assert response.status_code == 400 and b"errornote" in response.content
    assert not OrderCorrection.objects.exists()


def test_warehouse_staff_may_not_change_it_nor_see_the_button(client, returned, warehouse):
    client.force_login(warehouse)
    page = client.get(reverse("admin:returns_order_change", args=[returned.pk])).content.decode()
    assert change_url(returned) not in page
    response = client.post(change_url(returned), {"delivered_on": store_today().isoformat(), "reason": "x"})
    assert response.status_code == 403
    assert not OrderCorrection.objects.exists()
