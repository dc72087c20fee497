"""The refund estimate a customer sees before submitting, and keeps after: its shape, its
wording, and how two refund outcomes become one estimate. Pure: the refunds themselves are
computed by ``returns.selectors.estimates.build`` (through ``refund_for``, the one way a refund
is computed), which hands them here.

When staff's verdict changes the money (a fault claim on an item also returnable for a standard
reason, or on a final-sale or personalized item), the estimate shows both outcomes: if the fault
is confirmed, and if it is not, with why they differ. The submit service stores the estimate with
the request (``ReturnRequest.estimate``) exactly as it was shown, so the return's page and the
staff request page show it until the refund replaces it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from returns.domain import policy
from returns.domain.money import format_money


class ClaimedLine(Protocol):
    name: str
    final_sale: bool
    personalized: bool


class ClaimFacts(Protocol):
    """One line as the customer is about to ask for it (``returns.selectors.policy_facts.Claim``)."""

    order_line: ClaimedLine
    quantity: int

    @property
    def is_fault(self) -> bool: ...

    @property
    def wants_replacement(self) -> bool: ...


SINGLE, CONFIRMED, NOT_CONFIRMED = "single", "confirmed", "not_confirmed"
TITLES = {
    SINGLE: "Estimated refund",
    CONFIRMED: "If we confirm the fault",
    NOT_CONFIRMED: "If we find no fault",
}


@dataclass(frozen=True)
class Row:
    label: str
    amount: Decimal
    rule: str
    explanation: str


@dataclass(frozen=True)
class Outcome:
    key: str
    total: Decimal
    rows: tuple[Row, ...] = ()
    because: str = ""  # why this outcome differs from the first, in plain words

    @property
    def title(self) -> str:
        return TITLES.get(self.key, "Estimated refund")


@dataclass(frozen=True)
class Note:
    """A ticked line the estimate leaves out, and why (over the quantity left, no reason yet...)."""

    name: str
    message: str
    rule: str = ""


@dataclass(frozen=True)
class Estimate:
    currency: str
    payment_method: str
    outcomes: tuple[Outcome, ...] = ()
    replacements: tuple[str, ...] = ()  # items the customer asked to replace: not in the refund
    notes: tuple[Note, ...] = ()
    problem: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.outcomes or self.notes or self.problem or self.replacements)

    @property
    def two_outcomes(self) -> bool:
        return len(self.outcomes) > 1

    @property
    def highest(self) -> Decimal:
        return max((o.total for o in self.outcomes), default=policy.ZERO)

    def to_json(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "payment_method": self.payment_method,
            "outcomes": [
                {
                    "key": o.key,
                    "total": str(o.total),
                    "because": o.because,
                    "rows": [
                        {"label": r.label, "amount": str(r.amount), "rule": r.rule, "explanation": r.explanation}
                        for r in o.rows
                    ],
                }
                for o in self.outcomes
            ],
            "replacements": list(self.replacements),
            "notes": [{"name": n.name, "message": n.message, "rule": n.rule} for n in self.notes],
            "problem": self.problem,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Estimate | None:
        """The stored estimate, or None for a request made before estimates were kept."""
        if not data:
            return None
        return cls(
            currency=data.get("currency", "USD"),
            payment_method=data.get("payment_method", ""),
            outcomes=tuple(
                Outcome(
                    key=o.get("key", SINGLE),
                    total=Decimal(o["total"]),
                    because=o.get("because", ""),
                    rows=tuple(
                        Row(r["label"], Decimal(r["amount"]), r.get("rule", ""), r.get("explanation", ""))
                        for r in o.get("rows", [])
                    ),
                )
                for o in data.get("outcomes", [])
            ),
            replacements=tuple(data.get("replacements", [])),
            notes=tuple(Note(n["name"], n["message"], n.get("rule", "")) for n in data.get("notes", [])),
            problem=data.get("problem", ""),
        )


def _rows(breakdown: policy.RefundBreakdown) -> tuple[Row, ...]:
    return tuple(Row(b.label, b.amount, b.rule, b.explanation) for b in breakdown.lines)


def excluded_unless_fault(claim: ClaimFacts) -> bool:
    """A final-sale or personalized item: refunded only for a confirmed fault (R3)."""
    return claim.order_line.final_sale or claim.order_line.personalized


def _names(names: Sequence[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _why_different(
    currency: str,
    claims: Sequence[ClaimFacts],
    confirmed: policy.RefundBreakdown,
    not_confirmed: policy.RefundBreakdown,
) -> str:
    reasons = []
    final = [c.order_line.name for c in claims if c.is_fault and c.order_line.final_sale]
    personal = [
        c.order_line.name for c in claims if c.is_fault and c.order_line.personalized and c.order_line.name not in final
    ]
    if final:
        reasons.append(f"final-sale items ({_names(final)}) are refunded only for a confirmed fault")
    if personal:
        reasons.append(f"personalized items ({_names(personal)}) are refunded only for a confirmed fault")
    replaced = [c.order_line.name for c in claims if c.wants_replacement and not excluded_unless_fault(c)]
    if replaced:
        reasons.append(f"{_names(replaced)} would be refunded, not replaced: a replacement needs a confirmed fault")
    if not_confirmed.deduction > confirmed.deduction:
        fee = format_money(not_confirmed.deduction - confirmed.deduction, currency)
        reasons.append(f"the free-shipping return fee ({fee}) then applies")
    if not_confirmed.shipping < confirmed.shipping:
        reasons.append("shipping is then not refunded")
    return ("because " + "; ".join(reasons)) if reasons else ""


def from_outcomes(
    *,
    currency: str,
    payment_method: str,
    claims: Sequence[ClaimFacts],
    confirmed: policy.RefundBreakdown | None = None,
    not_confirmed: policy.RefundBreakdown | None = None,
    notes: Sequence[Note] = (),
    problem: str = "",
) -> Estimate:
    """The estimate for these claims, given the refund if every fault is confirmed and, when a fault is
    claimed, the refund if none is (``None`` when no fault is claimed)."""
    base: dict[str, Any] = {"currency": currency, "payment_method": payment_method, "notes": tuple(notes)}
    replacements = tuple(c.order_line.name for c in claims if c.wants_replacement)
    if problem:
        return Estimate(**base, problem=problem, replacements=replacements)
    if confirmed is None:
        return Estimate(**base)
    if not_confirmed is None:
        outcome = Outcome(SINGLE, confirmed.total, _rows(confirmed))
        return Estimate(**base, outcomes=(outcome,), replacements=replacements)
    because = _why_different(currency, claims, confirmed, not_confirmed)
    if not because and not_confirmed.total == confirmed.total:
        outcome = Outcome(SINGLE, confirmed.total, _rows(confirmed))
        return Estimate(**base, outcomes=(outcome,), replacements=replacements)
    return Estimate(
        **base,
        outcomes=(
            Outcome(CONFIRMED, confirmed.total, _rows(confirmed)),
            Outcome(NOT_CONFIRMED, not_confirmed.total, _rows(not_confirmed), because=because),
        ),
        replacements=replacements,
    )
