"""API keys: made with a name, printed once and kept only as a hash, found in constant time, revoked for good;
``manage.py api_keys add|list|revoke``."""

import hashlib

import pytest
from django.core.management import CommandError, call_command

from returns.exceptions import ApiKeyRefused
from returns.models import ApiKey
from returns.services.api_keys import api_key_add, api_key_revoke, api_key_use

pytestmark = pytest.mark.django_db


def test_a_key_is_long_random_and_only_its_hash_is_kept():
    row, key = api_key_add(name="  ERP  ")
    other = api_key_add(name="Helpdesk")[1]
    assert key.startswith("alr_") and len(key) == 47 and key != other
    stored = ApiKey.objects.get(pk=row.pk)
    assert stored.name == "ERP" and stored.prefix == key[:12]
    assert stored.key_sha256 == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(ApiKey.objects.values().get(pk=row.pk))


def test_a_key_needs_a_name():
    with pytest.raises(ApiKeyRefused, match="Name the system"):
        api_key_add(name="  ")


def test_the_key_is_found_and_a_wrong_revoked_or_malformed_one_is_not():
    row, key = api_key_add(name="ERP")
    assert api_key_use(key=key) == row
    assert api_key_use(key=key[:-1] + ("A" if key[-1] != "A" else "B")) is None  # same prefix, wrong key
    assert api_key_use(key="alr_short") is None
    assert api_key_use(key=key + "x") is None
    assert api_key_use(key=key[:-1] + "\u00e9") is None
    first = api_key_revoke(key_id=row.pk).revoked_at
    assert api_key_use(key=key) is None
    assert api_key_revoke(key_id=row.pk).revoked_at == first  # revoking again changes nothing
    assert api_key_revoke(key_id=999_999) is None


def test_the_command_prints_the_key_once_lists_and_revokes(capsys):
    call_command("api_keys", "add", "ERP")
    out = capsys.readouterr().out
    key = out.strip().splitlines()[-1]
    row = ApiKey.objects.get()
    assert "API key" in out and api_key_use(key=key) == row

    call_command("api_keys", "list")
    listed = capsys.readouterr().out
    assert f"{row.pk}\t{key[:12]}…\tERP" in listed and "active" in listed and key not in listed

    call_command("api_keys", "revoke", str(row.pk))
    assert "revoked" in capsys.readouterr().out
    call_command("api_keys", "list")
    assert "REVOKED" in capsys.readouterr().out
    assert api_key_use(key=key) is None


def test_the_command_explains_what_it_cannot_do():
    with pytest.raises(CommandError, match="No API key 42"):
        call_command("api_keys", "revoke", "42")
    with pytest.raises(CommandError, match="Name the system"):
        call_command("api_keys", "add", " ")
