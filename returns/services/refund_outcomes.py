"""What becomes of a refund: issued, failed, or still at the provider, as staff or the provider say.

Below the refund worker (``returns.outbox.refunds``), which records the provider's answers here;
``returns.services.refunds`` (what staff do) sits above both.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from returns.conf import policy_config, store_today
from returns.domain import policy
from returns.domain.events import Event
from returns.domain.money import format_money
from returns.domain.policy import day
from returns.integrations import ProviderRefund, refund_provider
from returns.models import Refund, ReturnRequest
from returns.roles import Actor
from returns.services.history import close_if_settled, locked, record_note

# A refund the provider holds as pending is asked about again this often (in case a webhook is lost).
PENDING_POLL = timedelta(hours=1)


def refund_mark_issued(
    refund: Refund,
    request: ReturnRequest,
    *,
    by: Actor,
    reference: str,
    today: date | None = None,
    how: str = "",
) -> None:
    """Inside a transaction holding both locks: the refund is paid; tell the customer when to expect it (R11)."""
    today = today or store_today()
    previous = refund.state
    refund.state = Refund.State.ISSUED
    refund.reference = reference[:100]
    refund.issued_on = today
    refund.issued_by = by
    refund.failure_reason = ""
    refund.next_attempt_at = None
    refund.save(
        update_fields=[
            "state",
            "reference",
            "issued_on",
            "issued_by",
            "failure_reason",
            "next_attempt_at",
            "updated_at",
        ]
    )
    start, end = policy.expected_refund_dates(today, policy_config())
    retried = previous == Refund.State.FAILED or refund.provider_round > 1
    record_note(
        request,
        by=by,
        event=Event.REFUND_ISSUED,
        note=(
            f"{format_money(refund.total, refund.currency)} to {refund.payment_method}"
            f"{' (retry)' if retried else ''}; "
            f"expect it between {day(start, year=False)} and {day(end)}."
            f"{f' ({how}.)' if how else ''}"
        ),
        today=today,
    )
    close_if_settled(request, by=by)


def _fail(refund: Refund, request: ReturnRequest, reason: str) -> None:
    refund.state = Refund.State.FAILED
    refund.failure_reason = reason[:2000]
    refund.next_attempt_at = None
    refund.save(update_fields=["state", "failure_reason", "next_attempt_at", "reference", "updated_at"])
    record_note(request, by=None, event=Event.REFUND_FAILED, note=reason)


def refund_apply_answer(
    *, refund_id: int, answer: ProviderRefund | None, refused: str = "", today: date | None = None
) -> Refund:
    """Record what the provider said about a refund in processing (its answer, or a webhook)."""
    with transaction.atomic():
        refund = Refund.objects.select_for_update().select_related("order").get(pk=refund_id)
        if refund.state != Refund.State.PROCESSING:
            if answer is not None and refund.state == Refund.State.ISSUED and answer.status == "failed":
                request = locked(refund.request)
                note = f"The provider now reports refund {answer.id} failed ({answer.failure_reason}); check it there."
                record_note(request, by=None, event=Event.REFUND_FAILED, note=note)
            return refund
        request = locked(refund.request)
        label = refund_provider(refund.provider).label
        if answer is None:
            _fail(refund, request, refused)
        elif answer.status == "succeeded":
            refund_mark_issued(refund, request, by=refund.issued_by, reference=answer.id, today=today)
        elif answer.status == "failed":
            refund.reference = answer.id
            _fail(
                refund, request, f"{label}: refund {answer.id} failed ({answer.failure_reason or 'no reason given'})."
            )
        else:
            refund.reference = answer.id
            refund.next_attempt_at = timezone.now() + PENDING_POLL
            refund.last_error = ""
            refund.save(update_fields=["reference", "next_attempt_at", "last_error", "updated_at"])
    return refund
