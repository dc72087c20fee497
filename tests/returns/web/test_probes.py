"""/healthz, /readyz and /metrics as a load balancer, an operator and Prometheus see them."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from returns.models import Notification

ROOT = Path(__file__).resolve().parents[3]


def _email(*, due_minutes_ago: int, state=Notification.State.PENDING) -> Notification:
    now = timezone.now()
    return Notification.objects.create(
        event="approved",
        audience="customer",
        to="ana@example.com",
        subject="Your return",
        body_text="Hello",
        state=state,
        next_attempt_at=now - timedelta(minutes=due_minutes_ago),
        lease_until=now + timedelta(minutes=5) if state == Notification.State.SENDING else None,
        sent_at=now if state == Notification.State.SENT else None,
    )


def test_healthz_answers_any_host_over_plain_http_without_the_database(client, settings):
    """No django_db mark: a query would fail the test. The host is a load balancer's view of the machine."""
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="10.0.0.7")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Security-Policy"]  # the security headers still come with it


def test_a_probe_is_only_read(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_readyz_names_every_check(client):
    response = client.get("/readyz", HTTP_HOST="10.0.0.7")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "storage": "ok", "outbox": "ok"},
    }


@pytest.mark.django_db
def test_readyz_fails_on_an_email_no_worker_has_taken_and_says_only_which_check(client, settings):
    settings.READYZ_OUTBOX_MAX_AGE = 600
    _email(due_minutes_ago=5)  # due, but within the limit
    _email(due_minutes_ago=-60)  # waiting out its retry backoff: not late
    assert client.get("/readyz").status_code == 200

    _email(due_minutes_ago=11)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "failing",
        "checks": {"database": "ok", "cache": "ok", "storage": "ok", "outbox": "failing"},
        "failing": ["outbox"],
    }

    settings.READYZ_OUTBOX_MAX_AGE = 0  # an operator turns the outbox check off
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_readyz_fails_on_a_cache_that_does_not_answer_and_tells_the_public_nothing_of_it(client, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["cache"]
    assert "127.0.0.1" not in response.content.decode() and "Error" not in response.content.decode()


@pytest.mark.django_db
def test_readyz_fails_on_photo_storage_it_cannot_write(client, settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocker / "media")},
        },
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["storage"]


@pytest.mark.django_db
def test_readyz_checks_the_bucket(client, bucket):
    assert client.get("/readyz").json()["checks"]["storage"] == "ok"


def test_readyz_names_the_database_when_it_is_down():
    """The production settings in a process of their own, with DATABASE_URL pointing at a closed port."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "returns.example.com",
        "DATABASE_URL": "postgres://returns:secret-password@127.0.0.1:1/returns",
    }
    script = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/readyz', HTTP_HOST='10.0.0.7');"
        "print(r.status_code); print(r.content.decode())"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    status, body = done.stdout.strip().split("\n", 1)
    assert status == "503"
    assert json.loads(body) == {
        "status": "failing",
        "checks": {"database": "failing", "cache": "ok", "storage": "ok", "outbox": "not checked"},
        "failing": ["database"],
    }
    assert "secret-password" not in body and "5432" not in body


def test_metrics_do_not_exist_until_a_token_is_set(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404


@pytest.mark.django_db
def test_metrics_need_the_token(client, settings):
    settings.METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="s3cret-token").status_code == 401


@pytest.mark.django_db
def test_metrics_give_each_queue_its_depth_and_overdue_age(client, settings):
    settings.METRICS_TOKEN = "s3cret-token"
    _email(due_minutes_ago=10)
    _email(due_minutes_ago=2)
    _email(due_minutes_ago=-30)
    _email(due_minutes_ago=0, state=Notification.State.SENDING)  # claimed, lease still running
    _email(due_minutes_ago=90, state=Notification.State.SENT)
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = dict(line.rsplit(" ", 1) for line in response.content.decode().splitlines() if not line.startswith("#"))
    assert samples['alotrop_outbox_waiting{queue="emails"}'] == "4"
    assert 595 <= int(samples['alotrop_outbox_oldest_overdue_seconds{queue="emails"}']) <= 620
    assert samples['alotrop_outbox_waiting{queue="refunds"}'] == "0"
    assert samples['alotrop_outbox_oldest_overdue_seconds{queue="refunds"}'] == "0"
    assert samples['alotrop_outbox_waiting{queue="events"}'] == "0"
