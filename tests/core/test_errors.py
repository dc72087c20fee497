"""SENTRY_DSN turns on error reports, and no customer's email or form body is in them."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json, logging
import django
django.setup()
import sentry_sdk
from sentry_sdk.transport import Transport

turned_on = sentry_sdk.get_client().is_active()  # by SENTRY_DSN in the settings

events = []

class Capture(Transport):
    def capture_envelope(self, envelope):
        events.extend(item.payload.json for item in envelope.items if item.type == "event")

from core.errors import sentry_init
from django.conf import settings
sentry_init(settings.SENTRY_DSN, environment=settings.SENTRY_ENVIRONMENT, transport=Capture)
settings.ROOT_URLCONF = "tests.core.boom_urls"

from django.test import Client
response = Client(raise_request_exception=False, HTTP_HOST="localhost").post(
    "/boom", {"email": "ana.lima@example.com", "note": "my private words"}, HTTP_X_REQUEST_ID="req-42"
)
logging.getLogger("returns.outbox.mail").error("Email to bruno@example.com bounced")
sentry_sdk.flush()
print(json.dumps({"on": turned_on, "status": response.status_code, "events": events}))
"""


def test_an_error_report_names_the_request_but_not_the_customer():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "SENTRY_DSN": "http://public@127.0.0.1:9/1",
        "SENTRY_ENVIRONMENT": "staging",
    }
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["on"] is True
    assert result["status"] == 500
    crash, bounce = result["events"]
    exception = crash["exception"]["values"][-1]  # the one raised last (Sentry lists the chain first)
    assert exception["type"] == "RuntimeError", crash["exception"]["values"]
    assert exception["value"] == "could not refund [email]"
    assert crash["tags"]["request_id"] == "req-42"
    assert crash["environment"] == "staging"
    assert "data" not in crash.get("request", {}) and "cookies" not in crash.get("request", {})
    assert "Email to [email] bounced" in json.dumps(bounce["logentry"])  # an error logged becomes a report too
    sent = json.dumps(result["events"])
    assert "example.com" not in sent and "my private words" not in sent
