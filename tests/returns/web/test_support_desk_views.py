"""The support desk's pages: a return started for a customer (staff only), goodwill exceptions on that form, and the
conversation on the customer's return page. Anyone else gets a 404."""

import uuid

import pytest
from django.core import mail
from django.urls import reverse

from returns.models import Channel, Message, ReturnRequest
from returns.services import guest_access as access
from returns.services.requests import LineRequest, return_request_submit

pytestmark = pytest.mark.django_db


def line_data(ol, *, quantity=1, reason="changed_mind", description="Too small for me", **extra):
    prefix = f"line-{ol.pk}-"
    data = {
        prefix + "selected": "on",
        prefix + "quantity": str(quantity),
        prefix + "reason": reason,
        prefix + "description": description,
        prefix + "preference": "refund",
        prefix + "condition_confirmed": "on",
    }
    data.update({prefix + k: v for k, v in extra.items()})
    return data


def for_customer_url(order):
    return reverse("returns:start_for_customer", args=[order.number])


# --- starting a return for a customer ------------------------------------------------


def test_only_customer_service_opens_the_form_for_a_customer(client, order, customer, other_customer, warehouse):
    url = for_customer_url(order)
    assert client.get(url).status_code == 404  # nobody signed in
    for who in (customer, other_customer, warehouse):  # even the order's own customer: they use their own form
        client.force_login(who)
        assert client.get(url).status_code == 404
        assert client.post(url, {"for_customer": "1"}).status_code == 404


def test_support_starts_a_return_for_a_customer_who_emailed(client, order, service_agent, settings):
    settings.AUTO_APPROVE = "standard"
    client.force_login(service_agent)
    page = client.get(for_customer_url(order))
    html = page.content.decode()
    assert page.status_code == 200
    assert "You are starting this return" in html and order.email in html
    assert "How did the customer ask?" in html and 'name="for_customer"' in html
    assert "Accept as an exception" not in html  # not theirs to grant
    mug = order.lines.get(sku="MUG-01")
    missing_channel = client.post(
        for_customer_url(order), {"submission_key": str(uuid.uuid4()), "for_customer": "1", **line_data(mug)}
    )
    assert missing_channel.status_code == 200
    assert "Choose how the customer asked" in missing_channel.content.decode()
    assert not ReturnRequest.objects.exists()
    mail.outbox.clear()
    with_channel = {"submission_key": str(uuid.uuid4()), "for_customer": "1", "channel": "email", **line_data(mug)}
    done = client.post(for_customer_url(order), with_channel)
    rr = ReturnRequest.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse("admin:returns_returnrequest_change", args=[rr.pk])
    assert rr.channel == Channel.EMAIL and rr.status == ReturnRequest.Status.APPROVED
    assert rr.history.first().note.startswith("Started by") and rr.history.first().note.endswith("by email.")
    # A second click of Send: the same request, not a second one.
    again = client.post(for_customer_url(order), with_channel)
    assert again.status_code == 302 and ReturnRequest.objects.count() == 1
    admin_page = client.get(done["Location"]).content.decode()
    assert "for the customer (by email)" in admin_page


def test_the_estimate_for_staff_counts_an_excepted_line(client, late_order, trusted_agent):
    client.force_login(trusted_agent)
    mug = late_order.lines.get()
    page = client.get(for_customer_url(late_order)).content.decode()
    assert "Accept as an exception: The 28-day return window closed" in page
    data = {"for_customer": "1", **line_data(mug, **{"exception-grant": "on", "exception-reason": "Holiday post"})}
    estimate = client.post(reverse("returns:estimate", args=[late_order.number]), data).content.decode()
    assert "$12.50" in estimate and "$1.00" in estimate  # the excepted mug counts: its price and its tax
    # Without for_customer (the customer's own estimate) the order is not theirs to see: 404.
    assert client.post(reverse("returns:estimate", args=[late_order.number]), line_data(mug)).status_code == 404


def test_an_exception_needs_its_reason_and_is_kept_when_given(client, late_order, trusted_agent):
    client.force_login(trusted_agent)
    mug = late_order.lines.get()
    base = {"for_customer": "1", "channel": "phone"}
    no_reason = client.post(
        for_customer_url(late_order),
        {"submission_key": str(uuid.uuid4()), **base, **line_data(mug, **{"exception-grant": "on"})},
    )
    assert "Write why the store makes this exception" in no_reason.content.decode()
    not_ticked = client.post(
        for_customer_url(late_order), {"submission_key": str(uuid.uuid4()), **base, **line_data(mug)}
    )
    assert "return window closed" in not_ticked.content.decode()
    assert not ReturnRequest.objects.exists()
    granted = line_data(mug, **{"exception-grant": "on", "exception-reason": "Parcel stuck at customs"})
    done = client.post(for_customer_url(late_order), {"submission_key": str(uuid.uuid4()), **base, **granted})
    assert done.status_code == 302
    line = ReturnRequest.objects.get().lines.get()
    assert (line.exception_rules, line.exception_reason, line.exception_by) == (
        "R1",
        "Parcel stuck at customs",
        trusted_agent,
    )
    admin_page = client.get(done["Location"]).content.decode()
    assert "Accepted as an exception" in admin_page and "Parcel stuck at customs" in admin_page


