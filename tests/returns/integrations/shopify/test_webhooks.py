"""POST /api/v1/shopify/webhooks: Shopify's payloads (shaped like its documented examples) to the cent."""

import copy
import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from returns.exceptions import ImportErrors
from returns.intake import order_records_check
from returns.integrations.shopify import shopify_signature
from returns.models import Order, Refund, ShopifyIdConflict, WebhookDelivery
from returns.services.requests import return_request_approve, return_request_receive
from tests.returns.admin.test_admin import inspect_all, standard, submit

pytestmark = pytest.mark.django_db
SECRET = "shpss_test_webhook_secret"
URL = "/api/v1/shopify/webhooks"
HERE = Path(__file__).parent
ORDER = json.loads((HERE / "orders_create.json").read_text())
EVENT = json.loads((HERE / "fulfillment_events_create.json").read_text())


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.SHOPIFY_WEBHOOK_SECRET = SECRET


def post(client, payload, topic="orders/create", *, webhook_id=None, secret=SECRET, body=None, hmac=None):
    raw = body if body is not None else json.dumps(payload).encode()
    headers = {"HTTP_X_SHOPIFY_TOPIC": topic, "HTTP_X_SHOPIFY_SHOP_DOMAIN": "alotrop.myshopify.com"}
    if hmac is not False:
        headers["HTTP_X_SHOPIFY_HMAC_SHA256"] = hmac or shopify_signature(raw, secret)
    if webhook_id:
        headers["HTTP_X_SHOPIFY_WEBHOOK_ID"] = webhook_id
    return client.post(URL, raw, content_type="application/json", **headers)


def order_payload(**changes):
    order = copy.deepcopy(ORDER)
    order.update(changes)
    return order


def lines_of(number="1001"):
    order = Order.objects.get(number=number)
    return {
        line.sku: (line.quantity, str(line.unit_price), str(line.unit_tax), line.final_sale, line.personalized)
        for line in order.lines.all()
    }


# --- orders/create: the money, to the cent -------------------------------------------------


def test_an_order_is_created_with_what_was_paid_per_unit(client):
    response = post(client, order_payload())
    assert response.status_code == 200, response.json()
    assert response.json()["created"] == 1 and response.json()["number"] == "1001"
    order = Order.objects.get(number="1001")  # the "#" customers do not type is dropped
    assert (order.email, order.customer_name, order.currency) == ("ana@example.com", "Ana Lima", "USD")
    assert order.placed_at == timezone.datetime.fromisoformat("2026-10-01T14:15:00+00:00")
    assert (order.payment_method, order.payment_reference) == ("Shopify Payments", "pi_3ShopifyAlotrop1001")
    assert order.shopify_order_id == "5723411234567" and order.delivered_on is None
    assert lines_of() == {
        # 60.00 less a 6.00 discount allocation; its tax line.
        "SHIRT-LIN-M": (1, "54.00", "3.38", False, False),
        # 3 x 5.00 less 5.00 = 10.00 paid: 3.34 + 3.33 + 3.33, tax 0.81 = 3 x 0.27.
        "MUG-01": (1, "3.34", "0.27", False, False),
        "MUG-01#2": (2, "3.33", "0.27", False, False),
        # Personalization property and the final-sale property the theme copies from the product tag.
        "PEN-ENG": (1, "25.00", "1.56", True, True),
    }
    assert (order.shipping_charged, order.free_shipping) == (Decimal("7.99"), False)


def test_every_line_adds_up_to_exactly_what_shopify_says_was_paid(client):
    post(client, order_payload())
    order = Order.objects.get(number="1001")
    merchandise = sum(line.quantity * line.unit_price for line in order.lines.all())
    tax = sum(line.quantity * line.unit_tax for line in order.lines.all())
    assert merchandise == Decimal(ORDER["subtotal_price"]) and tax == Decimal(ORDER["total_tax"])
    assert merchandise + tax + order.shipping_charged == Decimal(ORDER["total_price"])


