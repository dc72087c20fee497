"""The return policy's rules (docs/rules.md R1-R13) as the customer and staff meet them.

returns/domain/policy.py is pure, so these tests need no database: every boundary day and
every cent of a refund is checked directly, and hypothesis checks the money
invariants over random orders split into random partial returns.
"""

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from returns.domain.policy import (
    CHANGED_MIND,
    DAMAGED,
    DEFECTIVE,
    NOT_AS_DESCRIBED,
    OTHER,
    WRONG_ITEM,
    WRONG_SIZE,
    AcceptedLine,
    LineFacts,
    OrderMoney,
    PolicyConfig,
    PolicyError,
    PriorRefunds,
    RefundBreakdown,
    RequestedLine,
    add_business_days,
    check_requested_line,
    check_window,
    compute_refund,
    expected_refund_dates,
    is_ship_by_overdue,
    line_eligibility,
    money,
    ship_by_date,
    ship_by_reminder_date,
)

CFG = PolicyConfig()
STANDARD_REASONS = [CHANGED_MIND, WRONG_SIZE, NOT_AS_DESCRIBED, OTHER]
FAULT_REASONS = [DAMAGED, DEFECTIVE, WRONG_ITEM]

# docs/rules.md's own example: delivered on 1 Nov -> last day 29 Nov.
DELIVERED = date(2025, 11, 1)
LAST_DAY = date(2025, 11, 29)


def D(value: str) -> Decimal:
    return Decimal(value)


def rules(decisions: Sequence) -> list[str]:
    return [d.rule for d in decisions]


def order_money(
    lines: Sequence[tuple[int, str, str]], *, shipping: str = "0.00", free_shipping: bool = False
) -> OrderMoney:
    """An order from (quantity, unit price, unit tax) triples, billed line by line in cents."""
    return OrderMoney(
        merchandise=sum((money(q * D(p)) for q, p, _ in lines), D("0.00")),
        tax=sum((money(q * D(t)) for q, _, t in lines), D("0.00")),
        shipping_charged=D(shipping),
        free_shipping=free_shipping,
    )


def accepted(label: str, quantity: int, price: str, tax: str = "0.00", *, fault: bool = False) -> AcceptedLine:
    return AcceptedLine(label, quantity, D(price), D(tax), fault)


def after(prior: PriorRefunds, refund: RefundBreakdown) -> PriorRefunds:
    """What the next request on the order sees once ``refund`` has been issued."""
    return PriorRefunds(
        total=prior.total + refund.total,
        shipping=prior.shipping + refund.shipping,
        fault_merchandise=prior.fault_merchandise + refund.fault_merchandise,
        deduction=prior.deduction + refund.deduction,
    )


def assert_breakdown_adds_up(refund: RefundBreakdown) -> None:
    """The breakdown the customer reads cites R10 on every line and sums to the total."""
    assert refund.lines
    assert {row.rule for row in refund.lines} == {"R10"}
    assert sum((row.amount for row in refund.lines), D("0")) == refund.total


def ask(
    reason: str,
    *,
    quantity: int = 1,
    condition: bool = False,
    issue_photos: int = 0,
    packaging_photos: int = 0,
    line: LineFacts | None = None,
    delivered_on: date | None = DELIVERED,
    today: date = date(2025, 11, 10),
    cfg: PolicyConfig = CFG,
):
    return check_requested_line(
        line=line or LineFacts(quantity=3),
        requested=RequestedLine(
            quantity=quantity,
            reason=reason,
            condition_confirmed=condition,
            issue_photos=issue_photos,
            packaging_photos=packaging_photos,
        ),
        delivered_on=delivered_on,
        today=today,
        cfg=cfg,
    )


def complete(reason: str, **kwargs):
    """A request for ``reason`` that satisfies R2 and R7, so only the rule under test can object."""
    return ask(reason, condition=True, issue_photos=1, packaging_photos=1, **kwargs)


# --- R1 the return window ---------------------------------------------------


