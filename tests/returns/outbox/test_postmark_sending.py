"""EMAIL_PROVIDER=postmark: emails go out through django-anymail's Postmark backend (to a local stand-in of Postmark's
API), and Postmark's delivery and bounce webhooks update each email's row; a bounce shows on *Emails failed*."""

import base64
import json

import pytest
from django.urls import reverse

from returns.models import Notification
from returns.outbox.mail import notifications_send_due
from returns.services.requests import LineRequest, return_request_submit
from tests.fakes.postmark_api import SERVER_TOKEN, FakePostmark

pytestmark = pytest.mark.django_db
SECRET = "postmark:hooks-s3cret"


@pytest.fixture
def postmark(settings):
    fake = FakePostmark().start()
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.EMAIL_DELIVERY = "worker"
    settings.REPLY_TO_ADDRESS = "returns@reply.alotrop.com"
    settings.ANYMAIL = {
        **settings.ANYMAIL,
        "POSTMARK_SERVER_TOKEN": SERVER_TOKEN,
        "POSTMARK_API_URL": fake.url,
        "WEBHOOK_SECRET": SECRET,
    }
    yield fake
    fake.stop()


@pytest.fixture
def submitted(order, customer):
    mug = order.lines.get(sku="MUG-01")
    line = LineRequest(mug.pk, 1, "changed_mind", "Too big", condition_confirmed=True)
    return return_request_submit(order=order, lines=[line], by=customer)


def hook(client, body):
    auth = "Basic " + base64.b64encode(SECRET.encode()).decode()
    return client.post(
        "/anymail/postmark/tracking/", data=json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=auth
    )


def test_emails_go_through_postmark_with_the_reply_address_and_keep_its_id(postmark, submitted, order):
    result = notifications_send_due()
    assert result.sent == 2 and result.failed == 0  # the customer's and staff's
    to_customer = next(m for m in postmark.sent if m["To"] == order.email)
    assert submitted.rma in to_customer["Subject"] and "ReplyTo" in to_customer
    assert to_customer["ReplyTo"].startswith("returns+") and to_customer["ReplyTo"].endswith("@reply.alotrop.com")
    row = Notification.objects.get(request=submitted, audience="customer")
    assert row.state == "sent" and row.provider_message_id == to_customer["MessageID"]
    staff_row = Notification.objects.get(request=submitted, audience="staff")
    assert staff_row.reply_to == ""  # staff notices keep the plain From


def test_a_wrong_token_is_a_failed_attempt_retried_later(postmark, submitted, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "POSTMARK_SERVER_TOKEN": "wrong"}
    result = notifications_send_due()
    assert result.sent == 0 and result.retrying == 2
    assert "token" in Notification.objects.filter(request=submitted).first().last_error.lower()


def test_delivery_and_bounce_webhooks_update_the_row(client, postmark, submitted, order, service_agent):
    notifications_send_due()
    row = Notification.objects.get(request=submitted, audience="customer")
    delivered = {
        "RecordType": "Delivery",
        "ServerID": 23,
        "MessageStream": "outbound",
        "MessageID": row.provider_message_id,
        "Recipient": order.email,
        "Tag": "",
        "DeliveredAt": "2026-12-05T16:33:54.9070259Z",
        "Details": "Test delivery webhook details",
        "Metadata": {},
    }
    assert hook(client, delivered).status_code == 200
    row.refresh_from_db()
    assert row.delivered_at is not None and row.state == "sent"
    bounced = {
        "RecordType": "Bounce",
        "MessageStream": "outbound",
        "ID": 4323372036854775807,
        "Type": "HardBounce",
        "TypeCode": 1,
        "Name": "Hard bounce",
        "Tag": "",
        "MessageID": row.provider_message_id,
        "Metadata": {},
        "ServerID": 23,
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": "Test bounce details",
        "Email": order.email,
        "From": "support@alotrop.com",
        "BouncedAt": "2026-12-05T16:40:54.9070259Z",
        "DumpAvailable": False,
        "Inactive": True,
        "CanActivate": True,
        "Subject": row.subject,
    }
    assert hook(client, bounced).status_code == 200
    row.refresh_from_db()
    assert row.state == "failed" and "unable to deliver" in row.last_error
    client.force_login(service_agent)
    tiles = {t.key: t for t in client.get(reverse("admin:index")).context["returns_overview"]["tiles"]}
    assert tiles["emails_failed"].count == 1
    failed_list = client.get(tiles["emails_failed"].url).content.decode()
    assert row.subject in failed_list


def test_a_forged_tracking_webhook_changes_nothing(client, postmark, submitted):
    notifications_send_due()
    row = Notification.objects.get(request=submitted, audience="customer")
    forged = {"RecordType": "Bounce", "MessageID": row.provider_message_id, "Type": "HardBounce", "Description": "x"}
    response = client.post(
        "/anymail/postmark/tracking/",
        data=json.dumps(forged),
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"postmark:guess").decode(),
    )
    assert response.status_code == 401
    row.refresh_from_db()
    assert row.state == "sent"


def test_anymails_own_test_backend_sends_each_email_once_with_its_reply_address(settings, submitted, order):
    """Any anymail backend (here anymail's test backend) carries the same message: subject, text, HTML, Reply-To."""
    from django.core import mail

    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.EMAIL_DELIVERY = "worker"
    settings.REPLY_TO_ADDRESS = "returns@reply.alotrop.com"
    from returns.outbox.mail import notification_record

    # The submission's emails were recorded before REPLY_TO_ADDRESS was set: record them again with it.
    Notification.objects.filter(request=submitted).delete()
    notification_record(request=submitted, change=submitted.history.get())
    mail.outbox.clear()
    assert notifications_send_due().sent == 2
    to_customer = next(m for m in mail.outbox if m.to == [order.email])
    assert to_customer.anymail_status.status == {"sent"}
    assert to_customer.reply_to[0].startswith("returns+") and to_customer.alternatives  # HTML and text
    assert notifications_send_due().sent == 0  # nothing twice
