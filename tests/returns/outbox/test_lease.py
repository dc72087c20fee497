"""The lease under every outbox: backoff, a claim taken over after its lease ran out, locked rows."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from returns.models import Notification
from returns.outbox.lease import retry_at
from returns.outbox.mail import QUEUE
from tests.returns.outbox.test_outbox import outbox_row


def test_each_failure_waits_longer_up_to_eight_hours():
    now = timezone.now()
    waits = [retry_at(attempts, now) - now for attempts in (1, 2, 3, 8, 9, 30)]
    assert waits == [timedelta(minutes=m) for m in (1, 5, 15, 480, 480, 480)]


@pytest.mark.django_db
def test_a_worker_whose_lease_ran_out_cannot_record_its_outcome_over_the_next_one(settings):
    settings.NOTIFICATION_LEASE_SECONDS = 300
    note = outbox_row()
    now = timezone.now()
    slow = QUEUE.claim(now)
    # The first worker hangs past its lease; a second one takes the row over.
    second = QUEUE.claim(now + timedelta(seconds=301))
    assert second.pk == slow.pk == note.pk and second.attempts == 2

    assert not QUEUE.finish(slow, state=Notification.State.SENT, sent_at=now, lease_until=None)
    assert QUEUE.retry(slow, now, state=Notification.State.PENDING, lease_until=None) is None
    note.refresh_from_db()
    assert note.state == Notification.State.SENDING and note.lease_until == second.lease_until

    assert QUEUE.retry(second, now, state=Notification.State.PENDING, lease_until=None) == now + timedelta(minutes=5)
    note.refresh_from_db()
    assert note.state == Notification.State.PENDING and note.next_attempt_at == now + timedelta(minutes=5)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SKIP LOCKED needs PostgreSQL")
def test_a_claim_passes_by_a_row_another_transaction_holds_but_waits_for_one_it_names():
    held, free = outbox_row(), outbox_row(to="bruno@example.com")
    locked, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                Notification.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        now = timezone.now()
        assert QUEUE.claim(now).pk == free.pk  # not held up by the locked row
        assert QUEUE.claim(now, skip=[free.pk]) is None

        threading.Timer(0.5, release.set).start()
        started = time.monotonic()
        assert QUEUE.claim(now, ids=[held.pk], wait=True).pk == held.pk
        assert time.monotonic() - started >= 0.4  # it waited for the other transaction
    finally:
        release.set()
        holder.join(timeout=10)
