"""The facts the risk rules (``returns.domain.risk``) judge a request by, read in one place: submission
(auto-approval) and the staff desk's risk panel ask the same questions, so they show the same hold."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Exists, F, Func, IntegerField, Q, Subquery
from django.utils import timezone

from core.addresses import normalize_email
from returns.domain import risk
from returns.domain.estimates import Estimate
from returns.models import BlockedEmail, Order, ReturnRequest
from returns.selectors import estimates
from returns.selectors.policy_facts import Claim, order_money


def start_of_day(today: date, days_before: int) -> datetime:
    """The first moment of the store's day ``days_before`` days before ``today``."""
    return timezone.make_aware(datetime.combine(today - timedelta(days=days_before), time.min))


def counted_in_90_days(today: date) -> Q:
    """The requests AUTO_APPROVE_MAX_RETURNS_90_DAYS counts: made in the 90 days up to ``today``, not cancelled.

    The staff panel's history counts with the same condition (``selectors.staff.customer_history``).
    """
    return Q(created_at__gte=start_of_day(today, 90)) & ~Q(status=ReturnRequest.Status.CANCELLED)


def estimated_refund(request: ReturnRequest, order: Order | None = None) -> Decimal:
    """The most the request could refund, as the risk rules read it.

    Its refund once there is one; before, the estimate kept at submission if every claimed fault is
    confirmed; when that estimate has no outcome (the refund could not be worked out), all that was paid.
    """
    refund = getattr(request, "refund", None)
    if refund is not None:
        return refund.total
    order = order or request.order
    estimate = Estimate.from_json(request.estimate)
    if estimate is None:  # made before estimates were kept: worked out again from its lines
        claims = [Claim(ln.order_line, ln.quantity, ln.reason, ln.preference) for ln in request.lines.all()]
        estimate = estimates.build(order, claims)
    return estimate.highest if estimate.outcomes else order_money(order).paid


def risk_facts(request: ReturnRequest, today: date, *, order: Order | None = None) -> risk.RiskFacts:
    """The facts for a request already saved; ``order`` is its order with the lines prefetched, if the caller has it.

    One query for the 90-day count and the block list, besides the lines when they are not prefetched.
    """
    order = order or request.order
    email = normalize_email(order.email)
    blocked = BlockedEmail.objects.filter(email=email)
    counted = (
        # Emails are stored lower-case: an exact match uses the index on the order's email.
        ReturnRequest.objects.filter(counted_in_90_days(today), order__email=email)
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values("n")
    )
    found = (
        Order.objects.filter(pk=order.pk)
        .values(
            returns_90_days=Subquery(counted, output_field=IntegerField()),
            blocked=Exists(blocked),
            blocked_reason=Subquery(blocked.values("reason")[:1]),
        )
        .get()
    )
    return risk.RiskFacts(
        email=email,
        currency=order.currency,
        estimated_refund=estimated_refund(request, order),
        returns_90_days=found["returns_90_days"] or 0,
        reasons=tuple(line.reason for line in request.lines.all()),
        blocked=found["blocked"],
        blocked_reason=found["blocked_reason"] or "",
    )
