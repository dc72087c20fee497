"""Events out: a staff step reaches the store's receiver on 127.0.0.1, signed the Standard Webhooks way.

The real sender (urllib3, pinned to the checked address) posts to a real HTTP receiver; each signature is
checked with the ``standardwebhooks`` library, as a store's receiver would.
"""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook, WebhookVerificationError

from returns.models import EventDelivery, EventDeliveryAttempt, ReturnRequest, WebhookEndpoint, WebhookEvent
from returns.outbox.webhooks import deliveries_send_due, queue_depth
from returns.services.endpoints import webhook_endpoint_add, webhook_endpoint_roll_secret
from returns.services.refunds import refund_issue
from returns.services.requests import LineRequest, return_request_approve, return_request_reject, return_request_submit
from tests.factories import OrderFactory, OrderLineFactory, StaffFactory
from tests.returns.admin.test_admin import (  # noqa: F401  (the fixtures are used by name)
    fixture_approved,
    fixture_inspected,
    fixture_received,
    fixture_submitted,
    inspect_all,
)

pytestmark = pytest.mark.django_db
D = EventDelivery.State


@pytest.fixture
def endpoint(receiver):
    endpoint, secret = webhook_endpoint_add(url=receiver.url)
    endpoint.secret = secret
    return endpoint


def verified(received, secret):
    return Webhook(secret).verify(received.body, received.headers)


def types_of(received):
    return [json.loads(r.body)["type"] for r in received]


def test_a_staff_approval_reaches_the_receiver_signed_and_a_tampered_body_does_not_verify(
    submitted, service_agent, endpoint, receiver
):
    return_request_approve(request=submitted, by=service_agent, return_required=True)
    result = deliveries_send_due()

    assert result.delivered == 1  # only the approval: the endpoint was added after the submission
    (got,) = receiver.received
    payload = verified(got, endpoint.secret)
    assert payload["type"] == "return.approved"
    assert got.headers["webhook-id"].startswith("msg_")
    assert got.headers["webhook-signature"].startswith("v1,")
    ret = payload["data"]["return"]
    assert ret["rma"] == submitted.rma and ret["order"]["number"] == "100234"
    assert ret["status"] == "approved" and ret["currency"] == "USD"
    assert ret["lines"][0]["sku"] == "MUG-01" and ret["lines"][0]["unit_price"] == "12.50"
    assert ret["refund"] is None
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(got.body.replace(b'"approved"', b'"rejected"'), got.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 32).verify(got.body, got.headers)
    assert EventDelivery.objects.get().state == D.DELIVERED


def test_the_event_carries_no_email_photo_or_staff_name_and_the_refund_breakdown_once_known(
    received, warehouse, service_agent, customer, endpoint, receiver
):
    inspected = inspect_all(received, warehouse)
    refund_issue(refund=inspected.refund, by=service_agent, reference="PAY-77")
    deliveries_send_due()

    bodies = [r.body.decode() for r in receiver.received]
    assert types_of(receiver.received) == ["return.inspected", "refund.issued", "return.closed"]
    for body in bodies:
        assert "@" not in body  # no customer's, no staff member's address
        assert "photo" not in body and "Not for me" not in body
    refund = json.loads(bodies[1])["data"]["return"]["refund"]
    assert refund["total"] == "27.00" and refund["currency"] == "USD" and refund["state"] == "issued"
    assert refund["merchandise"] == "25.00" and refund["tax"] == "2.00"
    assert {part["rule"] for part in refund["breakdown"]} >= {"R10"}
    assert refund["expected_between"] is not None