def test_uneven_price_and_tax_split_into_units_that_sum_exactly(client):
    payload = order_payload()
    mug = payload["line_items"][1]
    mug["discount_allocations"] = [{"amount": "5.00"}, {"amount": "0.01"}]  # two discounts: 9.99 paid
    mug["tax_lines"] = [{"price": "0.50"}, {"price": "0.30"}]  # two tax lines: 0.80
    assert post(client, payload).status_code == 200
    mugs = {sku: v for sku, v in lines_of().items() if sku.startswith("MUG")}
    # Units 3.33 / 3.33 / 3.33 and 0.27 / 0.27 / 0.26: two kinds of unit.
    assert mugs == {"MUG-01": (2, "3.33", "0.27", False, False), "MUG-01#2": (1, "3.33", "0.26", False, False)}
    order = Order.objects.get(number="1001")
    lines = [line for line in order.lines.all() if line.sku.startswith("MUG")]
    assert sum(line.quantity * line.unit_price for line in lines) == Decimal("9.99")
    assert sum(line.quantity * line.unit_tax for line in lines) == Decimal("0.80")


def test_taxes_included_in_prices_are_not_counted_twice(client):
    payload = order_payload(taxes_included=True, line_items=[ORDER["line_items"][0]])
    assert post(client, payload).status_code == 200
    # 54.00 paid includes 3.38 tax.
    assert lines_of() == {"SHIRT-LIN-M": (1, "50.62", "3.38", False, False)}


def test_a_store_selling_in_several_currencies_keeps_what_the_customer_paid(client):
    payload = order_payload(presentment_currency="EUR", line_items=[copy.deepcopy(ORDER["line_items"][0])])
    line = payload["line_items"][0]
    line["price_set"]["presentment_money"] = {"amount": "55.00", "currency_code": "EUR"}
    line["discount_allocations"][0]["amount_set"]["presentment_money"] = {"amount": "5.50", "currency_code": "EUR"}
    line["tax_lines"][0]["price_set"]["presentment_money"] = {"amount": "3.10", "currency_code": "EUR"}
    payload["shipping_lines"][0]["price_set"]["presentment_money"] = {"amount": "7.30", "currency_code": "EUR"}
    assert post(client, payload).status_code == 200
    order = Order.objects.get(number="1001")
    assert (order.currency, order.shipping_charged) == ("EUR", Decimal("7.30"))
    assert lines_of() == {"SHIRT-LIN-M": (1, "49.50", "3.10", False, False)}


def test_a_free_shipping_order_charges_nothing_and_is_flagged(client):
    payload = order_payload()
    payload["shipping_lines"][0].update(price="0.00", discounted_price="0.00", price_set=None)
    post(client, payload)
    order = Order.objects.get(number="1001")
    assert (order.shipping_charged, order.free_shipping) == (Decimal("0.00"), True)


def test_a_shipping_discount_is_taken_off_and_a_whole_one_is_free_shipping(client):
    payload = order_payload()
    shipping = payload["shipping_lines"][0]
    shipping.update(price_set=None, tax_lines=[{"price": "0.40"}])
    shipping["discount_allocations"] = [{"amount": "5.00"}]
    post(client, payload)
    order = Order.objects.get(number="1001")
    assert (order.shipping_charged, order.free_shipping) == (Decimal("3.39"), False)  # 7.99 - 5.00 + 0.40 tax
    shipping["discount_allocations"] = [{"amount": "7.99"}]
    shipping["tax_lines"] = []
    post(client, payload, topic="orders/updated")
    order.refresh_from_db()
    assert (order.shipping_charged, order.free_shipping) == (Decimal("0.00"), True)


def test_an_order_that_does_not_ship_is_not_free_shipping(client):
    post(client, order_payload(shipping_lines=[]))
    order = Order.objects.get(number="1001")
    assert (order.shipping_charged, order.free_shipping) == (Decimal("0.00"), False)


