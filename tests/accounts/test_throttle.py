"""The link throttle counts where every process sees it: the database by default, Redis when set."""

from __future__ import annotations

import http.client
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from django.test import override_settings
from django.urls import reverse

from accounts.models import ThrottleCount
from returns.models import Notification
from tests.support.mail import free_port

BASE_DIR = Path(__file__).resolve().parents[2]


def ask(client, email="ana@example.com", **extra):
    return client.post(reverse("accounts:guest"), {"order_number": "100234", "email": email}, **extra)


@pytest.mark.django_db
def test_without_cache_url_the_counts_are_rows_in_the_database_holding_no_address(client, settings, order):
    settings.THROTTLE_STORE = "database"
    for _ in range(3):
        assert ask(client).status_code == 200
    assert ask(client).status_code == 429
    counts = dict(ThrottleCount.objects.values_list("key", "count"))
    assert sorted(counts.values()) == [3, 4, 4]  # the address (refused ones not counted), the pair, the client
    assert not any("ana" in key or "example" in key for key in counts)


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.django_db
@pytest.mark.skipif(not _redis_reachable(), reason="no Redis on 127.0.0.1:6379")
def test_cache_url_redis_counts_in_redis(client, settings, order):
    settings.THROTTLE_STORE = "cache"
    redis_cache = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    with override_settings(CACHES=redis_cache):
        caches["default"].clear()
        try:
            for _ in range(3):
                assert ask(client).status_code == 200
            assert ask(client).status_code == 429
            assert not ThrottleCount.objects.exists()
            assert ask(client, REMOTE_ADDR="198.51.100.7").status_code == 200
        finally:
            caches["default"].clear()


REDIS_URL = f"redis://127.0.0.1:6379/{14 - (os.getpid() % 8)}"


def readme_gunicorn_command(port: int) -> list[str]:
    """The deployment section's own gunicorn command, bound to a free port instead."""
    readme = (BASE_DIR / "README.md").read_text()
    (line,) = [ln for ln in readme.splitlines() if ln.startswith(".venv/bin/gunicorn ")]
    line = re.sub(r"--bind \S+", f"--bind 127.0.0.1:{port}", line.split("#", 1)[0])
    args = shlex.split(line)
    args[0] = str(Path(sys.executable).parent / "gunicorn")
    return args


def _database_url() -> str:
    db = django_settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _wait_for(port: int, process, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not start")


def _ask_over_http(port: int, client_ip: str) -> int:
    """One visitor: load the form (CSRF cookie and token), then ask for the link."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"X-Forwarded-For": client_ip}
    conn.request("GET", "/account/guest/", headers=headers)
    response = conn.getresponse()
    page = response.read().decode()
    cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie") or "").group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = f"csrfmiddlewaretoken={token}&order_number=100234&email=ana%40example.com"
    conn.request(
        "POST",
        "/account/guest/",
        body=body,
        headers={**headers, "Cookie": f"csrftoken={cookie}", "Content-Type": "application/x-www-form-urlencoded"},
    )
    status = conn.getresponse().status
    conn.close()
    return status


@pytest.mark.django_db(transaction=True)
def test_30_requests_for_one_address_across_gunicorn_workers_send_5_links(order):
    """README's gunicorn command (3 workers), no CACHE_URL: the workers count together."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in ("CACHE_URL", "THROTTLE_STORE")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=_database_url(),
        EMAIL_DELIVERY="worker",
        NUM_PROXIES="1",
    )
    server = subprocess.Popen(
        readme_gunicorn_command(port),
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for(port, server)
        # 30 visitors from 30 addresses, 6 at a time, so all three workers serve some.
        with ThreadPoolExecutor(6) as pool:
            statuses = list(pool.map(lambda n: _ask_over_http(port, f"203.0.113.{n + 1}"), range(30)))
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    assert statuses.count(200) == 5, statuses
    assert statuses.count(429) == 25
    assert Notification.objects.filter(event="guest_link", to="ana@example.com").count() == 5
