"""R9: sending the replacement that an inspection promised."""

from __future__ import annotations

from django.db import transaction

from returns.domain import steps
from returns.domain.events import Event
from returns.domain.steps import ReplacementFacts, Step
from returns.models import (
    ReturnLine,
)
from returns.roles import Actor, UserPermissions
from returns.services.history import close_if_settled, locked, record_note


def replacement_send(*, line: ReturnLine, by: Actor, note: str = "") -> ReturnLine:
    """R9: the replacement for one line is on its way."""
    perms = UserPermissions(by)
    steps.may(Step.SEND_REPLACEMENT, perms).or_raise()
    with transaction.atomic():
        request = locked(line.request)
        line = ReturnLine.objects.select_for_update().select_related("order_line").get(pk=line.pk)
        steps.can_send_replacement(ReplacementFacts.of(line), perms).or_raise()
        line.replacement_status = ReturnLine.ReplacementStatus.SENT
        line.save(update_fields=["replacement_status"])
        text = f"Replacement for {line.order_line.name} × {line.quantity} sent. {note.strip()}".strip()
        record_note(request, by=by, event=Event.REPLACEMENT_SENT, note=text)
        close_if_settled(request, by=by)
    return line