@pytest.mark.parametrize(
    ("properties", "final_sale", "personalized"),
    [
        ([], False, False),
        ([{"name": "_final-sale", "value": "true"}], True, False),
        ([{"name": "Final-Sale", "value": "yes"}], True, False),
        ([{"name": "_final-sale", "value": "false"}], False, False),
        ([{"name": "personalization", "value": "For Bo"}], False, True),
        ([{"name": "Personalization", "value": " "}], False, False),
        ([{"name": "_clearance", "value": "1"}, {"name": "Engraving", "value": "AL"}], True, True),
    ],
)
def test_final_sale_and_personalized_come_from_the_configured_line_properties(
    client, settings, properties, final_sale, personalized
):
    if any(p["name"] == "_clearance" for p in properties):
        settings.SHOPIFY_FINAL_SALE_TAG, settings.SHOPIFY_PERSONALIZED_PROPERTY = "clearance", "Engraving"
    line = copy.deepcopy(ORDER["line_items"][2]) | {"properties": properties}
    assert post(client, order_payload(line_items=[line])).status_code == 200
    assert lines_of()["PEN-ENG"][3:] == (final_sale, personalized)


def test_a_gift_card_is_final_sale_and_a_line_without_a_sku_gets_one(client):
    line = copy.deepcopy(ORDER["line_items"][0]) | {"sku": "", "gift_card": True}
    post(client, order_payload(line_items=[line]))
    assert lines_of() == {"shopify-variant-4400001": (1, "54.00", "3.38", True, False)}


def test_the_same_sku_on_two_lines_is_kept_apart(client):
    first = copy.deepcopy(ORDER["line_items"][2])
    second = copy.deepcopy(first) | {"id": 1300004, "properties": [{"name": "Personalization", "value": "B. O."}]}
    assert post(client, order_payload(line_items=[first, second])).status_code == 200
    assert set(lines_of()) == {"PEN-ENG", "PEN-ENG#2"}


def test_orders_updated_updates_and_keeps_the_delivery_date(client):
    post(client, order_payload())
    post(client, EVENT, "fulfillment_events/create")
    response = post(client, order_payload(email="ana.lima@example.com"), "orders/updated")
    assert response.status_code == 200 and response.json()["updated"] == 1
    order = Order.objects.get(number="1001")
    assert order.email == "ana.lima@example.com" and str(order.delivered_on) == "2026-10-05"


def test_an_order_with_a_return_keeps_its_money_and_lines_as_with_import_orders(client, customer):
    order = _delivered_order(client)
    submit(order, standard(order.lines.get(sku="SHIRT-LIN-M")), by=customer)
    payload = _recent(order_payload(line_items=ORDER["line_items"][:1]))
    response = post(client, payload, "orders/updated")
    assert response.status_code == 200 and response.json()["orders_with_kept_lines"] == ["1001"]
    assert order.lines.count() == 4


# --- fulfillment_events/create: the delivery date in the store's time zone ------------------


@pytest.mark.parametrize(
    ("happened_at", "delivered_on"),
    [
        ("2026-10-06T03:30:00Z", "2026-10-05"),  # 23:30 in New York
        ("2026-10-05T23:59:59-04:00", "2026-10-05"),
        ("2026-10-06T04:00:00Z", "2026-10-06"),  # midnight in New York
        ("2026-10-06T09:30:00+09:00", "2026-10-05"),  # from Tokyo, 20:30 the day before in New York
    ],
)
def test_a_delivered_event_sets_the_day_in_the_store_time_zone(client, happened_at, delivered_on):
    post(client, order_payload())
    response = post(client, EVENT | {"happened_at": happened_at}, "fulfillment_events/create")
    assert response.status_code == 200 and response.json()["applied"] is True
    assert str(Order.objects.get(number="1001").delivered_on) == delivered_on


def test_the_store_time_zone_setting_decides_the_day(client, settings):
    settings.TIME_ZONE = "Europe/Lisbon"
    post(client, order_payload())
    post(client, EVENT | {"happened_at": "2026-10-05T23:30:00-04:00"}, "fulfillment_events/create")
    assert str(Order.objects.get(number="1001").delivered_on) == "2026-10-06"


def test_other_event_statuses_and_unknown_orders_are_200_and_change_nothing(client):
    post(client, order_payload())
    in_transit = post(client, EVENT | {"status": "in_transit"}, "fulfillment_events/create")
    assert in_transit.status_code == 200 and in_transit.json()["applied"] is False
    unknown = post(client, EVENT | {"order_id": 999}, "fulfillment_events/create")
    assert unknown.status_code == 200 and unknown.json()["applied"] is False
    assert Order.objects.get(number="1001").delivered_on is None


