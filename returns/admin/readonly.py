"""Staff see these records but never edit, add or delete them: every change goes through a service
(an admin action or button), so the history and the emails follow."""

from __future__ import annotations


class ReadOnlyMixin:
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