class TestWindow:
    def test_policy_example_delivered_1_nov_last_day_29_nov(self):
        facts = line_eligibility(line=LineFacts(quantity=1), delivered_on=DELIVERED, today=DELIVERED, cfg=CFG)
        assert facts.last_day == LAST_DAY

    @pytest.mark.parametrize(
        ("today", "ok", "days_left", "message"),
        [
            (date(2025, 10, 31), False, None, "This order is due on Nov 1, 2025; returns open on delivery."),
            (DELIVERED, True, 28, "Returnable until Nov 29, 2025 (28 days left)."),
            (date(2025, 11, 28), True, 1, "Returnable until Nov 29, 2025 (1 day left)."),
            (LAST_DAY, True, 0, "Returnable until Nov 29, 2025 (today is the last day)."),
            (date(2025, 11, 30), False, None, "The 28-day return window closed on Nov 29, 2025."),
        ],
        ids=["day-before-delivery", "delivery-day", "day-before-last", "last-day", "day-after-last"],
    )
    def test_boundary_days(self, today, ok, days_left, message):
        decision = check_window(delivered_on=DELIVERED, today=today, cfg=CFG)
        assert (decision.ok, decision.rule, decision.message) == (ok, "R1", message)

        facts = line_eligibility(line=LineFacts(quantity=2), delivered_on=DELIVERED, today=today, cfg=CFG)
        assert facts.days_left == days_left
        assert facts.can_return is ok
        assert facts.returnable_quantity == (2 if ok else 0)
        assert facts.summary == decision

    def test_request_outside_the_window_is_refused_with_r1(self):
        problems = complete(CHANGED_MIND, today=date(2025, 11, 30))
        assert rules(problems) == ["R1"]
        assert "closed on Nov 29, 2025" in problems[0].message

    def test_request_on_last_day_goes_ahead(self):
        assert complete(CHANGED_MIND, today=LAST_DAY) == []

    def test_fault_claims_also_close_with_the_window(self):
        problems = complete(DAMAGED, today=date(2025, 11, 30))
        assert rules(problems) == ["R1"]

    def test_no_delivery_date_points_to_support(self):
        decision = check_window(delivered_on=None, today=DELIVERED, cfg=CFG)
        assert not decision.ok
        assert decision.rule == "R1"
        assert "no delivery date" in decision.message
        assert "contact support" in decision.message
        assert str(decision).endswith("(R1)")

    def test_no_delivery_date_line_cannot_be_returned(self):
        facts = line_eligibility(line=LineFacts(quantity=2), delivered_on=None, today=DELIVERED, cfg=CFG)
        assert not facts.can_return
        assert facts.returnable_quantity == 0
        assert (facts.last_day, facts.days_left) == (None, None)
        assert not facts.standard_allowed
        assert not facts.fault_allowed
        assert facts.summary.rule == "R1"
        assert "contact support" in facts.summary.message

    def test_no_delivery_date_refuses_a_request(self):
        problems = complete(DAMAGED, delivered_on=None)
        assert rules(problems) == ["R1"]
        assert "contact support" in problems[0].message

    @pytest.mark.parametrize(
        ("window_days", "last_day"),
        [(14, date(2025, 11, 15)), (30, date(2025, 12, 1)), (0, DELIVERED)],
    )
    def test_custom_window_length(self, window_days, last_day):
        cfg = PolicyConfig(return_window_days=window_days)
        on_last = line_eligibility(line=LineFacts(quantity=1), delivered_on=DELIVERED, today=last_day, cfg=cfg)
        assert on_last.last_day == last_day
        assert on_last.days_left == 0
        assert on_last.can_return

        day_after = date.fromordinal(last_day.toordinal() + 1)
        closed = check_window(delivered_on=DELIVERED, today=day_after, cfg=cfg)
        assert not closed.ok
        assert closed.message == f"The {window_days}-day return window closed on {last_day:%b %-d, %Y}."

    def test_custom_window_days_left_on_delivery_day(self):
        cfg = PolicyConfig(return_window_days=14)
        facts = line_eligibility(line=LineFacts(quantity=1), delivered_on=DELIVERED, today=DELIVERED, cfg=cfg)
        assert facts.days_left == 14
        assert facts.window.message == "Returnable until Nov 15, 2025 (14 days left)."

    def test_window_decision_is_in_the_reasons_shown(self):
        facts = line_eligibility(line=LineFacts(quantity=1), delivered_on=DELIVERED, today=DELIVERED, cfg=CFG)
        assert rules(facts.reasons) == ["R1", "R4"]


# --- R2 condition -------------------------------------------------------------


class TestCondition:
    @pytest.mark.parametrize("reason", STANDARD_REASONS)
    def test_standard_reason_without_condition_is_refused(self, reason):
        problems = ask(reason, condition=False)
        assert rules(problems) == ["R2"]
        assert "original condition and packaging" in problems[0].message
        assert "labels, manuals and accessories" in problems[0].message

    @pytest.mark.parametrize("reason", STANDARD_REASONS)
    def test_standard_reason_with_condition_goes_ahead(self, reason):
        assert ask(reason, condition=True) == []

    @pytest.mark.parametrize("reason", FAULT_REASONS)
    def test_fault_reason_does_not_need_condition(self, reason):
        assert ask(reason, condition=False, issue_photos=1, packaging_photos=1) == []


# --- R3 exclusions -----------------------------------------------------------

EXCLUDED_LINES = {
    "final_sale": (LineFacts(quantity=2, final_sale=True), "Final-sale"),
    "personalized": (LineFacts(quantity=2, personalized=True), "Personalized"),
    "both": (LineFacts(quantity=2, final_sale=True, personalized=True), "Personalized"),
}


