"""Photos that upload as they are picked: kept per session and order line, private, limited, swept."""

import io
import os
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from returns.exceptions import PolicyViolation
from returns.models import DamagePhoto, PendingPhoto, ReturnRequest
from returns.services import guest_access as access
from returns.services import images, photos
from returns.services.requests import LineRequest, return_request_submit
from tests.factories import OrderFactory, OrderLineFactory, jpeg_bytes, pending_photo
from tests.returns.web.test_views_start import line_data, name, photo, post
from tests.support.pages import text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


@pytest.fixture
def lamp(order):
    return order.lines.get(sku="LAMP-02")


@pytest.fixture
def signed_in(client, customer):
    client.force_login(customer)
    return client


def upload(client, order, line, kind="issue", file=None, **extra):
    data = {"line": str(line.pk), "kind": kind, "photo": file or photo("crack.jpg")}
    return client.post(reverse("returns:upload_photo", args=[order.number]), data, **extra)


def stored_files(settings) -> set[str]:
    return {str(p.relative_to(settings.MEDIA_ROOT)) for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()}


def files_of(*rows) -> set[str]:
    return {n for r in rows for n in (r.image.name, r.thumbnail.name)}


class TestUpload:
    def test_a_photo_is_processed_and_kept_for_the_session(self, signed_in, order, lamp, customer, settings):
        response = upload(signed_in, order, lamp)
        assert response.status_code == 201
        kept = PendingPhoto.objects.get()
        assert response.json() == {
            "id": kept.pk,
            "kind": "issue",
            "name": "crack.jpg",
            "thumbnail": reverse("returns:pending_photo_thumbnail", args=[kept.pk]),
            "remove": reverse("returns:pending_photo_remove", args=[kept.pk]),
        }
        assert (kept.order_line, kept.user, kept.width, kept.height) == (lamp, customer, 64, 48)
        assert kept.owner == signed_in.session[photos.OWNER_SESSION_KEY]
        assert stored_files(settings) == files_of(kept)
        thumb = signed_in.get(response.json()["thumbnail"])
        assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
        assert b"".join(thumb.streaming_content)[:2] == b"\xff\xd8"

    def test_a_file_that_is_not_a_photo_gets_a_message_and_stores_nothing(self, signed_in, order, lamp, settings):
        response = upload(signed_in, order, lamp, file=photo("notes.jpg", b"plain text, not an image"))
        assert response.status_code == 400
        assert "“notes.jpg” is not a photo we can read" in response.json()["error"]
        assert not PendingPhoto.objects.exists() and not stored_files(settings)

    def test_a_file_over_the_size_limit(self, signed_in, order, lamp, settings):
        settings.PHOTO_MAX_BYTES = 100
        response = upload(signed_in, order, lamp)
        assert response.status_code == 400
        assert "photos can be at most" in response.json()["error"] and "crack.jpg" in response.json()["error"]

    def test_at_most_the_photo_limit_per_return(self, signed_in, order, lamp, settings):
        settings.PHOTO_MAX_COUNT = 1
        assert upload(signed_in, order, lamp).status_code == 201
        response = upload(signed_in, order, lamp, "packaging", photo("box.jpg"))
        assert response.status_code == 400
        assert response.json()["error"] == (
            "“box.jpg” was not added: a return can have at most 1 photos. Remove one first."
        )

    def test_a_line_of_another_order_or_a_bad_kind_is_refused(self, signed_in, order, lamp):
        other = OrderLineFactory(order=OrderFactory(email="someone@example.com"))
        assert upload(signed_in, order, other).status_code == 400
        assert upload(signed_in, order, lamp, kind="selfie").status_code == 400
        assert upload(signed_in, other.order, other).status_code == 404
        assert not PendingPhoto.objects.exists()

    def test_per_client_hourly_limit(self, signed_in, order, lamp, settings):
        settings.PHOTO_UPLOADS_PER_HOUR = 2
        settings.PHOTO_MAX_COUNT = 10
        assert upload(signed_in, order, lamp).status_code == 201
        assert upload(signed_in, order, lamp).status_code == 201
        response = upload(signed_in, order, lamp)
        assert response.status_code == 429
        assert "You have sent 2 photos in the last hour" in response.json()["error"]
        assert PendingPhoto.objects.count() == 2

    def test_the_limit_holds_for_the_client_address_across_sessions(self, client, customer, order, lamp, settings):
        settings.PHOTO_UPLOADS_PER_HOUR = 1
        first, second = Client(), Client()
        for c in (first, second):
            c.force_login(customer)
        assert upload(first, order, lamp).status_code == 201
        assert upload(second, order, lamp).status_code == 429  # same address, another session

    def test_the_limit_holds_across_processes_like_every_other_limit(self, signed_in, order, lamp, settings):
        """Each gunicorn worker has a local-memory cache of its own: the count must be in the store they share."""
        settings.THROTTLE_STORE = "database"  # the shared store when no CACHE_URL is set
        settings.PHOTO_UPLOADS_PER_HOUR = 1
        assert upload(signed_in, order, lamp).status_code == 201
        cache.clear()  # the next upload is served by another process, whose local cache is empty
        response = upload(signed_in, order, lamp)
        assert response.status_code == 429
        assert "You have sent 1 photos in the last hour" in response.json()["error"]
        assert PendingPhoto.objects.count() == 1

    def test_when_every_decoding_slot_stays_busy_the_customer_is_asked_to_retry(self, signed_in, order, lamp, settings):
        settings.PHOTO_DECODE_WAIT = 0.05
        slots = images._decode_slots()
        assert slots.acquire(timeout=1)
        try:
            response = upload(signed_in, order, lamp)
        finally:
            slots.release()
        assert response.status_code == 503 and response["Retry-After"]
        assert "many photos are arriving at once" in response.json()["error"]
        assert upload(signed_in, order, lamp).status_code == 201


