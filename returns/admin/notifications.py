"""The email outbox, for staff to see what went out, what waits, and to send a failed one again."""

from __future__ import annotations

from django.contrib import admin, messages

from ..models import Notification
from ..notifications import notification_retry
from .search import RequestSearchMixin


@admin.register(Notification)
class NotificationAdmin(RequestSearchMixin, admin.ModelAdmin):
    list_display = ("created_at", "to", "subject", "event", "state", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("state", "audience", "event", ("created_at", admin.DateFieldListFilter))
    search_fields = ("to",)  # and the request's RMA, order, email, tracking: returns.admin.search
    search_help_text = "Recipient's email, RMA, order number or tracking number."
    search_request_field = "request"
    search_extra_exact = ("to",)
    list_select_related = ("request",)
    readonly_fields = (
        "request",
        "event",
        "audience",
        "to",
        "subject",
        "state",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
        "body",
    )
    fields = readonly_fields
    actions = ["send_again"]

    @admin.display(description="Body")
    def body(self, obj):
        # Link emails carry sign-in links, reset links and codes: nobody reads those here.
        if obj.secret:
            return "Hidden: this email carries a private link or code (erased once sent)."
        return obj.body_text

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # Nothing is edited; "change" is what allows sending a failed email again.
        return False

    @admin.action(description="Send the selected emails again now", permissions=["resend"])
    def send_again(self, request, queryset):
        waiting = [n for n in queryset if n.state != Notification.State.SENT]
        for note in waiting:
            notification_retry(notification=note)
        skipped = queryset.count() - len(waiting)
        self.message_user(request, f"{len(waiting)} email(s) queued to send now.", messages.SUCCESS)
        if skipped:
            self.message_user(request, f"{skipped} already sent; not sent twice.", messages.WARNING)

    def has_resend_permission(self, request):
        return request.user.has_perm("returns.change_notification")
