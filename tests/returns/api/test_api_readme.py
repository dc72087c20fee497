"""README's copy-paste API examples, run as written against a live server: the curl call and the Python walk."""

import json
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from returns.selectors.public import moment
from returns.services.api_keys import api_key_add
from returns.services.requests import return_request_approve
from tests.returns.api.test_api_store import make_returns

README = Path(__file__).resolve().parents[3] / "README.md"


def block(marker: str) -> str:
    return re.search(rf"<!-- {marker} -->\n```\w+\n(.*?)```", README.read_text(), re.S).group(1)


@pytest.fixture
def store(transactional_db, service_agent):
    """Five returns, the first three approved; a key."""
    made = make_returns(5)
    for request in made[:3]:
        return_request_approve(request=request, by=service_agent, return_required=True)
    return made, api_key_add(name="ERP")[1]


def test_the_python_walk_reads_every_page(live_server, store):
    made, key = store
    scope: dict = {}
    exec(block("api-python"), scope)  # noqa: S102  (README's own text)
    since = moment(timezone.now() - timedelta(hours=1))
    read = list(scope["changed_returns"](live_server.url, key, since, limit=2))
    assert sorted(r["rma"] for r in read) == sorted(r.rma for r in made)
    assert list(scope["changed_returns"](live_server.url, key, moment(timezone.now() + timedelta(hours=1)))) == []


@pytest.mark.skipif(not shutil.which("curl"), reason="curl is not installed")
def test_the_curl_call_lists_approved_returns_with_the_key_and_is_refused_without(live_server, store):
    made, key = store
    script = block("api-curl").replace("2026-12-05T10:00:00Z", moment(timezone.now() - timedelta(hours=1)))
    env = {"PATH": "/usr/bin:/bin", "ALOTROP_URL": live_server.url, "ALOTROP_API_KEY": key}
    bash = shutil.which("bash")
    ok = subprocess.run([bash, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert sorted(r["rma"] for r in json.loads(ok.stdout)["data"]) == sorted(r.rma for r in made[:3])
    refused = subprocess.run([bash, "-c", script], env={**env, "ALOTROP_API_KEY": ""}, capture_output=True,
                             text=True, check=True)  # fmt: skip
    assert "Bearer <key>" in json.loads(refused.stdout)["error"]  # no key: refused, with how to send one
