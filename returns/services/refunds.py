"""Refunds paid through the configured provider (``REFUND_PROVIDER``), exactly once.

The states, as the provider reports them:

  pending     computed at inspection, not sent yet (or paid by hand: ``refund_issue``)
  processing  sent, or being sent: the provider has not said yes or no yet. The worker
              (``returns.outbox.refunds``) sends it, retries with backoff while the
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
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from returns.domain import steps
from returns.domain.events import Event
from returns.domain.money import format_money
from returns.domain.steps import RefundFacts, Step
from returns.exceptions import PolicyViolation
from returns.integrations import ProviderRefund, refund_provider
from returns.models import Order, Refund
from returns.outbox.refunds import idempotency_key, refund_detail, refunds_process_due
from returns.roles import AUTOMATIC, Actor, UserPermissions
from returns.services.history import locked, record_note
from returns.services.refund_outcomes import refund_apply_answer, refund_mark_issued

log = logging.getLogger(__name__)


def refund_issue(*, refund: Refund, by: Actor, reference: str = "", today: date | None = None) -> Refund:
    """R11, R12: pay the refund, once, whatever the number of clicks or staff.

    With a refund provider (``REFUND_PROVIDER``) and a payment reference on the
    order, the provider pays it (``returns.outbox.refunds``); otherwise staff paid it by
    hand and give the processor's reference.
    """
    perms = UserPermissions(by)
    steps.may(Step.ISSUE_REFUND, perms).or_raise()
    if refund_uses_provider(refund):
        return refund_send(refund=refund, by=by, today=today)
    reference = (reference or "").strip()
    if not reference:
        why = provider_cannot_pay(refund.order) if refund.total > 0 else ""
        raise PolicyViolation(
            f"{why + ' ' if why else ''}Enter the payment processor's reference for this refund.", rule="R11"
        )
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        steps.can_issue_refund(RefundFacts.of(refund), perms).or_raise()
        request = locked(refund.request)
        refund_mark_issued(refund, request, by=by, reference=reference, today=today)
    return refund


def refund_mark_failed(*, refund: Refund, by: Actor, reason: str) -> Refund:
    perms = UserPermissions(by)
    steps.may(Step.MARK_REFUND_FAILED, perms).or_raise()
    reason = (reason or "").strip()
    if not reason:
        raise PolicyViolation("Say why the refund failed.")
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        steps.can_mark_refund_failed(RefundFacts.of(refund), perms).or_raise()
        request = locked(refund.request)
        refund.state = Refund.State.FAILED
        refund.failure_reason = reason
        refund.save(update_fields=["state", "failure_reason", "updated_at"])
        record_note(request, by=by, event=Event.REFUND_FAILED, note=reason)
    return refund


def refund_uses_provider(refund: Refund) -> bool:
    """Whether this refund is paid by the provider (else by hand, with a pasted reference)."""
    return pays_through_provider(refund.order, refund.total)


def pays_through_provider(order: Order, total: Decimal) -> bool:
    """Whether a refund of ``total`` on ``order`` would be paid by the provider: asked before the refund
    exists too (the inspection's preview offers the payment with the confirmation)."""
    provider = refund_provider()
    return provider.automatic and bool(provider.payment_reference_of(order)) and total > 0


def provider_cannot_pay(order: Order) -> str:
    """Why the configured provider cannot pay a refund on ``order``, for staff ("" when it can, or when refunds
    are paid by hand here anyway)."""
    provider = refund_provider()
    return provider.why_not_payable(order) if provider.automatic else ""


def refund_payment_reference(refund: Refund) -> str:
    """The payment the provider refunds this refund through (a PaymentIntent, Shopify's order id), for staff."""
    return refund_provider(refund.provider or None).payment_reference_of(refund.order)


def automatic_provider_label() -> str:
    """The provider that pays refunds ("Stripe"), or "" when staff pay them by hand."""
    provider = refund_provider()
    return provider.label if provider.automatic else ""


def provider_paying(order: Order, total: Decimal) -> str:
    """Who would pay a refund of ``total`` on ``order``, for staff: the provider's label, or "" (by hand)."""
    return refund_provider().label if pays_through_provider(order, total) else ""


def refund_provider_label(refund: Refund) -> str:
    """Who pays this refund, for staff: "Stripe", or "" when staff pay it by hand."""
    if refund.provider:
        return refund_provider(refund.provider).label
    if refund.state != Refund.State.ISSUED and refund_uses_provider(refund):
        return refund_provider().label
    return ""


def refund_send(*, refund: Refund, by: Actor, today: date | None = None) -> Refund:
    """Hand the refund to the provider: once, whatever the number of clicks or staff.

    The call itself happens after commit (``refunds_process_due``), so no lock is
    held while the provider thinks; the returned row says how it went. ``by`` None is
    the inspection's own send (AUTO_REFUND); a person's role was asked by ``refund_issue``.
    """
    provider = refund_provider()
    perms = AUTOMATIC if by is None else UserPermissions(by)
    with transaction.atomic():
        refund = Refund.objects.select_for_update().select_related("order").get(pk=refund.pk)
        steps.can_issue_refund(RefundFacts.of(refund), perms, provider=provider.label).or_raise()
        payment = provider.payment_reference_of(refund.order)
        if not payment:
            raise PolicyViolation(provider.why_not_payable(refund.order))
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
            event=Event.REFUND_SENT,
            note=(f"{format_money(refund.total, refund.currency)} sent to {provider.label} ({payment})."),
            today=today,
        )
        pk = refund.pk
        # The click's own request makes the first call, after commit, with short timeouts (STRIPE_CLICK_TIMEOUT).
        transaction.on_commit(lambda: refunds_process_due(ids=[pk], interactive=True))
    return Refund.objects.select_related("request", "order").get(pk=pk)


