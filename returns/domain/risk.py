"""When a return may be approved at once, and the risk rules that hold it for staff instead.

``AUTO_APPROVE`` says which requests may be approved without a person: ``off`` none,
``standard`` those whose lines all have standard reasons (the default), ``all`` fault
claims too (the submit service has already checked they carry the required photos).

The risk rules are in one place, which auto-approval calls and the staff desk's risk panel shows:
each rule looks at ``RiskFacts`` and may return a ``Hold`` naming itself. The first
hold wins; a held request waits for staff, who see which rule held it.

* ``AUTO_APPROVE_MAX_REFUND``: the refund the request could reach;
* ``AUTO_APPROVE_MAX_RETURNS_90_DAYS``: requests from the same email in 90 days;
* the block list (``BlockedEmail``, kept by customer service in the admin).

Every rule of the policy (R1-R7) was checked by the submit service before any of
this runs: these rules only decide who approves, never whether it may be asked.

Pure: the facts (``returns.selectors.risk.risk_facts``), the limits and the mode
(``returns.conf``) are passed in, so submission and the staff panel judge the same facts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from returns.domain import policy
from returns.domain.money import format_money

OFF, STANDARD, ALL = "off", "standard", "all"
AUTO_APPROVE_MODES = (OFF, STANDARD, ALL)

# Rule IDs, as staff see them next to a held request.
MAX_REFUND = "max_refund"
MAX_RETURNS_90_DAYS = "returns_90_days"
BLOCKED_EMAIL = "blocked_email"
RULE_LABELS = {
    MAX_REFUND: "Refund above the limit for automatic approval",
    MAX_RETURNS_90_DAYS: "Many returns from this email in 90 days",
    BLOCKED_EMAIL: "Email on the block list",
}
# The setting behind each rule, shown to staff as a small secondary label, never as the words of a sentence.
RULE_SETTINGS = {
    MAX_REFUND: "AUTO_APPROVE_MAX_REFUND",
    MAX_RETURNS_90_DAYS: "AUTO_APPROVE_MAX_RETURNS_90_DAYS",
    BLOCKED_EMAIL: "block list",
}


@dataclass(frozen=True)
class RiskFacts:
    """What the risk rules look at for one new request."""

    email: str
    currency: str
    estimated_refund: Decimal  # what the request would refund if inspection confirms every claim
    returns_90_days: int  # requests from this email in the last 90 days, this one included
    reasons: tuple[str, ...]  # each line's reason
    blocked: bool = False  # the email is on the block list
    blocked_reason: str = ""  # what customer service wrote there, if anything


@dataclass(frozen=True)
class Limits:
    max_refund: Decimal
    max_returns_90_days: int


@dataclass(frozen=True)
class Hold:
    """A risk rule that keeps a request for staff: which one, and why (for staff)."""

    rule: str
    message: str

    @property
    def label(self) -> str:
        return RULE_LABELS.get(self.rule, self.rule)


@dataclass(frozen=True)
class AutoReview:
    """What happens to a new request: approved at once, or left for staff, and the rule that decided."""

    approve: bool
    rule: str
    message: str
    held: bool = False  # a risk rule (not the AUTO_APPROVE mode) kept it for staff


def _max_refund(facts: RiskFacts, limits: Limits) -> Hold | None:
    if facts.estimated_refund > limits.max_refund:
        return Hold(
            MAX_REFUND,
            f"The refund could reach {format_money(facts.estimated_refund, facts.currency)}, above the "
            f"{format_money(limits.max_refund, facts.currency)} limit for automatic approval.",
        )
    return None


def _max_returns_90_days(facts: RiskFacts, limits: Limits) -> Hold | None:
    if facts.returns_90_days > limits.max_returns_90_days:
        return Hold(
            MAX_RETURNS_90_DAYS,
            f"{facts.returns_90_days} return requests from {facts.email} in the last 90 days "
            f"(automatic approval allows {limits.max_returns_90_days}).",
        )
    return None


def _blocked_email(facts: RiskFacts, limits: Limits) -> Hold | None:
    if facts.blocked:
        why = f": {facts.blocked_reason}" if facts.blocked_reason else "."
        return Hold(BLOCKED_EMAIL, f"{facts.email} is on the block list{why}")
    return None


RiskRule = Callable[[RiskFacts, Limits], "Hold | None"]
# In the order staff read them; the first that holds is recorded.
RULES: list[RiskRule] = [_blocked_email, _max_refund, _max_returns_90_days]


def holds(facts: RiskFacts, *, limits: Limits, rules: Sequence[RiskRule] | None = None) -> list[Hold]:
    """Every risk rule that holds this request for staff (empty: no risk rule objects)."""
    return [hold for rule in (RULES if rules is None else rules) if (hold := rule(facts, limits)) is not None]


def mode_allows(mode: str, reasons: Sequence[str]) -> bool:
    """Whether ``AUTO_APPROVE`` lets requests with these reasons be approved without a person."""
    if mode == ALL:
        return True
    if mode == STANDARD:
        return not any(policy.is_fault_reason(r) for r in reasons)
    return False


def auto_review(facts: RiskFacts, *, mode: str, limits: Limits) -> AutoReview:
    if not mode_allows(mode, facts.reasons):
        if mode == OFF:
            return AutoReview(False, "AUTO_APPROVE=off", "Every request is reviewed by staff (AUTO_APPROVE=off).")
        return AutoReview(False, f"AUTO_APPROVE={mode}", f"Fault claims are reviewed by staff (AUTO_APPROVE={mode}).")
    found = holds(facts, limits=limits)
    if found:
        return AutoReview(False, found[0].rule, found[0].message, held=True)
    what = "standard reasons" if mode == STANDARD else "reasons the rules allow"
    return AutoReview(
        True, f"AUTO_APPROVE={mode}", f"Approved automatically: {what}, every policy and risk rule passed."
    )


def review_outcome(*, outcome: str, rule: str, limits: Limits, currency: str) -> str:
    """What the risk rules decided at submission and why, in staff's words: "Held: refund above $200.00
    (limit)", "Waiting for review because automatic approval is off". ``outcome`` and ``rule`` are what the
    request stored (``AutoReview``; a risk rule's id or ``AUTO_APPROVE=<mode>``)."""
    if outcome == "held":
        if rule == MAX_REFUND:
            return f"Held: refund above {format_money(limits.max_refund, currency)} (limit)"
        if rule == MAX_RETURNS_90_DAYS:
            return f"Held: more than {limits.max_returns_90_days} returns from this email in 90 days (limit)"
        if rule == BLOCKED_EMAIL:
            return "Held: the email is on the block list"
        return "Held by a risk rule"
    mode = rule.partition("=")[2]
    if outcome == "staff":
        if mode == OFF:
            return "Waiting for review because automatic approval is off"
        return "Waiting for review because fault claims are reviewed by staff"
    if outcome == "approved":
        return "Approved automatically: every policy and risk rule passed"
    return "Waiting for review"