def test_a_request_held_for_review_is_heard_as_submitted_then_held(receiver, endpoint, settings, customer):
    settings.AUTO_APPROVE_MAX_REFUND = Decimal("100.00")
    order = OrderFactory(email=customer.email)
    coat = OrderLineFactory(order=order, unit_price="150.00", unit_tax="0.00")
    line = LineRequest(
        order_line_id=coat.pk, quantity=1, reason="changed_mind", description="", condition_confirmed=True
    )
    request = return_request_submit(order=order, lines=[line], by=customer, auto_approve=True)
    deliveries_send_due()
    assert types_of(receiver.received) == ["return.submitted", "return.held"]
    held = json.loads(receiver.received[-1].body)
    assert held["data"]["return"]["rma"] == request.rma and held["data"]["return"]["held_for_review"] is True
    assert held["data"]["note"] is None  # why it is held (a limit, the block list) is for staff
    assert verified(receiver.received[-1], endpoint.secret)


def test_a_change_that_rolls_back_sends_nothing(submitted, service_agent, endpoint, receiver):
    with pytest.raises(RuntimeError), transaction.atomic():
        return_request_approve(request=submitted, by=service_agent, return_required=True)
        raise RuntimeError("the page failed after the step")
    assert WebhookEvent.objects.count() == 0
    assert deliveries_send_due().delivered == 0
    assert receiver.received == []


def test_500_three_times_then_200_delivers_exactly_once_more_and_every_attempt_is_kept(
    submitted, service_agent, endpoint, receiver
):
    receiver.answer(500, 500, 500)
    return_request_approve(request=submitted, by=service_agent, return_required=True)
    now = timezone.now()
    for minutes in (0, 2, 8, 30, 90):  # past each backoff (1, 5, 15 minutes)
        deliveries_send_due(now=now + timedelta(minutes=minutes))

    assert [r.headers["webhook-id"] for r in receiver.received] == [receiver.received[0].headers["webhook-id"]] * 4
    delivery = EventDelivery.objects.get()
    assert delivery.state == D.DELIVERED and delivery.attempts == 4
    attempts = list(EventDeliveryAttempt.objects.filter(delivery=delivery).values_list("status_code", flat=True))
    assert attempts == [500, 500, 500, 200]
    kept = EventDeliveryAttempt.objects.filter(delivery=delivery).first().response
    assert kept.startswith("Internal error") and len(kept) <= 1024


def test_a_returns_events_reach_an_endpoint_in_order_even_when_the_first_must_be_retried(
    submitted, service_agent, endpoint, receiver
):
    receiver.answer(503)
    return_request_approve(request=submitted, by=service_agent, return_required=True)
    from returns.services.requests import return_request_receive

    return_request_receive(request=submitted, by=StaffFactory(role="Warehouse"))
    now = timezone.now()
    deliveries_send_due(now=now)  # approved fails; received waits behind it
    assert types_of(receiver.received) == ["return.approved"]
    deliveries_send_due(now=now + timedelta(minutes=2))
    assert types_of(receiver.received) == ["return.approved", "return.approved", "return.received"]


def test_an_endpoint_hears_only_the_types_it_asked_for(receiver, submitted, service_agent):
    webhook_endpoint_add(url=receiver.url, event_types=["return.rejected"])
    return_request_approve(request=submitted, by=service_agent, return_required=True)
    assert WebhookEvent.objects.count() == 0
    other = ReturnRequest.objects.create(order=submitted.order)
    return_request_reject(request=other, by=service_agent, reason="Outside the window")
    deliveries_send_due()
    assert types_of(receiver.received) == ["return.rejected"]


def test_a_timeout_is_an_attempt_retried_later(settings, submitted, service_agent, endpoint, receiver):
    settings.WEBHOOKS_TIMEOUT = 0.5
    receiver.delay = 2.0
    return_request_approve(request=submitted, by=service_agent, return_required=True)
    result = deliveries_send_due()
    assert result.retrying == 1
    attempt = EventDeliveryAttempt.objects.get()
    assert attempt.status_code is None and "Timed out" in attempt.error
    assert EventDelivery.objects.get().next_attempt_at > timezone.now()


