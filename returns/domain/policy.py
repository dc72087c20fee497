"""The store's Return & Refund Policy as pure rules (docs/rules.md, R1-R13).

Plain data in, decisions out. Nothing here touches the database or Django
settings, so every boundary can be tested fast and exhaustively. Each decision
names its rule and carries a sentence a customer can read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from returns.domain.money import format_money

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# Reasons. The values are stored in the database (ReturnLine.reason).
DAMAGED = "damaged"
DEFECTIVE = "defective"
WRONG_ITEM = "wrong_item"
CHANGED_MIND = "changed_mind"
WRONG_SIZE = "wrong_size"
NOT_AS_DESCRIBED = "not_as_described"
OTHER = "other"

REASON_LABELS = {
    DAMAGED: "Damaged on arrival",
    DEFECTIVE: "Defective or faulty",
    WRONG_ITEM: "Wrong item sent",
    CHANGED_MIND: "Changed my mind",
    WRONG_SIZE: "Wrong size or fit",
    NOT_AS_DESCRIBED: "Not as described or expected",
    OTHER: "Other",
}
FAULT_REASONS = frozenset({DAMAGED, DEFECTIVE, WRONG_ITEM})
# R7: these claims must show the issue and the packaging.
PHOTO_REQUIRED_REASONS = frozenset({DAMAGED, DEFECTIVE})


def day(value: date, *, year: bool = True) -> str:
    """A date as customers read it, "Nov 29, 2026" (portable: no platform-specific strftime flags)."""
    return f"{value:%b} {value.day}, {value.year}" if year else f"{value:%b} {value.day}"


def is_fault_reason(reason: str) -> bool:
    return reason in FAULT_REASONS


def money(value: Decimal) -> Decimal:
    """Round to cents, half-up (docs/rules.md R10)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class PolicyConfig:
    """The policy's numbers. Defaults are the published policy's."""

    return_window_days: int = 28
    ship_by_days: int = 28
    ship_by_reminder_days: int = 7
    free_shipping_return_fee: Decimal = Decimal("9.99")
    refund_business_days_min: int = 5
    refund_business_days_max: int = 10


@dataclass(frozen=True)
class Decision:
    """One rule's verdict: ``ok`` or not, which rule, and why in plain words."""

    ok: bool
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.message} ({self.rule})"


# --- R1 the window --------------------------------------------------------


def last_return_day(delivered_on: date, cfg: PolicyConfig) -> date:
    """Delivered on 1 Nov with a 28-day window -> 29 Nov is the last day."""
    return delivered_on + timedelta(days=cfg.return_window_days)


def check_window(*, delivered_on: date | None, today: date, cfg: PolicyConfig) -> Decision:
    if delivered_on is None:
        return Decision(
            False,
            "R1",
            "We have no delivery date for this order yet, so a return cannot be started. "
            "If it has arrived, please contact support.",
        )
    last = last_return_day(delivered_on, cfg)
    if today < delivered_on:
        return Decision(False, "R1", f"This order is due on {day(delivered_on)}; returns open on delivery.")
    if today > last:
        return Decision(
            False,
            "R1",
            f"The {cfg.return_window_days}-day return window closed on {day(last)}.",
        )
    left = (last - today).days
    when = "today is the last day" if left == 0 else f"{left} day{'s' if left != 1 else ''} left"
    return Decision(True, "R1", f"Returnable until {day(last)} ({when}).")


# --- R2-R4, R7 a line -----------------------------------------------------


@dataclass(frozen=True)
class LineFacts:
    """An order line as bought, and how much of it active requests already hold."""

    quantity: int
    final_sale: bool = False
    personalized: bool = False
    already_requested: int = 0


@dataclass(frozen=True)
class LineEligibility:
    """What the customer may still do with one order line."""

    window: Decision
    exclusion: Decision | None  # R3, when the line is final sale or personalized
    returnable_quantity: int
    standard_allowed: bool
    fault_allowed: bool
    last_day: date | None
    days_left: int | None

    @property
    def can_return(self) -> bool:
        return self.returnable_quantity > 0 and (self.standard_allowed or self.fault_allowed)

    @property
    def reasons(self) -> list[Decision]:
        """Every decision behind the verdict, for the customer and staff to read."""
        out = [self.window]
        if self.exclusion:
            out.append(self.exclusion)
        out.append(self.quantity_decision)
        return out

    @property
    def quantity_decision(self) -> Decision:
        if self.returnable_quantity > 0:
            return Decision(True, "R4", f"{self.returnable_quantity} can still be returned.")
        return Decision(False, "R4", "Every unit of this item is already in a return request.")

    @property
    def summary(self) -> Decision:
        """The one sentence to show next to the line."""
        if not self.window.ok:
            return self.window
        if self.returnable_quantity <= 0:
            return self.quantity_decision
        if self.exclusion:
            return Decision(True, "R3", f"{self.exclusion.message} {self.window.message}")
        return self.window


