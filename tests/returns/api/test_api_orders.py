"""POST /api/v1/orders: every answer code, the signature and replays, one code path with import_orders."""

import copy
import json
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from returns.api.schema import EXAMPLE_DELIVERY, EXAMPLE_ORDER
from returns.api.signing import header_for, verify
from returns.exceptions import ImportErrors
from returns.intake import orders_import
from returns.integrations import WebhookRejected
from returns.models import Order, WebhookDelivery
from tests.returns.admin.test_admin import mug, standard, submit

pytestmark = pytest.mark.django_db
SECRET = "whsec_orders_test"
URL = "/api/v1/orders"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.ORDER_WEBHOOK_SECRET = SECRET


def post(client, payload, *, secret=SECRET, at=None, delivery=None, body=None, header=None):
    raw = body if body is not None else json.dumps(payload).encode()
    headers = {"HTTP_X_ALOTROP_SIGNATURE": header or header_for(raw, secret, at, delivery_id=delivery or "")}
    if delivery:
        headers["HTTP_X_ALOTROP_DELIVERY"] = delivery
    return client.post(URL, raw, content_type="application/json", **headers)


def order_payload(number="100234", **changes):
    order = copy.deepcopy(EXAMPLE_ORDER)
    order["number"] = number
    order.update(changes)
    return order


# --- 200 ---------------------------------------------------------------------------


def test_one_order_is_created_with_its_lines_and_payment_reference(client):
    response = post(client, order_payload())
    assert response.status_code == 200
    assert response.json()["created"] == 1
    order = Order.objects.get(number="100234")
    assert order.payment_reference == "pi_3OrderAlotrop100234"
    assert [(line.sku, line.quantity, str(line.unit_price)) for line in order.lines.all()] == [("MUG-01", 2, "12.50")]


def test_a_list_of_orders_upserts_by_number(client):
    post(client, {"orders": [order_payload("1"), order_payload("2")]})
    response = post(client, {"orders": [order_payload("1", customer_name="Ana L."), order_payload("2")]})
    assert response.status_code == 200
    counts = {k: response.json()[k] for k in ("created", "updated", "unchanged")}
    assert counts == {"created": 0, "updated": 1, "unchanged": 1}
    assert Order.objects.get(number="1").customer_name == "Ana L."


def test_a_delivery_update_sets_the_date_and_nothing_else(client):
    post(client, order_payload())
    response = post(client, EXAMPLE_DELIVERY)
    assert response.status_code == 200 and response.json() == {"deliveries_recorded": 1}
    order = Order.objects.get(number="100234")
    assert str(order.delivered_on) == "2026-10-05" and order.customer_name == "Ana Lima"


def test_an_order_with_returns_keeps_its_money_and_lines_as_with_import_orders(client, order, customer):
    submit(order, standard(mug(order)), by=customer)
    payload = order_payload(order.number, email=order.email, shipping_charged="0.00")
    response = post(client, payload)
    assert response.status_code == 200
    assert response.json()["orders_with_kept_lines"] == [order.number]
    [kept] = response.json()["orders_with_kept_fields"]
    assert kept["number"] == order.number and "shipping_charged" in kept["fields"]
    order.refresh_from_db()
    assert str(order.shipping_charged) == "5.99" and order.lines.count() == 2


# --- replays ---------------------------------------------------------------------------


def test_a_redelivery_answers_the_same_and_does_nothing_again(client):
    first = post(client, order_payload(), delivery="d-1")
    Order.objects.filter(number="100234").update(customer_name="Changed here")
    again = post(client, order_payload(), delivery="d-1")
    assert again.status_code == first.status_code == 200
    assert again.json() == {**first.json(), "replayed": True}
    assert Order.objects.get(number="100234").customer_name == "Changed here"  # not written twice
    assert WebhookDelivery.objects.filter(source="orders", delivery_id="d-1").count() == 1


def test_a_redelivered_422_answers_the_same_422(client):
    bad = order_payload(currency="dollars")
    first = post(client, bad, delivery="d-2")
    again = post(client, bad, delivery="d-2")
    assert first.status_code == again.status_code == 422
    assert again.json()["problems"] == first.json()["problems"]


# --- 401: the signature ----------------------------------------------------------------