class TestRoom:
    """Pending photos are bounded in all (PENDING_PHOTO_MAX_BYTES) and per customer (PENDING_PHOTOS_PER_CUSTOMER),
    not only per client address: an attacker with many addresses cannot fill the disk."""

    @pytest.fixture
    def nearly_full(self, signed_in, order, lamp, settings):
        """One photo is pending, and the cap leaves room for less than another."""
        first = PendingPhoto.objects.get(pk=upload(signed_in, order, lamp).json()["id"])
        settings.PENDING_PHOTO_MAX_BYTES = first.size + first.size // 2
        return first

    def test_past_the_cap_uploads_pause_with_503_and_retry_after(self, nearly_full, signed_in, order, lamp, settings):
        files_before = stored_files(settings)

        response = upload(signed_in, order, lamp, "packaging", photo("box.jpg"))

        assert response.status_code == 503 and int(response["Retry-After"]) >= 60
        assert response.json()["error"] == (
            "“box.jpg” was not added: photo uploads are paused for a few minutes. Please try again shortly."
        )
        assert list(PendingPhoto.objects.all()) == [nearly_full]
        assert stored_files(settings) == files_before  # nothing written for the refused photo

    def test_the_cap_counts_every_customers_photos(self, nearly_full, client, other_customer, settings):
        theirs = OrderLineFactory(order=OrderFactory(email=other_customer.email))
        client.force_login(other_customer)  # another person, another address: the cap is for everyone
        response = upload(client, theirs.order, theirs, REMOTE_ADDR="203.0.113.9")
        assert response.status_code == 503 and response["Retry-After"]

    def test_room_comes_back_when_a_photo_is_removed(self, nearly_full, signed_in, order, lamp):
        assert upload(signed_in, order, lamp).status_code == 503
        signed_in.post(reverse("returns:pending_photo_remove", args=[nearly_full.pk]))
        assert upload(signed_in, order, lamp).status_code == 201

    def test_without_the_script_the_form_comes_back_whole_as_a_503(self, nearly_full, signed_in, order, lamp):
        response = post(
            signed_in,
            order,
            line_data(lamp, reason="damaged", description="The shade is cracked", confirm=False),
            **{name(lamp, "pending_photos"): [str(nearly_full.pk)], name(lamp, "packaging_photos"): photo("box.jpg")},
        )
        assert response.status_code == 503 and int(response["Retry-After"]) >= 60
        assert not ReturnRequest.objects.exists()
        page = text(response)
        assert "“box.jpg” was not added: photo uploads are paused for a few minutes. Please try again shortly." in page
        assert "The shade is cracked" in page  # what was typed is kept
        assert f'name="{name(lamp, "pending_photos")}" value="{nearly_full.pk}"' in page  # and the photo kept

    def test_one_customer_has_at_most_so_many_pending_photos_in_any_session(
        self, signed_in, customer, order, lamp, settings
    ):
        settings.PENDING_PHOTOS_PER_CUSTOMER = 2
        assert upload(signed_in, order, lamp).status_code == 201
        assert upload(signed_in, order, lamp).status_code == 201
        again = Client()  # the same customer in another browser, from another address
        again.force_login(customer)
        guest = Client()  # or opening the order with its guest link
        guest.get(reverse("accounts:guest_open", args=[access.guest_token(order)]))
        for other_session in (signed_in, again, guest):
            response = upload(other_session, order, lamp, "packaging", photo("box.jpg"), REMOTE_ADDR="198.51.100.7")
            assert response.status_code == 400
            assert response.json()["error"] == (
                "“box.jpg” was not added: 2 photos are already waiting for returns not sent yet, the most we keep. "
                "Send those returns or remove photos you no longer need, then add it again."
            )
        assert PendingPhoto.objects.count() == 2

    def test_another_customer_is_not_held_by_that_limit(self, signed_in, order, lamp, client, settings):
        settings.PENDING_PHOTOS_PER_CUSTOMER = 1
        assert upload(signed_in, order, lamp).status_code == 201
        theirs = OrderLineFactory(order=OrderFactory(email="someone@example.com"))
        guest = Client()
        guest.get(reverse("accounts:guest_open", args=[access.guest_token(theirs.order)]))
        assert upload(guest, theirs.order, theirs).status_code == 201


