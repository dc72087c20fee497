"""The staff steps in the admin: each button for an allowed and a forbidden status and for each role.

The service is the guard; these tests check what staff see: the message, and that
nothing changed when the step was refused.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client

from returns.conf import store_today
from returns.models import Refund, ReturnLine, ReturnRequest
from returns.services.deadlines import return_request_expire
from returns.services.inspection import LineVerdict, return_request_inspect
from returns.services.requests import (
    return_request_approve,
    return_request_receive,
    return_request_record_shipment,
    return_request_reject,
)
from tests.factories import OrderFactory, OrderLineFactory
from tests.returns.admin.test_admin import (  # noqa: F401  (the fixtures are used by name)
    admin_url,
    damaged,
    fixture_approved,
    fixture_inspected,
    fixture_received,
    fixture_submitted,
    fixture_superuser,
    inspect_all,
    lamp,
    messages_of,
    mug,
    page_url,
    standard,
    submit,
)

pytestmark = pytest.mark.django_db
S = ReturnRequest.Status


def post(client, user, name, req, data=None, *args):
    client.force_login(user)
    return client.post(admin_url(name, req.pk, *args), data or {})


def status_of(req):
    return ReturnRequest.objects.get(pk=req.pk).status


def errors(response):
    return [text for level, text in messages_of(response) if level == "error"]


def drain(client, response):
    """Show the page a step redirected to, as a browser would, so its messages are read and gone."""
    client.get(response["Location"])


def successes(response):
    return [text for level, text in messages_of(response) if level == "success"]


# --- approve and reject (R5, R9) ------------------------------------------------


class TestReview:
    def test_customer_service_approves_with_return_required(self, client, service_agent, submitted):
        response = post(client, service_agent, "approve", submitted, {"return_required": "yes", "note": "Thanks"})
        assert response.status_code == 302 and response["Location"] == page_url(submitted)
        req = ReturnRequest.objects.get(pk=submitted.pk)
        assert (req.status, req.return_required, req.ship_by) == (S.APPROVED, True, store_today() + timedelta(28))
        assert successes(response) == [
            f"{req.rma} approved. The customer must ship it by {req.ship_by:%b %-d, %Y} (R6)."
        ]
        assert req.history.last().by == service_agent and req.history.last().note == "Thanks"

    def test_approve_without_return(self, client, service_agent, submitted):
        response = post(client, service_agent, "approve", submitted, {"return_required": "no"})
        req = ReturnRequest.objects.get(pk=submitted.pk)
        assert (req.status, req.return_required, req.ship_by) == (S.APPROVED, False, None)
        assert "without sending the item back (R9)" in successes(response)[0]

    def test_approve_needs_the_return_required_choice(self, client, service_agent, submitted):
        response = post(client, service_agent, "approve", submitted, {})
        assert errors(response) == ["Choose whether the item must be sent back (R9)."]
        assert status_of(submitted) == S.SUBMITTED

    def test_warehouse_cannot_approve(self, client, warehouse, submitted):
        response = post(client, warehouse, "approve", submitted, {"return_required": "yes"})
        assert errors(response) == ["Your role does not allow you to approve returns."]
        assert status_of(submitted) == S.SUBMITTED

    def test_approving_an_approved_request_is_refused(self, client, service_agent, approved):
        response = post(client, service_agent, "approve", approved, {"return_required": "yes"})
        assert errors(response) == [f"Cannot approve {approved.rma}: it is approved – waiting for your parcel."]

    def test_superuser_approves(self, client, superuser, submitted):
        post(client, superuser, "approve", submitted, {"return_required": "yes"})
        assert status_of(submitted) == S.APPROVED

    def test_reject_with_a_reason_the_customer_reads(self, client, service_agent, submitted):
        response = post(client, service_agent, "reject", submitted, {"reason": "Worn and washed"})
        assert status_of(submitted) == S.REJECTED
        assert successes(response) == [f"{submitted.rma} rejected. The customer will read: “Worn and washed”"]
        assert ReturnRequest.objects.get(pk=submitted.pk).rejection_reason == "Worn and washed"

    def test_reject_needs_a_reason(self, client, service_agent, submitted):
        response = post(client, service_agent, "reject", submitted, {"reason": "  "})
        assert errors(response) == ["Write the reason for the rejection; the customer will read it. (R5)"]
        assert status_of(submitted) == S.SUBMITTED

    def test_warehouse_cannot_reject(self, client, warehouse, submitted):
        response = post(client, warehouse, "reject", submitted, {"reason": "No"})
        assert errors(response) == ["Your role does not allow you to reject returns."]
        assert status_of(submitted) == S.SUBMITTED

    def test_rejecting_a_received_request_is_refused(self, client, service_agent, received):
        response = post(client, service_agent, "reject", received, {"reason": "Too late"})
        assert errors(response) == [f"Cannot reject {received.rma}: it is received – waiting for inspection."]
        assert status_of(received) == S.RECEIVED

    def test_steps_are_post_only(self, client, service_agent, submitted):
        client.force_login(service_agent)
        assert client.get(admin_url("approve", submitted.pk), {"return_required": "yes"}).status_code == 405
        assert status_of(submitted) == S.SUBMITTED

    def test_a_post_without_the_csrf_token_is_refused(self, service_agent, submitted):
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(service_agent)
        assert strict.post(admin_url("approve", submitted.pk), {"return_required": "yes"}).status_code == 403
        assert status_of(submitted) == S.SUBMITTED


class TestTwoStaffAtOnce:
    def test_the_second_approval_sees_the_first_and_nothing_breaks(self, client, service_agent, submitted):
        client.force_login(service_agent)
        page = client.get(page_url(submitted))  # both have the page open with the Approve button
        assert admin_url("approve", submitted.pk) in page.content.decode()
        return_request_reject(request=submitted, by=service_agent, reason="Other agent was quicker")
        response = client.post(admin_url("approve", submitted.pk), {"return_required": "yes"})
        assert errors(response) == [f"Cannot approve {submitted.rma}: it is rejected."]
        assert status_of(submitted) == S.REJECTED
        assert client.get(page_url(submitted)).status_code == 200

    def test_receiving_twice_says_it_was_already_received(self, client, warehouse, approved):
        post(client, warehouse, "receive", approved)
        response = post(client, warehouse, "receive", approved)
        assert errors(response) == [f"{approved.rma} was already received."]
        assert approved.history.filter(event="received").count() == 1


# --- receive ---------------------------------------------------------------------


class TestReceive:
    def test_warehouse_marks_received(self, client, warehouse, approved):
        response = post(client, warehouse, "receive", approved, {"note": "Box dented"})
        assert status_of(approved) == S.RECEIVED
        assert successes(response) == [f"{approved.rma} marked received; it is waiting for inspection."]
        assert approved.history.last().note == "Box dented"

    def test_shipped_parcel_is_received(self, client, warehouse, approved, customer):
        return_request_record_shipment(request=approved, by=customer, carrier="UPS", tracking_number="1Z")
        post(client, warehouse, "receive", approved)
        assert status_of(approved) == S.RECEIVED

    def test_a_submitted_request_cannot_be_received(self, client, warehouse, submitted):
        response = post(client, warehouse, "receive", submitted)
        assert errors(response) == [f"Cannot receive {submitted.rma}: it is submitted – waiting for review."]
        assert status_of(submitted) == S.SUBMITTED

    def test_customer_service_cannot_receive(self, client, service_agent, approved):
        response = post(client, service_agent, "receive", approved)
        assert errors(response) == ["Your role does not allow you to receive parcels."]
        assert status_of(approved) == S.APPROVED


# --- inspection: preview, then confirm ------------------------------------------


def verdict_data(req, **by_sku):
    """Form data: ``accepted`` yes/no, and optional fault, replace, note per SKU."""
    data = {}
    for rl in req.lines.select_related("order_line"):
        v = by_sku[rl.order_line.sku]
        prefix = f"line-{rl.pk}"
        data[f"{prefix}-accepted"] = v.get("accepted", "yes")
        if v.get("fault"):
            data[f"{prefix}-fault_confirmed"] = "on"
        if v.get("replace"):
            data[f"{prefix}-replace"] = "on"
        data[f"{prefix}-note"] = v.get("note", "")
    return data


class TestInspection:
    def test_the_form_has_a_verdict_per_line_and_offers_replace_only_when_asked(
        self, client, service_agent, warehouse, order, customer
    ):
        req = submit(order, standard(mug(order)), damaged(lamp(order), preference="replacement"), by=customer)
        return_request_approve(request=req, by=service_agent)
        return_request_receive(request=req, by=warehouse)
        client.force_login(warehouse)
        html = client.get(admin_url("inspect", req.pk)).content.decode()
        mug_line, lamp_line = req.lines.get(order_line__sku="MUG-01"), req.lines.get(order_line__sku="LAMP-02")
        for rl in (mug_line, lamp_line):
            for field in ("accepted", "fault_confirmed", "note"):
                assert f'name="line-{rl.pk}-{field}"' in html
        assert f'name="line-{lamp_line.pk}-replace"' in html
        assert f'name="line-{mug_line.pk}-replace"' not in html

    def test_preview_shows_the_refund_to_the_cent_and_writes_nothing(self, client, warehouse, received):
        client.force_login(warehouse)
        data = verdict_data(received, **{"MUG-01": {"accepted": "yes"}})
        response = client.post(admin_url("inspect", received.pk), {**data, "_preview": "1"})
        assert response.status_code == 200
        html = response.content.decode()
        assert "Stoneware mug × 2" in html and "$25.00" in html
        assert "Tax on Stoneware mug × 2" in html and "$2.00" in html
        assert "$27.00" in html and 'name="_confirm"' in html
        assert response.context["preview"]["total"] == "$27.00"
        # Nothing written until Confirm.
        assert status_of(received) == S.RECEIVED
        assert not Refund.objects.exists()
        assert not ReturnLine.objects.filter(inspected_at__isnull=False).exists()

        response = client.post(admin_url("inspect", received.pk), {**data, "previewed_total": "27.00", "_confirm": "1"})
        assert response["Location"] == page_url(received)
        assert status_of(received) == S.INSPECTED
        refund = Refund.objects.get(request=received)
        assert (refund.total, refund.state) == (Decimal("27.00"), Refund.State.PENDING)
        assert successes(response) == [
            f"{received.rma} inspected: All 2 items accepted. Refund of $27.00 recorded, waiting to be issued."
        ]

    def test_preview_of_a_confirmed_fault_shows_the_shipping_share(self, client, service_agent, order, customer):
        req = submit(order, damaged(lamp(order)), by=customer)
        return_request_approve(request=req, by=service_agent, return_required=False)
        client.force_login(service_agent)
        data = verdict_data(req, **{"LAMP-02": {"accepted": "yes", "fault": True}})
        html = client.post(admin_url("inspect", req.pk), {**data, "_preview": "1"}).content.decode()
        # 45.00 of 70.00 merchandise -> 5.99 x 45/70 = 3.85; 45.00 + 3.60 + 3.85 = 52.45
        assert "$3.85" in html and "$52.45" in html and "Shipping refund" in html

    def test_free_shipping_fee_shows_as_a_deduction(self, client, service_agent, warehouse, customer):
        o = OrderFactory(email=customer.email, free_shipping=True, shipping_charged=Decimal("0"))
        ol = OrderLineFactory(
            order=o, sku="SCARF", name="Wool scarf", unit_price=Decimal("39.00"), unit_tax=Decimal("3.12")
        )
        req = submit(o, standard(ol))
        return_request_approve(request=req, by=service_agent)
        return_request_receive(request=req, by=warehouse)
        client.force_login(warehouse)
        data = verdict_data(req, SCARF={"accepted": "yes"})
        html = client.post(admin_url("inspect", req.pk), {**data, "_preview": "1"}).content.decode()
        # 39.00 + 3.12 - 9.99 = 32.13
        assert "−$9.99" in html and "$32.13" in html and "Free-shipping return fee" in html

    def test_rejecting_a_line_needs_a_note_before_the_preview(self, client, warehouse, received):
        client.force_login(warehouse)
        data = verdict_data(received, **{"MUG-01": {"accepted": "no"}})
        response = client.post(admin_url("inspect", received.pk), {**data, "_preview": "1"})
        assert response.context["preview"] is None
        assert "say why it is not accepted; the customer will read it. (R2)" in response.content.decode()
        assert status_of(received) == S.RECEIVED

    def test_replacement_needs_a_confirmed_fault(self, client, warehouse, service_agent, order, customer):
        req = submit(order, damaged(lamp(order), preference="replacement"), by=customer)
        return_request_approve(request=req, by=service_agent)
        return_request_receive(request=req, by=warehouse)
        client.force_login(warehouse)
        data = verdict_data(req, **{"LAMP-02": {"accepted": "yes", "replace": True}})
        response = client.post(admin_url("inspect", req.pk), {**data, "_preview": "1"})
        assert "a replacement needs an accepted, confirmed fault. (R9)" in response.content.decode()
        data = verdict_data(req, **{"LAMP-02": {"accepted": "yes", "fault": True, "replace": True}})
        response = client.post(admin_url("inspect", req.pk), {**data, "_preview": "1"})
        assert "No refund." in response.content.decode() and "Replacements to send: Desk lamp × 1" in (
            response.content.decode()
        )
        client.post(admin_url("inspect", req.pk), {**data, "_confirm": "1"})
        assert req.lines.get().replacement_status == ReturnLine.ReplacementStatus.PENDING
        assert not Refund.objects.filter(request=req).exists()

    def test_change_the_verdicts_goes_back_to_the_form_with_them(self, client, warehouse, received):
        client.force_login(warehouse)
        data = verdict_data(received, **{"MUG-01": {"accepted": "yes", "note": "Looks new"}})
        response = client.post(admin_url("inspect", received.pk), {**data, "_edit": "1"})
        assert response.context["preview"] is None
        assert "Looks new" in response.content.decode()
        assert status_of(received) == S.RECEIVED

    def test_inspecting_before_receiving_is_refused(self, client, warehouse, approved):
        client.force_login(warehouse)
        response = client.get(admin_url("inspect", approved.pk))
        assert response["Location"] == page_url(approved)
        assert errors(response) == [f"{approved.rma} must be received before it is inspected."]
        drain(client, response)
        data = verdict_data(approved, **{"MUG-01": {"accepted": "yes"}})
        response = client.post(admin_url("inspect", approved.pk), {**data, "_confirm": "1"})
        assert errors(response) == [f"{approved.rma} must be received before it is inspected."]
        assert status_of(approved) == S.APPROVED

    def test_warehouse_cannot_inspect_a_return_not_sent_back(self, client, warehouse, service_agent, order, customer):
        req = submit(order, damaged(lamp(order)), by=customer)
        return_request_approve(request=req, by=service_agent, return_required=False)
        client.force_login(warehouse)
        response = client.get(admin_url("inspect", req.pk))
        assert errors(response) == ["Your role does not allow you to inspect returns that are not sent back."]
        drain(client, response)
        data = verdict_data(req, **{"LAMP-02": {"accepted": "yes", "fault": True}})
        response = client.post(admin_url("inspect", req.pk), {**data, "_confirm": "1"})
        assert errors(response) == ["Your role does not allow you to inspect returns that are not sent back."]
        assert status_of(req) == S.APPROVED

    def test_confirm_after_someone_else_inspected_shows_it_and_pays_once(self, client, warehouse, received):
        client.force_login(warehouse)
        data = verdict_data(received, **{"MUG-01": {"accepted": "yes"}})
        client.post(admin_url("inspect", received.pk), {**data, "_preview": "1"})
        inspect_all(received, warehouse)  # a colleague confirmed first
        response = client.post(admin_url("inspect", received.pk), {**data, "_confirm": "1"})
        assert errors(response) == [f"Cannot inspect {received.rma}: it is inspected – refund being processed."]
        assert Refund.objects.filter(request=received).count() == 1

    def test_a_changed_amount_between_preview_and_confirm_is_flagged(self, client, warehouse, received):
        client.force_login(warehouse)
        data = verdict_data(received, **{"MUG-01": {"accepted": "yes"}})
        response = client.post(admin_url("inspect", received.pk), {**data, "previewed_total": "30.00", "_confirm": "1"})
        warnings = [text for level, text in messages_of(response) if level == "warning"]
        assert warnings and "not the 30.00 previewed" in warnings[0]


# --- the refund (R11, R12) -------------------------------------------------------


class TestRefund:
    def test_customer_service_issues_the_refund(self, client, service_agent, inspected):
        response = post(client, service_agent, "refund_issue", inspected, {"reference": "re_123"})
        refund = Refund.objects.get(request=inspected)
        assert (refund.state, refund.reference, refund.issued_by) == (Refund.State.ISSUED, "re_123", service_agent)
        assert status_of(inspected) == S.REFUNDED
        assert successes(response) == [
            f"Refund for {inspected.rma} issued: $27.00 to Visa ending 4242 (reference re_123)."
        ]

    def test_warehouse_cannot_issue_a_refund_by_any_path(self, client, warehouse, inspected):
        client.force_login(warehouse)
        page = client.get(page_url(inspected)).content.decode()
        assert admin_url("refund_issue", inspected.pk) not in page  # no button...
        response = client.post(admin_url("refund_issue", inspected.pk), {"reference": "re_sneaky"})  # ...nor a POST
        assert errors(response) == ["Your role does not allow you to issue refunds."]
        drain(client, response)
        response = client.post(admin_url("refund_fail", inspected.pk), {"reason": "x"})
        assert errors(response) == ["Your role does not allow you to manage refunds."]
        refund = Refund.objects.get(request=inspected)
        assert (refund.state, refund.reference) == (Refund.State.PENDING, "")
        assert status_of(inspected) == S.INSPECTED
        # Nor through the refund admin or the export.
        assert client.get(admin_url("changelist", model="refund")).status_code == 403
        assert client.get(admin_url("change", refund.pk, model="refund")).status_code == 403

    def test_issue_needs_a_reference(self, client, service_agent, inspected):
        response = post(client, service_agent, "refund_issue", inspected, {"reference": ""})
        assert errors(response) == ["Enter the payment processor's reference for this refund. (R11)"]
        assert Refund.objects.get(request=inspected).state == Refund.State.PENDING

    def test_issuing_twice_pays_once(self, client, service_agent, inspected):
        post(client, service_agent, "refund_issue", inspected, {"reference": "re_1"})
        response = post(client, service_agent, "refund_issue", inspected, {"reference": "re_2"})
        [message] = errors(response)
        assert "already issued" in message and "(reference re_1)" in message and message.endswith("(R12)")
        assert Refund.objects.get(request=inspected).reference == "re_1"
        assert inspected.history.filter(event="refund_issued").count() == 1

    def test_no_refund_yet_is_said_plainly(self, client, service_agent, received):
        response = post(client, service_agent, "refund_issue", received, {"reference": "re"})
        assert errors(response) == [f"{received.rma} has no refund to issue."]

    def test_mark_failed_then_retry(self, client, service_agent, inspected):
        response = post(client, service_agent, "refund_fail", inspected, {"reason": "Card expired"})
        assert Refund.objects.get(request=inspected).state == Refund.State.FAILED
        assert "marked failed: Card expired" in successes(response)[0]
        page = client.get(page_url(inspected)).content.decode()
        assert '<strong class="rr-muted">Staff only:</strong> Card expired' in page
        assert "Retry the refund" in page and admin_url("refund_fail", inspected.pk) not in page
        response = post(client, service_agent, "refund_fail", inspected, {"reason": "again"})
        assert errors(response) == ["Only a refund waiting to be issued can fail; this one is failed – to retry."]
        post(client, service_agent, "refund_issue", inspected, {"reference": "re_retry"})
        refund = Refund.objects.get(request=inspected)
        assert (refund.state, refund.failure_reason) == (Refund.State.ISSUED, "")
        assert "(retry)" in inspected.history.get(event="refund_issued").note

    def test_mark_failed_needs_a_reason(self, client, service_agent, inspected):
        response = post(client, service_agent, "refund_fail", inspected, {"reason": ""})
        assert errors(response) == ["Say why the refund failed."]
        assert Refund.objects.get(request=inspected).state == Refund.State.PENDING


# --- replacements (R9) -------------------------------------------------------------


@pytest.fixture
def to_replace(order, customer, service_agent):
    req = submit(order, damaged(lamp(order), preference="replacement"), by=customer)
    return_request_approve(request=req, by=service_agent, return_required=False)
    verdicts = {req.lines.get().pk: LineVerdict(accepted=True, fault_confirmed=True, replace=True)}
    return return_request_inspect(request=req, by=service_agent, verdicts=verdicts)


class TestReplacement:
    def test_customer_service_sends_the_replacement(self, client, service_agent, to_replace):
        line = to_replace.lines.get()
        client.force_login(service_agent)
        assert admin_url("replacement", to_replace.pk, line.pk) in client.get(page_url(to_replace)).content.decode()
        response = client.post(admin_url("replacement", to_replace.pk, line.pk), {"note": "UPS 1Z55"})
        assert successes(response) == [f"Replacement for Desk lamp × 1 on {to_replace.rma} marked sent."]
        assert ReturnLine.objects.get(pk=line.pk).replacement_status == ReturnLine.ReplacementStatus.SENT
        assert status_of(to_replace) == S.COMPLETED
        response = client.post(admin_url("replacement", to_replace.pk, line.pk))
        assert errors(response) == ["The replacement for Desk lamp was already sent."]

    def test_warehouse_cannot_send_a_replacement(self, client, warehouse, to_replace):
        line = to_replace.lines.get()
        response = post(client, warehouse, "replacement", to_replace, {}, line.pk)
        assert errors(response) == ["Your role does not allow you to arrange replacements."]
        assert ReturnLine.objects.get(pk=line.pk).replacement_status == ReturnLine.ReplacementStatus.PENDING

    def test_no_replacement_due_is_refused(self, client, service_agent, inspected):
        line = inspected.lines.get()
        response = post(client, service_agent, "replacement", inspected, {}, line.pk)
        assert errors(response) == ["No replacement is due for Stoneware mug."]

    def test_a_line_of_another_request_is_not_found(self, client, service_agent, to_replace, submitted):
        response = post(client, service_agent, "replacement", submitted, {}, to_replace.lines.get().pk)
        assert response.status_code == 404


# --- reinstating (R6) ---------------------------------------------------------------


@pytest.fixture
def expired(approved):
    return_request_expire(request=approved, today=approved.ship_by + timedelta(days=1))
    return approved


class TestReinstate:
    def test_customer_service_reinstates_with_a_note(self, client, service_agent, expired):
        response = post(client, service_agent, "reinstate", expired, {"note": "Parcel was lost by the carrier"})
        req = ReturnRequest.objects.get(pk=expired.pk)
        assert (req.status, req.ship_by) == (S.APPROVED, store_today() + timedelta(days=28))
        assert successes(response) == [f"{req.rma} reinstated. New ship-by date: {req.ship_by:%b %-d, %Y} (R6)."]

    def test_reinstate_needs_a_note(self, client, service_agent, expired):
        response = post(client, service_agent, "reinstate", expired, {"note": ""})
        assert errors(response) == ["Write a note saying why the return is reinstated. (R6)"]
        assert status_of(expired) == S.EXPIRED

    def test_warehouse_cannot_reinstate(self, client, warehouse, expired):
        response = post(client, warehouse, "reinstate", expired, {"note": "x"})
        assert errors(response) == ["Your role does not allow you to reinstate returns."]
        assert status_of(expired) == S.EXPIRED

    def test_only_expired_requests_are_reinstated(self, client, service_agent, approved):
        response = post(client, service_agent, "reinstate", approved, {"note": "x"})
        assert errors(response) == [f"Cannot approve {approved.rma}: it is approved – waiting for your parcel."]

    def test_the_button_shows_on_an_expired_request(self, client, service_agent, expired):
        client.force_login(service_agent)
        assert admin_url("reinstate", expired.pk) in client.get(page_url(expired)).content.decode()


# --- bulk actions -------------------------------------------------------------------


def bulk(client, user, action, requests):
    client.force_login(user)
    return client.post(
        admin_url("changelist"),
        {"action": action, "_selected_action": [str(r.pk) for r in requests], "index": "0"},
    )


class TestBulk:
    def test_bulk_approve_reports_each_request(self, client, service_agent, order, customer, approved):
        other = submit(order, standard(lamp(order)), by=customer)
        response = bulk(client, service_agent, "approve_selected", [other, approved])
        assert status_of(other) == S.APPROVED
        assert successes(response) == [f"Approved 1: {other.rma}."]
        assert errors(response) == [
            f"{approved.rma}: Cannot approve {approved.rma}: it is approved – waiting for your parcel."
        ]

    def test_bulk_approve_without_return(self, client, service_agent, submitted):
        bulk(client, service_agent, "approve_selected_no_return", [submitted])
        assert ReturnRequest.objects.get(pk=submitted.pk).return_required is False

    def test_bulk_mark_received(self, client, warehouse, approved, order, customer, service_agent):
        other = submit(order, standard(lamp(order)), by=customer)
        return_request_approve(request=other, by=service_agent)
        response = bulk(client, warehouse, "receive_selected", [approved, other])
        assert {status_of(approved), status_of(other)} == {S.RECEIVED}
        assert successes(response)[0].startswith("Marked received 2:")

    def test_warehouse_is_not_offered_bulk_approve(self, client, warehouse, submitted):
        response = bulk(client, warehouse, "approve_selected", [submitted])
        assert status_of(submitted) == S.SUBMITTED
        assert messages_of(response) == [("warning", "No action selected.")]  # it is not on offer