def exclusion_decision(line: LineFacts) -> Decision | None:
    kind = "Personalized" if line.personalized else "Final-sale" if line.final_sale else None
    if kind is None:
        return None
    return Decision(
        False,
        "R3",
        f"{kind} items can be returned only if they arrived damaged, defective or not what you ordered.",
    )


# A goodwill exception may set these aside for a line (customer service with the permission, a reason written);
# R4, the units left, never.
WAIVABLE_RULES = frozenset({"R1", "R3"})
EXCEPTION_WORDS = "Accepted as an exception"


def line_eligibility(
    *, line: LineFacts, delivered_on: date | None, today: date, cfg: PolicyConfig, waive: frozenset[str] = frozenset()
) -> LineEligibility:
    """What may be done with a line; ``waive`` (of ``WAIVABLE_RULES``): as if those rules let it through."""
    window = check_window(delivered_on=delivered_on, today=today, cfg=cfg)
    if "R1" in waive and not window.ok:
        window = Decision(True, "R1", f"{window.message} Only a goodwill exception can accept it.")
    exclusion = None if "R3" in waive else exclusion_decision(line)
    remaining = max(0, line.quantity - line.already_requested)
    last = last_return_day(delivered_on, cfg) if delivered_on else None
    return LineEligibility(
        window=window,
        exclusion=exclusion,
        returnable_quantity=remaining if window.ok else 0,
        standard_allowed=window.ok and exclusion is None,
        fault_allowed=window.ok,
        last_day=last,
        days_left=(last - today).days if window.ok and last else None,
    )


@dataclass(frozen=True)
class RequestedLine:
    """What the customer asks for one line."""

    quantity: int
    reason: str
    condition_confirmed: bool = False
    issue_photos: int = 0
    packaging_photos: int = 0


# R5: what every requested line needs, worded once for the service, the form and the page's script.
NONE_CHOSEN = "Choose at least one item to return."
REASON_MISSING = "Choose a reason for returning this item."
DESCRIPTION_MISSING = "Tell us briefly what is wrong with it."


def description_required(reason: str) -> bool:
    """R5 (§3 asks for "a brief description of the reason"): for a standard reason the reason chosen is that
    description, so the words are optional; a damage, fault or wrong-item claim says what is wrong, beside its
    photos (R7)."""
    return is_fault_reason(reason)


CONDITION_NOT_CONFIRMED = (
    "Please confirm the item is in its original condition and packaging, with all labels, manuals and accessories."
)


def only_left_message(remaining: int) -> str:
    """R4: more asked than can still be returned (the form's script shows the same words)."""
    if remaining <= 0:
        return "Every unit of this item is already in a return request."
    return f"Only {remaining} of this item can still be returned."


def check_requested_line(
    *,
    line: LineFacts,
    requested: RequestedLine,
    delivered_on: date | None,
    today: date,
    cfg: PolicyConfig,
    waive: frozenset[str] = frozenset(),
) -> list[Decision]:
    """Every rule the request for one line breaks; an empty list means it may go ahead.

    ``waive``: the rules a goodwill exception sets aside (only those in ``WAIVABLE_RULES`` count).
    """
    problems = _line_problems(line=line, requested=requested, delivered_on=delivered_on, today=today, cfg=cfg)
    waived = waive & WAIVABLE_RULES
    return [p for p in problems if p.rule not in waived]


def waived_rules(
    *, line: LineFacts, requested: RequestedLine, delivered_on: date | None, today: date, cfg: PolicyConfig
) -> frozenset[str]:
    """The rules an exception would set aside for this line: those it breaks that may be waived."""
    problems = _line_problems(line=line, requested=requested, delivered_on=delivered_on, today=today, cfg=cfg)
    return frozenset(p.rule for p in problems if p.rule in WAIVABLE_RULES)


