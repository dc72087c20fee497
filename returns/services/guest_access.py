"""Who may see which order, return and photo. Everything private goes through here.

A customer sees the orders placed with their email once that email is verified,
plus any order opened through a guest link or code in this browser session. Anything
else is a 404, never a 403, so order numbers and RMAs cannot be probed.

A guest grant is bound to the order's address as it was when the link or code was
mailed: when staff change the order's email, old links stop working and open
sessions lose the order at once. A grant lasts at most GUEST_SESSION_MAX_AGE.
"""

import secrets
import time
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from returns.models import DamagePhoto, GuestCode, MessagePhoto, Order, ReturnRequest

GUEST_SESSION_KEY = "guest_orders"
P = TypeVar("P", bound=Model)


def _live_grants(request: HttpRequest) -> list[dict[str, Any]]:
    now = time.time()
    grants = request.session.get(GUEST_SESSION_KEY, [])
    if not isinstance(grants, list):
        return []
    return [g for g in grants if isinstance(g, dict) and g.get("until", 0) > now and "order" in g and "email" in g]


def guest_order_ids(request: HttpRequest) -> list[int]:
    """Orders granted to this session that have not expired (their address is checked by ``visible_orders``)."""
    return [g["order"] for g in _live_grants(request)]


def grant_guest_order(request: HttpRequest, order: Order) -> None:
    """A verified guest link or code opens this order (only) for this browser session, while its address stays."""
    grants = [g for g in _live_grants(request) if g["order"] != order.pk]
    until = time.time() + settings.GUEST_SESSION_MAX_AGE
    request.session[GUEST_SESSION_KEY] = [*grants, {"order": order.pk, "email": order.email, "until": until}]


def _guest_condition(request: HttpRequest) -> Q:
    condition = Q(pk__in=[])
    for grant in _live_grants(request):
        condition |= Q(pk=grant["order"], email=grant["email"])
    return condition


def visible_orders(request: HttpRequest) -> QuerySet[Order]:
    condition = _guest_condition(request)
    user = request.user
    if user.is_authenticated and user.email_verified:
        condition |= Q(email=user.email)
    return Order.objects.filter(condition)


def has_customer_access(request: HttpRequest) -> bool:
    user = request.user
    return bool(guest_order_ids(request)) or (user.is_authenticated and user.email_verified)


def visible_returns(request: HttpRequest) -> QuerySet[ReturnRequest]:
    return ReturnRequest.objects.filter(order__in=visible_orders(request))


def _photo(request: HttpRequest, photo_id: int, photos: QuerySet[P], *, view_perm: str, order_path: str) -> P:
    """One photo of ``photos``: staff with ``view_perm`` see any; a customer only those whose order (reached by
    ``order_path``) they may see. Anything else is a 404."""
    user = request.user
    if not (user.is_authenticated and user.is_staff and user.has_perm(view_perm)):
        photos = photos.filter(**{f"{order_path}__in": visible_orders(request)})
    found = photos.filter(pk=photo_id).first()
    if found is None:
        raise Http404("No such photo")
    return found


def photo_for(request: HttpRequest, photo_id: int) -> DamagePhoto:
    """Staff who may view photos see any; a customer only those of their own returns."""
    photos = DamagePhoto.objects.select_related("line__request")
    return _photo(request, photo_id, photos, view_perm="returns.view_damagephoto", order_path="line__request__order")


def message_photo_for(request: HttpRequest, photo_id: int) -> MessagePhoto:
    """A photo a customer emailed: staff who may view them see any; a customer only those on their own orders."""
    photos = MessagePhoto.objects.filter(message__isnull=False)
    return _photo(request, photo_id, photos, view_perm="returns.view_messagephoto", order_path="message__order")


# --- guest links ---------------------------------------------------------------

GUEST_LINK_SALT = "returns.guest-order"


def address_digest(email: str) -> str:
    """A keyed digest of an order's address, signed into guest links so they die when it changes."""
    return salted_hmac("returns.guest-order-address", email).hexdigest()[:16]


def guest_token(order: Order) -> str:
    """A signed, time-limited token that opens one order while its address stays (``order_from_guest_token``)."""
    return signing.dumps({"order": order.pk, "a": address_digest(order.email)}, salt=GUEST_LINK_SALT, compress=True)


def order_from_guest_token(token: str) -> Order | None:
    """The order a token opens, or None if forged, older than GUEST_LINK_MAX_AGE, or the address changed."""
    try:
        data = signing.loads(token, salt=GUEST_LINK_SALT, max_age=settings.GUEST_LINK_MAX_AGE)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(data, dict):
        return None
    order_id = data.get("order")
    order = Order.objects.filter(pk=order_id).first() if isinstance(order_id, int) else None
    if order is None or not constant_time_compare(str(data.get("a", "")), address_digest(order.email)):
        return None
    return order


# --- one-time codes ----------------------------------------------------------------

CODE_DIGITS = 6