def refund_provider_event(*, answer: ProviderRefund) -> Refund | None:
    """A provider's webhook about one of its refunds: apply it to ours, if it is ours and current."""
    refund = _ours(answer)
    if refund is None:
        log.info("Provider event about refund %s, which is not ours (or not current): ignored.", answer.id)
        return None
    return refund_apply_answer(refund_id=refund.pk, answer=answer)


WAITING = (Refund.State.PENDING, Refund.State.PROCESSING, Refund.State.FAILED)


def refund_reconcile(*, order: Order, answer: ProviderRefund) -> tuple[Refund | None, str]:
    """A refund made inside the store's platform for ``order`` (Shopify's ``refunds/create``), matched, never doubled.

    Ours (its reference, or our key in its note) is applied as the provider's answer. One made by hand in
    Shopify's admin for exactly the lines (and quantities) of a refund waiting here is that refund: issued
    with Shopify's reference, so nobody pays it again. Returns the refund it applied to, or None and why not.
    """
    ours = _ours(answer)
    if ours is not None:
        return refund_apply_answer(refund_id=ours.pk, answer=answer), ""
    if answer.key:
        return None, "It carries our key for a refund that is not waiting for it (an earlier round): nothing changed."
    if answer.status != "succeeded":
        return None, f"The refund is {answer.status} in Shopify; it is matched once it succeeds (mark it issued then)."
    wanted = dict(answer.lines)
    with transaction.atomic():
        # The refunds' row locks: a click sending one of them waits, then finds it issued (R12).
        for refund in Refund.objects.select_for_update().filter(order=order, state__in=WAITING).order_by("id"):
            if _line_quantities(refund) != wanted:
                continue
            request = locked(refund.request)
            refund_mark_issued(
                refund,
                request,
                by=None,
                reference=answer.id,
                how="refunded in Shopify's admin (matched by its items; not paid again here)",
            )
            return refund, ""
    return None, "No refund waiting here is for exactly these items of the order: nothing changed."


def _line_quantities(refund: Refund) -> dict[str, int]:
    """{Shopify line item id: units} of what the refund pays for; {} if a line has no Shopify id."""
    quantities: dict[str, int] = {}
    for line in refund_detail(refund).lines:  # the lines the provider is sent, read the one way
        if not line.line_id:
            return {}
        quantities[line.line_id] = quantities.get(line.line_id, 0) + line.quantity
    return quantities


def _ours(answer: ProviderRefund) -> Refund | None:
    """The refund here a provider's refund is (its reference, or this round's key), or None."""
    refund = Refund.objects.filter(reference=answer.id).exclude(reference="").first()
    if refund is None and answer.our_refund_id is not None:
        candidate = Refund.objects.select_related("request").filter(pk=answer.our_refund_id).first()
        # Only this round's refund: a late event about an earlier, failed round changes nothing.
        if candidate is not None and not candidate.reference and answer.key == idempotency_key(candidate):
            refund = candidate
    return refund
