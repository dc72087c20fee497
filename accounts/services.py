"""Every write of customer accounts: sign-up and email verification."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from . import emails
from .models import User


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
