"""A small stand-in for Postmark's sending API on 127.0.0.1, for django-anymail's Postmark backend to talk to.

``POST /email`` with ``X-Postmark-Server-Token`` answers as Postmark documents: 200 with
``{"To", "SubmittedAt", "MessageID", "ErrorCode": 0, "Message": "OK"}``, or 401 with
``ErrorCode`` 10 for a wrong token, or 422 with ``ErrorCode`` 300 for a message without a
recipient. Every message received is kept (``sent``) for the test to read.
"""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SERVER_TOKEN = "postmark-test-server-token"


class FakePostmark:
    def __init__(self):
        self.sent: list[dict] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> FakePostmark:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                payload = json.loads(self.rfile.read(length) or b"{}")
                if self.headers.get("X-Postmark-Server-Token") != SERVER_TOKEN:
                    return self._answer(401, {"ErrorCode": 10, "Message": "Bad or missing Server API token."})
                if self.path.rstrip("/") != "/email":
                    return self._answer(404, {"ErrorCode": 404, "Message": "Not found."})
                if not payload.get("To"):
                    return self._answer(422, {"ErrorCode": 300, "Message": "Invalid 'To' address."})
                message_id = str(uuid.uuid4())
                fake.sent.append({**payload, "MessageID": message_id})
                return self._answer(
                    200,
                    {
                        "To": payload["To"],
                        "SubmittedAt": "2026-12-05T10:00:00.0000000-05:00",
                        "MessageID": message_id,
                        "ErrorCode": 0,
                        "Message": "OK",
                    },
                )

        return Handler
