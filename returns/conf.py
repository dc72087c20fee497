"""The bridge from Django settings and the clock to the pure policy and risk modules."""

from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from returns.domain.policy import PolicyConfig
from returns.domain.risk import Limits
from returns.domain.wording import review_time


def policy_config() -> PolicyConfig:
    return PolicyConfig(
        return_window_days=settings.RETURN_WINDOW_DAYS,
        ship_by_days=settings.SHIP_BY_DAYS,
        ship_by_reminder_days=settings.SHIP_BY_REMINDER_DAYS,
        free_shipping_return_fee=settings.FREE_SHIPPING_RETURN_FEE,
        refund_business_days_min=settings.REFUND_BUSINESS_DAYS_MIN,
        refund_business_days_max=settings.REFUND_BUSINESS_DAYS_MAX,
    )


def risk_limits() -> Limits:
    """AUTO_APPROVE_MAX_REFUND and AUTO_APPROVE_MAX_RETURNS_90_DAYS, for ``returns.domain.risk``."""
    return Limits(
        max_refund=Decimal(str(settings.AUTO_APPROVE_MAX_REFUND)),
        max_returns_90_days=settings.AUTO_APPROVE_MAX_RETURNS_90_DAYS,
    )


def auto_approve_mode() -> str:
    """AUTO_APPROVE: off, standard or all (checked when the settings load)."""
    return settings.AUTO_APPROVE


def store_date(moment: datetime | None = None) -> date:
    """The calendar date in the store's time zone (TIME_ZONE): what "days" mean in the policy."""
    return timezone.localdate(moment or timezone.now())


def store_today() -> date:
    return store_date()


def review_time_words() -> str:
    """R5: how soon a return waiting for review is usually reviewed (``REVIEW_TARGET_HOURS``), in words."""
    return review_time(settings.REVIEW_TARGET_HOURS)