class TestExclusions:
    @pytest.mark.parametrize("kind", EXCLUDED_LINES)
    @pytest.mark.parametrize("reason", STANDARD_REASONS)
    def test_standard_reason_is_refused(self, kind, reason):
        line, word = EXCLUDED_LINES[kind]
        problems = complete(reason, line=line)
        assert rules(problems) == ["R3"]
        assert problems[0].message.startswith(f"{word} items can be returned only if")
        assert "damaged, defective or not what you ordered" in problems[0].message

    @pytest.mark.parametrize("kind", EXCLUDED_LINES)
    @pytest.mark.parametrize("reason", FAULT_REASONS)
    def test_fault_reason_is_allowed(self, kind, reason):
        line, _ = EXCLUDED_LINES[kind]
        assert complete(reason, line=line) == []

    def test_standard_reason_without_condition_reports_both_rules(self):
        line, _ = EXCLUDED_LINES["final_sale"]
        assert rules(ask(CHANGED_MIND, line=line, condition=False)) == ["R3", "R2"]

    @pytest.mark.parametrize("kind", EXCLUDED_LINES)
    def test_line_eligibility_allows_only_fault_returns(self, kind):
        line, word = EXCLUDED_LINES[kind]
        facts = line_eligibility(line=line, delivered_on=DELIVERED, today=date(2025, 11, 10), cfg=CFG)
        assert not facts.standard_allowed
        assert facts.fault_allowed
        assert facts.can_return
        assert facts.exclusion is not None
        assert facts.exclusion.rule == "R3"
        assert rules(facts.reasons) == ["R1", "R3", "R4"]

        summary = facts.summary
        assert summary.ok
        assert summary.rule == "R3"
        assert summary.message.startswith(f"{word} items can be returned only if")
        assert summary.message.endswith("Returnable until Nov 29, 2025 (19 days left).")

    def test_plain_line_allows_both(self):
        facts = line_eligibility(line=LineFacts(quantity=2), delivered_on=DELIVERED, today=DELIVERED, cfg=CFG)
        assert facts.standard_allowed
        assert facts.fault_allowed
        assert facts.exclusion is None
        assert facts.summary.rule == "R1"

    def test_excluded_line_out_of_window_says_r1(self):
        line, _ = EXCLUDED_LINES["personalized"]
        facts = line_eligibility(line=line, delivered_on=DELIVERED, today=date(2025, 11, 30), cfg=CFG)
        assert not facts.standard_allowed
        assert not facts.fault_allowed
        assert not facts.can_return
        assert facts.summary.rule == "R1"
        assert not facts.summary.ok


# --- R4 quantity --------------------------------------------------------------


class TestQuantity:
    def test_up_to_what_is_left_goes_ahead(self):
        line = LineFacts(quantity=3, already_requested=1)
        assert ask(CHANGED_MIND, condition=True, quantity=2, line=line) == []

    def test_more_than_what_is_left_is_refused(self):
        line = LineFacts(quantity=3, already_requested=1)
        problems = ask(CHANGED_MIND, condition=True, quantity=3, line=line)
        assert rules(problems) == ["R4"]
        assert problems[0].message == "Only 2 of this item can still be returned."

    def test_more_than_bought_is_refused(self):
        problems = ask(CHANGED_MIND, condition=True, quantity=4, line=LineFacts(quantity=3))
        assert rules(problems) == ["R4"]
        assert problems[0].message == "Only 3 of this item can still be returned."

    @pytest.mark.parametrize("quantity", [0, -1])
    def test_zero_quantity_is_refused(self, quantity):
        problems = ask(CHANGED_MIND, condition=True, quantity=quantity)
        assert rules(problems) == ["R4"]
        assert problems[0].message == "Choose at least one item to return."

    def test_everything_already_requested(self):
        line = LineFacts(quantity=2, already_requested=2)
        problems = ask(CHANGED_MIND, condition=True, quantity=1, line=line)
        assert rules(problems) == ["R4"]
        assert problems[0].message == "Every unit of this item is already in a return request."

        facts = line_eligibility(line=line, delivered_on=DELIVERED, today=DELIVERED, cfg=CFG)
        assert facts.returnable_quantity == 0
        assert not facts.can_return
        assert facts.summary.rule == "R4"
        assert not facts.summary.ok
        assert facts.summary.message == "Every unit of this item is already in a return request."

    def test_line_eligibility_counts_what_is_left(self):
        facts = line_eligibility(
            line=LineFacts(quantity=5, already_requested=3), delivered_on=DELIVERED, today=DELIVERED, cfg=CFG
        )
        assert facts.returnable_quantity == 2
        assert facts.quantity_decision.message == "2 can still be returned."
        assert facts.quantity_decision.rule == "R4"


# --- R7 photos -----------------------------------------------------------------


class TestPhotos:
    @pytest.mark.parametrize("reason", [DAMAGED, DEFECTIVE])
    def test_no_photos_reports_both_missing(self, reason):
        problems = ask(reason)
        assert rules(problems) == ["R7", "R7"]
        messages = [p.message for p in problems]
        assert messages == [
            "Add at least one photo that shows the damage or fault.",
            "Add at least one photo of the packaging it arrived in.",
        ]

    @pytest.mark.parametrize("reason", [DAMAGED, DEFECTIVE])
    def test_missing_packaging_photo(self, reason):
        problems = ask(reason, issue_photos=2)
        assert [(p.rule, p.message) for p in problems] == [
            ("R7", "Add at least one photo of the packaging it arrived in.")
        ]

    @pytest.mark.parametrize("reason", [DAMAGED, DEFECTIVE])
    def test_missing_issue_photo(self, reason):
        problems = ask(reason, packaging_photos=1)
        assert [(p.rule, p.message) for p in problems] == [
            ("R7", "Add at least one photo that shows the damage or fault.")
        ]

    @pytest.mark.parametrize("reason", [DAMAGED, DEFECTIVE])
    def test_one_of_each_is_enough(self, reason):
        assert ask(reason, issue_photos=1, packaging_photos=1) == []

    def test_wrong_item_needs_no_photos(self):
        assert ask(WRONG_ITEM) == []

    @pytest.mark.parametrize("reason", STANDARD_REASONS)
    def test_standard_reasons_need_no_photos(self, reason):
        assert ask(reason, condition=True) == []