def code_hash(guest_code_id: int, code: str) -> str:
    """Only this keyed hash of a code is stored: the database alone cannot give a code away."""
    return salted_hmac("returns.guest-code", f"{guest_code_id}:{code}").hexdigest()


def guest_code_request(*, number: str, email: str) -> GuestCode:
    """Record a request for a link and code as typed; the email worker looks the order up (off the request)."""
    return GuestCode.objects.create(
        number=number, email=email, expires_at=timezone.now() + timedelta(seconds=settings.GUEST_CODE_MAX_AGE)
    )


def guest_code_issue(*, guest_code: GuestCode, order: Order) -> str:
    """Make the code for a request that matched ``order``; returns the code (to email), stores its hash."""
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    guest_code.order = order
    guest_code.code_hash = code_hash(guest_code.pk, code)
    guest_code.save(update_fields=["order", "code_hash"])
    return code


class CodeResult:
    OPENED = "opened"
    WRONG = "wrong"
    SPENT = "spent"  # expired, used, or out of tries: a new code is needed


def guest_code_use(*, guest_code_id: int | None, code: str) -> tuple[str, Order | None]:
    """Check a typed code. Takes the same steps whether or not the order exists."""
    with transaction.atomic():
        row = GuestCode.objects.select_for_update().filter(pk=guest_code_id).first() if guest_code_id else None
        if row is None or row.used_at or row.expires_at <= timezone.now() or row.tries >= settings.GUEST_CODE_TRIES:
            return CodeResult.SPENT, None
        row.tries += 1
        # Compared even when no order matched (against nothing), so both cases take the same time.
        matches = constant_time_compare(row.code_hash or "-", code_hash(row.pk, code))
        order = Order.objects.filter(pk=row.order_id, email=row.email).first() if matches and row.order_id else None
        if order is not None:
            row.used_at = timezone.now()
        row.save(update_fields=["tries", "used_at"])
    if order is not None:
        return CodeResult.OPENED, order
    return (CodeResult.SPENT if row.tries >= settings.GUEST_CODE_TRIES else CodeResult.WRONG), None


def guest_link(order: Order, *, next_name: str | None = None, next_args: Sequence[object] = ()) -> str:
    """An absolute link, for emails, that opens ``order`` without signing in and goes to ``next_name``."""
    base = str(settings.PORTAL_BASE_URL).rstrip("/")
    try:
        target = reverse(next_name, args=list(next_args)) if next_name else None
    except NoReverseMatch:
        target = None
    try:
        link = reverse("accounts:guest_open", args=[guest_token(order)])
    except NoReverseMatch:
        return base + (target or "/")
    return base + link + (f"?{urlencode({'next': target}, safe='/')}" if target else "")


# --- reply addresses -----------------------------------------------------------------------
# Every email about a return says Reply-To <local>+<token>@<domain> (REPLY_TO_ADDRESS). The token is the
# RMA's body and a keyed digest of it: a reply names its return, and no one can make or move a token
# without SECRET_KEY.

REPLY_SALT = "returns.reply-address"
REPLY_DIGEST_LENGTH = 20


def _reply_parts() -> tuple[str, str] | None:
    address = (settings.REPLY_TO_ADDRESS or "").strip()
    if address.count("@") != 1:
        return None
    local, domain = address.split("@")
    return (local, domain.lower()) if local and domain else None


def _reply_digest(rma: str) -> str:
    return salted_hmac(REPLY_SALT, rma.upper()).hexdigest()[:REPLY_DIGEST_LENGTH]


def reply_address(request: ReturnRequest) -> str:
    """``returns+7KQ4M9TX-<digest>@reply.example.com`` for this return, or "" without REPLY_TO_ADDRESS."""
    parts = _reply_parts()
    if parts is None:
        return ""
    local, domain = parts
    body = request.rma.removeprefix("RMA-").replace("-", "")
    return f"{local}+{body}-{_reply_digest(request.rma)}@{domain}"


def reply_token_status(addresses: Iterable[str]) -> tuple[ReturnRequest | None, bool]:
    """The return a reply address among ``addresses`` names, and whether any address carried a token at all.

    (None, True): a token was there but is forged, altered or names no return; (None, False): no token.
    """
    parts = _reply_parts()
    if parts is None:
        return None, False
    local, domain = parts
    saw_token = False
    for address in addresses:
        address = str(address or "").strip().strip("<>")
        if address.count("@") != 1:
            continue
        left, right = address.rsplit("@", 1)
        if right.lower() != domain or not left.lower().startswith(local.lower() + "+"):
            continue
        saw_token = True
        token = left[len(local) + 1 :]
        body, _, digest = token.partition("-")
        if len(body) != 8:
            continue
        rma = f"RMA-{body[:4]}-{body[4:]}".upper()
        if constant_time_compare(digest.lower(), _reply_digest(rma)):
            found = ReturnRequest.objects.select_related("order").filter(rma=rma).first()
            if found is not None:
                return found, True
    return None, saw_token
