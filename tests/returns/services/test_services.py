"""Every state change through its service: allowed moves, forbidden moves, roles, money."""

from datetime import timedelta
from decimal import Decimal

import pytest

from returns.conf import store_today
from returns.domain.transitions import ALLOWED
from returns.exceptions import AlreadyDone, InvalidTransition, NotAllowed, PolicyViolation
from returns.models import DamagePhoto, OrderLine, Refund, ReturnLine, ReturnRequest
from returns.services.deadlines import return_request_expire, return_request_send_reminder
from returns.services.inspection import LineVerdict, return_request_inspect
from returns.services.refunds import refund_issue, refund_mark_failed
from returns.services.replacements import replacement_send
from returns.services.requests import (
    LineRequest,
    return_request_approve,
    return_request_cancel,
    return_request_receive,
    return_request_record_shipment,
    return_request_reinstate,
    return_request_reject,
    return_request_submit,
)
from tests.factories import OrderFactory, OrderLineFactory, pending_photo

pytestmark = pytest.mark.django_db
S = ReturnRequest.Status


def line(order, sku):
    return order.lines.get(sku=sku)


def standard(ol, quantity=1, reason="changed_mind"):
    return LineRequest(
        order_line_id=ol.pk, quantity=quantity, reason=reason, description="No longer needed", condition_confirmed=True
    )


def damaged(ol, quantity=1, preference="refund", photos=True):
    return LineRequest(
        order_line_id=ol.pk,
        quantity=quantity,
        reason="damaged",
        description="Cracked in the box",
        preference=preference,
        photos=(
            [
                pending_photo(ol, "issue", "IMG_1234.jpg"),
                pending_photo(ol, "packaging", "IMG_1235.jpg"),
            ]
            if photos
            else []
        ),
    )


def submit(order, *lines, by=None, key=None):
    return return_request_submit(order=order, lines=list(lines), by=by, submission_key=key)


def held(order_line):
    return OrderLine.objects.get(pk=order_line.pk).quantity_in_returns


# --- submit (R1-R5, R7) -----------------------------------------------------


