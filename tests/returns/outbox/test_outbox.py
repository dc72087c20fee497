"""The outbox against real mail servers: one that hangs, one that accepts; a worker that is stopped or killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from returns.models import Notification, ReturnRequest
from returns.outbox import mail as notifications
from returns.outbox.mail import message_id, notifications_send_due
from tests.returns.admin.test_admin import admin_url, mug, standard, submit
from tests.support.mail import HangingServer, SmtpServer, use_smtp

BASE_DIR = Path(__file__).resolve().parents[3]


def outbox_row(**fields) -> Notification:
    return Notification.objects.create(
        **{
            "event": "approved",
            "audience": "customer",
            "to": "ana@example.com",
            "subject": "Your return",
            "body_text": "Hello",
            **fields,
        }
    )


@pytest.mark.django_db(transaction=True)
def test_staff_approve_answers_at_once_while_the_mail_server_hangs(settings, order, customer, service_agent):
    """EMAIL_DELIVERY=immediate sends on a background thread: the request never waits on SMTP."""
    settings.EMAIL_DELIVERY = "immediate"
    settings.EMAIL_IN_BACKGROUND = True
    with HangingServer() as server:
        use_smtp(settings, server.port, timeout=3)
        req = submit(order, standard(mug(order), 1), by=customer)
        notifications.background_idle(timeout=30)  # the submission's own emails time out first
        client = Client()
        client.force_login(service_agent)

        started = time.monotonic()
        response = client.post(admin_url("approve", req.pk), {"return_required": "yes"})
        took = time.monotonic() - started

        print(f"approve answered in {took:.3f} s while the mail server hung")  # shown with -s
        assert response.status_code == 302
        assert took < 2, f"approve took {took:.1f} s"
        assert ReturnRequest.objects.get(pk=req.pk).status == ReturnRequest.Status.APPROVED
        notifications.background_idle(timeout=30)
    note = Notification.objects.get(event="approved")
    # The attempt timed out after EMAIL_TIMEOUT and waits for a retry; nothing is lost.
    assert note.state == Notification.State.PENDING
    assert note.attempts == 1
    assert "timed out" in note.last_error


@pytest.mark.django_db
def test_the_worker_gives_up_on_a_hanging_server_after_email_timeout(settings):
    note = outbox_row()
    with HangingServer() as server:
        use_smtp(settings, server.port, timeout=1)
        started = time.monotonic()
        result = notifications_send_due()
        took = time.monotonic() - started
    assert result.retrying == 1
    assert took < 3
    note.refresh_from_db()
    assert note.state == Notification.State.PENDING and note.lease_until is None
    assert note.next_attempt_at > timezone.now()


def test_every_smtp_connection_has_a_timeout_by_default():
    from django.core.mail import get_connection

    assert django_settings.EMAIL_TIMEOUT == 10
    connection = get_connection("django.core.mail.backends.smtp.EmailBackend")
    assert connection.timeout == 10


@pytest.mark.django_db
def test_a_claim_left_by_a_crashed_worker_is_retried_only_after_its_lease(settings):
    settings.NOTIFICATION_LEASE_SECONDS = 300
    note = outbox_row()
    now = timezone.now()
    # A worker claims the row and dies before it can say how the SMTP conversation went.
    claimed = notifications.QUEUE.claim(now)
    assert claimed.pk == note.pk
    note.refresh_from_db()
    assert note.state == Notification.State.SENDING and note.attempts == 1

    with SmtpServer() as server:
        use_smtp(settings, server.port)
        assert notifications_send_due(now=now + timedelta(seconds=299)).sent == 0
        assert server.handler.received == []
        assert notifications_send_due(now=now + timedelta(seconds=301)).sent == 1
        assert notifications_send_due(now=now + timedelta(hours=1)).sent == 0
    (_, message), *_ = server.handler.received
    assert len(server.handler.received) == 1
    note.refresh_from_db()
    assert note.state == Notification.State.SENT and note.attempts == 2
    assert message["Message-ID"] == message_id(note)


@pytest.mark.django_db
def test_every_attempt_at_one_email_carries_the_same_message_id(settings):
    class RefuseOnce:
        def __init__(self):
            self.seen = []

        async def handle_DATA(self, server, session, envelope):
            from email import message_from_bytes

            self.seen.append(message_from_bytes(envelope.content)["Message-ID"])
            return "451 try again later" if len(self.seen) == 1 else "250 OK"

    first, second = outbox_row(), outbox_row(to="bruno@example.com")
    now = timezone.now()
    with SmtpServer(RefuseOnce()) as server:
        use_smtp(settings, server.port)
        notifications_send_due(now=now, ids=[first.pk])
        notifications_send_due(now=now + timedelta(minutes=2), ids=[first.pk])
        notifications_send_due(now=now, ids=[second.pk])
    ids = server.handler.seen
    assert ids[0] == ids[1] == message_id(first)
    assert ids[2] == message_id(second) != ids[0]


def _subprocess_env(smtp_port: int) -> dict:
    db = django_settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        url = f"sqlite:///{db['NAME']}"
    else:
        url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": "False",
        "DATABASE_URL": url,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "EMAIL_DELIVERY": "worker",
        "EMAIL_TIMEOUT": "60",  # longer than the grace: the worker's own shutdown must stop it
        "PYTHONUNBUFFERED": "1",
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_worker_stops_within_15_seconds_of_a_signal_while_blocked_on_smtp(signum):
    note = outbox_row()
    with HangingServer() as server:
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "send_notifications", "--loop", "--interval", "0.5"],
            cwd=BASE_DIR,
            env=_subprocess_env(server.port),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            assert server.accepted.wait(30), "the worker never connected"
            time.sleep(0.5)  # now inside the SMTP conversation, waiting for a greeting that never comes
            note.refresh_from_db()
            assert note.state == Notification.State.SENDING
            started = time.monotonic()
            worker.send_signal(signum)
            output, _ = worker.communicate(timeout=20)
            took = time.monotonic() - started
        finally:
            if worker.poll() is None:
                worker.kill()
    print(f"worker stopped {took:.1f} s after {signal.Signals(signum).name}")  # shown with -s
    assert took < 15, f"stopped after {took:.1f} s"
    assert worker.returncode == 0, output
    assert "went back to the outbox" in output
    note.refresh_from_db()
    # Released, not counted as a failed try: the next worker sends it at once.
    assert note.state == Notification.State.PENDING
    assert note.attempts == 0 and note.lease_until is None


@pytest.mark.django_db(transaction=True)
def test_the_refund_worker_stops_at_once_when_told_while_it_waits_for_the_next_round():
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "process_refunds", "--loop", "--interval", "60"],
        cwd=BASE_DIR,
        env=_subprocess_env(smtp_port=9),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    watchdog = threading.Timer(60, worker.kill)  # a worker that never starts fails the test, not the run
    watchdog.start()
    try:
        assert "Refund worker running" in worker.stdout.readline()
        time.sleep(1)  # its first round done, now sleeping for a minute
        started = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=20)
        took = time.monotonic() - started
    finally:
        watchdog.cancel()
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, output
    assert "Refund worker stopped." in output
    # At once: well within the minute it would otherwise sleep (the margin is for a loaded CI host).
    assert took < 15, f"stopped after {took:.1f} s"
