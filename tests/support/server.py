"""README's own gunicorn command, run against the test database, and a visitor posting a form to it."""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings

from tests.support.mail import free_port

BASE_DIR = Path(__file__).resolve().parents[2]


def readme_gunicorn_command(port: int, workers: int | None = None) -> list[str]:
    """The deployment section's own gunicorn command, bound to a free port instead (and, if given, `workers`)."""
    readme = (BASE_DIR / "README.md").read_text()
    (line,) = [ln for ln in readme.splitlines() if ln.startswith(".venv/bin/gunicorn ")]
    line = re.sub(r"--bind \S+", f"--bind 127.0.0.1:{port}", line.split("#", 1)[0])
    if workers is not None:
        line = re.sub(r"--workers \d+", f"--workers {workers}", line)
    args = shlex.split(line)
    args[0] = str(Path(sys.executable).parent / "gunicorn")
    return args


def database_url() -> str:
    """The test database (SQLite file or PostgreSQL), as DATABASE_URL for a server process."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def wait_for(port: int, process, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not start")


@contextlib.contextmanager
def readme_gunicorn(workers: int | None = None, output: list[str] | None = None, **environ):
    """Serve the test database with README's gunicorn command (test settings, no CACHE_URL, unless ``environ``
    says otherwise); yields the port. ``output`` gets the lines the server wrote, once it has stopped."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in ("CACHE_URL", "THROTTLE_STORE")}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": database_url(), **environ})
    server = subprocess.Popen(
        readme_gunicorn_command(port, workers),
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(port, server)
        yield port
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            said, _ = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            said, _ = server.communicate()
        if output is not None:
            output.extend(said.splitlines())


def _form_ready(port: int, path: str, client_ip: str):
    """A visitor who has loaded the page: (connection, headers with the CSRF cookie, token)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"X-Forwarded-For": client_ip}
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    page = response.read().decode()
    cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie") or "").group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    headers |= {"Cookie": f"csrftoken={cookie}", "Content-Type": "application/x-www-form-urlencoded"}
    return conn, headers, token


def _form_send(conn, path: str, headers: dict, token: str, fields: dict) -> tuple[int, str]:
    conn.request("POST", path, body=urlencode({"csrfmiddlewaretoken": token, **fields}), headers=headers)
    response = conn.getresponse()
    result = response.status, response.read().decode()
    conn.close()
    return result


def post_form(port: int, path: str, fields: dict, client_ip: str) -> tuple[int, str]:
    """One visitor: load the page (CSRF cookie and token), then send the form; (status, page)."""
    conn, headers, token = _form_ready(port, path, client_ip)
    return _form_send(conn, path, headers, token, fields)


def post_forms_at_once(port: int, path: str, fields: dict, client_ips: list[str]) -> list[tuple[int, str]]:
    """One visitor per address loads the page, then all send the form at the same moment (one thread each)."""
    ready = [_form_ready(port, path, ip) for ip in client_ips]
    barrier = threading.Barrier(len(ready))

    def send(visitor):
        conn, headers, token = visitor
        barrier.wait()
        return _form_send(conn, path, headers, token, fields)

    with ThreadPoolExecutor(max_workers=len(ready)) as pool:
        return list(pool.map(send, ready))
