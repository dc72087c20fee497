"""Hourly limits on emails with a link, counted where every process sees them.

With no CACHE_URL (THROTTLE_STORE=database, the default) the counts are rows of
``ThrottleCount``, incremented with one UPDATE each, so several gunicorn workers and
hosts count together exactly. With CACHE_URL set (Redis in production) they are
counted in that cache, whose increments are atomic too.

Fixed windows on the clock hour. Keys are hashes, so no store holds email addresses.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F

from accounts.models import ThrottleCount

WINDOW = 60 * 60


def client_address(request) -> str:
    """The client's IP; behind NUM_PROXIES proxies, the one the outermost proxy saw."""
    address = request.META.get("REMOTE_ADDR", "")
    if settings.NUM_PROXIES:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if hops:
            address = hops[-min(settings.NUM_PROXIES, len(hops))]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        # One IPv6 subscriber holds a whole /64: count it as one client.
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _key(scope: str, kind: str, value: str, window: int) -> str:
    return f"throttle:{scope}:{kind}:{hashlib.sha256(value.encode()).hexdigest()[:40]}:{window}"


def _count_in_database(key: str, window_end: float) -> int:
    expires_at = datetime.fromtimestamp(window_end, UTC)
    with transaction.atomic():
        if not ThrottleCount.objects.filter(key=key).update(count=F("count") + 1):
            try:
                with transaction.atomic():
                    ThrottleCount.objects.create(key=key, count=1, expires_at=expires_at)
            except IntegrityError:  # another process made it a moment ago
                ThrottleCount.objects.filter(key=key).update(count=F("count") + 1)
            else:
                # A new window: old windows' rows are of no use any more.
                ThrottleCount.objects.filter(expires_at__lt=datetime.now(UTC)).delete()
                return 1
        return ThrottleCount.objects.filter(key=key).values_list("count", flat=True).get()


def _count_in_cache(key: str, remaining: int) -> int:
    if cache.add(key, 1, timeout=remaining):
        return 1
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=remaining)
        return 1
    # The database cache's incr resets the expiry to its default; put it back.
    cache.touch(key, timeout=remaining)
    return count


def count(scope: str, kind: str, value: str) -> int:
    """Add one to this hour's counter for (scope, kind, value) and return it."""
    now = time.time()
    window = int(now // WINDOW)
    window_end = (window + 1) * WINDOW
    key = _key(scope, kind, value, window)
    if settings.THROTTLE_STORE == "cache":
        return _count_in_cache(key, int(window_end - now) + 1)
    return _count_in_database(key, window_end)


def over_limit(scope: str, *, address: str, client: str) -> bool:
    """Count one request for a link; True when any of its limits is passed this hour.

    - per address: the mailbox owner gets at most GUEST_LINK_RATE_PER_ADDRESS, whoever asks;
    - per client and address: one client gets only GUEST_LINK_RATE_PER_CLIENT_AND_ADDRESS of
      those, so someone else flooding an address cannot use up its owner's whole allowance;
    - per client: a ceiling, GUEST_LINK_RATE_PER_CLIENT, sized for many customers behind one
      shared address (an office, a carrier's NAT).
    """
    over = count(scope, "client", client) > settings.GUEST_LINK_RATE_PER_CLIENT
    over = (
        count(scope, "client-address", f"{client}|{address}") > settings.GUEST_LINK_RATE_PER_CLIENT_AND_ADDRESS or over
    )
    if over:
        return True  # refused before it counts against the address: its owner keeps their allowance
    return count(scope, "address", address) > settings.GUEST_LINK_RATE_PER_ADDRESS