class TestSubmit:
    def test_opens_a_request_with_an_rma_and_history(self, order, customer):
        mug = line(order, "MUG-01")
        req = submit(order, standard(mug, 2), by=customer)
        assert req.status == S.SUBMITTED
        assert req.rma.startswith("RMA-") and len(req.rma) == 13
        assert held(mug) == 2
        change = req.history.get()
        assert (change.from_status, change.to_status, change.by) == ("", S.SUBMITTED, customer)

    def test_rma_numbers_are_not_sequential(self, order):
        a = submit(order, standard(line(order, "MUG-01")))
        b = submit(order, standard(line(order, "MUG-01")))
        assert a.rma != b.rma
        assert a.rma[4:] != b.rma[4:]

    def test_refuses_more_than_bought_across_requests(self, order):
        mug = line(order, "MUG-01")
        submit(order, standard(mug, 1))
        with pytest.raises(PolicyViolation) as exc:
            submit(order, standard(mug, 2))
        assert "Only 1 of this item can still be returned" in exc.value.message
        assert held(mug) == 1
        assert ReturnRequest.objects.count() == 1

    def test_window_closed_names_r1(self, customer):
        o = OrderFactory(email=customer.email, delivered_on=store_today() - timedelta(days=29))
        ol = OrderLineFactory(order=o)
        with pytest.raises(PolicyViolation) as exc:
            submit(o, standard(ol))
        assert "(R1)" in exc.value.message and "window closed" in exc.value.message

    def test_last_day_of_window_is_accepted(self, customer):
        o = OrderFactory(email=customer.email, delivered_on=store_today() - timedelta(days=28))
        ol = OrderLineFactory(order=o)
        assert submit(o, standard(ol)).status == S.SUBMITTED

    def test_not_delivered_cannot_be_returned(self, customer):
        o = OrderFactory(email=customer.email, delivered_on=None)
        ol = OrderLineFactory(order=o)
        with pytest.raises(PolicyViolation) as exc:
            submit(o, standard(ol))
        assert "contact support" in exc.value.message

    def test_standard_reason_needs_condition_confirmed(self, order):
        mug = line(order, "MUG-01")
        req = LineRequest(order_line_id=mug.pk, quantity=1, reason="wrong_size", description="Too small")
        with pytest.raises(PolicyViolation) as exc:
            submit(order, req)
        assert "(R2)" in exc.value.message

    def test_final_sale_refused_for_standard_reason_allowed_for_fault(self, order):
        sale = OrderLineFactory(order=order, sku="SALE-1", name="Clearance vase", final_sale=True)
        with pytest.raises(PolicyViolation) as exc:
            submit(order, standard(sale))
        assert "(R3)" in exc.value.message
        req = submit(order, damaged(sale))
        assert req.lines.get().reason == "damaged"

    def test_damage_claim_needs_both_kinds_of_photo(self, order):
        mug = line(order, "MUG-01")
        only_issue = LineRequest(
            order_line_id=mug.pk,
            quantity=1,
            reason="defective",
            description="Leaks",
            photos=[pending_photo(mug, "issue")],
        )
        with pytest.raises(PolicyViolation) as exc:
            submit(order, only_issue)
        assert "photo of the packaging" in exc.value.message
        assert not DamagePhoto.objects.exists()

    def test_photos_are_stored_per_line(self, order):
        req = submit(order, damaged(line(order, "LAMP-02")))
        kinds = sorted(p.kind for p in DamagePhoto.objects.filter(line__request=req))
        assert kinds == ["issue", "packaging"]
        photo = DamagePhoto.objects.filter(line__request=req).first()
        assert photo.width == 64 and photo.height == 48
        assert "IMG_1234" not in photo.image.name  # a random name, not the uploaded one
        assert photo.original_name in ("IMG_1234.jpg", "IMG_1235.jpg")

    def test_wrong_item_needs_no_photo(self, order):
        mug = line(order, "MUG-01")
        req = LineRequest(order_line_id=mug.pk, quantity=1, reason="wrong_item", description="Got a bowl")
        assert submit(order, req).status == S.SUBMITTED

    def test_a_line_from_another_order_is_refused(self, order):
        foreign = OrderLineFactory()
        with pytest.raises(PolicyViolation) as exc:
            submit(order, standard(foreign))
        assert "not on this order" in exc.value.message

    def test_same_submission_key_returns_the_first_request(self, order):
        mug = line(order, "MUG-01")
        first = submit(order, standard(mug), key="k-1")
        again = submit(order, standard(mug), key="k-1")
        assert again.pk == first.pk
        assert ReturnRequest.objects.count() == 1
        assert held(mug) == 1

    def test_empty_description_is_refused(self, order):
        mug = line(order, "MUG-01")
        req = LineRequest(order_line_id=mug.pk, quantity=1, reason="wrong_item", description="  ")
        with pytest.raises(PolicyViolation) as exc:
            submit(order, req)
        assert "Tell us briefly what is wrong with it. (R5)" in exc.value.message

    def test_a_standard_reason_needs_no_description(self, order):
        """R5 (§3): the reason chosen is the brief description; the words are optional."""
        mug = line(order, "MUG-01")
        req = submit(order, LineRequest(mug.pk, 1, "wrong_size", "", condition_confirmed=True))
        assert req.lines.get().description == ""

    def test_preference_is_kept_only_for_fault_claims(self, order):
        mug = line(order, "MUG-01")
        lamp = line(order, "LAMP-02")
        req = submit(order, standard(mug), damaged(lamp, preference="replacement"))
        prefs = dict(req.lines.values_list("order_line__sku", "preference"))
        assert prefs == {"MUG-01": "refund", "LAMP-02": "replacement"}


