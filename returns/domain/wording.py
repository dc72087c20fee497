"""Small pieces of English for customers' pages and emails. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def plural_name(name: str, count: int = 2) -> str:
    """ "Stoneware mug" -> "Stoneware mugs", "Glass" -> "Glasses", "Party candy" -> "Party candies".

    A name whose last word is not a plain word ("Tee (XL)", "Size 10") or already ends in
    a single s ("Socks", "Jeans") is kept as it is.
    """
    if count == 1 or not name:
        return name
    head, _, last = name.rpartition(" ")
    lower = last.lower()
    if not last.isalpha() or len(last) < 2:
        return name
    if lower.endswith("s") and not lower.endswith("ss"):
        return name
    if lower.endswith(("ss", "x", "z", "ch", "sh")):
        last += "es"
    elif lower.endswith("y") and lower[-2] not in "aeiou":
        last = last[:-1] + "ies"
    else:
        last += "s"
    return f"{head} {last}" if head else last


# What the store does with an item it received but did not accept (UNACCEPTED_ITEM).
UNACCEPTED_ITEM_CHOICES = ("hold", "send_back", "dispose")


def unaccepted_item(*, handling: str, hold_days: int, support_email: str, rma: str, names: list[str]) -> str:
    """The sentence telling a customer what happens to items we received but did not accept."""
    if not names:
        return ""
    what = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    it = "it" if len(names) == 1 else "them"
    if handling == "send_back":
        return f"We will send the {what} back to you at no cost, to the address on the order."
    if handling == "dispose":
        return (
            f"As our policy says, the {what} cannot be sent back: we recycle or donate {it}. "
            f"Questions? Write to {support_email} quoting {rma}."
        )
    return (
        f"We keep the {what} for {hold_days} days. To have {it} sent back to you, write to {support_email} "
        f"quoting {rma} within that time; after that we recycle or donate {it}."
    )


def inspection_outcome(pairs: Sequence[tuple[Any, Any]]) -> str:
    """ "All 3 items accepted.", "2 of 3 items accepted.", "None of the 2 items accepted.": counted in units.

    ``pairs`` are (return line, verdict) as an inspection records them; a verdict accepts a whole line.
    """
    total = sum(line.quantity for line, _ in pairs)
    accepted = sum(line.quantity for line, verdict in pairs if verdict.accepted)
    noun = "item" if total == 1 else "items"
    if accepted == total:
        return "The item was accepted." if total == 1 else f"All {total} items accepted."
    if accepted == 0:
        return "The item was not accepted." if total == 1 else f"None of the {total} {noun} accepted."
    return f"{accepted} of {total} {noun} accepted."


_COUNTS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}


def review_time(hours: int) -> str:
    """How soon staff review a held return (``REVIEW_TARGET_HOURS``), as a customer reads it: 24 -> "usually
    within one business day", 72 -> "usually within three business days", 4 -> "usually within 4 hours"."""
    if hours % 24 == 0 and hours > 0:
        days = hours // 24
        count = _COUNTS.get(days, str(days))
        return f"usually within {count} business day{'s' if days != 1 else ''}"
    return f"usually within {hours} hour{'s' if hours != 1 else ''}"