def test_the_last_parcel_delivered_counts_whatever_order_events_arrive_in(client):
    post(client, order_payload())
    post(client, EVENT | {"happened_at": "2026-10-08T12:00:00Z"}, "fulfillment_events/create")
    post(client, EVENT | {"happened_at": "2026-10-06T12:00:00Z"}, "fulfillment_events/create")
    assert str(Order.objects.get(number="1001").delivered_on) == "2026-10-08"


def test_a_delivery_before_the_order_was_placed_is_422_with_the_importer_message(client):
    post(client, order_payload())
    response = post(client, EVENT | {"happened_at": "2026-09-01T12:00:00Z"}, "fulfillment_events/create")
    assert response.status_code == 422
    assert response.json()["problems"][0]["message"] == "2026-09-01 is before the order was placed (2026-10-01)"


# --- topics, replays, signatures, sizes -----------------------------------------------------


def test_an_unknown_topic_is_200_and_says_it_was_ignored(client):
    response = post(client, {"id": 1}, "products/update")
    assert response.status_code == 200
    assert response.json()["ignored"] is True and "orders/create" in response.json()["reason"]
    assert not Order.objects.exists()


def test_a_redelivery_answers_the_same_and_writes_nothing(client):
    first = post(client, order_payload(), webhook_id="b54557e4-bdd9-4b37-8a5f-bf7d70bcd043")
    Order.objects.filter(number="1001").update(customer_name="Changed here")
    again = post(client, order_payload(), webhook_id="b54557e4-bdd9-4b37-8a5f-bf7d70bcd043")
    assert first.status_code == again.status_code == 200
    assert again.json() == {**first.json(), "replayed": True}
    assert Order.objects.get(number="1001").customer_name == "Changed here"
    assert WebhookDelivery.objects.filter(source="shopify").count() == 1


@pytest.mark.parametrize("how", ["missing", "wrong secret", "body changed", "hex instead of base64"])
def test_a_bad_signature_is_401_and_nothing_is_written_or_logged(client, how, caplog):
    raw = json.dumps(order_payload()).encode()
    hmac = {
        "missing": False,
        "wrong secret": shopify_signature(raw, "other"),
        "body changed": shopify_signature(raw.replace(b"Ana", b"Eve"), SECRET),
        "hex instead of base64": "0" * 64,
    }[how]
    response = post(client, None, body=raw, hmac=hmac)
    assert response.status_code == 401 and "error" in response.json()
    assert not Order.objects.exists() and not WebhookDelivery.objects.exists()
    assert "ana@example.com" not in caplog.text.lower() and "Lima" not in caplog.text


def test_without_a_secret_the_endpoint_is_off(client, settings):
    settings.SHOPIFY_WEBHOOK_SECRET = ""
    response = post(client, order_payload())
    assert response.status_code == 404 and "SHOPIFY_WEBHOOK_SECRET" in response.json()["error"]


@pytest.mark.parametrize("raw", [b"{not json", b"\xff\xfe", b""])
def test_malformed_json_is_400(client, raw):
    response = post(client, None, body=raw)
    assert response.status_code == 400 and "not valid JSON" in response.json()["error"]


def test_a_body_over_the_limit_is_413(client, settings):
    settings.ORDER_WEBHOOK_MAX_BYTES = 1000
    response = post(client, order_payload())
    assert response.status_code == 413 and not Order.objects.exists()


def test_get_is_405(client):
    assert client.get(URL).status_code == 405


# --- 422: the importer's messages ----------------------------------------------------------


