"""Refunds paid inside Shopify: the portal's own GraphQL client against the stand-in on 127.0.0.1.

Each path the money can take (paid at once, a double click, a timeout then a retry, throttling, Shopify's
no), what the mutation carries (the lines and their restock choice, shipping, the fee in the note, the
parent transaction, the idempotency key), two returns of one order, and Shopify's refunds/create webhook
matched to the refund waiting here. Every test counts the refunds the stand-in holds.
"""

import json
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from returns.conf import store_today
from returns.exceptions import AlreadyDone, PolicyViolation
from returns.integrations import ProviderRefused, refund_provider
from returns.models import Order, Refund, ReturnRequest
from returns.outbox import refunds
from returns.services.inspection import LineVerdict, return_request_inspect
from returns.services.refunds import refund_issue
from returns.services.requests import return_request_approve, return_request_receive
from tests.conftest import SHOPIFY_LOCATION
from tests.returns.admin.test_admin import (  # noqa: F401  (the fixtures are used by name)
    admin_url,
    fixture_approved,
    fixture_inspected,
    fixture_received,
    fixture_submitted,
    lamp,
    messages_of,
    mug,
    page_url,
    standard,
    submit,
)
from tests.returns.integrations.shopify.test_webhooks import ORDER, SECRET, post
from tests.returns.services.test_refunds_stripe import customer_refund_emails, issue

pytestmark = pytest.mark.django_db
S = ReturnRequest.Status
SHOPIFY_ORDER = "5723411234567"
MUG_ITEM, LAMP_ITEM = "1300002", "1300003"


@pytest.fixture
def from_shopify(order, fake_shopify):
    """The conftest order (two mugs, a lamp, 5.99 shipping: 81.59) came from Shopify and was paid there."""
    order.shopify_order_id = SHOPIFY_ORDER
    order.save(update_fields=["shopify_order_id"])
    order.lines.filter(sku="MUG-01").update(shopify_line_item_id=MUG_ITEM)
    order.lines.filter(sku="LAMP-02").update(shopify_line_item_id=LAMP_ITEM)
    fake_shopify.add_order(SHOPIFY_ORDER, lines={MUG_ITEM: 2, LAMP_ITEM: 1}, paid="81.59", name="#100234")
    return order


@pytest.fixture
def due(from_shopify, inspected):
    """Two mugs accepted, no fault: $27.00 to refund, pending."""
    refund = Refund.objects.get(request=inspected)
    assert refund.total == Decimal("27.00") and refund.state == Refund.State.PENDING
    return refund


@pytest.fixture(autouse=True)
def _webhook_secret(settings):
    settings.SHOPIFY_WEBHOOK_SECRET = SECRET


def received_request(order, customer, service_agent, warehouse, *lines):
    req = submit(order, *lines, by=customer)
    return_request_approve(request=req, by=service_agent, return_required=True)
    return return_request_receive(request=req, by=warehouse)


def inspect(req, by, **verdicts_by_sku):
    verdicts = {
        line.pk: verdicts_by_sku.get(line.order_line.sku, LineVerdict(accepted=True)) for line in req.lines.all()
    }
    return_request_inspect(request=req, by=by, verdicts=verdicts)
    return Refund.objects.get(request=req)


# --- paid at once: what the mutation carries ---------------------------------------------------


def test_the_refund_is_paid_inside_shopify_with_its_lines_the_parent_payment_and_our_key(
    due, service_agent, fake_shopify, mailoutbox, django_capture_on_commit_callbacks
):
    refund = issue(due, service_agent, django_capture_on_commit_callbacks)

    [at_shopify] = fake_shopify.refunds_for(SHOPIFY_ORDER)
    assert refund.state == Refund.State.ISSUED and refund.reference == at_shopify["id"]
    key = refunds.idempotency_key(refund)
    first, mutation = fake_shopify.requests  # the order's transactions are read before refunding
    assert "transactions" in first["query"] and first["variables"] == {"id": f"gid://shopify/Order/{SHOPIFY_ORDER}"}
    assert first["path"] == "/admin/api/2026-10/graphql.json"
    assert f'@idempotent(key: "{key}")' in mutation["query"]
    sent = mutation["variables"]["input"]
    sale = fake_shopify.orders[f"gid://shopify/Order/{SHOPIFY_ORDER}"]["transactions"][0]["id"]
    assert sent["refundLineItems"] == [
        {
            "lineItemId": f"gid://shopify/LineItem/{MUG_ITEM}",
            "quantity": 2,
            "restockType": "RETURN",
            "locationId": SHOPIFY_LOCATION,
        }
    ]
    assert sent["transactions"] == [
        {
            "orderId": f"gid://shopify/Order/{SHOPIFY_ORDER}",
            "parentId": sale,
            "gateway": "shopify_payments",
            "kind": "REFUND",
            "amount": "27.00",
        }
    ]
    assert "shipping" not in sent and "discrepancyReason" not in sent and sent["notify"] is False
    assert due.request.rma in sent["note"] and f"[alotrop-key: {key}]" in sent["note"]
    assert ReturnRequest.objects.get(pk=due.request_id).status == S.REFUNDED
    [email] = customer_refund_emails(mailoutbox, due.order)
    assert "$27.00" in email.subject
    notes = dict(due.request.history.values_list("event", "note"))
    assert notes["refund_sent"] == f"$27.00 sent to Shopify ({SHOPIFY_ORDER})."


