"""What a return's customer page, its status emails and its staff page all say about it, read once.

The lines, the refund and when the customer can expect it, whether anything is replaced, what
happens to items that were not accepted, the days left to ship, and what the customer may do
now (``returns.domain.steps``): one ``return_summary``, so the three cannot tell the customer
different things.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db.models import Prefetch, QuerySet

from returns.conf import policy_config, store_today
from returns.domain import policy, steps, wording
from returns.domain.steps import ReturnFacts
from returns.models import Refund, Resolution, ReturnLine, ReturnRequest

S = ReturnRequest.Status


@dataclass(frozen=True)
class ReturnSummary:
    lines: list[ReturnLine]
    refund: Refund | None
    # R11: the first and last day the money should reach the customer, once it is on its way.
    expected_refund: tuple[date, date] | None
    replaced: bool
    # What happens to items that came back and were not accepted (UNACCEPTED_ITEM); "" if none.
    unaccepted_item: str
    must_ship: bool
    ship_by_days_left: int | None
    can_record_shipment: bool
    can_cancel: bool
    has_authorization: bool


def summary_parts(requests: QuerySet[ReturnRequest]) -> QuerySet[ReturnRequest]:
    """Requests with what ``return_summary`` reads: the refund, and the lines with their order lines."""
    return requests.select_related("refund").prefetch_related(
        Prefetch("lines", queryset=ReturnLine.objects.select_related("order_line"))
    )


def return_summary(request: ReturnRequest, *, today: date | None = None) -> ReturnSummary:
    """Reads only what ``request`` carries: load it through ``summary_parts`` (or ``return_detail``,
    ``customer_return_detail``, which load the same and more), so this costs no query."""
    today = today or store_today()
    lines = list(request.lines.all())
    refund = getattr(request, "refund", None)
    facts = ReturnFacts.of(request)
    shipment = bool(steps.can_record_shipment(facts))
    must_ship = shipment and request.status == S.APPROVED
    return ReturnSummary(
        lines=lines,
        refund=refund,
        expected_refund=expected_refund(refund),
        replaced=any(rl.resolution == Resolution.REPLACEMENT for rl in lines),
        unaccepted_item=_unaccepted_item(request, lines),
        must_ship=must_ship,
        ship_by_days_left=(request.ship_by - today).days if request.ship_by and must_ship else None,
        can_record_shipment=shipment,
        can_cancel=bool(steps.can_cancel(facts)),
        has_authorization=shipment,  # the authorization goes with the parcel while a shipment may be recorded
    )


def expected_refund(refund: Refund | None) -> tuple[date, date] | None:
    """R11: when the money should arrive; only for a refund that was issued and pays something."""
    if refund is None or refund.state != Refund.State.ISSUED or refund.total <= 0:
        return None
    return policy.expected_refund_dates(refund.issued_on, policy_config())


def has_authorization(request: ReturnRequest) -> bool:
    """The printable return authorization goes with the parcel (R5, R6): it exists while a
    shipment may be recorded for it."""
    return bool(steps.can_record_shipment(ReturnFacts.of(request)))


def _unaccepted_item(request: ReturnRequest, lines: list[ReturnLine]) -> str:
    if not request.return_required:
        return ""
    return wording.unaccepted_item(
        handling=settings.UNACCEPTED_ITEM,
        hold_days=settings.UNACCEPTED_ITEM_HOLD_DAYS,
        support_email=settings.STORE_SUPPORT_EMAIL,
        rma=request.rma,
        names=[rl.order_line.name for rl in lines if rl.inspected_at and rl.accepted is False],
    )
