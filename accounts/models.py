from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower

from core.addresses import normalize_email


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if not extra_fields["is_staff"] or not extra_fields["is_superuser"]:
            raise ValueError("A superuser must have is_staff and is_superuser set.")
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, email):
        # Exactly the stored (normalized) address, which is also what the sign-in lockout counts:
        # a case-insensitive match would let PostgreSQL's UPPER() find "admin@" for "admın@"
        # (dotless i) or "ſ" for "s", a name the lockout counts apart.
        return self.get(email=normalize_email(email))


class User(AbstractUser):
    """A person who signs in by email: a customer, or staff of the store.

    Customers see the orders placed with their email once it is verified
    (``email_verified``); staff roles are Django groups.
    """

    username = None
    first_name = None
    last_name = None
    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    email_verified = models.BooleanField(
        default=False,
        help_text="Orders placed with this address are shown only once it is verified.",
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self):
        return self.email

    def clean(self):
        super().clean()
        self.email = normalize_email(self.email)

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class ThrottleCount(models.Model):
    """A rate-limit counter shared by every process and host (when no CACHE_URL is set).

    The table of ``core.counter`` (THROTTLE_COUNT_MODEL), which both apps' limits count in.

    One row per limit and clock-hour window; the key is a hash, so no address is stored.
    """

    key = models.CharField(max_length=120, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.key}: {self.count}"


class BrowserFailures(models.Model):
    """Wrong passwords typed on one known browser (its device cookie's nonce) for the account it knows.

    A known browser's failures count here, for that browser alone, never towards the account's
    pause (accounts/lockout.py). At LOGIN_FAILURE_LIMIT_PER_DEVICE the browser is paused for
    LOGIN_LOCKOUT_MINUTES and is trusted no more: the row is kept (until its cookie would have
    expired) as the record that this nonce no longer counts as known.
    """

    nonce = models.CharField(max_length=64, unique=True)
    username = models.CharField(max_length=255, db_index=True)  # the account as the lockout names it
    failures_since_start = models.PositiveIntegerField(default=0)
    attempt_time = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name_plural = "browser failures"

    def __str__(self):
        return f"{self.username}: {self.failures_since_start} on one browser"