def test_restock_is_sent_per_line_and_shipping_and_the_fee_when_r10_counts_them(
    from_shopify, customer, service_agent, warehouse, fake_shopify, django_capture_on_commit_callbacks
):
    """A mug staff put back on the shelf, the lamp found faulty (so not restocked, and a share of shipping)."""
    req = received_request(
        from_shopify, customer, service_agent, warehouse, standard(mug(from_shopify), 1), standard(lamp(from_shopify))
    )
    refund = inspect(
        req,
        warehouse,
        **{
            "LAMP-02": LineVerdict(accepted=True, fault_confirmed=True),
            "MUG-01": LineVerdict(accepted=True, restock=True),
        },
    )
    assert dict(req.lines.values_list("order_line__sku", "restock")) == {"MUG-01": "restock", "LAMP-02": "no_restock"}
    assert refund.shipping > 0
    refund = issue(refund, service_agent, django_capture_on_commit_callbacks)

    assert refund.state == Refund.State.ISSUED
    sent = fake_shopify.mutations()[0]["variables"]["input"]
    assert sorted(sent["refundLineItems"], key=lambda i: i["lineItemId"]) == [
        {
            "lineItemId": f"gid://shopify/LineItem/{MUG_ITEM}",
            "quantity": 1,
            "restockType": "RETURN",
            "locationId": SHOPIFY_LOCATION,
        },
        {"lineItemId": f"gid://shopify/LineItem/{LAMP_ITEM}", "quantity": 1, "restockType": "NO_RESTOCK"},
    ]
    assert sent["shipping"] == {"amount": str(refund.shipping)}
    assert sent["transactions"][0]["amount"] == str(refund.total)


def test_the_free_shipping_fee_is_the_transaction_less_the_fee_and_named_in_the_note(
    from_shopify, customer, service_agent, warehouse, fake_shopify, django_capture_on_commit_callbacks
):
    Order.objects.filter(pk=from_shopify.pk).update(free_shipping=True, shipping_charged=0)
    req = received_request(from_shopify, customer, service_agent, warehouse, standard(mug(from_shopify), 2))
    refund = inspect(req, warehouse)
    assert (refund.deduction, refund.total) == (Decimal("9.99"), Decimal("17.01"))
    issue(refund, service_agent, django_capture_on_commit_callbacks)

    sent = fake_shopify.mutations()[0]["variables"]["input"]
    assert sent["transactions"][0]["amount"] == "17.01"
    assert sent["discrepancyReason"] == "OTHER"
    assert "Free-shipping return fee deducted: -9.99 USD (R10)" in sent["note"]


# --- exactly once ---------------------------------------------------------------------------------


