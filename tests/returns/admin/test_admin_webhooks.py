"""The superuser's webhook pages: add an endpoint (secret shown once), see each delivery's attempts,
send one again, and hear on the index that an endpoint was disabled. Nobody else sees any of it."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook

from returns.models import EventDelivery, WebhookEndpoint
from returns.outbox.webhooks import deliveries_send_due
from returns.services.endpoints import webhook_endpoint_add
from returns.services.requests import return_request_approve
from tests.returns.admin.test_admin import (  # noqa: F401  (the fixtures are used by name)
    fixture_submitted,
    fixture_superuser,
)

pytestmark = pytest.mark.django_db


def test_the_superuser_adds_an_endpoint_and_sees_its_secret_once(client, superuser, receiver, submitted, service_agent):
    client.force_login(superuser)
    page = client.post(
        reverse("admin:returns_webhookendpoint_add"),
        {"url": receiver.url, "description": "ERP", "events": ["return.approved"]},
    )
    assert page.status_code == 200
    secret = re.search(r'value="(whsec_[^"]+)"', page.content.decode()).group(1)
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.event_types == ["return.approved"]
    assert (
        secret not in client.get(reverse("admin:returns_webhookendpoint_change", args=[endpoint.pk])).content.decode()
    )

    return_request_approve(request=submitted, by=service_agent, return_required=True)
    deliveries_send_due()
    Webhook(secret).verify(receiver.received[0].body, receiver.received[0].headers)


def test_an_http_url_is_refused_on_the_form_in_production(client, superuser, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    client.force_login(superuser)
    page = client.post(reverse("admin:returns_webhookendpoint_add"), {"url": "http://erp.example.com/h"}, follow=True)
    assert "Only https://" in page.content.decode()
    assert WebhookEndpoint.objects.count() == 0


def test_attempts_are_listed_and_send_again_sends_the_same_event_again(
    client, superuser, submitted, service_agent, receiver
):
    webhook_endpoint_add(url=receiver.url)
    receiver.answer(500)
    return_request_approve(request=submitted, by=service_agent, return_required=True)
    now = timezone.now()
    deliveries_send_due(now=now)
    deliveries_send_due(now=now + timedelta(minutes=2))
    delivery = EventDelivery.objects.get()
    assert delivery.state == EventDelivery.State.DELIVERED

    client.force_login(superuser)
    page = client.get(reverse("admin:returns_eventdelivery_change", args=[delivery.pk])).content.decode()
    assert "return.approved" in page and ">500<" in page and ">200<" in page and "Internal error" in page
    answer = client.post(reverse("admin:returns_eventdelivery_send_again", args=[delivery.pk]), follow=True)
    assert "Queued" in answer.content.decode()
    deliveries_send_due()
    assert len(receiver.received) == 3
    assert receiver.received[2].headers["webhook-id"] == receiver.received[0].headers["webhook-id"]


def test_the_index_tells_the_superuser_of_a_disabled_endpoint_and_no_one_else(client, superuser, service_agent):
    endpoint, _ = webhook_endpoint_add(url="https://erp.example.com/hooks")
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(enabled=False, disabled_at=timezone.now())
    client.force_login(superuser)
    assert "webhooks-disabled" in client.get(reverse("admin:index")).content.decode()
    client.force_login(service_agent)
    assert "webhooks-disabled" not in client.get(reverse("admin:index")).content.decode()


@pytest.mark.parametrize("name", ["webhookendpoint_changelist", "webhookendpoint_add", "eventdelivery_changelist"])
def test_other_staff_cannot_see_endpoints_or_deliveries(client, service_agent, name):
    client.force_login(service_agent)
    assert client.get(reverse(f"admin:returns_{name}")).status_code == 403


def test_other_staff_cannot_send_again(client, service_agent, submitted, receiver):
    webhook_endpoint_add(url=receiver.url)
    return_request_approve(request=submitted, by=service_agent, return_required=True)
    delivery = EventDelivery.objects.get()
    client.force_login(service_agent)
    assert client.post(reverse("admin:returns_eventdelivery_send_again", args=[delivery.pk])).status_code == 403
