"""Guards on what makes a page slow without adding a query: templates rendered per order line.

`make bench` measures the pages; these fail fast when a change brings back the costs it
found. Each template a page renders for every line (an ``{% include %}`` inside a loop
over lines, a form widget drawn through Django's template engine) costs every page view
of every customer, so the number per line is held where it is and may only go down.
"""

import pytest
from django.urls import reverse

from tests.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db


def order_with_lines(email, number, count):
    order = OrderFactory(email=email, number=number)
    for _ in range(count):
        OrderLineFactory(order=order)
    return order


def templates_rendered(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return [template.name for template in response.templates]


def per_line(client, customer, url_name):
    """Templates rendered for one more order line, from a page for a 1-line and a 5-line order."""
    small = order_with_lines(customer.email, "200001", 1)
    large = order_with_lines(customer.email, "200002", 5)
    client.force_login(customer)
    counts = [len(templates_rendered(client, reverse(url_name, args=[o.number]))) for o in (small, large)]
    return (counts[1] - counts[0]) / 4


def test_form_widgets_are_not_drawn_by_the_template_engine(client, customer):
    """Widgets are drawn by Jinja2 (returns.web.rendering); through Django's engine they were half the start page."""
    order = order_with_lines(customer.email, "200001", 2)
    client.force_login(customer)
    response = client.get(reverse("returns:start_return", args=[order.number]))

    line = order.lines.first()
    assert f'<select name="line-{line.pk}-reason"' in response.content.decode()  # the widgets are on the page
    assert [t.name for t in response.templates if t.name.startswith("django/forms/")] == []


@pytest.mark.parametrize(
    ("url_name", "budget"),
    # Today: the line's status and its rule; the line's fieldset, its fields and their feedback.
    [("returns:order_detail", 2), ("returns:start_return", 18)],
)
def test_templates_rendered_per_order_line_do_not_grow(client, customer, url_name, budget):
    assert per_line(client, customer, url_name) <= budget


def test_templates_rendered_per_line_of_my_orders_do_not_grow(client, customer):
    order_with_lines(customer.email, "200001", 1)
    client.force_login(customer)
    one = len(templates_rendered(client, reverse("returns:orders")))
    order_with_lines(customer.email, "200002", 4)

    five = len(templates_rendered(client, reverse("returns:orders")))

    assert (five - one) / 4 <= 2  # today: _line_status and _rule_decision per line
