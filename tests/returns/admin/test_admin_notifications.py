"""Staff see the email outbox and send a failed email again, once."""

import pytest
from django.core import mail
from django.urls import reverse

from returns.models import Notification
from returns.services.requests import LineRequest, return_request_submit

pytestmark = pytest.mark.django_db

LIST = reverse("admin:returns_notification_changelist")


@pytest.fixture
def failed(order, settings):
    settings.STAFF_NOTIFICATION_EMAIL = ""
    mug = order.lines.get(sku="MUG-01")
    return_request_submit(
        order=order, lines=[LineRequest(order_line_id=mug.pk, quantity=1, reason="wrong_item", description="A bowl")]
    )
    note = Notification.objects.get()
    Notification.objects.filter(pk=note.pk).update(state="failed", attempts=8, last_error="SMTPServerDisconnected")
    return note


def test_customer_service_sees_failed_emails_and_sends_them_again(
    client, service_agent, failed, django_capture_on_commit_callbacks
):
    client.force_login(service_agent)
    html = client.get(LIST + "?state__exact=failed").content.decode()
    assert failed.subject in html and "Gave up" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(LIST, {"action": "send_again", "_selected_action": [failed.pk]}, follow=True)
    assert "1 email(s) queued to send now." in response.content.decode()
    failed.refresh_from_db()
    assert failed.state == "sent"
    assert [m.subject for m in mail.outbox] == [failed.subject]


def test_a_sent_email_is_not_sent_twice(client, service_agent, failed, django_capture_on_commit_callbacks):
    Notification.objects.filter(pk=failed.pk).update(state="sent", sent_at=failed.created_at)
    client.force_login(service_agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(LIST, {"action": "send_again", "_selected_action": [failed.pk]}, follow=True)
    assert "already sent; not sent twice" in response.content.decode()
    assert mail.outbox == []


def test_warehouse_does_not_see_the_outbox(client, warehouse, failed):
    client.force_login(warehouse)
    assert client.get(LIST).status_code == 403


def test_a_customer_is_sent_to_the_admin_login(client, customer, failed):
    client.force_login(customer)
    response = client.get(LIST)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_step_filter_offers_the_steps_emails_tell_of_and_account_emails_read_in_words(
    client, service_agent, failed
):
    link = Notification.objects.create(event="guest_link", audience="customer", to="ana@example.com", secret=True)
    client.force_login(service_agent)
    response = client.get(LIST, {"event": "guest_link"})
    assert list(response.context["cl"].result_list) == [link]
    assert '<td class="field-step">Guest sign-in link</td>' in response.content.decode()
    steps = dict(
        next(
            f for f in response.context["cl"].filter_specs if getattr(f, "parameter_name", "") == "event"
        ).lookup_choices
    )
    assert steps["submitted"] == "Return requested" and steps["refund_failed"] == "Refund failed"
    assert steps["password_reset"] == "Password reset"
    # Steps that email nobody have no email to find.
    assert "tracking_updated" not in steps and "closed" not in steps and "refund_sent" not in steps
