"""Photos in an S3-compatible bucket: the real django-storages and boto3, over HTTP, against moto's
S3 server on 127.0.0.1 (started here), configured the way production is (``s3_photo_storage``).
"""

import boto3
import pytest
import requests
from django.urls import reverse

from config.settings.base import s3_photo_storage
from returns.models import DamagePhoto
from tests.returns.admin.test_admin import damaged, mug, submit

pytestmark = pytest.mark.django_db
BUCKET = "alotrop-photos-test"
PUBLIC = {
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
}


@pytest.fixture(scope="module")
def s3_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_server, settings, monkeypatch):
    """An empty private bucket, and the portal's photos stored in it."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "test-key",
        "AWS_SECRET_ACCESS_KEY": "test-secret",
        "AWS_S3_ENDPOINT_URL": s3_server,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_S3_ADDRESSING_STYLE": "path",
    }.items():
        monkeypatch.setenv(name, value)
    s3 = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {**settings.STORAGES, "default": s3_photo_storage(BUCKET)}
    yield s3
    for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        s3.delete_object(Bucket=BUCKET, Key=item["Key"])
    s3.delete_bucket(Bucket=BUCKET)


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
