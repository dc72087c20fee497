"""The desk as a flow, counted as a person at it would (issue 16): a parcel from the warehouse door to a paid
refund in six actions or fewer, and a review queue worked with *Approve and next*.

What counts as one action: a click, a key press (Enter on the focused button), a field filled, and a scan at
the receiving desk (the scanner types the code and sends Enter, as one read). Signing in is not counted
(+3 per sign-in). Page loads are the main frame's navigations. axe-core runs on every page the flow shows;
screenshots land in test-artifacts/screenshots/.
"""

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from returns.models import Refund, ReturnRequest
from returns.services.requests import (
    LineRequest,
    return_request_approve,
    return_request_record_shipment,
    return_request_submit,
)
from tests.browser.test_staff_desk import _request as two_lines_one_with_photos
from tests.factories import StaffFactory
from tests.returns.admin.test_admin import standard

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
S = ReturnRequest.Status
PI = "pi_3DeskFlowAlotrop"


class Counted:
    """A page whose actions and page loads are counted."""

    def __init__(self, page):
        self.page, self.actions, self.loads = page, 0, 0
        page.on("framenavigated", lambda frame: self._loaded(frame))

    def _loaded(self, frame):
        if frame == self.page.main_frame:
            self.loads += 1

    def scan(self, label, code):
        field = self.page.get_by_label(label)
        field.fill(code)
        field.press("Enter")
        self.actions += 1

    def fill(self, locator, text):
        locator.fill(text)
        self.actions += 1

    def click(self, locator):
        locator.click()
        self.actions += 1

    def enter(self):
        """Enter on whatever has the focus: the page offered the next step there."""
        self.page.keyboard.press("Enter")
        self.actions += 1


@pytest.fixture
def desk_lead(warehouse, service_agent):
    """A small shop's one person at the desk: receives, inspects and pays (the Warehouse and Customer service roles)."""
    person = StaffFactory(email="lee@alotrop.com", role="Warehouse")
    person.groups.add(Group.objects.get(name="Customer service"))
    return person


def one_line_return_on_its_way(order, customer, service_agent):
    req = return_request_submit(order=order, by=customer, lines=[standard(order.lines.get(sku="MUG-01"), 2)])
    if req.status == S.SUBMITTED:
        return_request_approve(request=req, by=service_agent, return_required=True)
    return_request_record_shipment(request=req, by=customer, carrier="UPS", tracking_number="1Z999AA10123456784")
    return req


def walk_parcel_to_refund(desk, live_server, req, axe, shot, *, name, pay):
    page = desk.page
    page.goto(f"{live_server.url}/admin/returns/returnrequest/receiving/")  # the desk is open when parcels come
    desk.loads = 0
    desk.scan("RMA number", req.rma)
    page.get_by_role("button", name=f"Mark {req.rma} received").wait_for()
    axe(page, "the scanned parcel's page")
    desk.enter()  # Mark received has the focus
    page.get_by_role("link", name=f"Inspect {req.rma} now").wait_for()
    shot(page, f"{name}-01-received-inspect-now")
    axe(page, "the received parcel's page")
    desk.enter()  # Inspect now has the focus
    page.get_by_role("button", name=re.compile("Accept all")).wait_for()
    axe(page, "the inspection")
    desk.click(page.get_by_role("button", name=re.compile("Accept all")))
    page.locator("#pay-now").wait_for()
    shot(page, f"{name}-02-confirm-and-pay")
    axe(page, "the inspection's confirmation with the payment")
    pay()
    page.get_by_text(re.compile(f"Refund for {req.rma}")).first.wait_for()
    shot(page, f"{name}-03-paid")
    axe(page, "the paid request")


def test_parcel_to_refund_paid_by_hand_in_six_actions(
    browser, live_server, staff_signed_in, axe, shot, settings, customer, order, service_agent, desk_lead
):
    req = one_line_return_on_its_way(order, customer, service_agent)
    desk = Counted(staff_signed_in(desk_lead.email))
    page = desk.page

    def pay():
        desk.fill(page.get_by_label("Payment processor's reference"), "re_3QxA9")
        desk.enter()  # Enter in the reference field: Confirm and mark the refund issued

    walk_parcel_to_refund(desk, live_server, req, axe, shot, name="flow-manual", pay=pay)
    refund = Refund.objects.get(request=req)
    assert (refund.state, refund.total, refund.reference) == (Refund.State.ISSUED, Decimal("27.00"), "re_3QxA9")
    req.refresh_from_db()
    assert req.status == S.REFUNDED
    assert desk.actions <= 6, desk.actions
    assert desk.loads <= 5, desk.loads
    print(f"parcel → refund (manual): {desk.actions} actions, {desk.loads} page loads")


