"""process_deadlines (R6): on the boundary days, run twice, each reminder and expiry happens once."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command

from returns.models import Notification, ReturnRequest
from returns.services.requests import (
    LineRequest,
    return_request_approve,
    return_request_record_shipment,
    return_request_submit,
)

pytestmark = pytest.mark.django_db
S = ReturnRequest.Status


@pytest.fixture
def approved(order, service_agent):
    mug = order.lines.get(sku="MUG-01")
    req = return_request_submit(
        order=order,
        lines=[LineRequest(order_line_id=mug.pk, quantity=1, reason="wrong_item", description="Got a bowl")],
    )
    return return_request_approve(request=req, by=service_agent)


def run(day, capsys):
    call_command("process_deadlines", date=day.isoformat())
    return capsys.readouterr().out


def emails(req, event):
    return Notification.objects.filter(request=req, event=event).count()


def test_reminder_goes_out_once_from_seven_days_before(approved, capsys):
    ship_by = approved.ship_by
    assert "0 reminder(s) sent" in run(ship_by - timedelta(days=8), capsys)
    assert "1 reminder(s) sent, 0 return(s) expired" in run(ship_by - timedelta(days=7), capsys)
    assert "0 reminder(s) sent" in run(ship_by - timedelta(days=7), capsys)
    assert "0 reminder(s) sent" in run(ship_by - timedelta(days=3), capsys)
    assert emails(approved, "ship_by_reminder") == 1


def test_late_first_run_still_reminds_on_the_ship_by_day(approved, capsys):
    assert "1 reminder(s) sent" in run(approved.ship_by, capsys)


def test_expires_only_after_the_ship_by_day_and_once(approved, capsys):
    ship_by = approved.ship_by
    assert "0 return(s) expired" in run(ship_by, capsys)
    approved.refresh_from_db()
    assert approved.status == S.APPROVED
    assert "1 return(s) expired" in run(ship_by + timedelta(days=1), capsys)
    assert "0 return(s) expired" in run(ship_by + timedelta(days=1), capsys)
    approved.refresh_from_db()
    assert approved.status == S.EXPIRED
    assert emails(approved, "expired") == 1
    # The run on the ship-by day itself still reminded; nothing was repeated after.
    assert emails(approved, "ship_by_reminder") == 1


def test_shipped_and_no_return_requests_are_left_alone(order, customer, service_agent, approved, capsys):
    return_request_record_shipment(request=approved, by=customer, carrier="UPS", tracking_number="1Z")
    lamp = order.lines.get(sku="LAMP-02")
    waived = return_request_submit(
        order=order,
        lines=[LineRequest(order_line_id=lamp.pk, quantity=1, reason="wrong_item", description="Wrong colour")],
    )
    return_request_approve(request=waived, by=service_agent, return_required=False)
    assert "0 reminder(s) sent, 0 return(s) expired" in run(approved.ship_by + timedelta(days=30), capsys)


def test_bad_date_is_explained():
    with pytest.raises(CommandError, match="--date must look like"):
        call_command("process_deadlines", date="30/11/2026")