def test_private_and_loopback_addresses_are_refused_at_send_time_unless_allowed(
    settings, submitted, service_agent, endpoint, receiver
):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    return_request_approve(request=submitted, by=service_agent, return_required=True)
    deliveries_send_due()
    assert receiver.received == []
    assert "Refused" in EventDeliveryAttempt.objects.get().error


@pytest.mark.parametrize(
    "url",
    ["http://example.com/hook", "https://127.0.0.1/hook", "https://10.1.2.3/h", "https://[::1]/h",
     "https://169.254.169.254/latest", "https://localhost/h"],
)  # fmt: skip
def test_without_allow_private_only_public_https_is_sent_to(settings, url):
    from returns.outbox import http_post

    settings.WEBHOOKS_ALLOW_PRIVATE = False
    answer = http_post.post(url, b"{}", {}, timeout=1, allow_private=False)
    assert answer.status is None and answer.error.startswith("Refused")


def test_adding_an_http_endpoint_is_refused_in_production(settings):
    from returns.exceptions import EndpointRefused

    settings.WEBHOOKS_ALLOW_PRIVATE = False
    with pytest.raises(EndpointRefused, match="https"):
        webhook_endpoint_add(url="http://erp.example.com/hooks")
    with pytest.raises(EndpointRefused, match="Unknown event type"):
        webhook_endpoint_add(url="https://erp.example.com/hooks", event_types=["return.exploded"])


def test_three_days_of_failures_give_up_and_disable_the_endpoint(submitted, service_agent, endpoint, receiver):
    receiver.answer(*([500] * 30))
    return_request_approve(request=submitted, by=service_agent, return_required=True)
    start = timezone.now()
    deliveries_send_due(now=start)
    result = deliveries_send_due(now=start + timedelta(hours=73))
    assert result.failed == 1 and result.disabled == [endpoint.pk]
    endpoint.refresh_from_db()
    assert not endpoint.enabled and "72 hours" in endpoint.disabled_reason
    assert EventDelivery.objects.get().state == D.FAILED
    # Nothing more goes to a disabled endpoint.
    return_request_reject(request=ReturnRequest.objects.create(order=submitted.order), by=service_agent, reason="x")
    assert deliveries_send_due(now=start + timedelta(hours=80)).delivered == 0
    assert queue_depth() == 0  # it no longer hears: nothing was queued for it


def test_while_a_secret_is_rolled_both_sign(submitted, service_agent, endpoint, receiver):
    new = webhook_endpoint_roll_secret(endpoint=endpoint)
    return_request_approve(request=submitted, by=service_agent, return_required=True)
    deliveries_send_due()
    (got,) = receiver.received
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    verified(got, endpoint.secret)
    verified(got, new)


def test_an_old_secret_stops_signing_after_the_overlap(submitted, service_agent, endpoint, receiver):
    new = webhook_endpoint_roll_secret(endpoint=endpoint, overlap_hours=0)
    return_request_approve(request=submitted, by=service_agent, return_required=True)
    deliveries_send_due()
    (got,) = receiver.received
    verified(got, new)
    with pytest.raises(WebhookVerificationError):
        verified(got, endpoint.secret)


def test_the_commands_add_list_remove_and_deliver(receiver, submitted, service_agent, capsys):
    call_command("webhooks", "add", receiver.url, "--events", "return.approved,refund.issued")
    out = capsys.readouterr().out
    secret = next(line for line in out.splitlines() if line.startswith("whsec_"))
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.event_types == ["refund.issued", "return.approved"]
    return_request_approve(request=submitted, by=service_agent, return_required=True)
    call_command("webhooks", "list")
    assert "1 waiting" in capsys.readouterr().out
    call_command("deliver_webhooks")
    assert "1 delivered" in capsys.readouterr().out
    verified(receiver.received[0], secret)
    call_command("webhooks", "remove", str(endpoint.pk))
    assert WebhookEndpoint.objects.count() == 0 and EventDelivery.objects.count() == 0