# --- the transition table ---------------------------------------------------


def test_every_status_has_a_row_in_the_table():
    assert set(ALLOWED) == set(S.values)


def test_terminal_states_have_no_way_out():
    for status in (S.REJECTED, S.CANCELLED, S.REFUNDED, S.COMPLETED):
        assert ALLOWED[status] == frozenset()


# --- review -----------------------------------------------------------------


@pytest.fixture
def submitted(order, customer):
    return submit(order, standard(line(order, "MUG-01"), 2), by=customer)


class TestReview:
    def test_approve_sets_ship_by_28_days_on(self, submitted, service_agent):
        today = store_today()
        req = return_request_approve(request=submitted, by=service_agent, return_required=True, today=today)
        assert req.status == S.APPROVED
        assert req.ship_by == today + timedelta(days=28)
        assert req.history.last().by == service_agent

    def test_approve_without_return_has_no_ship_by(self, submitted, service_agent):
        req = return_request_approve(request=submitted, by=service_agent, return_required=False)
        assert req.ship_by is None and req.return_required is False

    def test_warehouse_cannot_approve(self, submitted, warehouse):
        with pytest.raises(NotAllowed):
            return_request_approve(request=submitted, by=warehouse)
        submitted.refresh_from_db()
        assert submitted.status == S.SUBMITTED

    def test_customer_cannot_approve(self, submitted, customer):
        with pytest.raises(NotAllowed):
            return_request_approve(request=submitted, by=customer)

    def test_approve_twice_is_refused(self, submitted, service_agent):
        return_request_approve(request=submitted, by=service_agent)
        with pytest.raises(InvalidTransition):
            return_request_approve(request=submitted, by=service_agent)

    def test_reject_needs_a_reason_and_releases_units(self, submitted, service_agent):
        mug = line(submitted.order, "MUG-01")
        with pytest.raises(PolicyViolation):
            return_request_reject(request=submitted, by=service_agent, reason=" ")
        req = return_request_reject(request=submitted, by=service_agent, reason="Used and worn")
        assert req.status == S.REJECTED
        assert req.history.last().note == "Used and worn"
        assert held(mug) == 0

    def test_rejected_cannot_be_approved(self, submitted, service_agent):
        return_request_reject(request=submitted, by=service_agent, reason="No")
        with pytest.raises(InvalidTransition) as exc:
            return_request_approve(request=submitted, by=service_agent)
        assert submitted.rma in exc.value.message


class TestCancel:
    def test_customer_cancels_before_shipping(self, submitted, customer):
        return_request_cancel(request=submitted, by=customer)
        submitted.refresh_from_db()
        assert submitted.status == S.CANCELLED
        assert held(line(submitted.order, "MUG-01")) == 0

    def test_cancel_after_approval(self, submitted, customer, service_agent):
        return_request_approve(request=submitted, by=service_agent)
        assert return_request_cancel(request=submitted, by=customer).status == S.CANCELLED

    def test_cannot_cancel_once_shipped(self, submitted, customer, service_agent):
        return_request_approve(request=submitted, by=service_agent)
        return_request_record_shipment(request=submitted, by=customer, carrier="UPS", tracking_number="1Z9")
        with pytest.raises(InvalidTransition) as exc:
            return_request_cancel(request=submitted, by=customer)
        assert "can no longer be cancelled" in exc.value.message


# --- shipping, receiving ----------------------------------------------------


@pytest.fixture
def approved(submitted, service_agent):
    return return_request_approve(request=submitted, by=service_agent, return_required=True)


