"""The store's systems read: ``GET /api/v1/returns``, ``/api/v1/returns/<RMA>`` and ``/api/v1/refunds``.

Thin: the key (``returns.api.keys``), the query's parameters, then the public selector
(``returns.selectors.public``), so every answer has exactly the fields the events carry. A list is a page in
(updated_at, id) order with ``next_cursor`` while ``has_more``: the cursor is the last row's position,
signed (opaque to clients; a changed or foreign one is a 400), so a row changed between two pages moves to
the end of the walk and is read again with its change, and no other row is skipped or repeated. A parameter
that cannot be used is a 400 naming it in a sentence; nothing a client sends is a 500.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import partial

from django.core import signing
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from returns.api.keys import api_key_required
from returns.domain.vocabulary import RefundState, ReturnStatus
from returns.models import Order, ReturnRequest
from returns.selectors.public import (
    Page,
    Position,
    public_detail_parts,
    public_refund,
    public_return,
    public_return_detail,
    refunds_page,
    returns_page,
)

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_ID = 2**63 - 1
ORDER_NUMBER_LENGTH = Order._meta.get_field("number").max_length
# A "+01:00" offset sent unencoded in a query string arrives as " 01:00".
_SPACE_FOR_PLUS = re.compile(r" (\d{2}(:?\d{2})?)$")


class BadParameter(Exception):
    """A query parameter that cannot be used; the message names it, for the 400."""


def _one(request: HttpRequest, name: str) -> str | None:
    values = request.GET.getlist(name)
    if len(values) > 1:
        raise BadParameter(f"Give {name} once; it was given {len(values)} times.")
    return values[0] if values else None


def _known(request: HttpRequest, names: tuple[str, ...]) -> None:
    unknown = sorted(set(request.GET) - set(names))
    if unknown:
        raise BadParameter(f"Unknown parameter {unknown[0]!r}; this list takes {', '.join(names)}.")


def _moment(name: str, value: str) -> datetime:
    text = _SPACE_FOR_PLUS.sub(r"+\1", value.strip())
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            raise BadParameter(f"{name} needs a UTC offset, as in 2026-12-05T10:00:00Z or 2026-12-05T11:00:00+01:00.")
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise BadParameter(
            f"{name} must be an ISO 8601 date and time with a UTC offset, as in 2026-12-05T10:00:00Z; "
            f"{value[:40]!r} is not one."
        ) from None


def _day(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise BadParameter(
            f"{name} must be a date (YYYY-MM-DD), as in 2026-12-01; {value[:40]!r} is not one."
        ) from None


def _choice(name: str, value: str, choices: list[str]) -> str:
    if value not in choices:
        raise BadParameter(f"{name} must be one of {', '.join(choices)}; {value[:40]!r} is not one.")
    return value


def _limit(value: str | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    if not (value.isascii() and value.isdigit() and len(value) <= 3 and 1 <= int(value) <= MAX_LIMIT):
        raise BadParameter(f"limit must be a whole number from 1 to {MAX_LIMIT} (the default is {DEFAULT_LIMIT}).")
    return int(value)


def _salt(kind: str) -> str:
    return f"returns.api.store.{kind}.cursor"


def _cursor(kind: str, value: str | None) -> Position | None:
    if value is None:
        return None
    problem = BadParameter("cursor is not one this list gave (or is from another list); start again without it.")
    try:
        at, pk = signing.loads(value, salt=_salt(kind))
        moment = datetime.fromisoformat(at)
    except (signing.BadSignature, ValueError, TypeError):
        raise problem from None
    if moment.tzinfo is None or not isinstance(pk, int) or not 0 <= pk <= MAX_ID:
        raise problem
    return moment, pk


def _listing(kind: str, page: Page, item) -> JsonResponse:
    last = page.last
    cursor = None
    if page.has_more and last is not None:
        cursor = signing.dumps([last[0].astimezone(UTC).isoformat(), last[1]], salt=_salt(kind))
    return JsonResponse({"data": [item(row) for row in page.rows], "has_more": page.has_more, "next_cursor": cursor})


def _order(name: str, value: str) -> str:
    if not 0 < len(value) <= ORDER_NUMBER_LENGTH:
        raise BadParameter(f"{name} must be an order number of 1 to {ORDER_NUMBER_LENGTH} characters.")
    return value


Parse = Callable[[str, str], object]


def _list(request: HttpRequest, kind: str, filters: dict[str, Parse], page: Callable[..., Page], item) -> JsonResponse:
    """A list's answer: each filter given parsed (by its parser, which names it in a 400), then one page."""
    try:
        _known(request, (*filters, "cursor", "limit"))
        given = {
            name: parse(name, value) for name, parse in filters.items() if (value := _one(request, name)) is not None
        }
        found = page(**given, after=_cursor(kind, _one(request, "cursor")), limit=_limit(_one(request, "limit")))
    except BadParameter as error:
        return JsonResponse({"error": str(error)}, status=400)
    return _listing(kind, found, item)


@require_GET
@api_key_required
def returns_list(request: HttpRequest) -> JsonResponse:
    filters: dict[str, Parse] = {
        "updated_since": _moment,
        "status": partial(_choice, choices=list(ReturnStatus.values)),
        "order": _order,
    }
    return _list(request, "returns", filters, returns_page, public_return)


@require_GET
@api_key_required
def return_detail(request: HttpRequest, rma: str) -> JsonResponse:
    if request.GET:
        return JsonResponse(
            {"error": f"Unknown parameter {next(iter(request.GET))!r}; this return takes none."}, status=400
        )
    found = public_detail_parts(ReturnRequest.objects.filter(rma=rma.strip().upper()[:40])).first()
    if found is None:
        return JsonResponse({"error": f"No return {rma[:40]!r}."}, status=404)
    return JsonResponse(public_return_detail(found))


@require_GET
@api_key_required
def refunds_list(request: HttpRequest) -> JsonResponse:
    filters: dict[str, Parse] = {
        "issued_since": _day,
        "updated_since": _moment,
        "state": partial(_choice, choices=list(RefundState.values)),
    }
    return _list(request, "refunds", filters, refunds_page, public_refund)
