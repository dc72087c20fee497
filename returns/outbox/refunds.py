"""The refund worker: sends refunds in processing to the provider, and asks again about those it holds.

A refund sent by staff (``returns.services.refunds.refund_send``) is a row in processing; its
``next_attempt_at`` is the lease (``returns.outbox.lease``): claimed, it moves ``LEASE`` ahead,
so a worker that dies mid-call leaves the row to be tried again, with the same key, after that.
Every call carries the idempotency key of the refund's round, so a retry after a timeout or a
crash is the refund the provider already made. While the provider is down the row waits from
the backoff table; what the provider answers is recorded by ``refund_apply_answer``.

The first call for a click is made by the click's own request, after commit, with short
timeouts (``interactive``); the worker (``manage.py process_refunds --loop``) does the rest.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction

from returns.domain.events import Event
from returns.domain.vocabulary import Resolution, Restock
from returns.integrations import ProviderRefused, ProviderUnavailable, RefundDetail, RefundLine, refund_provider
from returns.models import Refund
from returns.outbox.lease import Lease
from returns.selectors.queues import refund_due
from returns.services.history import locked, record_note
from returns.services.refund_outcomes import refund_apply_answer

log = logging.getLogger(__name__)

# A worker that dies mid-call leaves the row to be tried again (same key) after this.
LEASE = timedelta(minutes=5)

QUEUE = Lease(
    model=Refund,
    due=refund_due,
    held={"state": Refund.State.PROCESSING},
    lease_field="next_attempt_at",
    duration=lambda: LEASE,
    related=("request", "order"),
)


def idempotency_key(refund: Refund) -> str:
    return f"alotrop-{refund.request.rma}-refund-{refund.pk}-{refund.provider_round}"


def refund_detail(refund: Refund) -> RefundDetail:
    """What the refund is made of, for a provider that refunds by line: the accepted lines refunded (not those
    replaced, R9) with their quantities and restock choice, the shipping and the fee as computed (R10)."""
    lines = refund.request.lines.filter(accepted=True, resolution=Resolution.REFUND).select_related("order_line")
    return RefundDetail(
        lines=tuple(
            RefundLine(
                line_id=line.order_line.shopify_line_item_id,
                sku=line.order_line.sku,
                name=line.order_line.name,
                quantity=line.quantity,
                # Inspected before restock was chosen: as the verdict suggests (a confirmed fault is not restocked).
                restock=Restock.goes_back(
                    line.restock == Restock.RESTOCK if line.restock else None, fault_confirmed=line.fault_confirmed
                ),
            )
            for line in lines.order_by("id")
        ),
        shipping=refund.shipping,
        deduction=refund.deduction,
        breakdown=tuple((str(row.get("label", "")), str(row.get("amount", ""))) for row in refund.breakdown),
        rma=refund.request.rma,
    )


def refunds_process_due(
    *, ids: list[int] | None = None, now: datetime | None = None, limit: int = 100, interactive: bool = False
) -> int:
    """Send (or ask about) every refund whose turn has come; returns how many were handled.

    Right after a send (``ids``) the row is waited for, not passed by: a second click may hold it for a moment.
    """
    handled = 0
    for refund, moment in QUEUE.claimed(now=now, ids=ids, limit=limit, wait=ids is not None):
        handled += 1
        try:
            provider = refund_provider(refund.provider, interactive=interactive)
            if refund.reference:
                answer = provider.refund_status(reference=refund.reference)
            else:
                answer = provider.refund_send(
                    payment_reference=provider.payment_reference_of(refund.order),
                    amount=refund.total,
                    currency=refund.currency,
                    key=idempotency_key(refund),
                    metadata={
                        "rma": refund.request.rma,
                        "order": refund.order.number,
                        "alotrop_refund_id": str(refund.pk),
                    },
                    retry=refund.attempts > 1,
                    detail=refund_detail(refund),
                )
        except ProviderUnavailable as exc:
            _retry_later(refund, str(exc), moment)
        except ProviderRefused as exc:
            refund_apply_answer(refund_id=refund.pk, answer=None, refused=str(exc))
        else:
            refund_apply_answer(refund_id=refund.pk, answer=answer)
            log.info("Refund %s: the provider answered %s", refund.pk, answer.status)
    return handled


def _retry_later(refund: Refund, error: str, moment: datetime) -> None:
    with transaction.atomic():
        due = QUEUE.retry(refund, moment, last_error=error[:2000])
        if due is None:
            return  # answered meanwhile (a webhook), or taken over by another worker
        log.warning("Refund %s: try %s failed, next at %s: %s", refund.pk, refund.attempts, due, error)
        if refund.attempts == 1:
            request = locked(refund.request)
            record_note(
                request,
                by=None,
                event=Event.REFUND_RETRYING,
                note=f"The payment provider did not answer; the refund waits and is retried automatically. {error}",
            )
