"""The store's API keys, for the superuser only: add one (the key shown once, on the page after Save), see
when each was last used, revoke. A key reads every return and refund, so nobody else sees this list."""

from __future__ import annotations

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from returns.admin.webhooks import SuperuserOnly
from returns.models import ApiKey
from returns.services.api_keys import api_key_add, api_key_revoke


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        if self.value() in ("active", "revoked"):
            return queryset.filter(revoked_at__isnull=self.value() == "active")
        return queryset


@admin.register(ApiKey)
class ApiKeyAdmin(SuperuserOnly, admin.ModelAdmin):
    list_display = ("name", "shown_prefix", "state", "created_by", "created_at", "last_used_at")
    list_filter = (StateFilter,)
    list_select_related = ("created_by",)
    readonly_fields = ("name", "shown_prefix", "state", "revoked_at", "created_by", "created_at", "last_used_at")
    actions = ["revoke"]

    class Media:  # the desk's styles (underlined links); the double-click guard: one click, one key
        css = {"all": ("css/admin-returns.css", "css/staff-desk.css")}
        js = ("js/staff-once.js",)

    def get_fields(self, request, obj=None):
        return ("name",) if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return False  # a key's name and hash stay as made; revoke it and add another

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, not deleted: the list keeps who made each key and when it was last used

    def has_revoke_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    @admin.display(description="Key starts with")
    def shown_prefix(self, obj):
        return f"{obj.prefix}…"

    @admin.display(description="State", ordering="revoked_at")
    def state(self, obj):
        return format_html('<span class="{}">Revoked</span>', "rr-overdue") if obj.revoked_at else "Active"

    def add_view(self, request, form_url="", extra_context=None):
        # One way on: Save, then the page that shows the key once.
        only_save = {"show_save_and_add_another": False, "show_save_and_continue": False}
        return super().add_view(request, form_url, {**(extra_context or {}), **only_save})

    def save_model(self, request, obj, form, change):
        row, key = api_key_add(name=form.cleaned_data["name"], by=request.user)
        obj.pk = row.pk
        request.api_key_shown_once = key

    def response_add(self, request, obj, post_url_continue=None):
        row = ApiKey.objects.get(pk=obj.pk)
        return TemplateResponse(
            request,
            "admin/returns/apikey/key.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": "API key added: the key",
                "api_key": row,
                "key": request.api_key_shown_once,
                "list_url": reverse("admin:returns_apikey_changelist"),
            },
        )

    @admin.action(description="Revoke the selected keys (refused from their next call)", permissions=["revoke"])
    def revoke(self, request, queryset):
        for pk in list(queryset.values_list("pk", flat=True)):
            api_key_revoke(key_id=pk)
        self.message_user(request, f"{queryset.count()} key(s) revoked.", messages.SUCCESS)
