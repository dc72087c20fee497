"""The staff desk in Debian's chromium: axe-core on every admin page staff work in, tables that fit,
the receiving desk and inspection on a tablet, and the double-click guard on the step forms."""

import re
from datetime import timedelta

import pytest

from accounts.models import User
from returns.models import Notification, ReturnRequest, StatusChange
from returns.services.requests import LineRequest, return_request_approve, return_request_receive, return_request_submit
from tests.factories import pending_photo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
S = ReturnRequest.Status
PASSWORD = "pass-word-123"  # the factories' test password


def _request(order, customer, *, photos=True):
    mug, lamp = order.lines.get(sku="MUG-01"), order.lines.get(sku="LAMP-02")
    lines = [
        LineRequest(order_line_id=mug.pk, quantity=1, reason="changed_mind", description="Too small",
                    condition_confirmed=True),
    ]  # fmt: skip
    if photos:
        lines.append(
            LineRequest(
                order_line_id=lamp.pk,
                quantity=1,
                reason="damaged",
                description="The shade is cracked.",
                photos=[
                    pending_photo(lamp, "issue", size=(400, 300)),
                    pending_photo(lamp, "packaging", size=(400, 300), color=(150, 120, 60)),
                ],
            )
        )
    return return_request_submit(order=order, by=customer, lines=lines)


def no_sideways_scroll(page, width):
    """Neither the page nor any table's scroll box is wider than the screen."""
    widest = page.evaluate(
        """() => Math.max(document.documentElement.scrollWidth,
            ...[...document.querySelectorAll('.results, table, .module')].map((e) => {
                const box = e.getBoundingClientRect();
                return box.left + Math.max(e.scrollWidth, box.width);
            }))"""
    )
    assert widest <= width + 1, f"{page.url}: content {widest} px wide in a {width} px window"


def test_admin_pages_have_no_serious_axe_findings_and_fit_1280(
    browser, live_server, staff_signed_in, axe, shot, customer, order, service_agent, warehouse
):
    boss = User.objects.create_superuser(email="boss@alotrop.com", password=PASSWORD)
    req = _request(order, customer)
    return_request_approve(request=req, by=service_agent)
    return_request_receive(request=req, by=warehouse)
    Notification.objects.filter(request=req).update(state=Notification.State.FAILED)
    page = staff_signed_in(boss.email)
    base = live_server.url
    pages = [
        ("overview", "/admin/"),
        ("request list", "/admin/returns/returnrequest/"),
        ("request page", f"/admin/returns/returnrequest/{req.pk}/change/"),
        ("inspection", f"/admin/returns/returnrequest/{req.pk}/inspect/"),
        ("receiving desk", "/admin/returns/returnrequest/receiving/"),
        ("notifications", "/admin/returns/notification/"),
        ("order page", f"/admin/returns/order/{order.pk}/change/"),
        ("analytics", "/admin/returns/returnrequest/analytics/"),
    ]
    for name, path in pages:
        page.goto(base + path)
        page.wait_for_load_state("load")
        axe(page, name)
        no_sideways_scroll(page, 1280)
        shot(page, f"staff-desk-{name.replace(' ', '-')}-1280")
    # Inspect, so the refunds list has a row, then check it too.
    page.goto(f"{base}/admin/returns/returnrequest/{req.pk}/inspect/")
    for row in ("Stoneware mug", "Desk lamp"):
        page.locator("tr", has_text=row).get_by_label("Accept").check()
    page.get_by_role("button", name="Preview the refund").click()
    page.get_by_role("button", name=f"Confirm inspection of {req.rma}").click()
    page.get_by_text(re.compile("inspected", re.I)).first.wait_for()
    page.goto(f"{base}/admin/returns/refund/")
    axe(page, "refunds")
    no_sideways_scroll(page, 1280)
    page.goto(f"{base}/admin/returns/returnrequest/{req.pk}/change/")
    axe(page, "request page with a refund")
    shot(page, "staff-desk-request-page-refund-1280")


