"""R6's deadlines, run by ``process_deadlines``: the ship-by reminder and the expiry of a parcel
that was never sent."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction

from returns.conf import policy_config, store_today
from returns.domain import steps
from returns.domain.events import Event
from returns.domain.policy import day
from returns.domain.steps import ReturnFacts
from returns.models import (
    ReturnRequest,
)
from returns.services.history import S, locked, move, record_note, release_units


def return_request_send_reminder(*, request: ReturnRequest, today: date | None = None) -> bool:
    """Remind once, in the reminder window, that the ship-by day is near. True if reminded now."""
    today = today or store_today()
    cfg = policy_config()
    with transaction.atomic():
        request = locked(request)
        if not steps.can_send_reminder(ReturnFacts.of(request), today, cfg) or request.ship_by is None:
            return False
        request.reminder_sent_on = today
        request.save(update_fields=["reminder_sent_on", "updated_at"])
        record_note(
            request,
            by=None,
            event=Event.SHIP_BY_REMINDER,
            note=f"Please ship by {day(request.ship_by)}.",
            today=today,
        )
    return True


def return_request_expire(*, request: ReturnRequest, today: date | None = None) -> bool:
    """Expire an approved request not shipped by its ship-by day. True if expired now."""
    today = today or store_today()
    with transaction.atomic():
        request = locked(request)
        if not steps.can_expire(ReturnFacts.of(request), today) or request.ship_by is None:
            return False
        move(
            request,
            S.EXPIRED,
            by=None,
            event=Event.EXPIRED,
            note=f"Not shipped by {day(request.ship_by)}.",
        )
        release_units(request)
    return True


def deadlines_process(*, today: date) -> tuple[int, int]:
    """Every reminder due and every expiry due on ``today``: (reminders sent, returns expired). Each happens once.

    The queries narrow the candidates; each service re-checks under its lock.
    """
    cfg = policy_config()
    waiting = ReturnRequest.objects.filter(status=ReturnRequest.Status.APPROVED, ship_by__isnull=False)
    remind_ids = waiting.filter(
        reminder_sent_on__isnull=True,
        ship_by__gte=today,
        ship_by__lte=today + timedelta(days=cfg.ship_by_reminder_days),
    ).values_list("pk", flat=True)
    expire_ids = waiting.filter(ship_by__lt=today).values_list("pk", flat=True)
    reminded = sum(return_request_send_reminder(request=ReturnRequest(pk=pk), today=today) for pk in list(remind_ids))
    expired = sum(return_request_expire(request=ReturnRequest(pk=pk), today=today) for pk in list(expire_ids))
    return reminded, expired