def test_unknown_reason_is_refused():
    problems = ask("free_upgrade", condition=True, issue_photos=1, packaging_photos=1)
    assert len(problems) == 1
    assert not problems[0].ok
    assert problems[0].rule == "R5"  # R5: a request names a reason per line
    assert problems[0].message == "Choose a reason for returning this item."


def test_every_broken_rule_is_reported_together():
    line = LineFacts(quantity=1, final_sale=True, already_requested=1)
    problems = ask(CHANGED_MIND, line=line, today=date(2025, 12, 1))
    assert rules(problems) == ["R1", "R3", "R2", "R4"]


# --- R10 the refund amount ----------------------------------------------------


class TestRefundAmounts:
    def test_merchandise_and_tax_are_summed_per_line(self):
        order = order_money([(2, "19.99", "1.60"), (1, "5.00", "0.40"), (1, "55.03", "4.40")], shipping="7.50")
        refund = compute_refund(
            order=order,
            accepted=[accepted("Mug", 2, "19.99", "1.60"), accepted("Card", 1, "5.00", "0.40")],
            prior=PriorRefunds(),
            cfg=CFG,
        )
        assert refund.merchandise == D("44.98")
        assert refund.tax == D("3.60")
        assert refund.shipping == D("0.00")
        assert refund.deduction == D("0.00")
        assert refund.total == D("48.58")
        assert_breakdown_adds_up(refund)
        labels = [(row.label, row.amount) for row in refund.lines]
        assert ("Mug × 2", D("39.98")) in labels
        assert ("Tax on Mug × 2", D("3.20")) in labels
        assert ("Card × 1", D("5.00")) in labels

    def test_amounts_have_two_places(self):
        order = order_money([(3, "10.00", "0.80")], shipping="5.00")
        refund = compute_refund(
            order=order, accepted=[accepted("Cup", 3, "10.00", "0.80", fault=True)], prior=PriorRefunds(), cfg=CFG
        )
        for amount in (refund.merchandise, refund.tax, refund.shipping, refund.deduction, refund.total):
            assert amount.as_tuple().exponent == -2

    def test_rounding_is_half_up_per_line(self):
        # 0.125 rounds half-up to 0.13 (half-even would give 0.12); per line, so two lines give 0.26.
        order = order_money([(1, "10.00", "0.125"), (1, "20.00", "0.125")])
        refund = compute_refund(
            order=order,
            accepted=[accepted("A", 1, "10.00", "0.125"), accepted("B", 1, "20.00", "0.125")],
            prior=PriorRefunds(),
            cfg=CFG,
        )
        assert refund.tax == D("0.26")
        assert refund.total == D("30.26")
        assert_breakdown_adds_up(refund)

    def test_shipping_share_on_half_a_cent_rounds_up(self):
        # 5.01 x 50/100 = 2.505 -> 2.51
        order = order_money([(1, "50.00", "0.00"), (1, "50.00", "0.00")], shipping="5.01")
        refund = compute_refund(
            order=order, accepted=[accepted("A", 1, "50.00", fault=True)], prior=PriorRefunds(), cfg=CFG
        )
        assert refund.shipping == D("2.51")
        assert refund.total == D("52.51")

    def test_shipping_is_refunded_in_proportion_to_confirmed_fault(self):
        order = order_money([(1, "40.00", "3.20"), (1, "60.00", "4.80")], shipping="10.00")
        refund = compute_refund(
            order=order, accepted=[accepted("Lamp", 1, "40.00", "3.20", fault=True)], prior=PriorRefunds(), cfg=CFG
        )
        assert refund.shipping == D("4.00")
        assert refund.fault_merchandise == D("40.00")
        assert refund.total == D("47.20")
        shipping_rows = [row for row in refund.lines if row.label == "Shipping refund"]
        assert len(shipping_rows) == 1
        assert shipping_rows[0].amount == D("4.00")
        assert "$40.00 of $100.00" in shipping_rows[0].explanation
        assert_breakdown_adds_up(refund)

    def test_unconfirmed_fault_gets_no_shipping(self):
        order = order_money([(1, "40.00", "0.00"), (1, "60.00", "0.00")], shipping="10.00")
        refund = compute_refund(
            order=order, accepted=[accepted("Lamp", 1, "40.00", fault=False)], prior=PriorRefunds(), cfg=CFG
        )
        assert refund.shipping == D("0.00")
        assert refund.total == D("40.00")

    def test_standard_only_return_never_refunds_shipping_and_says_so(self):
        order = order_money([(1, "100.00", "0.00")], shipping="10.00")
        refund = compute_refund(order=order, accepted=[accepted("Coat", 1, "100.00")], prior=PriorRefunds(), cfg=CFG)
        assert refund.shipping == D("0.00")
        assert refund.total == D("100.00")
        notes = [row for row in refund.lines if row.label == "Shipping charges"]
        assert len(notes) == 1
        assert notes[0].amount == D("0.00")
        assert "not refunded unless an item is faulty, damaged or sent incorrectly" in notes[0].explanation
        assert_breakdown_adds_up(refund)

    def test_whole_order_with_fault_in_one_request_refunds_whole_charge(self):
        order = order_money([(1, "12.34", "1.00"), (2, "7.77", "0.50")], shipping="6.99")
        refund = compute_refund(
            order=order,
            accepted=[accepted("A", 1, "12.34", "1.00", fault=True), accepted("B", 2, "7.77", "0.50", fault=True)],
            prior=PriorRefunds(),
            cfg=CFG,
        )
        assert refund.shipping == D("6.99")
        assert refund.total == order.paid == D("36.87")

    @pytest.mark.parametrize(
        ("sequence", "expected_shipping"),
        [
            ("ABC", ["3.33", "3.34", "3.33"]),
            ("CBA", ["3.33", "3.34", "3.33"]),
            ("BAC", ["3.33", "3.34", "3.33"]),
        ],
    )
    def test_whole_order_returned_with_faults_over_three_requests(self, sequence, expected_shipping):
        """Each line is a third of the order; the three shares must add up to the whole charge."""
        order = order_money([(1, "10.00", "0.80")] * 3, shipping="10.00")
        prior = PriorRefunds()
        shipping = []
        for label in sequence:
            refund = compute_refund(
                order=order, accepted=[accepted(label, 1, "10.00", "0.80", fault=True)], prior=prior, cfg=CFG
            )
            assert_breakdown_adds_up(refund)
            shipping.append(refund.shipping)
            prior = after(prior, refund)
        assert shipping == [D(s) for s in expected_shipping]
        assert prior.shipping == D("10.00")
        assert prior.total == order.paid == D("42.40")

    def test_shipping_never_more_than_what_is_left(self):
        # 6.00 of the 10.00 charge was already refunded: the whole order's fault leaves only 4.00.
        order = order_money([(1, "100.00", "0.00")], shipping="10.00")
        refund = compute_refund(
            order=order,
            accepted=[accepted("TV", 1, "100.00", fault=True)],
            prior=PriorRefunds(total=D("6.00"), shipping=D("6.00")),
            cfg=CFG,
        )
        assert refund.shipping == D("4.00")
        assert refund.total == D("104.00")

    def test_no_shipping_once_the_charge_is_fully_refunded(self):
        order = order_money([(1, "50.00", "0.00"), (1, "50.00", "0.00")], shipping="10.00")
        refund = compute_refund(
            order=order,
            accepted=[accepted("B", 1, "50.00", fault=True)],
            prior=PriorRefunds(total=D("10.00"), shipping=D("10.00")),
            cfg=CFG,
        )
        assert refund.shipping == D("0.00")
        assert refund.total == D("50.00")
        assert all(row.label != "Shipping refund" for row in refund.lines)

    def test_mixed_request_on_paid_shipping_order(self):
        order = order_money([(1, "20.00", "1.60"), (1, "30.00", "2.40"), (1, "50.00", "4.00")], shipping="10.00")
        refund = compute_refund(
            order=order,
            accepted=[accepted("Broken", 1, "20.00", "1.60", fault=True), accepted("Unwanted", 1, "30.00", "2.40")],
            prior=PriorRefunds(),
            cfg=CFG,
        )
        assert refund.merchandise == D("50.00")
        assert refund.tax == D("4.00")
        assert refund.shipping == D("2.00")  # only the fault-confirmed 20.00 of 100.00
        assert refund.deduction == D("0.00")
        assert refund.total == D("56.00")
        assert_breakdown_adds_up(refund)


