"""Retention: email bodies, sign-in attempts and closed returns' photos are forgotten after their periods."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from returns.management.scheduler import JOBS, run_due
from returns.models import DamagePhoto, Notification, ReturnRequest, StatusChange
from returns.services.requests import return_request_reject
from returns.services.retention import retention_run
from tests.returns.admin.test_admin import damaged, mug, submit

pytestmark = pytest.mark.django_db


def _email(*, days_ago: int, state=Notification.State.SENT) -> Notification:
    note = Notification.objects.create(
        event="approved",
        audience="customer",
        to="ana@example.com",
        subject="Your return is approved",
        body_text="Dear Ana, send the mug back.",
        body_html="<p>Dear Ana</p>",
        state=state,
        sent_at=timezone.now() if state == Notification.State.SENT else None,
    )
    Notification.objects.filter(pk=note.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    return note


def _attempt(*, days_ago: int) -> AccessAttempt:
    attempt = AccessAttempt.objects.create(
        username="ana@example.com",
        ip_address="203.0.113.9",
        user_agent=f"browser {days_ago}",
        get_data="",
        post_data="",
        http_accept="",
        path_info="/account/login/",
        failures_since_start=1,
    )
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=timezone.now() - timedelta(days=days_ago))
    return attempt


def _closed_with_photos(order, customer, service_agent, *, days_ago: int) -> ReturnRequest:
    request = submit(order, damaged(mug(order)), by=customer)
    return_request_reject(request=request, by=service_agent, reason="Wear and tear, not damage in transit.")
    past = timezone.now() - timedelta(days=days_ago)
    ReturnRequest.objects.filter(pk=request.pk).update(created_at=past)
    StatusChange.objects.filter(request=request).update(at=past)
    return request


def test_email_bodies_are_blanked_after_their_period_and_the_rows_stay():
    old, recent, unsent = _email(days_ago=91), _email(days_ago=89), _email(days_ago=91, state="pending")
    assert retention_run().email_bodies == 1
    old.refresh_from_db(), recent.refresh_from_db(), unsent.refresh_from_db()
    assert (old.body_text, old.body_html, old.subject) == ("", "", "Your return is approved")
    assert recent.body_text and unsent.body_text  # too recent / still to be sent


def test_sign_in_attempts_are_deleted_after_their_period():
    _attempt(days_ago=31)
    kept = _attempt(days_ago=29)
    assert retention_run().access_attempts == 1
    assert list(AccessAttempt.objects.all()) == [kept]


def test_a_closed_returns_photos_go_after_photo_keep_days_and_staff_are_told(
    client, order, customer, service_agent, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = _closed_with_photos(order, customer, service_agent, days_ago=731)
    photos = list(DamagePhoto.objects.filter(line__request=request))
    files = [name for p in photos for name in (p.image.name, p.thumbnail.name)]
    assert photos and all(default_storage.exists(name) for name in files)

    with django_capture_on_commit_callbacks(execute=True):
        forgotten = retention_run()
    assert forgotten.photos == len(photos)
    assert not any(default_storage.exists(name) for name in files)
    assert set(DamagePhoto.objects.filter(line__request=request).values_list("image", "removed_after_days")) == {
        ("", 730)
    }
    client.force_login(service_agent)
    page = client.get(reverse("admin:returns_returnrequest_change", args=[request.pk])).content.decode()
    assert "Removed after 730 days" in page
    client.force_login(customer)
    assert client.get(reverse("returns:photo", args=[photos[0].pk])).status_code == 404
    assert (
        "photo: removed after 730 days"
        in client.get(reverse("returns:return_detail", args=[request.rma])).content.decode()
    )
    assert retention_run().photos == 0  # once


def test_photos_stay_while_a_return_is_open_or_closed_recently_or_when_kept_for_ever(
    order, customer, service_agent, settings
):
    recent = _closed_with_photos(order, customer, service_agent, days_ago=729)
    still_open = submit(order, damaged(mug(order)), by=customer)
    ReturnRequest.objects.filter(pk=still_open.pk).update(created_at=timezone.now() - timedelta(days=900))
    assert retention_run().photos == 0
    settings.PHOTO_KEEP_DAYS = 0
    StatusChange.objects.filter(request=recent).update(at=timezone.now() - timedelta(days=3000))
    assert retention_run().photos == 0
    assert not DamagePhoto.objects.filter(removed_after_days__isnull=False).exists()


def test_the_scheduler_runs_retention_daily_and_logs_what_it_removed(caplog):
    _email(days_ago=100)
    _attempt(days_ago=40)
    [ran] = run_due(jobs=[job for job in JOBS if job.name == "retention"])
    assert ran.outcome == (
        "1 email bodies blanked (older than 90 days), 1 sign-in attempts deleted (older than 30 days), "
        "0 photos removed (returns closed over 730 days ago)"
    )
    assert f"Job retention: {ran.outcome}" in caplog.text
