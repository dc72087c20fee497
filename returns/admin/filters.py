"""List filters. The queues use the same definitions as the overview (``selectors``), so numbers match lists."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin
from django.db.models import Exists, OuterRef

from returns.conf import store_today
from returns.domain import policy
from returns.models import Reason, ReturnLine
from returns.selectors.staff import (
    awaiting_inspection_q,
    held_for_review_q,
    on_the_way_q,
    overdue_to_ship_q,
    refunds_issued_between,
    replacements_to_send_q,
    store_week,
    waiting_for_review_q,
)

QUEUE_REVIEW = "review"
QUEUE_HELD = "held"
QUEUE_OVERDUE = "overdue"
QUEUE_INSPECTION = "inspection"
QUEUE_ON_THE_WAY = "on_the_way"
QUEUE_REPLACEMENTS = "replacements"

QUEUE_LABELS = {
    QUEUE_REVIEW: "To review",
    QUEUE_HELD: "Held by a risk rule",
    QUEUE_OVERDUE: "Overdue to ship",
    QUEUE_ON_THE_WAY: "On the way",
    QUEUE_INSPECTION: "To inspect",
    QUEUE_REPLACEMENTS: "Replacements to send",
}


def queue_condition(queue: str):
    if queue == QUEUE_REVIEW:
        return waiting_for_review_q()
    if queue == QUEUE_HELD:
        return held_for_review_q()
    if queue == QUEUE_OVERDUE:
        return overdue_to_ship_q(store_today())
    if queue == QUEUE_ON_THE_WAY:
        return on_the_way_q()
    if queue == QUEUE_INSPECTION:
        return awaiting_inspection_q()
    if queue == QUEUE_REPLACEMENTS:
        return replacements_to_send_q()
    return None


class QueueFilter(admin.SimpleListFilter):
    title = "needs attention"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return list(QUEUE_LABELS.items())

    def queryset(self, request, queryset):
        condition = queue_condition(self.value())
        return queryset.filter(condition) if condition is not None else queryset


class StatusFilter(admin.SimpleListFilter):
    """By status, in staff's words; the same parameter as the admin's own field filter."""

    title = "status"
    parameter_name = "status__exact"

    def lookups(self, request, model_admin):
        from returns.domain.history import STAFF_STATUS_LABELS

        return list(STAFF_STATUS_LABELS.items())

    def queryset(self, request, queryset):
        from returns.models import ReturnStatus

        if self.value() in ReturnStatus.values:
            return queryset.filter(status=self.value())
        return queryset


class ReasonFilter(admin.SimpleListFilter):
    """Any line of the request gives this reason."""

    title = "reason"
    parameter_name = "reason"

    def lookups(self, request, model_admin):
        return Reason.choices

    def queryset(self, request, queryset):
        if self.value() not in Reason.values:
            return queryset
        return queryset.filter(Exists(ReturnLine.objects.filter(request=OuterRef("pk"), reason=self.value())))


class FaultClaimFilter(admin.SimpleListFilter):
    """The customer claims damage, a defect or a wrong item on at least one line."""

    title = "fault claimed"
    parameter_name = "fault"

    def lookups(self, request, model_admin):
        return [("yes", "Yes (damaged, defective, wrong item)"), ("no", "No (standard reasons only)")]

    def queryset(self, request, queryset):
        claims = Exists(ReturnLine.objects.filter(request=OuterRef("pk"), reason__in=policy.FAULT_REASONS))
        if self.value() == "yes":
            return queryset.filter(claims)
        if self.value() == "no":
            return queryset.exclude(claims)
        return queryset


class IssuedFilter(admin.SimpleListFilter):
    """Refunds issued in a store week (Monday start) or month, in the store's time zone."""

    title = "issued"
    parameter_name = "issued"

    def lookups(self, request, model_admin):
        return [("this_week", "This week"), ("last_week", "Last week"), ("this_month", "This month")]

    def queryset(self, request, queryset):
        today = store_today()
        if self.value() == "this_week":
            start, end = store_week(today)
        elif self.value() == "last_week":
            start, end = store_week(today - timedelta(days=7))
        elif self.value() == "this_month":
            start, end = today.replace(day=1), today
        else:
            return queryset
        return refunds_issued_between(queryset, start, end)