class TestFreeShippingDeduction:
    ORDER = order_money([(1, "25.00", "2.00"), (1, "5.00", "0.40"), (1, "30.00", "2.40")], free_shipping=True)

    def test_standard_return_deducts_the_fee(self):
        refund = compute_refund(
            order=self.ORDER, accepted=[accepted("Shirt", 1, "25.00", "2.00")], prior=PriorRefunds(), cfg=CFG
        )
        assert refund.deduction == D("9.99")
        assert refund.total == D("17.01")
        fee_rows = [row for row in refund.lines if row.label == "Free-shipping return fee"]
        assert len(fee_rows) == 1
        assert fee_rows[0].amount == D("-9.99")
        assert "flat $9.99 is deducted once per order" in fee_rows[0].explanation
        assert_breakdown_adds_up(refund)

    def test_unconfirmed_fault_counts_as_standard(self):
        refund = compute_refund(
            order=self.ORDER,
            accepted=[accepted("Shirt", 1, "25.00", "2.00", fault=False)],
            prior=PriorRefunds(),
            cfg=CFG,
        )
        assert refund.deduction == D("9.99")

    def test_only_once_per_order(self):
        refund = compute_refund(
            order=self.ORDER,
            accepted=[accepted("Jeans", 1, "30.00", "2.40")],
            prior=PriorRefunds(total=D("17.01"), deduction=D("9.99")),
            cfg=CFG,
        )
        assert refund.deduction == D("0.00")
        assert refund.total == D("32.40")
        assert all(row.label != "Free-shipping return fee" for row in refund.lines)

    def test_two_standard_requests_in_a_row_deduct_once(self):
        prior = PriorRefunds()
        totals = []
        for line in (accepted("Shirt", 1, "25.00", "2.00"), accepted("Jeans", 1, "30.00", "2.40")):
            refund = compute_refund(order=self.ORDER, accepted=[line], prior=prior, cfg=CFG)
            totals.append(refund.total)
            prior = after(prior, refund)
        assert totals == [D("17.01"), D("32.40")]
        assert prior.deduction == D("9.99")

    def test_capped_at_standard_lines_so_refund_is_never_negative(self):
        refund = compute_refund(
            order=self.ORDER, accepted=[accepted("Sock", 1, "5.00", "0.40")], prior=PriorRefunds(), cfg=CFG
        )
        assert refund.deduction == D("5.40")
        assert refund.total == D("0.00")
        fee_row = next(row for row in refund.lines if row.label == "Free-shipping return fee")
        assert fee_row.amount == D("-5.40")
        assert "never more than the items it applies to" in fee_row.explanation
        assert_breakdown_adds_up(refund)

    def test_capped_at_standard_lines_even_when_fault_lines_could_absorb_it(self):
        refund = compute_refund(
            order=self.ORDER,
            accepted=[accepted("Broken", 1, "30.00", "2.40", fault=True), accepted("Sock", 1, "5.00", "0.40")],
            prior=PriorRefunds(),
            cfg=CFG,
        )
        assert refund.deduction == D("5.40")
        assert refund.total == D("32.40")

    def test_capped_deduction_leaves_the_rest_of_the_fee_for_a_later_request(self):
        """Current reading: the fee is 9.99 per order in total, so a capped first deduction
        (5.40) leaves 4.59 to take from the next standard-reason refund. docs/rules.md's
        "no earlier refund already deducted it" could also be read as "nothing more"."""
        first = compute_refund(
            order=self.ORDER, accepted=[accepted("Sock", 1, "5.00", "0.40")], prior=PriorRefunds(), cfg=CFG
        )
        second = compute_refund(
            order=self.ORDER,
            accepted=[accepted("Shirt", 1, "25.00", "2.00")],
            prior=after(PriorRefunds(), first),
            cfg=CFG,
        )
        assert second.deduction == D("4.59")
        assert first.deduction + second.deduction == D("9.99")

    def test_fault_only_request_has_no_deduction(self):
        refund = compute_refund(
            order=self.ORDER,
            accepted=[accepted("Broken", 1, "25.00", "2.00", fault=True)],
            prior=PriorRefunds(),
            cfg=CFG,
        )
        assert refund.deduction == D("0.00")
        assert refund.shipping == D("0.00")
        assert refund.total == D("27.00")
        assert all(row.label != "Free-shipping return fee" for row in refund.lines)

    def test_mixed_request_deducts_once(self):
        refund = compute_refund(
            order=self.ORDER,
            accepted=[accepted("Broken", 1, "25.00", "2.00", fault=True), accepted("Jeans", 1, "30.00", "2.40")],
            prior=PriorRefunds(),
            cfg=CFG,
        )
        assert refund.merchandise == D("55.00")
        assert refund.tax == D("4.40")
        assert refund.deduction == D("9.99")
        assert refund.total == D("49.41")
        assert_breakdown_adds_up(refund)

    def test_no_deduction_without_free_shipping(self):
        order = order_money([(1, "25.00", "2.00")], shipping="4.95")
        refund = compute_refund(
            order=order, accepted=[accepted("Shirt", 1, "25.00", "2.00")], prior=PriorRefunds(), cfg=CFG
        )
        assert refund.deduction == D("0.00")
        assert refund.total == D("27.00")

    def test_custom_fee(self):
        cfg = PolicyConfig(free_shipping_return_fee=D("4.50"))
        refund = compute_refund(
            order=self.ORDER, accepted=[accepted("Shirt", 1, "25.00", "2.00")], prior=PriorRefunds(), cfg=cfg
        )
        assert refund.deduction == D("4.50")
        assert refund.total == D("22.50")
        fee_row = next(row for row in refund.lines if row.label == "Free-shipping return fee")
        assert "flat $4.50 is deducted" in fee_row.explanation

        again = compute_refund(
            order=self.ORDER,
            accepted=[accepted("Jeans", 1, "30.00", "2.40")],
            prior=after(PriorRefunds(), refund),
            cfg=cfg,
        )
        assert again.deduction == D("0.00")


