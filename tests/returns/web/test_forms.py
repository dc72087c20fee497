"""The start-a-return form only validates: checking it writes no row and no file (``returns.services.photos`` does)."""

import pytest
from django.contrib.sessions.middleware import SessionMiddleware
from django.test import RequestFactory

from accounts.models import ThrottleCount
from returns.models import DamagePhoto, PendingPhoto
from returns.selectors.customer import line_views, orders_with_lines
from returns.services import photos
from returns.web.forms import StartReturnForm
from tests.factories import pending_photo
from tests.returns.web.test_views_start import line_data, name, photo

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


@pytest.fixture
def lamp(order):
    return order.lines.get(sku="LAMP-02")


def customer_request(customer, data, files):
    request = RequestFactory().post("/", {**data, **files})  # multipart, as the browser sends it
    SessionMiddleware(lambda r: None).process_request(request)
    request.session[photos.OWNER_SESSION_KEY] = "test-session"
    request.user = customer
    return request


def form_for(order, request):
    order = orders_with_lines(type(order).objects.filter(pk=order.pk)).get()
    return StartReturnForm(
        order=order, line_views=line_views(order), data=request.POST, files=request.FILES, request=request
    )


def written(settings) -> tuple:
    """Everything a form could write: photo rows, photo files, upload counts."""
    files = sorted(str(p) for p in settings.MEDIA_ROOT.rglob("*") if p.is_file())
    return PendingPhoto.objects.count(), DamagePhoto.objects.count(), files, ThrottleCount.objects.count()


@pytest.mark.parametrize("valid", [True, False], ids=["valid", "invalid"])
def test_checking_a_form_with_photos_writes_nothing(customer, order, lamp, settings, valid):
    """Photos already uploaded make the claim valid; files in the plain inputs wait for the photo service."""
    kept = [pending_photo(lamp, "issue", user=customer), pending_photo(lamp, "packaging", user=customer)]
    description = "Cracked" if valid else ""
    ids = [p.pk for p in kept]
    data = line_data(lamp, reason="damaged", confirm=False, description=description, pending_photos=ids)
    files = {name(lamp, "issue_photos"): photo("crack.jpg"), name(lamp, "packaging_photos"): photo("box.jpg")}
    request = customer_request(customer, {"submission_key": "", **data}, files)
    before = written(settings)
    form = form_for(order, request)
    assert form.is_valid() is valid
    assert written(settings) == before
    assert [len(f.photos_for_request()) for f in form.chosen()] == [2]  # the uploaded ones, found
    assert len(form.photo_files()) == 2  # the plain-input files, checked and handed over, not stored
    assert written(settings) == before
    if not valid:
        assert form.line_forms[1].errors["description"] == ["Tell us briefly what is wrong with it."]


def test_the_photo_service_keeps_what_the_form_checked(customer, order, lamp, settings):
    """Without the script: the photo service stores the files the form checked, and the form counts them (R7)."""
    data = line_data(lamp, reason="damaged", confirm=False, description="Cracked")
    files = {name(lamp, "issue_photos"): photo("crack.jpg"), name(lamp, "packaging_photos"): photo("box.jpg")}
    request = customer_request(customer, {"submission_key": "", **data}, files)
    form = form_for(order, request)
    form.add_kept(photos.pending_photos_upload(request=request, files=form.photo_files(), already=form.kept_count))
    assert PendingPhoto.objects.filter(order_line=lamp).count() == 2
    assert form.is_valid()
    assert sorted(p.original_name for p in form.line_requests()[0].photos) == ["box.jpg", "crack.jpg"]
