"""The refund estimate a customer sees before submitting, and keeps after.

When staff's verdict changes the money (a fault claim on an item also returnable
for a standard reason, or on a final-sale or personalized item), the estimate
shows both outcomes: if the fault is confirmed, and if it is not, with why they
differ. Both go through ``refund_for``, the one way a refund is
computed. The submit service stores the estimate with the request
(``ReturnRequest.estimate``) exactly as it was shown, so the return's page and
the staff request page show it until the refund replaces it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from returns.domain import policy
from returns.domain.money import format_money
from returns.selectors.policy_facts import Claim, refund_for

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

    def to_json(self) -> dict:
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
    def from_json(cls, data: dict | None) -> Estimate | None:
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


def _excluded(claim: Claim) -> bool:
    return claim.order_line.final_sale or claim.order_line.personalized


def _names(names: Sequence[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _why_different(
    order, claims: Sequence[Claim], confirmed: policy.RefundBreakdown, not_confirmed: policy.RefundBreakdown
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
    replaced = [c.order_line.name for c in claims if c.wants_replacement and not _excluded(c)]
    if replaced:
        reasons.append(f"{_names(replaced)} would be refunded, not replaced: a replacement needs a confirmed fault")
    if not_confirmed.deduction > confirmed.deduction:
        fee = format_money(not_confirmed.deduction - confirmed.deduction, order.currency)
        reasons.append(f"the free-shipping return fee ({fee}) then applies")
    if not_confirmed.shipping < confirmed.shipping:
        reasons.append("shipping is then not refunded")
    return ("because " + "; ".join(reasons)) if reasons else ""


def build(order, claims: Sequence[Claim], notes: Sequence[Note] = ()) -> Estimate:
    """The estimate for these claims. ``order`` with its lines prefetched keeps it at one query per outcome."""
    base = {"currency": order.currency, "payment_method": order.payment_method, "notes": tuple(notes)}
    if not claims:
        return Estimate(**base)
    replacements = tuple(c.order_line.name for c in claims if c.wants_replacement)
    try:
        confirmed = refund_for(
            order, [(c.order_line, c.quantity, c.is_fault) for c in claims if not c.wants_replacement]
        )
        if not any(c.is_fault for c in claims):
            outcome = Outcome(SINGLE, confirmed.total, _rows(confirmed))
            return Estimate(**base, outcomes=(outcome,), replacements=replacements)
        # No fault found: a standard item is refunded as a standard return, an excluded one not at all.
        not_confirmed = refund_for(
            order, [(c.order_line, c.quantity, False) for c in claims if not (c.is_fault and _excluded(c))]
        )
    except policy.PolicyError as exc:
        return Estimate(**base, problem=str(exc), replacements=replacements)
    because = _why_different(order, claims, confirmed, not_confirmed)
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
