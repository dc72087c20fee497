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
