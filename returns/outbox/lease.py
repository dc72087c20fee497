"""The one lease-and-retry under every outbox (emails, refunds to the provider, and whatever comes next).

A worker claims the next due row in a short transaction of its own: it locks the row
(``SELECT ... FOR UPDATE SKIP LOCKED``, so two workers never take the same row), marks it
held with a lease that runs out, counts the attempt and commits before the slow call
(SMTP, the payment provider). It then saves the outcome only while the lease is still
its own, so a worker that was presumed dead cannot overwrite the row's next owner. A row
whose worker died is due again once its lease has run out. Failures wait longer each
time, from one backoff table.

This module knows no outbox: each gives its model, when a row is due, what a held row
looks like and the fields it keeps the lease, the next attempt and the count in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from core.logs import bound

# Minutes to wait after the 1st, 2nd, … failed attempt; the last step repeats.
BACKOFF_MINUTES = (1, 5, 15, 30, 60, 120, 240, 480)


def retry_at(attempts: int, now: datetime) -> datetime:
    """When to try again after ``attempts`` failed attempts."""
    return now + timedelta(minutes=BACKOFF_MINUTES[min(attempts - 1, len(BACKOFF_MINUTES) - 1)])


@dataclass(frozen=True)
class Lease:
    """How one outbox's rows are claimed and finished.

    ``due(now)`` selects the rows whose turn has come, including held rows whose lease ran
    out; ``held`` are the field values of a claimed row (set on claim, required to finish);
    ``duration()`` is read at each claim, so a setting can size it.
    """

    model: type[models.Model]
    due: Callable[[datetime], Q]
    lease_field: str
    duration: Callable[[], timedelta]
    held: Mapping[str, Any] = field(default_factory=dict)
    next_attempt_field: str = "next_attempt_at"
    attempts_field: str = "attempts"
    # Loaded with a claimed row for the attempt (a second query, after the claim committed).
    related: tuple[str, ...] = ()

    def _touched(self) -> dict[str, datetime]:
        """``auto_now`` columns: an UPDATE keeps them current only when told to."""
        now = timezone.now()
        return {f.name: now for f in self.model._meta.concrete_fields if getattr(f, "auto_now", False)}

    def claim(
        self,
        now: datetime,
        *,
        ids: Iterable[int] | None = None,
        skip: Iterable[int] = (),
        wait: bool = False,
        where: Q | None = None,
    ):
        """Take the next due row (of ``ids``, if given, matching ``where``), or None: lease it and count the attempt.

        ``wait`` waits for a row another transaction holds instead of passing it by: right after
        a click, the row named is the one wanted, and a second click may hold it for a moment.
        """
        with transaction.atomic():
            rows = self.model.objects.filter(self.due(now)).exclude(pk__in=list(skip))
            if where is not None:
                rows = rows.filter(where)
            if ids is not None:
                rows = rows.filter(pk__in=list(ids))
            row = rows.select_for_update(skip_locked=not wait).order_by(self.next_attempt_field, "id").first()
            if row is None:
                return None
            for name, value in self.held.items():
                setattr(row, name, value)
            setattr(row, self.lease_field, now + self.duration())
            setattr(row, self.attempts_field, getattr(row, self.attempts_field) + 1)
            changed = [*self.held, self.lease_field, self.attempts_field, *self._touched()]
            row.save(update_fields=list(dict.fromkeys(changed)))
        if self.related:
            return self.model.objects.select_related(*self.related).get(pk=row.pk)
        return row

    def claimed(
        self,
        *,
        now: datetime | None = None,
        ids: Iterable[int] | None = None,
        limit: int,
        wait: bool = False,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> Iterator[tuple[Any, datetime]]:
        """Claim due rows one at a time, each at most once, yielding each with the moment it was claimed at."""
        ids = None if ids is None else list(ids)
        skip: set[int] = set()
        for _ in range(limit):
            if should_stop():
                return
            moment = now or timezone.now()
            row = self.claim(moment, ids=ids, skip=skip, wait=wait)
            if row is None:
                return
            skip.add(row.pk)
            # Every line logged while this row is handled names it: notification_id=…, refund_id=…
            with bound(**{f"{self.model._meta.model_name}_id": row.pk}):
                yield row, moment

    def finish(self, row, **fields) -> bool:
        """Save the outcome of this claim, unless the lease ran out and another worker took the row over."""
        mine = {self.lease_field: getattr(row, self.lease_field), **self.held}
        return bool(self.model.objects.filter(pk=row.pk, **mine).update(**self._touched(), **fields))

    def retry(self, row, now: datetime, **fields) -> datetime | None:
        """Finish this attempt as failed: the row is due again after the backoff for its attempts so far.

        Returns when, or None when the row was not this worker's any more.
        """
        due = retry_at(getattr(row, self.attempts_field), now)
        return due if self.finish(row, **{self.next_attempt_field: due}, **fields) else None
