"""Approved at once when the rules allow (AUTO_APPROVE), and the risk rules that hold a request for staff.

``TestRules`` needs no database: the rules judge the facts they are given.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from returns.conf import store_today
from returns.domain import risk
from returns.exceptions import NotAllowed
from returns.models import AutoReview, ReturnRequest
from returns.services.requests import LineRequest, return_request_approve, return_request_cancel, return_request_submit
from tests.factories import OrderFactory, OrderLineFactory, pending_photo

S = ReturnRequest.Status


def facts(**overrides):
    values = {
        "email": "ana@example.com",
        "currency": "USD",
        "estimated_refund": Decimal("50.00"),
        "returns_90_days": 1,
        "reasons": ("changed_mind",),
    }
    values.update(overrides)
    return risk.RiskFacts(**values)


LIMITS = risk.Limits(max_refund=Decimal("200.00"), max_returns_90_days=3)


class TestRules:
    def test_standard_request_under_every_limit_is_approved(self):
        review = risk.auto_review(facts(), mode="standard", limits=LIMITS)
        assert review.approve and review.rule == "AUTO_APPROVE=standard"

    @pytest.mark.parametrize(("amount", "held"), [("200.00", False), ("200.01", True)])
    def test_refund_limit_is_inclusive(self, amount, held):
        review = risk.auto_review(facts(estimated_refund=Decimal(amount)), mode="standard", limits=LIMITS)
        assert review.approve is not held
        if held:
            assert review.rule == risk.MAX_REFUND
            assert "$200.01" in review.message and "$200.00 limit" in review.message

    @pytest.mark.parametrize(("count", "held"), [(3, False), (4, True)])
    def test_returns_in_90_days_limit(self, count, held):
        review = risk.auto_review(facts(returns_90_days=count), mode="standard", limits=LIMITS)
        assert review.approve is not held
        if held:
            assert review.rule == risk.MAX_RETURNS_90_DAYS
            assert "4 return requests from ana@example.com" in review.message

    def test_first_rule_that_holds_is_the_one_named(self):
        found = risk.holds(facts(estimated_refund=Decimal("999"), returns_90_days=9), limits=LIMITS)
        assert [h.rule for h in found] == [risk.MAX_REFUND, risk.MAX_RETURNS_90_DAYS]
        review = risk.auto_review(
            facts(estimated_refund=Decimal("999"), returns_90_days=9), mode="standard", limits=LIMITS
        )
        assert review.rule == risk.MAX_REFUND

    def test_an_email_on_the_block_list_is_held_with_its_reason(self):
        found = risk.holds(facts(blocked=True, blocked_reason="Chargebacks in 2025"), limits=LIMITS)
        assert [(h.rule, h.message) for h in found] == [
            (risk.BLOCKED_EMAIL, "ana@example.com is on the block list: Chargebacks in 2025")
        ]
        assert found[0].label == "Email on the block list"
        review = risk.auto_review(facts(blocked=True), mode="standard", limits=LIMITS)
        assert (review.approve, review.held, review.rule) == (False, True, risk.BLOCKED_EMAIL)
        assert review.message == "ana@example.com is on the block list."

    def test_the_block_list_is_read_first(self):
        every = facts(blocked=True, estimated_refund=Decimal("999"), returns_90_days=9)
        assert [h.rule for h in risk.holds(every, limits=LIMITS)] == [
            risk.BLOCKED_EMAIL,
            risk.MAX_REFUND,
            risk.MAX_RETURNS_90_DAYS,
        ]

    def test_facts_under_every_limit_hold_nothing(self):
        assert risk.holds(facts(estimated_refund=Decimal("200.00"), returns_90_days=3), limits=LIMITS) == []

    def test_the_limits_are_the_ones_passed_in(self):
        tight = risk.Limits(max_refund=Decimal("10.00"), max_returns_90_days=0)
        found = risk.holds(facts(currency="EUR"), limits=tight)
        assert [h.rule for h in found] == [risk.MAX_REFUND, risk.MAX_RETURNS_90_DAYS]
        assert "above the €10.00 limit" in found[0].message
        assert "(automatic approval allows 0)" in found[1].message

    @pytest.mark.parametrize(
        ("mode", "reasons", "approve"),
        [
            ("off", ("changed_mind",), False),
            ("standard", ("changed_mind", "wrong_size"), True),
            ("standard", ("changed_mind", "damaged"), False),
            ("all", ("changed_mind", "damaged"), True),
            ("all", ("wrong_item",), True),
        ],
    )
    def test_modes(self, mode, reasons, approve):
        review = risk.auto_review(facts(reasons=reasons), mode=mode, limits=LIMITS)
        assert review.approve is approve
        if not approve:
            assert review.rule == f"AUTO_APPROVE={mode}" and not review.held

    @pytest.mark.parametrize(
        ("mode", "message"),
        [
            ("off", "Every request is reviewed by staff (AUTO_APPROVE=off)."),
            ("standard", "Fault claims are reviewed by staff (AUTO_APPROVE=standard)."),
        ],
    )
    def test_the_mode_says_why_it_leaves_a_request_for_staff(self, mode, message):
        review = risk.auto_review(facts(reasons=("damaged",)), mode=mode, limits=LIMITS)
        assert review.message == message

    def test_the_mode_is_read_before_the_risk_rules(self):
        review = risk.auto_review(facts(blocked=True), mode="off", limits=LIMITS)
        assert (review.approve, review.held, review.rule) == (False, False, "AUTO_APPROVE=off")

    def test_a_risk_rule_holds_even_in_all_mode(self):
        review = risk.auto_review(facts(reasons=("damaged",), returns_90_days=5), mode="all", limits=LIMITS)
        assert not review.approve and review.rule == risk.MAX_RETURNS_90_DAYS


# --- through the submit service ------------------------------------------------


def standard(ol, quantity=1):
    return LineRequest(
        order_line_id=ol.pk,
        quantity=quantity,
        reason="changed_mind",
        description="Not for me",
        condition_confirmed=True,
    )


def damaged(ol):
    return LineRequest(
        order_line_id=ol.pk,
        quantity=1,
        reason="damaged",
        description="Cracked",
        photos=(pending_photo(ol, "issue"), pending_photo(ol, "packaging")),
    )


def submit(order, *lines, **kwargs):
    return return_request_submit(order=order, lines=list(lines), auto_approve=True, **kwargs)


@pytest.mark.django_db
class TestAutoApproval:
    def test_standard_request_is_approved_with_one_email(
        self, order, customer, mailoutbox, django_capture_on_commit_callbacks
    ):
        mug = order.lines.get(sku="MUG-01")
        with django_capture_on_commit_callbacks(execute=True):
            rr = submit(order, standard(mug), by=customer)
        rr.refresh_from_db()
        assert rr.status == S.APPROVED and rr.return_required is True
        assert rr.ship_by == store_today() + timedelta(days=28)
        assert (rr.auto_review, rr.auto_review_rule) == (AutoReview.APPROVED, "AUTO_APPROVE=standard")
        steps = [(c.event, c.by_id, c.note) for c in rr.history.all()]
        assert steps == [("submitted", customer.pk, ""), ("approved", None, "Approved automatically.")]
        # The same email a staff approval sends, and only that one to the customer.
        assert [m.to for m in mailoutbox] == [[order.email]]
        assert "is approved" in mailoutbox[0].body and "Print your return authorization" in mailoutbox[0].body
        assert "Note from our team" not in mailoutbox[0].body

    def test_fault_claim_waits_for_staff_in_standard_mode(self, order, mailoutbox, django_capture_on_commit_callbacks):
        lamp = order.lines.get(sku="LAMP-02")
        with django_capture_on_commit_callbacks(execute=True):
            rr = submit(order, damaged(lamp))
        rr.refresh_from_db()
        assert rr.status == S.SUBMITTED
        assert (rr.auto_review, rr.auto_review_rule) == (AutoReview.STAFF, "AUTO_APPROVE=standard")
        # Submitted: the customer and staff hear of it as before.
        assert sorted(m.to[0] for m in mailoutbox) == sorted([order.email, "support@alotrop.com"])

    def test_fault_claim_approved_in_all_mode(self, order, settings):
        settings.AUTO_APPROVE = "all"
        rr = submit(order, damaged(order.lines.get(sku="LAMP-02")))
        assert rr.status == S.APPROVED and rr.auto_review_rule == "AUTO_APPROVE=all"

    def test_off_leaves_every_request_for_staff(self, order, settings):
        settings.AUTO_APPROVE = "off"
        rr = submit(order, standard(order.lines.get(sku="MUG-01")))
        assert rr.status == S.SUBMITTED and rr.auto_review == AutoReview.STAFF
        assert rr.auto_review_note == "Every request is reviewed by staff (AUTO_APPROVE=off)."

    def test_refund_above_the_limit_is_held(self, customer, settings):
        settings.AUTO_APPROVE_MAX_REFUND = Decimal("100.00")
        order = OrderFactory(email=customer.email)
        coat = OrderLineFactory(order=order, name="Wool coat", unit_price="95.00", unit_tax="7.60")
        rr = submit(order, standard(coat))
        rr.refresh_from_db()
        assert rr.status == S.SUBMITTED
        assert (rr.auto_review, rr.auto_review_rule) == (AutoReview.HELD, risk.MAX_REFUND)
        assert "$102.60" in rr.auto_review_note

    def test_a_held_request_says_why_in_its_history_for_staff_only_and_emails_nothing_more(
        self, customer, settings, mailoutbox, django_capture_on_commit_callbacks
    ):
        settings.AUTO_APPROVE_MAX_REFUND = Decimal("100.00")
        order = OrderFactory(email=customer.email)
        coat = OrderLineFactory(order=order, name="Wool coat", unit_price="95.00", unit_tax="7.60")
        with django_capture_on_commit_callbacks(execute=True):
            rr = submit(order, standard(coat), by=customer)
        steps = [(c.event, c.by_id, c.to_status) for c in rr.history.all()]
        assert steps == [("submitted", customer.pk, S.SUBMITTED), ("held", None, S.SUBMITTED)]
        held = rr.history.get(event="held")
        assert "$102.60" in held.note and "above the $100.00 limit" in held.note
        assert not held.customer_visible  # the customer's history says "Return requested", then the decision
        # Submitted: the customer and staff hear of it as before, and of the hold nothing more.
        assert sorted(m.to[0] for m in mailoutbox) == sorted([order.email, "support@alotrop.com"])

    def test_fourth_request_from_one_email_in_90_days_is_held(self, customer):
        made = []
        for _ in range(4):
            order = OrderFactory(email=customer.email)
            made.append(submit(order, standard(OrderLineFactory(order=order))))
        assert [r.status for r in made] == [S.APPROVED, S.APPROVED, S.APPROVED, S.SUBMITTED]
        assert made[3].auto_review_rule == risk.MAX_RETURNS_90_DAYS

    def test_cancelled_and_old_requests_do_not_count(self, customer):
        old = OrderFactory(email=customer.email)
        for _ in range(3):
            rr = submit(old, standard(OrderLineFactory(order=old)))
        return_request_cancel(request=rr, by=None)
        ReturnRequest.objects.filter(order=old).exclude(pk=rr.pk).update(
            created_at=ReturnRequest.objects.get(pk=rr.pk).created_at - timedelta(days=91)
        )
        order = OrderFactory(email=customer.email)
        assert submit(order, standard(OrderLineFactory(order=order))).status == S.APPROVED

    def test_without_auto_approve_the_service_leaves_it_for_staff(self, order):
        rr = return_request_submit(order=order, lines=[standard(order.lines.get(sku="MUG-01"))])
        assert rr.status == S.SUBMITTED and rr.auto_review == AutoReview.NONE

    def test_an_automatic_approval_has_no_person(self, order, service_agent):
        rr = return_request_submit(order=order, lines=[standard(order.lines.get(sku="MUG-01"))])
        with pytest.raises(NotAllowed):
            return_request_approve(request=rr, by=service_agent, automatic="AUTO_APPROVE=standard")


@pytest.mark.django_db
class TestConfirmationPage:
    def test_approved_at_once_shows_ship_by_and_authorization(self, client, customer, order):
        client.force_login(customer)
        mug = order.lines.get(sku="MUG-01")
        data = {
            "submission_key": "8b0e2a54-3f7c-4a0e-9a57-5c2d2f9b6a11",
            f"line-{mug.pk}-selected": "on",
            f"line-{mug.pk}-quantity": "1",
            f"line-{mug.pk}-reason": "changed_mind",
            f"line-{mug.pk}-description": "Not for me",
            f"line-{mug.pk}-condition_confirmed": "on",
        }
        response = client.post(reverse("returns:start_return", args=[order.number]), data, follow=True)
        rr = ReturnRequest.objects.get()
        page = response.content.decode()
        ship_by = store_today() + timedelta(days=28)
        assert f"Your return {rr.rma} is approved" in page
        assert f"{ship_by:%b} {ship_by.day}, {ship_by.year}" in page
        assert reverse("returns:authorization", args=[rr.rma]) in page
        assert client.get(reverse("returns:authorization", args=[rr.rma])).status_code == 200


@pytest.mark.django_db
class TestStaffSee:
    def test_a_held_request_says_which_rule_held_it(self, client, service_agent, customer, settings):
        settings.AUTO_APPROVE_MAX_REFUND = Decimal("10.00")
        order = OrderFactory(email=customer.email)
        rr = submit(order, standard(OrderLineFactory(order=order, name="Wool coat")))
        client.force_login(service_agent)
        html = client.get(reverse("admin:returns_returnrequest_change", args=[rr.pk])).content.decode()
        assert "<strong>Held: refund above $10.00 (limit)</strong>" in html  # words, the setting aside
        assert '<span class="rr-muted rr-small">(AUTO_APPROVE_MAX_REFUND)</span>' in html
        assert "above the $10.00 limit for automatic approval" in html

    def test_an_automatic_approval_says_so(self, client, service_agent, order):
        rr = submit(order, standard(order.lines.get(sku="MUG-01")))
        client.force_login(service_agent)
        html = client.get(reverse("admin:returns_returnrequest_change", args=[rr.pk])).content.decode()
        assert "<strong>Approved automatically: every policy and risk rule passed</strong>" in html
        assert "AUTO_APPROVE=standard" not in html


class TestReviewOutcomeInWords:
    """Staff read what the rules decided in words; settings and rule ids are never the words of a sentence."""

    LIMITS = risk.Limits(max_refund=Decimal("200.00"), max_returns_90_days=3)

    @pytest.mark.parametrize(
        ("outcome", "rule", "words"),
        [
            ("held", risk.MAX_REFUND, "Held: refund above $200.00 (limit)"),
            ("held", risk.MAX_RETURNS_90_DAYS, "Held: more than 3 returns from this email in 90 days (limit)"),
            ("held", risk.BLOCKED_EMAIL, "Held: the email is on the block list"),
            ("staff", "AUTO_APPROVE=off", "Waiting for review because automatic approval is off"),
            ("staff", "AUTO_APPROVE=standard", "Waiting for review because fault claims are reviewed by staff"),
            ("approved", "AUTO_APPROVE=standard", "Approved automatically: every policy and risk rule passed"),
            ("", "", "Waiting for review"),
        ],
    )
    def test_words(self, outcome, rule, words):
        said = risk.review_outcome(outcome=outcome, rule=rule, limits=self.LIMITS, currency="USD")
        assert said == words
        assert "AUTO_APPROVE" not in said and "R" not in said.split(":")[0][1:]
