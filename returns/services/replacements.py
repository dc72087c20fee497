"""R9: sending the replacement that an inspection promised."""

from __future__ import annotations

from django.db import transaction

from returns.domain.events import Event
from returns.exceptions import AlreadyDone, InvalidTransition
from returns.models import (
    ReturnLine,
)
from returns.services.history import PERM_REPLACEMENT, close_if_settled, locked, record_note, require


def replacement_send(*, line: ReturnLine, by, note: str = "") -> ReturnLine:
    """R9: the replacement for one line is on its way."""
    require(by, PERM_REPLACEMENT, "arrange replacements")
    with transaction.atomic():
        request = locked(line.request)
        line = ReturnLine.objects.select_for_update().select_related("order_line").get(pk=line.pk)
        if line.replacement_status == ReturnLine.ReplacementStatus.SENT:
            raise AlreadyDone(f"The replacement for {line.order_line.name} was already sent.")
        if line.replacement_status != ReturnLine.ReplacementStatus.PENDING:
            raise InvalidTransition(f"No replacement is due for {line.order_line.name}.")
        line.replacement_status = ReturnLine.ReplacementStatus.SENT
        line.save(update_fields=["replacement_status"])
        text = f"Replacement for {line.order_line.name} × {line.quantity} sent. {note.strip()}".strip()
        record_note(request, by=by, event=Event.REPLACEMENT_SENT, note=text)
        close_if_settled(request, by=by)
    return line
