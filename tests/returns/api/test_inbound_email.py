"""Replies by email land in the thread: Postmark's inbound JSON (its documented example, with the reply address of a
real status email) through django-anymail's webhook, and what a forged, altered or hostile post does (nothing)."""

import base64
import copy
import json
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse
from PIL import Image

from returns.models import Message, MessagePhoto, Notification, UnmatchedEmail
from returns.services.requests import LineRequest, return_request_submit
from tests.factories import jpeg_bytes

pytestmark = pytest.mark.django_db

EXAMPLE = json.loads((Path(__file__).parents[2] / "fixtures" / "postmark_inbound.json").read_text())
SECRET = "postmark:inbound-s3cret"
URL = "/anymail/postmark/inbound/"


@pytest.fixture(autouse=True)
def _reply_setup(settings):
    settings.REPLY_TO_ADDRESS = "returns@reply.alotrop.com"
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": SECRET}
    settings.STAFF_NOTIFICATION_EMAIL = "desk@alotrop.com"


@pytest.fixture
def rr(order, customer, django_capture_on_commit_callbacks):
    mug = order.lines.get(sku="MUG-01")
    with django_capture_on_commit_callbacks(execute=True):
        line = LineRequest(mug.pk, 1, "changed_mind", "Too big", condition_confirmed=True)
        return return_request_submit(order=order, lines=[line], by=customer)


def reply_address_of_status_email(rr) -> str:
    """The Reply-To of the email the customer really received about ``rr``."""
    sent = [m for m in mail.outbox if m.to == [rr.order.email]]
    assert sent and sent[-1].reply_to, "the status email carries the return's reply address"
    return sent[-1].reply_to[0]


def inbound(*, to: str, sender: str, text: str, message_id="73e6d360-66eb-11e1-8e72-a8904824019b", **extra):
    body = copy.deepcopy(EXAMPLE)
    body.update(
        {
            "From": sender,
            "FromFull": {"Email": sender, "Name": "Ana Lima", "MailboxHash": ""},
            "To": to,
            "ToFull": [{"Email": to, "Name": "", "MailboxHash": ""}],
            "OriginalRecipient": to,
            "CcFull": [],
            "Cc": "",
            "TextBody": text,
            "MessageID": message_id,
            "Attachments": [],
        }
    )
    body.update(extra)
    return body


def post(client, body, auth=SECRET, raw=None):
    headers = {}
    if auth is not None:
        headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(auth.encode()).decode()
    data = raw if raw is not None else json.dumps(body)
    return client.post(URL, data=data, content_type="application/json", **headers)


QUOTED = (
    "Yes, the box is still sealed. Can you send a label?\n\n"
    "On Fri, Dec 4, 2026 at 10:00 AM Alotrop <support@alotrop.com> wrote:\n"
    "> Your return RMA-XXXX is requested.\n> We will email you.\n"
)


def test_a_reply_to_a_status_email_joins_the_thread_without_the_quoted_part(
    client, rr, customer, django_capture_on_commit_callbacks
):
    address = reply_address_of_status_email(rr)
    assert address.startswith("returns+") and address.endswith("@reply.alotrop.com")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        with_receipt = post(client, inbound(to=address, sender=customer.email, text=QUOTED))
    assert with_receipt.status_code == 200
    message = Message.objects.get()
    assert message.request == rr and message.author == Message.Author.CUSTOMER and message.answered_at is None
    assert message.body == "Yes, the box is still sealed. Can you send a label?"
    assert message.full_text == QUOTED  # the whole email, kept for staff
    assert [m.to for m in mail.outbox] == [["desk@alotrop.com"]]  # staff are told
    # Staff read it on the request page, and answer it there.
    assert "Yes, the box is still sealed." in _staff_page(client, rr)


def _staff_page(client, rr):
    from tests.factories import StaffFactory

    client.force_login(StaffFactory(role="Customer service"))
    return client.get(reverse("admin:returns_returnrequest_change", args=[rr.pk])).content.decode()


def test_a_wrong_password_a_tampered_token_or_another_sender_attach_nothing(client, rr, customer, other_customer):
    address = reply_address_of_status_email(rr)
    assert post(client, inbound(to=address, sender=customer.email, text="Hi"), auth="postmark:wrong").status_code == 401
    assert post(client, inbound(to=address, sender=customer.email, text="Hi"), auth=None).status_code == 401
    local, domain = address.split("@")
    tampered = local[:-1] + ("0" if local[-1] != "0" else "1") + "@" + domain
    assert post(client, inbound(to=tampered, sender=customer.email, text="Hi", message_id="m-2")).status_code == 200
    other = inbound(to=address, sender=other_customer.email, text="Hi", message_id="m-3")
    assert post(client, other).status_code == 200
    assert not Message.objects.exists()
    unmatched = {u.email_message_id: u.why for u in UnmatchedEmail.objects.all()}
    assert "altered or forged" in unmatched["m-2"] and "not the address on" in unmatched["m-3"]


def test_a_replayed_message_id_is_stored_once(client, rr, customer):
    body = inbound(to=reply_address_of_status_email(rr), sender=customer.email, text="Once")
    assert post(client, body).status_code == 200
    assert post(client, body).status_code == 200
    assert Message.objects.count() == 1


