"""Customer sign-up, sign-in, verification, password reset and guest links, as a visitor meets them."""

import html
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertRedirects

from accounts.models import User
from returns.services.guest_access import guest_order_ids, guest_token, has_customer_access, visible_orders
from tests.factories import OrderFactory, UserFactory
from tests.support.pages import text

pytestmark = pytest.mark.django_db

PORTAL = "https://returns.example.com"
PASSWORD = "pass-word-123"
NEW_PASSWORD = "Blue-kettle-47"
SAME_PAGE_AS_ALWAYS = "If an order {number} was placed with {email}, we've sent a link to that address."


@pytest.fixture(autouse=True)
def _setup(settings, fresh_cache, documented_limits):
    settings.PORTAL_BASE_URL = PORTAL
    settings.STORE_NAME = "Alotrop"
    settings.GUEST_LINK_MAX_AGE = 3 * 24 * 60 * 60
    settings.EMAIL_VERIFICATION_MAX_AGE = 3 * 24 * 60 * 60


def link_in(message) -> str:
    """The path of the one portal link in an email, after checking both versions carry it."""
    links = set(re.findall(re.escape(PORTAL) + r"(/[^\s\"<]+)", message.body))
    assert len(links) == 1, message.body
    (link,) = links
    html_body = message.alternatives[0][0]
    assert html.escape(PORTAL + link) in html_body or PORTAL + link in html_body
    return link


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def customer_request(rf, user, session=None):
    request = rf.get("/")
    request.user = user
    request.session = session if session is not None else SessionStore()
    return request


# --- every page -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "heading"),
    [
        ("home", "Alotrop returns"),
        ("accounts:login", "Sign in"),
        ("accounts:signup", "Create an account"),
        ("accounts:signup_done", "Check your inbox"),
        ("accounts:password_reset", "Reset your password"),
        ("accounts:password_reset_done", "Check your inbox"),
        ("accounts:password_reset_complete", "Your password is changed"),
        ("accounts:guest", "Find your order"),
    ],
)
def test_every_page_renders_with_one_heading(client, name, heading):
    response = client.get(reverse(name))
    assert response.status_code == 200
    page = text(response)
    assert len(re.findall(r"<h1[ >]", page)) == 1
    assert re.search(r"<h1[^>]*>\s*" + re.escape(heading), page)
    assert "Back to the store" in page


def test_home_says_what_this_is_and_offers_both_ways_in(client):
    page = text(client.get("/"))
    assert "Start a return or check one you already started." in page
    assert "Find your order" in page and f'action="{reverse("accounts:guest")}"' in page
    assert "Sign in / Create an account" in page
    assert "Your orders" not in page


def test_home_and_menu_offer_your_orders_to_a_verified_customer(client, customer):
    client.force_login(customer)
    page = text(client.get("/"))
    assert page.count(f'href="{reverse("returns:orders")}"') >= 2  # the button and the menu
    assert re.search(r'<form method="post" action="/account/sign-out/">', page)


def test_home_offers_your_orders_after_a_guest_link(client, order):
    client.get(reverse("accounts:guest_open", args=[guest_token(order)]))
    page = text(client.get("/"))
    assert ">Your orders</a>" in page
    assert ">Sign in</a>" in page


def test_menu_asks_an_unverified_customer_to_verify(client):
    client.force_login(UserFactory(email_verified=False))
    page = text(client.get("/"))
    assert "Verify your email" in page and "Sign out" in page
    assert ">Your orders</a>" not in page  # it would only bounce them back here


# --- sign-up and email verification ------------------------------------------------------


def sign_up(client, django_capture_on_commit_callbacks, email="New.Person@Example.com", **extra):
    data = {"email": email, "full_name": "New Person", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, **extra}
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("accounts:signup"), data)


