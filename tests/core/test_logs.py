"""Log lines an operator can follow: JSON, one per line, each with the request's or the outbox row's id."""

import io
import json
import logging
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from core.logs import ContextFilter, json_formatter
from returns.models import Notification
from returns.outbox.mail import notifications_send_due
from tests.support.server import readme_gunicorn

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def json_lines():
    """The root logger's lines as production writes them (LOG_FORMAT=json), parsed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(json_formatter())
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_the_production_settings_write_every_line_of_a_request_as_json_with_its_id(tmp_path):
    """A process of its own, as deployed: production settings, LOG_FORMAT unset (JSON by default)."""
    env = {
        **{k: v for k, v in os.environ.items() if k != "LOG_FORMAT"},
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "returns.example.com",
        "SECURE_SSL_REDIRECT": "False",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
    }
    script = """
import django, json
django.setup()
from django.test import Client
client = Client(HTTP_HOST="returns.example.com")
seen = {}
asked = [("/healthz", "lb-probe-1"), ("/readyz", "abc-123"), ("/api/v1/orders", None), ("/healthz", "bad id!")]
for path, request_id in asked:
    headers = {"HTTP_X_REQUEST_ID": request_id} if request_id else {}
    response = client.get(path, **headers)
    seen[path + " " + str(request_id)] = [response.status_code, response["X-Request-ID"]]
print(json.dumps(seen))
"""
    env["LOG_LEVEL"] = "DEBUG"
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["/healthz lb-probe-1"] == [200, "lb-probe-1"]
    assert seen["/readyz abc-123"] == [503, "abc-123"]  # an empty database: no outbox table
    status, generated = seen["/api/v1/orders None"]
    assert status == 405 and len(generated) == 32
    assert seen["/healthz bad id!"][1] not in ("bad id!", generated)  # not echoed: a new one

    lines = [json.loads(line) for line in done.stderr.splitlines()]  # every line is one JSON object
    requests = [line for line in lines if line["logger"] == "core.requests"]
    assert [(r["path"], r["status"], r["request_id"]) for r in requests] == [
        ("/healthz", 200, "lb-probe-1"),
        ("/readyz", 503, "abc-123"),
        ("/api/v1/orders", 405, generated),
        ("/healthz", 200, seen["/healthz bad id!"][1]),
    ]
    assert requests[0]["level"] == "DEBUG" and requests[2]["level"] == "INFO"  # probes are quiet at INFO
    assert all(isinstance(r["duration_ms"], float) and r["method"] == "GET" for r in requests)
    assert all({"time", "level", "logger", "message", "request_id"} <= set(line) for line in lines)
    assert not any("exc_info" in line for line in lines)  # no empty traceback field on every line
    [why_not_ready] = [line for line in lines if line["logger"] == "returns.web.probes"]
    assert why_not_ready["request_id"] == "abc-123" and why_not_ready["message"].startswith("readyz: outbox failing")
    logged_by_django = {line["message"]: line["request_id"] for line in lines if line["logger"] == "django.request"}
    assert logged_by_django == {
        "Service Unavailable: /readyz": "abc-123",
        "Method Not Allowed: /api/v1/orders": generated,
    }


@pytest.mark.django_db
def test_a_worker_names_each_row_it_handles(json_lines, mailoutbox):
    note = Notification.objects.create(
        event="approved", audience="customer", to="ana@example.com", subject="Approved", body_text="Hello"
    )
    assert notifications_send_due().sent == 1
    [sent] = [line for line in json_lines() if line["logger"] == "returns.outbox.mail"]
    assert sent["notification_id"] == note.pk
    assert sent["message"] == f"Email {note.pk} sent (approved)"
    assert sent["request_id"] == "-"
    assert "ana@example.com" not in json.dumps(json_lines())


def test_text_lines_carry_the_request_id_too():
    from config.settings.base import logging_config

    assert "[{request_id}]" in logging_config("text")["formatters"]["text"]["format"]
    with pytest.raises(Exception, match="LOG_FORMAT must be text or json"):
        logging_config("xml")


def test_an_exception_logged_carries_its_traceback_as_text(json_lines):
    try:
        raise ValueError("the bucket did not answer")
    except ValueError:
        logging.getLogger("returns.jobs").exception("Job failed")
    [line] = [line for line in json_lines() if line["logger"] == "returns.jobs"]
    assert line["message"] == "Job failed"
    assert "ValueError: the bucket did not answer" in line["exc_info"]


def test_gunicorns_own_lines_are_json_too_under_readmes_command(tmp_path):
    """README's gunicorn command with the production settings: its boot and stop lines, and each request's, are each
    one JSON object (gunicorn.conf.py), so the log collector reads every line the web process writes."""
    output: list[str] = []
    production = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "False",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        "LOG_FORMAT": "json",
    }
    with readme_gunicorn(workers=1, output=output, **production) as port:
        answer = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10)
        assert answer.status == 200
        answer.close()
    lines = [json.loads(line) for line in output if line.strip()]  # every line is one JSON object
    said = [(line["logger"], line["message"]) for line in lines]
    assert any(logger == "gunicorn.error" and message.startswith("Listening at") for logger, message in said)
    assert any(logger == "gunicorn.error" and message.startswith("Booting worker") for logger, message in said)
    assert any(logger == "gunicorn.error" and message.startswith("Shutting down") for logger, message in said)
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
