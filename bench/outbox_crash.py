"""How many duplicate emails does a `kill -9` of the email worker cause? (a real SMTP server, aiosmtpd)

    .venv/bin/python bench/outbox_crash.py [--emails 400] [--kills 10] [--project DIR] [--database-url URL]

Makes a throwaway SQLite database with N emails in the outbox, starts
`manage.py send_notifications --loop` against an aiosmtpd server on 127.0.0.1 that
takes SMTP_DELAY per message, kills the worker with SIGKILL at random moments during
the batch, restarts it each time, lets the last one finish, then counts the messages
the server received per outbox row (by the X-Alotrop-Notification header).
--project runs the same against another checkout (e.g. an older commit) for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from email import message_from_bytes
from pathlib import Path

from aiosmtpd.controller import Controller

SMTP_DELAY = 0.03


class Inbox:
    def __init__(self):
        self.by_row = collections.Counter()
        self.message_ids = collections.defaultdict(set)

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(SMTP_DELAY)
        message = message_from_bytes(envelope.content)
        self.by_row[message["X-Alotrop-Notification"]] += 1
        self.message_ids[message["X-Alotrop-Notification"]].add(message["Message-ID"])
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


MAKE_ROWS = """
from django.utils import timezone
from returns.domain.events import Event
from returns.models import Notification, Order, ReturnRequest, StatusChange
order = Order.objects.create(number="B-1", email="c@example.com", placed_at=timezone.now(), payment_method="Visa")
req = ReturnRequest.objects.create(order=order)
changes = StatusChange.objects.bulk_create(
    [StatusChange(request=req, to_status="submitted", event=Event.SUBMITTED) for _ in range(COUNT)]
)
Notification.objects.bulk_create([
    Notification(request=req, change=c, event=Event.SUBMITTED, audience="customer", to="c@example.com",
                 subject="Mail %s" % n, body_text="Hi")
    for n, c in enumerate(changes)
])
print(Notification.objects.count())
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--emails", type=int, default=400)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--project", default=str(Path(__file__).resolve().parents[1]))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default="", help="an empty database to use (default: a new SQLite file)")
    args = parser.parse_args()
    random.seed(args.seed)
    project = Path(args.project)
    python = str(Path(sys.executable))
    tmp = Path(tempfile.mkdtemp(prefix="outbox-crash-"))
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": "False",
        "DATABASE_URL": args.database_url or f"sqlite:///{tmp / 'db.sqlite3'}",
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "EMAIL_DELIVERY": "worker",
        "NOTIFICATION_LEASE_SECONDS": "2",
        "LOG_LEVEL": "ERROR",
    }
    run = {"cwd": project, "env": env, "check": True, "capture_output": True, "text": True}
    subprocess.run([python, "manage.py", "migrate", "--noinput"], **run)
    subprocess.run([python, "manage.py", "shell", "-c", MAKE_ROWS.replace("COUNT", str(args.emails))], **run)
    worker_cmd = [python, "manage.py", "send_notifications", "--loop", "--interval", "0.2"]
    kills = 0
    try:
        while kills < args.kills:
            worker = subprocess.Popen(worker_cmd, cwd=project, env=env, stdout=subprocess.DEVNULL)
            # Once this worker is sending (a few more messages arrived), kill it at a random moment.
            before = sum(inbox.by_row.values())
            deadline = time.monotonic() + 60
            while sum(inbox.by_row.values()) < before + 3 and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(random.uniform(0, 0.2))
            if worker.poll() is not None or len(inbox.by_row) >= args.emails:
                break
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            kills += 1
        # The last worker finishes the batch (crashed claims come back after their lease).
        worker = subprocess.Popen(worker_cmd, cwd=project, env=env, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(inbox.by_row) < args.emails:
            time.sleep(0.5)
        time.sleep(3)  # anything a retry would still send
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    finally:
        controller.stop()
    received = sum(inbox.by_row.values())
    duplicates = received - len(inbox.by_row)
    print(f"project: {project}")
    print(f"emails in the outbox: {args.emails}; kill -9 during the batch: {kills}")
    print(f"messages received: {received}; distinct emails received: {len(inbox.by_row)}")
    missing = args.emails - len(inbox.by_row)
    resent = [row for row, n in inbox.by_row.items() if n > 1]
    same_id = sum(1 for row in resent if len(inbox.message_ids[row]) == 1)
    print(f"resent emails that kept their Message-ID: {same_id} of {len(resent)}")
    print(f"duplicates: {duplicates} ({duplicates / max(kills, 1):.2f} per kill); missing: {missing}")


if __name__ == "__main__":
    main()