class TestRefundGuards:
    def test_refunds_may_reach_what_was_paid(self):
        order = order_money([(1, "45.00", "5.00")])
        refund = compute_refund(
            order=order, accepted=[accepted("A", 1, "20.00")], prior=PriorRefunds(total=D("30.00")), cfg=CFG
        )
        assert refund.total == D("20.00")

    def test_refunds_beyond_what_was_paid_are_an_error(self):
        order = order_money([(1, "45.00", "5.00")])
        with pytest.raises(PolicyError, match=r"would total \$60\.00, more than the \$50\.00 paid"):
            compute_refund(
                order=order, accepted=[accepted("A", 1, "20.00")], prior=PriorRefunds(total=D("40.00")), cfg=CFG
            )

    def test_refunding_the_same_line_twice_is_an_error(self):
        order = order_money([(1, "45.00", "5.00")], shipping="5.00")
        line = accepted("A", 1, "45.00", "5.00", fault=True)
        first = compute_refund(order=order, accepted=[line], prior=PriorRefunds(), cfg=CFG)
        assert first.total == D("55.00")
        with pytest.raises(PolicyError):
            compute_refund(order=order, accepted=[line], prior=after(PriorRefunds(), first), cfg=CFG)

    @pytest.mark.parametrize("quantity", [0, -2])
    def test_accepted_line_needs_a_positive_quantity(self, quantity):
        order = order_money([(1, "45.00", "5.00")])
        with pytest.raises(PolicyError, match="positive quantity"):
            compute_refund(order=order, accepted=[accepted("A", quantity, "45.00")], prior=PriorRefunds(), cfg=CFG)


