"""The staff desk in the admin: who gets in, the list, a request's page, the overview, receiving, export, orders.

The steps (buttons, bulk actions, inspection) are in ``test_admin_actions.py``.
"""

import csv
import html as html_lib
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from returns.conf import store_today
from returns.models import (
    DamagePhoto,
    Notification,
    Order,
    OrderLine,
    PendingPhoto,
    Refund,
    ReturnLine,
    ReturnRequest,
    new_rma_number,
)
from returns.selectors.staff import store_week
from returns.services.inspection import LineVerdict, return_request_inspect
from returns.services.refunds import refund_issue
from returns.services.requests import (
    LineRequest,
    return_request_approve,
    return_request_receive,
    return_request_record_shipment,
    return_request_submit,
)
from tests.factories import OrderFactory, OrderLineFactory, StaffFactory, pending_photo

pytestmark = pytest.mark.django_db
S = ReturnRequest.Status


# --- helpers shared with test_admin_actions.py ---------------------------------


def admin_url(name, *args, model="returnrequest"):
    return reverse(f"admin:returns_{model}_{name}", args=args)


def page_url(req):
    return admin_url("change", req.pk)


def messages_of(response):
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def standard(ol, quantity=1, reason="changed_mind"):
    return LineRequest(
        order_line_id=ol.pk, quantity=quantity, reason=reason, description="No longer needed", condition_confirmed=True
    )


def damaged(ol, quantity=1, preference="refund"):
    return LineRequest(
        order_line_id=ol.pk,
        quantity=quantity,
        reason="damaged",
        description="Cracked in the box",
        preference=preference,
        photos=[
            pending_photo(ol, "issue", "a.jpg"),
            pending_photo(ol, "packaging", "b.jpg"),
        ],
    )


def submit(order, *lines, by=None):
    return return_request_submit(order=order, lines=list(lines), by=by)


def mug(order):
    return order.lines.get(sku="MUG-01")


def lamp(order):
    return order.lines.get(sku="LAMP-02")


def inspect_all(req, by, **verdict):
    verdicts = {rl.pk: LineVerdict(**(verdict or {"accepted": True})) for rl in req.lines.all()}
    return return_request_inspect(request=req, by=by, verdicts=verdicts)


@pytest.fixture(name="superuser")
def fixture_superuser(db):
    return User.objects.create_superuser(email="boss@alotrop.com", password="pass-word-123")


@pytest.fixture(name="submitted")
def fixture_submitted(order, customer):
    """Two mugs, changed mind: 2 x 12.50 + 2 x 1.00 tax if accepted."""
    return submit(order, standard(mug(order), 2), by=customer)


@pytest.fixture(name="approved")
def fixture_approved(submitted, service_agent):
    return return_request_approve(request=submitted, by=service_agent, return_required=True)


@pytest.fixture(name="received")
def fixture_received(approved, warehouse):
    return return_request_receive(request=approved, by=warehouse)


@pytest.fixture(name="inspected")
def fixture_inspected(received, warehouse):
    """Refund $27.00, pending."""
    return inspect_all(received, warehouse)


# --- who gets in ----------------------------------------------------------------


def every_admin_url(req, line):
    """Every URL this work adds or relies on, with the method staff use."""
    return [
        ("get", reverse("admin:index")),
        ("get", admin_url("changelist")),
        ("get", page_url(req)),
        ("get", admin_url("receiving")),
        ("get", admin_url("inspect", req.pk)),
        ("post", admin_url("inspect", req.pk)),
        ("post", admin_url("approve", req.pk)),
        ("post", admin_url("reject", req.pk)),
        ("post", admin_url("receive", req.pk)),
        ("post", admin_url("refund_issue", req.pk)),
        ("post", admin_url("refund_fail", req.pk)),
        ("post", admin_url("replacement", req.pk, line.pk)),
        ("post", admin_url("reinstate", req.pk)),
        ("get", admin_url("export", model="refund")),
        ("get", admin_url("changelist", model="refund")),
        ("get", admin_url("change", req.order_id, model="order")),
    ]


def test_a_customer_is_sent_to_the_admin_login_for_every_admin_url(client, customer, submitted):
    client.force_login(customer)
    for method, url in every_admin_url(submitted, submitted.lines.get()):
        response = getattr(client, method)(url, {"return_required": "yes", "reason": "x", "reference": "x"})
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url
    submitted.refresh_from_db()
    assert submitted.status == S.SUBMITTED