class TestShipAndReceive:
    def test_record_shipment_then_correct_it(self, approved, customer):
        return_request_record_shipment(request=approved, by=customer, carrier="UPS", tracking_number="1Z1")
        req = return_request_record_shipment(request=approved, by=customer, carrier="USPS", tracking_number="94001")
        assert (req.status, req.carrier, req.tracking_number) == (S.SHIPPED, "USPS", "94001")
        assert [h.event for h in req.history.all()][-2:] == ["shipped", "tracking_updated"]

    def test_shipment_needs_carrier_and_tracking(self, approved, customer):
        with pytest.raises(PolicyViolation):
            return_request_record_shipment(request=approved, by=customer, carrier="UPS", tracking_number="")

    def test_cannot_ship_before_approval(self, submitted, customer):
        with pytest.raises(InvalidTransition):
            return_request_record_shipment(request=submitted, by=customer, carrier="UPS", tracking_number="1Z")

    def test_warehouse_receives(self, approved, warehouse):
        req = return_request_receive(request=approved, by=warehouse)
        assert req.status == S.RECEIVED
        with pytest.raises(AlreadyDone):
            return_request_receive(request=approved, by=warehouse)

    def test_customer_cannot_receive(self, approved, customer):
        with pytest.raises(NotAllowed):
            return_request_receive(request=approved, by=customer)

    def test_cannot_receive_a_submitted_request(self, submitted, warehouse):
        with pytest.raises(InvalidTransition):
            return_request_receive(request=submitted, by=warehouse)


# --- inspection and refunds (R9-R12) ---------------------------------------


def verdicts(req, **by_sku):
    return {rl.pk: by_sku[rl.order_line.sku] for rl in req.lines.select_related("order_line")}


