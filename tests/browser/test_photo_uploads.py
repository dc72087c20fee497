"""Photos on the start-a-return page in Debian's chromium: uploaded as picked, removed, kept when the form
bounces, with the script and without it.

Screenshots land in test-artifacts/screenshots/ (kept out of git).
"""

import pytest
from django.conf import settings

from returns.models import DamagePhoto, PendingPhoto, ReturnRequest
from tests.factories import jpeg_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def files(tmp_path):
    paths = {}
    for name, colour in (("crack-1.jpg", (180, 30, 30)), ("crack-2.jpg", (30, 30, 180)), ("box.jpg", (150, 120, 60))):
        paths[name] = tmp_path / name
        paths[name].write_bytes(jpeg_bytes(size=(800, 600), color=colour))
    paths["notes.jpg"] = tmp_path / "notes.jpg"
    paths["notes.jpg"].write_text("not a photo at all")
    return {k: str(v) for k, v in paths.items()}


def signed_in_page(browser, live_server, client, customer, *, width, javascript=True):
    client.force_login(customer)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=javascript)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def lamp_as_damaged(page, *, description=""):
    page.get_by_label("Return Desk lamp").check()
    page.get_by_label("Why are you returning the Desk lamp?").select_option("damaged")
    page.get_by_label("Short description for the Desk lamp").fill(description)


@pytest.mark.parametrize("width", [390, 1280])
def test_photos_upload_as_picked_survive_a_bounce_and_can_be_removed(
    browser, live_server, client, customer, order, files, shot, axe, width
):
    context, page = signed_in_page(browser, live_server, client, customer, width=width)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/orders/{order.number}/return/")
    lamp = page.locator("fieldset", has_text="Desk lamp")
    lamp_as_damaged(page)
    issue = lamp.get_by_label("Photos of the damage or fault")
    assert "Up to 8 photos per return, 10 MB each" in lamp.inner_text()  # the limits, before picking

    issue.set_input_files([files["crack-1.jpg"], files["crack-2.jpg"], files["notes.jpg"]])
    lamp.get_by_label("Photos of the packaging it arrived in").set_input_files(files["box.jpg"])
    items = lamp.locator("[data-photo-item]")
    page.wait_for_function("() => document.querySelectorAll('[data-photo-item] input[type=hidden]').length === 3")
    # The file that is not a photo says so, next to its name; the others show a thumbnail and Remove.
    error = lamp.locator(".photo-error")
    error.wait_for()
    assert "“notes.jpg” is not a photo we can read" in error.inner_text()
    assert lamp.locator("img.photo-thumb").count() == 3
    page.wait_for_function(  # the thumbnails are the processed photos, served privately
        "() => Array.from(document.querySelectorAll('img.photo-thumb')).every(i => i.complete && i.naturalWidth > 0)"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, f"photos-01-uploaded-{width}")
    axe(page, "start a return with photos")

    # Remove the second crack photo: gone from the page and from the server.
    page.get_by_role("button", name="Remove crack-2.jpg").click()
    page.wait_for_function("() => document.querySelectorAll('[data-photo-item] input[type=hidden]').length === 2")
    assert PendingPhoto.objects.count() == 2
    assert sorted(PendingPhoto.objects.values_list("original_name", flat=True)) == ["box.jpg", "crack-1.jpg"]
    page.get_by_role("button", name="Dismiss notes.jpg").click()
    assert items.count() == 2

    # The description is missing: the page's script says so before sending (in the server's words),
    # nothing is sent, and the two photos are still there. (The server's bounce is the test below.)
    page.locator("[data-submit-button]").click()
    page.get_by_text("Tell us briefly what is wrong with it.").wait_for()
    assert not ReturnRequest.objects.exists()
    lamp = page.locator("fieldset", has_text="Desk lamp")
    assert lamp.locator("[data-photo-item]").count() == 2
    assert "add the photos again" not in page.content()
    shot(page, f"photos-02-bounced-keeps-photos-{width}")
    axe(page, "start a return after a bounce")

    page.get_by_label("Short description for the Desk lamp").fill("The shade is cracked.")
    page.locator("[data-submit-button]").click()
    page.wait_for_url("**/returns/RMA-*/")
    line = ReturnRequest.objects.get().lines.get()
    assert sorted((p.kind, p.original_name) for p in line.photos.all()) == [
        ("issue", "crack-1.jpg"),
        ("packaging", "box.jpg"),
    ]
    assert not PendingPhoto.objects.exists()
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e]
    context.close()


def test_without_javascript_a_bounced_form_keeps_its_photos_and_remove_works(
    browser, live_server, client, customer, order, files, shot, axe
):
    context, page = signed_in_page(browser, live_server, client, customer, width=390, javascript=False)
    page.goto(f"{live_server.url}/orders/{order.number}/return/")
    lamp_as_damaged(page)
    lamp = page.locator("fieldset", has_text="Desk lamp")
    lamp.get_by_label("Photos of the damage or fault").set_input_files([files["crack-1.jpg"], files["crack-2.jpg"]])
    lamp.get_by_label("Photos of the packaging it arrived in").set_input_files(files["box.jpg"])
    page.locator("[data-submit-button]").click()

    # Bounced (no description): the three photos were accepted and are kept, listed with Remove.
    page.wait_for_selector("#form-problems")
    lamp = page.locator("fieldset", has_text="Desk lamp")
    assert lamp.locator("[data-photo-item]").count() == 3
    assert "The 3 photos you added are kept." in page.inner_text("#form-problems")
    shot(page, "photos-03-no-script-bounced")

    page.get_by_role("button", name="Remove crack-2.jpg").click()
    page.wait_for_load_state()
    lamp = page.locator("fieldset", has_text="Desk lamp")
    assert lamp.locator("[data-photo-item]").count() == 2
    assert "crack-2.jpg" not in lamp.inner_text()
    assert PendingPhoto.objects.count() == 2

    page.get_by_label("Short description for the Desk lamp").fill("The shade is cracked.")
    page.locator("[data-submit-button]").click()
    page.wait_for_url("**/returns/RMA-*/")
    photos = DamagePhoto.objects.filter(line__request=ReturnRequest.objects.get())
    assert sorted(p.original_name for p in photos) == ["box.jpg", "crack-1.jpg"]
    context.close()
