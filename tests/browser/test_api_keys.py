"""The superuser's API keys in chromium: add one, see it once, use it, revoke it; axe on each page, at 1280 and 390."""

import json
import re
import urllib.error
import urllib.request

import pytest

from accounts.models import User
from tests.browser.test_staff_desk import PASSWORD, no_sideways_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def status_with(live_server, key: str) -> int:
    url = f"{live_server.url}/api/v1/returns"
    ask = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})  # noqa: S310  (our live server)
    try:
        with urllib.request.urlopen(ask, timeout=10) as answer:  # noqa: S310  (our own live server)
            json.load(answer)
            return answer.status
    except urllib.error.HTTPError as refused:
        return refused.code


@pytest.mark.parametrize("width", [1280, 390])
def test_the_superuser_adds_a_key_sees_it_once_uses_it_and_revokes_it(live_server, staff_signed_in, axe, shot, width):
    boss = User.objects.create_superuser(email="boss@alotrop.com", password=PASSWORD)
    page = staff_signed_in(boss.email, width=width, height=900 if width > 400 else 844)
    base = live_server.url
    page.goto(f"{base}/admin/returns/apikey/")
    axe(page, "API keys, empty")
    page.get_by_role("link", name=re.compile("Add API key", re.I)).click()
    axe(page, "add an API key")
    shot(page, f"api-keys-add-{width}")
    page.get_by_label("Name").fill("ERP")
    page.get_by_role("button", name=re.compile("^Save$", re.I)).click()
    key_box = page.get_by_label("The key")
    key = key_box.input_value()
    assert key.startswith("alr_")
    box = key_box.bounding_box()
    assert box["x"] + box["width"] <= width, "the key must fit the screen to be copied"
    axe(page, "the key, shown once")
    shot(page, f"api-keys-shown-once-{width}")
    assert status_with(live_server, key) == 200

    page.get_by_role("link", name="Done").click()
    assert key not in page.content()
    page.get_by_role("checkbox", name=re.compile("Select this object", re.I)).first.check()
    page.locator("select[name=action]").select_option("revoke")
    page.get_by_role("button", name=re.compile("^Go$", re.I)).click()
    page.get_by_text("1 key(s) revoked.").wait_for()
    page.get_by_text(re.compile("^Revoked")).first.wait_for()
    axe(page, "API keys, one revoked")
    if width > 400:
        no_sideways_scroll(page, width)
    shot(page, f"api-keys-list-{width}")
    assert status_with(live_server, key) == 401