def test_anonymous_visitors_are_sent_to_the_login_too(client, submitted):
    for method, url in every_admin_url(submitted, submitted.lines.get()):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login")), url


@pytest.mark.parametrize("role", ["warehouse", "service_agent"])
def test_both_roles_see_the_list_and_a_request_page_without_any_way_to_edit_status(client, role, submitted, request):
    client.force_login(request.getfixturevalue(role))
    listing = client.get(admin_url("changelist"))
    assert listing.status_code == 200
    assert submitted.rma in listing.content.decode()
    page = client.get(page_url(submitted))
    assert page.status_code == 200
    html = page.content.decode()
    assert submitted.rma in html
    assert 'name="status"' not in html
    assert 'name="_save"' not in html
    # The page itself cannot be posted to: everything goes through the step buttons.
    assert client.post(page_url(submitted), {"status": "refunded"}).status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == S.SUBMITTED


def test_nobody_adds_or_deletes_requests_or_refunds_in_the_admin(client, superuser, inspected):
    client.force_login(superuser)
    assert client.get(admin_url("add")).status_code == 403
    assert client.get(admin_url("delete", inspected.pk)).status_code == 403
    assert client.get(admin_url("add", model="refund")).status_code == 403
    assert client.get(admin_url("delete", inspected.refund.pk, model="refund")).status_code == 403
    assert client.post(admin_url("change", inspected.refund.pk, model="refund"), {"state": "issued"}).status_code == 403
    assert Refund.objects.get().state == Refund.State.PENDING


def test_staff_without_a_role_see_nothing(client, submitted):
    nobody = StaffFactory(email="temp@alotrop.com")
    client.force_login(nobody)
    assert client.get(admin_url("changelist")).status_code == 403
    assert client.get(admin_url("receiving")).status_code == 403
    assert client.post(admin_url("approve", submitted.pk), {"return_required": "yes"}).status_code == 403
    assert client.get(admin_url("export", model="refund")).status_code == 403


# --- the list -------------------------------------------------------------------


def _many_requests(order, count):
    """``count`` requests in various states, made with bulk_create (the services would take minutes for 500)."""
    today = store_today()
    line = mug(order)
    statuses = [S.SUBMITTED, S.APPROVED, S.SHIPPED, S.RECEIVED, S.INSPECTED]
    requests = ReturnRequest.objects.bulk_create(
        [
            ReturnRequest(
                order=order,
                rma=new_rma_number(),
                status=statuses[i % len(statuses)],
                return_required=None if i % len(statuses) == 0 else True,
                approved_on=None if i % len(statuses) == 0 else today,
                ship_by=None if i % len(statuses) == 0 else today + timedelta(days=(i % 40) - 10),
                tracking_number=f"1Z{i:06d}",
            )
            for i in range(count)
        ]
    )
    ReturnLine.objects.bulk_create(
        [
            ReturnLine(request=r, order_line=line, quantity=1, reason="damaged" if i % 3 else "changed_mind")
            for i, r in enumerate(requests)
        ]
    )
    Refund.objects.bulk_create(
        [
            Refund(
                request=r,
                order=order,
                currency="USD",
                merchandise=Decimal("12.50"),
                tax=Decimal("1.00"),
                shipping=Decimal("0"),
                deduction=Decimal("0"),
                total=Decimal("13.50"),
                payment_method="Visa ending 4242",
            )
            for r in requests
            if r.status == S.INSPECTED
        ]
    )
    return requests


