"""Sign-in lockout (django-axes): per known browser, per account and per client, counted in the database.

Every password check goes through ``django.contrib.auth.authenticate(request=...)``, where
axes' backend refuses a paused sign-in before the password is even looked at. Following
OWASP's device cookies (accounts/devices.py), a sign-in is judged by where it comes from:

- a *known* browser (one that has signed in to this account: a valid device cookie for it)
  is judged by its own failures only (``BrowserFailures``): after LOGIN_FAILURE_LIMIT_PER_DEVICE
  within LOGIN_LOCKOUT_MINUTES that browser alone is paused, and is trusted no more;
- an *unknown* browser counts towards the account's limit (one ``AccessAttempt`` row per account,
  client and browser): the account (the email as the sign-in form reads it, whether or not it has
  an account) pauses after LOGIN_FAILURE_LIMIT failures within LOGIN_LOCKOUT_MINUTES, from
  anywhere, but for unknown browsers only: the owner on a known browser keeps signing in;
- and a client address (an IPv6 /64 counts as one) pauses unknown browsers after
  LOGIN_FAILURE_LIMIT_PER_CLIENT failures across any accounts in that time.

A guess is counted before its password is checked (``LockoutHandler.is_allowed``), so a burst of
parallel tries cannot all pass the check while none of them is on record yet; the check that
finds the password right takes its guess back (``guess_settled``).

A pause lasts until the failures that caused it are LOGIN_LOCKOUT_MINUTES old, until staff
delete them in the admin, or (for an account and its browsers) until a password reset succeeds
or the superuser runs ``manage.py axes_reset_username``.
"""

from __future__ import annotations

import ipaddress
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib import admin
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q, Sum
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from accounts import devices
from accounts.models import BrowserFailures
from core.addresses import client_address, normalize_email

USERNAME_MAX_LENGTH = 255  # axes' column

log = logging.getLogger(__name__)


def username(request, credentials) -> str | None:
    """The account a sign-in is for, read the way the sign-in backend reads it."""
    value = (credentials or {}).get("username")
    if value is None and request is not None:
        value = request.POST.get("username")
    return normalize_email(value)[:USERNAME_MAX_LENGTH] if value is not None else None


def client_ip(request) -> str | None:
    """The client as the throttles see it (core.addresses.client_address), as an address a column holds."""
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

    def is_allowed(self, request, credentials=None) -> bool:
        """Whether this guess may be checked; if so it is on record, as a failure, before the check.

        Counting first and checking the total after makes the limits hold for parallel tries too:
        of any number of guesses arriving at once, the ones that see at most the limit on record
        (their own included) are at most the limit. A refused guess is taken back, so tries while
        paused do not make the pause longer.
        """
        name = username(request, credentials)
        nonce, browser_paused_until = devices.this_browser(request, name)
        if browser_paused_until is not None:
            return False
        if nonce is not None:  # a known browser: its own count, whatever the account's or the client's
            request.lockout_browser = nonce
            clean_expired_browser_failures()
            guess = _on_record(BrowserFailures, {"nonce": nonce}, request.axes_attempt_time, username=name)
            return self._allowed(request, guess, over=_failures(guess) > settings.LOGIN_FAILURE_LIMIT_PER_DEVICE)
        if not super().is_allowed(request, credentials):
            return False
        self.clean_expired_user_attempts(request, credentials)
        key = {"username": name, "ip_address": request.axes_ip_address, "user_agent": request.axes_user_agent}
        seen = {"path_info": request.axes_path_info, "http_accept": request.axes_http_accept}
        guess = _on_record(AccessAttempt, key, request.axes_attempt_time, seen=seen, get_data="", post_data="")
        if guess is None:
            return True
        by_account, by_client = self._counts(request, credentials)
        over = by_account > settings.LOGIN_FAILURE_LIMIT or by_client > settings.LOGIN_FAILURE_LIMIT_PER_CLIENT
        return self._allowed(request, guess, over=over)

    @staticmethod
    def _allowed(request, guess, *, over: bool) -> bool:
        if guess is None:  # a right password just forgot it
            return True
        if over:
            _take_back(guess)
            return False
        request.lockout_guess = guess
        return True

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        if request is None or getattr(request, "lockout_guess", None) is None:
            return super().user_login_failed(sender, credentials, request=request, **kwargs)
        # The failure is on record already (is_allowed): only tell whether it reached a limit.
        guess, request.lockout_guess = request.lockout_guess, None
        if guess.model is BrowserFailures:
            failures, limit, what = _failures(guess), settings.LOGIN_FAILURE_LIMIT_PER_DEVICE, "one browser"
        else:
            failures, limit, what = self.get_failures(request, credentials), settings.LOGIN_FAILURE_LIMIT, "account"
        request.axes_failures_since_start = failures
        if failures >= limit:
            log.warning("Sign-in paused after %d failures (%s).", failures, what)
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes", request=request, username=username(request, credentials), ip_address=request.axes_ip_address
            )

    def get_failures(self, request, credentials=None) -> int:
        # axes compares one number with AXES_FAILURE_LIMIT (LOGIN_FAILURE_LIMIT): a client over
        # its own limit counts as at that limit.
        by_account, by_client = self._counts(request, credentials)
        if by_client >= settings.LOGIN_FAILURE_LIMIT_PER_CLIENT:
            return max(by_account, settings.LOGIN_FAILURE_LIMIT)
        return by_account

    def reset_user_attempts(self, request, credentials=None) -> int:
        # A right password forgets that account's failures only, never the client's others:
        # signing in to one's own account must not buy more guesses at someone else's. On a known
        # browser it forgets that browser's failures only: the owner signing in must not give a
        # stranger hammering the account a fresh set of guesses.
        nonce = getattr(request, "lockout_browser", None)
        if nonce is not None:
            count, _ = BrowserFailures.objects.filter(nonce=nonce).delete()
            return count
        name = username(request, credentials)
        return self.reset_attempts(username=name) if name else 0

    def reset_attempts(self, *, ip_address=None, username=None, ip_or_username=False) -> int:
        # An account's reset (a password reset, `manage.py axes_reset_username`) ends its browsers' pauses too.
        count = super().reset_attempts(ip_address=ip_address, username=username, ip_or_username=ip_or_username)
        if username:
            browsers = BrowserFailures.objects.filter(username=username)
            # A browser that reached its limit stays distrusted (its row is that record); only its pause ends.
            distrusted = Q(failures_since_start__gte=settings.LOGIN_FAILURE_LIMIT_PER_DEVICE)
            count += browsers.exclude(distrusted).delete()[0]
            count += browsers.filter(distrusted).update(attempt_time=timezone.now() - cool_off())
        return count

    def user_logged_in(self, sender, request, user, **kwargs):
        super().user_logged_in(sender, request, user, **kwargs)
        devices.remember(request, user)

    def pause(self, request, credentials) -> tuple[datetime | None, str]:
        """(when sign-in may be tried again, what is paused: "browser", "account" or "network")."""
        _, browser_until = devices.this_browser(request, username(request, credentials))
        if browser_until is not None:
            return browser_until, "browser"
        window = cool_off(request)
        by_account, by_client = self.get_user_attempts(request, credentials)
        account_until = _paused_until(by_account, settings.LOGIN_FAILURE_LIMIT, window)
        client_until = _paused_until(by_client, settings.LOGIN_FAILURE_LIMIT_PER_CLIENT, window)
        until = max(filter(None, (account_until, client_until)), default=None)
        whole_client = until is not None and until == client_until and until != account_until
        return until, "network" if whole_client else "account"


