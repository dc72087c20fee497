"""README's copy-paste checks of an event's signature, run as written against an event the worker sent."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from standardwebhooks import WebhookVerificationError

from returns.outbox.webhooks import deliveries_send_due
from returns.services.endpoints import webhook_endpoint_add
from returns.services.requests import return_request_approve
from tests.returns.admin.test_admin import fixture_submitted  # noqa: F401  (the fixture is used by name)

pytestmark = pytest.mark.django_db
README = Path(__file__).resolve().parents[3] / "README.md"


def block(marker: str) -> str:
    return re.search(rf"<!-- {marker} -->\n```\w+\n(.*?)```", README.read_text(), re.S).group(1)


@pytest.fixture
def sent(submitted, service_agent, receiver):
    _, secret = webhook_endpoint_add(url=receiver.url)
    return_request_approve(request=submitted, by=service_agent, return_required=True)
    deliveries_send_due()
    return receiver.received[0], secret


def test_the_python_check_accepts_the_event_and_refuses_a_changed_body(sent):
    got, secret = sent
    scope: dict = {}
    exec(block("verify-python"), scope)  # noqa: S102  (README's own text)
    assert scope["verified_event"](got.body, got.headers, secret)["type"] == "return.approved"
    with pytest.raises(WebhookVerificationError):
        scope["verified_event"](got.body.replace(b"12.50", b"99.50"), got.headers, secret)


@pytest.mark.skipif(not shutil.which("openssl"), reason="openssl is not installed")
def test_the_shell_check_accepts_the_event_and_refuses_a_changed_body(sent, tmp_path):
    got, secret = sent
    env = {
        "PATH": "/usr/bin:/bin",
        "SECRET": secret,
        "ID": got.headers["webhook-id"],
        "TS": got.headers["webhook-timestamp"],
        "SIGNATURE": got.headers["webhook-signature"],
    }
    script = block("verify-shell")
    bash = shutil.which("bash")
    (tmp_path / "body.json").write_bytes(got.body)
    ok = subprocess.run([bash, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert (ok.returncode, ok.stdout.strip()) == (0, "valid")
    (tmp_path / "body.json").write_bytes(got.body.replace(b"12.50", b"99.50"))
    bad = subprocess.run([bash, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert (bad.returncode, bad.stdout.strip()) == (1, "INVALID")