class TestPrivacy:
    """A pending photo is seen and removed only by the session (and user) that uploaded it."""

    def test_another_customer_gets_404(self, signed_in, order, lamp, other_customer):
        kept = upload(signed_in, order, lamp).json()
        other = Client()
        other.force_login(other_customer)
        assert other.get(kept["thumbnail"]).status_code == 404
        assert other.post(kept["remove"]).status_code == 404
        assert PendingPhoto.objects.filter(pk=kept["id"]).exists()

    def test_the_same_customer_in_another_browser_gets_404(self, signed_in, order, lamp, customer):
        kept = upload(signed_in, order, lamp).json()
        elsewhere = Client()
        elsewhere.force_login(customer)
        assert elsewhere.get(kept["thumbnail"]).status_code == 404
        assert elsewhere.post(kept["remove"]).status_code == 404

    def test_a_guest_of_the_same_order_in_another_session_gets_404(self, signed_in, order, lamp):
        kept = upload(signed_in, order, lamp).json()
        guest = Client()
        guest.get(reverse("accounts:guest_open", args=[access.guest_token(order)]))
        assert guest.get(kept["thumbnail"]).status_code == 404
        assert Client().get(kept["thumbnail"]).status_code == 404  # nobody signed in

    def test_a_guest_uploads_within_the_order_the_link_opened(self, client, order, lamp):
        client.get(reverse("accounts:guest_open", args=[access.guest_token(order)]))
        response = upload(client, order, lamp)
        assert response.status_code == 201
        assert PendingPhoto.objects.get().user is None
        assert client.get(response.json()["thumbnail"]).status_code == 200

    def test_a_form_naming_someone_elses_photo_does_not_get_it(self, signed_in, order, lamp, customer):
        theirs = upload(signed_in, order, lamp).json()
        mine = Client()
        mine.force_login(customer)
        response = post(
            mine,
            order,
            line_data(lamp, reason="damaged", confirm=False, packaging_photos=[photo("box.jpg")]),
            **{name(lamp, "pending_photos"): [str(theirs["id"])]},
        )
        assert response.status_code == 200 and not ReturnRequest.objects.exists()
        assert "A photo added earlier has expired or was removed" in response.content.decode()
        assert PendingPhoto.objects.filter(pk=theirs["id"]).exists()