def _list_queries(client, params=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(admin_url("changelist"), params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries), response


@pytest.mark.parametrize("params", [{}, {"queue": "overdue"}, {"fault": "yes", "q": "1Z"}, {"o": "5.-8"}])
def test_the_list_runs_the_same_number_of_queries_for_10_and_500_requests(client, service_agent, order, params):
    """The list is the page staff open all day: its cost must not grow with the page (list_select_related,
    annotations), so 10 rows and a full page of 500 (shown 50 at a time, then all) take the same queries."""
    client.force_login(service_agent)
    _many_requests(order, 10)
    few, response = _list_queries(client, params)
    _many_requests(order, 490)
    many, _ = _list_queries(client, params)
    assert many == few
    # Even when the whole 500 are on one page.
    everything, response = _list_queries(client, {**params, "all": ""})
    assert everything == few
    if not params:
        assert response.context["cl"].result_count == 500


def test_the_list_shows_what_a_person_scans(client, service_agent, inspected, order):
    client.force_login(service_agent)
    assert client.get(admin_url("changelist"), {"_facets": "1"}).status_code == 200  # "Show counts" works too
    html = client.get(admin_url("changelist")).content.decode()
    for text in (inspected.rma, order.number, order.email, "Inspected", "$27.00", "To be issued"):
        assert text in html


def _states(order, customer, service_agent, warehouse):
    """One request per queue, on separate orders so quantities never clash."""
    today = store_today()
    out = {}
    o1 = OrderFactory(email=customer.email)
    out["review"] = submit(o1, standard(OrderLineFactory(order=o1)))
    o2 = OrderFactory(email=customer.email)
    overdue = submit(o2, standard(OrderLineFactory(order=o2)))
    return_request_approve(request=overdue, by=service_agent, return_required=True)
    ReturnRequest.objects.filter(pk=overdue.pk).update(ship_by=today - timedelta(days=1))
    out["overdue"] = overdue
    o3 = OrderFactory(email=customer.email)
    due_today = submit(o3, standard(OrderLineFactory(order=o3)))
    return_request_approve(request=due_today, by=service_agent, return_required=True)
    ReturnRequest.objects.filter(pk=due_today.pk).update(ship_by=today)
    out["on_time"] = due_today
    o4 = OrderFactory(email=customer.email)
    parcel = submit(o4, standard(OrderLineFactory(order=o4)))
    return_request_approve(request=parcel, by=service_agent)
    return_request_receive(request=parcel, by=warehouse)
    out["received"] = parcel
    o5 = OrderFactory(email=customer.email)
    kept = submit(o5, damaged(OrderLineFactory(order=o5)))
    return_request_approve(request=kept, by=service_agent, return_required=False)
    out["no_return"] = kept
    return out


def _rmas(response):
    return {r.rma for r in response.context["cl"].result_list}


def test_queue_filters_match_their_definition(client, service_agent, warehouse, customer, order):
    states = _states(order, customer, service_agent, warehouse)
    client.force_login(service_agent)
    assert _rmas(client.get(admin_url("changelist"), {"queue": "review"})) == {states["review"].rma}
    # The ship-by day itself is still on time (R6).
    assert _rmas(client.get(admin_url("changelist"), {"queue": "overdue"})) == {states["overdue"].rma}
    assert _rmas(client.get(admin_url("changelist"), {"queue": "inspection"})) == {
        states["received"].rma,
        states["no_return"].rma,
    }
    assert _rmas(client.get(admin_url("changelist"), {"status__exact": "received"})) == {states["received"].rma}
    assert _rmas(client.get(admin_url("changelist"), {"reason": "damaged"})) == {states["no_return"].rma}
    assert _rmas(client.get(admin_url("changelist"), {"fault": "yes"})) == {states["no_return"].rma}
    assert states["no_return"].rma not in _rmas(client.get(admin_url("changelist"), {"fault": "no"}))


def test_search_by_rma_in_lower_case_order_number_email_and_tracking(client, service_agent, approved, customer):
    return_request_record_shipment(request=approved, by=customer, carrier="UPS", tracking_number="1Z999AA1")
    other_order = OrderFactory(email="someone@example.com", number="555000")
    other = submit(other_order, standard(OrderLineFactory(order=other_order)))
    client.force_login(service_agent)
    for term in (approved.rma.lower(), "100234", "ana@example.com", "1z999aa1"):
        assert _rmas(client.get(admin_url("changelist"), {"q": term})) == {approved.rma}, term
    assert _rmas(client.get(admin_url("changelist"), {"q": "555000"})) == {other.rma}


def test_date_hierarchy_on_created_at(client, service_agent, submitted):
    client.force_login(service_agent)
    created = submitted.created_at
    response = client.get(admin_url("changelist"), {"created_at__year": created.year})
    assert submitted.rma in _rmas(response)


def test_bulk_approve_is_offered_to_customer_service_only(client, service_agent, warehouse, submitted):
    client.force_login(service_agent)
    actions = dict(client.get(admin_url("changelist")).context["action_form"].fields["action"].choices)
    assert "approve_selected" in actions and "receive_selected" not in actions
    client.force_login(warehouse)
    actions = dict(client.get(admin_url("changelist")).context["action_form"].fields["action"].choices)
    assert "receive_selected" in actions and "approve_selected" not in actions


# --- a request's page -----------------------------------------------------------


def test_the_page_shows_eligibility_with_rule_ids(client, service_agent, submitted, order):
    sale = OrderLineFactory(order=order, sku="SALE-1", name="Clearance vase", final_sale=True)
    client.force_login(service_agent)
    response = client.get(page_url(submitted))
    rows = {row["view"].line.sku: row for row in response.context["order_lines"]}
    assert rows["MUG-01"]["in_this_request"] == 2
    html = response.content.decode()
    last_day = order.delivered_on + timedelta(days=28)
    assert f"Returnable until {last_day:%b %-d, %Y}" in html
    assert '<span class="rr-rule">R1</span>' in html
    # The mugs are all in this very request: said plainly, not as an R4 alarm.
    assert "Every unit of this item is already in a return request." not in html
    assert '<span class="rr-rule">R4</span> 2 in this request.' in html
    assert '<span class="rr-rule rr-no">R4</span>' not in html
    assert "Final-sale items can be returned only if" in html and '<span class="rr-rule rr-no">R3</span>' in html
    assert sale.name in html


def test_the_page_shows_the_claim_history_with_staff_email_and_breakdown(client, service_agent, inspected, warehouse):
    client.force_login(service_agent)
    html = client.get(page_url(inspected)).content.decode()
    assert "Changed my mind" in html and "No longer needed" in html
    # History: who did what, staff by email.
    assert f"{service_agent.email} (staff)" in html
    assert f"{warehouse.email} (staff)" in html
    # Steps and statuses in staff's words, never codes.
    assert "Submitted – to review → Approved – awaiting parcel" in html
    assert "Approved – awaiting parcel → Received – to inspect" in html
    assert "Received – to inspect → Inspected – refund or replacement to send" in html
    assert "Parcel received" in html and "Refund_issued" not in html and ">received<" not in html
    # The refund breakdown, line by line with its rule.
    assert "Stoneware mug × 2" in html and "$25.00" in html
    assert "Tax on Stoneware mug × 2" in html and "$2.00" in html
    assert "Shipping charges are not refunded unless" in html
    assert "$27.00" in html and "To be issued" in html and "Visa ending 4242" in html


def test_photos_show_as_thumbnails_opening_full_size_through_the_private_view(client, warehouse, order, customer):
    req = submit(order, damaged(lamp(order)), by=customer)
    client.force_login(warehouse)
    html = client.get(page_url(req)).content.decode()
    for photo in DamagePhoto.objects.filter(line__request=req):
        full = reverse("returns:photo", args=[photo.pk])
        thumb = reverse("returns:photo_thumbnail", args=[photo.pk])
        assert f'href="{full}"' in html
        assert f'src="{thumb}"' in html
    assert "The packaging" in html and "Prefers: <strong>Refund</strong>" in html


def test_an_issued_refund_shows_reference_date_and_expected_arrival(client, service_agent, inspected):
    refund_issue(refund=inspected.refund, by=service_agent, reference="re_777")
    client.force_login(service_agent)
    response = client.get(page_url(inspected))
    html = response.content.decode()
    assert "re_777" in html and "Issued" in html
    start, end = response.context["refund_info"]["expected"]
    assert f"{start:%b} {start.day}" in html and f"{end:%b} {end.day}, {end.year}" in html


def test_buttons_follow_status_and_role(client, service_agent, warehouse, submitted, order):
    client.force_login(service_agent)
    html = client.get(page_url(submitted)).content.decode()
    assert admin_url("approve", submitted.pk) in html and admin_url("reject", submitted.pk) in html
    assert admin_url("receive", submitted.pk) not in html
    client.force_login(warehouse)
    html = client.get(page_url(submitted)).content.decode()
    assert admin_url("approve", submitted.pk) not in html
    assert "Nothing for you to do on this request now." in html
    return_request_approve(request=submitted, by=service_agent)
    html = client.get(page_url(submitted)).content.decode()
    assert admin_url("receive", submitted.pk) in html
    return_request_receive(request=submitted, by=warehouse)
    html = client.get(page_url(submitted)).content.decode()
    assert admin_url("inspect", submitted.pk) in html
    inspect_all(submitted, warehouse)
    html = client.get(page_url(submitted)).content.decode()
    assert admin_url("refund_issue", submitted.pk) not in html  # warehouse cannot pay
    client.force_login(service_agent)
    html = client.get(page_url(submitted)).content.decode()
    assert admin_url("refund_issue", submitted.pk) in html and admin_url("refund_fail", submitted.pk) in html


def test_the_page_has_a_fixed_number_of_queries(client, service_agent, order, customer, django_assert_max_num_queries):
    """A request with many lines and photos costs no more queries than one with a single line."""
    client.force_login(service_agent)
    small = submit(order, damaged(lamp(order)), by=customer)
    with CaptureQueriesContext(connection) as one:
        client.get(page_url(small))
    big_order = OrderFactory(email=customer.email)
    lines = [OrderLineFactory(order=big_order) for _ in range(6)]
    big = submit(big_order, *[damaged(ol) for ol in lines], by=customer)
    return_request_approve(request=big, by=service_agent)
    with django_assert_max_num_queries(len(one.captured_queries) + 1):  # + the approval's history user
        client.get(page_url(big))


# --- the overview on the admin index ----------------------------------------------


def test_overview_counts_each_queue_and_this_weeks_refunds(client, service_agent, warehouse, customer, order):
    states = _states(order, customer, service_agent, warehouse)
    today = store_today()
    monday, sunday = store_week(today)
    # Two refunds issued this week, one last week (not counted), one pending (not counted).
    issued = []
    for _ in range(4):
        o = OrderFactory(email=customer.email)
        ol = OrderLineFactory(order=o, unit_price=Decimal("20.00"), unit_tax=Decimal("1.60"))
        r = submit(o, standard(ol))
        return_request_approve(request=r, by=service_agent)
        return_request_receive(request=r, by=warehouse)
        issued.append(inspect_all(r, warehouse).refund)
    for refund in issued[:3]:
        refund_issue(refund=refund, by=service_agent, reference="re")
    Refund.objects.filter(pk=issued[2].pk).update(issued_on=monday - timedelta(days=1))
    client.force_login(service_agent)
    response = client.get(reverse("admin:index"))
    overview = response.context["returns_overview"]
    queues = {t.label: (t.count, t.url) for t in overview["tiles"]}
    changelist = admin_url("changelist")
    assert queues["To review"] == (1, f"{changelist}?queue=review")
    assert queues["Overdue to ship"] == (1, f"{changelist}?queue=overdue")
    assert queues["To inspect"] == (2, f"{changelist}?queue=inspection")
    assert overview["refunds_count"] == 2
    assert overview["refund_totals"] == ["$43.20"]
    assert (overview["week_start"], overview["week_end"]) == (monday, sunday)
    assert monday.weekday() == 0
    html = response.content.decode()
    assert f'href="{changelist}?queue=overdue"' in html and "$43.20" in html
    # Each number opens its list, showing the same requests.
    assert _rmas(client.get(f"{changelist}?queue=overdue")) == {states["overdue"].rma}
    refunds = client.get(overview["refunds_url"]).context["cl"].result_list
    assert {r.pk for r in refunds} == {issued[0].pk, issued[1].pk}


def test_overview_totals_per_currency_in_a_fixed_number_of_queries(client, service_agent, customer, warehouse):
    client.force_login(service_agent)

    def refund_in(currency, amount):
        o = OrderFactory(email=customer.email, currency=currency)
        r = submit(o, standard(OrderLineFactory(order=o, unit_price=Decimal(amount), unit_tax=Decimal("0"))))
        return_request_approve(request=r, by=service_agent)
        return_request_receive(request=r, by=warehouse)
        refund_issue(refund=inspect_all(r, warehouse).refund, by=service_agent, reference="re")

    refund_in("USD", "10.00")
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("admin:index"))
    for currency, amount in [("USD", "5.25"), ("EUR", "30.00"), ("GBP", "7.00"), ("EUR", "1.01")]:
        refund_in(currency, amount)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("admin:index"))
    assert len(many.captured_queries) == len(few.captured_queries)
    assert response.context["returns_overview"]["refund_totals"] == ["€31.01", "£7.00", "$15.25"]


