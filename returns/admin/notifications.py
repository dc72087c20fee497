"""The email outbox, for staff to see what went out, what waits, and to send a failed one again."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html

from returns.admin.readonly import ReadOnlyMixin
from returns.admin.search import RequestSearchMixin
from returns.domain.events import Event
from returns.domain.history import event_label
from returns.models import Notification
from returns.outbox.account_emails import AccountEmail
from returns.outbox.mail import notification_retry

# Every step an email tells of: the events that email someone, then the account emails.
EMAIL_STEPS = [(e.value, e.staff_label) for e in Event if e.emails_customer or e.staff_email] + AccountEmail.choices


def step_label(value: str) -> str:
    return AccountEmail(value).label if value in AccountEmail.values else event_label(value)


class EventFilter(admin.SimpleListFilter):
    """By the step the email tells of, from a fixed list (the admin's own would scan every row for its choices)."""

    title = "step"
    parameter_name = "event"

    def lookups(self, request, model_admin):
        return EMAIL_STEPS

    def queryset(self, request, queryset):
        return queryset.filter(event=self.value()) if self.value() else queryset


@admin.register(Notification)
class NotificationAdmin(ReadOnlyMixin, RequestSearchMixin, admin.ModelAdmin):
    class Media:  # the double-click guard on every form that changes something
        css = {"all": ("css/staff-desk.css",)}
        js = ("js/staff-once.js",)

    # Five columns fit 1280 px: attempts and times sit under the state; the rest is on the email's page.
    list_display = ("created", "to", "subject", "step", "state_column")
    list_display_links = ("subject",)
    list_filter = ("state", "audience", EventFilter, ("created_at", admin.DateFieldListFilter))
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

    @admin.display(description="Created", ordering="created_at")
    def created(self, obj):
        return format_html(
            '<span class="rr-nowrap">{}</span>', timezone.localtime(obj.created_at).strftime("%b %d %H:%M")
        )

    @admin.display(description="Step", ordering="event")
    def step(self, obj):
        return step_label(obj.event)

    @admin.display(description="State", ordering="state")
    def state_column(self, obj):
        if obj.state == Notification.State.SENT and obj.sent_at:
            when = f"sent {timezone.localtime(obj.sent_at):%b %d %H:%M}"
        elif obj.state in (Notification.State.PENDING, Notification.State.FAILED):
            when = f"next try {timezone.localtime(obj.next_attempt_at):%b %d %H:%M}"
        else:
            when = ""
        tries = f"{obj.attempts} attempt{'s' if obj.attempts != 1 else ''}"
        strong = obj.state == Notification.State.FAILED
        return format_html(
            '<span class="{}">{}</span><br><span class="rr-muted">{}{}</span>',
            "rr-overdue" if strong else "",
            obj.get_state_display(),
            tries,
            f" · {when}" if when else "",
        )

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
        # Nothing is edited (ReadOnlyMixin); the "change" permission is what allows sending a failed email again.
        return request.user.has_perm("returns.change_notification")
