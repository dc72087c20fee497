"""Against a real SMTP server (aiosmtpd on localhost) that turns the first attempts away."""

import socket
from datetime import timedelta
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from returns.models import Notification
from returns.outbox.mail import notifications_send_due
from returns.services.requests import LineRequest, return_request_approve, return_request_submit

pytestmark = pytest.mark.django_db


class GrumpyServer:
    """Answers 451 (try again later) to the first ``refuse`` messages, then accepts."""

    def __init__(self, refuse: int):
        self.refuse = refuse
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 Mail server temporarily busy, try again later"
        self.received.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    handler = GrumpyServer(refuse=3)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.EMAIL_DELIVERY = "worker"
    settings.STAFF_NOTIFICATION_EMAIL = "returns-team@alotrop.com"
    yield handler
    controller.stop()


def test_every_email_arrives_exactly_once_despite_refusals(order, customer, service_agent, smtp_server):
    mug = order.lines.get(sku="MUG-01")
    req = return_request_submit(
        order=order,
        by=customer,
        lines=[LineRequest(order_line_id=mug.pk, quantity=1, reason="wrong_item", description="Got a bowl")],
    )
    return_request_approve(request=req, by=service_agent)
    assert Notification.objects.count() == 3  # received (customer), new request (staff), approved (customer)

    now = timezone.now()
    # Run the worker repeatedly, as cron or the --loop worker would, moving time past each backoff.
    for minute in range(0, 60, 1):
        notifications_send_due(now=now + timedelta(minutes=minute))
    # Running it again after everything went out sends nothing more.
    notifications_send_due(now=now + timedelta(hours=2))

    recipients = sorted(rcpt for rcpts, _ in smtp_server.received for rcpt in rcpts)
    assert recipients == sorted([order.email, order.email, "returns-team@alotrop.com"])
    subjects = [msg["Subject"] for _, msg in smtp_server.received]
    assert len(subjects) == len(set(subjects)) == 3
    assert all(req.rma in s for s in subjects)
    assert set(Notification.objects.values_list("state", flat=True)) == {"sent"}
    assert sum(Notification.objects.values_list("attempts", flat=True)) == 3 + 3  # three refusals, three successes
    # The HTML and the text versions both travelled.
    first = smtp_server.received[0][1]
    assert first.is_multipart()
    assert {part.get_content_type() for part in first.walk()} >= {"text/plain", "text/html"}
