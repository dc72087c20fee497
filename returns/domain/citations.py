"""Citations of the store's own policy text, for customers.

Customers read the store's Return & Refund Policy, whose sections are numbered
1-8; they never see the portal's rule IDs (R1-R13), which stay with staff and
the code. Each rule maps to the section it implements, and each section has an
anchor on the policy page. Pure: no Django.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    number: int
    anchor: str
    title: str

    @property
    def short(self) -> str:
        """``§5``"""
        return f"§{self.number}"

    @property
    def words(self) -> str:
        """``policy §5, Refund processing``"""
        return f"policy §{self.number}, {self.title}"


SECTIONS = {
    1: Section(1, "conditions", "Return conditions"),
    2: Section(2, "exclusions", "Items not eligible for returns"),
    3: Section(3, "initiate", "How to start a return"),
    4: Section(4, "shipping", "Return shipping"),
    5: Section(5, "refunds", "Refund processing"),
    6: Section(6, "exchanges", "Exchanges"),
    7: Section(7, "damaged", "Damaged or defective items"),
    8: Section(8, "help", "Need help?"),
}

# Which section of the store's text each rule implements (the rules document says the same).
RULE_SECTIONS = {
    "R1": 1,
    "R2": 1,
    "R3": 2,
    "R4": 1,
    "R5": 3,
    "R6": 4,
    "R7": 7,
    "R8": 6,
    "R9": 7,
    "R10": 5,
    "R11": 5,
    "R12": 5,
    "R13": 8,
}

RULE_IN_BRACKETS = re.compile(r"\s*\((R\d{1,2})\)")


def section_for(rule: str | None) -> Section | None:
    number = RULE_SECTIONS.get(str(rule or "").upper())
    return SECTIONS.get(number) if number else None


def customer_words(text: str) -> str:
    """Every ``(R4)`` in a sentence becomes ``(policy §1)``; a rule with no section is dropped."""

    def swap(match: re.Match[str]) -> str:
        section = section_for(match.group(1))
        return f" (policy {section.short})" if section else ""

    return RULE_IN_BRACKETS.sub(swap, str(text))