class TestInspectAndRefund:
    def test_inspection_computes_the_refund_line_by_line(self, approved, warehouse, service_agent):
        return_request_receive(request=approved, by=warehouse)
        req = return_request_inspect(
            request=approved, by=warehouse, verdicts=verdicts(approved, **{"MUG-01": LineVerdict(accepted=True)})
        )
        assert req.status == S.INSPECTED
        refund = Refund.objects.get(request=req)
        # 2 mugs x 12.50 + 2 x 1.00 tax; paid shipping is not refunded on a standard return.
        assert (refund.merchandise, refund.tax, refund.shipping, refund.deduction, refund.total) == (
            Decimal("25.00"),
            Decimal("2.00"),
            Decimal("0.00"),
            Decimal("0.00"),
            Decimal("27.00"),
        )
        assert refund.state == Refund.State.PENDING
        assert refund.payment_method == "Visa ending 4242"
        assert any("not refunded" in b["explanation"] for b in refund.breakdown)

        refund_issue(refund=refund, by=service_agent, reference="re_123")
        req.refresh_from_db()
        assert req.status == S.REFUNDED
        note = req.history.filter(event="refund_issued").get().note
        assert note.startswith("$27.00 to Visa ending 4242; expect it between")  # money as the customer reads it

    def test_inspect_before_receiving_is_refused(self, approved, warehouse):
        with pytest.raises(InvalidTransition) as exc:
            return_request_inspect(
                request=approved, by=warehouse, verdicts=verdicts(approved, **{"MUG-01": LineVerdict(accepted=True)})
            )
        assert "must be received" in exc.value.message

    def test_every_line_needs_a_verdict(self, approved, warehouse):
        return_request_receive(request=approved, by=warehouse)
        with pytest.raises(PolicyViolation) as exc:
            return_request_inspect(request=approved, by=warehouse, verdicts={})
        assert "Stoneware mug" in exc.value.message

    def test_rejected_line_needs_a_note_and_pays_nothing(self, approved, warehouse):
        return_request_receive(request=approved, by=warehouse)
        with pytest.raises(PolicyViolation) as exc:
            return_request_inspect(
                request=approved, by=warehouse, verdicts=verdicts(approved, **{"MUG-01": LineVerdict(accepted=False)})
            )
        assert "(R2)" in str(exc.value)
        req = return_request_inspect(
            request=approved,
            by=warehouse,
            verdicts=verdicts(approved, **{"MUG-01": LineVerdict(accepted=False, note="Box missing")}),
        )
        assert req.status == S.COMPLETED
        assert not Refund.objects.filter(request=req).exists()
        assert req.lines.get().inspection_note == "Box missing"

    def test_fault_confirmed_damage_refunds_shipping_share(self, order, customer, service_agent, warehouse):
        lamp = line(order, "LAMP-02")
        req = submit(order, damaged(lamp))
        return_request_approve(request=req, by=service_agent, return_required=False)
        req = return_request_inspect(
            request=req,
            by=service_agent,
            verdicts=verdicts(req, **{"LAMP-02": LineVerdict(accepted=True, fault_confirmed=True)}),
        )
        refund = req.refund
        # 45.00 of 70.00 merchandise -> 5.99 x 45/70 = 3.8507 -> 3.85
        assert refund.shipping == Decimal("3.85")
        assert refund.total == Decimal("45.00") + Decimal("3.60") + Decimal("3.85")

    def test_no_return_inspection_needs_customer_service(self, order, service_agent, warehouse):
        req = submit(order, damaged(line(order, "LAMP-02")))
        return_request_approve(request=req, by=service_agent, return_required=False)
        with pytest.raises(NotAllowed):
            return_request_inspect(
                request=req,
                by=warehouse,
                verdicts=verdicts(req, **{"LAMP-02": LineVerdict(accepted=True, fault_confirmed=True)}),
            )

    def test_final_sale_accepted_only_with_confirmed_fault(self, order, service_agent, warehouse):
        sale = OrderLineFactory(order=order, sku="SALE-1", name="Clearance vase", final_sale=True)
        req = submit(order, damaged(sale))
        return_request_approve(request=req, by=service_agent)
        return_request_receive(request=req, by=warehouse)
        with pytest.raises(PolicyViolation) as exc:
            return_request_inspect(
                request=req, by=warehouse, verdicts=verdicts(req, **{"SALE-1": LineVerdict(accepted=True)})
            )
        assert "(R3)" in str(exc.value)

    def test_replacement_line_gets_no_refund(self, order, service_agent, warehouse):
        req = submit(order, damaged(line(order, "LAMP-02"), preference="replacement"), standard(line(order, "MUG-01")))
        return_request_approve(request=req, by=service_agent)
        return_request_receive(request=req, by=warehouse)
        req = return_request_inspect(
            request=req,
            by=warehouse,
            verdicts=verdicts(
                req,
                **{
                    "LAMP-02": LineVerdict(accepted=True, fault_confirmed=True, replace=True),
                    "MUG-01": LineVerdict(accepted=True),
                },
            ),
        )
        # Only the mug is refunded: 12.50 + 1.00; the lamp is replaced (R9).
        assert req.refund.total == Decimal("13.50")
        refund_issue(refund=req.refund, by=service_agent, reference="re_9")
        req.refresh_from_db()
        assert req.status == S.INSPECTED  # the replacement is still to be sent
        lamp_line = req.lines.get(order_line__sku="LAMP-02")
        replacement_send(line=lamp_line, by=service_agent, note="UPS 1Z55")
        req.refresh_from_db()
        assert req.status == S.REFUNDED
        with pytest.raises(AlreadyDone):
            replacement_send(line=lamp_line, by=service_agent)

    def test_replacement_only_completes_without_refund(self, order, service_agent, warehouse):
        req = submit(order, damaged(line(order, "LAMP-02"), preference="replacement"))
        return_request_approve(request=req, by=service_agent, return_required=False)
        req = return_request_inspect(
            request=req,
            by=service_agent,
            verdicts=verdicts(req, **{"LAMP-02": LineVerdict(accepted=True, fault_confirmed=True, replace=True)}),
        )
        assert not Refund.objects.filter(request=req).exists()
        replacement_send(line=req.lines.get(), by=service_agent)
        req.refresh_from_db()
        assert req.status == S.COMPLETED

    def test_replacement_refused_when_customer_wanted_refund(self, order, service_agent):
        req = submit(order, damaged(line(order, "LAMP-02"), preference="refund"))
        return_request_approve(request=req, by=service_agent, return_required=False)
        with pytest.raises(PolicyViolation) as exc:
            return_request_inspect(
                request=req,
                by=service_agent,
                verdicts=verdicts(req, **{"LAMP-02": LineVerdict(accepted=True, fault_confirmed=True, replace=True)}),
            )
        assert "(R9)" in str(exc.value)

    def test_free_shipping_fee_taken_once_per_order(self, customer, service_agent, warehouse):
        o = OrderFactory(email=customer.email, free_shipping=True, shipping_charged=Decimal("0"))
        a = OrderLineFactory(order=o, sku="A", unit_price=Decimal("30.00"), unit_tax=Decimal("0"))
        b = OrderLineFactory(order=o, sku="B", unit_price=Decimal("20.00"), unit_tax=Decimal("0"))
        totals = []
        for ol in (a, b):
            req = submit(o, standard(ol))
            return_request_approve(request=req, by=service_agent)
            return_request_receive(request=req, by=warehouse)
            req = return_request_inspect(
                request=req, by=warehouse, verdicts=verdicts(req, **{ol.sku: LineVerdict(accepted=True)})
            )
            totals.append((req.refund.deduction, req.refund.total))
        assert totals == [(Decimal("9.99"), Decimal("20.01")), (Decimal("0.00"), Decimal("20.00"))]

    def test_warehouse_cannot_issue_a_refund(self, approved, warehouse):
        return_request_receive(request=approved, by=warehouse)
        req = return_request_inspect(
            request=approved, by=warehouse, verdicts=verdicts(approved, **{"MUG-01": LineVerdict(accepted=True)})
        )
        with pytest.raises(NotAllowed):
            refund_issue(refund=req.refund, by=warehouse, reference="x")
        with pytest.raises(NotAllowed):
            refund_mark_failed(refund=req.refund, by=warehouse, reason="x")
        assert Refund.objects.get(pk=req.refund.pk).state == Refund.State.PENDING

    def test_issue_twice_is_refused_and_pays_once(self, approved, warehouse, service_agent):
        return_request_receive(request=approved, by=warehouse)
        req = return_request_inspect(
            request=approved, by=warehouse, verdicts=verdicts(approved, **{"MUG-01": LineVerdict(accepted=True)})
        )
        refund_issue(refund=req.refund, by=service_agent, reference="re_1")
        with pytest.raises(AlreadyDone) as exc:
            refund_issue(refund=req.refund, by=service_agent, reference="re_2")
        assert "already issued" in exc.value.message and exc.value.rule == "R12"
        assert Refund.objects.get(pk=req.refund.pk).reference == "re_1"
        assert req.history.filter(event="refund_issued").count() == 1

    def test_failed_refund_can_be_retried(self, approved, warehouse, service_agent):
        return_request_receive(request=approved, by=warehouse)
        req = return_request_inspect(
            request=approved, by=warehouse, verdicts=verdicts(approved, **{"MUG-01": LineVerdict(accepted=True)})
        )
        refund_mark_failed(refund=req.refund, by=service_agent, reason="Card expired")
        assert Refund.objects.get(pk=req.refund.pk).state == Refund.State.FAILED
        with pytest.raises(InvalidTransition):
            refund_mark_failed(refund=req.refund, by=service_agent, reason="again")
        refund_issue(refund=req.refund, by=service_agent, reference="re_2")
        refund = Refund.objects.get(pk=req.refund.pk)
        assert (refund.state, refund.failure_reason) == (Refund.State.ISSUED, "")
        assert "(retry)" in req.history.filter(event="refund_issued").get().note

    def test_issue_needs_a_reference(self, approved, warehouse, service_agent):
        return_request_receive(request=approved, by=warehouse)
        req = return_request_inspect(
            request=approved, by=warehouse, verdicts=verdicts(approved, **{"MUG-01": LineVerdict(accepted=True)})
        )
        with pytest.raises(PolicyViolation) as exc:
            refund_issue(refund=req.refund, by=service_agent, reference=" ")
        assert "reference" in exc.value.message


