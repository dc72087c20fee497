"""Sign-in lockout (django-axes): per account and per client, counted in the database.

Every password check goes through ``django.contrib.auth.authenticate(request=...)``, where
axes' backend refuses a paused sign-in before the password is even looked at, and a
failure is one ``AccessAttempt`` row (per account, client and browser). Two limits:

- an account (the email as the sign-in form reads it, whether or not it has an account)
  pauses after LOGIN_FAILURE_LIMIT failures within LOGIN_LOCKOUT_MINUTES, from anywhere;
- a client address (an IPv6 /64 counts as one) pauses after LOGIN_FAILURE_LIMIT_PER_CLIENT
  failures across any accounts in that time.

A pause lasts until the failures that caused it are LOGIN_LOCKOUT_MINUTES old, until staff
delete them in the admin, or (for an account) until a password reset succeeds.
"""

from __future__ import annotations

import ipaddress
import math
from datetime import datetime, timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import admin
from django.db.models import Sum
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from .models import normalize_email
from .views import client_address

USERNAME_MAX_LENGTH = 255  # axes' column


def username(request, credentials) -> str | None:
    """The account a sign-in is for, read the way the sign-in backend reads it."""
    value = (credentials or {}).get("username")
    if value is None and request is not None:
        value = request.POST.get("username")
    return normalize_email(value)[:USERNAME_MAX_LENGTH] if value is not None else None


def client_ip(request) -> str | None:
    """The client as the throttles see it (accounts.views.client_address), as an address a column holds."""
    try:
        return str(ipaddress.ip_network(client_address(request), strict=False).network_address)
    except ValueError:
        return None


def failure_limit(request=None, credentials=None) -> int:
    return settings.LOGIN_FAILURE_LIMIT


def cool_off(request=None) -> timedelta:
    return timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def _paused_until(attempts, limit: int, window: timedelta) -> datetime | None:
    """When these failures drop below the limit: the failure that reached it, newest first, plus the window."""
    total = 0
    newest_first = attempts.order_by("-attempt_time").values_list("attempt_time", "failures_since_start")
    for attempt_time, failures in newest_first:
        total += failures
        if total >= limit:
            return attempt_time + window
    return None


class LockoutHandler(AxesDatabaseHandler):
    """axes' database handler with a limit per account and a higher one per client.

    AXES_LOCKOUT_PARAMETERS is ["username", "ip_address"], so axes hands over two sets of
    attempts: the account's (from any client) and the client's (for any account).
    """

    def _counts(self, request, credentials):
        by_account, by_client = self.get_user_attempts(request, credentials)
        return [qs.aggregate(n=Sum("failures_since_start"))["n"] or 0 for qs in (by_account, by_client)]

    def get_failures(self, request, credentials=None) -> int:
        # axes compares one number with AXES_FAILURE_LIMIT (LOGIN_FAILURE_LIMIT): a client over
        # its own limit counts as at that limit.
        by_account, by_client = self._counts(request, credentials)
        if by_client >= settings.LOGIN_FAILURE_LIMIT_PER_CLIENT:
            return max(by_account, settings.LOGIN_FAILURE_LIMIT)
        return by_account

    def reset_user_attempts(self, request, credentials=None) -> int:
        # A right password forgets that account's failures only, never the client's others:
        # signing in to one's own account must not buy more guesses at someone else's.
        name = username(request, credentials)
        return self.reset_attempts(username=name) if name else 0

    def pause(self, request, credentials) -> tuple[datetime | None, bool]:
        """(when sign-in may be tried again, whether the whole client is paused rather than the account)."""
        window = cool_off(request)
        by_account, by_client = self.get_user_attempts(request, credentials)
        account_until = _paused_until(by_account, settings.LOGIN_FAILURE_LIMIT, window)
        client_until = _paused_until(by_client, settings.LOGIN_FAILURE_LIMIT_PER_CLIENT, window)
        until = max(filter(None, (account_until, client_until)), default=None)
        return until, until is not None and until == client_until and until != account_until


def lockout_response(request, original_response=None, credentials=None):
    """The page a paused sign-in gets: 429, when to try again, the way to a new password.

    The same words whether or not the email has an account.
    """
    until, whole_client = AxesProxyHandler.get_implementation().pause(request, credentials)
    now = timezone.now()
    until = until or now + cool_off(request)
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    context = {
        "until": timezone.localtime(until),
        "minutes": minutes,
        "whole_client": whole_client,
        "reset_url": reverse("accounts:password_reset"),
    }
    if request.path.startswith(reverse("admin:index")):
        context |= {**admin.site.each_context(request), "title": "Sign-in paused"}
        template = "admin/lockout.html"
    else:
        template = "accounts/lockout.html"
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(max(1, math.ceil((until - now).total_seconds())))
    return response
