"""Measure whether photo uploads can starve the site: several clients upload big photos at once while
another client loads /policy/; prints that client's answer times.

Run it against the README's gunicorn command, with its settings and DATABASE_URL (it makes a demo order
and guest sessions there, and removes them afterwards):

    python -m bench photo_uploads --url http://127.0.0.1:8001

Each upload client comes from its own address (X-Forwarded-For; run gunicorn with
NUM_PROXIES=1 as behind a proxy) so the per-client hourly limit does not refuse them.
``--mode each`` sends each photo on its own request, as the start page's script does (but
all of a client's photos at once, the worst case); ``--mode form`` sends them all in one
start-a-return form, as a browser without JavaScript does. Bounded in time by ``--limit``.
"""

from __future__ import annotations

import http.client
import io
import json
import secrets
import statistics
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import import_module
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from PIL import Image

from returns.models import Order, OrderLine, PendingPhoto
from returns.services.guest_access import grant_guest_order


@dataclass
class Tally:
    statuses: dict[int, int] = field(default_factory=dict)
    retries: int = 0
    seconds: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status: int, seconds: float) -> None:
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1
            self.seconds.append(seconds)


def big_png(megapixels: float) -> bytes:
    """A smooth RGB picture of ``megapixels`` (about 1 MB as PNG, costly to decode), cached in the temp folder."""
    width = int((megapixels * 1_000_000 * 3 / 2) ** 0.5)
    height = int(megapixels * 1_000_000 // width)
    path = Path(tempfile.gettempdir()) / f"alotrop-bench-{width}x{height}.png"
    if path.exists():
        return path.read_bytes()
    red = Image.linear_gradient("L").resize((width, height))
    green = Image.radial_gradient("L").resize((width, height))
    blue = red.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    buffer = io.BytesIO()
    Image.merge("RGB", (red, green, blue)).save(buffer, "PNG", compress_level=1)
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for key, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode())
    for key, filename, data in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"; filename="{filename}"\r\n'
            "Content-Type: image/png\r\n\r\n"
        )
        parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))] if ordered else float("nan")


