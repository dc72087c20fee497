"""Time events out: from a staff approval's commit to its arrival at a receiver, and events per second.

    DATABASE_URL=postgres://…/bench python manage.py migrate
    DATABASE_URL=postgres://…/bench python -m bench events_out --latency 50 --backlog 1000

A receiver listens on 127.0.0.1 (it answers 200 at once) and one endpoint hears ``return.approved``.
The worker is the real one, ``manage.py deliver_webhooks --loop`` in its own process:

- latency: approvals one at a time, each timed from its commit to the moment the receiver has its body;
- backlog: that many approvals committed while the worker is stopped, then the worker started: events
  per second from its start to the last arrival (one endpoint: one call at a time, in order).

Everything it wrote (orders, returns, events, the endpoint) is deleted at the end.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.utils import timezone

from returns.models import Order, OrderLine, ReturnRequest
from returns.services.endpoints import webhook_endpoint_add, webhook_endpoint_remove
from returns.services.requests import LineRequest, return_request_approve, return_request_submit
from tests.fakes.receiver import Receiver

PREFIX = "BENCH-EV-"


def _requests(count: int) -> list[ReturnRequest]:
    order = Order.objects.create(
        number=f"{PREFIX}{time.time_ns()}",
        email="bench@example.com",
        placed_at=timezone.now() - timedelta(days=10),
        delivered_on=(timezone.now() - timedelta(days=5)).date(),
        payment_method="Visa ending 4242",
    )
    line = OrderLine.objects.create(
        order=order, sku="MUG-01", name="Mug", quantity=count, unit_price=Decimal("12.50"), unit_tax=Decimal("1.00")
    )
    made = []
    for _ in range(count):
        one = LineRequest(line.pk, 1, "changed_mind", "bench", condition_confirmed=True)
        made.append(return_request_submit(order=order, by=None, lines=[one]))
    return made


def _worker() -> subprocess.Popen:
    manage = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "manage.py")
    return subprocess.Popen(
        [sys.executable, manage, "deliver_webhooks", "--loop", "--interval", "0.5"],
        stdout=subprocess.DEVNULL,
        env={**os.environ, "WEBHOOKS_ALLOW_PRIVATE": "true"},
    )


def _stop(worker: subprocess.Popen) -> None:
    worker.terminate()
    worker.wait(timeout=30)


class Command(BaseCommand):
    help = "Time events out: commit to delivery, and events per second to one receiver."

    def add_arguments(self, parser):
        parser.add_argument("--latency", type=int, default=50, help="Approvals timed one by one (default 50).")
        parser.add_argument("--backlog", type=int, default=1000, help="Approvals queued, then sent (default 1,000).")

    def handle(self, *args, latency: int, backlog: int, **options):
        receiver = Receiver().start()
        endpoint, _ = webhook_endpoint_add(url=receiver.url, event_types=["return.approved"])
        worker = None
        try:
            pending = _requests(latency + backlog)
            worker = _worker()
            time.sleep(2)  # the worker process has started
            waits = []
            for request in pending[:latency]:
                seen = len(receiver.received)
                committed = time.time()
                return_request_approve(request=request, by=None, automatic="bench")
                got = receiver.wait_for(seen + 1, timeout=30)
                waits.append((got[seen].at - committed) * 1000)
            _stop(worker)
            worker = None
            for request in pending[latency:]:
                return_request_approve(request=request, by=None, automatic="bench")
            seen = len(receiver.received)
            started = time.time()
            worker = _worker()
            got = receiver.wait_for(seen + backlog, timeout=600)
            elapsed = got[-1].at - started
            waits.sort()
            self.stdout.write(
                f"commit -> delivery over {latency} approvals: median {statistics.median(waits):.0f} ms, "
                f"p95 {waits[int(len(waits) * 0.95) - 1]:.0f} ms, max {waits[-1]:.0f} ms"
            )
            self.stdout.write(
                f"backlog of {backlog}: {len(got) - seen} delivered in {elapsed:.1f} s from the worker's start "
                f"(process start included): {backlog / elapsed:.0f} events/s"
            )
        finally:
            if worker is not None:
                _stop(worker)
            receiver.stop()
            webhook_endpoint_remove(endpoint_id=endpoint.pk)
            for order in Order.objects.filter(number__startswith=PREFIX):
                ReturnRequest.objects.filter(order=order).delete()
                order.delete()