# --- deadlines (R6) ---------------------------------------------------------


class TestDeadlines:
    def test_reminder_once_in_the_window(self, approved):
        ship_by = approved.ship_by
        assert not return_request_send_reminder(request=approved, today=ship_by - timedelta(days=8))
        assert return_request_send_reminder(request=approved, today=ship_by - timedelta(days=7))
        assert not return_request_send_reminder(request=approved, today=ship_by - timedelta(days=6))
        assert approved.history.filter(event="ship_by_reminder").count() == 1

    def test_expires_the_day_after_ship_by_and_releases_units(self, approved):
        ship_by = approved.ship_by
        assert not return_request_expire(request=approved, today=ship_by)
        assert return_request_expire(request=approved, today=ship_by + timedelta(days=1))
        assert not return_request_expire(request=approved, today=ship_by + timedelta(days=2))
        approved.refresh_from_db()
        assert approved.status == S.EXPIRED
        assert held(line(approved.order, "MUG-01")) == 0

    def test_shipped_request_does_not_expire(self, approved, customer):
        return_request_record_shipment(request=approved, by=customer, carrier="UPS", tracking_number="1Z")
        assert not return_request_expire(request=approved, today=approved.ship_by + timedelta(days=5))

    def test_reinstate_gives_a_new_ship_by(self, approved, service_agent):
        return_request_expire(request=approved, today=approved.ship_by + timedelta(days=1))
        today = store_today() + timedelta(days=40)
        req = return_request_reinstate(request=approved, by=service_agent, note="Parcel lost", today=today)
        assert (req.status, req.ship_by) == (S.APPROVED, today + timedelta(days=28))
        assert held(line(approved.order, "MUG-01")) == 2

    def test_reinstate_refused_when_units_were_taken_meanwhile(self, approved, service_agent):
        return_request_expire(request=approved, today=approved.ship_by + timedelta(days=1))
        submit(approved.order, standard(line(approved.order, "MUG-01"), 1))
        with pytest.raises(PolicyViolation) as exc:
            return_request_reinstate(request=approved, by=service_agent, note="Late")
        assert exc.value.rule == "R4"
        approved.refresh_from_db()
        assert approved.status == S.EXPIRED

    def test_reinstate_needs_a_note_and_the_role(self, approved, service_agent, warehouse):
        return_request_expire(request=approved, today=approved.ship_by + timedelta(days=1))
        with pytest.raises(PolicyViolation):
            return_request_reinstate(request=approved, by=service_agent, note="")
        with pytest.raises(NotAllowed):
            return_request_reinstate(request=approved, by=warehouse, note="x")

    def test_only_expired_requests_are_reinstated(self, approved, service_agent):
        with pytest.raises(InvalidTransition):
            return_request_reinstate(request=approved, by=service_agent, note="x")


def test_replacement_status_pending_only_for_replacements(order, service_agent, warehouse):
    req = submit(order, standard(line(order, "MUG-01")))
    return_request_approve(request=req, by=service_agent)
    return_request_receive(request=req, by=warehouse)
    return_request_inspect(request=req, by=warehouse, verdicts=verdicts(req, **{"MUG-01": LineVerdict(accepted=True)}))
    assert ReturnLine.objects.get(request=req).replacement_status == ""


def test_a_waived_return_is_inspected_not_received(order, service_agent, warehouse):
    req = submit(order, damaged(line(order, "LAMP-02")))
    return_request_approve(request=req, by=service_agent, return_required=False)
    with pytest.raises(InvalidTransition) as exc:
        return_request_receive(request=req, by=warehouse)
    assert "inspect it instead" in exc.value.message