def test_receiving_desk_and_inspection_work_on_a_tablet(
    browser, live_server, staff_signed_in, axe, shot, customer, order, service_agent, warehouse
):
    req = _request(order, customer)
    return_request_approve(request=req, by=service_agent)
    wes = staff_signed_in(warehouse.email, width=768, height=1024)
    no_sideways_scroll(wes, 768)  # the overview, where the warehouse lands
    shot(wes, "staff-desk-overview-768")
    wes.get_by_role("link", name="Open the receiving desk").click()
    no_sideways_scroll(wes, 768)
    axe(wes, "receiving desk at 768")
    wes.get_by_label("RMA number").fill(req.rma.lower())
    wes.get_by_label("RMA number").press("Enter")
    wes.get_by_role("button", name=f"Mark {req.rma} received").click()
    wes.get_by_text(re.compile("marked received", re.I)).first.wait_for()
    wes.goto(f"{live_server.url}/admin/returns/returnrequest/{req.pk}/inspect/")
    no_sideways_scroll(wes, 768)
    axe(wes, "inspection at 768")
    # The photos are links a keyboard reaches, opening the full-size image.
    photo_links = wes.locator(".rr-evidence a")
    assert photo_links.count() == 2
    photo_links.first.focus()
    assert wes.evaluate("document.activeElement.tagName") == "A"
    assert "/photos/" in photo_links.first.get_attribute("href")
    assert wes.locator(".rr-evidence img").first.evaluate("img => img.naturalWidth") > 0
    shot(wes, "staff-desk-inspection-768")


def test_a_double_click_on_a_step_acts_once_and_shows_no_error(
    browser, live_server, staff_signed_in, customer, order, service_agent, warehouse
):
    req = _request(order, customer, photos=False)
    cara = staff_signed_in(service_agent.email)
    cara.goto(f"{live_server.url}/admin/returns/returnrequest/{req.pk}/change/")
    cara.get_by_role("button", name=f"Approve {req.rma}").dblclick()
    cara.get_by_text(re.compile(f"{req.rma}.*approved", re.I)).first.wait_for()
    cara.wait_for_load_state("load")
    assert cara.locator(".messagelist .error").count() == 0
    assert StatusChange.objects.filter(request=req, event="approved").count() == 1

    return_request_receive(request=req, by=warehouse)
    cara.goto(f"{live_server.url}/admin/returns/returnrequest/{req.pk}/inspect/")
    cara.locator("tr", has_text="Stoneware mug").get_by_label("Accept").check()
    cara.get_by_role("button", name="Preview the refund").dblclick()
    confirm = cara.get_by_role("button", name=f"Confirm inspection of {req.rma}")
    confirm.wait_for()
    confirm.dblclick()  # the button's name still goes with the form: this confirms, not previews again
    cara.get_by_text(re.compile(f"{req.rma} inspected", re.I)).first.wait_for()
    cara.wait_for_load_state("load")
    assert cara.locator(".messagelist .error").count() == 0
    req.refresh_from_db()
    assert req.status == S.INSPECTED
    assert StatusChange.objects.filter(request=req, event="inspected").count() == 1


def test_customer_service_changes_a_kept_delivery_date_with_a_reason(
    browser, live_server, staff_signed_in, axe, shot, customer, order, service_agent
):
    """The order's page offers the change; the form asks why; the page then shows who, from, to and why."""
    _request(order, customer, photos=False)
    earlier = order.delivered_on - timedelta(days=1)
    page = staff_signed_in(service_agent.email)
    page.goto(f"{live_server.url}/admin/returns/order/{order.pk}/change/")
    page.get_by_role("link", name="Change the delivery date").click()
    page.wait_for_load_state("load")
    axe(page, "delivery date form")
    no_sideways_scroll(page, 1280)
    shot(page, "staff-desk-delivery-date-1280")
    page.get_by_label("Delivered on").fill(earlier.isoformat())
    page.get_by_label("Why").fill("The carrier's proof of delivery says so.")
    page.get_by_role("button", name="Change the delivery date").click()
    page.get_by_text(f"is now {earlier}").wait_for()
    page.get_by_text("Why: The carrier's proof of delivery says so.").wait_for()
    axe(page, "order page with a delivery date change")
    shot(page, "staff-desk-order-delivery-date-changed-1280")