class TestForm:
    def test_photos_uploaded_one_by_one_go_with_the_request(self, signed_in, order, lamp):
        issue = upload(signed_in, order, lamp).json()
        box = upload(signed_in, order, lamp, "packaging", photo("box.jpg")).json()
        response = post(
            signed_in,
            order,
            line_data(lamp, reason="damaged", confirm=False),
            **{name(lamp, "pending_photos"): [str(issue["id"]), str(box["id"])]},
        )
        assert response.status_code == 302
        line = ReturnRequest.objects.get().lines.get()
        assert sorted((p.kind, p.original_name) for p in line.photos.all()) == [
            ("issue", "crack.jpg"),
            ("packaging", "box.jpg"),
        ]
        assert not PendingPhoto.objects.exists()
        page = signed_in.get(response.url).content.decode()
        for p in line.photos.all():
            assert signed_in.get(reverse("returns:photo", args=[p.pk])).status_code == 200
            assert reverse("returns:photo_thumbnail", args=[p.pk]) in page

    def test_a_bounced_form_keeps_the_uploaded_photos(self, signed_in, order, lamp):
        issue = upload(signed_in, order, lamp).json()
        response = post(
            signed_in,
            order,
            line_data(lamp, reason="damaged", description="", confirm=False),
            **{name(lamp, "pending_photos"): [str(issue["id"])]},
        )
        html = response.content.decode()
        assert "Your return has not been sent yet" in html
        assert f'name="{name(lamp, "pending_photos")}" value="{issue["id"]}"' in html
        assert "The 1 photo you added is kept." in html

    def test_a_form_with_more_kept_photos_than_the_limit_is_refused(self, signed_in, order, lamp, settings):
        ids = [upload(signed_in, order, lamp, kind).json()["id"] for kind in ("issue", "packaging", "issue")]
        settings.PHOTO_MAX_COUNT = 2  # as if the three uploads had raced past the upload view's count
        response = post(
            signed_in,
            order,
            line_data(lamp, reason="damaged", confirm=False),
            **{name(lamp, "pending_photos"): [str(i) for i in ids]},
        )
        assert not ReturnRequest.objects.exists()
        assert "You added 3 photos; a return can have at most 2. Please remove 1." in response.content.decode()

    def test_remove_without_the_script(self, signed_in, order, lamp, settings, django_capture_on_commit_callbacks):
        first = upload(signed_in, order, lamp).json()
        second = upload(signed_in, order, lamp, "packaging", photo("box.jpg")).json()
        with django_capture_on_commit_callbacks(execute=True):
            response = post(
                signed_in,
                order,
                line_data(lamp, reason="damaged", confirm=False),
                remove_photo=str(first["id"]),
                **{name(lamp, "pending_photos"): [str(first["id"]), str(second["id"])]},
            )
        html = response.content.decode()
        assert response.status_code == 200 and not ReturnRequest.objects.exists()
        assert "Your return has not been sent yet" not in html  # removing is not sending
        field = name(lamp, "pending_photos")
        assert f'name="{field}" value="{first["id"]}"' not in html and f'name="{field}" value="{second["id"]}"' in html
        assert list(PendingPhoto.objects.values_list("pk", flat=True)) == [second["id"]]
        assert stored_files(settings) == files_of(PendingPhoto.objects.get())

    def test_remove_with_the_script(self, signed_in, order, lamp, settings, django_capture_on_commit_callbacks):
        kept = upload(signed_in, order, lamp).json()
        with django_capture_on_commit_callbacks(execute=True):
            assert signed_in.post(kept["remove"]).status_code == 200
        assert not PendingPhoto.objects.exists() and not stored_files(settings)
        assert signed_in.get(kept["thumbnail"]).status_code == 404

    def test_an_expired_photo_is_not_attached(self, signed_in, order, lamp, settings):
        kept = upload(signed_in, order, lamp).json()
        PendingPhoto.objects.update(created_at=timezone.now() - timedelta(seconds=settings.PENDING_PHOTO_MAX_AGE + 1))
        assert signed_in.get(kept["thumbnail"]).status_code == 404
        response = post(
            signed_in,
            order,
            line_data(lamp, reason="damaged", confirm=False, packaging_photos=[photo("box.jpg")]),
            **{name(lamp, "pending_photos"): [str(kept["id"])]},
        )
        assert not ReturnRequest.objects.exists()
        assert "A photo added earlier has expired or was removed; please add it again." in response.content.decode()

    def test_the_service_refuses_a_photo_that_expired_meanwhile(self, order, lamp, settings):
        issue, box = pending_photo(lamp, "issue"), pending_photo(lamp, "packaging")
        PendingPhoto.objects.filter(pk=issue.pk).update(created_at=timezone.now() - timedelta(days=2))
        request = LineRequest(lamp.pk, 1, "damaged", "Cracked", photos=[issue, box])
        with pytest.raises(PolicyViolation) as exc:
            return_request_submit(order=order, lines=[request])
        assert "has expired" in exc.value.message
        assert not DamagePhoto.objects.exists()


