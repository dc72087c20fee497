"""How many guest links do 30 requests for one address get through README's gunicorn command?

    .venv/bin/python bench/throttle_gunicorn.py [--project DIR] [--requests 30]

Makes a throwaway SQLite database with one order, starts the deployment section's
gunicorn command (its workers and threads) on a free port with no CACHE_URL, and asks
for a link to that order's address: once from one client, once from as many clients as
requests (behind a proxy, NUM_PROXIES=1). Prints how many were answered (each one an
email) and how many refused. --project runs the same against another checkout.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

MAKE_ORDER = """
from django.utils import timezone
from returns.models import Order
Order.objects.create(number="100234", email="ana@example.com", placed_at=timezone.now(), payment_method="Visa")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ask(port: int, client_ip: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"X-Forwarded-For": client_ip}
    conn.request("GET", "/account/guest/", headers=headers)
    response = conn.getresponse()
    page = response.read().decode()
    cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie") or "").group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = f"csrfmiddlewaretoken={token}&order_number=100234&email=ana%40example.com"
    headers.update({"Cookie": f"csrftoken={cookie}", "Content-Type": "application/x-www-form-urlencoded"})
    conn.request("POST", "/account/guest/", body=body, headers=headers)
    status = conn.getresponse().status
    conn.close()
    return status


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--project", default=str(Path(__file__).resolve().parents[1]))
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    project = Path(args.project)
    python = sys.executable
    tmp = Path(tempfile.mkdtemp(prefix="throttle-"))
    env = {k: v for k, v in os.environ.items() if k not in ("CACHE_URL", "THROTTLE_STORE")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",  # static files from the apps, no collectstatic
        DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}",
        EMAIL_DELIVERY="worker",
        NUM_PROXIES="1",
        LOG_LEVEL="ERROR",
    )
    run = {"cwd": project, "env": env, "check": True, "capture_output": True, "text": True}
    subprocess.run([python, "manage.py", "migrate", "--noinput"], **run)
    subprocess.run([python, "manage.py", "shell", "-c", MAKE_ORDER], **run)
    readme = (project / "README.md").read_text()
    (line,) = [ln for ln in readme.splitlines() if ln.startswith(".venv/bin/gunicorn ")]
    for case, clients in (("one client", lambda n: "203.0.113.1"), ("a client each", lambda n: f"198.51.{n}.9")):
        port = free_port()
        command = shlex.split(re.sub(r"--bind \S+", f"--bind 127.0.0.1:{port}", line.split("#", 1)[0]))
        command[0] = str(Path(python).parent / "gunicorn")
        server = subprocess.Popen(command, cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(300):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    time.sleep(0.1)
            with ThreadPoolExecutor(6) as pool:
                statuses = list(pool.map(ask, [port] * args.requests, [clients(n) for n in range(args.requests)]))
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        print(
            f"{args.requests} requests for one address, {case}: {statuses.count(200)} links sent, "
            f"{statuses.count(429)} refused ({project}: {' '.join(command[1:])})"
        )
        # The next case starts a new window: a new address would do, but the same one shows the limit.
        subprocess.run([python, "manage.py", "shell", "-c", CLEAR], **run)


CLEAR = """
from django.apps import apps
models = {m.__name__: m for m in apps.get_app_config("accounts").get_models()}
if "ThrottleCount" in models:
    models["ThrottleCount"].objects.all().delete()
"""

if __name__ == "__main__":
    main()