def test_a_payload_that_maps_to_a_bad_record_is_422_with_the_importer_message(client):
    payload = order_payload(email="not-an-email", customer=None, contact_email=None)
    response = post(client, payload)
    assert response.status_code == 422 and not Order.objects.exists()
    [problem] = response.json()["problems"]
    # The message import_orders gives for the same record.
    with pytest.raises(ImportErrors) as imported:
        order_records_check([{**_import_record(), "email": "not-an-email"}])
    assert (
        problem["text"]
        == str(imported.value.problems[0])
        == "record 1, field email: 'not-an-email' is not an email address"
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"currency": "dollars", "presentment_currency": None}, "currency"),
        ({"created_at": "yesterday", "processed_at": None}, "placed_at"),
        ({"line_items": []}, "lines"),
        ({"line_items": [{"sku": "X", "quantity": 0, "price": "1.00"}]}, "line_items[0].quantity"),
        ({"line_items": [{"sku": "X", "quantity": 1, "price": "one"}]}, "line_items[0].price"),
        ({"line_items": [{"sku": "X", "quantity": 1, "price": "1.005"}]}, "line_items[0].price"),
        (
            {"line_items": [{"sku": "X", "quantity": 1, "price": "1.00", "tax_lines": "none"}]},
            "line_items[0].tax_lines",
        ),
        ({"line_items": "everything"}, "line_items"),
        ({"shipping_lines": [{"price": None}]}, "shipping_lines[0].price"),
    ],
)
def test_payloads_that_cannot_be_orders_are_422_never_500(client, change, field):
    response = post(client, order_payload(**change))
    assert response.status_code == 422, response.json()
    assert field in [p["field"] for p in response.json()["problems"]]
    assert not Order.objects.exists()


@pytest.mark.parametrize("payload", [[], "order", 12, None, {"status": "delivered", "order_id": "\x00"}])
def test_other_shapes_are_answered_never_500(client, payload):
    for topic in ("orders/create", "fulfillment_events/create"):
        assert post(client, payload, topic).status_code in (200, 422)


def _import_record():
    return {
        "number": "1001",
        "email": "ana@example.com",
        "placed_at": "2026-10-01T10:15:00-04:00",
        "currency": "USD",
        "shipping_charged": "7.99",
        "payment_method": "Shopify Payments",
        "lines": [{"sku": "A", "name": "A", "quantity": 1, "unit_price": "1.00", "unit_tax": "0.00"}],
    }


# --- the refund of a unit of the uneven line -----------------------------------------------


def _recent(payload):
    return payload | {"created_at": (timezone.now() - timedelta(days=6)).isoformat()}


def _delivered_order(client):
    post(client, _recent(order_payload()))
    delivered = (timezone.now() - timedelta(days=2)).isoformat()
    post(client, EVENT | {"happened_at": delivered}, "fulfillment_events/create")
    return Order.objects.get(number="1001")


def _refund_for(order, sku, quantity, customer, service_agent, warehouse):
    request = submit(order, standard(order.lines.get(sku=sku), quantity), by=customer)
    request.refresh_from_db()
    if request.status == "submitted":
        return_request_approve(request=request, by=service_agent, return_required=True)
    return_request_receive(request=request, by=warehouse)
    inspect_all(request, warehouse)
    return Refund.objects.get(request=request)


def test_the_refund_for_a_unit_of_the_uneven_line_is_what_was_paid_for_it(client, customer, service_agent, warehouse):
    order = _delivered_order(client)
    first = _refund_for(order, "MUG-01", 1, customer, service_agent, warehouse)
    assert (first.merchandise, first.tax, first.shipping, first.deduction) == (
        Decimal("3.34"),
        Decimal("0.27"),
        Decimal("0.00"),
        Decimal("0.00"),
    )
    rest = _refund_for(order, "MUG-01#2", 2, customer, service_agent, warehouse)
    assert (rest.merchandise, rest.tax) == (Decimal("6.66"), Decimal("0.27") * 2)
    # The whole line, returned in two requests, refunds exactly what Shopify charged for it: 10.00 + 0.81.
    assert first.merchandise + rest.merchandise == Decimal("10.00") and first.tax + rest.tax == Decimal("0.81")


# --- the OpenAPI description ----------------------------------------------------------------


def test_the_openapi_description_has_the_endpoint_and_its_examples_are_accepted(client):
    doc = client.get("/api/v1/schema").json()
    post_op = doc["paths"]["/api/v1/shopify/webhooks"]["post"]
    assert set(post_op["responses"]) == {"200", "400", "401", "409", "411", "413", "422"}
    examples = post_op["requestBody"]["content"]["application/json"]["examples"]
    for topic in ("orders/create", "fulfillment_events/create"):
        response = post(client, examples[topic]["value"], topic)
        assert response.status_code == 200 and response.json().get("applied", True), (topic, response.json())
    order = Order.objects.get(number="1001")
    assert str(order.delivered_on) == "2026-10-05"
    assert [(line.sku, line.quantity, str(line.unit_price)) for line in order.lines.all()] == [
        ("MUG-01", 1, "3.34"),
        ("MUG-01#2", 2, "3.33"),
    ]


