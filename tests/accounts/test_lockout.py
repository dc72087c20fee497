"""Sign-in lockout: wrong passwords pause an account (and a client), everywhere a password is checked."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import authenticate
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from accounts import emails
from tests.factories import StaffFactory, UserFactory
from tests.support.pages import text
from tests.support.server import post_form, post_forms_at_once, readme_gunicorn

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("documented_limits")]

PASSWORD = "pass-word-123"
WRONG_PASSWORD = "not-the-password"
PAUSED = "Sign-in is paused"
WRONG = "That email address and password don't match an account."
SIGN_IN = "/account/sign-in/"
ADMIN_SIGN_IN = "/admin/login/"


def sign_in(client, email, password, path=SIGN_IN, **extra):
    return client.post(path, {"username": email, "password": password}, **extra)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def time_passes(minutes, seconds=0):
    """The failures on record happened this much earlier (the database is what every process reads)."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=minutes, seconds=seconds))


def paused_until(response) -> str:
    words = re.sub(r"<[^>]+>", "", text(response))
    return re.search(r"paused\s+until (\d{1,2}:\d\d [AP]M \w+)", words).group(1)


def expected_until() -> str:
    """The newest failure on record plus LOGIN_LOCKOUT_MINUTES, on the store's clock."""
    last = AccessAttempt.objects.latest("attempt_time").attempt_time + timedelta(minutes=15)
    return timezone.localtime(last).strftime("%-I:%M %p %Z")


def test_five_wrong_passwords_pause_the_account_and_then_even_the_right_one_is_refused(client, customer):
    for _ in range(4):
        response = sign_in(client, "ana@example.com", WRONG_PASSWORD)
        assert response.status_code == 200 and WRONG in text(response)

    fifth = sign_in(client, "ana@example.com", WRONG_PASSWORD)
    assert fifth.status_code == 429
    assert PAUSED in text(fifth)

    right = sign_in(client, "ANA@example.com ", PASSWORD)  # any case or spacing is the same account
    assert right.status_code == 429 and PAUSED in text(right)
    assert not signed_in(client)
    assert 14 * 60 < int(right["Retry-After"]) <= 15 * 60


def test_the_message_says_until_when_and_how_to_sign_in_sooner(client, customer):
    for _ in range(5):
        response = sign_in(client, "ana@example.com", WRONG_PASSWORD)
    page = text(response)
    assert "too many wrong passwords for this email address" in page
    assert paused_until(response) == expected_until()
    assert "(about 15 minutes from now)" in page
    assert "reset your password" in page and f'href="{reverse("accounts:password_reset")}"' in page


def test_an_email_without_an_account_is_paused_alike_and_gets_the_same_page(client, customer):
    for email in ("ana@example.com", "nobody@example.com"):
        for _ in range(5):
            sign_in(client, email, WRONG_PASSWORD)
    AccessAttempt.objects.update(attempt_time=timezone.now())  # both paused at the same moment
    known = sign_in(client, "ana@example.com", PASSWORD)
    unknown = sign_in(client, "nobody@example.com", PASSWORD)
    assert known.status_code == unknown.status_code == 429
    assert known.content == unknown.content
    assert "ana@" not in text(known)


def test_the_pause_ends_when_the_time_has_passed(client, customer):
    for _ in range(5):
        sign_in(client, "ana@example.com", WRONG_PASSWORD)
    time_passes(minutes=14)
    assert sign_in(client, "ana@example.com", PASSWORD).status_code == 429
    time_passes(minutes=1, seconds=1)
    response = sign_in(client, "ana@example.com", PASSWORD)
    assert response.status_code == 302 and signed_in(client)


def test_tries_while_paused_do_not_make_the_pause_longer(client, customer):
    for _ in range(5):
        sign_in(client, "ana@example.com", WRONG_PASSWORD)
    time_passes(minutes=10)
    for _ in range(3):
        assert sign_in(client, "ana@example.com", WRONG_PASSWORD).status_code == 429
    time_passes(minutes=5, seconds=1)
    assert sign_in(client, "ana@example.com", PASSWORD).status_code == 302


def test_a_right_password_before_the_limit_forgets_the_wrong_ones(client, customer):
    for _ in range(4):
        sign_in(client, "ana@example.com", WRONG_PASSWORD)
    assert sign_in(client, "ana@example.com", PASSWORD).status_code == 302
    client.post(reverse("accounts:logout"))
    for _ in range(4):
        assert sign_in(client, "ana@example.com", WRONG_PASSWORD).status_code == 200


def test_the_admin_sign_in_counts_too_and_its_pause_looks_like_the_admin(client, service_agent):
    for _ in range(5):
        response = sign_in(client, service_agent.email, WRONG_PASSWORD, path=ADMIN_SIGN_IN)
    assert response.status_code == 429
    page = text(response)
    assert PAUSED in page and 'id="site-name"' in page and "admin/css/login.css" in page
    assert paused_until(response) == expected_until()
    # The account is paused everywhere, not only on the page that was guessed at.
    assert sign_in(client, service_agent.email, PASSWORD).status_code == 429
    assert sign_in(client, service_agent.email, PASSWORD, path=ADMIN_SIGN_IN).status_code == 429


