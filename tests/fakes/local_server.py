"""What every stand-in on 127.0.0.1 shares: a threaded HTTP server on a free port, started and stopped by the test."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from typing import Self


class LocalServer:
    """Subclasses give ``_handler()``; ``base_url`` is ``http://127.0.0.1:<port>``."""

    def _serve(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _handler(self):
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Self:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
