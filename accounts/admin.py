from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm

from accounts.lockout import cool_off
from accounts.models import User


class EmailUserCreationForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")


class EmailUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = EmailUserChangeForm
    add_form = EmailUserCreationForm
    ordering = ("email",)
    list_display = ("email", "full_name", "email_verified", "is_staff", "is_active")
    list_filter = ("is_staff", "is_superuser", "is_active", "email_verified", "groups")
    search_fields = ("email", "full_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("full_name", "email_verified")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),)


@admin.register(AccessAttempt)
class SignInFailureAdmin(admin.ModelAdmin):
    """Failed sign-ins (django-axes), for the superuser: who is paused, and a way to end a pause.

    One row per account, client address and browser not known to the account (a known browser
    counts its own, accounts/devices.py); an account pauses at LOGIN_FAILURE_LIMIT
    failures in all its rows, a client at LOGIN_FAILURE_LIMIT_PER_CLIENT. Deleting rows
    (Unlock) forgets those failures at once.
    """

    list_display = ("username", "ip_address", "failures_since_start", "attempt_time", "counts_until", "path_info")
    list_filter = ("path_info",)
    search_fields = ("username", "ip_address")
    date_hierarchy = "attempt_time"
    ordering = ("-attempt_time",)
    fields = ("username", "ip_address", "user_agent", "path_info", "failures_since_start", "attempt_time")
    readonly_fields = fields
    actions = ("unlock",)

    @admin.display(description="Counts until")
    def counts_until(self, attempt):
        return attempt.attempt_time + cool_off()

    @admin.action(description="Unlock: forget these failed sign-ins")
    def unlock(self, request, queryset):
        count, _ = queryset.delete()
        self.message_user(request, f"Forgot {count} failed sign-in record(s): they can sign in again.", messages.INFO)

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