class TestNothingOrphaned:
    def test_a_row_that_cannot_be_written_takes_its_files_with_it(self, lamp, settings):
        processed = images.process_photo(upload=photo(), kind="bogus")
        with pytest.raises(IntegrityError):
            photos.pending_photo_create(order_line=lamp, owner="s", user=None, photo=processed)
        assert not PendingPhoto.objects.exists() and not stored_files(settings)

    def test_a_rolled_back_submit_leaves_the_photos_pending_and_its_copies_to_the_orphan_check(
        self, order, lamp, settings
    ):
        issue, box = pending_photo(lamp, "issue"), pending_photo(lamp, "packaging")
        assert all(name.startswith("pending/") for name in files_of(issue, box))
        request = LineRequest(lamp.pk, 1, "damaged", "Cracked", photos=[issue, box])
        with pytest.raises(RuntimeError), transaction.atomic():
            return_request_submit(order=order, lines=[request])
            assert DamagePhoto.objects.count() == 2 and not PendingPhoto.objects.exists()
            raise RuntimeError("the caller's transaction fails after the submit")
        assert not DamagePhoto.objects.exists() and not ReturnRequest.objects.exists()
        assert set(PendingPhoto.objects.values_list("pk", flat=True)) == {issue.pk, box.pk}
        today = f"photos/{timezone.now():%Y-%m-%d}/"
        copies = stored_files(settings) - files_of(issue, box)
        assert len(copies) == 4 and all(name.startswith(today) for name in copies)
        # The daily check reads that day's folder (two days later) and removes them.
        result = photos.orphan_photos_sweep(day=timezone.now().date(), orphan_grace=timedelta(0))
        assert result.orphan_files == 4
        assert stored_files(settings) == files_of(issue, box)

    def test_a_sent_return_keeps_its_photos_in_the_days_folder_and_pending_files_go(
        self, order, lamp, settings, django_capture_on_commit_callbacks
    ):
        issue, box = pending_photo(lamp, "issue"), pending_photo(lamp, "packaging")
        request = LineRequest(lamp.pk, 1, "damaged", "Cracked", photos=[issue, box])
        with django_capture_on_commit_callbacks(execute=True):
            return_request_submit(order=order, lines=[request])
        kept = list(DamagePhoto.objects.all())
        assert all(name.startswith(f"photos/{timezone.now():%Y-%m-%d}/") for name in files_of(*kept))
        assert stored_files(settings) == files_of(*kept)
        assert kept[0].image.read()[:2] == b"\xff\xd8"  # still the JPEG

    def test_sweep_deletes_expired_uploads_and_files_with_no_row(
        self, order, lamp, settings, django_capture_on_commit_callbacks
    ):
        old, fresh = pending_photo(lamp, "issue", "old.jpg"), pending_photo(lamp, "issue", "fresh.jpg")
        attached = pending_photo(lamp, "packaging")
        rr = return_request_submit(
            order=order, lines=[LineRequest(lamp.pk, 1, "damaged", "Cracked", photos=[fresh, attached])]
        )
        # A crash between writing a file and its row, an hour and a half ago, and one a moment ago (two days
        # back: the folder the daily check reads), and a pending upload whose row was never written.
        folder = f"photos/{timezone.now() - timedelta(days=2):%Y-%m-%d}"
        crashed = default_storage.save(f"{folder}/crashed.jpg", ContentFile(jpeg_bytes()))
        just_written = default_storage.save(f"{folder}/just-written.jpg", ContentFile(jpeg_bytes()))
        crashed_pending = default_storage.save("pending/crashed.jpg", ContentFile(jpeg_bytes()))
        an_hour_and_a_half_ago = time.time() - 90 * 60
        for stale in (crashed, crashed_pending):
            os.utime(default_storage.path(stale), (an_hour_and_a_half_ago, an_hour_and_a_half_ago))
        PendingPhoto.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))
        old_files = files_of(old)
        kept_files = files_of(*DamagePhoto.objects.filter(line__request=rr))
        out = io.StringIO()

        with django_capture_on_commit_callbacks(execute=True):  # files go once the rows' deletion is committed
            call_command("sweep_photos", stdout=out)
        assert out.getvalue() == (
            "1 expired pending photo(s) deleted, 2 file(s) with no row deleted (2 folder(s) read).\n"
        )

        stored = stored_files(settings)
        assert not PendingPhoto.objects.exists()
        assert not (old_files & stored) and crashed not in stored and crashed_pending not in stored
        assert kept_files <= stored and just_written in stored

    def test_sweep_runs_on_an_empty_storage(self, db):
        assert photos.pending_photos_sweep() == 0
        assert photos.orphan_photos_sweep().orphan_files == 0
        assert photos.orphan_photos_sweep_all().orphan_files == 0

    def test_the_full_check_reads_every_folder_of_the_old_layout_too(self, db, settings):
        old_layout = default_storage.save("photos/ab12/crashed.jpg", ContentFile(jpeg_bytes()))
        assert photos.orphan_photos_sweep(orphan_grace=timedelta(0)).orphan_files == 0  # not today's folder
        result = photos.orphan_photos_sweep_all(orphan_grace=timedelta(0))
        assert result.orphan_files == 1 and old_layout not in stored_files(settings)


def test_the_limits_show_before_picking(signed_in, order, lamp):
    html = signed_in.get(reverse("returns:start_return", args=[order.number])).content.decode()
    assert "Up to 8 photos per return, 10 MB each" in html
    assert f'data-upload-url="{reverse("returns:upload_photo", args=[order.number])}"' in html
    assert 'data-photo-max-count="8"' in html


def test_draft_decoding_reduces_a_3_2_photo_to_its_display_size(settings):
    """A 6000 × 4000 JPEG decodes at 3000 × 2000 (half scale) for a 2560 px display size."""
    assert images.draft_size(6000, 4000, 2560) == (2560, 1707)
    assert images.draft_size(4000, 3000, 2560) == (2560, 1920)
    assert images.draft_size(800, 600, 2560) == (800, 600)
    big = jpeg_bytes(size=(6000, 4000))
    image = images._decode(big, "“big.jpg”", "big.jpg")
    assert image.size == (3000, 2000)
    processed = images.process_photo(upload=photo("big.jpg", big), kind="issue")
    assert (processed.width, processed.height) == (2560, 1707)
