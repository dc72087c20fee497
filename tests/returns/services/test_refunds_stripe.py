"""Refunds through Stripe: the official library against the fake Stripe API on 127.0.0.1.

Each path the money can take: paid at once, a double click, a timeout then a retry,
Stripe answering 500, a crash between Stripe's answer and our commit, pending then
succeeded or failed by webhook, a decline, an over-refund refused before the call.
Every test counts the refunds Stripe holds: never more than one per refund row.
"""

import hashlib
import hmac
import json
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from returns.exceptions import AlreadyDone
from returns.integrations import ProviderRefused, from_minor_units, minor_units, refund_provider
from returns.models import Refund, ReturnRequest
from returns.outbox import refunds
from returns.services.refunds import refund_issue
from tests.conftest import STRIPE_WEBHOOK_TEST_SECRET
from tests.returns.admin.test_admin import (  # noqa: F401  (the fixtures are used by name)
    admin_url,
    fixture_approved,
    fixture_inspected,
    fixture_received,
    fixture_submitted,
    inspect_all,
    messages_of,
    page_url,
)

pytestmark = pytest.mark.django_db
S = ReturnRequest.Status
PI = "pi_3OrderAlotrop100234"
WEBHOOK = "/api/v1/stripe/webhook"


@pytest.fixture
def paid(fake_stripe, order):
    """The order was paid through Stripe: 81.59 USD captured on PI."""
    fake_stripe.add_payment(PI, amount=8159)
    order.payment_reference = PI
    order.save(update_fields=["payment_reference"])
    return order


@pytest.fixture
def stripe_down_for_real(settings, fake_stripe):
    """No retries inside the library, a short timeout: each failure reaches our own retry logic."""
    settings.STRIPE_TIMEOUT = 1.0
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    fake_stripe.slow_seconds = 2.0
    return fake_stripe


@pytest.fixture
def due(paid, inspected):
    """Two mugs accepted: $27.00 to refund, pending."""
    refund = Refund.objects.get(request=inspected)
    assert refund.total == Decimal("27.00") and refund.state == Refund.State.PENDING
    return refund


def issue(refund, by, capture):
    """Staff click Issue; the call to Stripe runs once the click's transaction commits."""
    with capture(execute=True):
        refund_issue(refund=refund, by=by)
    return Refund.objects.get(pk=refund.pk)


def customer_refund_emails(mailoutbox, order):
    return [m for m in mailoutbox if m.to == [order.email] and "refund of" in m.subject]


def sign(payload: dict, *, secret=STRIPE_WEBHOOK_TEST_SECRET, at=None) -> tuple[str, str]:
    body = json.dumps(payload)
    at = int(at if at is not None else time.time())
    signature = hmac.new(secret.encode(), f"{at}.{body}".encode(), hashlib.sha256).hexdigest()
    return body, f"t={at},v1={signature}"


def event(refund_object: dict, kind="refund.updated") -> dict:
    return {
        "id": f"evt_{refund_object['id'][3:15]}",
        "object": "event",
        "type": kind,
        "api_version": "2024-06-20",
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": refund_object},
    }


def post_webhook(client, payload, **kwargs):
    body, header = sign(payload, **kwargs)
    return client.post(WEBHOOK, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)


# --- paid at once ---------------------------------------------------------------


