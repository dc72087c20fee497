"""Every write and every status change of a return.

Each service is keyword-only, runs in one transaction, locks what it changes,
checks the transition table, writes a history row and leaves side effects
(email) to run after commit. Views, forms, the admin and commands only call these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from . import estimates, policy, risk, selectors
from .conf import policy_config, store_today
from .exceptions import AlreadyDone, InvalidTransition, NotAllowed, PolicyViolation
from .models import (
    AutoReview,
    DamagePhoto,
    Order,
    OrderLine,
    PendingPhoto,
    Refund,
    Resolution,
    ReturnLine,
    ReturnRequest,
    StatusChange,
)
from .money import format_money
from .notifications import notification_record
from .policy import day
from .transitions import check_transition
from .wording import inspection_outcome

S = ReturnRequest.Status

# Permissions (granted to the staff groups by a migration; superusers have all).
PERM_REVIEW = "returns.review_returnrequest"
PERM_RECEIVE = "returns.receive_returnrequest"
PERM_INSPECT = "returns.inspect_returnrequest"
PERM_REINSTATE = "returns.reinstate_returnrequest"
PERM_ISSUE_REFUND = "returns.issue_refund"
PERM_REPLACEMENT = "returns.arrange_replacement"


def _require(user, perm: str, doing: str) -> None:
    if user is None or not user.is_active or not user.has_perm(perm):
        raise NotAllowed(f"Your role does not allow you to {doing}.")


def _record(
    request: ReturnRequest,
    *,
    by,
    event: str,
    from_status: str,
    to_status: str,
    note: str = "",
    today: date | None = None,
    notify: bool = True,
) -> StatusChange:
    """The history row for a step; the customer is told of every status change (R13).

    ``notify=False`` only where the next step, in the same transaction, sends the email
    that tells of both (a request approved as it is submitted).
    """
    change = StatusChange.objects.create(
        request=request, by=by, event=event, from_status=from_status, to_status=to_status, note=note
    )
    if notify:
        notification_record(request=request, change=change, today=today)
    return change


def _record_note(request: ReturnRequest, *, by, event: str, note: str, today: date | None = None) -> StatusChange:
    """The history row for a step that leaves the status as it is (a refund sent, failed, a reminder)."""
    return _record(
        request, by=by, event=event, from_status=request.status, to_status=request.status, note=note, today=today
    )


def _move(request: ReturnRequest, target: str, *, by, event: str, note: str = "", fields: Sequence[str] = ()) -> None:
    check_transition(request, target)
    previous = request.status
    request.status = target
    request.save(update_fields=["status", "updated_at", *fields])
    _record(request, by=by, event=event, from_status=previous, to_status=target, note=note)


def _locked(request: ReturnRequest) -> ReturnRequest:
    return ReturnRequest.objects.select_for_update().get(pk=request.pk)


def _release_units(request: ReturnRequest) -> None:
    """R4: a rejected, cancelled or expired request gives its units back."""
    for line in request.lines.all():
        OrderLine.objects.filter(pk=line.order_line_id).update(
            quantity_in_returns=F("quantity_in_returns") - line.quantity
        )


def _hold_units(order_line_id: int, quantity: int) -> None:
    """R4: take units; the database refuses more than were bought."""
    OrderLine.objects.filter(pk=order_line_id).update(quantity_in_returns=F("quantity_in_returns") + quantity)


# --- submit ---------------------------------------------------------------


@dataclass(frozen=True)
class LineRequest:
    order_line_id: int
    quantity: int
    reason: str
    description: str
    condition_confirmed: bool = False
    preference: str = Resolution.REFUND
    # Uploaded and processed before the request is sent (``returns.photos``); attached here.
    photos: Sequence[PendingPhoto] = field(default_factory=tuple)


def return_request_submit(
    *,
    order: Order,
    lines: Sequence[LineRequest],
    by=None,
    submission_key: str | None = None,
    today: date | None = None,
    auto_approve: bool = False,
) -> ReturnRequest:
    """R1-R5, R7: check every requested line against the policy and open the request.

    A repeated ``submission_key`` (double click, reload) returns the request
    already made instead of making a second one. With ``auto_approve`` (the
    customer's form), ``returns.risk`` decides whether it is approved at once,
    through ``return_request_approve``, in the same transaction; the decision and
    its rule are kept on the request for staff.
    """
    today = today or store_today()
    cfg = policy_config()
    if not lines:
        raise PolicyViolation("Choose at least one item to return.", rule="R5")
    try:
        with transaction.atomic():
            # Locking the order queues concurrent submissions for it (R4).
            order = Order.objects.select_for_update().get(pk=order.pk)
            if submission_key:
                existing = ReturnRequest.objects.filter(submission_key=submission_key).first()
                if existing is not None:
                    if existing.order_id != order.pk:
                        raise PolicyViolation("This form was already used for another order. Please start again.")
                    return existing
            order_lines = {ol.pk: ol for ol in order.lines.all()}
            pending = _lock_pending_photos(lines)
            problems: list[tuple[OrderLine | None, policy.Decision]] = []
            seen: set[int] = set()
            for req in lines:
                ol = order_lines.get(req.order_line_id)
                if ol is None or req.order_line_id in seen:
                    problems.append((None, policy.Decision(False, "R5", "An item chosen is not on this order.")))
                    continue
                seen.add(ol.pk)
                photos = [pending[p.pk] for p in req.photos if p.pk in pending]
                if len(photos) < len(req.photos) or any(p.order_line_id != ol.pk for p in photos):
                    problems.append((ol, policy.Decision(False, "R7", PHOTO_EXPIRED)))
                counts = {k: sum(1 for p in photos if p.kind == k) for k in DamagePhoto.Kind.values}
                for decision in policy.check_requested_line(
                    line=selectors.line_facts(ol),
                    requested=policy.RequestedLine(
                        quantity=req.quantity,
                        reason=req.reason,
                        condition_confirmed=req.condition_confirmed,
                        issue_photos=counts[DamagePhoto.Kind.ISSUE],
                        packaging_photos=counts[DamagePhoto.Kind.PACKAGING],
                    ),
                    delivered_on=order.delivered_on,
                    today=today,
                    cfg=cfg,
                ):
                    problems.append((ol, decision))
                if not (req.description or "").strip():
                    problems.append((ol, policy.Decision(False, "R5", "Tell us briefly why you are returning it.")))
            if problems:
                raise PolicyViolation(
                    "The return cannot be started: " + "; ".join(str(d) for _, d in problems),
                    problems=problems,
                )

            estimate = _estimate(order, lines, order_lines)
            request = ReturnRequest.objects.create(
                order=order, submitted_by=by, submission_key=submission_key, estimate=estimate.to_json()
            )
            for req in lines:
                fault = policy.is_fault_reason(req.reason)
                line = ReturnLine.objects.create(
                    request=request,
                    order_line=order_lines[req.order_line_id],
                    quantity=req.quantity,
                    reason=req.reason,
                    description=req.description.strip(),
                    condition_confirmed=req.condition_confirmed and not fault,
                    preference=req.preference if fault else Resolution.REFUND,
                )
                _attach_photos(line, [pending[p.pk] for p in req.photos])
                _hold_units(req.order_line_id, req.quantity)
            review = _auto_review(request, estimate=estimate, today=today) if auto_approve else None
            _record(
                request,
                by=by,
                event="submitted",
                from_status="",
                to_status=S.SUBMITTED,
                notify=not (review and review.approve),
            )
            if review and review.approve:
                request = return_request_approve(request=request, by=None, automatic=review.rule, today=today)
            return request
    except IntegrityError as exc:
        # Only reachable if something bypassed the order lock: the constraint holds R4.
        raise PolicyViolation("Those items are no longer available to return.", rule="R4") from exc


PHOTO_EXPIRED = "A photo added earlier has expired or was removed; please add it again."


def _lock_pending_photos(lines: Sequence[LineRequest]) -> dict[int, PendingPhoto]:
    """The pending photos the request names that still exist and have not expired, locked until commit."""
    ids = [p.pk for req in lines for p in req.photos]
    if not ids:
        return {}
    cutoff = timezone.now() - timedelta(seconds=settings.PENDING_PHOTO_MAX_AGE)
    rows = PendingPhoto.objects.select_for_update().filter(pk__in=ids, created_at__gte=cutoff)
    return {p.pk: p for p in rows}


def _attach_photos(line: ReturnLine, photos: Sequence[PendingPhoto]) -> None:
    """Pending photos become the line's photos. Their files are already stored: nothing is written to storage
    here, so a rollback leaves the pending rows (and their files) as they were."""
    for photo in photos:
        DamagePhoto.objects.create(
            line=line,
            kind=photo.kind,
            image=photo.image.name,
            thumbnail=photo.thumbnail.name,
            width=photo.width,
            height=photo.height,
            original_name=photo.original_name[:255],
        )
    PendingPhoto.objects.filter(pk__in=[p.pk for p in photos]).delete()


def _estimate(order: Order, lines: Sequence[LineRequest], order_lines: dict[int, OrderLine]) -> estimates.Estimate:
    """The refund estimate for the lines as submitted: what the customer saw on the form."""
    claims = [
        selectors.Claim(order_lines[r.order_line_id], r.quantity, r.reason, r.preference or Resolution.REFUND)
        for r in lines
    ]
    return estimates.build(order, claims)


def _auto_review(request: ReturnRequest, *, estimate: estimates.Estimate, today: date) -> risk.AutoReview:
    """Ask ``returns.risk`` about a request just made, and keep its answer on the request."""
    # The most the request could refund: if every fault is confirmed (or, when unknown, all that was paid).
    highest = estimate.highest if estimate.outcomes else selectors.order_money(request.order).paid
    review = risk.auto_review(risk.risk_facts(request=request, estimated_refund=highest, today=today))
    request.auto_review = (
        AutoReview.APPROVED if review.approve else AutoReview.HELD if review.held else AutoReview.STAFF
    )
    request.auto_review_rule = review.rule
    request.auto_review_note = review.message
    request.save(update_fields=["auto_review", "auto_review_rule", "auto_review_note", "updated_at"])
    return review


# --- review -----------------------------------------------------------------


def return_request_approve(
    *,
    request: ReturnRequest,
    by,
    return_required: bool = True,
    note: str = "",
    today: date | None = None,
    automatic: str = "",
) -> ReturnRequest:
    """R5, R6, R9: approve; the ship-by day is set only when the item must come back.

    ``automatic`` names the rule that let ``returns.risk`` approve it with no person
    (``by`` is then None): the same step, history and email as a staff approval.
    """
    if automatic:
        if by is not None:
            raise NotAllowed("An automatic approval is made by no one.")
        note = note or "Approved automatically."
    else:
        _require(by, PERM_REVIEW, "approve returns")
    today = today or store_today()
    with transaction.atomic():
        request = _locked(request)
        check_transition(request, S.APPROVED)
        # The table also allows expired -> approved; that move is reinstating, a service of its own.
        if request.status != S.SUBMITTED:
            raise InvalidTransition(f"{request.rma} is not waiting for review.")
        request.return_required = return_required
        request.approved_on = today
        request.ship_by = policy.ship_by_date(today, policy_config()) if return_required else None
        _move(
            request,
            S.APPROVED,
            by=by,
            event="approved",
            note=note.strip(),
            fields=["return_required", "approved_on", "ship_by"],
        )
    return request


def return_request_reject(*, request: ReturnRequest, by, reason: str) -> ReturnRequest:
    _require(by, PERM_REVIEW, "reject returns")
    reason = (reason or "").strip()
    if not reason:
        raise PolicyViolation("Write the reason for the rejection; the customer will read it.", rule="R5")
    with transaction.atomic():
        request = _locked(request)
        request.rejection_reason = reason
        _move(request, S.REJECTED, by=by, event="rejected", note=reason, fields=["rejection_reason"])
        _release_units(request)
    return request


def return_request_cancel(*, request: ReturnRequest, by) -> ReturnRequest:
    """The customer (or staff for them) withdraws a request that has not shipped."""
    with transaction.atomic():
        request = _locked(request)
        if request.status not in (S.SUBMITTED, S.APPROVED):
            raise InvalidTransition(
                f"{request.rma} can no longer be cancelled: it is {request.get_status_display().lower()}."
            )
        _move(request, S.CANCELLED, by=by, event="cancelled")
        _release_units(request)
    return request


# --- shipping and receiving -----------------------------------------------


def return_request_record_shipment(*, request: ReturnRequest, by, carrier: str, tracking_number: str) -> ReturnRequest:
    """R6: the customer records how the parcel travels; recording again corrects it."""
    carrier, tracking_number = (carrier or "").strip(), (tracking_number or "").strip()
    if not carrier or not tracking_number:
        raise PolicyViolation("Enter both the carrier and the tracking number.", rule="R6")
    with transaction.atomic():
        request = _locked(request)
        if request.status == S.APPROVED and not request.return_required:
            raise InvalidTransition(f"{request.rma} does not need to be sent back.")
        request.carrier, request.tracking_number = carrier[:60], tracking_number[:80]
        note = f"{request.carrier} {request.tracking_number}"
        if request.status == S.SHIPPED:
            request.save(update_fields=["carrier", "tracking_number", "updated_at"])
            _record(request, by=by, event="tracking_updated", from_status=S.SHIPPED, to_status=S.SHIPPED, note=note)
        else:
            _move(request, S.SHIPPED, by=by, event="shipped", note=note, fields=["carrier", "tracking_number"])
    return request


def return_request_receive(*, request: ReturnRequest, by, note: str = "") -> ReturnRequest:
    _require(by, PERM_RECEIVE, "receive parcels")
    with transaction.atomic():
        request = _locked(request)
        if request.status == S.RECEIVED:
            raise AlreadyDone(f"{request.rma} was already received.")
        if request.status == S.APPROVED and request.return_required is False:
            raise InvalidTransition(f"{request.rma} was approved without sending the item back: inspect it instead.")
        _move(request, S.RECEIVED, by=by, event="received", note=note.strip())
    return request


# --- inspection and the refund ----------------------------------------------


@dataclass(frozen=True)
class LineVerdict:
    accepted: bool
    fault_confirmed: bool = False
    replace: bool = False  # R9: a replacement is available and the customer asked for one
    note: str = ""


def refund_preview(
    request: ReturnRequest, accepted: Sequence[tuple[ReturnLine, LineVerdict]]
) -> policy.RefundBreakdown:
    """R10 for a set of verdicts, without writing anything (staff see it before confirming)."""
    return selectors.refund_for(
        request.order,
        [(rl.order_line, rl.quantity, v.fault_confirmed) for rl, v in accepted if v.accepted and not v.replace],
        exclude_request_id=request.pk,
    )


def verdict_problems(line: ReturnLine, verdict: LineVerdict) -> list[policy.Decision]:
    """R2, R3, R9: what is wrong with staff's verdict on one line (empty when it may be recorded)."""
    problems = []
    name = line.order_line.name
    if verdict.replace and not (verdict.accepted and verdict.fault_confirmed):
        problems.append(policy.Decision(False, "R9", f"{name}: a replacement needs an accepted, confirmed fault."))
    if verdict.replace and line.preference != Resolution.REPLACEMENT:
        problems.append(policy.Decision(False, "R9", f"{name}: the customer asked for a refund, not a replacement."))
    excluded = line.order_line.final_sale or line.order_line.personalized
    if excluded and verdict.accepted and not verdict.fault_confirmed:
        problems.append(
            policy.Decision(
                False, "R3", f"{name} is final sale or personalized: accept it only with a confirmed fault."
            )
        )
    if not verdict.accepted and not verdict.note.strip():
        problems.append(policy.Decision(False, "R2", f"{name}: say why it is not accepted; the customer will read it."))
    return problems


def return_request_inspect(
    *, request: ReturnRequest, by, verdicts: dict[int, LineVerdict], today: date | None = None
) -> ReturnRequest:
    """R2, R3, R9, R10: record staff's verdict on every line and compute the refund.

    The refund is stored with its breakdown, pending until customer service
    issues it. Staff's fault verdict, not the customer's claim, decides it.
    """
    today = today or store_today()
    with transaction.atomic():
        request = _locked(request)
        if request.status == S.APPROVED and request.return_required:
            raise InvalidTransition(f"{request.rma} must be received before it is inspected.")
        if request.status == S.APPROVED:
            _require(by, PERM_REVIEW, "inspect returns that are not sent back")
        else:
            _require(by, PERM_INSPECT, "inspect returns")
        check_transition(request, S.INSPECTED)
        # The order lock serialises refunds of one order (the once-per-order fee, shipping share).
        Order.objects.select_for_update().filter(pk=request.order_id).first()
        lines = list(request.lines.select_related("order_line", "request__order"))
        missing = [rl.order_line.name for rl in lines if rl.pk not in verdicts]
        if missing:
            raise PolicyViolation("Give a verdict for every item: " + ", ".join(missing) + ".")
        problems = [d for rl in lines for d in verdict_problems(rl, verdicts[rl.pk])]
        if problems:
            raise PolicyViolation("; ".join(str(d) for d in problems), problems=problems)

        now = timezone.now()
        for rl in lines:
            v = verdicts[rl.pk]
            rl.inspected_at = now
            rl.accepted = v.accepted
            rl.fault_confirmed = v.fault_confirmed if v.accepted else bool(v.fault_confirmed)
            rl.inspection_note = v.note.strip()
            if not v.accepted:
                rl.resolution = ""
            else:
                rl.resolution = Resolution.REPLACEMENT if v.replace else Resolution.REFUND
            rl.replacement_status = ReturnLine.ReplacementStatus.PENDING if v.replace else ""
            rl.save(
                update_fields=[
                    "inspected_at",
                    "accepted",
                    "fault_confirmed",
                    "inspection_note",
                    "resolution",
                    "replacement_status",
                ]
            )

        pairs = [(rl, verdicts[rl.pk]) for rl in lines]
        refund = None
        if any(v.accepted and not v.replace for _, v in pairs):
            breakdown = refund_preview(request, pairs)
            refund = Refund.objects.create(
                request=request,
                order=request.order,
                currency=request.order.currency,
                merchandise=breakdown.merchandise,
                tax=breakdown.tax,
                shipping=breakdown.shipping,
                deduction=breakdown.deduction,
                total=breakdown.total,
                fault_merchandise=breakdown.fault_merchandise,
                breakdown=[
                    {"label": b.label, "amount": str(b.amount), "rule": b.rule, "explanation": b.explanation}
                    for b in breakdown.lines
                ],
                payment_method=request.order.payment_method,
            )
            if refund.total == 0:
                # Nothing to pay (the fee took it all): recorded as settled at once.
                refund.state = Refund.State.ISSUED
                refund.issued_on = today
                refund.reference = "nothing to pay"
                refund.save(update_fields=["state", "issued_on", "reference", "updated_at"])

        note = inspection_outcome(pairs)
        if refund is not None:
            note += f" Refund: {format_money(refund.total, refund.currency)}."
        _move(request, S.INSPECTED, by=by, event="inspected", note=note)
        _close_if_settled(request, by=by)
        if refund is not None and refund.state == Refund.State.PENDING and settings.AUTO_REFUND:
            from .refunds import refund_send, refund_uses_provider

            if refund_uses_provider(refund):
                refund_send(refund=refund, by=None, today=today)
    return request


def _close_if_settled(request: ReturnRequest, *, by) -> None:
    """INSPECTED -> REFUNDED/COMPLETED once no refund and no replacement is outstanding."""
    if request.status != S.INSPECTED:
        return
    if request.lines.filter(replacement_status=ReturnLine.ReplacementStatus.PENDING).exists():
        return
    refund = Refund.objects.filter(request=request).first()
    if refund is not None and refund.state != Refund.State.ISSUED:
        return
    if refund is not None and refund.total > 0:
        _move(
            request, S.REFUNDED, by=by, event="closed", note=f"Refunded {format_money(refund.total, refund.currency)}."
        )
    else:
        _move(request, S.COMPLETED, by=by, event="closed")


def refund_issue(*, refund: Refund, by, reference: str = "", today: date | None = None) -> Refund:
    """R11, R12: pay the refund, once, whatever the number of clicks or staff.

    With a refund provider (``REFUND_PROVIDER``) and a payment reference on the
    order, the provider pays it (``returns.refunds``); otherwise staff paid it by
    hand and give the processor's reference.
    """
    from .refunds import refund_send, refund_uses_provider

    _require(by, PERM_ISSUE_REFUND, "issue refunds")
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
        request = _locked(refund.request)
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
    _record_note(
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
    _close_if_settled(request, by=by)


def refund_mark_failed(*, refund: Refund, by, reason: str) -> Refund:
    _require(by, PERM_ISSUE_REFUND, "manage refunds")
    reason = (reason or "").strip()
    if not reason:
        raise PolicyViolation("Say why the refund failed.")
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if refund.state != Refund.State.PENDING:
            raise InvalidTransition(
                f"Only a refund waiting to be issued can fail; this one is {refund.get_state_display().lower()}."
            )
        request = _locked(refund.request)
        refund.state = Refund.State.FAILED
        refund.failure_reason = reason
        refund.save(update_fields=["state", "failure_reason", "updated_at"])
        _record_note(request, by=by, event="refund_failed", note=reason)
    return refund


def replacement_send(*, line: ReturnLine, by, note: str = "") -> ReturnLine:
    """R9: the replacement for one line is on its way."""
    _require(by, PERM_REPLACEMENT, "arrange replacements")
    with transaction.atomic():
        request = _locked(line.request)
        line = ReturnLine.objects.select_for_update().select_related("order_line").get(pk=line.pk)
        if line.replacement_status == ReturnLine.ReplacementStatus.SENT:
            raise AlreadyDone(f"The replacement for {line.order_line.name} was already sent.")
        if line.replacement_status != ReturnLine.ReplacementStatus.PENDING:
            raise InvalidTransition(f"No replacement is due for {line.order_line.name}.")
        line.replacement_status = ReturnLine.ReplacementStatus.SENT
        line.save(update_fields=["replacement_status"])
        text = f"Replacement for {line.order_line.name} × {line.quantity} sent. {note.strip()}".strip()
        _record_note(request, by=by, event="replacement_sent", note=text)
        _close_if_settled(request, by=by)
    return line


# --- deadlines (R6) ---------------------------------------------------------


def return_request_send_reminder(*, request: ReturnRequest, today: date | None = None) -> bool:
    """Remind once, in the reminder window, that the ship-by day is near. True if reminded now."""
    today = today or store_today()
    cfg = policy_config()
    with transaction.atomic():
        request = _locked(request)
        if (
            request.status != S.APPROVED
            or not request.ship_by
            or request.reminder_sent_on is not None
            or not (policy.ship_by_reminder_date(request.ship_by, cfg) <= today <= request.ship_by)
        ):
            return False
        request.reminder_sent_on = today
        request.save(update_fields=["reminder_sent_on", "updated_at"])
        _record_note(
            request,
            by=None,
            event="ship_by_reminder",
            note=f"Please ship by {day(request.ship_by)}.",
            today=today,
        )
    return True


def return_request_expire(*, request: ReturnRequest, today: date | None = None) -> bool:
    """Expire an approved request not shipped by its ship-by day. True if expired now."""
    today = today or store_today()
    with transaction.atomic():
        request = _locked(request)
        if request.status != S.APPROVED or not request.ship_by or not policy.is_ship_by_overdue(request.ship_by, today):
            return False
        _move(
            request,
            S.EXPIRED,
            by=None,
            event="expired",
            note=f"Not shipped by {day(request.ship_by)}.",
        )
        _release_units(request)
    return True


def return_request_reinstate(*, request: ReturnRequest, by, note: str, today: date | None = None) -> ReturnRequest:
    """Staff give an expired request a new ship-by day; its units are held again (R4)."""
    _require(by, PERM_REINSTATE, "reinstate returns")
    note = (note or "").strip()
    if not note:
        raise PolicyViolation("Write a note saying why the return is reinstated.", rule="R6")
    today = today or store_today()
    try:
        with transaction.atomic():
            request = _locked(request)
            check_transition(request, S.APPROVED)
            if request.status != S.EXPIRED:
                raise InvalidTransition(f"{request.rma} has not expired.")
            Order.objects.select_for_update().filter(pk=request.order_id).first()
            for line in request.lines.all():
                _hold_units(line.order_line_id, line.quantity)
            request.ship_by = policy.ship_by_date(today, policy_config())
            request.reminder_sent_on = None
            _move(request, S.APPROVED, by=by, event="reinstated", note=note, fields=["ship_by", "reminder_sent_on"])
    except IntegrityError as exc:
        raise PolicyViolation(
            "Some of these items are now in another return request, so this one cannot be reinstated.", rule="R4"
        ) from exc
    return request
