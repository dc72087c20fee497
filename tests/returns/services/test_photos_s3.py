"""Photos in an S3-compatible bucket: the real django-storages and boto3, over HTTP, against moto's
S3 server on 127.0.0.1 (started in tests/conftest.py), configured the way production is (``s3_photo_storage``).
"""

from urllib.parse import urlsplit

import pytest
import requests
from django.urls import reverse

from returns.models import DamagePhoto
from tests.conftest import BUCKET
from tests.returns.admin.test_admin import damaged, mug, submit

pytestmark = pytest.mark.django_db
PUBLIC = {
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
}


def _stored_photo(order, customer, s3):
    request = submit(order, damaged(mug(order)), by=customer)
    photo = DamagePhoto.objects.filter(line__request=request, kind="issue").get()
    stored = s3.get_object(Bucket=BUCKET, Key=photo.image.name)["Body"].read()
    return photo, stored


def test_a_photo_is_stored_privately_in_the_bucket_and_shown_only_to_its_owner_and_staff(
    bucket, client, settings, order, customer, other_customer, service_agent
):
    photo, stored = _stored_photo(order, customer, bucket)

    assert stored[:3] == b"\xff\xd8\xff"  # the re-encoded JPEG, in the bucket
    assert not (settings.MEDIA_ROOT / photo.image.name).exists()  # and not on this host's disk
    grants = bucket.get_object_acl(Bucket=BUCKET, Key=photo.image.name)["Grants"]
    assert not [g for g in grants if g["Grantee"].get("URI") in PUBLIC]

    client.force_login(customer)
    response = client.get(reverse("returns:photo", args=[photo.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == stored
    thumb = client.get(reverse("returns:photo_thumbnail", args=[photo.pk]))
    assert thumb.status_code == 200 and b"".join(thumb.streaming_content)[:3] == b"\xff\xd8\xff"

    client.force_login(other_customer)
    assert client.get(reverse("returns:photo", args=[photo.pk])).status_code == 404

    client.force_login(service_agent)
    assert client.get(reverse("returns:photo", args=[photo.pk])).status_code == 200


def test_redirect_mode_hands_out_a_url_signed_for_one_minute(bucket, client, settings, order, customer, other_customer):
    settings.PHOTO_SERVING = "redirect"
    photo, stored = _stored_photo(order, customer, bucket)

    client.force_login(customer)
    response = client.get(reverse("returns:photo", args=[photo.pk]))
    assert response.status_code == 302 and response["Cache-Control"] == "private, no-store"
    url = response["Location"]
    assert "X-Amz-Expires=60" in url and "X-Amz-Signature=" in url
    assert requests.get(url, timeout=10).content == stored

    client.force_login(other_customer)
    assert client.get(reverse("returns:photo", args=[photo.pk])).status_code == 404


@pytest.mark.parametrize(
    ("endpoint", "region", "style", "bucket_name"),
    [
        (None, None, None, "shop-photos"),
        (None, "eu-west-1", "virtual", "shop-photos"),
        (None, "eu-west-1", "path", "shop-photos"),
        (None, "eu-west-1", None, "shop.photos.with.dots"),  # botocore falls back to path style
        ("https://minio.example.com", None, "path", "shop-photos"),
        ("https://minio.example.com", None, "virtual", "shop-photos"),
        ("https://acct.r2.cloudflarestorage.com", "auto", None, "shop-photos"),
        ("http://127.0.0.1:9000", "us-east-1", "virtual", "shop-photos"),  # no virtual host on an address
    ],
)
def test_the_policy_names_the_origin_the_storage_signs_urls_for(monkeypatch, endpoint, region, style, bucket_name):
    """img-src comes from the same options as the storage: it is the origin of the URLs photos redirect to."""
    from storages.backends.s3 import S3Storage

    from config.settings.base import photo_image_sources, s3_photo_storage

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
    for name, value in {
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_S3_REGION_NAME": region,
        "AWS_S3_ADDRESSING_STYLE": style,
    }.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    storage = s3_photo_storage(bucket_name)
    signed = urlsplit(S3Storage(**storage["OPTIONS"]).url("photos/ab12/photo.jpg"))

    assert photo_image_sources(storage, "redirect") == [f"{signed.scheme}://{signed.netloc}"]
    assert photo_image_sources(storage, "stream") == []  # streamed photos come from the portal itself


def test_the_sweeps_list_one_day_of_the_bucket_not_all_of_it(
    bucket, order, customer, django_capture_on_commit_callbacks
):
    """The hourly job reads the database only; the daily check lists the folder of two days ago and pending/.

    Before, every hourly sweep listed every folder of the bucket: one call per folder, 65,536 once photos
    had landed in every folder of the old layout.
    """
    from datetime import timedelta

    from django.core.files.storage import default_storage
    from django.utils import timezone

    from returns.services import photos

    with django_capture_on_commit_callbacks(execute=True):  # the pending files go once the submit commits
        submit(order, damaged(mug(order)), by=customer)  # photos in today's folder
    for days_ago in range(1, 6):  # and some in each of the days before, one of them with no row
        day = timezone.now() - timedelta(days=days_ago)
        bucket.put_object(Bucket=BUCKET, Key=f"photos/{day:%Y-%m-%d}/x{days_ago}.jpg", Body=b"x")
    listings = []
    client = default_storage.connection.meta.client
    client.meta.events.register(
        "provide-client-params.s3.ListObjects", lambda params, **kw: listings.append(params["Prefix"])
    )

    assert photos.pending_photos_sweep() == 0
    assert listings == []

    result = photos.orphan_photos_sweep(orphan_grace=timedelta(0))
    two_days_ago = f"photos/{timezone.now() - timedelta(days=2):%Y-%m-%d}/"
    assert listings == [two_days_ago, "pending/"]
    assert result.orphan_files == 1
    assert not bucket.list_objects_v2(Bucket=BUCKET, Prefix=two_days_ago).get("Contents")
    assert DamagePhoto.objects.exists() and all(default_storage.exists(p.image.name) for p in DamagePhoto.objects.all())
