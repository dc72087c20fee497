"""My orders, an order's page and the policy page: eligibility in plain words, access, query counts."""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse

from returns.conf import store_today
from returns.services import guest_access as access
from returns.services.requests import LineRequest, return_request_submit
from tests.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db
ORDERS = reverse("returns:orders")


def standard(ol, quantity=1):
    return LineRequest(ol.pk, quantity, "changed_mind", "Not for me", condition_confirmed=True)


def detail_url(order):
    return reverse("returns:order_detail", args=[order.number])


class TestOrdersPage:
    def test_anonymous_is_sent_to_sign_in_and_back(self, client):
        response = client.get(ORDERS)
        assert response.status_code == 302
        target = urlparse(response.url)
        assert target.path == reverse("home")
        assert parse_qs(target.query)["next"] == [ORDERS]

    def test_unverified_account_is_sent_to_sign_in(self, client, customer):
        customer.email_verified = False
        customer.save()
        client.force_login(customer)
        assert client.get(ORDERS).status_code == 302

    def test_lines_say_whether_and_until_when_they_can_be_returned(self, client, customer, order):
        client.force_login(customer)
        last = order.delivered_on + timedelta(days=28)
        html = client.get(ORDERS).content.decode()
        assert "Order 100234" in html and "Stoneware mug" in html and "Desk lamp" in html
        assert f"Returnable until {last:%b %-d, %Y} (21 days left)." in html
        assert 'href="/policy/#conditions">policy §1, Return conditions</a>' in html
        assert reverse("returns:start_return", args=["100234"]) in html
        assert detail_url(order) in html

    def test_why_a_line_cannot_be_returned(self, client, customer):
        closed = OrderFactory(email=customer.email, delivered_on=store_today() - timedelta(days=40))
        OrderLineFactory(order=closed, name="Leather boots")
        waiting = OrderFactory(email=customer.email, delivered_on=None)
        OrderLineFactory(order=waiting, name="Cotton rug")
        sale = OrderFactory(email=customer.email)
        OrderLineFactory(order=sale, name="Engraved pen", personalized=True)
        client.force_login(customer)
        html = client.get(ORDERS).content.decode()
        assert "The 28-day return window closed on" in html
        assert "We have no delivery date for this order yet" in html and "contact support" in html
        assert "Personalized items can be returned only if they arrived damaged" in html
        assert 'href="/policy/#exclusions">policy §2, Items not eligible for returns</a>' in html
        assert reverse("returns:start_return", args=[closed.number]) not in html
        assert reverse("returns:start_return", args=[sale.number]) in html

    def test_returns_already_started_show_with_their_status(self, client, customer, order):
        mug = order.lines.get(sku="MUG-01")
        request = return_request_submit(order=order, lines=[standard(mug, 2)])
        client.force_login(customer)
        html = client.get(ORDERS).content.decode()
        assert "Every unit of this item is already in a return request." in html
        assert reverse("returns:return_detail", args=[request.rma]) in html
        assert "Submitted – waiting for review" in html
        assert "Your returns" in html

    def test_partly_returned_line_says_how_many_are_left(self, client, customer, order):
        return_request_submit(order=order, lines=[standard(order.lines.get(sku="MUG-01"), 1)])
        client.force_login(customer)
        assert "1 of 2 can still be returned." in client.get(ORDERS).content.decode()

    def test_another_customers_orders_are_not_listed(self, client, other_customer, order):
        client.force_login(other_customer)
        html = client.get(ORDERS).content.decode()
        assert "100234" not in html
        assert "We found no orders for you" in html

    def test_a_guest_sees_only_the_order_of_the_link(self, client, customer, order):
        other = OrderFactory(email=customer.email, number="100999")
        OrderLineFactory(order=other)
        client.get(reverse("accounts:guest_open", args=[access.guest_token(order)]))
        html = client.get(ORDERS).content.decode()
        assert "Order 100234" in html and "100999" not in html


