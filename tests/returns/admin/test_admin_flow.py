"""The desk as a flow: *Inspect now* after receiving, paying with the inspection's confirmation, *Refunds to
issue* as a working list, and *Approve and next* / *Reject and next* through a review queue."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from returns.models import Refund, ReturnRequest
from returns.services.requests import return_request_receive
from tests.factories import OrderFactory, OrderLineFactory, StaffFactory
from tests.returns.admin.test_admin import (  # noqa: F401  (fixtures)
    admin_url,
    fixture_approved,
    fixture_inspected,
    fixture_received,
    fixture_submitted,
    fixture_superuser,
    messages_of,
    page_url,
    standard,
    submit,
)
from tests.returns.services.test_refunds_stripe import PI, paid  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db
S = ReturnRequest.Status


@pytest.fixture
def desk_lead(warehouse, service_agent):
    """A small shop's one person at the desk: receives, inspects and pays."""
    person = StaffFactory(email="lee@alotrop.com", role="Warehouse")
    person.groups.add(Group.objects.get(name="Customer service"))
    return person


def verdicts(req, **fields):
    return {f"line-{line.pk}-{name}": value for line in req.lines.all() for name, value in fields.items()}


# --- inspection: accept all, and pay with the confirmation ------------------------------------


def test_accept_all_accepts_every_unanswered_line_and_previews(client, received, warehouse):
    client.force_login(warehouse)
    response = client.post(admin_url("inspect", received.pk), {"_accept_all": "1"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Check before confirming" in html and "$27.00" in html  # 2 × 12.50 + 2 × 1.00 tax
    assert "Accepted, no fault" in html
    assert not Refund.objects.exists()  # nothing written before Confirm


def test_accept_all_keeps_a_rejection_staff_chose(client, received, warehouse):
    client.force_login(warehouse)
    post = {"_accept_all": "1", **verdicts(received, accepted="no", note="Worn, tags cut off (R2).")}
    html = client.post(admin_url("inspect", received.pk), post).content.decode()
    assert "Rejected" in html and "No item is accepted" in html


def test_who_may_not_pay_is_not_offered_the_payment(client, received, warehouse):
    client.force_login(warehouse)
    html = client.post(admin_url("inspect", received.pk), {"_accept_all": "1"}).content.decode()
    assert "Pay the refund now" not in html and 'name="_pay"' not in html
    assert f"Confirm inspection of {received.rma}" in html


def test_confirm_and_mark_issued_pays_once_with_the_reference(
    client, received, desk_lead, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(desk_lead)
    html = client.post(admin_url("inspect", received.pk), {"_accept_all": "1"}).content.decode()
    assert "Pay the refund now" in html and "Payment processor's reference" in html
    assert 'value="Confirm and mark the refund issued"' in html
    post = {"_pay": "1", "reference": " re_77A ", "previewed_total": "27.00", **verdicts(received, accepted="yes")}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(admin_url("inspect", received.pk), post)
    assert response["Location"] == page_url(received)
    refund = Refund.objects.get(request=received)
    assert (refund.state, refund.total, refund.reference) == (Refund.State.ISSUED, Decimal("27.00"), "re_77A")
    received.refresh_from_db()
    assert received.status == S.REFUNDED
    said = [text for _, text in messages_of(response)]
    assert any(f"Refund for {received.rma} issued: $27.00 to Visa ending 4242 (reference re_77A)" in t for t in said)
    assert any("refund of $27.00" in m.subject.lower() for m in mailoutbox if m.to == [received.order.email])

    # The same form sent again (a double click, the back button) pays nothing more (R12).
    again = client.post(admin_url("inspect", received.pk), post)
    assert Refund.objects.filter(request=received).count() == 1
    assert ("error", f"Cannot inspect {received.rma}: it is refunded.") in messages_of(again)


def test_confirm_and_pay_without_a_reference_records_nothing_and_says_why(client, received, desk_lead):
    client.force_login(desk_lead)
    post = {"_pay": "1", "reference": "  ", **verdicts(received, accepted="yes")}
    response = client.post(admin_url("inspect", received.pk), post)
    assert response.status_code == 200
    assert "Enter the payment processor&#x27;s reference" in response.content.decode()
    received.refresh_from_db()
    assert received.status == S.RECEIVED and not Refund.objects.exists()


def test_confirm_only_leaves_the_refund_to_issue(client, received, desk_lead):
    client.force_login(desk_lead)
    post = {"_confirm": "1", **verdicts(received, accepted="yes")}
    client.post(admin_url("inspect", received.pk), post)
    assert Refund.objects.get(request=received).state == Refund.State.PENDING


@pytest.mark.usefixtures("paid")
def test_confirm_and_refund_through_stripe(
    client, fake_stripe, received, desk_lead, django_capture_on_commit_callbacks
):
    client.force_login(desk_lead)
    html = client.post(admin_url("inspect", received.pk), {"_accept_all": "1"}).content.decode()
    assert 'value="Confirm and refund $27.00 through Stripe"' in html
    with django_capture_on_commit_callbacks(execute=True):
        client.post(admin_url("inspect", received.pk), {"_pay": "1", **verdicts(received, accepted="yes")})
    [at_stripe] = fake_stripe.refunds_for(PI)
    assert at_stripe["amount"] == 2700
    refund = Refund.objects.get(request=received)
    assert refund.state == Refund.State.ISSUED and refund.reference == at_stripe["id"]


@pytest.mark.usefixtures("paid")
def test_auto_refund_sends_it_with_the_inspection_so_nothing_is_offered(
    client, settings, fake_stripe, received, desk_lead
):
    settings.AUTO_REFUND = True
    client.force_login(desk_lead)
    html = client.post(admin_url("inspect", received.pk), {"_accept_all": "1"}).content.decode()
    assert 'name="_pay"' not in html


# --- Refunds to issue: a working list ----------------------------------------------------------


def refunds_to_issue():
    return f"{admin_url('changelist', model='refund')}?state__exact=pending"


def test_refunds_to_issue_pays_each_row_with_its_reference(client, inspected, service_agent):
    refund = Refund.objects.get(request=inspected)
    client.force_login(service_agent)
    html = client.get(refunds_to_issue()).content.decode()
    assert f'form="pay-{refund.pk}"' in html and f'id="pay-{refund.pk}"' in html
    assert f"Payment processor's reference for {inspected.rma}" in html
    assert "Mark $27.00 issued" in html
    assert f'href="{page_url(inspected)}">{inspected.rma}</a>' in html  # the RMA opens the request

    response = client.post(
        admin_url("issue", refund.pk, model="refund"), {"reference": "re_row1", "next": refunds_to_issue()}
    )
    assert response["Location"] == refunds_to_issue()
    refund.refresh_from_db()
    assert refund.state == Refund.State.ISSUED and refund.reference == "re_row1"
    assert ("success", f"Refund for {inspected.rma} issued: $27.00 to Visa ending 4242 (reference re_row1).") in (
        messages_of(response)
    )
    again = client.post(admin_url("issue", refund.pk, model="refund"), {"reference": "re_row2"})
    refund.refresh_from_db()
    assert refund.reference == "re_row1"
    assert any("already issued" in text for _, text in messages_of(again))
    assert f'form="pay-{refund.pk}"' not in client.get(refunds_to_issue()).content.decode()


def test_a_row_without_a_reference_says_so(client, inspected, service_agent):
    refund = Refund.objects.get(request=inspected)
    client.force_login(service_agent)
    response = client.post(admin_url("issue", refund.pk, model="refund"), {"reference": ""})
    assert any("Enter the payment processor's reference" in text for _, text in messages_of(response))
    refund.refresh_from_db()
    assert refund.state == Refund.State.PENDING


def test_an_outside_next_is_not_followed(client, inspected, service_agent):
    refund = Refund.objects.get(request=inspected)
    client.force_login(service_agent)
    response = client.post(
        admin_url("issue", refund.pk, model="refund"), {"reference": "re_x", "next": "https://evil.example/"}
    )
    assert response["Location"] == refunds_to_issue()


def test_the_warehouse_cannot_pay_from_the_list(client, inspected, warehouse):
    refund = Refund.objects.get(request=inspected)
    client.force_login(warehouse)
    response = client.post(admin_url("issue", refund.pk, model="refund"), {"reference": "re_x"})
    assert response.status_code in (302, 403)
    refund.refresh_from_db()
    assert refund.state == Refund.State.PENDING


def test_an_unknown_refund_is_a_404(client, service_agent):
    client.force_login(service_agent)
    assert client.post(admin_url("issue", 999999, model="refund"), {"reference": "x"}).status_code == 404


def test_refunds_to_issue_costs_the_same_queries_for_many_rows(
    client, service_agent, warehouse, customer, django_assert_max_num_queries
):
    """Staff open this list many times a day: a fixed number of queries, whatever the number of rows."""
    for _ in range(12):
        o = OrderFactory(email=customer.email)
        req = submit(o, standard(OrderLineFactory(order=o)))
        from returns.services.requests import return_request_approve

        return_request_approve(request=req, by=service_agent, return_required=True)
        return_request_receive(request=req, by=warehouse)
        from tests.returns.admin.test_admin import inspect_all

        inspect_all(req, warehouse)
    client.force_login(service_agent)
    with django_assert_max_num_queries(16):
        response = client.get(refunds_to_issue())
    assert response.content.decode().count('class="rr-pay-row"') == 12


@pytest.mark.usefixtures("paid")
def test_bulk_refund_through_stripe_sends_each_once(
    client, fake_stripe, inspected, service_agent, django_capture_on_commit_callbacks
):
    refund = Refund.objects.get(request=inspected)
    client.force_login(service_agent)
    html = client.get(refunds_to_issue()).content.decode()
    assert "Refund $27.00 through Stripe" in html and "refund_selected_through_provider" in html
    post = {"action": "refund_selected_through_provider", "_selected_action": [str(refund.pk)]}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(refunds_to_issue(), post)
    assert any(f"Sent to the payment provider: {inspected.rma} ($27.00)" in t for _, t in messages_of(response))
    # Sent again from the whole list (a second person, an old tab): nothing more reaches Stripe (R12).
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(admin_url("changelist", model="refund"), post)
    assert len(fake_stripe.refunds_for(PI)) == 1
    assert any(t.startswith(f"{inspected.rma}: This refund was already issued") for _, t in messages_of(again))


def test_no_bulk_action_when_staff_pay_by_hand(client, inspected, service_agent):
    client.force_login(service_agent)
    assert "refund_selected_through_provider" not in client.get(refunds_to_issue()).content.decode()


# --- review: beside the buttons, and on to the next ------------------------------------------


def test_review_puts_the_claim_estimate_and_risk_beside_the_buttons(client, submitted, service_agent):
    client.force_login(service_agent)
    html = client.get(page_url(submitted)).content.decode()
    review = html[html.index('id="review"') : html.index('id="claims"')]
    for part in ('id="claim-summary"', "Stoneware mug", "No longer needed", 'id="review-estimate"', 'id="risk"'):
        assert part in review, part
    assert f"Approve {submitted.rma}" in review and "Approve and next" in review and "Reject and next" in review


def test_approve_and_next_opens_the_next_of_the_same_queue(client, customer, service_agent):
    first, second, third = (_request(customer) for _ in range(3))
    client.force_login(service_agent)
    post = {"return_required": "yes", "_and_next": "1", "queue": "review"}
    response = client.post(admin_url("approve", third.pk), post)  # the list's top (newest first)
    assert response["Location"] == f"{page_url(second)}?_changelist_filters=queue%3Dreview"
    response = client.post(admin_url("reject", second.pk), {"reason": "Outside what we sell.", **post})
    assert response["Location"].startswith(page_url(first))
    response = client.post(admin_url("approve", first.pk), post)
    assert response["Location"] == f"{admin_url('changelist')}?queue=review"
    assert ("info", "Nothing else waits in “To review”.") in messages_of(response)
    statuses = [r.status for r in ReturnRequest.objects.filter(pk__in=[first.pk, second.pk, third.pk]).order_by("pk")]
    assert statuses == [S.APPROVED, S.REJECTED, S.APPROVED]


def test_a_failed_approve_and_next_stays_on_the_request(client, approved, service_agent):
    client.force_login(service_agent)
    response = client.post(admin_url("approve", approved.pk), {"return_required": "yes", "_and_next": "1"})
    assert response["Location"] == page_url(approved)


def _request(customer):
    o = OrderFactory(email=customer.email)
    return submit(o, standard(OrderLineFactory(order=o)))


# --- staff words -------------------------------------------------------------------------------


def test_the_list_says_claimed_and_shows_the_estimate_until_a_refund(client, order, customer, service_agent):
    from tests.returns.admin.test_admin import damaged, lamp, mug

    fault = submit(order, damaged(lamp(order)), by=customer)
    plain = submit(order, standard(mug(order), 2), by=customer)
    client.force_login(service_agent)
    response = client.get(f"{admin_url('changelist')}?queue=review")
    rows = {rma: response.content.decode().split(rma, 2)[2].split("</tr>", 1)[0] for rma in (fault.rma, plain.rma)}
    assert '<td class="field-fault_claim">claimed</td>' in rows[fault.rma]
    assert '<td class="field-fault_claim">not claimed</td>' in rows[plain.rma]
    assert '$27.00</span><br><span class="rr-muted">estimate' in rows[plain.rma]
    assert "up to $" in rows[fault.rma]  # a fault claim's estimate has two outcomes
    assert "Why it waits" in response.content.decode()
