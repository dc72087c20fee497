"""Counters by the clock hour (or minute), counted where every process sees them: the rate limits of both apps.

With no CACHE_URL (THROTTLE_STORE=database, the default) the counts are rows of the model
named by THROTTLE_COUNT_MODEL (fields ``key``, ``count``, ``expires_at``), incremented with
one UPDATE each, so several gunicorn workers and hosts count together exactly. With
CACHE_URL set (Redis in production) they are counted in that cache, whose increments are
atomic too. The model is named by a setting, as AUTH_USER_MODEL is, so core imports no app.

Fixed windows on the clock: the hour unless a limit asks for another length (the link limits'
minute). Keys are hashes, so no store holds email addresses.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F

WINDOW = 60 * 60


def _key(scope: str, kind: str, value: str, window: int, index: int) -> str:
    return f"throttle:{scope}:{kind}:{hashlib.sha256(value.encode()).hexdigest()[:40]}:{window}:{index}"


def _count_in_database(key: str, window_end: float, now: float) -> int:
    counts = apps.get_model(settings.THROTTLE_COUNT_MODEL)
    expires_at = datetime.fromtimestamp(window_end, UTC)
    with transaction.atomic():
        if not counts.objects.filter(key=key).update(count=F("count") + 1):
            try:
                with transaction.atomic():
                    counts.objects.create(key=key, count=1, expires_at=expires_at)
            except IntegrityError:  # another process made it a moment ago
                counts.objects.filter(key=key).update(count=F("count") + 1)
            else:
                # A new window: old windows' rows are of no use any more.
                counts.objects.filter(expires_at__lt=datetime.fromtimestamp(now, UTC)).delete()
                return 1
        return counts.objects.filter(key=key).values_list("count", flat=True).get()


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


def seconds_left(now: float | None = None, *, window: int = WINDOW) -> int:
    """Until this hour's (or this ``window``'s) counts start again from nothing."""
    now = time.time() if now is None else now
    return int((now // window + 1) * window - now) + 1


def count(scope: str, kind: str, value: str, *, window: int = WINDOW) -> int:
    """Add one to this hour's (or this ``window``'s, in seconds) counter for (scope, kind, value) and return it."""
    now = time.time()
    index = int(now // window)
    key = _key(scope, kind, value, window, index)
    if settings.THROTTLE_STORE == "cache":
        return _count_in_cache(key, seconds_left(now, window=window))
    return _count_in_database(key, (index + 1) * window, now)


def current(scope: str, kind: str, value: str, *, window: int = WINDOW) -> int:
    """This hour's (or this ``window``'s) count for (scope, kind, value), without adding to it: a door that
    counts only failures asks it first, so a client past its limit is refused before anything is looked up."""
    now = time.time()
    key = _key(scope, kind, value, window, int(now // window))
    if settings.THROTTLE_STORE == "cache":
        return int(cache.get(key) or 0)
    counts = apps.get_model(settings.THROTTLE_COUNT_MODEL)
    return counts.objects.filter(key=key).values_list("count", flat=True).first() or 0
