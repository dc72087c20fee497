"""Refunds paid through the configured provider (``REFUND_PROVIDER``), exactly once.

The states, as the provider reports them:

  pending     computed at inspection, not sent yet (or paid by hand: ``refund_issue``)
  processing  sent, or being sent: the provider has not said yes or no yet. The worker
              (``manage.py process_refunds --loop``) sends it, retries with backoff while the
              provider is down, and asks again about a refund the provider holds as pending.
  issued      the provider says succeeded: the customer gets the refund email (R11)
  failed      the provider said no, or its refund failed: staff see why, the customer does not

Exactly once (R12): a refund row becomes ``processing`` once, under a row lock, so a
double click or a second staff member gets "already sent". Every call for it carries
the same idempotency key (its RMA, row and round), so a timeout followed by a retry,
or a crash between the provider's answer and our commit, ends with the refund the
provider already made. A new key is used only after the provider's definite no.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from returns.conf import policy_config, store_today
from returns.domain import policy
from returns.domain.money import format_money
from returns.domain.policy import day
from returns.exceptions import AlreadyDone, InvalidTransition, PolicyViolation
from returns.integrations import ProviderRefund, ProviderRefused, ProviderUnavailable, refund_provider
from returns.models import Refund, ReturnRequest
from returns.services.history import PERM_ISSUE_REFUND, close_if_settled, locked, record_note, require


def refund_issue(*, refund: Refund, by, reference: str = "", today: date | None = None) -> Refund:
    """R11, R12: pay the refund, once, whatever the number of clicks or staff.

    With a refund provider (``REFUND_PROVIDER``) and a payment reference on the
    order, the provider pays it (``returns.services.refunds``); otherwise staff paid it by
    hand and give the processor's reference.
    """
    require(by, PERM_ISSUE_REFUND, "issue refunds")
    if refund_uses_provider(refund):
        return refund_send(refund=refund, by=by, today=today)
    reference = (reference or "").strip()
    if not reference:
        raise PolicyViolation("Enter the payment processor's reference for this refund.", rule="R11")
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if refund.state == Refund.State.ISSUED:
            raise AlreadyDone(
                f"This refund was already issued on {day(refund.issued_on)} (reference {refund.reference}).",
                rule="R12",
            )
        if refund.state == Refund.State.PROCESSING:
            raise AlreadyDone("This refund is at the payment provider, waiting for its answer.", rule="R12")
        request = locked(refund.request)
        refund_mark_issued(refund, request, by=by, reference=reference, today=today)
    return refund


def refund_mark_issued(
    refund: Refund, request: ReturnRequest, *, by, reference: str, today: date | None = None
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
        event="refund_issued",
        note=(
            f"{format_money(refund.total, refund.currency)} to {refund.payment_method}"
            f"{' (retry)' if retried else ''}; "
            f"expect it between {day(start, year=False)} and {day(end)}."
        ),
        today=today,
    )
    close_if_settled(request, by=by)


def refund_mark_failed(*, refund: Refund, by, reason: str) -> Refund:
    require(by, PERM_ISSUE_REFUND, "manage refunds")
    reason = (reason or "").strip()
    if not reason:
        raise PolicyViolation("Say why the refund failed.")
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if refund.state != Refund.State.PENDING:
            raise InvalidTransition(
                f"Only a refund waiting to be issued can fail; this one is {refund.get_state_display().lower()}."
            )
        request = locked(refund.request)
        refund.state = Refund.State.FAILED
        refund.failure_reason = reason
        refund.save(update_fields=["state", "failure_reason", "updated_at"])
        record_note(request, by=by, event="refund_failed", note=reason)
    return refund


log = logging.getLogger(__name__)


BACKOFF_MINUTES = (1, 5, 15, 30, 60, 120, 240, 480)


# A worker that dies mid-call leaves the row to be tried again (same key) after this.
LEASE = timedelta(minutes=5)


# A refund the provider holds as pending is asked about again this often (in case a webhook is lost).
PENDING_POLL = timedelta(hours=1)


def idempotency_key(refund: Refund) -> str:
    return f"alotrop-{refund.request.rma}-refund-{refund.pk}-{refund.provider_round}"


def refund_uses_provider(refund: Refund) -> bool:
    """Whether this refund is paid by the provider (else by hand, with a pasted reference)."""
    return refund_provider().automatic and bool(refund.order.payment_reference) and refund.total > 0


def refund_provider_label(refund: Refund) -> str:
    """Who pays this refund, for staff: "Stripe", or "" when staff pay it by hand."""
    if refund.provider:
        return refund_provider(refund.provider).label
    if refund.state != Refund.State.ISSUED and refund_uses_provider(refund):
        return refund_provider().label
    return ""


def refund_send(*, refund: Refund, by, today: date | None = None) -> Refund:
    """Hand the refund to the provider: once, whatever the number of clicks or staff.

    The call itself happens after commit (``refunds_process_due``), so no lock is
    held while the provider thinks; the returned row says how it went.
    """
    provider = refund_provider()
    with transaction.atomic():
        refund = Refund.objects.select_for_update().select_related("order").get(pk=refund.pk)
        if refund.state == Refund.State.ISSUED:
            raise AlreadyDone(
                f"This refund was already issued on {day(refund.issued_on)} (reference {refund.reference}).",
                rule="R12",
            )
        if refund.state == Refund.State.PROCESSING:
            raise AlreadyDone(
                f"This refund was already sent to {provider.label} and is waiting for its answer; "
                "nothing is sent twice.",
                rule="R12",
            )
        if not refund.order.payment_reference:
            raise PolicyViolation(f"Order {refund.order.number} has no payment reference to refund through.")
        request = locked(refund.request)
        refund.state = Refund.State.PROCESSING
        refund.provider = provider.name
        refund.provider_round += 1
        refund.attempts = 0
        refund.next_attempt_at = timezone.now()
        refund.last_error = ""
        refund.failure_reason = ""
        refund.reference = ""
        refund.issued_by = by
        refund.save(
            update_fields=[
                "state",
                "provider",
                "provider_round",
                "attempts",
                "next_attempt_at",
                "last_error",
                "failure_reason",
                "reference",
                "issued_by",
                "updated_at",
            ]
        )
        record_note(
            request,
            by=by,
            event="refund_sent",
            note=(
                f"{format_money(refund.total, refund.currency)} sent to {provider.label} "
                f"({refund.order.payment_reference})."
            ),
            today=today,
        )
        pk = refund.pk
        # The click's own request makes the first call, after commit, with short timeouts (STRIPE_CLICK_TIMEOUT).
        transaction.on_commit(lambda: refunds_process_due(ids=[pk], interactive=True))
    return Refund.objects.select_related("request", "order").get(pk=pk)


def _claim(now: datetime, ids: list[int] | None, skip: set[int]) -> Refund | None:
    with transaction.atomic():
        qs = Refund.objects.filter(state=Refund.State.PROCESSING, next_attempt_at__lte=now).exclude(pk__in=skip)
        if ids is not None:
            # Right after a send: wait for the row (a second click may hold it for a moment) rather than skip it.
            refund = qs.filter(pk__in=ids).select_for_update().order_by("next_attempt_at", "id").first()
        else:
            refund = qs.select_for_update(skip_locked=True).order_by("next_attempt_at", "id").first()
        if refund is None:
            return None
        refund.attempts += 1
        refund.next_attempt_at = now + LEASE
        refund.save(update_fields=["attempts", "next_attempt_at", "updated_at"])
    return Refund.objects.select_related("request", "order").get(pk=refund.pk)


def refunds_process_due(
    *, ids: list[int] | None = None, now: datetime | None = None, limit: int = 100, interactive: bool = False
) -> int:
    """Send (or ask about) every refund whose turn has come; returns how many were handled."""
    handled = 0
    skip: set[int] = set()
    for _ in range(limit):
        moment = now or timezone.now()
        refund = _claim(moment, ids, skip)
        if refund is None:
            break
        skip.add(refund.pk)
        handled += 1
        try:
            provider = refund_provider(refund.provider, interactive=interactive)
            if refund.reference:
                answer = provider.refund_status(reference=refund.reference)
            else:
                answer = provider.refund_send(
                    payment_reference=refund.order.payment_reference,
                    amount=refund.total,
                    currency=refund.currency,
                    key=idempotency_key(refund),
                    metadata={
                        "rma": refund.request.rma,
                        "order": refund.order.number,
                        "alotrop_refund_id": str(refund.pk),
                    },
                    retry=refund.attempts > 1,
                )
        except ProviderUnavailable as exc:
            _retry_later(refund.pk, str(exc), moment)
        except ProviderRefused as exc:
            _apply(refund.pk, answer=None, refused=str(exc))
        else:
            _apply(refund.pk, answer=answer)
    return handled


def _retry_later(refund_id: int, error: str, moment: datetime) -> None:
    with transaction.atomic():
        refund = Refund.objects.select_for_update().select_related("request").get(pk=refund_id)
        if refund.state != Refund.State.PROCESSING:
            return
        delay = BACKOFF_MINUTES[min(refund.attempts - 1, len(BACKOFF_MINUTES) - 1)]
        refund.next_attempt_at = moment + timedelta(minutes=delay)
        refund.last_error = error[:2000]
        refund.save(update_fields=["next_attempt_at", "last_error", "updated_at"])
        log.warning(
            "Refund %s: try %s failed, next at %s: %s", refund.pk, refund.attempts, refund.next_attempt_at, error
        )
        if refund.attempts == 1:
            request = locked(refund.request)
            record_note(
                request,
                by=None,
                event="refund_retrying",
                note=f"The payment provider did not answer; the refund waits and is retried automatically. {error}",
            )


def _fail(refund: Refund, request, reason: str) -> None:
    refund.state = Refund.State.FAILED
    refund.failure_reason = reason[:2000]
    refund.next_attempt_at = None
    refund.save(update_fields=["state", "failure_reason", "next_attempt_at", "reference", "updated_at"])
    record_note(request, by=None, event="refund_failed", note=reason)


def _apply(refund_id: int, *, answer: ProviderRefund | None, refused: str = "", today: date | None = None) -> Refund:
    """Record what the provider said about a refund in processing (its answer, or a webhook)."""
    with transaction.atomic():
        refund = Refund.objects.select_for_update().select_related("order").get(pk=refund_id)
        if refund.state != Refund.State.PROCESSING:
            if answer is not None and refund.state == Refund.State.ISSUED and answer.status == "failed":
                request = locked(refund.request)
                note = f"The provider now reports refund {answer.id} failed ({answer.failure_reason}); check it there."
                record_note(request, by=None, event="refund_failed", note=note)
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


def refund_provider_event(*, answer: ProviderRefund) -> Refund | None:
    """A provider's webhook about one of its refunds: apply it to ours, if it is ours and current."""
    refund = Refund.objects.filter(reference=answer.id).exclude(reference="").first()
    if refund is None and answer.our_refund_id is not None:
        candidate = Refund.objects.select_related("request").filter(pk=answer.our_refund_id).first()
        # Only this round's refund: a late event about an earlier, failed round changes nothing.
        if candidate is not None and not candidate.reference and answer.key == idempotency_key(candidate):
            refund = candidate
    if refund is None:
        log.info("Provider event about refund %s, which is not ours (or not current): ignored.", answer.id)
        return None
    return _apply(refund.pk, answer=answer)
