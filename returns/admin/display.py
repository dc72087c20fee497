"""Small formatting helpers shared by the admin pages (no queries)."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from returns.conf import store_date, store_today
from returns.domain.money import format_money


def money(amount, currency: str = "USD") -> str:
    """``Decimal("12.5"), "USD"`` -> ``"$12.50"``: as customers read it (``returns.domain.money``), so staff quote
    the same figure."""
    return format_money(amount, currency)


def age_in_days(moment) -> int:
    """Whole calendar days since ``moment``, in the store's time zone."""
    return (store_today() - store_date(moment)).days


def person(user) -> str:
    """Who did a step: their email (staff marked), or the system when nobody did."""
    if user is None:
        return "System (automatic)"
    return f"{user.email} (staff)" if user.is_staff else user.email


def photo_urls(photo) -> tuple[str, str] | None:
    """(full size, thumbnail) through the private photo view, or None while that view is not installed or
    once retention removed the files (the template then shows ``photo.removal_note``)."""
    if photo.removed_after_days is not None:
        return None
    try:
        return (
            reverse("returns:photo", args=[photo.pk]),
            reverse("returns:photo_thumbnail", args=[photo.pk]),
        )
    except NoReverseMatch:
        return None