MB, GB = 1024 * 1024, 1024 * 1024 * 1024


@pytest.mark.parametrize(
    ("used", "told"),
    [
        (1 * MB, ""),  # plenty of room: nothing said
        (int(1.7 * GB), "Photo uploads will pause soon. Photos waiting for returns not yet sent take 1.7 GB"),
        (2 * GB - MB, "Customers' photo uploads are paused. Photos waiting for returns not yet sent take 2.0 GB"),
    ],
)
def test_staff_are_told_when_pending_photos_near_or_reach_the_cap(client, warehouse, order, settings, used, told):
    settings.PENDING_PHOTO_MAX_BYTES = 2 * GB
    PendingPhoto.objects.filter(pk=pending_photo(mug(order)).pk).update(size=used)  # as if that much were waiting
    client.force_login(warehouse)
    html = client.get(reverse("admin:index")).content.decode()
    if not told:
        assert 'id="photo-room-warning"' not in html
        return
    [warning] = re.findall(r'<p [^>]*id="photo-room-warning"[^>]*>(.*?)</p>', html, re.S)
    page = " ".join(re.sub(r"<[^>]+>", "", warning).replace("&#x27;", "'").split())
    assert told in page
    assert "of the 2.0 GB allowed (PENDING_PHOTO_MAX_BYTES); past it customers are asked to try again" in page


