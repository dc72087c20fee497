"""Returns analytics on a data set worked out by hand: every number on the page and in the CSVs."""

import csv
import io
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from returns.conf import store_today
from returns.models import Refund, ReturnRequest, StatusChange
from returns.selectors.analytics import monday, returns_analytics
from returns.services.inspection import LineVerdict, return_request_inspect
from returns.services.refunds import refund_issue
from returns.services.requests import (
    LineRequest,
    return_request_approve,
    return_request_receive,
    return_request_reject,
    return_request_submit,
)
from tests.factories import OrderFactory, OrderLineFactory, StaffFactory

pytestmark = pytest.mark.django_db
URL = "admin:returns_returnrequest_analytics"


def at(day, hour=12):
    return timezone.make_aware(datetime.combine(day, time(hour)))


def line(ol, quantity, reason):
    fault = reason in ("damaged", "defective", "wrong_item")
    photos = []
    if fault:
        from tests.factories import pending_photo

        photos = [pending_photo(ol, "issue"), pending_photo(ol, "packaging")]
    return LineRequest(order_line_id=ol.pk, quantity=quantity, reason=reason, description="x",
                       condition_confirmed=not fault, photos=photos)  # fmt: skip


@pytest.fixture(name="known")
def fixture_known(service_agent, warehouse, settings):
    """Two weeks, W0 and W1 (Mondays). Worked out:

    R1 W0+1 mug ×2 changed mind, received W0+2, refund 20.00 issued W0+5 (3 days)
    R2 W1   lamp ×1 damaged, fault confirmed, received W1+1, refund 40.00 issued W1+3 (2 days)
    R3 W1+2 mug ×1 defective, approved automatically, fault not confirmed (rejected at inspection)
    R4 W1+3 mug ×1 changed mind, rejected at review
    R5 before the range: left out.
    """
    w0 = monday(store_today()) - timedelta(weeks=3)
    w1 = w0 + timedelta(days=7)
    o1 = OrderFactory(placed_at=at(w0), shipping_charged=Decimal("0"))
    mug1 = OrderLineFactory(order=o1, sku="MUG", name="Mug", quantity=4, unit_price="10.00", unit_tax="0")
    lamp = OrderLineFactory(order=o1, sku="LAMP", name="Lamp", quantity=1, unit_price="40.00", unit_tax="0")
    o2 = OrderFactory(placed_at=at(w0 + timedelta(days=1)), shipping_charged=Decimal("0"))
    mug2 = OrderLineFactory(order=o2, sku="MUG", name="Mug", quantity=2, unit_price="10.00", unit_tax="0")
    o3 = OrderFactory(placed_at=at(w0 - timedelta(days=10)), shipping_charged=Decimal("0"))
    mug3 = OrderLineFactory(order=o3, sku="MUG", name="Mug", quantity=5, unit_price="10.00", unit_tax="0")

    def request(order, lines, created, *, received=None, verdict=None, issued=None, approve=True, auto=False):
        req = return_request_submit(order=order, lines=lines, auto_approve=auto)
        if approve and not auto:
            return_request_approve(request=req, by=service_agent)
        if received:
            return_request_receive(request=req, by=warehouse)
            StatusChange.objects.filter(request=req, event="received").update(at=at(received))
        if verdict:
            return_request_inspect(request=req, by=warehouse, verdicts={rl.pk: verdict for rl in req.lines.all()})
        if issued:
            refund_issue(refund=req.refund, by=service_agent, reference="re")
            Refund.objects.filter(request=req).update(issued_on=issued)
        ReturnRequest.objects.filter(pk=req.pk).update(created_at=at(created))
        return req

    ok = LineVerdict(accepted=True)
    r1 = request(o1, [line(mug1, 2, "changed_mind")], w0 + timedelta(days=1), received=w0 + timedelta(days=2),
                 verdict=ok, issued=w0 + timedelta(days=5))  # fmt: skip
    r2 = request(o1, [line(lamp, 1, "damaged")], w1, received=w1 + timedelta(days=1),
                 verdict=LineVerdict(accepted=True, fault_confirmed=True), issued=w1 + timedelta(days=3))  # fmt: skip
    settings.AUTO_APPROVE = "all"  # a fault claim too, so r3 is approved as it is submitted
    r3 = request(o2, [line(mug2, 1, "defective")], w1 + timedelta(days=2), received=w1 + timedelta(days=3),
                 verdict=LineVerdict(accepted=False, note="Works as it should"), auto=True)  # fmt: skip
    r4 = request(o2, [line(mug2, 1, "changed_mind")], w1 + timedelta(days=3), approve=False)
    return_request_reject(request=r4, by=service_agent, reason="Used")
    request(o3, [line(mug3, 1, "changed_mind")], w0 - timedelta(days=2))
    return {"w0": w0, "w1": w1, "end": w1 + timedelta(days=6), "requests": (r1, r2, r3, r4)}