def test_the_pause_holds_from_any_client_address(client, customer):
    for n in range(5):
        sign_in(client, "ana@example.com", WRONG_PASSWORD, REMOTE_ADDR=f"198.51.100.{n + 1}")
    assert sign_in(client, "ana@example.com", PASSWORD, REMOTE_ADDR="203.0.113.50").status_code == 429


def test_the_verify_email_password_prompt_counts(client):
    user = UserFactory(email="late@example.com", email_verified=False)
    link = reverse("accounts:verify_email", args=[emails.verification_token(user)])
    for _ in range(4):
        assert client.post(link, {"password": WRONG_PASSWORD}).status_code == 200
    response = client.post(link, {"password": WRONG_PASSWORD})
    assert response.status_code == 429 and PAUSED in text(response)
    assert client.post(link, {"password": PASSWORD}).status_code == 429
    user.refresh_from_db()
    assert not user.email_verified and not signed_in(client)
    assert sign_in(client, "late@example.com", PASSWORD).status_code == 429


def test_a_client_guessing_across_many_accounts_is_paused(client, settings):
    settings.LOGIN_FAILURE_LIMIT_PER_CLIENT = 8
    UserFactory(email="someone@example.com")
    # One IPv6 subscriber holds a whole /64: its addresses count as one client.
    for n in range(7):
        response = sign_in(client, f"guess{n}@example.com", WRONG_PASSWORD, REMOTE_ADDR=f"2001:db8:1:2::{n + 1}")
        assert response.status_code == 200
    response = sign_in(client, "guess7@example.com", WRONG_PASSWORD, REMOTE_ADDR="2001:db8:1:2:ffff::9")
    assert response.status_code == 429
    assert "too many wrong passwords from your network" in text(response)
    assert "reset your password" not in text(response)  # a new password would not lift this pause

    # A real account with its right password, from that network: refused; from elsewhere: fine.
    assert sign_in(client, "someone@example.com", PASSWORD, REMOTE_ADDR="2001:db8:1:2::77").status_code == 429
    assert sign_in(client, "someone@example.com", PASSWORD, REMOTE_ADDR="2001:db8:1:3::1").status_code == 302


def test_signing_in_to_ones_own_account_does_not_buy_more_guesses(client, settings, customer):
    settings.LOGIN_FAILURE_LIMIT_PER_CLIENT = 6
    for n in range(5):
        sign_in(client, f"guess{n}@example.com", WRONG_PASSWORD)
    assert sign_in(client, "ana@example.com", PASSWORD).status_code == 302
    client.post(reverse("accounts:logout"))
    assert sign_in(client, "guess9@example.com", WRONG_PASSWORD).status_code == 429


def test_a_password_reset_ends_the_pause(client, mailoutbox, customer):
    for _ in range(5):
        sign_in(client, "ana@example.com", WRONG_PASSWORD)
    # Resetting works while paused, and choosing the new password lifts the pause at once.
    client.post(reverse("accounts:password_reset"), {"email": "ana@example.com"})
    (message,) = mailoutbox
    link = re.search(r"https?://[^/\s]+(/account/password-reset/\S+/)", message.body).group(1)
    form_page = client.get(link, follow=True)
    new_password = "Blue-kettle-47"
    client.post(form_page.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password})
    response = sign_in(client, "ana@example.com", new_password)
    assert response.status_code == 302 and signed_in(client)


def test_the_superuser_sees_lockouts_in_the_admin_and_unlocks_an_account(client, customer):
    for _ in range(5):
        sign_in(client, "ana@example.com", WRONG_PASSWORD)
    boss = StaffFactory(email="boss@alotrop.com", is_superuser=True)
    client.force_login(boss)
    changelist = reverse("admin:axes_accessattempt_changelist")
    page = text(client.get(changelist))
    assert "ana@example.com" in page and "127.0.0.1" in page
    assert "Access attempts" in text(client.get(reverse("admin:index")))

    ids = [str(pk) for pk in AccessAttempt.objects.filter(username="ana@example.com").values_list("pk", flat=True)]
    response = client.post(changelist, {"action": "unlock", "_selected_action": ids}, follow=True)
    assert "they can sign in again" in text(response)
    client.logout()
    assert sign_in(client, "ana@example.com", PASSWORD).status_code == 302


def test_other_staff_do_not_see_the_lockouts(client, service_agent):
    client.force_login(service_agent)
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403
    assert "Access attempts" not in text(client.get(reverse("admin:index")))