# --- R6 ship-by -----------------------------------------------------------------


class TestShipBy:
    APPROVED = date(2025, 11, 3)
    SHIP_BY = date(2025, 12, 1)

    def test_ship_by_is_approval_plus_28_days(self):
        assert ship_by_date(self.APPROVED, CFG) == self.SHIP_BY

    def test_reminder_goes_out_7_days_before(self):
        assert ship_by_reminder_date(self.SHIP_BY, CFG) == date(2025, 11, 24)

    @pytest.mark.parametrize(
        ("today", "overdue"),
        [(date(2025, 11, 30), False), (date(2025, 12, 1), False), (date(2025, 12, 2), True)],
        ids=["day-before", "ship-by-day", "day-after"],
    )
    def test_overdue_only_after_the_ship_by_day(self, today, overdue):
        assert is_ship_by_overdue(self.SHIP_BY, today) is overdue

    def test_custom_days(self):
        cfg = PolicyConfig(ship_by_days=10, ship_by_reminder_days=3)
        ship_by = ship_by_date(self.APPROVED, cfg)
        assert ship_by == date(2025, 11, 13)
        assert ship_by_reminder_date(ship_by, cfg) == date(2025, 11, 10)


# --- R11 when the refund arrives ----------------------------------------------


class TestRefundTiming:
    @pytest.mark.parametrize(
        ("issued_on", "earliest", "latest"),
        [
            (date(2025, 11, 7), date(2025, 11, 14), date(2025, 11, 21)),  # Friday
            (date(2025, 11, 8), date(2025, 11, 14), date(2025, 11, 21)),  # Saturday
            (date(2025, 11, 9), date(2025, 11, 14), date(2025, 11, 21)),  # Sunday
            (date(2025, 11, 10), date(2025, 11, 17), date(2025, 11, 24)),  # Monday
            (date(2025, 11, 12), date(2025, 11, 19), date(2025, 11, 26)),  # Wednesday
            (date(2025, 12, 26), date(2026, 1, 2), date(2026, 1, 9)),  # Friday, across the new year
        ],
        ids=["friday", "saturday", "sunday", "monday", "wednesday", "new-year"],
    )
    def test_expected_dates_skip_weekends(self, issued_on, earliest, latest):
        assert expected_refund_dates(issued_on, CFG) == (earliest, latest)
        assert earliest.weekday() < 5
        assert latest.weekday() < 5

    def test_friday_plus_one_business_day_is_monday(self):
        assert add_business_days(date(2025, 11, 7), 1) == date(2025, 11, 10)

    def test_zero_business_days_is_the_same_day(self):
        assert add_business_days(date(2025, 11, 8), 0) == date(2025, 11, 8)

    def test_custom_range(self):
        cfg = PolicyConfig(refund_business_days_min=1, refund_business_days_max=3)
        assert expected_refund_dates(date(2025, 11, 7), cfg) == (date(2025, 11, 10), date(2025, 11, 12))


# --- properties -----------------------------------------------------------------

MAX_FEE = Decimal("20.00")


def cents(low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda c: Decimal(c).scaleb(-2))


order_lines = st.lists(
    st.tuples(st.integers(1, 5), cents(1, 99_999), cents(0, 2_000)),
    min_size=1,
    max_size=5,
)


