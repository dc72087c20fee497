"""R2, R3, R9, R10: staff's verdict on each line of a received parcel, and the refund it leaves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from returns.conf import store_today
from returns.domain import policy, steps
from returns.domain.events import Event
from returns.domain.money import format_money
from returns.domain.steps import ReturnFacts
from returns.domain.vocabulary import Resolution, Restock
from returns.domain.wording import inspection_outcome
from returns.exceptions import PolicyViolation
from returns.models import (
    Order,
    Refund,
    ReturnLine,
    ReturnRequest,
)
from returns.roles import Actor, UserPermissions
from returns.selectors.policy_facts import refund_for
from returns.services.history import S, close_if_settled, locked, move
from returns.services.refunds import refund_send, refund_uses_provider


@dataclass(frozen=True)
class LineVerdict:
    accepted: bool
    fault_confirmed: bool = False
    replace: bool = False  # R9: a replacement is available and the customer asked for one
    note: str = ""
    restock: bool | None = None  # back on the shelf; None: as the verdict suggests (a confirmed fault is not)

    @property
    def restocked(self) -> bool:
        """Whether an accepted item goes back on the shelf: staff's choice, else not when damaged or faulty."""
        return Restock.goes_back(self.restock, fault_confirmed=self.fault_confirmed)


def refund_preview(
    request: ReturnRequest, accepted: Sequence[tuple[ReturnLine, LineVerdict]]
) -> policy.RefundBreakdown:
    """R10 for a set of verdicts, without writing anything (staff see it before confirming)."""
    return refund_for(
        request.order,
        [(rl.order_line, rl.quantity, v.fault_confirmed) for rl, v in accepted if v.accepted and not v.replace],
        exclude_request_id=request.pk,
        exceptions={rl.order_line_id: rl.exception_rules for rl, _ in accepted if rl.exception_rules},
    )


def verdict_problems(line: ReturnLine, verdict: LineVerdict) -> list[policy.Decision]:
    """R2, R3, R9: what is wrong with staff's verdict on one line (empty when it may be recorded)."""
    problems = []
    name = line.order_line.name
    if verdict.replace and not (verdict.accepted and verdict.fault_confirmed):
        problems.append(policy.Decision(False, "R9", f"{name}: a replacement needs an accepted, confirmed fault."))
    if verdict.replace and line.preference != Resolution.REPLACEMENT:
        problems.append(policy.Decision(False, "R9", f"{name}: the customer asked for a refund, not a replacement."))
    # A goodwill exception to R3 lets the line be accepted like any other.
    excluded = (line.order_line.final_sale or line.order_line.personalized) and "R3" not in line.exception_rules
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
    *, request: ReturnRequest, by: Actor, verdicts: dict[int, LineVerdict], today: date | None = None
) -> ReturnRequest:
    """R2, R3, R9, R10: record staff's verdict on every line and compute the refund.

    The refund is stored with its breakdown, pending until customer service
    issues it. Staff's fault verdict, not the customer's claim, decides it.
    """
    today = today or store_today()
    with transaction.atomic():
        request = locked(request)
        # Who may inspect depends on the status (R9), so the whole check waits for the lock.
        steps.can_inspect(ReturnFacts.of(request), UserPermissions(by)).or_raise()
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
            rl.restock = "" if not v.accepted else Restock.RESTOCK if v.restocked else Restock.NO_RESTOCK
            rl.save(
                update_fields=[
                    "restock",
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
        move(request, S.INSPECTED, by=by, event=Event.INSPECTED, note=note)
        close_if_settled(request, by=by)
        pending = refund is not None and refund.state == Refund.State.PENDING
        if refund is not None and pending and settings.AUTO_REFUND and refund_uses_provider(refund):
            refund_send(refund=refund, by=None, today=today)
    return request
