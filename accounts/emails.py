"""The emails of customer accounts and guest links, and the signed links they carry.

Links are absolute and built from PORTAL_BASE_URL, never from the request's Host
header, so a forged Host cannot make the portal mail a link to someone else's site.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.models import User
from returns.models import GuestCode, Notification, Order
from returns.outbox.account_emails import AccountEmail
from returns.outbox.mail import notifications_send_soon, render_email
from returns.services.guest_access import guest_code_issue, guest_code_request, guest_link

log = logging.getLogger(__name__)

VERIFY_SALT = "accounts.verify-email"


def absolute_url(path: str) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def duration_words(seconds: int) -> str:
    """How long a link works, as a customer reads it: "3 days", "1 day", "12 hours", "10 minutes"."""
    days, rest = divmod(max(seconds, 0), 86400)
    if days and not rest:
        return f"{days} day{'s' if days != 1 else ''}"
    if seconds < 3600:
        minutes = max(1, round(seconds / 60))
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = max(1, round(seconds / 3600))
    return f"{hours} hour{'s' if hours != 1 else ''}"


# Link emails go through the same outbox as status emails (returns.outbox.mail):
# the request only records the row, and the worker (or, with EMAIL_DELIVERY=immediate,
# a background thread) sends it, so none is lost to a restart or a mail server that is
# down, and no answer waits on SMTP. Their bodies carry secrets: marked ``secret``, they
# are never shown to staff and are erased once sent or once the link has expired.


def _context(context: dict) -> dict:
    return {
        "store_name": settings.STORE_NAME,
        "store_url": settings.STORE_URL,
        "support_email": settings.STORE_SUPPORT_EMAIL,
        "portal_url": absolute_url("/"),
        **context,
    }


def render(event: AccountEmail, context: dict) -> tuple[str, str, str]:
    """Render templates/accounts/emails/<event>_subject.txt, _body.txt and _body.html."""
    return render_email(event, _context(context), folder="accounts/emails")


def _outbox_row(event: AccountEmail, *, to: str, valid_for_seconds: int, subject="", text="", html="") -> Notification:
    """A customer's link email in the outbox: secret, and erased once its link has expired."""
    return Notification.objects.create(
        event=event,
        audience="customer",
        to=to,
        subject=subject[:255],
        body_text=text,
        body_html=html,
        secret=True,
        expires_at=timezone.now() + timedelta(seconds=valid_for_seconds),
    )


def send(event: AccountEmail, *, to: str, context: dict, valid_for_seconds: int) -> Notification:
    """Record a link email in the outbox (sent after commit, off the request)."""
    subject, text, html = render(event, context)
    with transaction.atomic():
        note = _outbox_row(event, to=to, valid_for_seconds=valid_for_seconds, subject=subject, text=text, html=html)
        notifications_send_soon([note.pk])
    return note


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
        AccountEmail.VERIFY_EMAIL,
        to=user.email,
        context={
            "user": user,
            "verify_url": absolute_url(reverse("accounts:verify_email", args=[verification_token(user)])),
            "valid_for": duration_words(settings.EMAIL_VERIFICATION_MAX_AGE),
        },
        valid_for_seconds=settings.EMAIL_VERIFICATION_MAX_AGE,
    )


def send_account_exists(email: str) -> None:
    """Someone signed up with an address that has an account: tell its owner, not the visitor."""
    send(
        AccountEmail.ACCOUNT_EXISTS,
        to=email,
        context={
            "email": email,
            "login_url": absolute_url(reverse("accounts:login")),
            "password_reset_url": absolute_url(reverse("accounts:password_reset")),
        },
        valid_for_seconds=settings.EMAIL_VERIFICATION_MAX_AGE,
    )


def spend_password_hashing_time(password: str) -> None:
    """Hash as sign-up does, so the answer takes as long whether or not the address has an account."""
    make_password(password)


# --- guest links and password reset ----------------------------------------------


def request_guest_link(*, number: str, email: str) -> GuestCode:
    """Record a request for a guest link and code, as typed. No lookup here: the sender does it.

    The request does the same two inserts whether or not the order exists, so its
    answer takes the same time either way.
    """
    with transaction.atomic():
        note = _outbox_row(AccountEmail.GUEST_LINK, to=email, valid_for_seconds=settings.GUEST_LINK_MAX_AGE)
        guest_code = guest_code_request(number=number, email=email)
        guest_code.notification = note
        guest_code.save(update_fields=["notification"])
        notifications_send_soon([note.pk])
    return guest_code


def prepare_guest_link(note: Notification) -> bool:
    """In the sender: find the order; if there is one, make the code and write the email (link + code).

    When no order matches, the row is deleted and nothing is sent.
    """
    with transaction.atomic():
        guest_code = GuestCode.objects.select_for_update().filter(notification_id=note.pk).first()
        order = None
        if guest_code is not None:
            order = Order.objects.filter(email=guest_code.email, number__iexact=guest_code.number).first()
        if order is None:
            Notification.objects.filter(pk=note.pk).delete()
            return False
        code = guest_code_issue(guest_code=guest_code, order=order)
        subject, text, html = render(
            AccountEmail.GUEST_LINK,
            {
                "order": order,
                "link": guest_link(order),
                "valid_for": duration_words(settings.GUEST_LINK_MAX_AGE),
                "code": f"{code[:3]} {code[3:]}",  # read as a code (123 456), not a number like the order's
                "code_valid_for": duration_words(settings.GUEST_CODE_MAX_AGE),
            },
        )
        note.subject, note.body_text, note.body_html = subject[:255], text, html
        note.save(update_fields=["subject", "body_text", "body_html"])
    return True


def send_password_reset(*, to: str, uid: str, token: str) -> None:
    send(
        AccountEmail.PASSWORD_RESET,
        to=to,
        context={
            "email": to,
            "reset_url": absolute_url(reverse("accounts:password_reset_confirm", args=[uid, token])),
            "valid_for": duration_words(settings.PASSWORD_RESET_TIMEOUT),
        },
        valid_for_seconds=settings.PASSWORD_RESET_TIMEOUT,
    )