@pytest.mark.parametrize(("offset", "accepted"), [(-300, True), (300, True), (-301, False), (301, False)])
def test_the_five_minutes_are_exact_either_way(offset, accepted):
    """The signature's time may be 300 s from the receiver's clock, not 301 (a fixed clock: no race with the run)."""
    raw, now = b'{"number": "1"}', 1_800_000_000
    header = header_for(raw, SECRET, now + offset, delivery_id="d-1")
    try:
        verify(header, raw, SECRET, delivery_id="d-1", now=now)
    except WebhookRejected as rejected:
        assert not accepted and "more than 5 minutes from now" in str(rejected)
    else:
        assert accepted


@pytest.mark.parametrize(
    "how",
    ["missing", "wrong secret", "body changed", "too old", "from the future", "garbled"],
)
def test_a_bad_signature_is_401_and_writes_nothing(client, how, caplog):
    raw = json.dumps(order_payload()).encode()
    header = {
        "missing": None,
        "wrong secret": header_for(raw, "whsec_other"),
        "body changed": header_for(raw.replace(b"Ana", b"Eve"), SECRET),
        # A minute past the 5 minutes either way, so a slow run cannot bring it back inside (the edge itself:
        # test_the_five_minutes_are_exact_either_way).
        "too old": header_for(raw, SECRET, int(time.time()) - 360),
        "from the future": header_for(raw, SECRET, int(time.time()) + 360),
        "garbled": "v1=abc",
    }[how]
    headers = {"HTTP_X_ALOTROP_SIGNATURE": header} if header else {}
    response = client.post(URL, raw, content_type="application/json", **headers)
    assert response.status_code == 401
    assert "error" in response.json()
    assert not Order.objects.exists()
    assert "ana@example.com" not in caplog.text  # nothing of the body logged


def test_a_signature_within_five_minutes_is_accepted(client):
    assert post(client, order_payload(), at=int(time.time()) - 290).status_code == 200


def test_without_a_secret_the_endpoint_is_off(client, settings):
    settings.ORDER_WEBHOOK_SECRET = ""
    assert post(client, order_payload()).status_code == 404


# --- 400, 413, 422, 405 -----------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"{not json", b"\xff\xfe\x00", b""])
def test_malformed_json_is_400(client, raw):
    response = post(client, None, body=raw)
    assert response.status_code == 400 and "not valid JSON" in response.json()["error"]


def test_a_body_over_the_limit_is_413(client, settings):
    settings.ORDER_WEBHOOK_MAX_BYTES = 2000
    payload = {"orders": [order_payload(str(n)) for n in range(10)]}
    response = post(client, payload)
    assert response.status_code == 413 and not Order.objects.exists()


def test_every_problem_is_422_by_record_and_field_and_nothing_is_written(client):
    good = order_payload("1")
    bad = order_payload("2", email="not-an-email", placed_at="yesterday")
    bad["lines"][0]["quantity"] = 0
    response = post(client, {"orders": [good, bad]})
    assert response.status_code == 422
    fields = {(p["record"], p["field"]) for p in response.json()["problems"]}
    assert {(2, "email"), (2, "placed_at"), (2, "lines[0].quantity")} <= fields
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [[1, 2], "order", {"orders": []}, {"orders": "x"}, {"delivery": {"number": "nope", "delivered_on": "2026-10-05"}}],
)
def test_other_shapes_are_422_not_500(client, payload):
    response = post(client, payload)
    assert response.status_code == 422 and response.json()["error"]


def test_a_delivery_before_the_order_was_placed_is_422(client):
    post(client, order_payload())
    response = post(client, {"delivery": {"number": "100234", "delivered_on": "2026-09-01"}})
    assert response.status_code == 422
    assert response.json()["problems"][0]["field"] == "delivered_on"


def test_get_is_405(client):
    assert client.get(URL).status_code == 405


# --- one code path with import_orders -----------------------------------------------------


def test_the_same_bad_record_gets_the_same_message_from_the_api_and_import_orders(client, tmp_path):
    bad = order_payload("7", currency="dollars", shipping_charged="-1")
    api = post(client, {"orders": [bad]}).json()["problems"]
    path = tmp_path / "orders.json"
    path.write_text(json.dumps({"orders": [bad]}))
    with pytest.raises(ImportErrors) as raised:
        orders_import(path=path)
    from_file = [(p.record, p.field, p.message) for p in raised.value.problems]
    assert [(p["record"], p["field"], p["message"]) for p in api] == from_file


def test_import_orders_reads_payment_reference_too(tmp_path):
    path = tmp_path / "orders.json"
    path.write_text(json.dumps({"orders": [order_payload("8")]}))
    call_command("import_orders", str(path))
    assert Order.objects.get(number="8").payment_reference == "pi_3OrderAlotrop100234"


# --- the description ----------------------------------------------------------------------