def test_warehouse_sees_the_queues_but_no_refund_links(client, warehouse):
    client.force_login(warehouse)
    response = client.get(reverse("admin:index"))
    overview = response.context["returns_overview"]
    assert overview["refunds_url"] == "" and overview["export_url"] == ""
    assert admin_url("receiving") in response.content.decode()


# --- the receiving desk -------------------------------------------------------------


def test_receiving_desk_is_linked_from_the_index_and_the_list(client, warehouse):
    client.force_login(warehouse)
    desk = admin_url("receiving")
    assert f'href="{desk}"' in client.get(reverse("admin:index")).content.decode()
    assert f'href="{desk}"' in client.get(admin_url("changelist")).content.decode()
    html = client.get(desk).content.decode()
    assert 'name="rma"' in html and "autofocus" in html


@pytest.mark.parametrize("typed", ["{rma}", "  {lower}  ", "{lower}\n", "{bare}", "https://alotrop.com/returns/{rma}/"])
def test_receiving_desk_finds_the_rma_however_it_is_typed_or_scanned(client, warehouse, approved, typed):
    code = typed.format(rma=approved.rma, lower=approved.rma.lower(), bare=approved.rma[4:].replace("-", ""))
    client.force_login(warehouse)
    response = client.get(admin_url("receiving"), {"rma": code})
    assert response.status_code == 302
    assert response["Location"] == f"{page_url(approved)}?from=receiving"
    page = client.get(response["Location"]).content.decode()
    # Ready to mark received: the button is focused, and it comes back to the desk.
    assert admin_url("receive", approved.pk) in page
    assert 'name="_next" value="receiving"' in page
    assert "received</button>" in page and "autofocus>Mark" in page


