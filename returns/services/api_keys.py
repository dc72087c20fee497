"""The store's API keys: add one (the key shown once), revoke it, and find the key a request presents.

Called by ``manage.py api_keys``, the superuser's admin pages and the API's door (``returns.api.keys``).
A key is ``alr_`` and 43 random URL-safe characters (32 bytes); only its SHA-256 is kept. A fast hash is the
right one here: a slow password hash protects short human secrets, and 256 random bits need no stretching.
The row is found by the key's visible prefix, then the hashes are compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from returns.exceptions import ApiKeyRefused
from returns.models import ApiKey
from returns.roles import Actor

KEY_PREFIX = "alr_"
PREFIX_LENGTH = len(KEY_PREFIX) + 8  # "alr_" and 8 random characters: shown, and how the row is found
KEY_LENGTH = len(KEY_PREFIX) + 43  # token_urlsafe(32)
KEY_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
# last_used_at is written at most this often per key, so a busy integration does not write on every call.
LAST_USED_EVERY = timedelta(minutes=1)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def well_formed(key: str) -> bool:
    """Shaped like a key this portal makes (checked before any lookup)."""
    body = key[len(KEY_PREFIX) :]
    return len(key) == KEY_LENGTH and key.startswith(KEY_PREFIX) and set(body) <= KEY_CHARACTERS


def api_key_add(*, name: str, by: Actor = None) -> tuple[ApiKey, str]:
    """A new key for the system ``name``; returns the row and the key, which is shown only now."""
    name = name.strip()
    if not name:
        raise ApiKeyRefused("Name the system that will hold the key, e.g. 'ERP'.")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey.objects.create(name=name[:100], prefix=key[:PREFIX_LENGTH], key_sha256=key_hash(key), created_by=by)
    return row, key


def api_key_revoke(*, key_id: int) -> ApiKey | None:
    """Revoke a key from now on (a key already revoked keeps its first revocation time); None when there is none."""
    with transaction.atomic():
        row = ApiKey.objects.select_for_update().filter(pk=key_id).first()
        if row is None:
            return None
        if row.revoked_at is None:
            row.revoked_at = timezone.now()
            row.save(update_fields=["revoked_at"])
    return row


def api_key_use(*, key: str) -> ApiKey | None:
    """The standing key ``key`` is, its use recorded; None for a malformed, unknown or revoked key.

    Every candidate with the prefix is compared (in constant time), so the answer's time does not tell how
    much of a guess was right.
    """
    if not well_formed(key):
        return None
    presented = key_hash(key)
    found = None
    for row in ApiKey.objects.filter(prefix=key[:PREFIX_LENGTH]):
        if hmac.compare_digest(row.key_sha256, presented):
            found = row
    if found is None or found.revoked_at is not None:
        return None
    now = timezone.now()
    if found.last_used_at is None or now - found.last_used_at >= LAST_USED_EVERY:
        ApiKey.objects.filter(pk=found.pk).update(last_used_at=now)
        found.last_used_at = now
    return found