class Command(BaseCommand):
    help = "Upload big photos from several clients at once and report another client's /policy/ answer times."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8001", help="where gunicorn listens")
        parser.add_argument("--clients", type=int, default=3)
        parser.add_argument("--photos", type=int, default=8, help="photos per client")
        parser.add_argument("--megapixels", type=float, default=40.0)
        parser.add_argument("--mode", choices=["each", "form"], default="each")
        parser.add_argument("--limit", type=float, default=180.0, help="stop after this many seconds")

    def handle(self, *args, **options):
        target = urlsplit(options["url"])
        if target.scheme != "http" or not target.hostname:
            raise CommandError("--url must look like http://127.0.0.1:8001")
        self.host, self.port = target.hostname, target.port or 80
        png = big_png(options["megapixels"])
        self.stdout.write(f"Photo: {options['megapixels']:g} MP PNG, {len(png) / 1_000_000:.2f} MB on the wire.")
        order, line, sessions = self._setup(options["clients"])
        try:
            self._run(options, png, order, line, sessions)
        finally:
            self._teardown(order, sessions)

    # --- data in the server's database -------------------------------------------------

    def _setup(self, clients: int):
        number = f"BENCH-{secrets.token_hex(4).upper()}"
        order = Order.objects.create(
            number=number,
            email=f"{number.lower()}@example.com",
            placed_at=timezone.now() - timedelta(days=5),
            delivered_on=timezone.localdate() - timedelta(days=2),
            shipping_charged="5.99",
            payment_method="Visa ending 4242",
        )
        line = OrderLine.objects.create(order=order, sku="BENCH-1", name="Bench lamp", quantity=1, unit_price="45.00")
        store = import_module(settings.SESSION_ENGINE).SessionStore
        sessions = []
        for _ in range(clients):
            session = store()
            grant_guest_order(SimpleNamespace(session=session), order)  # as the guest link does
            session.create()
            sessions.append(session)
        return order, line, sessions

    def _teardown(self, order, sessions):
        from returns.services.photos import pending_photo_remove

        for photo in PendingPhoto.objects.filter(order_line__order=order):
            pending_photo_remove(photo=photo)
        for session in sessions:
            session.delete()
        order.return_requests.all().delete()
        order.delete()

    # --- the run -------------------------------------------------------------------------

    def _request(self, method, path, *, body=None, headers=None, timeout=120.0):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            data = response.read()
            return response.status, dict(response.getheaders()), data
        finally:
            conn.close()

    def _client_headers(self, session, index: int, content_type: str | None = None) -> dict:
        csrf = secrets.token_hex(16)  # an unmasked 32-character secret, as the cookie holds
        headers = {
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}; {settings.CSRF_COOKIE_NAME}={csrf}",
            "X-CSRFToken": csrf,
            "X-Forwarded-For": f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{index + 1}",
            "Host": self.host,
        }
        if content_type:
            headers["Content-Type"] = content_type
        return headers

    def _upload_each(self, order, line, session, index, png, tally, deadline):
        path = f"/orders/{order.number}/return/photos/"
        base = self._client_headers(session, index)

        def one(n):
            body, ctype = multipart({"line": str(line.pk), "kind": "issue"}, [("photo", f"photo-{n}.png", png)])
            for _attempt in range(13):  # as the page's script: up to 12 retries after a 503
                started = time.monotonic()
                try:
                    status, headers, _ = self._request(
                        "POST", path, body=body, headers={**base, "Content-Type": ctype}, timeout=deadline - started
                    )
                except (OSError, ValueError):
                    status, headers = 0, {}
                tally.add(status, time.monotonic() - started)
                if status != 503 or time.monotonic() > deadline:
                    return
                with tally.lock:
                    tally.retries += 1
                time.sleep(float(headers.get("Retry-After", "5")) + secrets.randbelow(3000) / 1000)

        threads = [threading.Thread(target=one, args=(n,)) for n in range(self.photos)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def _upload_form(self, order, line, session, index, png, tally, deadline):
        prefix = f"line-{line.pk}"
        fields = {
            "submission_key": str(uuid.uuid4()),
            f"{prefix}-selected": "on",
            f"{prefix}-quantity": "1",
            f"{prefix}-reason": "damaged",
            f"{prefix}-description": "",  # bounces after the photos are processed: nothing is made
            f"{prefix}-preference": "refund",
        }
        files = [(f"{prefix}-issue_photos", f"photo-{n}.png", png) for n in range(self.photos)]
        body, ctype = multipart(fields, files)
        started = time.monotonic()
        try:
            status, _, _ = self._request(
                "POST",
                f"/orders/{order.number}/return/",
                body=body,
                headers=self._client_headers(session, index, ctype),
                timeout=deadline - started,
            )
        except (OSError, ValueError):
            status = 0
        tally.add(status, time.monotonic() - started)

    def _policy_times(self, stop: threading.Event, deadline: float, times: list[float], failures: list[int]):
        while not stop.is_set() and time.monotonic() < deadline:
            started = time.monotonic()
            try:
                status, _, _ = self._request("GET", "/policy/", headers={"Host": self.host}, timeout=60)
            except (OSError, ValueError):
                status = 0
            times.append(time.monotonic() - started)
            if status != 200:
                failures.append(status)
            time.sleep(0.1)

    def _run(self, options, png, order, line, sessions):
        self.photos = options["photos"]
        baseline: list[float] = []
        for _ in range(10):
            started = time.monotonic()
            status, _, _ = self._request("GET", "/policy/", headers={"Host": self.host}, timeout=30)
            if status != 200:
                raise CommandError(f"/policy/ answered {status}: is the server running with these settings?")
            baseline.append(time.monotonic() - started)

        deadline = time.monotonic() + options["limit"]
        tally, times, failures, stop = Tally(), [], [], threading.Event()
        watcher = threading.Thread(target=self._policy_times, args=(stop, deadline, times, failures))
        upload = self._upload_each if options["mode"] == "each" else self._upload_form
        clients = [
            threading.Thread(target=upload, args=(order, line, session, i, png, tally, deadline))
            for i, session in enumerate(sessions)
        ]
        started = time.monotonic()
        watcher.start()
        for t in clients:
            t.start()
        for t in clients:
            t.join(max(0.0, deadline - time.monotonic()))
        elapsed = time.monotonic() - started
        stop.set()
        watcher.join()

        kept = PendingPhoto.objects.filter(order_line__order=order).count()
        report = {
            "mode": options["mode"],
            "clients": len(sessions),
            "photos_per_client": self.photos,
            "uploads_took_s": round(elapsed, 1),
            "upload_statuses": tally.statuses,
            "upload_retries_after_503": tally.retries,
            "photos_kept": kept,
            "policy_baseline_p50_ms": round(statistics.median(baseline) * 1000),
            "policy_requests_during": len(times),
            "policy_p50_ms": round(percentile(times, 0.50) * 1000),
            "policy_p99_ms": round(percentile(times, 0.99) * 1000),
            "policy_max_ms": round(max(times, default=float("nan")) * 1000),
            "policy_failures": failures,
        }
        self.stdout.write(json.dumps(report, indent=2))
