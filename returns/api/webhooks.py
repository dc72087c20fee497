"""What every signed webhook endpoint does the same way: read the body under a size limit, read
its JSON, and apply it at most once: a redelivery (same sender, same delivery id) or a replay (the
same body again within ``REPLAY_WINDOW``, whatever its delivery id) is answered exactly as the
first time without doing the work again. Nothing a signed body holds gives a 500: a body that
cannot be read or stored is the endpoint's own JSON 400. Used by ``orders`` and ``shopify``; the
Stripe webhook, verified by Stripe's library, shares ``storable`` and the text check.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DataError, IntegrityError, transaction
from django.http import JsonResponse
from django.utils import timezone

from returns.api.signing import TOLERANCE_SECONDS
from returns.exceptions import ImportErrors
from returns.integrations import WebhookRejected, unstorable_text
from returns.models import WebhookDelivery

log = logging.getLogger(__name__)

# A signature is good for TOLERANCE_SECONDS either side of its timestamp, so a captured request can
# be sent again for at most twice that after it was first seen: a body seen within it is a replay.
REPLAY_WINDOW = timedelta(seconds=2 * TOLERANCE_SECONDS)
MAX_DELIVERY_ID = WebhookDelivery._meta.get_field("delivery_id").max_length
# What the database refuses to store (text with a lone surrogate or NUL on PostgreSQL, a value longer
# than its column, a number beyond its column): the sender's doing, so a 400, never a 500.
UNSTORABLE = (DataError, UnicodeEncodeError, OverflowError)
UNSTORABLE_ANSWER = (
    "A value in the body cannot be stored (text with characters that are not text, or a value longer or "
    "larger than its field allows); nothing was written."
)


class BodyRefused(Exception):
    """The body cannot be read or stored; the message, in plain words, is the endpoint's 400 answer."""


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
    """json.loads for a body from outside; every way it can be refused is BodyRefused (the message says why).

    Strict: NaN and Infinity are not JSON. Nesting deeper than Python's recursion limit and
    integers longer than Python reads (4,300 digits) are refused, not a 500; so is text that
    is not text (a lone surrogate such as \\ud800, which no database or email can hold).
    """
    try:
        payload = json.loads(body, parse_constant=_not_json, **options)
    except RecursionError:
        raise BodyRefused("The body is not valid JSON: it is nested too deeply.") from None
    except ValueError as error:  # not UTF-8, not JSON, NaN, too long a number
        raise BodyRefused(f"The body is not valid JSON: {error}") from None
    if problem := unstorable_text(payload):
        raise BodyRefused(f"The body has text that cannot be stored: {problem}.")
    return payload


def storable(work: Callable[[], tuple[int, dict]], *, name: str) -> tuple[int, dict]:
    """``work()`` in a transaction of its own; a value the database refuses is a 400 and nothing is written."""
    try:
        with transaction.atomic():
            return work()
    except UNSTORABLE as error:
        log.warning("%s webhook: a signed body held a value that cannot be stored (%s)", name, type(error).__name__)
        return 400, {"error": UNSTORABLE_ANSWER}


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


def _first_answer(seen: WebhookDelivery) -> JsonResponse:
    return answer(seen.status_code, {**seen.response, "replayed": True})


def _redelivery(source: str, delivery_id: str, body_sha256: str) -> JsonResponse | None:
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
    return _first_answer(seen)


def _replay(source: str, topic: str, body_sha256: str) -> JsonResponse | None:
    """The first answer to the same body within REPLAY_WINDOW, under any delivery id (or none)."""
    seen = (
        WebhookDelivery.objects.filter(
            source=source,
            topic=topic,
            body_sha256=body_sha256,
            received_at__gte=timezone.now() - REPLAY_WINDOW,
        )
        .order_by("received_at", "pk")
        .first()
    )
    return _first_answer(seen) if seen else None


def _work_or_400(work: Callable[[], tuple[int, dict]]) -> tuple[int, dict]:
    try:
        return work()
    except BodyRefused as error:
        return 400, {"error": str(error)}


def once(
    source: str, delivery_id: str, body: bytes, work: Callable[[], tuple[int, dict]], *, topic: str = ""
) -> JsonResponse:
    """Run ``work`` (returning status and answer) in a transaction and remember its answer.

    A delivery already handled (same delivery id), or the same body (and topic) within
    REPLAY_WINDOW whatever its id, gets its first answer back with ``"replayed": true`` and
    ``work`` does not run; the same id with a different body gets 409 and nothing runs.
    ``work`` may raise BodyRefused (a 400 with its message); a value the database cannot
    store is a 400 too, and then nothing is written or remembered.
    """
    digest = hashlib.sha256(body).hexdigest()
    if delivery_id and (redelivery := _redelivery(source, delivery_id, digest)):
        return redelivery
    if replay := _replay(source, topic, digest):
        return replay

    def work_and_remember() -> tuple[int, dict]:
        status, result = _work_or_400(work)
        WebhookDelivery.objects.create(
            source=source,
            delivery_id=delivery_id,
            topic=topic,
            status_code=status,
            response=result,
            body_sha256=digest,
        )
        return status, result

    try:
        status, result = storable(work_and_remember, name=source)
    except IntegrityError:
        # The same delivery arrived twice at once: the first one's answer stands.
        redelivery = _redelivery(source, delivery_id, digest) if delivery_id else None
        return redelivery or answer(409, {"error": "A conflicting write happened at the same moment; send it again."})
    return answer(status, result)


def delivery_id_of(request, header: str) -> str:
    """The sender's delivery id, as it is signed and remembered ("" without one)."""
    return (request.headers.get(header) or "").strip()


def signed_once(
    request,
    *,
    source: str,
    delivery_header: str,
    work: Callable[[bytes], tuple[int, dict]],
    topic: str = "",
    **verifying,
) -> JsonResponse:
    """A signed webhook's whole answer: ``verified_body`` (``verifying`` is its keywords), then
    ``work(body)`` exactly once per delivery id read from ``delivery_header``, and once per body
    within REPLAY_WINDOW (``once``)."""
    body = verified_body(request, **verifying)
    if isinstance(body, JsonResponse):
        return body
    delivery_id = delivery_id_of(request, delivery_header)
    if len(delivery_id) > MAX_DELIVERY_ID:
        return answer(400, {"error": f"The {delivery_header} header is over {MAX_DELIVERY_ID} characters."})
    return once(source, delivery_id, body, lambda: work(body), topic=topic)


def deliveries_sweep(*, now=None) -> int:
    """Forget deliveries older than WEBHOOK_DELIVERY_KEEP_DAYS (senders stop retrying long before); returns how many.

    A delivery sent again after that is simply handled again: an order upsert or a delivery date
    written twice changes nothing.
    """
    cutoff = (now or timezone.now()) - timedelta(days=settings.WEBHOOK_DELIVERY_KEEP_DAYS)
    deleted, _ = WebhookDelivery.objects.filter(received_at__lt=cutoff).delete()
    return deleted
