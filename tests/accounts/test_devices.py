"""Known browsers (OWASP's device cookies): strangers' wrong passwords never pause the owner's own browser."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F
from django.urls import reverse

from accounts import devices
from accounts.models import BrowserFailures
from tests.accounts.test_lockout import ADMIN_SIGN_IN, PASSWORD, SIGN_IN, WRONG_PASSWORD, signed_in
from tests.factories import StaffFactory, UserFactory
from tests.support.pages import text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("documented_limits", "fresh_cache")]

OWNER = "192.0.2.10"


def sign_in(client, email, password, path=SIGN_IN, address=OWNER):
    return client.post(path, {"username": email, "password": password}, REMOTE_ADDR=address)


def test_a_sign_in_leaves_a_signed_long_lived_httponly_cookie_that_does_not_name_the_email(client, settings, customer):
    settings.SESSION_COOKIE_SECURE = True  # as in production
    sign_in(client, customer.email, PASSWORD)
    cookie = client.cookies[devices.COOKIE]
    assert cookie["httponly"] and cookie["secure"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == 365 * 24 * 60 * 60
    assert "ana" not in cookie.value and "example" not in cookie.value

    # Signing out keeps it: it names the browser, not the session.
    client.post(reverse("accounts:logout"))
    assert client.cookies[devices.COOKIE].value == cookie.value


def test_a_known_browser_has_its_own_limit_and_then_only_it_is_paused(client, stranger, customer):
    sign_in(client, customer.email, PASSWORD)
    client.post(reverse("accounts:logout"))
    for _ in range(4):
        assert sign_in(client, customer.email, WRONG_PASSWORD).status_code == 200
    fifth = sign_in(client, customer.email, WRONG_PASSWORD)
    assert fifth.status_code == 429
    assert "too many wrong passwords for this email address on this browser" in text(fifth)
    assert sign_in(client, customer.email, PASSWORD).status_code == 429

    # The account is not paused: the owner's typos on one browser are not a stranger's guesses.
    assert sign_in(stranger, customer.email, PASSWORD, address="198.51.100.9").status_code == 302


def test_a_browser_past_its_limit_is_known_no_more_after_its_pause(client, stranger, customer):
    sign_in(client, customer.email, PASSWORD)
    client.post(reverse("accounts:logout"))
    for _ in range(5):
        sign_in(client, customer.email, WRONG_PASSWORD)
    BrowserFailures.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=15, seconds=1))
    for n in range(5):
        sign_in(stranger, customer.email, WRONG_PASSWORD, address=f"198.51.100.{n + 1}")

    # Its pause is over, but its cookie no longer counts: like any unknown browser, it waits for the account's.
    response = sign_in(client, customer.email, PASSWORD)
    assert response.status_code == 429
    assert "on browsers that have not signed in with it before" in text(response)


def test_one_cookie_carries_several_accounts_and_one_accounts_entry_opens_no_other(client, stranger, customer):
    other = UserFactory(email="bruno@example.com")
    for email in (customer.email, other.email):
        assert sign_in(client, email, PASSWORD).status_code == 302
        client.post(reverse("accounts:logout"))
    carol = UserFactory(email="carol@example.com")
    for email in (customer.email, other.email, carol.email):
        for n in range(5):
            sign_in(stranger, email, WRONG_PASSWORD, address=f"198.51.100.{n + 1}")

    for email in (customer.email, other.email):
        assert sign_in(client, email, PASSWORD).status_code == 302
        client.post(reverse("accounts:logout"))
    assert sign_in(client, carol.email, PASSWORD).status_code == 429


def test_an_altered_cookie_is_an_unknown_browser(client, stranger, customer):
    sign_in(client, customer.email, PASSWORD)
    client.post(reverse("accounts:logout"))
    value = client.cookies[devices.COOKIE].value
    client.cookies[devices.COOKIE] = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    for n in range(5):
        sign_in(stranger, customer.email, WRONG_PASSWORD, address=f"198.51.100.{n + 1}")
    assert sign_in(client, customer.email, PASSWORD).status_code == 429


def test_the_only_superuser_signs_in_at_the_admin_from_a_known_browser_while_a_stranger_hammers(client, stranger):
    boss = StaffFactory(email="boss@alotrop.com", is_superuser=True)
    response = sign_in(client, boss.email, PASSWORD, path=ADMIN_SIGN_IN)
    assert response.status_code == 302
    client.post(reverse("admin:logout"))
    for n in range(20):
        sign_in(stranger, boss.email, WRONG_PASSWORD, path=ADMIN_SIGN_IN, address=f"198.51.100.{n + 1}")
    assert sign_in(stranger, boss.email, PASSWORD, path=ADMIN_SIGN_IN, address="203.0.113.9").status_code == 429

    response = sign_in(client, boss.email, PASSWORD, path=ADMIN_SIGN_IN)
    assert response.status_code == 302 and signed_in(client)
    assert client.get(reverse("admin:index")).status_code == 200


def test_axes_reset_username_ends_the_accounts_and_its_browsers_pauses(client, stranger, customer):
    sign_in(client, customer.email, PASSWORD)
    client.post(reverse("accounts:logout"))
    for _ in range(5):
        sign_in(client, customer.email, WRONG_PASSWORD)
    for n in range(5):
        sign_in(stranger, customer.email, WRONG_PASSWORD, address=f"198.51.100.{n + 1}")
    assert sign_in(client, customer.email, PASSWORD).status_code == 429
    assert sign_in(stranger, customer.email, PASSWORD, address="203.0.113.9").status_code == 429

    call_command("axes_reset_username", customer.email, stdout=StringIO())

    assert sign_in(client, customer.email, PASSWORD).status_code == 302
    assert sign_in(stranger, customer.email, PASSWORD, address="203.0.113.9").status_code == 302


def test_a_reset_ends_a_distrusted_browsers_pause_but_does_not_trust_it_again(client, stranger, customer):
    """A browser that was guessing must not win back its own allowance (and a way past the account's pause)."""
    sign_in(client, customer.email, PASSWORD)
    client.post(reverse("accounts:logout"))
    for _ in range(5):
        sign_in(client, customer.email, WRONG_PASSWORD)

    call_command("axes_reset_username", customer.email, stdout=StringIO())
    for n in range(5):
        sign_in(stranger, customer.email, WRONG_PASSWORD, address=f"198.51.100.{n + 1}")

    # Its own pause is over, but like any unknown browser it now waits for the account's.
    response = sign_in(client, customer.email, PASSWORD)
    assert response.status_code == 429
    assert "on browsers that have not signed in with it before" in text(response)


def test_the_owners_known_browser_gets_a_guest_link_however_many_strangers_asked(client, stranger, mailoutbox, order):
    sign_in(client, order.email, PASSWORD)
    client.post(reverse("accounts:logout"))
    fields = {"order_number": order.number, "email": order.email}
    for address in ["203.0.113.1"] * 3 + ["203.0.113.2"] * 2 + ["203.0.113.3"]:
        stranger.post(reverse("accounts:guest"), fields, REMOTE_ADDR=address)
    sent = len(mailoutbox)

    response = client.post(reverse("accounts:guest"), fields, REMOTE_ADDR=OWNER)
    assert response.status_code == 200 and "we've sent a link" in text(response)
    assert len(mailoutbox) == sent + 1 and mailoutbox[-1].to == [order.email]
