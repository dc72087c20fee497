"""The kinds of account email (``accounts.emails``) in the outbox, with the staff's label for each.

They share ``Notification.event`` with the return's events (``returns.domain.events``) but tell of
no return request. Here rather than in ``accounts`` so the outbox's admin can name them without
the returns app importing accounts. Templates: ``templates/accounts/emails/<value>_*``.
"""

from django.db import models


class AccountEmail(models.TextChoices):
    GUEST_LINK = "guest_link", "Guest sign-in link"
    VERIFY_EMAIL = "verify_email", "Email address check"
    PASSWORD_RESET = "password_reset", "Password reset"
    ACCOUNT_EXISTS = "account_exists", "Account already exists"
