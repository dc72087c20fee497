"""What every signed webhook endpoint does the same way: read the body under a size
limit, and answer a redelivery (same sender, same delivery id) exactly as the first
time without doing the work again. Used by ``orders`` and ``shopify``."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.utils import timezone

from returns.exceptions import ImportErrors
from returns.integrations import WebhookRejected
from returns.models import WebhookDelivery

log = logging.getLogger(__name__)


def answer(status: int, body: dict) -> JsonResponse:
    return JsonResponse(body, status=status)


def problems(error: ImportErrors) -> list[dict]:
    """The importer's problems as JSON: record (1-based), field, message, and the text import_orders prints."""
    return [
        {"record": p.record, "field": p.field, "message": p.message, "text": str(p)}
        for p in error.problems
        if hasattr(p, "message")
    ]


def _not_json(constant: str):
    raise ValueError(f"{constant} is not a JSON value")


def json_loads(body: bytes, **options):
    """json.loads for a body from outside; every way it can be refused is a ValueError (the message says why).

    Strict: NaN and Infinity are not JSON. Nesting deeper than Python's recursion limit and
    integers longer than Python reads (4,300 digits) are refused, not a 500.
    """
    try:
        return json.loads(body, parse_constant=_not_json, **options)
    except RecursionError:
        raise ValueError("it is nested too deeply") from None


def body_within(request, limit: int, hint: str) -> bytes | JsonResponse:
    """The raw body, or a 413 answer if it is (or says it is) over ``limit`` bytes."""
    too_big = answer(413, {"error": f"The body is larger than {limit} bytes; {hint}."})
    if not request.META.get("CONTENT_LENGTH") and request.META.get("HTTP_TRANSFER_ENCODING"):
        # Django reads a body only as long as Content-Length says: a chunked one would look empty
        # here, and its signature wrong.
        return answer(411, {"error": "Send the body with a Content-Length header, not in chunks."})
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return too_big
    try:
        body = request.body
    except RequestDataTooBig:
        return too_big
    return too_big if len(body) > limit else body


def verified_body(
    request, *, name: str, setting: str, header: str, verify: Callable, hint: str
) -> bytes | JsonResponse:
    """The raw body of a POST signed with the secret in the setting named ``setting``, or the answer that refuses it.

    404 while the secret is not set (the endpoint is off), 405 for other methods, 411 for a
    chunked body without Content-Length, 413 over ORDER_WEBHOOK_MAX_BYTES, 401 for a missing or
    wrong signature (logged without the body).
    """
    if request.method != "POST":
        return answer(405, {"error": "Use POST."})
    secret = getattr(settings, setting)
    if not secret:
        return answer(404, {"error": f"The {name} webhook is not enabled ({setting} is not set)."})
    body = body_within(request, settings.ORDER_WEBHOOK_MAX_BYTES, hint)
    if isinstance(body, JsonResponse):
        return body
    try:
        verify(request.headers.get(header), body, secret)
    except WebhookRejected as error:
        log.warning("%s webhook refused: %s", name, error)  # never the body
        return answer(401, {"error": str(error)})
    return body


def _replay(source: str, delivery_id: str, body_sha256: str) -> JsonResponse | None:
    seen = WebhookDelivery.objects.filter(source=source, delivery_id=delivery_id).first()
    if seen is None:
        return None
    if seen.body_sha256 and seen.body_sha256 != body_sha256:
        # A sender reusing an id for new content would otherwise get "replayed" and lose the content.
        return answer(
            409,
            {
                "error": f"The delivery id {delivery_id!r} was already used for a different body; "
                "nothing was written. Give each delivery its own id (and keep it for its retries)."
            },
        )
    return answer(seen.status_code, {**seen.response, "replayed": True})


def once(source: str, delivery_id: str, body: bytes, work: Callable[[], tuple[int, dict]]) -> JsonResponse:
    """Run ``work`` (returning status and answer) in a transaction and remember its answer by delivery id.

    A delivery already handled gets its first answer back with ``"replayed": true``
    and ``work`` does not run; the same id with a different body gets 409 and nothing runs.
    Without a delivery id the work simply runs.
    """
    digest = hashlib.sha256(body).hexdigest()
    if delivery_id and (replay := _replay(source, delivery_id, digest)):
        return replay
    try:
        with transaction.atomic():
            status, result = work()
            if delivery_id:
                WebhookDelivery.objects.create(
                    source=source, delivery_id=delivery_id, status_code=status, response=result, body_sha256=digest
                )
    except IntegrityError:
        # The same delivery arrived twice at once: the first one's answer stands.
        replay = _replay(source, delivery_id, digest) if delivery_id else None
        return replay or answer(409, {"error": "A conflicting write happened at the same moment; send it again."})
    return answer(status, result)


def signed_once(
    request, *, source: str, delivery_header: str, work: Callable[[bytes], tuple[int, dict]], **verifying
) -> JsonResponse:
    """A signed webhook's whole answer: ``verified_body`` (``verifying`` is its keywords), then
    ``work(body)`` exactly once per delivery id read from ``delivery_header`` (``once``)."""
    body = verified_body(request, **verifying)
    if isinstance(body, JsonResponse):
        return body
    delivery_id = (request.headers.get(delivery_header) or "").strip()[:200]
    return once(source, delivery_id, body, lambda: work(body))


def deliveries_sweep(*, now=None) -> int:
    """Forget deliveries older than WEBHOOK_DELIVERY_KEEP_DAYS (senders stop retrying long before); returns how many.

    A delivery sent again after that is simply handled again: an order upsert or a delivery date
    written twice changes nothing.
    """
    cutoff = (now or timezone.now()) - timedelta(days=settings.WEBHOOK_DELIVERY_KEEP_DAYS)
    deleted, _ = WebhookDelivery.objects.filter(received_at__lt=cutoff).delete()
    return deleted