def guess_settled(request) -> None:
    """The password was right: the guess counted before the check (LockoutHandler.is_allowed) is taken back."""
    guess = getattr(request, "lockout_guess", None)
    if guess is not None:
        request.lockout_guess = None
        _take_back(guess)


@dataclass(frozen=True)
class Guess:
    """A failure put on record before its password is checked: its row (an account's, or a known browser's)."""

    model: type[models.Model]
    pk: int


def _on_record(model, key: dict, at: datetime, *, seen: dict | None = None, **new_only) -> Guess | None:
    """One more failure on the row for ``key`` (made if there is none); None only if a right password just forgot it."""
    seen = seen or {}
    one_more = {"failures_since_start": F("failures_since_start") + 1, "attempt_time": at, **seen}
    if not model.objects.filter(**key).update(**one_more):
        try:
            with transaction.atomic():
                model.objects.create(**key, **seen, **new_only, failures_since_start=1, attempt_time=at)
        except IntegrityError:  # a parallel try created the row (its key is unique)
            model.objects.filter(**key).update(**one_more)
    pk = model.objects.filter(**key).values_list("pk", flat=True).first()
    return None if pk is None else Guess(model, pk)


def _failures(guess: Guess | None) -> int:
    if guess is None:
        return 0
    return guess.model.objects.filter(pk=guess.pk).values_list("failures_since_start", flat=True).first() or 0


def _take_back(guess: Guess) -> None:
    rows = guess.model.objects.filter(pk=guess.pk)
    rows.update(failures_since_start=F("failures_since_start") - 1)
    rows.filter(failures_since_start__lte=0).delete()


def clean_expired_browser_failures() -> None:
    """Failures older than the window count no more; a browser's distrust is kept while its cookie could live."""
    now = timezone.now()
    BrowserFailures.objects.filter(
        Q(attempt_time__lt=now - cool_off(), failures_since_start__lt=settings.LOGIN_FAILURE_LIMIT_PER_DEVICE)
        | Q(attempt_time__lt=now - timedelta(seconds=settings.LOGIN_DEVICE_COOKIE_MAX_AGE))
    ).delete()


def lockout_response(request, original_response=None, credentials=None):
    """The page a paused sign-in gets: 429, when to try again, the way to a new password.

    The same words whether or not the email has an account.
    """
    until, paused = AxesProxyHandler.get_implementation().pause(request, credentials)
    now = timezone.now()
    until = until or now + cool_off(request)
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    context = {
        "until": timezone.localtime(until),
        "minutes": minutes,
        "paused": paused,
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
