from django.contrib.auth.backends import ModelBackend

from accounts.lockout import guess_settled
from core.addresses import normalize_email


class EmailBackend(ModelBackend):
    """Sign in by email, whatever its case."""

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        user = super().authenticate(request, username=normalize_email(email or username), password=password, **kwargs)
        if user is not None and request is not None:
            guess_settled(request)
        return user
