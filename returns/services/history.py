"""What every service below stands on: the row lock, the move, and the history row.

Each service is keyword-only, runs in one transaction, locks what it changes (``locked``),
asks its step's check (``returns.domain.steps``) and raises its answer, moves through the
transition table (``move``), writes a history row (``record_step``) and leaves side effects
(email) to run after commit. Views, forms, the admin and commands only call the services;
nothing else writes a status.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db.models import F

from returns.domain.events import Event
from returns.domain.money import format_money
from returns.domain.transitions import check_transition
from returns.models import (
    OrderLine,
    Refund,
    ReturnLine,
    ReturnRequest,
    StatusChange,
)
from returns.outbox.mail import notification_record
from returns.outbox.webhooks import event_record
from returns.roles import Actor

S = ReturnRequest.Status


def record_step(
    request: ReturnRequest,
    *,
    by: Actor,
    event: Event,
    from_status: str,
    to_status: str,
    note: str = "",
    today: date | None = None,
    notify: bool = True,
) -> StatusChange:
    """The history row for a step; the customer is told of every status change (R13), and the
    store's systems of every step (``event_record``: the event out, in this same transaction).

    ``notify=False`` only where the next step, in the same transaction, sends the email
    that tells of both (a request approved as it is submitted).
    """
    change = StatusChange.objects.create(
        request=request, by=by, event=event, from_status=from_status, to_status=to_status, note=note
    )
    event_record(request=request, change=change)
    if notify:
        notification_record(request=request, change=change, today=today)
    return change


def record_note(
    request: ReturnRequest, *, by: Actor, event: Event, note: str, today: date | None = None, notify: bool = True
) -> StatusChange:
    """The history row for a step that leaves the status as it is (a refund sent, failed, a reminder, a message).

    The return's ``updated_at`` moves with it, as with a move: the store's systems ask the API for what changed
    since a time (``updated_since``), and a refund sent or failed changes what they read of the return.
    ``notify=False`` where the caller writes what the email tells of first, then ``notification_record``.
    """
    request.save(update_fields=["updated_at"])
    return record_step(
        request,
        by=by,
        event=event,
        from_status=request.status,
        to_status=request.status,
        note=note,
        today=today,
        notify=notify,
    )


def move(
    request: ReturnRequest, target: str, *, by: Actor, event: Event, note: str = "", fields: Sequence[str] = ()
) -> None:
    check_transition(request, target)
    previous = request.status
    request.status = target
    request.save(update_fields=["status", "updated_at", *fields])
    record_step(request, by=by, event=event, from_status=previous, to_status=target, note=note)


def locked(request: ReturnRequest) -> ReturnRequest:
    return ReturnRequest.objects.select_for_update().get(pk=request.pk)


def release_units(request: ReturnRequest) -> None:
    """R4: a rejected, cancelled or expired request gives its units back."""
    for line in request.lines.all():
        OrderLine.objects.filter(pk=line.order_line_id).update(
            quantity_in_returns=F("quantity_in_returns") - line.quantity
        )


def hold_units(order_line_id: int, quantity: int) -> None:
    """R4: take units; the database refuses more than were bought."""
    OrderLine.objects.filter(pk=order_line_id).update(quantity_in_returns=F("quantity_in_returns") + quantity)


def close_if_settled(request: ReturnRequest, *, by: Actor) -> None:
    """INSPECTED -> REFUNDED/COMPLETED once no refund and no replacement is outstanding."""
    if request.status != S.INSPECTED:
        return
    if request.lines.filter(replacement_status=ReturnLine.ReplacementStatus.PENDING).exists():
        return
    refund = Refund.objects.filter(request=request).first()
    if refund is not None and refund.state != Refund.State.ISSUED:
        return
    if refund is not None and refund.total > 0:
        move(
            request,
            S.REFUNDED,
            by=by,
            event=Event.CLOSED,
            note=f"Refunded {format_money(refund.total, refund.currency)}.",
        )
    else:
        move(request, S.COMPLETED, by=by, event=Event.CLOSED)
