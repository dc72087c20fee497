"""The bench command fills a database with realistic requests and times every staff page."""

import io

import pytest
from django.core.management import CommandError, call_command

from bench import admin
from returns.models import Refund, ReturnRequest

pytestmark = pytest.mark.django_db


def test_bench_admin_fills_and_times_every_staff_page():
    out = io.StringIO()
    call_command(admin.Command(), requests=300, repeat=1, explain=1, stdout=out)
    text = out.getvalue()
    assert ReturnRequest.objects.count() == 300
    statuses = set(ReturnRequest.objects.values_list("status", flat=True))
    assert {"submitted", "approved", "shipped", "received", "refunded", "rejected"} <= statuses
    assert Refund.objects.filter(state="issued", issued_on__isnull=True).count() == 0
    assert ReturnRequest.objects.filter(status="submitted", auto_review="held").exists()  # the held queue has rows
    pages = ("overview (admin index)", "request list", "queue: to review", "queue: held for review", "refund list")
    for page in (*pages, "search: tracking"):
        assert page in text
    assert "EXPLAIN" in text
    # A second run reuses the data; another size is refused rather than mixed in.
    call_command(admin.Command(), requests=300, repeat=1, explain=0, stdout=io.StringIO())
    with pytest.raises(CommandError, match="already holds 300"):
        call_command(admin.Command(), requests=500, stdout=io.StringIO())