def _line_problems(
    *, line: LineFacts, requested: RequestedLine, delivered_on: date | None, today: date, cfg: PolicyConfig
) -> list[Decision]:
    problems: list[Decision] = []
    if requested.reason not in REASON_LABELS:
        return [Decision(False, "R5", REASON_MISSING)]
    window = check_window(delivered_on=delivered_on, today=today, cfg=cfg)
    if not window.ok:
        problems.append(window)
    fault = is_fault_reason(requested.reason)
    exclusion = exclusion_decision(line)
    if exclusion and not fault:
        problems.append(exclusion)
    if not fault and not requested.condition_confirmed:
        problems.append(Decision(False, "R2", CONDITION_NOT_CONFIRMED))
    remaining = line.quantity - line.already_requested
    if requested.quantity < 1:
        problems.append(Decision(False, "R4", NONE_CHOSEN))
    elif requested.quantity > remaining:
        problems.append(Decision(False, "R4", only_left_message(remaining)))
    if requested.reason in PHOTO_REQUIRED_REASONS:
        if requested.issue_photos < 1:
            problems.append(Decision(False, "R7", "Add at least one photo that shows the damage or fault."))
        if requested.packaging_photos < 1:
            problems.append(Decision(False, "R7", "Add at least one photo of the packaging it arrived in."))
    return problems


# --- R6 ship-by -----------------------------------------------------------


def ship_by_date(approved_on: date, cfg: PolicyConfig) -> date:
    return approved_on + timedelta(days=cfg.ship_by_days)


def ship_by_reminder_date(ship_by: date, cfg: PolicyConfig) -> date:
    return ship_by - timedelta(days=cfg.ship_by_reminder_days)


def is_ship_by_overdue(ship_by: date, today: date) -> bool:
    """The ship-by day itself is still on time; the day after is late."""
    return today > ship_by


# --- R10 the refund -------------------------------------------------------


@dataclass(frozen=True)
class OrderMoney:
    """What the customer paid for the order."""

    merchandise: Decimal  # sum of quantity x unit price over every line
    tax: Decimal  # sum of quantity x unit tax over every line
    shipping_charged: Decimal
    free_shipping: bool
    currency: str = "USD"

    @property
    def paid(self) -> Decimal:
        return self.merchandise + self.tax + self.shipping_charged


@dataclass(frozen=True)
class PriorRefunds:
    """What earlier refunds on the same order already gave back or took."""

    total: Decimal = ZERO
    shipping: Decimal = ZERO
    fault_merchandise: Decimal = ZERO  # merchandise of fault-confirmed lines already refunded
    deduction: Decimal = ZERO


@dataclass(frozen=True)
class AcceptedLine:
    """An accepted line of a request, to be refunded, with staff's fault verdict."""

    label: str
    quantity: int
    unit_price: Decimal
    unit_tax: Decimal
    fault_confirmed: bool
    exception: frozenset[str] = frozenset()  # the rules a goodwill exception set aside for it (R1, R3)


@dataclass(frozen=True)
class BreakdownLine:
    label: str
    amount: Decimal
    rule: str
    explanation: str


@dataclass(frozen=True)
class RefundBreakdown:
    merchandise: Decimal
    tax: Decimal
    shipping: Decimal
    deduction: Decimal
    fault_merchandise: Decimal
    lines: tuple[BreakdownLine, ...] = field(default_factory=tuple)

    @property
    def total(self) -> Decimal:
        return self.merchandise + self.tax + self.shipping - self.deduction


_SET_ASIDE = {"R1": "the return window", "R3": "the final-sale and personalized exclusion"}


def exception_words(rules: frozenset[str] | str) -> str:
    """ " Accepted as an exception to the return window." for a line a goodwill exception let through; "" otherwise."""
    rules = frozenset(r for r in (rules.split(",") if isinstance(rules, str) else rules) if r in _SET_ASIDE)
    if not rules:
        return ""
    return f" {EXCEPTION_WORDS} to {' and '.join(_SET_ASIDE[r] for r in sorted(rules))}."


class PolicyError(Exception):
    """The data given would break an invariant of the policy."""