def test_sign_up_emails_a_link_that_verifies_the_address_and_signs_in(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    response = sign_up(client, django_capture_on_commit_callbacks)

    assertRedirects(response, reverse("accounts:signup_done"))
    user = User.objects.get()
    assert (user.email, user.full_name, user.email_verified) == ("new.person@example.com", "New Person", False)
    assert signed_in_user_id(client) is None
    (message,) = mailoutbox
    assert message.to == ["new.person@example.com"]
    assert message.subject == "Alotrop: confirm your email address"
    link = link_in(message)

    # Opened outside the account, the link asks for the account's password first.
    page = client.get(link)
    assert page.status_code == 200 and "Confirm your email address" in text(page)
    wrong = client.post(link, {"password": "not-it"})
    assert "That is not this account's password." in text(wrong)
    user.refresh_from_db()
    assert not user.email_verified and signed_in_user_id(client) is None

    response = client.post(link, {"password": NEW_PASSWORD})
    assertRedirects(response, "/orders/", fetch_redirect_response=False)
    user.refresh_from_db()
    assert user.email_verified
    assert signed_in_user_id(client) == str(user.pk)

    # Opening it again (a second click, a mail scanner) changes nothing and still works.
    assert client.get(link).status_code == 302
    assert User.objects.get().email_verified


def test_sign_up_with_an_address_that_has_an_account_looks_the_same_and_tells_the_owner(
    client, mailoutbox, django_capture_on_commit_callbacks, customer
):
    fresh = sign_up(client, django_capture_on_commit_callbacks, email="someone.new@example.com")
    taken = sign_up(client, django_capture_on_commit_callbacks, email="ANA@example.com")

    assert (taken.status_code, taken.url) == (fresh.status_code, fresh.url)
    assert User.objects.filter(email__iexact="ana@example.com").count() == 1
    customer.refresh_from_db()
    assert customer.check_password(PASSWORD) and customer.full_name == "Ana Lima"
    owner_mail = mailoutbox[1]
    assert owner_mail.to == ["ana@example.com"]
    assert owner_mail.subject == "Alotrop: you already have an account"
    assert f"{PORTAL}/account/password-reset/" in owner_mail.body
    assert f"{PORTAL}/account/sign-in/" in owner_mail.body
    assert "/account/verify/" not in owner_mail.body


def test_sign_up_says_what_is_wrong_next_to_each_field(client, mailoutbox):
    response = client.post(
        reverse("accounts:signup"),
        {"email": "not-an-address", "full_name": "", "password1": "password", "password2": "Password"},
    )
    page = text(response)
    assert response.status_code == 200
    assert "Enter an email address in the form name@example.com." in page
    assert "Enter your name." in page
    assert "The two passwords are different. Type the same password twice." in page
    assert 'id="id_email"' in page and 'aria-invalid="true"' in page
    assert not User.objects.exists() and not mailoutbox


def test_sign_up_refuses_a_weak_password_in_plain_words(client):
    response = client.post(
        reverse("accounts:signup"),
        {"email": "new@example.com", "full_name": "New", "password1": "password", "password2": "password"},
    )
    assert "This password is too common." in text(response)
    assert not User.objects.exists()


def test_sign_up_requests_are_throttled_per_address(client, mailoutbox, django_capture_on_commit_callbacks, customer):
    for _ in range(3):  # one client gets 3 of an address's 5 an hour
        assert sign_up(client, django_capture_on_commit_callbacks, email="ana@example.com").status_code == 302
    response = sign_up(client, django_capture_on_commit_callbacks, email="ana@example.com")
    assert response.status_code == 429
    assert "Too many link requests; please try again in an hour." in text(response)
    assert len(mailoutbox) == 3


def test_a_tampered_verification_link_is_refused_clearly(client, mailoutbox, django_capture_on_commit_callbacks):
    sign_up(client, django_capture_on_commit_callbacks)
    link = link_in(mailoutbox[0])
    token = link.split("/")[-2]
    tampered = link.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B"))

    response = client.get(tampered)

    assert response.status_code == 400
    page = text(response)
    assert "This link is not valid" in page
    assert f'href="{reverse("accounts:login")}"' in page  # the way to a new link
    assert not User.objects.get().email_verified
    assert signed_in_user_id(client) is None


def test_an_expired_verification_link_is_refused_clearly(
    client, mailoutbox, settings, django_capture_on_commit_callbacks
):
    sign_up(client, django_capture_on_commit_callbacks)
    settings.EMAIL_VERIFICATION_MAX_AGE = -1

    response = client.get(link_in(mailoutbox[0]))

    assert response.status_code == 410
    assert "This link has expired" in text(response)
    assert not User.objects.get().email_verified


def test_a_verification_link_stops_working_when_the_password_changes(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    sign_up(client, django_capture_on_commit_callbacks)
    user = User.objects.get()
    user.set_password("Another-pass-99")
    user.save()
    assert client.get(link_in(mailoutbox[0])).status_code == 400


def test_an_unverified_customer_sees_no_orders(rf):
    """Signing up with someone's address shows nothing until the link in their inbox is opened."""
    OrderFactory(email="claimed@example.com")
    request = customer_request(rf, UserFactory(email="claimed@example.com", email_verified=False))
    assert list(visible_orders(request)) == []
    assert not has_customer_access(request)


def test_verifying_shows_the_orders_placed_with_the_address(client, rf, mailoutbox, django_capture_on_commit_callbacks):
    order = OrderFactory(email="new.person@example.com")
    sign_up(client, django_capture_on_commit_callbacks)
    client.post(link_in(mailoutbox[0]), {"password": NEW_PASSWORD})
    request = customer_request(rf, User.objects.get())
    assert list(visible_orders(request)) == [order]


def test_someone_who_signed_up_with_your_address_gets_nothing_when_you_click(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    """The impostor knows the password, the owner has the link: opening it without the password verifies nothing."""
    OrderFactory(email="new.person@example.com")
    sign_up(client, django_capture_on_commit_callbacks)  # the impostor
    client.logout()
    owner = client  # a fresh visitor: the owner, clicking the link in their inbox
    owner.get(link_in(mailoutbox[0]))
    assert not User.objects.get().email_verified
    assert signed_in_user_id(owner) is None


def test_an_unverified_customer_is_told_why_and_can_get_a_new_link(client, mailoutbox):
    user = UserFactory(email="late@example.com", email_verified=False)
    response = client.post(reverse("accounts:login"), {"username": "late@example.com", "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("accounts:verify_pending")

    page = text(client.get(response.url))
    assert "Verify your email address" in page
    assert "Your orders appear here once you confirm that" in page and "late@example.com" in page

    response = client.post(reverse("accounts:verify_pending"), follow=True)
    assert "We've sent a new link to late@example.com." in text(response)
    (message,) = mailoutbox
    assert message.to == ["late@example.com"]
    client.get(link_in(message))
    user.refresh_from_db()
    assert user.email_verified


def test_new_verification_links_are_throttled(client, mailoutbox):
    client.force_login(UserFactory(email_verified=False))
    for _ in range(3):  # one client gets 3 of an address's 5 an hour
        assert client.post(reverse("accounts:verify_pending")).status_code == 302
    response = client.post(reverse("accounts:verify_pending"))
    assert response.status_code == 429
    assert "Too many link requests; please try again in an hour." in text(response)
    assert len(mailoutbox) == 3


def test_the_verify_page_needs_a_signed_in_customer(client):
    response = client.get(reverse("accounts:verify_pending"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


# --- sign in and out -------------------------------------------------------------------


def test_sign_in_with_the_email_in_any_case_lands_on_your_orders(client, customer):
    response = client.post(reverse("accounts:login"), {"username": "ANA@Example.COM", "password": PASSWORD})
    assertRedirects(response, "/orders/", fetch_redirect_response=False)
    assert signed_in_user_id(client) == str(customer.pk)


def test_a_wrong_password_is_explained_in_plain_words(client, customer):
    response = client.post(reverse("accounts:login"), {"username": "ana@example.com", "password": "wrong"})
    assert response.status_code == 200
    page = text(response)
    assert "That email address and password don't match an account." in page
    assert 'role="alert"' in page
    assert signed_in_user_id(client) is None


def test_sign_in_fields_have_labels_and_autocomplete(client):
    page = text(client.get(reverse("accounts:login")))
    assert re.search(r'<label\s+for="id_username"[^>]*>\s*Email address', page)
    assert re.search(r'<label\s+for="id_password"[^>]*>\s*Password', page)
    assert 'autocomplete="email"' in page and 'autocomplete="current-password"' in page


def test_sign_out_only_by_post(client, customer):
    client.force_login(customer)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert signed_in_user_id(client) == str(customer.pk)

    assertRedirects(client.post(reverse("accounts:logout")), "/")
    assert signed_in_user_id(client) is None


# --- password reset ---------------------------------------------------------------------


def test_password_reset_mails_a_known_address_and_answers_the_same_for_an_unknown_one(client, mailoutbox, customer):
    unknown = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})
    assert not mailoutbox
    known = client.post(reverse("accounts:password_reset"), {"email": "Ana@Example.com"})

    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url == "/account/password-reset/sent/"
    (message,) = mailoutbox
    assert message.to == ["ana@example.com"]
    assert message.subject == "Alotrop: choose a new password"
    assert "If that address has an account" in text(client.get(known.url))

    # The link (built on PORTAL_BASE_URL, not the request's host) lets them choose a password.
    form_page = client.get(link_in(message), follow=True)
    assert "Choose a new password" in text(form_page)
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.url == reverse("accounts:password_reset_complete")
    customer.refresh_from_db()
    assert customer.check_password(NEW_PASSWORD)


def test_a_password_reset_confirms_the_address(client, mailoutbox):
    user = UserFactory(email="late@example.com", email_verified=False)
    client.post(reverse("accounts:password_reset"), {"email": "late@example.com"})
    form_page = client.get(link_in(mailoutbox[0]), follow=True)
    client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    user.refresh_from_db()
    assert user.email_verified


def test_a_used_password_reset_link_says_so(client, mailoutbox, customer):
    client.post(reverse("accounts:password_reset"), {"email": "ana@example.com"})
    link = link_in(mailoutbox[0])
    form_page = client.get(link, follow=True)
    client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert "This link is not valid or has expired" in text(client.get(link, follow=True))


# --- guest links ------------------------------------------------------------------------


def ask_for_link(client, number, email, **extra):
    return client.post(reverse("accounts:guest"), {"order_number": number, "email": email}, **extra)


def test_order_number_and_email_send_one_link_to_the_orders_address(client, mailoutbox, order):
    response = ask_for_link(client, " #100234 ", "ANA@example.com")

    assert response.status_code == 200
    page = text(response)
    assert SAME_PAGE_AS_ALWAYS.format(number="100234", email="ana@example.com") + " It works for 3 days." in page
    (message,) = mailoutbox
    assert message.to == ["ana@example.com"]
    assert message.subject == "Alotrop: your link to order 100234"
    assert link_in(message).startswith("/account/guest/")


@pytest.mark.parametrize(("number", "email"), [("100234", "bruno@example.com"), ("999999", "ana@example.com")])
def test_a_wrong_email_or_unknown_number_sends_nothing_and_looks_the_same(client, mailoutbox, order, number, email):
    right = ask_for_link(client, "100234", "ana@example.com")
    mailoutbox.clear()
    wrong = ask_for_link(client, number, email)

    assert wrong.status_code == right.status_code == 200
    assert not mailoutbox
    assert SAME_PAGE_AS_ALWAYS.format(number=number, email=email) in text(wrong)

    def without_echo(response, number, email):
        page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text(response))
        return page.replace(number, "<number>").replace(email, "<email>")

    assert without_echo(wrong, number, email) == without_echo(right, "100234", "ana@example.com")


def test_the_link_opens_that_order_only(client, mailoutbox, order):
    other_order = OrderFactory(email="ana@example.com", number="100235")
    ask_for_link(client, "100234", "ana@example.com")

    response = client.get(link_in(mailoutbox[0]))

    assertRedirects(response, "/orders/100234/", fetch_redirect_response=False)
    request = type("Request", (), {"session": client.session, "user": AnonymousUser()})()
    assert guest_order_ids(request) == [order.pk]
    assert list(visible_orders(request)) == [order]
    assert other_order not in visible_orders(request)


def test_the_link_goes_on_to_a_page_of_the_portal_but_never_elsewhere(client, order):
    link = reverse("accounts:guest_open", args=[guest_token(order)])
    assertRedirects(client.get(link + "?next=/returns/RMA-1/"), "/returns/RMA-1/", fetch_redirect_response=False)
    for elsewhere in ("https://evil.example/", "//evil.example/", "/\\evil.example/"):
        response = client.get(link, {"next": elsewhere})
        assertRedirects(response, "/orders/100234/", fetch_redirect_response=False)


def test_a_tampered_guest_link_is_refused_with_a_way_to_get_a_new_one(client, order):
    token = guest_token(order)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    response = client.get(reverse("accounts:guest_open", args=[tampered]))

    assert response.status_code == 400
    page = text(response)
    assert "This link is not valid or has expired" in page
    assert 'name="order_number"' in page
    assert guest_order_ids(type("Request", (), {"session": client.session})()) == []


def test_an_expired_guest_link_is_refused(client, settings, order):
    link = reverse("accounts:guest_open", args=[guest_token(order)])
    settings.GUEST_LINK_MAX_AGE = -1
    response = client.get(link)
    assert response.status_code == 400
    assert "This link is not valid or has expired" in text(response)
    assert guest_order_ids(type("Request", (), {"session": client.session})()) == []


def test_a_verification_token_does_not_open_an_order(client, mailoutbox, order, django_capture_on_commit_callbacks):
    sign_up(client, django_capture_on_commit_callbacks)
    token = link_in(mailoutbox[0]).split("/")[-2]
    assert client.get(reverse("accounts:guest_open", args=[token])).status_code == 400


def test_guest_form_says_what_is_wrong_next_to_the_field(client, mailoutbox):
    response = ask_for_link(client, "", "ana@")
    page = text(response)
    assert response.status_code == 200
    assert "Enter your order number." in page
    assert "Enter an email address in the form name@example.com." in page
    assert re.search(r'<input[^>]*name="order_number"[^>]*aria-invalid="true"', page)
    assert re.search(r'<input[^>]*name="order_number"[^>]*autofocus', page)

    page = text(ask_for_link(client, "1" * 41, "ana@example.com"))
    assert "An order number is at most 40 characters long." in page
    assert not mailoutbox


def test_link_requests_are_throttled_per_address(client, mailoutbox, order, clock):
    # One client gets 3 of the address's 5 an hour; the owner, elsewhere, still gets the rest.
    for _ in range(3):
        assert ask_for_link(client, "100234", "ana@example.com").status_code == 200
    assert ask_for_link(client, "100234", "ana@example.com").status_code == 429
    for _ in range(2):
        assert ask_for_link(client, "100234", "ana@example.com", REMOTE_ADDR="198.51.100.7").status_code == 200
    assert len(mailoutbox) == 5

    # A third client asking for the same address is refused too: past 5 an hour, one a minute per address.
    response = ask_for_link(client, "100234", "Ana@Example.com", REMOTE_ADDR="198.51.100.8")

    assert response.status_code == 429
    assert "please try again in a minute." in text(response)
    assert len(mailoutbox) == 5


def test_link_requests_are_throttled_per_client_above_a_ceiling(client, settings, mailoutbox, order):
    settings.GUEST_LINK_RATE_PER_CLIENT = 30
    # Thirty customers behind one office address each get their link...
    for n in range(30):
        assert ask_for_link(client, "100234", f"someone{n}@example.com").status_code == 200

    # ...and the ceiling stops one client from spraying more.
    response = ask_for_link(client, "100234", "ana@example.com")

    assert response.status_code == 429
    assert "Too many link requests; please try again in an hour." in text(response)
    assert not mailoutbox
    assert ask_for_link(client, "100234", "ana@example.com", REMOTE_ADDR="198.51.100.7").status_code == 200
    assert len(mailoutbox) == 1


def test_behind_a_proxy_clients_are_told_apart_by_forwarded_for(client, settings, mailoutbox, order):
    settings.NUM_PROXIES = 1
    settings.GUEST_LINK_RATE_PER_CLIENT = 1
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    assert ask_for_link(client, "1", "a@example.com", HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy).status_code == 200
    assert ask_for_link(client, "1", "b@example.com", HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy).status_code == 429
    # A client cannot escape by adding its own X-Forwarded-For: the proxy appends the real address.
    spoofed = "10.9.9.9, 203.0.113.5"
    assert ask_for_link(client, "1", "c@example.com", HTTP_X_FORWARDED_FOR=spoofed, **proxy).status_code == 429
    assert ask_for_link(client, "1", "d@example.com", HTTP_X_FORWARDED_FOR="203.0.113.6", **proxy).status_code == 200


def test_password_reset_requests_are_throttled(client, mailoutbox, customer):
    for _ in range(3):  # one client gets 3 of an address's 5 an hour
        client.post(reverse("accounts:password_reset"), {"email": "ana@example.com"})
    response = client.post(reverse("accounts:password_reset"), {"email": "ana@example.com"})
    assert response.status_code == 429
    assert "Too many link requests; please try again in an hour." in text(response)
    assert len(mailoutbox) == 3


def test_a_guest_link_lifetime_in_hours_is_said_in_hours(client, settings, order):
    settings.GUEST_LINK_MAX_AGE = int(timedelta(hours=12).total_seconds())
    assert "It works for 12 hours." in text(ask_for_link(client, "100234", "ana@example.com"))


def test_a_private_page_sends_the_visitor_home_and_signing_in_brings_them_back(client, customer):
    page = text(client.get("/", {"next": "/orders/100234/"}))
    assert 'href="/account/sign-in/?next=%2Forders%2F100234%2F"' in page
    assert 'href="/account/sign-in/"' in text(client.get("/", {"next": "https://evil.example/"}))

    response = client.post("/account/sign-in/?next=/orders/100234/", {"username": customer.email, "password": PASSWORD})
    assertRedirects(response, "/orders/100234/", fetch_redirect_response=False)


def test_the_throttle_works_on_a_database_cache_shared_by_all_processes(client, settings, mailoutbox, order):
    """CACHE_URL=dbcache://… needs no extra service; its incr resets expiry, which the throttle puts back."""
    settings.THROTTLE_STORE = "cache"
    settings.GUEST_LINK_RATE_PER_CLIENT_AND_ADDRESS = 5
    database_cache = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "throttle"}}
    with override_settings(CACHES=database_cache):
        call_command("createcachetable", verbosity=0)
        started = time.time()
        for _ in range(5):
            assert ask_for_link(client, "100234", "ana@example.com").status_code == 200
        assert ask_for_link(client, "100234", "ana@example.com").status_code == 429
        # Each count expires when its window (the hour, or the address's minute) ends, not the cache's default 300 s.
        ends = [
            datetime.fromtimestamp((int(moment // window) + 1) * window, UTC)
            for window in (3600, 60)
            for moment in (started, time.time())
        ]
        for expires in cache_expiry_times("throttle"):
            assert any(abs(expires - end) < timedelta(seconds=5) for end in ends)
    assert len(mailoutbox) == 5


def cache_expiry_times(table) -> list[datetime]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT expires FROM {table}")  # noqa: S608 - a constant table name
        values = [value for (value,) in cursor.fetchall()]
    values = [datetime.fromisoformat(v) if isinstance(v, str) else v for v in values]
    return [v if timezone.is_aware(v) else timezone.make_aware(v, UTC) for v in values]
