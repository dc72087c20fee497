"""Every write of customer accounts: sign-up, email verification and the end of a sign-in lockout."""

from __future__ import annotations

from axes.utils import reset as axes_reset
from django.db import IntegrityError, transaction

from accounts import emails
from accounts.models import User
from core.addresses import normalize_email


def user_signup(*, email: str, full_name: str, password: str) -> None:
    """Make an unverified account and mail its verification link; if the address has an
    account already, mail its owner instead. The visitor cannot tell which happened.
    The email is recorded in the outbox in the same transaction as the account."""
    with transaction.atomic():
        user = None
        if not User.objects.filter(email__iexact=email).exists():
            try:
                with transaction.atomic():
                    user = User.objects.create_user(
                        email=email, password=password, full_name=full_name, email_verified=False
                    )
            except IntegrityError:  # the same address signed up a moment ago
                user = None
        if user is None:
            emails.spend_password_hashing_time(password)
            emails.send_account_exists(email)
        else:
            emails.send_verification(user)


def user_verify_email(*, user: User) -> None:
    """Orders placed with the address become the user's (idempotent)."""
    User.objects.filter(pk=user.pk, email_verified=False).update(email_verified=True)
    user.email_verified = True


def user_unlock_sign_in(*, user: User) -> int:
    """Forget the account's failed sign-ins (not its clients' failures on other accounts)."""
    return axes_reset(username=normalize_email(user.email))
