"""The emails of customer accounts and guest links, and the signed links they carry.

Links are absolute and built from PORTAL_BASE_URL, never from the request's Host
header, so a forged Host cannot make the portal mail a link to someone else's site.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from returns.access import guest_link
from returns.models import Order

from .models import User

log = logging.getLogger(__name__)

VERIFY_SALT = "accounts.verify-email"


def absolute_url(path: str) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def duration_words(seconds: int) -> str:
    """How long a link works, as a customer reads it: "3 days", "1 day", "12 hours"."""
    days, rest = divmod(max(seconds, 0), 86400)
    if days and not rest:
        return f"{days} day{'s' if days != 1 else ''}"
    hours = max(1, round(seconds / 3600))
    return f"{hours} hour{'s' if hours != 1 else ''}"


# Link emails are rendered and sent off the request thread, so the time a page takes
# to answer does not tell whether an order or an account exists (the page's words
# never do). A link email lost to a process restart is asked for again by the visitor.
_background = ThreadPoolExecutor(max_workers=2, thread_name_prefix="account-email")


def send(event: str, *, to: str, context: dict) -> Future | None:
    """Send templates/accounts/emails/<event>_* to one address, in the background unless set otherwise."""
    if settings.ACCOUNT_EMAILS_IN_BACKGROUND:
        return _background.submit(_send_in_background, event, to=to, context=context)
    _send_now(event, to=to, context=context)
    return None


def _send_in_background(event: str, *, to: str, context: dict) -> None:
    try:
        _send_now(event, to=to, context=context)
    finally:
        connection.close()  # this thread's own database connection, if rendering opened one


def _send_now(event: str, *, to: str, context: dict) -> None:
    """Render templates/accounts/emails/<event>_subject.txt, _body.txt and _body.html and send them."""
    context = {
        "store_name": settings.STORE_NAME,
        "store_url": settings.STORE_URL,
        "support_email": settings.STORE_SUPPORT_EMAIL,
        "portal_url": absolute_url("/"),
        **context,
    }
    base = f"accounts/emails/{event}"
    subject = " ".join(render_to_string(f"{base}_subject.txt", context).split())
    text = render_to_string(f"{base}_body.txt", context).strip() + "\n"
    html = render_to_string(f"{base}_body.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except Exception:
        # Logged, not raised: an error page would tell the visitor that the address
        # or order exists, which the answer they see must never do.
        log.exception("Could not send the %s email", event)


# --- email verification -------------------------------------------------------


def _account_fingerprint(user: User) -> str:
    """Changes when the address or the password does, so older links stop working."""
    return salted_hmac(VERIFY_SALT, f"{user.email}|{user.password}").hexdigest()[:20]


def verification_token(user: User) -> str:
    return signing.dumps({"u": user.pk, "f": _account_fingerprint(user)}, salt=VERIFY_SALT)


def user_from_verification_token(token: str) -> User:
    """The user a verification link is for; raises SignatureExpired or BadSignature."""
    data = signing.loads(token, salt=VERIFY_SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE)
    user = User.objects.filter(pk=data.get("u"), is_active=True).first() if isinstance(data, dict) else None
    if user is None or not constant_time_compare(data.get("f", ""), _account_fingerprint(user)):
        raise signing.BadSignature("The account changed or is closed.")
    return user


def send_verification(user: User) -> None:
    send(
        "verify_email",
        to=user.email,
        context={
            "user": user,
            "verify_url": absolute_url(reverse("accounts:verify_email", args=[verification_token(user)])),
            "valid_for": duration_words(settings.EMAIL_VERIFICATION_MAX_AGE),
        },
    )


def send_account_exists(email: str) -> None:
    """Someone signed up with an address that has an account: tell its owner, not the visitor."""
    send(
        "account_exists",
        to=email,
        context={
            "email": email,
            "login_url": absolute_url(reverse("accounts:login")),
            "password_reset_url": absolute_url(reverse("accounts:password_reset")),
        },
    )


def spend_password_hashing_time(password: str) -> None:
    """Hash as sign-up does, so the answer takes as long whether or not the address has an account."""
    make_password(password)


# --- guest links and password reset ----------------------------------------------


def send_guest_link(order: Order) -> Future | None:
    return send(
        "guest_link",
        to=order.email,
        context={
            "order": order,
            "link": guest_link(order),
            "valid_for": duration_words(settings.GUEST_LINK_MAX_AGE),
        },
    )


def send_password_reset(*, to: str, uid: str, token: str) -> None:
    send(
        "password_reset",
        to=to,
        context={
            "email": to,
            "reset_url": absolute_url(reverse("accounts:password_reset_confirm", args=[uid, token])),
            "valid_for": duration_words(settings.PASSWORD_RESET_TIMEOUT),
        },
    )
