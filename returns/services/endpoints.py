"""The store's webhook endpoints: add one (its secret shown once), remove, enable again, roll its secret.

Called by ``manage.py webhooks`` and the superuser's admin pages. The URL is checked here (https only
unless WEBHOOKS_ALLOW_PRIVATE); the addresses it resolves to are checked at each send
(``returns.outbox.http_post``), since a name can change its answer after it was added.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from returns.domain.events import EVENT_OF_TYPE
from returns.exceptions import EndpointRefused
from returns.models import WebhookEndpoint
from returns.outbox.http_post import url_problem

SECRET_BYTES = 24


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and the base64 of random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def event_types_problem(types: Iterable[str]) -> str:
    unknown = sorted(set(types) - set(EVENT_OF_TYPE))
    if unknown:
        return f"Unknown event type(s): {', '.join(unknown)}. Known: {', '.join(sorted(EVENT_OF_TYPE))}."
    return ""


def webhook_endpoint_add(
    *, url: str, event_types: Iterable[str] = (), description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint hearing ``event_types`` (none: every type); returns it and its secret, shown only now."""
    url = url.strip()
    types = sorted(set(event_types))
    problem = url_problem(url, allow_private=settings.WEBHOOKS_ALLOW_PRIVATE) or event_types_problem(types)
    if problem:
        raise EndpointRefused(problem)
    secret = new_secret()
    endpoint = WebhookEndpoint.objects.create(
        url=url, event_types=types, description=description.strip(), secrets=[{"secret": secret, "until": None}]
    )
    return endpoint, secret


def webhook_endpoint_remove(*, endpoint_id: int) -> bool:
    """Remove the endpoint and whatever it had still to receive; False when there was none."""
    deleted, _ = WebhookEndpoint.objects.filter(pk=endpoint_id).delete()
    return bool(deleted)


def webhook_endpoint_enable(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Enable a disabled endpoint: what waited for it is sent, in order, from now."""
    with transaction.atomic():
        row = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        row.enabled = True
        row.failing_since = None
        row.disabled_at = None
        row.disabled_reason = ""
        row.save(update_fields=["enabled", "failing_since", "disabled_at", "disabled_reason"])
        row.deliveries.filter(state="pending").update(next_attempt_at=timezone.now())
    return row


def webhook_endpoint_roll_secret(*, endpoint: WebhookEndpoint, overlap_hours: int | None = None) -> str:
    """A new secret signs from now; the ones before go on signing for ``overlap_hours`` (both are sent)."""
    hours = settings.WEBHOOKS_SECRET_OVERLAP_HOURS if overlap_hours is None else overlap_hours
    until = (timezone.now() + timedelta(hours=hours)).isoformat()
    secret = new_secret()
    with transaction.atomic():
        row = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        kept = [{**entry, "until": entry.get("until") or until} for entry in row.secrets if hours > 0]
        kept = [entry for entry in kept if entry["until"] > timezone.now().isoformat()]
        row.secrets = [{"secret": secret, "until": None}, *kept]
        row.save(update_fields=["secrets"])
    return secret
