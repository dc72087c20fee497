"""Photos in an S3 bucket served by redirect (PHOTO_SERVING=redirect) show on the customer's and the staff's pages.

The photo view answers with a URL signed for the bucket; the browser follows it under the page's
Content-Security-Policy, whose ``img-src`` must name the bucket's origin. The bucket is moto's S3
server on 127.0.0.1 (``tests/conftest.py``), the settings are what ``config/settings/base.py``
makes of the environment a deployment would set.
"""

import runpy
from pathlib import Path

import pytest
from django.urls import reverse

from tests.browser.test_photo_uploads import signed_in_page
from tests.browser.test_staff_desk import _request
from tests.conftest import BUCKET

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

IMAGES_SHOWN = """(selector) => {
  const images = [...document.querySelectorAll(selector)];
  return images.length > 0 && images.every((img) => img.complete && img.naturalWidth > 0);
}"""


@pytest.fixture
def photos_redirected_to_the_bucket(bucket, settings, monkeypatch):
    monkeypatch.setenv("PHOTO_SERVING", "redirect")
    loaded = runpy.run_path(str(Path(settings.BASE_DIR) / "config" / "settings" / "base.py"))
    settings.STORAGES = {**settings.STORAGES, "default": loaded["STORAGES"]["default"]}
    settings.PHOTO_SERVING = loaded["PHOTO_SERVING"]
    settings.CONTENT_SECURITY_POLICY = loaded["CONTENT_SECURITY_POLICY"]
    return bucket


def open_with_photos(page, url, bucket_origin):
    """Open ``url`` and wait until its photos show; return how many images came from the bucket."""
    from_bucket = []
    page.on(
        "response",
        lambda r: from_bucket.append(r.url) if r.url.startswith(bucket_origin) and r.ok else None,
    )
    page.goto(url)
    selector = "img[src*='/photos/']"
    for image in page.locator(selector).all():
        image.scroll_into_view_if_needed()  # the customer's thumbnails load lazily
    page.wait_for_function(IMAGES_SHOWN, arg=selector)
    return len(from_bucket)


def test_photos_redirected_to_the_bucket_render_for_the_customer_and_staff(
    photos_redirected_to_the_bucket,
    s3_server,
    browser,
    live_server,
    client,
    staff_signed_in,
    shot,
    customer,
    order,
    service_agent,
):
    request = _request(order, customer, photos=True)
    stored = photos_redirected_to_the_bucket.list_objects_v2(Bucket=BUCKET)["KeyCount"]
    assert stored == 4  # two photos and their thumbnails, in the bucket

    _context, page = signed_in_page(browser, live_server, client, customer, width=1280)
    customer_page = f"{live_server.url}{reverse('returns:return_detail', args=[request.rma])}"
    assert open_with_photos(page, customer_page, s3_server) == 2  # the two thumbnails, signed URLs followed
    shot(page, "bucket-01-customer-return-page")

    staff = staff_signed_in(service_agent.email)
    staff_page = f"{live_server.url}{reverse('admin:returns_returnrequest_change', args=[request.pk])}"
    assert open_with_photos(staff, staff_page, s3_server) >= 2
    shot(staff, "bucket-02-staff-request-page")