def test_issue_refund_pays_through_stripe_in_minor_units_with_the_rma_and_a_key_from_our_row(
    due, service_agent, fake_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    refund = issue(due, service_agent, django_capture_on_commit_callbacks)

    refund.refresh_from_db()
    assert refund.state == Refund.State.ISSUED
    [at_stripe] = fake_stripe.refunds_for(PI)
    assert at_stripe["amount"] == 2700 and at_stripe["currency"] == "usd"
    assert at_stripe["metadata"]["rma"] == due.request.rma
    assert refund.reference == at_stripe["id"]
    [post] = [r for r in fake_stripe.requests if r[0] == "POST"]
    assert post[3]["Idempotency-Key"] == f"alotrop-{due.request.rma}-refund-{due.pk}-1"
    assert ReturnRequest.objects.get(pk=due.request_id).status == S.REFUNDED
    [email] = customer_refund_emails(mailoutbox, due.order)
    assert "$27.00" in email.subject
    start, end = refund.issued_on + timedelta(days=5), refund.issued_on + timedelta(days=16)
    assert "Expect it between" in email.body and at_stripe["id"] in email.body
    assert start <= end  # the R11 dates are in the body; their arithmetic is tested with the policy
    notes = dict(due.request.history.values_list("event", "note"))
    assert notes["refund_sent"].startswith("$27.00 sent to ")  # money as the customer reads it
    assert notes["refund_issued"].startswith("$27.00 to Visa ending 4242")


def test_a_double_click_in_the_admin_pays_once(
    client, due, service_agent, fake_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(service_agent)
    with django_capture_on_commit_callbacks(execute=True):  # the call to Stripe runs after commit
        first = client.post(admin_url("refund_issue", due.request_id))
    with django_capture_on_commit_callbacks(execute=True):
        second = client.post(admin_url("refund_issue", due.request_id))
    assert any(f"Refund for {due.request.rma}" in text for level, text in messages_of(first) if level == "success")
    assert any("already issued" in text for level, text in messages_of(second) if level == "error")
    assert len(fake_stripe.refunds_for(PI)) == 1
    assert len(customer_refund_emails(mailoutbox, due.order)) == 1


def test_the_admin_offers_stripe_not_a_reference_box(client, due, service_agent):
    client.force_login(service_agent)
    html = client.get(page_url(due.request)).content.decode()
    assert "Refund through Stripe" in html
    assert 'name="reference"' not in html


# --- the provider down, a crash -------------------------------------------------


def test_a_timeout_leaves_the_refund_waiting_and_the_retry_returns_the_same_stripe_refund(
    due, service_agent, stripe_down_for_real, fake_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    fake_stripe.fail_next("timeout")  # Stripe makes the refund but answers too late
    refund = issue(due, service_agent, django_capture_on_commit_callbacks)
    assert refund.state == Refund.State.PROCESSING
    assert "did not answer" in refund.last_error
    assert refund.next_attempt_at > timezone.now()
    assert customer_refund_emails(mailoutbox, due.order) == []
    with pytest.raises(AlreadyDone):  # staff clicking again sends nothing
        refund_issue(refund=due, by=service_agent)

    with django_capture_on_commit_callbacks(execute=True):
        refunds.refunds_process_due(now=refund.next_attempt_at + timedelta(seconds=1))

    refund.refresh_from_db()
    [at_stripe] = fake_stripe.refunds_for(PI)
    assert refund.state == Refund.State.ISSUED and refund.reference == at_stripe["id"]
    assert len(customer_refund_emails(mailoutbox, due.order)) == 1


def test_stripe_answering_500_is_retried_with_backoff_by_the_worker(
    due, service_agent, stripe_down_for_real, fake_stripe, django_capture_on_commit_callbacks
):
    fake_stripe.fail_next("500", times=2)
    refund = issue(due, service_agent, django_capture_on_commit_callbacks)
    first_wait = refund.next_attempt_at - timezone.now()
    assert refund.state == Refund.State.PROCESSING and fake_stripe.refunds_for(PI) == []
    assert "500" in refund.last_error

    refunds.refunds_process_due(now=refund.next_attempt_at + timedelta(seconds=1))
    refund.refresh_from_db()
    assert refund.state == Refund.State.PROCESSING and refund.attempts == 2
    assert refund.next_attempt_at - timezone.now() > first_wait  # backing off

    with django_capture_on_commit_callbacks(execute=True):
        refunds.refunds_process_due(now=refund.next_attempt_at + timedelta(seconds=1))
    refund.refresh_from_db()
    assert refund.state == Refund.State.ISSUED and len(fake_stripe.refunds_for(PI)) == 1
    history = list(due.request.history.values_list("event", flat=True))
    assert history.count("refund_retrying") == 1


def test_a_crash_between_stripes_answer_and_our_commit_ends_with_one_refund(
    due, service_agent, fake_stripe, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # sent, but the call not made yet
        refund_issue(refund=due, by=service_agent)
    refund = Refund.objects.get(pk=due.pk)
    # The worker claims it and Stripe pays; then the process dies before recording the answer.
    Refund.objects.filter(pk=refund.pk).update(attempts=1, next_attempt_at=timezone.now() + refunds.LEASE)
    refund.refresh_from_db()
    made = refund_provider().refund_send(
        payment_reference=PI,
        amount=refund.total,
        currency="USD",
        key=refunds.idempotency_key(refund),
        metadata={"rma": due.request.rma, "alotrop_refund_id": str(refund.pk)},
        retry=False,
    )
    assert refunds.refunds_process_due() == 0  # its lease has not run out: nobody calls twice at once

    with django_capture_on_commit_callbacks(execute=True):
        refunds.refunds_process_due(now=timezone.now() + refunds.LEASE + timedelta(seconds=1))

    refund.refresh_from_db()
    assert refund.state == Refund.State.ISSUED and refund.reference == made.id
    assert len(fake_stripe.refunds_for(PI)) == 1


def test_the_same_idempotency_key_twice_is_one_refund_at_stripe(paid, fake_stripe):
    provider = refund_provider()
    args = {"payment_reference": PI, "amount": Decimal("10.00"), "currency": "USD", "key": "k-1", "metadata": {}}
    first = provider.refund_send(**args, retry=False)
    again = provider.refund_send(**args, retry=False)
    assert first.id == again.id and len(fake_stripe.refunds_for(PI)) == 1


# --- pending, then the webhook ---------------------------------------------------


def test_pending_then_succeeded_by_webhook_emails_the_customer_once(
    client, due, service_agent, fake_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    fake_stripe.refund_status = "pending"
    refund = issue(due, service_agent, django_capture_on_commit_callbacks)
    assert refund.state == Refund.State.PROCESSING and refund.reference.startswith("re_")
    assert customer_refund_emails(mailoutbox, due.order) == []

    payload = event(fake_stripe.settle(refund.reference, "succeeded"))
    with django_capture_on_commit_callbacks(execute=True):
        response = post_webhook(client, payload)
        replay = post_webhook(client, payload)
    assert response.status_code == 200 and response.json()["applied"] is True
    assert replay.status_code == 200
    refund.refresh_from_db()
    assert refund.state == Refund.State.ISSUED
    assert ReturnRequest.objects.get(pk=due.request_id).status == S.REFUNDED
    assert len(customer_refund_emails(mailoutbox, due.order)) == 1


def test_pending_then_failed_goes_to_staffs_failed_queue_and_the_customer_is_not_told_why(
    client, due, service_agent, customer, fake_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    fake_stripe.refund_status = "pending"
    refund = issue(due, service_agent, django_capture_on_commit_callbacks)
    payload = event(fake_stripe.settle(refund.reference, "failed", "expired_or_canceled_card"), "charge.refund.updated")
    with django_capture_on_commit_callbacks(execute=True):
        assert post_webhook(client, payload).status_code == 200

    refund.refresh_from_db()
    assert refund.state == Refund.State.FAILED
    assert "expired_or_canceled_card" in refund.failure_reason
    staff_mail = [m for m in mailoutbox if "Refund failed" in m.subject]
    assert staff_mail and "expired_or_canceled_card" in staff_mail[0].body
    assert all("expired_or_canceled_card" not in m.body for m in mailoutbox if m.to == [due.order.email])

    client.force_login(service_agent)
    index = client.get(reverse("admin:index")).content.decode()
    assert "Refunds failed" in index and "?state__exact=failed" in index

    client.force_login(customer)
    page = client.get(reverse("returns:return_detail", args=[due.request.rma])).content.decode()
    assert "expired_or_canceled_card" not in page and "could not issue the refund yet" in page

    # Staff retry: a new round, so a new key and a new refund at Stripe (the failed one returned nothing).
    fake_stripe.refund_status = "succeeded"
    retried = issue(refund, service_agent, django_capture_on_commit_callbacks)
    assert retried.state == Refund.State.ISSUED and retried.provider_round == 2
    assert [r["status"] for r in fake_stripe.refunds_for(PI)] == ["failed", "succeeded"]


def test_a_late_webhook_about_an_earlier_failed_round_changes_nothing(
    client, due, service_agent, fake_stripe, django_capture_on_commit_callbacks
):
    fake_stripe.refund_status = "pending"
    refund = issue(due, service_agent, django_capture_on_commit_callbacks)
    old = refund.reference
    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(client, event(fake_stripe.settle(old, "failed", "lost_or_stolen_card")))
    issue(refund, service_agent, django_capture_on_commit_callbacks)  # round 2, pending
    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(client, event(fake_stripe.settle(old, "failed", "lost_or_stolen_card")))
    refund.refresh_from_db()
    assert refund.state == Refund.State.PROCESSING and refund.reference != old


# --- refused ---------------------------------------------------------------------


def test_a_decline_fails_the_refund_with_stripes_reason_for_staff(
    due, service_agent, fake_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    fake_stripe.fail_next("decline")
    refund = issue(due, service_agent, django_capture_on_commit_callbacks)
    assert refund.state == Refund.State.FAILED
    assert "card_declined" in refund.failure_reason
    assert fake_stripe.refunds_for(PI) == []
    assert customer_refund_emails(mailoutbox, due.order) == []


def test_never_asks_for_more_than_captured_less_already_refunded(
    due, service_agent, fake_stripe, django_capture_on_commit_callbacks
):
    fake_stripe.payment_intents[PI]["_charge"]["_refunded_elsewhere"] = 8159 - 2000  # refunded in Stripe's dashboard
    refund = issue(due, service_agent, django_capture_on_commit_callbacks)
    assert refund.state == Refund.State.FAILED
    assert "Only 2000 of 2700" in refund.failure_reason
    assert not [r for r in fake_stripe.requests if r[0] == "POST"]  # nothing was asked of Stripe


def test_an_order_without_a_payment_reference_is_refunded_by_hand(inspected, service_agent, fake_stripe):
    refund = Refund.objects.get(request=inspected)
    with pytest.raises(Exception, match="reference"):
        refund_issue(refund=refund, by=service_agent)
    refund_issue(refund=refund, by=service_agent, reference="bank transfer 42")
    assert Refund.objects.get(pk=refund.pk).state == Refund.State.ISSUED
    assert fake_stripe.requests == []


# --- AUTO_REFUND -----------------------------------------------------------------


def test_auto_refund_sends_it_when_inspection_leaves_money_due(
    settings, paid, received, warehouse, fake_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    settings.AUTO_REFUND = True
    with django_capture_on_commit_callbacks(execute=True):
        inspect_all(received, warehouse)
    refund = Refund.objects.get(request=received)
    assert refund.state == Refund.State.ISSUED and refund.issued_by is None
    assert len(fake_stripe.refunds_for(PI)) == 1
    assert ReturnRequest.objects.get(pk=received.pk).status == S.REFUNDED
    assert len(customer_refund_emails(mailoutbox, paid)) == 1


# --- the webhook's door ------------------------------------------------------------


@pytest.mark.parametrize(
    "how",
    ["no signature", "wrong secret", "too old", "body changed"],
)
def test_a_webhook_that_does_not_verify_is_refused_and_changes_nothing(
    client, how, due, service_agent, fake_stripe, django_capture_on_commit_callbacks
):
    fake_stripe.refund_status = "pending"
    refund = issue(due, service_agent, django_capture_on_commit_callbacks)
    payload = event(fake_stripe.settle(refund.reference, "succeeded"))
    body, header = sign(payload, secret="whsec_wrong" if how == "wrong secret" else STRIPE_WEBHOOK_TEST_SECRET)
    if how == "too old":
        body, header = sign(payload, at=time.time() - 400)
    if how == "body changed":
        body = body.replace('"succeeded"', '"succeeded" ')
    extra = {} if how == "no signature" else {"HTTP_STRIPE_SIGNATURE": header}
    response = client.post(WEBHOOK, body, content_type="application/json", **extra)
    assert response.status_code == 400
    assert Refund.objects.get(pk=refund.pk).state == Refund.State.PROCESSING


def test_the_webhook_is_not_there_without_stripe(client, settings):
    settings.REFUND_PROVIDER = "manual"
    assert client.post(WEBHOOK, "{}", content_type="application/json").status_code == 404
    get = client.get(WEBHOOK)
    assert get.status_code == 405 and get.json() == {"error": "Use POST."} and get["Allow"] == "POST"


def test_other_events_and_other_refunds_are_acknowledged_and_ignored(client, fake_stripe, db):
    other = {"id": "re_not_ours", "object": "refund", "status": "succeeded", "amount": 100, "metadata": {}}
    response = post_webhook(client, event(other))
    assert response.status_code == 200 and response.json()["applied"] is False
    response = post_webhook(client, {**event(other), "type": "charge.succeeded"})
    assert response.status_code == 200 and response.json()["applied"] is False


# --- money in minor units --------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [("12.34", "USD", 1234), ("0.01", "eur", 1), ("1500.00", "JPY", 1500), ("1.50", "BHD", 1500)],
)
def test_minor_units_are_exact(amount, currency, minor):
    assert minor_units(Decimal(amount), currency) == minor
    assert from_minor_units(minor, currency) == Decimal(amount)


def test_a_fraction_of_a_yen_cannot_be_paid():
    with pytest.raises(ProviderRefused, match="JPY"):
        minor_units(Decimal("10.50"), "JPY")


# --- two staff at once (a real race, each thread with its own connection) ----------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_staff_issuing_at_once_pay_once(due, service_agent, fake_stripe, mailoutbox):
    from tests.returns.services.test_concurrency import race

    results, errors = race(lambda: refund_issue(refund=due, by=service_agent))
    assert len(results) == 1 and all(isinstance(e, AlreadyDone) for e in errors), errors
    refund = Refund.objects.get(pk=due.pk)
    assert refund.state == Refund.State.ISSUED
    assert len(fake_stripe.refunds_for(PI)) == 1
    assert len(customer_refund_emails(mailoutbox, due.order)) == 1


def test_a_slow_stripe_holds_the_staff_click_only_for_the_click_timeout_then_the_worker_finishes(
    due, service_agent, settings, fake_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    # The worker would wait 20 s for Stripe's answer; a click waits 0.5 s.
    settings.STRIPE_TIMEOUT, settings.STRIPE_MAX_NETWORK_RETRIES, settings.STRIPE_CLICK_TIMEOUT = 20.0, 0, 0.5
    fake_stripe.slow_seconds = 3.0
    fake_stripe.fail_next("timeout")  # Stripe makes the refund but answers after 3 s
    started = time.monotonic()
    refund = issue(due, service_agent, django_capture_on_commit_callbacks)
    waited = time.monotonic() - started
    assert waited < 2.5, f"the click waited {waited:.1f} s on Stripe"
    assert refund.state == Refund.State.PROCESSING and "did not answer" in refund.last_error
    assert customer_refund_emails(mailoutbox, due.order) == []

    with django_capture_on_commit_callbacks(execute=True):
        refunds.refunds_process_due(now=refund.next_attempt_at + timedelta(seconds=1))
    refund.refresh_from_db()
    [at_stripe] = fake_stripe.refunds_for(PI)  # the late answer's refund, found by its key: paid once
    assert refund.state == Refund.State.ISSUED and refund.reference == at_stripe["id"]
    assert len(customer_refund_emails(mailoutbox, due.order)) == 1
