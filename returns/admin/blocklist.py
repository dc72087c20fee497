"""The email block list customer service keeps: requests from these addresses always wait for staff."""

from __future__ import annotations

from django.contrib import admin

from returns.admin.display import person
from returns.models import BlockedEmail


@admin.register(BlockedEmail)
class BlockedEmailAdmin(admin.ModelAdmin):
    list_display = ("email", "reason", "added", "created_at")
    search_fields = ("email",)
    search_help_text = "The exact email."
    fields = ("email", "reason")
    show_facets = admin.ShowFacets.NEVER

    class Media:
        css = {"all": ("css/staff-desk.css",)}
        js = ("js/staff-once.js",)

    @admin.display(description="Added by")
    def added(self, obj):
        return person(obj.added_by) if obj.added_by_id else "—"

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip().lower()
        return (queryset.filter(email=term), False) if term else (queryset, False)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)