def test_receiving_desk_unknown_rma_says_so_and_offers_the_field_again(client, warehouse, approved):
    client.force_login(warehouse)
    response = client.get(admin_url("receiving"), {"rma": " rma-zzzz-zzzz "})
    assert response.status_code == 200
    html = response.content.decode()
    assert "No return request has the RMA number “rma-zzzz-zzzz”" in html
    assert 'name="rma"' in html and "autofocus" in html


def test_receiving_desk_warns_when_there_is_nothing_to_receive(client, warehouse, submitted):
    client.force_login(warehouse)
    response = client.get(admin_url("receiving"), {"rma": submitted.rma})
    assert response.status_code == 302
    assert ("warning", f"{submitted.rma} is submitted – to review: there is nothing to receive.") in (
        messages_of(response)
    )


def test_receiving_from_the_desk_offers_inspect_now(client, warehouse, approved):
    """The warehouse inspects what it receives: after *Mark received* the same page offers *Inspect now*,
    focused, so Enter opens the inspection."""
    client.force_login(warehouse)
    response = client.post(admin_url("receive", approved.pk), {"_next": "receiving"})
    assert response["Location"] == f"{admin_url('change', approved.pk)}?from=receiving"
    assert ("success", f"{approved.rma} marked received; it is waiting for inspection.") in messages_of(response)
    approved.refresh_from_db()
    assert approved.status == S.RECEIVED
    html = client.get(response["Location"]).content.decode()
    assert f'href="{admin_url("inspect", approved.pk)}" autofocus>Inspect {approved.rma} now</a>' in html
    assert "Back to the receiving desk" in html