def test_the_openapi_description_is_served_and_its_examples_are_accepted(client):
    response = client.get(reverse("api:schema"))
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.1")
    post_op = doc["paths"]["/api/v1/orders"]["post"]
    assert set(post_op["responses"]) == {"200", "400", "401", "409", "411", "413", "422"}
    examples = post_op["requestBody"]["content"]["application/json"]["examples"]
    for name in ("order", "orders", "delivery"):
        assert post(client, examples[name]["value"]).status_code == 200, name


def test_sweep_webhooks_forgets_old_delivery_ids_and_keeps_recent_ones(client, settings, capsys):
    settings.WEBHOOK_DELIVERY_KEEP_DAYS = 30
    post(client, order_payload("1"), delivery="old")
    post(client, order_payload("2"), delivery="recent")
    WebhookDelivery.objects.filter(delivery_id="old").update(received_at=timezone.now() - timedelta(days=31))
    call_command("sweep_webhooks")
    assert "1 webhook delivery record(s) older than 30 days deleted." in capsys.readouterr().out
    assert list(WebhookDelivery.objects.values_list("delivery_id", flat=True)) == ["recent"]
    assert post(client, order_payload("2"), delivery="recent").json()["replayed"] is True
    again = post(client, order_payload("1"), delivery="old")  # handled again: the upsert changes nothing
    assert again.status_code == 200 and again.json()["unchanged"] == 1 and Order.objects.count() == 2


# --- a signed push applies once and never goes back in time ---------------------------------


def test_a_captured_push_resent_under_another_delivery_id_is_refused_and_the_order_stays_new(client):
    """Attack 3: A, then B; A's exact body and signature again with a new X-Alotrop-Delivery."""
    version_a = json.dumps(order_payload(customer_name="Ana Lima", email="ana@example.com")).encode()
    signature_a = header_for(version_a, SECRET, delivery_id="d-A")
    sent = client.post(
        URL,
        version_a,
        content_type="application/json",
        HTTP_X_ALOTROP_SIGNATURE=signature_a,
        HTTP_X_ALOTROP_DELIVERY="d-A",
    )
    assert sent.status_code == 200
    assert (
        post(client, order_payload(customer_name="Ana B.", email="ana.b@example.com"), delivery="d-B").status_code
        == 200
    )

    replayed = client.post(
        URL,
        version_a,
        content_type="application/json",
        HTTP_X_ALOTROP_SIGNATURE=signature_a,
        HTTP_X_ALOTROP_DELIVERY="d-X",
    )

    assert replayed.status_code == 401 and "<t>.<X-Alotrop-Delivery>.<raw body>" in replayed.json()["error"]
    order = Order.objects.get(number="100234")
    assert (order.customer_name, order.email) == ("Ana B.", "ana.b@example.com")


def test_while_the_first_signature_is_accepted_a_replayed_body_is_answered_as_a_replay(client, settings):
    """A store still signing "<t>.<body>": the delivery id is not signed, so the body itself is remembered."""
    settings.ORDER_WEBHOOK_ACCEPT_UNSIGNED_DELIVERY_ID = True
    version_a = json.dumps(order_payload(customer_name="Ana Lima")).encode()
    old_style = header_for(version_a, SECRET, delivery_id=None)
    first = client.post(
        URL,
        version_a,
        content_type="application/json",
        HTTP_X_ALOTROP_SIGNATURE=old_style,
        HTTP_X_ALOTROP_DELIVERY="d-A",
    )
    assert first.status_code == 200 and first.json()["created"] == 1
    assert post(client, order_payload(customer_name="Ana B."), delivery="d-B").status_code == 200

    replayed = client.post(
        URL,
        version_a,
        content_type="application/json",
        HTTP_X_ALOTROP_SIGNATURE=old_style,
        HTTP_X_ALOTROP_DELIVERY="d-X",
    )

    assert replayed.status_code == 200 and replayed.json() == {**first.json(), "replayed": True}
    assert Order.objects.get(number="100234").customer_name == "Ana B."


def test_the_first_signature_is_refused_unless_the_setting_allows_it(client, settings):
    raw = json.dumps(order_payload()).encode()
    old_style = header_for(raw, SECRET, delivery_id=None)
    assert client.post(URL, raw, content_type="application/json", HTTP_X_ALOTROP_SIGNATURE=old_style).status_code == 401
    settings.ORDER_WEBHOOK_ACCEPT_UNSIGNED_DELIVERY_ID = True
    assert client.post(URL, raw, content_type="application/json", HTTP_X_ALOTROP_SIGNATURE=old_style).status_code == 200