def test_a_double_click_in_the_admin_pays_once(
    client, due, service_agent, fake_shopify, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(service_agent)
    page = client.get(page_url(due.request)).content.decode()
    assert "Refund through Shopify" in page and f"Paid through Shopify ({SHOPIFY_ORDER})" in page
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(admin_url("refund_issue", due.request_id))
    with django_capture_on_commit_callbacks(execute=True):
        second = client.post(admin_url("refund_issue", due.request_id))
    assert any(f"Refund for {due.request.rma}" in text for level, text in messages_of(first) if level == "success")
    assert any("already issued" in text for level, text in messages_of(second) if level == "error")
    assert len(fake_shopify.refunds_for(SHOPIFY_ORDER)) == 1 and len(fake_shopify.mutations()) == 1
    assert len(customer_refund_emails(mailoutbox, due.order)) == 1


def test_a_timeout_waits_and_the_workers_retry_finds_the_refund_shopify_made(
    due, service_agent, settings, fake_shopify, mailoutbox, django_capture_on_commit_callbacks
):
    settings.SHOPIFY_CLICK_TIMEOUT = 0.5
    fake_shopify.slow_seconds = 2.0
    fake_shopify.fail_next("timeout")  # Shopify makes the refund but answers after 2 s
    started = time.monotonic()
    refund = issue(due, service_agent, django_capture_on_commit_callbacks)
    assert time.monotonic() - started < 1.8, "the click waited for Shopify beyond SHOPIFY_CLICK_TIMEOUT"
    assert refund.state == Refund.State.PROCESSING and "Shopify did not answer" in refund.last_error
    assert customer_refund_emails(mailoutbox, due.order) == []
    with pytest.raises(AlreadyDone):
        refund_issue(refund=due, by=service_agent)

    with django_capture_on_commit_callbacks(execute=True):
        refunds.refunds_process_due(now=refund.next_attempt_at + timedelta(seconds=1))

    refund.refresh_from_db()
    [at_shopify] = fake_shopify.refunds_for(SHOPIFY_ORDER)
    assert refund.state == Refund.State.ISSUED and refund.reference == at_shopify["id"]
    assert len(customer_refund_emails(mailoutbox, due.order)) == 1


def test_the_same_key_twice_is_one_refund_at_shopify(due, fake_shopify):
    """Shopify's @idempotent: even a second refundCreate (no look first) returns the refund already made."""
    from returns.outbox.refunds import refund_detail

    provider = refund_provider()
    args = {
        "payment_reference": SHOPIFY_ORDER,
        "amount": Decimal("27.00"),
        "currency": "USD",
        "key": "k-1",
        "metadata": {},
    }
    first = provider.refund_send(**args, retry=False, detail=refund_detail(due))
    again = provider.refund_send(**args, retry=False, detail=refund_detail(due))
    assert first.id == again.id and len(fake_shopify.refunds_for(SHOPIFY_ORDER)) == 1
    assert len(fake_shopify.mutations()) == 2


@pytest.mark.parametrize("how", ["throttled", "429", "500"])
def test_throttling_or_an_error_waits_and_is_retried_then_paid_once(
    how, due, service_agent, fake_shopify, django_capture_on_commit_callbacks
):
    fake_shopify.fail_next(how)
    refund = issue(due, service_agent, django_capture_on_commit_callbacks)
    assert refund.state == Refund.State.PROCESSING and fake_shopify.refunds_for(SHOPIFY_ORDER) == []
    assert ("throttling" if how != "500" else "error (500)") in refund.last_error

    with django_capture_on_commit_callbacks(execute=True):
        refunds.refunds_process_due(now=refund.next_attempt_at + timedelta(seconds=1))
    refund.refresh_from_db()
    assert refund.state == Refund.State.ISSUED and len(fake_shopify.refunds_for(SHOPIFY_ORDER)) == 1


def test_a_wrong_token_waits_for_the_token_to_be_fixed(
    due, service_agent, settings, fake_shopify, django_capture_on_commit_callbacks
):
    settings.SHOPIFY_ADMIN_ACCESS_TOKEN = "shpat_wrong"
    refund = issue(due, service_agent, django_capture_on_commit_callbacks)
    assert refund.state == Refund.State.PROCESSING and "SHOPIFY_ADMIN_ACCESS_TOKEN" in refund.last_error


# --- Shopify's no ---------------------------------------------------------------------------------


def test_an_over_refund_is_refused_by_shopify_and_staff_see_why(
    client, due, service_agent, fake_shopify, mailoutbox, django_capture_on_commit_callbacks
):
    fake_shopify.refund_by_hand(SHOPIFY_ORDER, lines={LAMP_ITEM: 1}, amount="70.00")  # 11.59 left of the payment
    client.force_login(service_agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(admin_url("refund_issue", due.request_id))

    refund = Refund.objects.get(pk=due.pk)
    assert refund.state == Refund.State.FAILED
    assert (
        "Shopify refused the refund: Refund amount must be less than or equal to the refundable amount of 11.59 USD"
        in refund.failure_reason
    )
    assert response.status_code == 302
    assert len(fake_shopify.refunds_for(SHOPIFY_ORDER)) == 1  # only the one made by hand
    assert customer_refund_emails(mailoutbox, due.order) == []
    page = client.get(page_url(due.request)).content.decode()
    assert "Retry the refund" in page and "refundable amount of 11.59 USD" in page


def test_shopifys_user_error_fails_the_refund_in_its_words_and_a_retry_is_a_new_key(
    due, service_agent, fake_shopify, django_capture_on_commit_callbacks
):
    fake_shopify.fail_next("user_error", message="Order is being edited; try again when the edit is committed")
    refund = issue(due, service_agent, django_capture_on_commit_callbacks)
    assert refund.state == Refund.State.FAILED
    assert (
        refund.failure_reason
        == "Shopify refused the refund: Order is being edited; try again when the edit is committed"
    )

    retried = issue(refund, service_agent, django_capture_on_commit_callbacks)
    assert retried.state == Refund.State.ISSUED and retried.provider_round == 2
    keys = [m["query"].split('key: "')[1].split('"')[0] for m in fake_shopify.mutations()]
    assert keys[0].endswith("-1") and keys[1].endswith("-2") and len(fake_shopify.refunds_for(SHOPIFY_ORDER)) == 1


def test_a_restock_without_a_location_is_refused_before_asking_shopify(
    due, service_agent, settings, fake_shopify, django_capture_on_commit_callbacks
):
    settings.SHOPIFY_RESTOCK_LOCATION_ID = ""
    refund = issue(due, service_agent, django_capture_on_commit_callbacks)
    assert refund.state == Refund.State.FAILED and "SHOPIFY_RESTOCK_LOCATION_ID is not set" in refund.failure_reason
    assert fake_shopify.mutations() == []


def test_an_order_not_from_shopify_is_paid_by_hand_and_staff_are_told_why(
    client, inspected, service_agent, fake_shopify
):
    refund = Refund.objects.get(request=inspected)
    client.force_login(service_agent)
    page = client.get(page_url(inspected)).content.decode()
    assert "did not come from Shopify, so Shopify cannot refund it" in page
    assert "Refund through Shopify" not in page and 'name="reference"' in page
    with pytest.raises(PolicyViolation, match="did not come from Shopify"):
        refund_issue(refund=refund, by=service_agent)
    refund_issue(refund=refund, by=service_agent, reference="bank transfer 42")
    assert Refund.objects.get(pk=refund.pk).state == Refund.State.ISSUED
    assert fake_shopify.requests == []


# --- two returns of one order ---------------------------------------------------------------------


def test_two_returns_of_one_order_each_pay_their_own_lines_and_add_up(
    from_shopify, customer, service_agent, warehouse, fake_shopify, django_capture_on_commit_callbacks
):
    first = received_request(from_shopify, customer, service_agent, warehouse, standard(mug(from_shopify), 1))
    second = received_request(
        from_shopify, customer, service_agent, warehouse, standard(mug(from_shopify), 1), standard(lamp(from_shopify))
    )
    one = issue(inspect(first, warehouse), service_agent, django_capture_on_commit_callbacks)
    two = issue(inspect(second, warehouse), service_agent, django_capture_on_commit_callbacks)

    assert one.state == two.state == Refund.State.ISSUED
    made = fake_shopify.refunds_for(SHOPIFY_ORDER)
    assert [r["_amount"] for r in made] == [one.total, two.total] == [Decimal("13.50"), Decimal("62.10")]
    assert [{i["lineItemId"][-7:]: i["quantity"] for i in r["_lines"]} for r in made] == [
        {MUG_ITEM: 1},
        {MUG_ITEM: 1, LAMP_ITEM: 1},
    ]
    assert sum(r["_amount"] for r in made) == one.total + two.total == Decimal("75.60")


# --- Shopify's refunds/create ---------------------------------------------------------------------


def test_our_own_refund_announced_by_webhook_is_matched_and_the_worker_then_does_nothing(
    client, due, service_agent, settings, fake_shopify, mailoutbox, django_capture_on_commit_callbacks
):
    settings.SHOPIFY_CLICK_TIMEOUT = 0.5
    fake_shopify.fail_next("timeout")
    refund = issue(due, service_agent, django_capture_on_commit_callbacks)
    assert refund.state == Refund.State.PROCESSING
    [made] = fake_shopify.refunds_for(SHOPIFY_ORDER)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, fake_shopify.webhook_payload(made), topic="refunds/create", webhook_id="w-1")
    assert response.status_code == 200 and response.json()["applied"] is True, response.json()
    refund.refresh_from_db()
    assert refund.state == Refund.State.ISSUED and refund.reference == made["id"]

    assert refunds.refunds_process_due(now=refund.updated_at + timedelta(hours=2)) == 0
    assert len(fake_shopify.refunds_for(SHOPIFY_ORDER)) == 1 and len(fake_shopify.mutations()) == 1
    assert len(customer_refund_emails(mailoutbox, due.order)) == 1


def test_a_refund_made_by_hand_in_shopify_for_the_same_items_issues_ours_and_is_never_paid_again(
    client, due, service_agent, fake_shopify, mailoutbox, django_capture_on_commit_callbacks
):
    made = fake_shopify.refund_by_hand(
        SHOPIFY_ORDER, lines={MUG_ITEM: 2}, amount="27.00", note="Customer returned mugs"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, fake_shopify.webhook_payload(made), topic="refunds/create", webhook_id="w-2")
    assert response.status_code == 200
    assert response.json() == {
        "topic": "refunds/create",
        "applied": True,
        "number": "100234",
        "rma": due.request.rma,
        "state": "issued",
    }
    refund = Refund.objects.get(pk=due.pk)
    assert refund.state == Refund.State.ISSUED and refund.reference == made["id"]
    assert "refunded in Shopify's admin" in due.request.history.get(event="refund_issued").note
    assert len(customer_refund_emails(mailoutbox, due.order)) == 1

    client.force_login(service_agent)
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(admin_url("refund_issue", due.request_id))
    assert any("already issued" in text for level, text in messages_of(again) if level == "error")
    assert fake_shopify.mutations() == []


@pytest.mark.parametrize(
    ("lines", "order_id", "reason"),
    [
        ({MUG_ITEM: 1}, SHOPIFY_ORDER, "No refund waiting here is for exactly these items"),
        ({MUG_ITEM: 2}, "999", "No order here has the Shopify id 999: ignored."),
    ],
)
def test_a_refund_for_other_items_or_another_order_is_answered_200_and_ignored(
    client, due, fake_shopify, lines, order_id, reason
):
    payload = fake_shopify.webhook_payload(fake_shopify.refund_by_hand(SHOPIFY_ORDER, lines=lines, amount="13.50"))
    payload["order_id"] = int(order_id)
    response = post(client, payload, topic="refunds/create", webhook_id=f"w-{order_id}-{len(lines)}")
    assert response.status_code == 200 and response.json()["applied"] is False
    assert reason in response.json()["reason"]
    assert Refund.objects.get(pk=due.pk).state == Refund.State.PENDING


@pytest.mark.parametrize("body", [b"[]", b'{"id": "x"}', b'{"id": 1, "order_id": 2, "transactions": "no"}'])
def test_a_refund_webhook_shopify_would_never_send_is_a_clear_answer_not_a_500(client, due, body):
    response = post(client, None, topic="refunds/create", body=body, webhook_id=f"w-{len(body)}")
    assert response.status_code in (200, 422), response.content
    assert Refund.objects.get(pk=due.pk).state == Refund.State.PENDING


def test_an_unsigned_refund_webhook_changes_nothing(client, due, fake_shopify):
    made = fake_shopify.refund_by_hand(SHOPIFY_ORDER, lines={MUG_ITEM: 2}, amount="27.00")
    response = post(client, fake_shopify.webhook_payload(made), topic="refunds/create", secret="wrong")
    assert response.status_code == 401
    assert Refund.objects.get(pk=due.pk).state == Refund.State.PENDING


# --- Shopify's line item ids, from its order webhook --------------------------------------------


def test_the_order_webhook_keeps_each_lines_shopify_line_item_id_split_lines_too(client):
    assert post(client, ORDER).status_code == 200
    ids = dict(Order.objects.get(number="1001").lines.values_list("sku", "shopify_line_item_id"))
    assert ids == {"SHIRT-LIN-M": "1300001", "MUG-01": "1300002", "MUG-01#2": "1300002", "PEN-ENG": "1300003"}


def test_an_order_with_returns_gets_its_missing_line_item_ids_and_keeps_its_lines(client, customer):
    assert post(client, ORDER).status_code == 200
    order = Order.objects.get(number="1001")
    order.lines.update(shopify_line_item_id="")
    Order.objects.filter(pk=order.pk).update(delivered_on=store_today() - timedelta(days=3))
    submit(order, standard(order.lines.get(sku="SHIRT-LIN-M")), by=customer)
    updated = json.loads(json.dumps(ORDER))
    updated["updated_at"] = "2026-10-02T10:00:00-04:00"
    assert post(client, updated, topic="orders/updated").status_code == 200
    assert order.lines.get(sku="SHIRT-LIN-M").shopify_line_item_id == "1300001"


# --- the inspection page: the restock choice -------------------------------------------------------


def test_staff_choose_restock_per_item_on_the_inspection_and_see_it_on_the_request_page(client, received, warehouse):
    client.force_login(warehouse)
    url = admin_url("inspect", received.pk)
    line = received.lines.get()
    assert "Restock (back on the shelf)" in client.get(url).content.decode()
    data = {f"line-{line.pk}-accepted": "yes", f"line-{line.pk}-restock": "no"}
    preview = client.post(url, {**data, "_preview": "1"}).content.decode()
    assert "Accepted, no fault, no restock (damaged)" in preview
    client.post(url, {**data, "_confirm": "1"})
    line.refresh_from_db()
    assert line.restock == "no_restock"
    assert "No restock (damaged)" in client.get(page_url(received)).content.decode()


def test_left_unchosen_a_confirmed_fault_is_not_restocked_and_no_fault_is(received, warehouse):
    from tests.returns.admin.test_admin import inspect_all

    inspect_all(received, warehouse, accepted=True, fault_confirmed=True)
    assert received.lines.get().restock == "no_restock"


def test_a_customer_cannot_reach_the_inspection(client, received, customer):
    client.force_login(customer)
    response = client.get(admin_url("inspect", received.pk))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


# --- the stand-in checks the mutation as Shopify does ----------------------------------------------


def test_an_input_shopify_would_refuse_is_refused_in_its_words(fake_shopify, settings):
    from returns.integrations.shopify_refunds import GraphQLClient, refund_mutation

    client = GraphQLClient(
        base=fake_shopify.base_url, token=settings.SHOPIFY_ADMIN_ACCESS_TOKEN, version="2026-10", timeout=2
    )
    bad = {
        "orderId": "gid://shopify/Order/1",
        "refundLineItems": [{"lineItemId": "gid://shopify/LineItem/2", "quantity": "2"}],
    }
    with pytest.raises(ProviderRefused, match=r"invalid value for refundLineItems\.0\.quantity"):
        client.execute(refund_mutation("k-bad"), {"input": bad})
    with pytest.raises(ProviderRefused, match="restockType"):
        client.execute(
            refund_mutation("k-bad"),
            {
                "input": {
                    "orderId": "gid://shopify/Order/1",
                    "refundLineItems": [
                        {"lineItemId": "gid://shopify/LineItem/2", "quantity": 1, "restockType": "SHELF"}
                    ],
                }
            },
        )
    unkeyed = GraphQLClient(
        base=fake_shopify.base_url, token=settings.SHOPIFY_ADMIN_ACCESS_TOKEN, version="2026-04", timeout=2
    )
    with pytest.raises(ProviderRefused, match="@idempotent directive is required"):
        unkeyed.execute(
            refund_mutation("k").replace('@idempotent(key: "k")', ""), {"input": {"orderId": "gid://shopify/Order/1"}}
        )
    assert fake_shopify.refunds == {}


def test_a_refund_shopify_holds_as_pending_is_asked_about_again_until_it_succeeds(
    due, service_agent, fake_shopify, mailoutbox, django_capture_on_commit_callbacks
):
    from returns.services.refund_outcomes import PENDING_POLL

    fake_shopify.refund_status = "PENDING"
    refund = issue(due, service_agent, django_capture_on_commit_callbacks)
    assert refund.state == Refund.State.PROCESSING and refund.reference.startswith("gid://shopify/Refund/")
    assert customer_refund_emails(mailoutbox, due.order) == []

    fake_shopify.refunds[refund.reference]["transactions"]["nodes"][0]["status"] = "SUCCESS"
    with django_capture_on_commit_callbacks(execute=True):
        refunds.refunds_process_due(now=refund.updated_at + PENDING_POLL + timedelta(seconds=1))
    refund.refresh_from_db()
    assert refund.state == Refund.State.ISSUED and len(fake_shopify.mutations()) == 1
    assert "refund(id:" in fake_shopify.requests[-1]["query"]
    assert len(customer_refund_emails(mailoutbox, due.order)) == 1