def test_the_order_page_offers_the_button_to_those_allowed(client, order, service_agent, warehouse, admin_user):
    url = reverse("admin:returns_order_change", args=[order.pk])
    client.force_login(service_agent)
    assert "Start a return for this customer" in client.get(url).content.decode()
    client.force_login(admin_user)
    assert "Start a return for this customer" in client.get(url).content.decode()
    client.force_login(warehouse)
    assert "Start a return for this customer" not in client.get(url).content.decode()


# --- the conversation ----------------------------------------------------------------------


@pytest.fixture
def rr(order, customer):
    mug = order.lines.get(sku="MUG-01")
    return return_request_submit(
        order=order, lines=[LineRequest(mug.pk, 1, "changed_mind", "Too big", condition_confirmed=True)], by=customer
    )


def message_url(rr):
    return reverse("returns:return_message", args=[rr.rma])


def test_the_customer_asks_on_the_page_and_reads_the_answer_there(client, rr, customer, service_agent):
    client.force_login(customer)
    page = client.get(reverse("returns:return_detail", args=[rr.rma])).content.decode()
    assert "Ask about this return" in page
    sent = client.post(message_url(rr), {"body": "Can I drop it off in the shop?"})
    assert sent.status_code == 302 and sent["Location"].endswith("#messages")
    assert Message.objects.get().author == Message.Author.CUSTOMER
    client.force_login(service_agent)
    staff_page = reverse("admin:returns_returnrequest_change", args=[rr.pk])
    html = client.get(staff_page).content.decode()
    assert "Can I drop it off in the shop?" in html and "1 waiting for an answer" in html
    replied = client.post(reverse("admin:returns_returnrequest_reply", args=[rr.pk]), {"body": "Yes, any weekday."})
    assert replied.status_code == 302
    client.force_login(customer)
    page = client.get(reverse("returns:return_detail", args=[rr.rma])).content.decode()
    assert "Yes, any weekday." in page and "Can I drop it off in the shop?" in page


def test_nobody_else_reads_or_writes_the_thread(client, rr, other_customer, warehouse):
    Message.objects.create(order=rr.order, request=rr, author="customer", body="Private words")
    client.force_login(other_customer)
    assert client.get(reverse("returns:return_detail", args=[rr.rma])).status_code == 404
    assert client.post(message_url(rr), {"body": "Hello"}).status_code == 404
    client.logout()
    assert client.post(message_url(rr), {"body": "Hello"}).status_code == 404
    assert Message.objects.count() == 1
    client.force_login(warehouse)  # staff who may not answer see the thread but cannot reply
    reply = client.post(reverse("admin:returns_returnrequest_reply", args=[rr.pk]), {"body": "Hi"}, follow=True)
    assert "You may not answer" in reply.content.decode() and Message.objects.count() == 1


def test_a_guest_with_the_orders_link_may_ask(client, rr):
    session = client.session
    access.grant_guest_order(type("R", (), {"session": session})(), rr.order)
    session.save()
    assert client.post(message_url(rr), {"body": "Is the label free?"}).status_code == 302
    assert Message.objects.get().by is None


def test_an_empty_or_too_many_messages_are_refused_in_words(client, rr, customer, settings, fresh_cache):
    client.force_login(customer)
    empty = client.post(message_url(rr), {"body": "   "})
    assert empty.status_code == 400 and "Write your message first." in empty.content.decode()
    settings.MESSAGES_PER_HOUR = 1
    assert client.post(message_url(rr), {"body": "One"}).status_code == 302
    over = client.post(message_url(rr), {"body": "Two"})
    assert over.status_code == 429 and "please write again later" in over.content.decode()
    assert Message.objects.count() == 1


def test_messages_waiting_lists_the_oldest_first_and_empties_on_reply(client, rr, customer, service_agent):
    client.force_login(customer)
    client.post(message_url(rr), {"body": "First question"})
    client.force_login(service_agent)
    index = client.get(reverse("admin:index"))
    tiles = {t.key: t for t in index.context["returns_overview"]["tiles"]}
    assert tiles["messages_waiting"].count == 1
    listed = client.get(tiles["messages_waiting"].url)
    assert listed.status_code == 200 and "First question" in listed.content.decode()
    client.post(reverse("admin:returns_returnrequest_reply", args=[rr.pk]), {"body": "Answered"})
    assert client.get(tiles["messages_waiting"].url).context["cl"].result_count == 0


def test_an_email_about_an_order_shows_on_its_page_and_joins_the_return_support_starts(
    client, order, service_agent, other_customer
):
    from returns.services.messages import message_on_order

    asked = message_on_order(order=order, body="My mug arrived chipped, what do I do?")
    client.force_login(service_agent)
    page = client.get(reverse("admin:returns_order_change", args=[order.pk])).content.decode()
    assert "My mug arrived chipped, what do I do?" in page and "start a return for this customer" in page
    mug = order.lines.get(sku="MUG-01")
    data = {"submission_key": str(uuid.uuid4()), "for_customer": "1", "channel": "email", **line_data(mug)}
    assert client.post(for_customer_url(order), data).status_code == 302
    asked.refresh_from_db()
    assert asked.request == ReturnRequest.objects.get() and asked.answered_at is not None
    # The customer's own question shows in the thread of the return on their page; not to another customer.
    client.force_login(other_customer)
    assert client.get(reverse("admin:returns_order_change", args=[order.pk])).status_code == 302  # not staff