def test_several_secrets_may_be_set_while_one_is_rolled(client, settings):
    settings.SHOPIFY_WEBHOOK_SECRET = f"old-secret, {SECRET}"
    assert post(client, order_payload()).status_code == 200
    assert post(client, order_payload(), secret="old-secret").status_code == 200
    assert post(client, order_payload(), secret="third").status_code == 401


def test_units_removed_in_shopify_are_not_returnable_and_an_emptied_order_is_left_alone(client):
    payload = order_payload()
    payload["line_items"][1]["current_quantity"] = 2  # one mug refunded in Shopify
    payload["line_items"][2]["current_quantity"] = 0  # the pen removed by an order edit
    assert post(client, payload).status_code == 200
    assert lines_of() == {
        "SHIRT-LIN-M": (1, "54.00", "3.38", False, False),
        "MUG-01": (1, "3.34", "0.27", False, False),
        "MUG-01#2": (1, "3.33", "0.27", False, False),
    }
    for line in payload["line_items"]:
        line["current_quantity"] = 0
    response = post(client, payload, "orders/updated")
    assert response.status_code == 200 and response.json()["applied"] is False
    assert len(lines_of()) == 3


# --- versions, kept delivery dates, ids already used -------------------------------------------


def test_an_older_version_of_an_order_is_200_and_changes_nothing(client):
    """Shopify retries for hours with the payload as it was: a late retry must not take the order back in time."""
    post(client, order_payload(updated_at="2026-10-02T09:00:00-04:00", email="ana.lima@example.com"), "orders/updated")
    late = order_payload(updated_at="2026-10-01T10:15:02-04:00", email="ana@example.com")

    response = post(client, late, "orders/updated")

    assert response.status_code == 200  # sending it again cannot help, so Shopify is not asked to
    [older] = response.json()["older_than_applied"]
    assert older["number"] == "1001" and "older than the version already applied" in older["message"]
    assert Order.objects.get(number="1001").email == "ana.lima@example.com"


def test_a_delivered_event_cannot_move_the_delivery_date_of_an_order_with_a_return(client, customer):
    order = _delivered_order(client)
    kept = order.delivered_on
    submit(order, standard(order.lines.get(sku="SHIRT-LIN-M")), by=customer)

    response = post(client, EVENT | {"happened_at": timezone.now().isoformat()}, "fulfillment_events/create")

    # 200, not 422: Shopify retries anything else for hours, then drops a webhook that keeps failing.
    assert response.status_code == 200
    assert response.json()["applied"] is False
    assert f"its delivery date stays {kept}" in response.json()["reason"]
    order.refresh_from_db()
    assert order.delivered_on == kept


def test_a_shopify_id_already_used_by_another_order_is_not_written_not_retried_and_kept_for_staff(
    client, service_agent
):
    assert post(client, order_payload()).status_code == 200
    other = order_payload(name="#1002", order_number=1002)  # the same Shopify id as order 1001

    response = post(client, other, webhook_id="w-1")
    retried = post(client, other, webhook_id="w-1")

    # 200 with applied: false: Shopify retries any other status for hours, then drops the webhook.
    assert response.status_code == 200 and response.json()["applied"] is False
    reason = response.json()["reason"]
    assert "5723411234567 already belongs to order 1001" in reason and "not change by sending it again" in reason
    assert "send it again" not in reason.replace("not change by sending it again", "")
    assert retried.status_code == 200 and retried.json()["replayed"] is True
    assert not Order.objects.filter(number="1002").exists()
    [conflict] = ShopifyIdConflict.objects.all()
    assert (conflict.shopify_order_id, conflict.number, conflict.order.number) == ("5723411234567", "1002", "1001")

    client.force_login(service_agent)
    listing = client.get(reverse("admin:returns_shopifyidconflict_changelist"))
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "1002" in page and "5723411234567" in page and "1001" in page
