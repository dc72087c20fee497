"""A return request from its submission to the parcel's arrival: submit, approve, reject, cancel,
record the shipment, receive, and reinstate an expired one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from returns.conf import auto_approve_mode, policy_config, risk_limits, store_today
from returns.domain import policy, risk, steps
from returns.domain.estimates import Estimate
from returns.domain.events import Event
from returns.domain.steps import ReturnFacts, Step
from returns.domain.vocabulary import AutoReview, Channel, Resolution
from returns.exceptions import NotAllowed, PolicyViolation
from returns.models import (
    DamagePhoto,
    Message,
    Order,
    OrderLine,
    PendingPhoto,
    ReturnLine,
    ReturnRequest,
)
from returns.roles import AUTOMATIC, PERM_GRANT_EXCEPTION, PERM_START_FOR_CUSTOMER, Actor, UserPermissions
from returns.selectors import estimates
from returns.selectors.policy_facts import Claim, line_facts
from returns.selectors.risk import risk_facts
from returns.services import photos
from returns.services.history import (
    S,
    hold_units,
    locked,
    move,
    record_note,
    record_step,
    release_units,
)


@dataclass(frozen=True)
class LineRequest:
    order_line_id: int
    quantity: int
    reason: str
    description: str
    condition_confirmed: bool = False
    preference: str = Resolution.REFUND
    # Uploaded and processed before the request is sent (``returns.services.photos``); attached here.
    photos: Sequence[PendingPhoto] = field(default_factory=tuple)
    # Staff with PERM_GRANT_EXCEPTION accepting the line although the window (R1) or an exclusion (R3) refuses it:
    # why, in their words. Empty: the policy applies as written.
    exception_reason: str = ""


def return_request_submit(
    *,
    order: Order,
    lines: Sequence[LineRequest],
    by: Actor = None,
    submission_key: str | None = None,
    today: date | None = None,
    auto_approve: bool = False,
    channel: str = Channel.PORTAL,
) -> ReturnRequest:
    """R1-R5, R7: check every requested line against the policy and open the request.

    ``channel`` EMAIL or PHONE: staff (``by``, with PERM_START_FOR_CUSTOMER) start it for a customer who
    wrote or called; the history says so, and the customer gets the same emails. A line's
    ``exception_reason`` asks for a goodwill exception (PERM_GRANT_EXCEPTION): R1 and R3 are set aside
    for it, kept on the line with who, when and why; R4 never is.

    A repeated ``submission_key`` (double click, reload) returns the request
    already made instead of making a second one. With ``auto_approve`` (the
    customer's form), ``returns.domain.risk`` decides whether it is approved at once,
    through ``return_request_approve``, in the same transaction; the decision and
    its rule are kept on the request for staff.
    """
    today = today or store_today()
    cfg = policy_config()
    if not lines:
        raise PolicyViolation(policy.NONE_CHOSEN, rule="R5")
    _check_on_behalf(by, channel, lines)
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
            pending = photos.pending_photos_lock([p.pk for req in lines for p in req.photos])
            problems: list[tuple[OrderLine | None, policy.Decision]] = []
            waived: dict[int, frozenset[str]] = {}
            seen: set[int] = set()
            for req in lines:
                ol = order_lines.get(req.order_line_id)
                if ol is None or req.order_line_id in seen:
                    problems.append((None, policy.Decision(False, "R5", "An item chosen is not on this order.")))
                    continue
                seen.add(ol.pk)
                found = [pending[p.pk] for p in req.photos if p.pk in pending]
                if len(found) < len(req.photos) or any(p.order_line_id != ol.pk for p in found):
                    problems.append((ol, policy.Decision(False, "R7", photos.PHOTO_EXPIRED)))
                counts = {k: sum(1 for p in found if p.kind == k) for k in DamagePhoto.Kind.values}
                facts = line_facts(ol)
                requested = policy.RequestedLine(
                    quantity=req.quantity,
                    reason=req.reason,
                    condition_confirmed=req.condition_confirmed,
                    issue_photos=counts[DamagePhoto.Kind.ISSUE],
                    packaging_photos=counts[DamagePhoto.Kind.PACKAGING],
                )
                if req.exception_reason.strip():
                    waived[ol.pk] = policy.waived_rules(
                        line=facts, requested=requested, delivered_on=order.delivered_on, today=today, cfg=cfg
                    )
                for decision in policy.check_requested_line(
                    line=facts,
                    requested=requested,
                    delivered_on=order.delivered_on,
                    today=today,
                    cfg=cfg,
                    waive=waived.get(ol.pk, frozenset()),
                ):
                    problems.append((ol, decision))
                if policy.description_required(req.reason) and not (req.description or "").strip():
                    problems.append((ol, policy.Decision(False, "R5", policy.DESCRIPTION_MISSING)))
            if problems:
                raise PolicyViolation(
                    "The return cannot be started: " + "; ".join(str(d) for _, d in problems),
                    problems=problems,
                )

            estimate = _estimate(order, lines, order_lines)
            request = ReturnRequest.objects.create(
                order=order,
                submitted_by=by,
                submission_key=submission_key,
                estimate=estimate.to_json(),
                channel=channel,
            )
            now = timezone.now()
            for req in lines:
                fault = policy.is_fault_reason(req.reason)
                rules = waived.get(req.order_line_id, frozenset())
                line = ReturnLine.objects.create(
                    exception_rules=",".join(sorted(rules)),
                    exception_reason=req.exception_reason.strip() if rules else "",
                    exception_by=by if rules else None,
                    exception_at=now if rules else None,
                    request=request,
                    order_line=order_lines[req.order_line_id],
                    quantity=req.quantity,
                    reason=req.reason,
                    description=req.description.strip(),
                    condition_confirmed=req.condition_confirmed and not fault,
                    preference=req.preference if fault else Resolution.REFUND,
                )
                photos.pending_photos_attach(line=line, photos=[pending[p.pk] for p in req.photos])
                hold_units(req.order_line_id, req.quantity)
            if channel != Channel.PORTAL:
                # The customer's email about this order (no return yet) is what staff are answering: it joins the
                # new return's thread, answered.
                Message.objects.filter(order=order, request__isnull=True, answered_at__isnull=True).update(
                    request=request, answered_at=now
                )
            review = _auto_review(request, today=today) if auto_approve else None
            record_step(
                request,
                by=by,
                event=Event.SUBMITTED,
                from_status="",
                to_status=S.SUBMITTED,
                note=_started_for_customer(by, channel),
                notify=not (review and review.approve),
            )
            if review and review.held:
                record_note(request, by=None, event=Event.HELD, note=review.message)
            if review and review.approve:
                request = return_request_approve(request=request, by=None, automatic=review.rule, today=today)
            return request
    except IntegrityError as exc:
        # Only reachable if something bypassed the order lock: the constraint holds R4.
        raise PolicyViolation("Those items are no longer available to return.", rule="R4") from exc


def _check_on_behalf(by: Actor, channel: str, lines: Sequence[LineRequest]) -> None:
    """Only staff who may start returns for customers use another channel; only those who may grant one ask for
    an exception, with its reason written."""
    perms = UserPermissions(by)
    if channel not in Channel.values:
        raise PolicyViolation("Choose how the customer asked: by email or by phone.")
    if channel != Channel.PORTAL and PERM_START_FOR_CUSTOMER not in perms:
        raise NotAllowed("You may not start returns for customers.")
    exceptions_asked = any(req.exception_reason.strip() for req in lines)
    if exceptions_asked and (channel == Channel.PORTAL or PERM_GRANT_EXCEPTION not in perms):
        raise NotAllowed("You may not grant exceptions to the return policy.")


def _started_for_customer(by: Actor, channel: str) -> str:
    """The history's note for a return staff started: "Started by Sam Lee for the customer, by email."."""
    if channel == Channel.PORTAL or by is None:
        return ""
    name = by.get_full_name() or by.get_username()
    return f"Started by {name} for the customer, by {channel}."


def _estimate(order: Order, lines: Sequence[LineRequest], order_lines: dict[int, OrderLine]) -> Estimate:
    """The refund estimate for the lines as submitted: what the customer saw on the form."""
    claims = [
        Claim(order_lines[r.order_line_id], r.quantity, r.reason, r.preference or Resolution.REFUND) for r in lines
    ]
    return estimates.build(order, claims)


def _auto_review(request: ReturnRequest, *, today: date) -> risk.AutoReview:
    """Ask ``returns.domain.risk`` about a request just made, and keep its answer on the request.

    The facts come from ``selectors.risk``, as the staff risk panel's do, so staff see the hold recorded here.
    """
    facts = risk_facts(request, today, order=request.order)
    review = risk.auto_review(facts, mode=auto_approve_mode(), limits=risk_limits())
    request.auto_review = (
        AutoReview.APPROVED if review.approve else AutoReview.HELD if review.held else AutoReview.STAFF
    )
    request.auto_review_rule = review.rule
    request.auto_review_note = review.message
    request.save(update_fields=["auto_review", "auto_review_rule", "auto_review_note", "updated_at"])
    return review


def return_request_approve(
    *,
    request: ReturnRequest,
    by: Actor,
    return_required: bool = True,
    note: str = "",
    today: date | None = None,
    automatic: str = "",
) -> ReturnRequest:
    """R5, R6, R9: approve; the ship-by day is set only when the item must come back.

    ``automatic`` names the rule that let ``returns.domain.risk`` approve it with no person
    (``by`` is then None): the same step, history and email as a staff approval.
    """
    if automatic:
        if by is not None:
            raise NotAllowed("An automatic approval is made by no one.")
        note = note or "Approved automatically."
    perms = AUTOMATIC if automatic else UserPermissions(by)
    steps.may(Step.APPROVE, perms).or_raise()
    today = today or store_today()
    with transaction.atomic():
        request = locked(request)
        steps.can_approve(ReturnFacts.of(request), perms).or_raise()
        request.return_required = return_required
        request.approved_on = today
        request.ship_by = policy.ship_by_date(today, policy_config()) if return_required else None
        move(
            request,
            S.APPROVED,
            by=by,
            event=Event.APPROVED,
            note=note.strip(),
            fields=["return_required", "approved_on", "ship_by"],
        )
    return request


def return_request_reject(*, request: ReturnRequest, by: Actor, reason: str) -> ReturnRequest:
    perms = UserPermissions(by)
    steps.may(Step.REJECT, perms).or_raise()
    reason = (reason or "").strip()
    if not reason:
        raise PolicyViolation("Write the reason for the rejection; the customer will read it.", rule="R5")
    with transaction.atomic():
        request = locked(request)
        steps.can_reject(ReturnFacts.of(request), perms).or_raise()
        request.rejection_reason = reason
        move(request, S.REJECTED, by=by, event=Event.REJECTED, note=reason, fields=["rejection_reason"])
        release_units(request)
    return request


def return_request_cancel(*, request: ReturnRequest, by: Actor) -> ReturnRequest:
    """The customer (or staff for them) withdraws a request that has not shipped."""
    with transaction.atomic():
        request = locked(request)
        steps.can_cancel(ReturnFacts.of(request)).or_raise()
        move(request, S.CANCELLED, by=by, event=Event.CANCELLED)
        release_units(request)
    return request


def return_request_record_shipment(
    *, request: ReturnRequest, by: Actor, carrier: str, tracking_number: str
) -> ReturnRequest:
    """R6: the customer records how the parcel travels; recording again corrects it."""
    carrier, tracking_number = (carrier or "").strip(), (tracking_number or "").strip()
    if not carrier or not tracking_number:
        raise PolicyViolation("Enter both the carrier and the tracking number.", rule="R6")
    with transaction.atomic():
        request = locked(request)
        steps.can_record_shipment(ReturnFacts.of(request)).or_raise()
        request.carrier, request.tracking_number = carrier[:60], tracking_number[:80]
        note = f"{request.carrier} {request.tracking_number}"
        if request.status == S.SHIPPED:
            request.save(update_fields=["carrier", "tracking_number", "updated_at"])
            record_step(
                request, by=by, event=Event.TRACKING_UPDATED, from_status=S.SHIPPED, to_status=S.SHIPPED, note=note
            )
        else:
            move(request, S.SHIPPED, by=by, event=Event.SHIPPED, note=note, fields=["carrier", "tracking_number"])
    return request


def return_request_receive(*, request: ReturnRequest, by: Actor, note: str = "") -> ReturnRequest:
    perms = UserPermissions(by)
    steps.may(Step.RECEIVE, perms).or_raise()
    with transaction.atomic():
        request = locked(request)
        steps.can_receive(ReturnFacts.of(request), perms).or_raise()
        move(request, S.RECEIVED, by=by, event=Event.RECEIVED, note=note.strip())
    return request


def return_request_reinstate(
    *, request: ReturnRequest, by: Actor, note: str, today: date | None = None
) -> ReturnRequest:
    """Staff give an expired request a new ship-by day; its units are held again (R4)."""
    perms = UserPermissions(by)
    steps.may(Step.REINSTATE, perms).or_raise()
    note = (note or "").strip()
    if not note:
        raise PolicyViolation("Write a note saying why the return is reinstated.", rule="R6")
    today = today or store_today()
    try:
        with transaction.atomic():
            request = locked(request)
            steps.can_reinstate(ReturnFacts.of(request), perms).or_raise()
            Order.objects.select_for_update().filter(pk=request.order_id).first()
            for line in request.lines.all():
                hold_units(line.order_line_id, line.quantity)
            request.ship_by = policy.ship_by_date(today, policy_config())
            request.reminder_sent_on = None
            move(request, S.APPROVED, by=by, event=Event.REINSTATED, note=note, fields=["ship_by", "reminder_sent_on"])
    except IntegrityError as exc:
        raise PolicyViolation(
            "Some of these items are now in another return request, so this one cannot be reinstated.", rule="R4"
        ) from exc
    return request
