"""R4 and R12 under real concurrency: several threads, each with its own database connection.

Marked ``postgres``: CI fails unless these ran on PostgreSQL, the production
database. They run on SQLite too, where IMMEDIATE transactions queue the writers.
"""

import threading
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from returns.exceptions import AlreadyDone, PolicyViolation
from returns.models import OrderLine, PendingPhoto, Refund, ReturnRequest
from returns.services import images, photos
from returns.services.inspection import LineVerdict, return_request_inspect
from returns.services.refunds import refund_issue
from returns.services.requests import LineRequest, return_request_approve, return_request_receive, return_request_submit
from tests.factories import OrderFactory, OrderLineFactory, StaffFactory, jpeg_bytes

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

THREADS = 4


def race(fn, n=THREADS):
    """Run ``fn`` in ``n`` threads released at the same instant; return (results, errors)."""
    barrier = threading.Barrier(n)
    results, errors = [], []
    lock = threading.Lock()

    def worker():
        try:
            barrier.wait(timeout=10)
            value = fn()
            with lock:
                results.append(value)
        except Exception as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results, errors


def test_submissions_racing_for_the_last_unit_get_one_request():
    order = OrderFactory()
    ol = OrderLineFactory(order=order, quantity=1)

    def submit():
        return return_request_submit(
            order=order,
            lines=[
                LineRequest(
                    order_line_id=ol.pk,
                    quantity=1,
                    reason="changed_mind",
                    description="Not needed",
                    condition_confirmed=True,
                )
            ],
        )

    results, errors = race(submit)
    assert len(results) == 1, errors
    assert len(errors) == THREADS - 1
    assert all(isinstance(e, PolicyViolation) for e in errors), errors
    assert all("already in a return request" in e.message for e in errors)
    assert ReturnRequest.objects.count() == 1
    assert OrderLine.objects.get(pk=ol.pk).quantity_in_returns == 1


def test_one_submission_key_clicked_many_times_makes_one_request():
    order = OrderFactory()
    ol = OrderLineFactory(order=order, quantity=5)

    def submit():
        return return_request_submit(
            order=order,
            lines=[LineRequest(order_line_id=ol.pk, quantity=1, reason="wrong_item", description="Got a bowl")],
            submission_key="double-click",
        ).pk

    results, errors = race(submit)
    assert not errors
    assert len(set(results)) == 1
    assert ReturnRequest.objects.count() == 1
    assert OrderLine.objects.get(pk=ol.pk).quantity_in_returns == 1


def test_two_staff_issuing_the_same_refund_pay_once():
    agents = [StaffFactory(role="Customer service") for _ in range(THREADS)]
    warehouse = StaffFactory(role="Warehouse")
    order = OrderFactory()
    ol = OrderLineFactory(order=order, quantity=1, unit_price=Decimal("40.00"), unit_tax=Decimal("3.20"))
    req = return_request_submit(
        order=order,
        lines=[
            LineRequest(
                order_line_id=ol.pk, quantity=1, reason="wrong_size", description="Small", condition_confirmed=True
            )
        ],
    )
    return_request_approve(request=req, by=agents[0])
    return_request_receive(request=req, by=warehouse)
    line = req.lines.get()
    return_request_inspect(request=req, by=warehouse, verdicts={line.pk: LineVerdict(accepted=True)})
    refund = Refund.objects.get(request=req)
    queue = list(agents)

    def issue():
        agent = queue.pop()
        return refund_issue(refund=refund, by=agent, reference=f"re_{agent.pk}").reference

    results, errors = race(issue)
    assert len(results) == 1, errors
    assert all(isinstance(e, AlreadyDone) for e in errors), errors
    refund.refresh_from_db()
    assert refund.state == Refund.State.ISSUED
    assert refund.reference == results[0]
    assert req.history.filter(event="refund_issued").count() == 1
    req.refresh_from_db()
    assert req.status == ReturnRequest.Status.REFUNDED


def test_refunds_of_one_order_inspected_at_once_take_the_fee_once():
    """Two requests of one free-shipping order inspected at the same moment: one $9.99 fee in all."""
    warehouse = [StaffFactory(role="Warehouse") for _ in range(2)]
    agent = StaffFactory(role="Customer service")
    order = OrderFactory(free_shipping=True, shipping_charged=Decimal("0"))
    lines = [OrderLineFactory(order=order, unit_price=Decimal("30.00"), unit_tax=Decimal("0")) for _ in range(2)]
    requests = []
    for ol in lines:
        req = return_request_submit(
            order=order,
            lines=[
                LineRequest(
                    order_line_id=ol.pk, quantity=1, reason="changed_mind", description="No", condition_confirmed=True
                )
            ],
        )
        return_request_approve(request=req, by=agent)
        return_request_receive(request=req, by=warehouse[0])
        requests.append(req)
    queue = list(zip(requests, warehouse, strict=True))

    def inspect():
        req, who = queue.pop()
        line = req.lines.get()
        return return_request_inspect(request=req, by=who, verdicts={line.pk: LineVerdict(accepted=True)})

    _, errors = race(inspect, n=2)
    assert not errors, errors
    deductions = sorted(Refund.objects.filter(order=order).values_list("deduction", flat=True))
    assert deductions == [Decimal("0.00"), Decimal("9.99")]


def test_photos_racing_for_the_last_room_under_the_cap_get_one_in(settings):
    """PENDING_PHOTO_MAX_BYTES holds when uploads arrive at once: the check and the write are taken in turn."""
    line = OrderLineFactory(order=OrderFactory())
    processed = [
        images.process_photo(upload=SimpleUploadedFile(f"p{i}.jpg", jpeg_bytes()), kind="issue") for i in range(THREADS)
    ]
    size = processed[0].image.size + processed[0].thumbnail.size
    settings.PENDING_PHOTO_MAX_BYTES = size + size // 2  # room for one
    queue = list(processed)

    def create():
        return photos.pending_photo_create(order_line=line, owner="race", user=None, photo=queue.pop())

    results, errors = race(create)
    assert len(results) == 1, errors
    assert len(errors) == THREADS - 1 and all(isinstance(e, photos.UploadsPaused) for e in errors), errors
    assert PendingPhoto.objects.count() == 1
    kept = PendingPhoto.objects.get()
    stored = {str(p.relative_to(settings.MEDIA_ROOT)) for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()}
    assert stored == {kept.image.name, kept.thumbnail.name}  # the refused photos took their files with them
