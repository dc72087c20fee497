"""A store's webhook receiver on 127.0.0.1: keeps every request it gets (headers, raw body, when).

Told what to answer next: a queue of status codes (then 200), or a delay before answering
(for timeouts and slow endpoints). Real HTTP, so the sender's client, timeouts and headers are the ones
production uses.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

from tests.fakes.local_server import LocalServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.time() when the body had arrived


class Receiver(LocalServer):
    def __init__(self, *, delay: float = 0.0):
        self.delay = delay
        self.statuses: deque[int] = deque()
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        self._serve()

    @property
    def url(self) -> str:
        return f"{self.base_url}/hooks"

    def answer(self, *statuses: int) -> None:
        self.statuses.extend(statuses)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout=timeout)
            return list(self.received)

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.arrived:
                    receiver.received.append(Received(self.path, dict(self.headers.items()), body, time.time()))
                    receiver.arrived.notify_all()
                    status = receiver.statuses.popleft() if receiver.statuses else 200
                if receiver.delay:
                    time.sleep(receiver.delay)
                text = b'{"ok": true}' if status < 300 else b"Internal error: " + b"x" * 3000
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(text)))
                    self.end_headers()
                    self.wfile.write(text)
                except OSError:
                    pass  # the sender gave up waiting

        return Handler