def test_an_over_long_email_is_refused_by_the_form_before_any_count(client):
    response = sign_in(client, "a" * 250 + "@example.com", WRONG_PASSWORD)
    assert response.status_code == 200 and "at most 254 characters" in text(response)
    assert not AccessAttempt.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_pause_holds_across_two_server_processes():
    """Two gunicorn processes (README's command, one worker each) on one database: failures split between them."""
    staff = StaffFactory(email="service@alotrop.com")
    admin_fields = {"username": staff.email, "password": WRONG_PASSWORD, "next": "/admin/"}
    with readme_gunicorn(workers=1, NUM_PROXIES="1") as first, readme_gunicorn(workers=1, NUM_PROXIES="1") as second:
        statuses = [
            post_form(port, path, admin_fields, f"203.0.113.{n}")[0]
            for n, (port, path) in enumerate(
                [(first, ADMIN_SIGN_IN), (second, ADMIN_SIGN_IN), (first, SIGN_IN), (second, SIGN_IN), (first, SIGN_IN)]
            )
        ]
        status, page = post_form(second, ADMIN_SIGN_IN, {**admin_fields, "password": PASSWORD}, "198.51.100.20")
    assert statuses == [200, 200, 200, 200, 429]
    assert status == 429 and PAUSED in page


@pytest.mark.parametrize("variant", ["\u017fim@example.com", "s\u0131m@example.com", "\uff53im@example.com"])
def test_an_email_spelled_with_look_alike_letters_is_not_a_way_around_the_pause(client, variant):
    """ſ (long s) and ı (dotless i) upper-case to S and I: PostgreSQL's UPPER() must not make them the account."""
    UserFactory(email="sim@example.com", password=PASSWORD)
    for _ in range(5):
        sign_in(client, "sim@example.com", WRONG_PASSWORD)

    response = sign_in(client, variant, PASSWORD)
    assert not signed_in(client)
    assert response.status_code in (200, 429)
    assert sign_in(client, "sim@example.com", PASSWORD).status_code == 429


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_parallel_guesses_gets_no_more_than_the_limit_checked():
    """20 wrong passwords sent at the same moment to README's gunicorn: at most 5 are checked, the rest paused."""
    staff = StaffFactory(email="service@alotrop.com")
    fields = {"username": staff.email, "password": WRONG_PASSWORD}
    with readme_gunicorn(workers=1, NUM_PROXIES="1") as port:
        answers = post_forms_at_once(port, SIGN_IN, fields, [f"203.0.113.{n}" for n in range(20)])
    statuses = [status for status, _ in answers]
    # All 20 may be refused (each counted itself and saw more than the limit on record): never more than 4 checked.
    assert set(statuses) <= {200, 429} and statuses.count(200) <= 4 and statuses.count(429) >= 16
    assert sum(AccessAttempt.objects.values_list("failures_since_start", flat=True)) <= 5


def test_a_right_password_checked_without_signing_in_is_not_counted(rf, customer):
    """The verify-email prompt checks a password without signing in: right answers must never add up to a pause."""
    for _ in range(6):
        assert authenticate(rf.post(SIGN_IN), username=customer.email, password=PASSWORD) == customer
    assert not AccessAttempt.objects.exists()
    for _ in range(2):
        assert authenticate(rf.post(SIGN_IN), username=customer.email, password=WRONG_PASSWORD) is None
    assert sum(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == 2


OWNER = "192.0.2.10"


def ask_for_reset(client, email, **extra):
    return client.post(reverse("accounts:password_reset"), {"email": email}, **extra)


def test_attack_1_the_owner_on_their_own_browser_signs_in_and_resets_while_a_stranger_hammers(
    client, stranger, mailoutbox, customer
):
    """5 wrong passwords from anywhere, then 3 + 2 reset requests from two addresses: the owner is not held up."""
    assert sign_in(client, customer.email, PASSWORD, REMOTE_ADDR=OWNER).status_code == 302
    client.post(reverse("accounts:logout"))

    for n in range(5):
        sign_in(stranger, customer.email, WRONG_PASSWORD, REMOTE_ADDR=f"198.51.100.{n + 1}")
    for address in ["203.0.113.1"] * 3 + ["203.0.113.2"] * 2:
        assert ask_for_reset(stranger, customer.email, REMOTE_ADDR=address).status_code == 302
    assert sign_in(stranger, customer.email, PASSWORD, REMOTE_ADDR="203.0.113.3").status_code == 429
    sent_to_the_stranger = len(mailoutbox)

    # The owner, on the browser they signed in with before: straight in, and a reset link at once.
    response = sign_in(client, customer.email, PASSWORD, REMOTE_ADDR=OWNER)
    assert response.status_code == 302 and signed_in(client)
    client.post(reverse("accounts:logout"))
    response = ask_for_reset(client, customer.email, REMOTE_ADDR=OWNER)
    assert response.status_code == 302 and response.url == reverse("accounts:password_reset_done")
    assert len(mailoutbox) == sent_to_the_stranger + 1
    assert mailoutbox[-1].to == [customer.email]
