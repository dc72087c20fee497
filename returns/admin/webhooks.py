"""The store's webhook endpoints and what was sent to them, for the superuser only.

An endpoint is added here or by ``manage.py webhooks add``; its signing secret is shown once, on the
page that follows the add, never again (it is not put in a message, which would travel in a cookie).
Deliveries list every attempt (status, time, the first KB of the answer) and can be sent again.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from returns.admin.readonly import ReadOnlyMixin
from returns.domain.events import EVENT_OF_TYPE
from returns.exceptions import EndpointRefused
from returns.models import EventDelivery, EventDeliveryAttempt, WebhookEndpoint
from returns.outbox.http_post import url_problem
from returns.outbox.webhooks import delivery_send_again
from returns.services.endpoints import (
    webhook_endpoint_add,
    webhook_endpoint_enable,
    webhook_endpoint_remove,
    webhook_endpoint_roll_secret,
)


class SuperuserOnly:
    """The superuser's alone: endpoints receive every return's data and their secrets sign for the store; an API
    key (``returns.admin.api_keys``) reads every return."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


class EndpointForm(forms.ModelForm):
    url = forms.URLField(
        max_length=2000,
        assume_scheme="https",
        help_text="https://… of the store's system; it receives a signed POST for each event.",
    )
    events = forms.MultipleChoiceField(
        choices=[(t, t) for t in sorted(EVENT_OF_TYPE)],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every event.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("description",)  # the url is declared above (https assumed)

    def clean_url(self):
        url = self.cleaned_data["url"]
        problem = url_problem(url, allow_private=settings.WEBHOOKS_ALLOW_PRIVATE)
        if problem:
            raise forms.ValidationError(problem)
        return url


def secret_page(model_admin, request, endpoint: WebhookEndpoint, secret: str, heading: str):
    return TemplateResponse(
        request,
        "admin/returns/webhookendpoint/secret.html",
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.model._meta,
            "title": heading,
            "endpoint": endpoint,
            "secret": secret,
            "endpoint_url": reverse("admin:returns_webhookendpoint_change", args=[endpoint.pk]),
        },
    )


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(SuperuserOnly, admin.ModelAdmin):
    form = EndpointForm
    list_display = ("url", "hears", "state", "created_at")
    list_filter = ("enabled",)
    actions = ["enable", "roll_secret"]
    readonly_fields = ("url", "description", "hears", "state", "created_at", "deliveries_link")

    def get_fields(self, request, obj=None):
        return ("url", "description", "events") if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return False  # what an endpoint hears is set when it is added; remove and add it again to change it

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    @admin.display(description="Hears")
    def hears(self, obj):
        return ", ".join(obj.event_types) or "every event"

    @admin.display(description="State", ordering="enabled")
    def state(self, obj):
        if obj.enabled:
            return "Enabled" + (
                f" (failing since {timezone.localtime(obj.failing_since):%b %d %H:%M})" if obj.failing_since else ""
            )
        return format_html(
            '<span class="rr-overdue">Disabled {}</span>: {}',
            f"{timezone.localtime(obj.disabled_at):%b %d %H:%M}" if obj.disabled_at else "",
            obj.disabled_reason,
        )

    @admin.display(description="Deliveries")
    def deliveries_link(self, obj):
        url = reverse("admin:returns_eventdelivery_changelist") + f"?endpoint__id__exact={obj.pk}"
        return format_html('<a href="{}">Every event sent to it, with its attempts</a>', url)

    def save_model(self, request, obj, form, change):
        try:
            endpoint, secret = webhook_endpoint_add(
                url=form.cleaned_data["url"],
                event_types=form.cleaned_data["events"],
                description=form.cleaned_data.get("description", ""),
            )
        except EndpointRefused as exc:  # the form asked the same check; a setting changed in between
            raise PermissionDenied(str(exc)) from exc
        obj.pk = endpoint.pk
        request.webhook_secret = secret

    def response_add(self, request, obj, post_url_continue=None):
        endpoint = WebhookEndpoint.objects.get(pk=obj.pk)
        return secret_page(self, request, endpoint, request.webhook_secret, "Endpoint added: its signing secret")

    def delete_model(self, request, obj):
        webhook_endpoint_remove(endpoint_id=obj.pk)

    def delete_queryset(self, request, queryset):
        for pk in list(queryset.values_list("pk", flat=True)):
            webhook_endpoint_remove(endpoint_id=pk)

    @admin.action(description="Enable the selected endpoints again (what waited is sent in order)")
    def enable(self, request, queryset):
        for endpoint in queryset:
            webhook_endpoint_enable(endpoint=endpoint)
        self.message_user(request, f"{queryset.count()} endpoint(s) enabled.", messages.SUCCESS)

    @admin.action(description="Roll the signing secret (the old one signs too for a while)")
    def roll_secret(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Roll one endpoint's secret at a time.", messages.ERROR)
            return None
        endpoint = queryset.get()
        secret = webhook_endpoint_roll_secret(endpoint=endpoint)
        return secret_page(self, request, endpoint, secret, "New signing secret")


class AttemptInline(admin.TabularInline):
    model = EventDeliveryAttempt
    fields = ("at", "status_code", "error", "response", "milliseconds")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "Attempts"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


@admin.register(EventDelivery)
class EventDeliveryAdmin(SuperuserOnly, ReadOnlyMixin, admin.ModelAdmin):
    change_form_template = "admin/returns/eventdelivery/change_form.html"
    list_display = ("created_at", "event_type", "rma", "endpoint", "state", "attempts", "last_status")
    list_filter = ("state", "endpoint")
    list_select_related = ("event", "endpoint", "request")
    search_fields = ("request__rma", "event__message_id")
    search_help_text = "RMA or webhook-id (msg_…)."
    fields = ("event_type", "message_id", "rma", "endpoint", "state", "attempts", "next_attempt_at",
              "delivered_at", "last_status", "last_error", "body")  # fmt: skip
    readonly_fields = fields
    inlines = [AttemptInline]
    actions = ["send_again"]

    @admin.display(description="Event", ordering="event__type")
    def event_type(self, obj):
        return obj.event.type

    @admin.display(description="webhook-id")
    def message_id(self, obj):
        return obj.event.message_id

    @admin.display(description="RMA", ordering="request__rma")
    def rma(self, obj):
        return obj.request.rma

    @admin.display(description="Body sent")
    def body(self, obj):
        return obj.event.body

    def get_urls(self):
        view = self.admin_site.admin_view(require_POST(self.send_again_view))
        return [
            path("<path:object_id>/send-again/", view, name="returns_eventdelivery_send_again"),
            *super().get_urls(),
        ]

    def send_again_view(self, request, object_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        delivery = self.get_object(request, object_id)  # None for an id that is not one (no 500)
        if delivery is None:
            raise Http404
        delivery_send_again(delivery=delivery)
        self.message_user(request, "Queued: the webhook worker sends it within seconds.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:returns_eventdelivery_change", args=[delivery.pk]))

    def has_send_again_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    @admin.action(description="Send the selected events again now", permissions=["send_again"])
    def send_again(self, request, queryset):
        for delivery in queryset:
            delivery_send_again(delivery=delivery)
        self.message_user(request, f"{queryset.count()} event(s) queued to send again.", messages.SUCCESS)
