"""The staff risk panel shows the hold submission recorded: both read their facts from ``selectors.risk``."""

from decimal import Decimal

import pytest

from returns.domain import risk
from returns.models import AutoReview, BlockedEmail, Refund
from returns.services.requests import return_request_submit
from tests.returns.admin.test_admin import lamp, mug, page_url, standard

pytestmark = pytest.mark.django_db


def submitted_from_the_form(order, line):
    return return_request_submit(order=order, lines=[standard(line)], auto_approve=True)


def blocked_email(order, settings):
    BlockedEmail.objects.create(email="ana@example.com", reason="Chargebacks in 2025")
    return submitted_from_the_form(order, mug(order))


def refund_limit_with_no_estimate(order, settings):
    """Earlier refunds leave too little for the lamp, so its estimate has no outcome: the rules read all that
    was paid (81.59), above the limit. Read as an estimate of 0.00, the panel would show no hold."""
    settings.AUTO_APPROVE_MAX_REFUND = Decimal("80.00")
    first = return_request_submit(order=order, lines=[standard(mug(order))])
    Refund.objects.create(
        request=first, order=order, currency="USD", merchandise=Decimal("75.00"), tax=0, shipping=0, deduction=0,
        total=Decimal("75.00"), payment_method="Visa",
    )  # fmt: skip
    return submitted_from_the_form(order, lamp(order))


def many_in_90_days(order, settings):
    settings.AUTO_APPROVE_MAX_RETURNS_90_DAYS = 1
    submitted_from_the_form(order, mug(order))
    return submitted_from_the_form(order, lamp(order))


@pytest.mark.parametrize(
    ("make", "rule", "words"),
    [
        (blocked_email, risk.BLOCKED_EMAIL, "ana@example.com is on the block list: Chargebacks in 2025"),
        (refund_limit_with_no_estimate, risk.MAX_REFUND, "could reach $81.59, above the $80.00 limit"),
        (many_in_90_days, risk.MAX_RETURNS_90_DAYS, "2 return requests from ana@example.com in the last 90 days"),
    ],
)
def test_the_panel_shows_the_hold_submission_recorded(client, service_agent, order, settings, make, rule, words):
    rr = make(order, settings)
    rr.refresh_from_db()
    assert (rr.auto_review, rr.auto_review_rule) == (AutoReview.HELD, rule)
    assert words in rr.auto_review_note
    client.force_login(service_agent)
    response = client.get(page_url(rr))
    panel = response.context["risk"]
    assert [(h.rule, h.message) for h in panel["holds"]] == [(rr.auto_review_rule, rr.auto_review_note)]
    assert panel["held"]["rule"] == rule
    assert f"{risk.RULE_LABELS[rule]}</strong>: {rr.auto_review_note}" in response.content.decode()
