"""The webhook worker as it runs in production: several threads, committed rows, real receivers.

Transactional tests: the worker's threads open their own connections and see only what committed.
"""

import threading
import time

import pytest
from django.db import connections

from returns.models import EventDelivery
from returns.outbox.webhooks import deliveries_send_due
from returns.outbox.worker import run_rounds
from returns.services.endpoints import webhook_endpoint_add
from returns.services.requests import return_request_approve
from tests.fakes.receiver import Receiver
from tests.returns.admin.test_admin import fixture_submitted  # noqa: F401  (the fixture is used by name)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def slow_receiver():
    fake = Receiver(delay=3.0).start()
    yield fake
    fake.stop()


def test_a_slow_endpoint_never_delays_another(settings, submitted, service_agent, receiver, slow_receiver):
    settings.WEBHOOKS_TIMEOUT = 5.0
    webhook_endpoint_add(url=slow_receiver.url)
    webhook_endpoint_add(url=receiver.url)
    return_request_approve(request=submitted, by=service_agent, return_required=True)

    started = time.time()
    worker = threading.Thread(target=deliveries_send_due, kwargs={"threads": 2})
    worker.start()
    (fast,) = receiver.wait_for(1, timeout=5)
    assert fast.at - started < 1.5  # the slow endpoint is still thinking
    worker.join()
    assert len(slow_receiver.received) == 1
    assert EventDelivery.objects.filter(state=EventDelivery.State.DELIVERED).count() == 2


def test_a_staff_approval_reaches_a_receiver_within_seconds_of_its_commit(submitted, service_agent, receiver):
    webhook_endpoint_add(url=receiver.url)
    stop = threading.Event()

    def worker():
        try:
            run_rounds(lambda: deliveries_send_due(threads=2), loop=True, interval=0.25, stopped=stop.is_set)
        finally:
            connections.close_all()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        committed = time.time()
        return_request_approve(request=submitted, by=service_agent, return_required=True)
        (got,) = receiver.wait_for(1, timeout=10)
    finally:
        stop.set()
        thread.join()
    assert got.at - committed < 3