@settings(deadline=None, max_examples=200)
@given(
    lines=order_lines,
    data=st.data(),
    shipping=cents(0, 5_000),
    free_shipping=st.booleans(),
    fee=cents(0, 2_000),
    prior_deduction=cents(0, 2_000),
)
def test_property_single_refund_is_never_negative_and_adds_up(
    lines, data, shipping, free_shipping, fee, prior_deduction
):
    cfg = PolicyConfig(free_shipping_return_fee=fee)
    order = OrderMoney(
        merchandise=sum((q * p for q, p, _ in lines), Decimal("0.00")),
        tax=sum((q * t for q, _, t in lines), Decimal("0.00")),
        shipping_charged=shipping,
        free_shipping=free_shipping,
    )
    picked = []
    for i, (q, price, tax) in enumerate(lines):
        take = data.draw(st.integers(0, q), label=f"take line {i}")
        if take:
            picked.append(AcceptedLine(f"L{i}", take, price, tax, data.draw(st.booleans(), label=f"fault {i}")))
    if not picked:
        return
    refund = compute_refund(order=order, accepted=picked, prior=PriorRefunds(deduction=prior_deduction), cfg=cfg)

    merchandise = sum((line.quantity * line.unit_price for line in picked), Decimal("0"))
    tax = sum((line.quantity * line.unit_tax for line in picked), Decimal("0"))
    standard = sum(
        ((ln.quantity * (ln.unit_price + ln.unit_tax)) for ln in picked if not ln.fault_confirmed), Decimal(0)
    )

    assert refund.merchandise == merchandise
    assert refund.tax == tax
    assert refund.total >= 0
    assert refund.total == merchandise + tax + refund.shipping - refund.deduction
    assert sum((row.amount for row in refund.lines), Decimal("0")) == refund.total
    assert 0 <= refund.deduction <= max(Decimal("0"), fee - prior_deduction)
    assert refund.deduction <= standard
    if not free_shipping:
        assert refund.deduction == 0
    assert 0 <= refund.shipping <= shipping
    if not any(line.fault_confirmed for line in picked):
        assert refund.shipping == 0


@st.composite
def orders_split_into_returns(draw, *, everything_back_with_fault: bool = False):
    """A random order, its units spread over up to 6 requests, processed in random order."""
    lines = draw(order_lines)
    shipping = draw(cents(0, 5_000))
    free_shipping = draw(st.booleans())
    request_count = draw(st.integers(1, 6))
    # For each unit: which request returns it (-1 = never returned).
    lowest = 0 if everything_back_with_fault else -1
    assignment = [[draw(st.integers(lowest, request_count - 1)) for _ in range(q)] for q, _, _ in lines]
    requests = []
    for r in range(request_count):
        accepted_lines = []
        for i, (_, price, tax) in enumerate(lines):
            units = assignment[i].count(r)
            if units:
                fault = True if everything_back_with_fault else draw(st.booleans())
                accepted_lines.append(AcceptedLine(f"L{i}", units, price, tax, fault))
        if accepted_lines:
            requests.append(accepted_lines)
    processing_order = draw(st.permutations(requests))
    order = OrderMoney(
        merchandise=sum((q * p for q, p, _ in lines), Decimal("0.00")),
        tax=sum((q * t for q, _, t in lines), Decimal("0.00")),
        shipping_charged=shipping,
        free_shipping=free_shipping,
    )
    return order, processing_order


def refund_all(order: OrderMoney, requests, cfg: PolicyConfig) -> PriorRefunds:
    prior = PriorRefunds()
    for request in requests:
        refund = compute_refund(order=order, accepted=request, prior=prior, cfg=cfg)
        assert refund.total >= 0
        assert_breakdown_adds_up(refund)
        prior = after(prior, refund)
        assert prior.total <= order.paid
        assert prior.shipping <= order.shipping_charged
        assert prior.deduction <= cfg.free_shipping_return_fee
    return prior


@settings(deadline=None, max_examples=300)
@given(case=orders_split_into_returns(), fee=cents(0, 2_000))
def test_property_partial_returns_never_refund_more_than_paid(case, fee):
    order, requests = case
    cfg = PolicyConfig(free_shipping_return_fee=fee)
    totals = refund_all(order, requests, cfg)

    assert totals.total <= order.paid
    assert totals.deduction <= fee
    assert totals.shipping <= order.shipping_charged
    # The shipping refunded does not depend on how the faults were split or ordered.
    assert totals.shipping == (order.shipping_charged * totals.fault_merchandise / order.merchandise).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


@settings(deadline=None, max_examples=200)
@given(case=orders_split_into_returns(everything_back_with_fault=True))
def test_property_everything_back_with_fault_refunds_exactly_what_was_paid(case):
    order, requests = case
    totals = refund_all(order, requests, CFG)
    assert totals.shipping == order.shipping_charged
    assert totals.deduction == 0
    assert totals.total == order.paid


def test_a_mixed_request_says_why_the_standard_items_get_no_shipping():
    """A damaged lamp and a changed-mind mug: shipping comes back for the lamp only, and the breakdown says so."""
    order = order_money([(1, "45.00", "3.60"), (2, "12.50", "1.00")], shipping="5.99")
    refund = compute_refund(
        order=order,
        accepted=[accepted("Lamp", 1, "45.00", "3.60", fault=True), accepted("Mug", 2, "12.50", "1.00")],
        prior=PriorRefunds(),
        cfg=CFG,
    )
    assert refund.shipping == D("3.85")
    other = [row for row in refund.lines if row.label == "Shipping for the other items"]
    assert len(other) == 1 and other[0].amount == D("0.00") and other[0].rule == "R10"
    assert "standard reason" in other[0].explanation
    assert sum(row.amount for row in refund.lines) == refund.total == D("79.45")