def test_parcel_to_refund_through_stripe_in_five_actions(
    browser, live_server, staff_signed_in, axe, shot, fake_stripe, customer, order, service_agent, desk_lead
):
    fake_stripe.add_payment(PI, amount=8159)
    order.payment_reference = PI
    order.save(update_fields=["payment_reference"])
    req = one_line_return_on_its_way(order, customer, service_agent)
    desk = Counted(staff_signed_in(desk_lead.email))
    page = desk.page

    def pay():
        desk.click(page.get_by_role("button", name="Confirm and refund $27.00 through Stripe"))

    walk_parcel_to_refund(desk, live_server, req, axe, shot, name="flow-stripe", pay=pay)
    [at_stripe] = fake_stripe.refunds_for(PI)
    assert at_stripe["amount"] == 2700
    assert Refund.objects.get(request=req).state == Refund.State.ISSUED
    assert desk.actions <= 6, desk.actions
    assert desk.loads <= 5, desk.loads
    print(f"parcel → refund (Stripe): {desk.actions} actions, {desk.loads} page loads")


def test_refunds_to_issue_is_a_working_list(
    browser, live_server, staff_signed_in, axe, shot, customer, order, service_agent, warehouse
):
    from returns.services.requests import return_request_receive
    from tests.returns.admin.test_admin import inspect_all

    req = one_line_return_on_its_way(order, customer, service_agent)
    return_request_receive(request=req, by=warehouse)
    inspect_all(req, warehouse)
    cara = Counted(staff_signed_in(service_agent.email))
    page = cara.page
    cara.click(page.locator("#tile-refunds_to_issue"))
    row = page.locator("#result_list tr", has_text=req.rma)
    row.get_by_text("$27.00").first.wait_for()
    shot(page, "flow-refunds-to-issue")
    axe(page, "Refunds to issue")
    cara.fill(row.get_by_label(f"Payment processor's reference for {req.rma}"), "re_list1")
    cara.enter()
    page.get_by_text(re.compile(f"Refund for {req.rma} issued")).first.wait_for()
    assert Refund.objects.get(request=req).reference == "re_list1"
    assert cara.actions == 3
    assert page.locator("#result_list tr", has_text=req.rma).count() == 0  # off the list once issued


def test_review_at_1280_by_800_shows_the_claim_beside_the_buttons_and_moves_on(
    browser, live_server, staff_signed_in, axe, shot, settings, customer, order, service_agent
):
    settings.AUTO_APPROVE = "off"
    mug = order.lines.get(sku="MUG-01")
    older = two_lines_one_with_photos(order, customer)
    newer = return_request_submit(
        order=order,
        by=customer,
        lines=[LineRequest(order_line_id=mug.pk, quantity=1, reason="wrong_size", description="Too tight",
                           condition_confirmed=True)],
    )  # fmt: skip
    cara = Counted(staff_signed_in(service_agent.email, height=800))
    page = cara.page
    cara.click(page.locator("#tile-review"))
    cara.click(page.get_by_role("link", name=older.rma))
    page.locator("#review").wait_for()
    page.wait_for_load_state("networkidle")
    shot(page, "flow-review-1280")
    axe(page, "the review screen")
    in_view = page.evaluate(
        """() => ['#claim-summary', '#review-estimate', '#risk-rules', '#steps form button']
            .map((s) => { const r = document.querySelector(s).getBoundingClientRect(); return [s, r.bottom]; })"""
    )
    photos = page.locator("#claim-summary img")
    assert photos.count() == 2
    in_view += [[f"photo {i}", photos.nth(i).bounding_box()["y"] + 72] for i in range(2)]
    for what, bottom in in_view:
        assert bottom <= 800, f"{what} ends at {bottom:.0f} px, below the 800 px window"
    assert "The shade is cracked." in page.inner_text("#claim-summary")

    page.get_by_label("Reason (the customer reads it)").fill("Photos do not show the lamp we sold.")
    cara.actions += 1
    cara.click(page.get_by_role("button", name="Reject and next"))
    page.get_by_text(re.compile(f"{older.rma} rejected")).first.wait_for()
    assert newer.rma in page.locator("h1, #content").first.inner_text() or newer.rma in page.title()
    cara.click(page.get_by_role("button", name="Approve and next"))
    page.get_by_text(re.compile(f"{newer.rma} approved")).first.wait_for()
    page.get_by_text("Nothing else waits in “To review”.").wait_for()
    older.refresh_from_db()
    newer.refresh_from_db()
    assert (older.status, newer.status) == (S.REJECTED, S.APPROVED)
