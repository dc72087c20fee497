"""The paused sign-in page, as a customer on a phone or a desk and as staff in the admin (Debian's chromium)."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def five_wrong_passwords(page, url, email):
    for _ in range(5):
        page.goto(url)
        page.locator("input[name=username]").fill(email)
        page.locator("input[name=password]").fill("not-the-password")
        page.locator("[type=submit]").click()
        page.wait_for_load_state()


@pytest.mark.parametrize(("size", "width"), [("phone", 390), ("desktop", 1280)])
def test_a_paused_customer_is_told_until_when_and_how_to_get_in_sooner(
    live_server, request, shot, axe, customer, size, width
):
    page = request.getfixturevalue(size)
    five_wrong_passwords(page, f"{live_server.url}/account/sign-in/", customer.email)
    assert page.get_by_role("heading", name="Sign-in is paused").is_visible()
    assert page.get_by_role("link", name="reset your password").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, f"lockout-customer-{width}")
    axe(page, f"sign-in paused {width}")


def test_a_paused_staff_sign_in_looks_like_the_admin(live_server, desktop, shot, axe, service_agent):
    five_wrong_passwords(desktop, f"{live_server.url}/admin/login/", service_agent.email)
    assert desktop.get_by_text("Sign-in is paused.").is_visible()
    assert desktop.get_by_role("link", name="Back to sign-in").is_visible()
    shot(desktop, "lockout-admin-1280")
    axe(desktop, "admin sign-in paused")


def browser_from(browser, address):
    """A new browser window whose requests reach the portal from ``address`` (the proxy's X-Forwarded-For)."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, extra_http_headers={"X-Forwarded-For": address}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def sign_in(page, base, email, password):
    page.goto(f"{base}/account/sign-in/")
    page.locator("input[name=username]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("[type=submit]").click()
    page.wait_for_load_state()


def ask_for(page, base, path, fields):
    page.goto(f"{base}{path}")
    for name, value in fields.items():
        page.locator(f"input[name={name}]").fill(value)
    page.locator("main [type=submit]").click()
    page.wait_for_load_state()


def test_the_owner_keeps_signing_in_and_getting_links_on_their_browser_while_a_stranger_hammers(
    live_server, browser, settings, shot, axe, order
):
    settings.NUM_PROXIES = 1  # the live server is the proxy's only hop: each window its own client address
    base, email, password = live_server.url, order.email, "pass-word-123"
    owner = browser_from(browser, "192.0.2.10")
    sign_in(owner, base, email, password)
    assert owner.get_by_role("heading", name="Your orders").is_visible()
    (cookie,) = [c for c in owner.context.cookies() if c["name"] == "alotrop_device"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    owner.get_by_role("button", name="Sign out").click()
    owner.wait_for_load_state()

    stranger = browser_from(browser, "198.51.100.7")
    for _ in range(20):
        sign_in(stranger, base, email, "not-the-password")
    assert stranger.get_by_role("heading", name="Sign-in is paused").is_visible()

    sign_in(owner, base, email, password)
    assert owner.get_by_role("heading", name="Your orders").is_visible()
    owner.get_by_role("button", name="Sign out").click()
    owner.wait_for_load_state()

    # A fresh browser with the right password is still paused, and told that known browsers are not.
    fresh = browser_from(browser, "198.51.100.8")
    sign_in(fresh, base, email, password)
    assert fresh.get_by_role("heading", name="Sign-in is paused").is_visible()
    assert fresh.get_by_text("A browser where you have signed in to this account before is not paused").is_visible()
    shot(fresh, "lockout-unknown-browser-1280")
    axe(fresh, "sign-in paused for unknown browsers")

    # A stranger spends what two addresses may ask for this address; the owner's own requests still go.
    reset = ("/account/password-reset/", {"email": email})
    guest = ("/account/guest/", {"order_number": order.number, "email": email})
    for path, fields in (reset, guest):
        for address in ["203.0.113.1"] * 3 + ["203.0.113.2"] * 2:
            ask_for(browser_from(browser, address), base, path, fields)
        ask_for(owner, base, path, fields)
        assert owner.get_by_role("heading", name="Check your inbox").is_visible()