def test_the_same_body_within_ten_minutes_is_a_replay_whatever_its_delivery_id(client):
    first = post(client, order_payload(customer_name="Ana Lima"), delivery="d-1")
    Order.objects.filter(number="100234").update(customer_name="Changed here")
    again = post(client, order_payload(customer_name="Ana Lima"), delivery="d-2")  # freshly signed, same body
    assert again.status_code == 200 and again.json() == {**first.json(), "replayed": True}
    assert Order.objects.get(number="100234").customer_name == "Changed here"  # nothing written

    WebhookDelivery.objects.update(received_at=timezone.now() - timedelta(minutes=11))
    later = post(client, order_payload(customer_name="Ana Lima"), delivery="d-3")
    assert later.status_code == 200 and "replayed" not in later.json()
    assert Order.objects.get(number="100234").customer_name == "Ana Lima"


def test_an_older_version_never_overwrites_a_newer_one(client, order, customer):
    """The store's updated_at: a late or replayed push of an earlier version changes nothing, with returns or not."""
    submit(order, standard(mug(order)), by=customer)
    newer = order_payload(order.number, email=order.email, customer_name="Ana B.", updated_at="2026-10-02T09:00:00Z")
    newer["placed_at"] = order.placed_at.isoformat()
    newer["delivered_on"] = order.delivered_on.isoformat()
    assert post(client, newer).json()["updated"] == 1
    older = {**newer, "customer_name": "Ana Lima", "updated_at": "2026-10-01T09:00:00Z"}

    response = post(client, older)

    assert response.status_code == 200
    [skipped] = response.json()["older_than_applied"]
    assert skipped["number"] == order.number
    assert "is older than the version already applied" in skipped["message"] and "nothing changed" in skipped["message"]
    order.refresh_from_db()
    assert order.customer_name == "Ana B." and order.store_updated_at.isoformat() == "2026-10-02T09:00:00+00:00"


def test_an_order_without_returns_keeps_its_newer_email_and_lines(client):
    post(client, order_payload(updated_at="2026-10-02T09:00:00Z", email="new@example.com"))
    older = order_payload(updated_at="2026-10-01T09:00:00Z", email="old@example.com")
    older["lines"][0]["quantity"] = 5
    assert post(client, older).json()["older_than_applied"][0]["number"] == "100234"
    order = Order.objects.get(number="100234")
    assert order.email == "new@example.com" and order.lines.get().quantity == 2


# --- the delivery date of an order with returns is kept -------------------------------------


def test_a_push_cannot_move_the_delivery_date_of_an_order_with_returns(client, order, customer):
    """Attack 4: re-dating an order with a return would reopen the window for a line past it."""
    submit(order, standard(mug(order)), by=customer)
    kept = order.delivered_on
    later = (kept + timedelta(days=30)).isoformat()

    response = post(client, {"delivery": {"number": order.number, "delivered_on": later}})

    assert response.status_code == 422
    [problem] = response.json()["problems"]
    assert problem["field"] == "delivered_on"
    assert f"has return requests, so its delivery date stays {kept}" in problem["message"]
    assert "Support can change it" in problem["message"]
    order.refresh_from_db()
    assert order.delivered_on == kept


def test_a_whole_order_pushed_with_another_delivery_date_is_refused_when_it_has_returns(client, order, customer):
    submit(order, standard(mug(order)), by=customer)
    kept = order.delivered_on
    payload = order_payload(order.number, email=order.email, customer_name="Ana B.")
    payload["placed_at"] = order.placed_at.isoformat()
    payload["delivered_on"] = (kept + timedelta(days=30)).isoformat()

    response = post(client, payload)

    assert response.status_code == 422 and response.json()["problems"][0]["field"] == "delivered_on"
    order.refresh_from_db()
    assert order.delivered_on == kept and order.customer_name != "Ana B."  # nothing of the push written


def test_import_orders_reports_a_kept_delivery_date_like_the_other_kept_fields(tmp_path, order, customer):
    submit(order, standard(mug(order)), by=customer)
    kept = order.delivered_on
    record = order_payload(order.number, email=order.email, placed_at=order.placed_at.isoformat())
    record["payment_reference"] = order.payment_reference
    record["delivered_on"] = (kept + timedelta(days=30)).isoformat()
    path = tmp_path / "orders.json"
    path.write_text(json.dumps({"orders": [record]}))

    result = orders_import(path=path)

    assert result.orders_with_kept_fields == [(order.number, ["delivered_on"])]
    order.refresh_from_db()
    assert order.delivered_on == kept