class TestOrderDetail:
    def test_shows_prices_eligibility_and_returns(self, client, customer, order):
        request = return_request_submit(order=order, lines=[standard(order.lines.get(sku="LAMP-02"))])
        client.force_login(customer)
        html = client.get(detail_url(order)).content.decode()
        assert "Order 100234" in html and "$45.00" in html and "$3.60" in html and "$5.99" in html
        assert "Visa ending 4242" in html
        assert request.rma in html
        assert "We don't offer exchanges" in html and "(policy §6)" in html

    def test_another_customer_gets_404(self, client, other_customer, order):
        client.force_login(other_customer)
        assert client.get(detail_url(order)).status_code == 404

    def test_anonymous_gets_404(self, client, order):
        response = client.get(detail_url(order))
        assert response.status_code == 404
        assert reverse("home") in response.content.decode()

    def test_unknown_order_is_404(self, client, customer):
        client.force_login(customer)
        assert client.get(reverse("returns:order_detail", args=["nope"])).status_code == 404


class TestPolicyPage:
    def test_public_with_the_numbers_from_settings(self, client, settings):
        settings.RETURN_WINDOW_DAYS = 30
        settings.SHIP_BY_DAYS = 21
        settings.FREE_SHIPPING_RETURN_FEE = Decimal("7.50")
        settings.REFUND_BUSINESS_DAYS_MIN, settings.REFUND_BUSINESS_DAYS_MAX = 3, 8
        settings.STORE_SUPPORT_EMAIL = "help@example.org"
        response = client.get(reverse("returns:policy"))
        html = response.content.decode()
        assert response.status_code == 200
        assert "within 30 days of receipt" in html
        assert "Ship the item within 21 days" in html
        assert "flat fee of $7.50" in html
        assert "3–8 business days" in html
        assert "mailto:help@example.org" in html
        assert "Returns are now started here" in html
        for number in range(1, 9):
            assert f">{number}. " in html
        for rule in range(1, 14):
            assert f'id="r{rule}"' in html
        assert "28 days" not in html and "9.99" not in html


def make_customer_orders(customer, count):
    """``count`` orders of three lines each, every one with a return in progress."""
    for _ in range(count):
        order = OrderFactory(email=customer.email)
        lines = [OrderLineFactory(order=order, quantity=2) for _ in range(3)]
        return_request_submit(order=order, lines=[standard(lines[0]), standard(lines[1])])


@pytest.mark.parametrize("count", [3, 50])
def test_orders_page_queries_do_not_grow_with_orders(client, customer, count, django_assert_max_num_queries):
    """Session, user, the count for the pages, one page of orders, lines, their returns (with the request),
    and the list of returns: fixed, whatever the number of orders."""
    make_customer_orders(customer, count)
    client.force_login(customer)
    with django_assert_max_num_queries(7):
        response = client.get(ORDERS)
    assert response.content.decode().count("Start a return<span") == min(count, 20)


def test_orders_are_paged_by_20_newest_first(client, customer):
    from django.utils import timezone

    now = timezone.now()
    for n in range(23):
        OrderFactory(email=customer.email, number=f"N{n:03d}", placed_at=now - timedelta(days=n))
    client.force_login(customer)
    first = client.get(ORDERS).content.decode()
    assert first.count('<article class="card') == 20
    assert first.index("Order N000") < first.index("Order N001") < first.index("Order N019")
    assert "Order N020" not in first and "Page 1 of 2" in first and 'href="?page=2">Older orders' in first
    second = client.get(ORDERS, {"page": 2}).content.decode()
    assert second.count('<article class="card') == 3 and "Order N022" in second
    assert 'href="?page=1">Newer orders' in second
    # A page number that is not one: the nearest page, never an error.
    assert client.get(ORDERS, {"page": "999"}).status_code == 200
    assert client.get(ORDERS, {"page": "x"}).status_code == 200


@pytest.mark.parametrize("count", [1, 20])
def test_order_page_queries_do_not_grow_with_lines(client, customer, count, django_assert_max_num_queries):
    order = OrderFactory(email=customer.email)
    lines = [OrderLineFactory(order=order, quantity=3) for _ in range(count)]
    for ol in lines:
        return_request_submit(order=order, lines=[standard(ol)])
    client.force_login(customer)
    with django_assert_max_num_queries(6):
        assert client.get(detail_url(order)).status_code == 200
