"""Support's corrections to what an order with returns keeps, each leaving an ``OrderCorrection`` row.

Once an order has return requests its delivery date is kept (its return window runs from it): no
import or push moves it. When the store recorded the wrong day, support changes it here, with a
reason, and the row says who, when, from, to and why.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from returns.conf import store_date, store_today
from returns.exceptions import AlreadyDone, NotAllowed, ReturnsError
from returns.models import Order, OrderCorrection
from returns.roles import PERM_CORRECT_DELIVERY_DATE, Actor, UserPermissions


def can_correct_delivery_date(user: Actor) -> bool:
    return PERM_CORRECT_DELIVERY_DATE in UserPermissions(user)


def order_delivery_date_correct(*, order: Order, delivered_on: date, reason: str, by: Actor) -> OrderCorrection:
    """Set the order's delivery date to ``delivered_on`` and record who did it and why."""
    if not can_correct_delivery_date(by):
        raise NotAllowed("Your role does not allow you to change an order's delivery date.")
    reason = (reason or "").strip()
    if not reason:
        raise ReturnsError("Say why the delivery date changes: the reason is kept with the change.")
    if delivered_on > store_today():
        raise ReturnsError(f"{delivered_on} is in the future; an order is delivered on a day that has come.")
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        placed_on = store_date(locked.placed_at)
        if delivered_on < placed_on:
            raise ReturnsError(f"{delivered_on} is before the order was placed ({placed_on}).")
        if locked.delivered_on == delivered_on:
            raise AlreadyDone(f"The delivery date is already {delivered_on}; nothing changed.")
        before = locked.delivered_on
        locked.delivered_on = delivered_on
        locked.save(update_fields=["delivered_on", "updated_at"])
        return OrderCorrection.objects.create(
            order=locked,
            by=by,
            field="delivered_on",
            from_value=before.isoformat() if before else "",
            to_value=delivered_on.isoformat(),
            reason=reason,
        )
