"""Who may see which order, return and photo. Everything private goes through here.

A customer sees the orders placed with their email once that email is verified,
plus any order opened through a guest link in this browser session. Anything
else is a 404, never a 403, so order numbers and RMAs cannot be probed.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import NoReverseMatch, reverse

from .models import DamagePhoto, Order, ReturnRequest

GUEST_SESSION_KEY = "guest_order_ids"


def guest_order_ids(request) -> list[int]:
    return list(request.session.get(GUEST_SESSION_KEY, []))


def grant_guest_order(request, order: Order) -> None:
    """A verified guest link opens this order (only) for this browser session."""
    ids = guest_order_ids(request)
    if order.pk not in ids:
        request.session[GUEST_SESSION_KEY] = [*ids, order.pk]


def visible_orders(request) -> QuerySet[Order]:
    condition = Q(pk__in=guest_order_ids(request))
    user = request.user
    if user.is_authenticated and user.email_verified:
        condition |= Q(email=user.email)
    return Order.objects.filter(condition)


def has_customer_access(request) -> bool:
    user = request.user
    return bool(guest_order_ids(request)) or (user.is_authenticated and user.email_verified)


def visible_returns(request) -> QuerySet[ReturnRequest]:
    return ReturnRequest.objects.filter(order__in=visible_orders(request))


def photo_for(request, photo_id: int) -> DamagePhoto:
    """Staff who may view photos see any; a customer only those of their own returns."""
    qs = DamagePhoto.objects.select_related("line__request")
    user = request.user
    if not (user.is_authenticated and user.is_staff and user.has_perm("returns.view_damagephoto")):
        qs = qs.filter(line__request__order__in=visible_orders(request))
    try:
        return qs.get(pk=photo_id)
    except DamagePhoto.DoesNotExist:
        raise Http404("No such photo") from None


# --- guest links ---------------------------------------------------------------

GUEST_LINK_SALT = "returns.guest-order"


def guest_token(order: Order) -> str:
    """A signed, time-limited token that opens one order (checked by ``order_from_guest_token``)."""
    return signing.dumps({"order": order.pk}, salt=GUEST_LINK_SALT, compress=True)


def order_from_guest_token(token: str) -> Order | None:
    """The order a token opens, or None if it is forged or older than GUEST_LINK_MAX_AGE."""
    try:
        data = signing.loads(token, salt=GUEST_LINK_SALT, max_age=settings.GUEST_LINK_MAX_AGE)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    return Order.objects.filter(pk=data.get("order")).first() if isinstance(data, dict) else None


def guest_link(order: Order, *, next_name: str | None = None, next_args=()) -> str:
    """An absolute link, for emails, that opens ``order`` without signing in and goes to ``next_name``."""
    base = settings.PORTAL_BASE_URL.rstrip("/")
    try:
        target = reverse(next_name, args=list(next_args)) if next_name else None
    except NoReverseMatch:
        target = None
    try:
        link = reverse("accounts:guest_open", args=[guest_token(order)])
    except NoReverseMatch:
        return base + (target or "/")
    return base + link + (f"?{urlencode({'next': target}, safe='/')}" if target else "")