def test_photos_go_through_the_pipeline_and_other_attachments_are_refused_in_the_thread(client, rr, customer):
    raw = jpeg_bytes((800, 600))
    attachments = [
        {"Name": "crack.jpg", "Content": base64.b64encode(raw).decode(), "ContentType": "image/jpeg"},
        {"Name": "invoice.pdf", "Content": base64.b64encode(b"%PDF-1.4").decode(), "ContentType": "application/pdf"},
    ]
    body = inbound(
        to=reply_address_of_status_email(rr), sender=customer.email, text="Photo attached", Attachments=attachments
    )
    assert post(client, body).status_code == 200
    message = Message.objects.get()
    assert "“invoice.pdf” was not added: only photos" in message.body
    photo = MessagePhoto.objects.get()
    assert photo.message == message and photo.original_name == "crack.jpg"
    with photo.image.open("rb") as f:
        stored = Image.open(f)
        assert stored.format == "JPEG" and not stored.getexif()  # re-encoded, nothing of the original kept
    # The customer sees it on their page; another customer gets a 404.
    client.force_login(customer)
    assert client.get(reverse("returns:message_photo", args=[photo.pk])).status_code == 200
    assert "Photo 1 sent by email" in client.get(reverse("returns:return_detail", args=[rr.rma])).content.decode()


def test_another_customer_cannot_see_an_emailed_photo(client, rr, customer, other_customer):
    att = [{"Name": "a.jpg", "Content": base64.b64encode(jpeg_bytes()).decode(), "ContentType": "image/jpeg"}]
    post(client, inbound(to=reply_address_of_status_email(rr), sender=customer.email, text="x", Attachments=att))
    photo = MessagePhoto.objects.get()
    client.force_login(other_customer)
    assert client.get(reverse("returns:message_photo", args=[photo.pk])).status_code == 404
    client.logout()
    assert client.get(reverse("returns:message_photo_thumbnail", args=[photo.pk])).status_code == 404


def test_mail_to_the_plain_address_naming_an_order_starts_a_conversation_on_it(client, order, customer):
    body = inbound(
        to="returns@reply.alotrop.com", sender=customer.email, text=f"Hi, my order #{order.number} has a cracked mug."
    )
    assert post(client, body).status_code == 200
    message = Message.objects.get()
    assert message.order == order and message.request is None
    # Someone else naming that order number joins nothing: it waits for staff to sort.
    post(client, inbound(to="returns@reply.alotrop.com", sender="x@evil.test", text=order.number, message_id="m-9"))
    assert Message.objects.count() == 1 and UnmatchedEmail.objects.get().email_message_id == "m-9"


def test_staff_assign_an_unmatched_email_to_a_return(client, rr, customer, service_agent):
    post(client, inbound(to="returns@reply.alotrop.com", sender="ana.other@gmail.com", text="It's Ana, RMA below"))
    unmatched = UnmatchedEmail.objects.get()
    client.force_login(service_agent)
    page = client.get(reverse("admin:returns_unmatchedemail_change", args=[unmatched.pk]))
    assert page.status_code == 200 and "Add to the return" in page.content.decode()
    sort = reverse("admin:returns_unmatchedemail_sort", args=[unmatched.pk])
    wrong = client.post(sort, {"rma": "RMA-2222-2222"}, follow=True)
    assert "No return RMA-2222-2222" in wrong.content.decode()
    done = client.post(sort, {"rma": rr.rma.lower()})
    assert done.status_code == 302 and done["Location"].endswith("#messages")
    unmatched.refresh_from_db()
    assert unmatched.state == "assigned" and unmatched.message.request == rr
    again = client.post(sort, {"dismiss": "1"})  # already sorted: nothing changes
    assert again.status_code == 302
    unmatched.refresh_from_db()
    assert unmatched.state == "assigned"


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"[" * 100_000 + b"]" * 100_000,  # nested deeper than any parser recurses
        b"\xff\xfe\x00garbage",
        json.dumps({"RecordType": "Bounce", "MessageID": "x"}).encode(),  # a bounce sent to the inbound URL
        json.dumps([1, 2, 3]).encode(),
    ],
    ids=["broken", "deep", "not-utf8", "wrong-record", "a-list"],
)
def test_a_hostile_body_gets_a_400_never_a_500(client, raw):
    response = post(client, None, raw=raw)
    assert response.status_code == 400
    assert not Message.objects.exists() and not UnmatchedEmail.objects.exists()


def test_nul_bytes_and_lone_surrogates_are_stored_without_them(client, rr, customer):
    text = "Hello\u0000 there \ud800 friend"
    body = inbound(to=reply_address_of_status_email(rr), sender=customer.email, text=text)
    assert post(client, body, raw=json.dumps(body)).status_code == 200
    assert Message.objects.get().body == "Hello there \ufffd friend"


def test_a_huge_body_is_refused_before_it_is_read(client, settings):
    settings.INBOUND_EMAIL_MAX_BYTES = 1000
    response = post(client, None, raw=json.dumps({"TextBody": "x" * 5000}))
    assert response.status_code == 413


def test_without_a_secret_set_up_the_webhook_refuses_everything(client, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": ""}
    assert post(client, inbound(to="a@b.c", sender="d@e.f", text="x")).status_code == 403


def test_without_reply_to_address_emails_keep_todays_from_and_no_reply_to(rr, order, settings, customer):
    settings.REPLY_TO_ADDRESS = ""
    mail.outbox.clear()
    from returns.services.requests import return_request_cancel

    return_request_cancel(request=rr, by=customer)
    assert Notification.objects.filter(request=rr, audience="customer").order_by("-pk").first().reply_to == ""
