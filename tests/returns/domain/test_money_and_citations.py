"""Money in one format, and the policy sections customers see instead of rule IDs."""

from decimal import Decimal

import pytest

from returns.domain import citations
from returns.domain.money import format_money


@pytest.mark.parametrize(
    ("value", "currency", "text"),
    [
        (Decimal("62.9"), "USD", "$62.90"),
        ("1234.5", "EUR", "€1,234.50"),
        (Decimal("-9.99"), "USD", "−$9.99"),
        (Decimal("12"), "SEK", "12.00 SEK"),
        ("n/a", "USD", "n/a"),
    ],
)
def test_format_money(value, currency, text):
    assert format_money(value, currency) == text


def test_every_rule_cites_a_section_of_the_store_text():
    for number in range(1, 14):
        section = citations.section_for(f"R{number}")
        assert section is not None and 1 <= section.number <= 8
    assert citations.section_for("R10").words == "policy §5, Refund processing"
    assert citations.section_for("R7").anchor == "damaged"
    assert citations.section_for("") is None


def test_customer_words_replace_rule_ids():
    assert citations.customer_words("Only 1 can be returned. (R4)") == "Only 1 can be returned. (policy §1)"
    assert citations.customer_words("Enter both (R6); and (R99) too") == "Enter both (policy §4); and too"


@pytest.mark.parametrize(
    ("name", "plural"),
    [
        ("Stoneware mug", "Stoneware mugs"),
        ("Desk lamp", "Desk lamps"),
        ("Wine glass", "Wine glasses"),
        ("Party candy", "Party candies"),
        ("Wool socks", "Wool socks"),
        ("Tee (XL)", "Tee (XL)"),
        ("Key", "Keys"),
    ],
)
def test_plural_names(name, plural):
    from returns.domain.wording import plural_name

    assert plural_name(name) == plural
    assert plural_name(name, 1) == name


def test_the_inspection_outcome_counts_units_in_plain_words():
    from types import SimpleNamespace as N

    from returns.domain.wording import inspection_outcome

    yes, no = N(accepted=True), N(accepted=False)
    assert inspection_outcome([(N(quantity=1), yes)]) == "The item was accepted."
    assert inspection_outcome([(N(quantity=1), no)]) == "The item was not accepted."
    assert inspection_outcome([(N(quantity=2), yes), (N(quantity=1), yes)]) == "All 3 items accepted."
    assert inspection_outcome([(N(quantity=2), yes), (N(quantity=1), no)]) == "2 of 3 items accepted."
    assert inspection_outcome([(N(quantity=2), no)]) == "None of the 2 items accepted."
