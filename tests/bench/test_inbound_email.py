"""bench inbound_email posts emailed replies to the webhook, every one lands in the thread, and it leaves nothing."""

import io
import json

import pytest
from django.core.management import call_command

from bench import inbound_email
from returns.models import Message, MessagePhoto, Order, ReturnRequest

pytestmark = pytest.mark.django_db


def test_bench_inbound_email_times_every_reply_into_the_thread_and_cleans_up():
    out = io.StringIO()
    call_command(inbound_email.Command(), posts=4, photo_posts=2, stdout=out)
    report = json.loads(out.getvalue().splitlines()[-1])
    assert report["text"]["statuses"] == {"200": 4} and report["photo"]["statuses"] == {"200": 2}
    assert report["in_thread"] == 4 + 2 + 2 * inbound_email.WARM_UP  # every reply joined the thread
    assert report["photo"]["p95_ms"] >= report["photo"]["median_ms"] > 0
    assert not Order.objects.exists() and not ReturnRequest.objects.exists() and not Message.objects.exists()
    assert not MessagePhoto.objects.exists()