def test_receiving_from_the_desk_returns_to_the_desk_for_who_only_receives(client, approved):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    porter = UserFactory(is_staff=True)
    porter.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_returnrequest", "receive_returnrequest"])
    )
    client.force_login(porter)
    response = client.post(admin_url("receive", approved.pk), {"_next": "receiving"})
    assert response["Location"] == admin_url("receiving")
    approved.refresh_from_db()
    assert approved.status == S.RECEIVED


# --- the CSV export ------------------------------------------------------------------


def _issued_refund(customer, service_agent, warehouse, *, issued_on, price="20.00", reference="re"):
    o = OrderFactory(email=customer.email)
    r = submit(o, standard(OrderLineFactory(order=o, unit_price=Decimal(price), unit_tax=Decimal("1.60"))))
    return_request_approve(request=r, by=service_agent)
    return_request_receive(request=r, by=warehouse)
    refund = inspect_all(r, warehouse).refund
    refund_issue(refund=refund, by=service_agent, reference=reference, today=issued_on)
    return Refund.objects.select_related("request", "order").get(pk=refund.pk)


def test_export_lists_refunds_issued_in_the_range_both_days_included(client, service_agent, warehouse, customer):
    day = store_today() - timedelta(days=30)
    first = _issued_refund(customer, service_agent, warehouse, issued_on=day, reference="re_first")
    last = _issued_refund(customer, service_agent, warehouse, issued_on=day + timedelta(days=6), price="9.50")
    _issued_refund(customer, service_agent, warehouse, issued_on=day + timedelta(days=7))  # after the range
    _issued_refund(customer, service_agent, warehouse, issued_on=day - timedelta(days=1))  # before it
    client.force_login(service_agent)
    response = client.get(
        admin_url("export", model="refund"), {"start": day.isoformat(), "end": (day + timedelta(days=6)).isoformat()}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "RMA",
        "order number",
        "customer email",
        "issued on",
        "currency",
        "merchandise",
        "tax",
        "shipping",
        "deduction",
        "total",
        "payment method",
        "reference",
        "issued by",
    ]
    assert len(rows) == 3
    assert rows[1] == [
        first.request.rma,
        first.order.number,
        "ana@example.com",
        day.isoformat(),
        "USD",
        "20.00",
        "1.60",
        "0.00",
        "0.00",
        "21.60",
        "Visa ending 4242",
        "re_first",
        service_agent.email,
    ]
    assert rows[2][0] == last.request.rma and rows[2][9] == "11.10"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-03-10", "end": "2026-03-01"}, "is after the end date"),
        ({"start": "2026-03-01", "end": ""}, "This field is required."),
        ({"start": "yesterday", "end": "2026-03-01"}, "Enter a valid date."),
    ],
)
def test_export_refuses_a_bad_range_with_a_clear_message(client, service_agent, params, message):
    client.force_login(service_agent)
    response = client.get(admin_url("export", model="refund"), params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert message in response.content.decode()


def test_export_is_for_customer_service_only(client, warehouse, superuser):
    params = {"start": "2026-01-01", "end": "2026-01-31"}
    client.force_login(warehouse)
    assert client.get(admin_url("export", model="refund"), params).status_code == 403
    client.force_login(superuser)
    assert client.get(admin_url("export", model="refund"), params).status_code == 200


def test_export_neutralises_spreadsheet_formulas(client, service_agent, warehouse, customer):
    refund = _issued_refund(customer, service_agent, warehouse, issued_on=store_today(), reference="=HYPERLINK(1)")
    client.force_login(service_agent)
    day = store_today().isoformat()
    rows = list(
        csv.reader(
            io.StringIO(client.get(admin_url("export", model="refund"), {"start": day, "end": day}).content.decode())
        )
    )
    assert rows[1][0] == refund.request.rma and rows[1][11] == "'=HYPERLINK(1)"


# --- orders -------------------------------------------------------------------------


def _order_post_data(order: Order, delete_skus=()):
    lines = list(order.lines.order_by("id"))
    data = {
        "number": order.number,
        "email": order.email,
        "customer_name": order.customer_name,
        "placed_at_0": order.placed_at.date().isoformat(),
        "placed_at_1": "10:00:00",
        "delivered_on": order.delivered_on.isoformat(),
        "currency": order.currency,
        "shipping_charged": str(order.shipping_charged),
        "payment_method": order.payment_method,
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": str(len(lines)),
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for i, ol in enumerate(lines):
        data.update(
            {
                f"lines-{i}-id": str(ol.pk),
                f"lines-{i}-order": str(order.pk),
                f"lines-{i}-sku": ol.sku,
                f"lines-{i}-name": ol.name,
                f"lines-{i}-quantity": str(ol.quantity),
                f"lines-{i}-unit_price": str(ol.unit_price),
                f"lines-{i}-unit_tax": str(ol.unit_tax),
            }
        )
        if ol.sku in delete_skus:
            data[f"lines-{i}-DELETE"] = "on"
    return data


def test_an_order_line_in_a_return_cannot_be_deleted_and_says_why(client, superuser, submitted, order):
    """Customer service has no delete permission on lines at all; a superuser has, but not for lines in a return."""
    client.force_login(superuser)
    html = client.get(admin_url("change", order.pk, model="order")).content.decode()
    assert "In a return request: cannot be changed or deleted." in html and "Cannot be deleted" in html
    assert submitted.rma in html
    response = client.post(admin_url("change", order.pk, model="order"), _order_post_data(order, {"MUG-01", "LAMP-02"}))
    assert response.status_code == 302
    # The lamp (in no return) is gone; the mug (in one) stays.
    assert list(OrderLine.objects.filter(order=order).values_list("sku", flat=True)) == ["MUG-01"]


def test_what_a_return_depends_on_cannot_be_edited(client, superuser, submitted, order):
    """The mug's price and the order's email and shipping stay as the return was made against them."""
    client.force_login(superuser)
    data = _order_post_data(order, set())
    mug_index = [ol.sku for ol in order.lines.order_by("id")].index("MUG-01")
    data[f"lines-{mug_index}-unit_price"] = "1.00"
    data[f"lines-{mug_index}-quantity"] = "9"
    data.update({"email": "thief@example.com", "shipping_charged": "99.00", "customer_name": "Ana L."})
    response = client.post(admin_url("change", order.pk, model="order"), data)
    assert response.status_code == 302
    order.refresh_from_db()
    mug = order.lines.get(sku="MUG-01")
    assert (mug.unit_price, mug.quantity) == (Decimal("12.50"), 2)
    assert (order.email, order.shipping_charged) == ("ana@example.com", Decimal("5.99"))
    assert order.customer_name == "Ana L."  # harmless fields still change


def test_staff_see_how_many_emails_and_refunds_wait_and_for_how_long(client, warehouse, settings):
    settings.READYZ_OUTBOX_MAX_AGE = 30 * 60
    now = timezone.now()
    for minutes_ago in (45, 5):
        Notification.objects.create(
            event="approved", audience="customer", to="ana@example.com", subject="s", body_text="b",
            next_attempt_at=now - timedelta(minutes=minutes_ago),
        )  # fmt: skip
    client.force_login(warehouse)
    html = client.get(reverse("admin:index")).content.decode()
    [line] = re.findall(r'<p [^>]*id="outbox-queues"[^>]*>(.*?)</p>', html, re.S)
    text = " ".join(html_lib.unescape(re.sub(r"<[^>]+>", "", line)).split())
    assert text == (
        "Waiting to go out: Emails: 2, the oldest due for 45 minutes · Refunds to the payment provider: none"
        " · Events to the store's endpoints: none"
    )
    assert 'class="rr-attention rr-queue" id="queue-emails"' in html  # later than /readyz allows: flagged
