"""Log lines an operator can follow: the request or the outbox row each line belongs to.

``bound(**fields)`` adds fields to every log record written inside it, on this thread or task
(a context variable): the request middleware binds ``request_id``, the outbox workers bind each
row's id (``notification_id``, ``refund_id``). ``ContextFilter`` copies them onto the records;
with ``LOG_FORMAT=json`` python-json-logger writes each record as one JSON object on one line
(``time``, ``level``, ``logger``, ``message``, then the bound and ``extra`` fields).

``RequestLogMiddleware`` comes first: it takes the request id from ``X-Request-ID`` (when it is a
plain token of at most 64 characters; a new one otherwise), echoes it in the response, and writes
one line per request with its method, path, status and duration (the probes at DEBUG: a load
balancer asks every few seconds).
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pythonjsonlogger.json import JsonFormatter

_fields: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("log_fields", default={})  # noqa: B039

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

requests_log = logging.getLogger("core.requests")


@contextmanager
def bound(**fields: Any) -> Iterator[None]:
    """Every record logged inside carries these fields (nested blocks add to the outer ones)."""
    token = _fields.set({**_fields.get(), **fields})
    try:
        yield
    finally:
        _fields.reset(token)


def current(name: str) -> Any:
    return _fields.get().get(name)


class ContextFilter(logging.Filter):
    """Puts the bound fields on each record; ``request_id`` is always there (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = _fields.get()
        for name, value in fields.items():
            if not hasattr(record, name):
                setattr(record, name, value)
        if not hasattr(record, "request_id"):
            # Django logs a 4xx or 5xx answer (django.request) after the middleware has returned,
            # outside the bound block, but hands the request along.
            record.request_id = getattr(getattr(record, "request", None), "request_id", "-")
        return True


def json_formatter() -> logging.Formatter:
    """One JSON object per line; Django's ``request`` extra (an object) is left out rather than printed."""
    return JsonFormatter(
        "{levelname}{name}{message}{request_id}",
        style="{",
        rename_fields={"levelname": "level", "name": "logger"},
        reserved_attrs=[*_RESERVED, "request", "server_time"],
        timestamp="time",  # ISO 8601 in UTC, from the record's creation
    )


_RESERVED = [
    "args",
    "created",
    "exc_info",  # a traceback, when there is one, is written as text under the same key
    "exc_text",
    "filename",
    "funcName",
    "levelno",
    "lineno",
    "module",
    "msecs",
    "msg",
    "pathname",
    "process",
    "processName",
    "relativeCreated",
    "stack_info",
    "thread",
    "threadName",
    "taskName",
]


def request_id_from(header: str | None) -> str:
    if header and _REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        started = time.monotonic()
        with bound(request_id=request_id):
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            level = logging.DEBUG if request.path_info in PROBE_PATHS else logging.INFO
            requests_log.log(
                level,
                "%s %s %s",
                request.method,
                request.path_info,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path_info,
                    "status": response.status_code,
                    "duration_ms": round((time.monotonic() - started) * 1000, 1),
                },
            )
        return response
