"""Email providers' webhooks, through django-anymail: customers' replies in, and delivery news of what we sent.

Postmark is the one documented and tested (``/anymail/postmark/inbound/`` and
``/anymail/postmark/tracking/``); any other anymail provider's URLs (``anymail.urls``) reach the
same two receivers by configuration alone. In front of Postmark's views this module checks what
anymail leaves to Django's error handling, so a sender never gets a 500 for what it posts:
the basic-auth secret (ANYMAIL_WEBHOOK_SECRET; 401 without it, 403 when none is set up), the
size (INBOUND_EMAIL_MAX_BYTES, 413), and a body anymail cannot read (400).

The receivers are thin: turn anymail's event into ``InboundMail`` and call
``services.inbound_mail``; find the outbox row a tracking event is about and record it.
"""

from __future__ import annotations

import json
import logging

from anymail.signals import EventType, inbound, tracking
from anymail.utils import get_request_basic_auth
from anymail.webhooks.postmark import PostmarkInboundWebhookView, PostmarkTrackingWebhookView
from django.conf import settings
from django.db import DatabaseError
from django.dispatch import receiver
from django.http import HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.utils.html import strip_tags
from django.views.decorators.csrf import csrf_exempt

from returns.integrations import LONE_SURROGATE
from returns.services.inbound_mail import Attachment, InboundMail, email_delivery_record, inbound_mail_receive

log = logging.getLogger(__name__)


def _secrets() -> list[str]:
    value = (getattr(settings, "ANYMAIL", {}) or {}).get("WEBHOOK_SECRET") or []
    return [value] if isinstance(value, str) else list(value)


def _guarded(view_class):
    """Anymail's view for one provider, behind the checks a hostile sender must not get past (or a 500 from)."""

    @csrf_exempt
    def view(request):
        if request.method == "HEAD":
            return HttpResponse()
        if request.method != "POST":
            return JsonResponse({"error": "Use POST."}, status=405, headers={"Allow": "POST, HEAD"})
        allowed = _secrets()
        if not allowed:
            return JsonResponse({"error": "Email webhooks are not set up here (ANYMAIL_WEBHOOK_SECRET)."}, status=403)
        given = get_request_basic_auth(request) or ""
        if not any(constant_time_compare(given, secret) for secret in allowed):
            return JsonResponse(
                {"error": "Wrong or missing credentials."},
                status=401,
                headers={"WWW-Authenticate": 'Basic realm="email webhooks"'},
            )
        limit = settings.INBOUND_EMAIL_MAX_BYTES
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        body = request.read(limit + 1) if declared <= limit else b""
        if declared > limit or len(body) > limit:
            return JsonResponse({"error": f"The message is larger than {limit} bytes."}, status=413)
        try:
            # What anymail reads as request.body: within the limit, and every string storable (no NUL, no lone
            # surrogate, which no database column takes), so a hostile sender's mail is kept, not lost.
            request._body = _storable_json(body)
        except (ValueError, RecursionError):
            return JsonResponse({"error": "The body is not JSON this webhook can read."}, status=400)
        try:
            return view_class.as_view(basic_auth=allowed)(request)
        except DatabaseError:
            raise  # the database is down: a 5xx, so the provider delivers it again later
        except Exception:  # anything a hostile or broken body makes anymail raise
            log.warning("An email webhook body could not be read", exc_info=True)
            return JsonResponse({"error": "This is not a message this webhook can read."}, status=400)

    return view


def _storable(value):
    if isinstance(value, str):
        return LONE_SURROGATE.sub("\ufffd", value.replace("\x00", ""))
    if isinstance(value, list):
        return [_storable(v) for v in value]
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    return value


def _storable_json(body: bytes) -> bytes:
    """The JSON body again, with NUL bytes dropped and lone surrogates replaced (ValueError if it is not JSON)."""
    return json.dumps(_storable(json.loads(body.decode("utf-8")))).encode()


postmark_inbound = _guarded(PostmarkInboundWebhookView)
postmark_tracking = _guarded(PostmarkTrackingWebhookView)


# --- the receivers (any anymail provider) ---------------------------------------------------------


def _addr(address) -> str:
    return getattr(address, "addr_spec", "") or ""


def inbound_mail_from(event) -> InboundMail:
    """Anymail's inbound event in the portal's terms; whatever part cannot be read is left empty."""
    message = event.message
    recipients = [_addr(a) for a in [*(message.to or []), *(message.cc or [])]]
    envelope = getattr(message, "envelope_recipient", None)
    if envelope:
        recipients.append(str(envelope))
    text = message.text or strip_tags(message.html or "")
    attachments = []
    for part in message.attachments or []:
        try:
            attachments.append(
                Attachment(
                    name=part.get_filename() or "",
                    content_type=part.get_content_type() or "",
                    content=part.get_content_bytes() or b"",
                )
            )
        except Exception:  # broken MIME: said in the thread as an attachment that was not added
            attachments.append(Attachment(name=str(part.get_filename() or "attachment"), content_type="", content=b""))
    return InboundMail(
        message_id=str(event.event_id or message.get("Message-ID") or ""),
        sender=_addr(message.from_email),
        recipients=tuple(recipients),
        subject=str(message.subject or ""),
        text=str(text or ""),
        attachments=tuple(attachments),
    )


@receiver(inbound, dispatch_uid="returns.inbound_email")
def on_inbound(sender, event, esp_name, **kwargs):
    inbound_mail_receive(inbound_mail_from(event))


FAILED_EVENTS = {EventType.BOUNCED, EventType.REJECTED, EventType.FAILED}


@receiver(tracking, dispatch_uid="returns.email_tracking")
def on_tracking(sender, event, esp_name, **kwargs):
    """A provider says what became of an email: delivered, or bounced (shown on the *Emails failed* tile)."""
    provider_id = str(event.message_id or "")
    if event.event_type == EventType.DELIVERED:
        email_delivery_record(provider_message_id=provider_id, delivered_at=event.timestamp)
    elif event.event_type in FAILED_EVENTS:
        why = event.description or event.mta_response or event.reject_reason or "no reason given"
        email_delivery_record(provider_message_id=provider_id, failure=f"{esp_name}: {event.event_type}: {why}")