def test_every_figure_on_a_known_data_set(known):
    data = returns_analytics(known["w0"], known["end"])
    assert [(w.start, w.returns, w.refunded) for w in data.weeks] == [
        (known["w0"], 1, {"USD": Decimal("20.00")}),
        (known["w1"], 3, {"USD": Decimal("40.00")}),
    ]
    assert data.total_returns == 4
    # Returned (not cancelled or rejected) against sold on orders placed in the range: mugs 3 of 6, lamp 1 of 1.
    assert [(s.sku, s.returned, s.sold, s.rate) for s in data.skus] == [
        ("MUG", 3, 6, Decimal("0.500")),
        ("LAMP", 1, 1, Decimal("1.000")),
    ]
    assert [(r.reason, r.lines, r.inspected, r.fault_confirmed, r.confirmed_share) for r in data.reasons] == [
        ("changed_mind", 2, 1, 0, Decimal("0.000")),
        ("damaged", 1, 1, 1, Decimal("1.000")),
        ("defective", 1, 1, 0, Decimal("0.000")),
    ]
    assert data.median_days_received_to_refunded == Decimal("2.5")  # 3 and 2 days
    assert data.refunds_timed == 2
    assert (data.approved, data.approved_automatically, data.auto_share) == (3, 1, Decimal("0.333"))


def test_the_page_shows_the_figures_charts_and_csvs(client, service_agent, known):
    client.force_login(service_agent)
    params = {"start": known["w0"].isoformat(), "end": known["end"].isoformat()}
    response = client.get(reverse(URL), params)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<strong id="total-returns">4</strong>' in html
    assert '<strong id="median-days">2.5 days</strong>' in html
    assert '<strong id="auto-share">33.3%</strong>' in html and "(1 of 3 approved)" in html
    assert html.count('<svg class="rr-chart"') == 4  # returns, refunded (USD), products, reasons
    assert "<script" not in html.split('id="content-main"')[1].split("</main>")[0]
    assert "$20.00" in html and "$40.00" in html and "50.0%" in html and "100.0%" in html
    weekly = list(csv.reader(io.StringIO(client.get(reverse(URL), {**params, "csv": "weekly"}).content.decode())))
    assert weekly == [
        ["week starting", "return requests", "refunded USD"],
        [known["w0"].isoformat(), "1", "20.00"],
        [known["w1"].isoformat(), "3", "40.00"],
    ]
    skus = list(csv.reader(io.StringIO(client.get(reverse(URL), {**params, "csv": "skus"}).content.decode())))
    assert skus[1:] == [["MUG", "Mug", "3", "6", "0.500"], ["LAMP", "Lamp", "1", "1", "1.000"]]
    reasons = list(csv.reader(io.StringIO(client.get(reverse(URL), {**params, "csv": "reasons"}).content.decode())))
    assert reasons[1:] == [
        ["Changed my mind", "2", "1", "0", "0.000"],
        ["Damaged on arrival", "1", "1", "1", "1.000"],
        ["Defective or faulty", "1", "1", "0", "0.000"],
    ]


def test_approved_automatically_counts_what_the_risk_rules_approved_not_approvals_without_a_user(
    client, service_agent, settings
):
    """The share approved automatically, on requests made through the services. Worked out:

    A  standard reason, AUTO_APPROVE=standard: approved as it was submitted (auto-approval)
    B  a fault claim, left for staff; approved by Dana, whose staff account is deleted later
    C  standard reason, reviewed: approved by Cara
    D  standard reason, reviewed: rejected by Cara (never approved)

    Approved: A, B, C = 3. Approved automatically: A = 1, so 33.3%. B lost its user when Dana's
    account went, but a person approved it; counting approvals without a user said 2 of 3 (66.7%).
    """
    settings.AUTO_APPROVE = "standard"
    dana = StaffFactory(email="dana@alotrop.com", role="Customer service")
    week = monday(store_today()) - timedelta(weeks=2)

    def request(reason, *, auto=False):
        ol = OrderLineFactory(order=OrderFactory(), quantity=1, unit_price="20.00", unit_tax="0")
        return return_request_submit(order=ol.order, lines=[line(ol, 1, reason)], auto_approve=auto)

    a = request("changed_mind", auto=True)
    b = request("damaged", auto=True)
    return_request_approve(request=b, by=dana)
    c = request("changed_mind")
    return_request_approve(request=c, by=service_agent)
    d = request("changed_mind")
    return_request_reject(request=d, by=service_agent, reason="Used")
    dana.delete()
    assert StatusChange.objects.get(request=b, event="approved").by is None  # as an auto-approval's row
    ReturnRequest.objects.filter(pk__in=[a.pk, b.pk, c.pk, d.pk]).update(created_at=at(week + timedelta(days=1)))

    data = returns_analytics(week, week + timedelta(days=6))
    assert (data.approved, data.approved_automatically, data.auto_share) == (3, 1, Decimal("0.333"))
    client.force_login(service_agent)
    html = client.get(reverse(URL), {"start": week.isoformat(), "end": (week + timedelta(days=6)).isoformat()})
    html = html.content.decode()
    assert '<strong id="auto-share">33.3%</strong>' in html and "(1 of 3 approved)" in html


def test_analytics_is_for_customer_service_and_bad_ranges_say_why(client, warehouse, service_agent):
    client.force_login(warehouse)
    assert client.get(reverse(URL)).status_code == 403
    client.force_login(service_agent)
    assert client.get(reverse(URL)).status_code == 200  # the last twelve weeks by default
    bad = client.get(reverse(URL), {"start": "2026-05-01", "end": "2026-04-01"})
    assert bad.status_code == 400 and "The end date is before the start date." in bad.content.decode()
    assert client.get(reverse(URL), {"start": "nonsense", "end": ""}).status_code == 400
