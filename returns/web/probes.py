"""What a load balancer, systemd and Prometheus ask the portal: ``/healthz``, ``/readyz`` and ``/metrics``.

Answered by a middleware placed before Django's SecurityMiddleware, so a probe gets its answer
whatever Host header it sends (a load balancer asks by the host's address, which ALLOWED_HOSTS
rightly refuses for pages) and over plain HTTP (no redirect to HTTPS); nothing below it runs
(no session, no database for ``/healthz``). Only GET and HEAD are answered.

- ``/healthz``: 200 while the process serves. Touches nothing else.
- ``/readyz``: the database, the cache, the photo storage and the outboxes (no due email, refund or event
  waiting longer than ``READYZ_OUTBOX_MAX_AGE`` seconds): 200 with each check named, or 503 naming
  the failing ones. The reasons go to the log, never to the response: the public learns no host,
  version or error text.
- ``/metrics``: each outbox's waiting rows and oldest overdue age in Prometheus' text format, for a
  scraper that sends ``Authorization: Bearer <METRICS_TOKEN>``; a 404 when ``METRICS_TOKEN`` is unset,
  so the endpoint does not exist until an operator turns it on.

Four checks and one JSON shape are a page of code; django-health-check would add an app, its own
URLs (which ALLOWED_HOSTS and the HTTPS redirect would then refuse to a load balancer) and a custom
plugin for the outboxes anyway.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import FileSystemStorage, storages
from django.db import connection
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.utils.crypto import constant_time_compare, get_random_string

from returns.selectors.queues import outbox_queues

logger = logging.getLogger(__name__)

OK = "ok"
FAILING = "failing"
NOT_CHECKED = "not checked"


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache() -> None:
    key = f"readyz:{get_random_string(12)}"
    cache.set(key, "1", timeout=10)
    if cache.get(key) != "1":
        raise RuntimeError("the cache did not give back what was just stored")
    cache.delete(key)


def _storage() -> None:
    storage = storages["default"]
    if isinstance(storage, FileSystemStorage):
        # Photos are written on upload: the folder must exist (or be creatable) and be writable.
        location = Path(storage.location)
        location.mkdir(parents=True, exist_ok=True)
        if not os.access(location, os.W_OK | os.X_OK):
            raise PermissionError(f"{location} is not writable")
    else:
        # One HEAD request (a bucket's cheapest call): reaches the service with our credentials.
        storage.exists("readyz")


def _outbox() -> None:
    limit = settings.READYZ_OUTBOX_MAX_AGE
    late = [q.name for q in outbox_queues() if limit and q.oldest_overdue_seconds > limit]
    if late:
        raise RuntimeError(f"due rows waiting longer than {limit} s in: {', '.join(late)}")


CHECKS: dict[str, Callable[[], None]] = {
    "database": _database,
    "cache": _cache,
    "storage": _storage,
    "outbox": _outbox,
}
NEEDS_DATABASE = {"outbox"}


def healthz(request) -> HttpResponse:
    return JsonResponse({"status": OK})


def readyz(request) -> HttpResponse:
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        if name in NEEDS_DATABASE and results.get("database") != OK:
            results[name] = NOT_CHECKED
            continue
        try:
            check()
        except Exception as error:  # any failure at all means "not ready"; the reason is logged, not shown
            logger.warning("readyz: %s failing: %s: %s", name, type(error).__name__, error)
            results[name] = FAILING
        else:
            results[name] = OK
    failing = [name for name, result in results.items() if result == FAILING]
    body = {"status": FAILING if failing else OK, "checks": results}
    if failing:
        body["failing"] = failing
    return JsonResponse(body, status=503 if failing else 200)


def metrics(request) -> HttpResponse:
    token = settings.METRICS_TOKEN
    if not token:
        return HttpResponse("Not found", status=404, content_type="text/plain; charset=utf-8")
    given = request.headers.get("Authorization", "")
    if not constant_time_compare(given, f"Bearer {token}"):
        return HttpResponse(
            "A bearer token is required.",
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            content_type="text/plain; charset=utf-8",
        )
    queues = outbox_queues()
    lines = [
        "# HELP alotrop_outbox_waiting Rows an outbox worker has still to send (pending or being sent).",
        "# TYPE alotrop_outbox_waiting gauge",
        *(f'alotrop_outbox_waiting{{queue="{q.name}"}} {q.waiting}' for q in queues),
        "# HELP alotrop_outbox_oldest_overdue_seconds How long the oldest due row has waited for a worker.",
        "# TYPE alotrop_outbox_oldest_overdue_seconds gauge",
        *(f'alotrop_outbox_oldest_overdue_seconds{{queue="{q.name}"}} {q.oldest_overdue_seconds:.0f}' for q in queues),
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; version=0.0.4; charset=utf-8")


PROBES = {"/healthz": healthz, "/readyz": readyz, "/metrics": metrics}


class ProbeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = PROBES.get(request.path_info)
        if probe is None:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        response = probe(request)
        response["Cache-Control"] = "no-store"
        return response
