"""Errors to Sentry (sentry-sdk) when ``SENTRY_DSN`` is set, with customers' data kept out.

What never leaves: request bodies (``max_request_body_size="never"``: forms carry addresses and
messages), cookies and the user (``send_default_pii=False``), frames' local variables (an email's
body, a customer's row), and any email address anywhere in the event (messages, exception values,
breadcrumbs, URLs), replaced by ``[email]``. Each event is tagged with the log lines' ``request_id``
(core/logs.py), so a report leads to the request's lines.
"""

from __future__ import annotations

import re
from typing import Any

from core.logs import current

EMAIL = re.compile(r"[^\s@<>\"'(),;:/=&?]+@[^\s@<>\"'(),;:/=&?]+\.[A-Za-z]{2,}")
REDACTED_EMAIL = "[email]"


def _scrubbed(value: Any) -> Any:
    if isinstance(value, str):
        return EMAIL.sub(REDACTED_EMAIL, value)
    if isinstance(value, dict):
        return {key: _scrubbed(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrubbed(item) for item in value]
    return value


def scrub(event: dict, hint: dict | None = None) -> dict:
    request = event.get("request") or {}
    for field in ("data", "cookies"):
        request.pop(field, None)
    event = _scrubbed(event)
    request_id = current("request_id")
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return event


def sentry_init(dsn: str, *, environment: str, **options: Any) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration()],
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        before_send=scrub,
        before_send_transaction=scrub,
        traces_sample_rate=0.0,
        **options,
    )