def compute_refund(
    *, order: OrderMoney, accepted: Sequence[AcceptedLine], prior: PriorRefunds, cfg: PolicyConfig
) -> RefundBreakdown:
    """R10: merchandise + tax + shipping refund - free-shipping deduction, line by line."""
    rows: list[BreakdownLine] = []

    def cash(value: Decimal) -> str:
        return format_money(value, order.currency)

    merchandise = tax = fault_merch = standard_value = ZERO
    for line in accepted:
        if line.quantity < 1:
            raise PolicyError("An accepted line needs a positive quantity.")
        line_merch = money(line.quantity * line.unit_price)
        line_tax = money(line.quantity * line.unit_tax)
        merchandise += line_merch
        tax += line_tax
        if line.fault_confirmed:
            fault_merch += line_merch
        else:
            standard_value += line_merch + line_tax
        rows.append(
            BreakdownLine(
                f"{line.label} × {line.quantity}",
                line_merch,
                "R10",
                f"{line.quantity} × {cash(line.unit_price)} paid per item.{exception_words(line.exception)}",
            )
        )
        if line_tax:
            rows.append(
                BreakdownLine(
                    f"Tax on {line.label} × {line.quantity}",
                    line_tax,
                    "R10",
                    f"{line.quantity} × {cash(line.unit_tax)} tax paid per item.",
                )
            )

    shipping = ZERO
    remaining_shipping = max(ZERO, order.shipping_charged - prior.shipping)
    if fault_merch > ZERO and remaining_shipping > ZERO:
        # Computed on the cumulative fault-confirmed merchandise, so partial
        # fault returns of a whole order add up to exactly the charge.
        if order.merchandise > ZERO:
            due = money(order.shipping_charged * (prior.fault_merchandise + fault_merch) / order.merchandise)
        else:
            due = order.shipping_charged
        shipping = max(ZERO, min(due - prior.shipping, remaining_shipping))
        if shipping:
            rows.append(
                BreakdownLine(
                    "Shipping refund",
                    shipping,
                    "R10",
                    "Shipping is refunded for items with a confirmed fault, in proportion to their "
                    f"share of the order ({cash(fault_merch)} of {cash(order.merchandise)}).",
                )
            )
    if fault_merch > ZERO and standard_value > ZERO and order.shipping_charged > ZERO:
        rows.append(
            BreakdownLine(
                "Shipping for the other items",
                ZERO,
                "R10",
                "Shipping is not refunded for items returned for a standard reason (not faulty, damaged or wrong).",
            )
        )
    if merchandise > ZERO and order.shipping_charged > ZERO and fault_merch == ZERO:
        rows.append(
            BreakdownLine(
                "Shipping charges",
                ZERO,
                "R10",
                "Shipping charges are not refunded unless an item is faulty, damaged or sent incorrectly.",
            )
        )

    deduction = ZERO
    fee_left = max(ZERO, cfg.free_shipping_return_fee - prior.deduction)
    if order.free_shipping and standard_value > ZERO and fee_left > ZERO:
        deduction = min(fee_left, standard_value)
        capped = " (never more than the items it applies to)" if deduction < fee_left else ""
        rows.append(
            BreakdownLine(
                "Free-shipping return fee",
                -deduction,
                "R10",
                f"The order shipped free, so a flat {cash(cfg.free_shipping_return_fee)} is deducted once per order "
                f"to cover the original shipping{capped}.",
            )
        )

    breakdown = RefundBreakdown(
        merchandise=merchandise,
        tax=tax,
        shipping=shipping,
        deduction=deduction,
        fault_merchandise=fault_merch,
        lines=tuple(rows),
    )
    if prior.total + breakdown.total > order.paid:
        raise PolicyError(
            f"Refunds on this order would total {cash(prior.total + breakdown.total)}, "
            f"more than the {cash(order.paid)} paid."
        )
    return breakdown


# --- R11 when the money arrives -------------------------------------------


def add_business_days(start: date, days: int) -> date:
    """``days`` Monday-to-Friday days after ``start`` (``start`` itself not counted)."""
    current = start
    added = 0
    while added < days:
        current += timedelta(days=1)
        if current.weekday() < 5:
            added += 1
    return current


def expected_refund_dates(issued_on: date, cfg: PolicyConfig) -> tuple[date, date]:
    return (
        add_business_days(issued_on, cfg.refund_business_days_min),
        add_business_days(issued_on, cfg.refund_business_days_max),
    )
