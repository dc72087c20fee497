"""Known browsers: OWASP's device cookies, so a stranger's guesses never pause the owner's own browser.

A browser that signs in to an account gets a device cookie (COOKIE): one cookie per browser,
signed with Django's signing, naming up to MOST_ACCOUNTS accounts (their ids, newest first)
each with a random nonce that is new at every sign-in. It is HttpOnly, SameSite=Lax, Secure
wherever the session cookie is (production), and lives LOGIN_DEVICE_COOKIE_MAX_AGE. Signing out
keeps it: it names a browser, not a session.

A sign-in whose browser carries a valid entry for the account typed is from a *known* browser:
its wrong passwords count for that browser alone (``BrowserFailures``), up to
LOGIN_FAILURE_LIMIT_PER_DEVICE; then that browser is paused for LOGIN_LOCKOUT_MINUTES and its
entry is trusted no more (after the pause it is an unknown browser until it signs in again).
Every other sign-in is from an *unknown* browser, counted as before (accounts/lockout.py).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.utils import timezone

from accounts.models import BrowserFailures, User

COOKIE = "alotrop_device"
SALT = "accounts.devices"
MOST_ACCOUNTS = 5


def _entries(request) -> list[tuple[int, str]]:
    """(account id, nonce) pairs of this browser's device cookie; none if it is missing, altered or too old."""
    value = request.COOKIES.get(COOKIE)
    if not value:
        return []
    try:
        entries = signing.loads(value, salt=SALT, max_age=settings.LOGIN_DEVICE_COOKIE_MAX_AGE)
    except signing.BadSignature:
        return []
    if not isinstance(entries, list):
        return []
    return [
        (entry[0], entry[1])
        for entry in entries
        if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], int) and isinstance(entry[1], str)
    ]


def this_browser(request, username: str | None) -> tuple[str | None, datetime | None]:
    """(the nonce this browser is known by for the account, if it is trusted; until when it is paused, if it is).

    ``username`` is the account as the lockout names it (the typed email, normalised).
    """
    entries = _entries(request)
    if not entries or not username:
        return None, None
    account = User.objects.filter(email=username).values_list("pk", flat=True).first()
    nonce = next((nonce for owner, nonce in entries if owner == account), None)
    if nonce is None:
        return None, None
    record = BrowserFailures.objects.filter(nonce=nonce).values_list("failures_since_start", "attempt_time").first()
    if record is None or record[0] < settings.LOGIN_FAILURE_LIMIT_PER_DEVICE:
        return nonce, None
    until = record[1] + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    return None, until if until > timezone.now() else None


def is_known(request, username: str) -> bool:
    """Whether this browser has signed in to that account and is still trusted for it."""
    return this_browser(request, username)[0] is not None


def remember(request, user) -> None:
    """After a sign-in: this browser's cookie names the account with a fresh nonce (DeviceCookieMiddleware sets it)."""
    others = [entry for entry in _entries(request) if entry[0] != user.pk]
    entries = [[user.pk, secrets.token_urlsafe(24)], *([pk, nonce] for pk, nonce in others)][:MOST_ACCOUNTS]
    request.device_cookie = signing.dumps(entries, salt=SALT)


class DeviceCookieMiddleware:
    """Sets the device cookie a sign-in in this request earned (``remember``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        value = getattr(request, "device_cookie", None)
        if value:
            response.set_cookie(
                COOKIE,
                value,
                max_age=settings.LOGIN_DEVICE_COOKIE_MAX_AGE,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
