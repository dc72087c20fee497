import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from returns.conf import policy_config, store_today
from returns.domain.policy import LineFacts, line_eligibility
from returns.models import Order, Refund, ReturnRequest

pytestmark = pytest.mark.django_db


def eligibility(order):
    return [
        line_eligibility(
            line=LineFacts(ol.quantity, ol.final_sale, ol.personalized, ol.quantity_in_returns),
            delivered_on=order.delivered_on,
            today=store_today(),
            cfg=policy_config(),
        )
        for ol in order.lines.all()
    ]


def test_seed_demo_shows_every_policy_case_and_can_run_twice(capsys, rf):
    call_command("seed_demo")
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "service@alotrop.com" in out and "alotrop-demo" in out

    assert Order.objects.count() == 7
    assert ReturnRequest.objects.count() == 3
    assert Refund.objects.count() == 1
    sign_in = rf.post("/admin/login/")
    warehouse = authenticate(sign_in, username="warehouse@alotrop.com", password="alotrop-demo")
    assert warehouse.groups.filter(name="Warehouse")

    last_day = eligibility(Order.objects.get(number="100102"))[0]
    assert last_day.can_return and last_day.days_left == 0
    closed = eligibility(Order.objects.get(number="100103"))[0]
    assert not closed.can_return and "window closed" in closed.summary.message
    excluded = eligibility(Order.objects.get(number="100104"))
    assert all(e.fault_allowed and not e.standard_allowed for e in excluded)
    undelivered = eligibility(Order.objects.get(number="100105"))[0]
    assert not undelivered.can_return and "support" in undelivered.summary.message
    assert Order.objects.filter(free_shipping=True).count() == 2
    assert Order.objects.get(number="100101").lines.count() == 3


def test_seed_demo_refuses_to_run_in_production(settings):
    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError, match="does not run in production"):
        call_command("seed_demo")
    assert not Order.objects.exists()
