"""A return's conversation on staff's side: the thread on the request page with its reply form, and the
*Messages waiting* queue (customers' messages nobody has answered yet, oldest first), and the
*Unmatched email* list (replies that could not safely join a return) for staff to assign or dismiss.

Writes go through ``returns.services.messages``: a reply emails the customer and answers the
messages waiting on that return.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from returns.admin.display import age_in_days
from returns.admin.readonly import ReadOnlyMixin
from returns.exceptions import ReturnsError
from returns.models import Message, ReturnRequest, UnmatchedEmail
from returns.roles import PERM_REPLY, UserPermissions
from returns.selectors.staff import messages_waiting_q
from returns.services.inbound_mail import unmatched_assign, unmatched_dismiss
from returns.services.messages import message_dismiss, message_reply, messages_dismiss_waiting


class ConversationViews:
    """Mixed into ReturnRequestAdmin: the reply view its ``get_urls`` adds."""

    def conversation_context(self, request, detail) -> dict:
        thread = list(detail.messages.all())
        return {
            "thread": thread,
            "can_reply": PERM_REPLY in UserPermissions(request.user),
            "reply_url": reverse("admin:returns_returnrequest_reply", args=[detail.pk]),
            "waiting_count": sum(1 for m in thread if m.author == Message.Author.CUSTOMER and m.answered_at is None),
        }

    def reply_view(self, request, object_id):
        obj = self._request_for_step(request, object_id)
        back = reverse("admin:returns_returnrequest_change", args=[obj.pk]) + "#messages"
        try:
            if request.POST.get("no_answer_needed"):
                messages_dismiss_waiting(request=obj, by=request.user)
                done = "Marked as needing no answer."
            else:
                message_reply(request=obj, by=request.user, body=request.POST.get("body", ""))
                done = f"Reply sent to {obj.order.email}. It shows on the customer's page too."
        except ReturnsError as exc:
            self.message_user(request, str(exc), level=messages.ERROR)
        else:
            self.message_user(request, done, level=messages.SUCCESS)
        return HttpResponseRedirect(back)

    def conversation_urls(self):
        from django.urls import path

        view = self.admin_site.admin_view(self.reply_view)
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        return [path("<path:object_id>/reply/", view, name=f"{name}_reply")]


class WaitingFilter(admin.SimpleListFilter):
    title = "answered"
    parameter_name = "waiting"

    def lookups(self, request, model_admin):
        return [("yes", "Waiting for an answer"), ("no", "Answered")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(messages_waiting_q())
        if self.value() == "no":
            return queryset.filter(author=Message.Author.CUSTOMER, answered_at__isnull=False)
        return queryset


@admin.register(Message)
class MessageAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Customers' messages, the oldest waiting first; each opens its return's thread (or its order)."""

    list_display = ("waiting_since", "about", "customer", "excerpt", "by_email")
    list_display_links = None
    list_filter = (WaitingFilter,)
    list_select_related = ("order", "request")
    list_per_page = 50
    ordering = ("created_at", "id")
    actions = ("mark_no_answer_needed",)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(author=Message.Author.CUSTOMER)

    @admin.action(description="Mark as needing no answer")
    def mark_no_answer_needed(self, request, queryset):
        try:
            for message in queryset.filter(messages_waiting_q()):
                message_dismiss(message=message, by=request.user)
        except ReturnsError as exc:
            self.message_user(request, str(exc), level=messages.ERROR)

    @admin.display(description="Waiting since", ordering="created_at")
    def waiting_since(self, obj):
        if obj.answered_at:
            return "Answered"
        days = age_in_days(obj.created_at)
        return f"{obj.created_at:%b %-d, %H:%M} ({'today' if days == 0 else f'{days} d'})"

    @admin.display(description="About")
    def about(self, obj):
        if obj.request_id:
            url = reverse("admin:returns_returnrequest_change", args=[obj.request_id]) + "#messages"
            return format_html('<a href="{}">{}</a>', url, obj.request.rma)
        url = reverse("admin:returns_order_change", args=[obj.order_id])
        return format_html('<a href="{}">Order {}</a> (no return yet)', url, obj.order.number)

    @admin.display(description="Customer")
    def customer(self, obj):
        return obj.order.customer_name or obj.order.email

    @admin.display(description="Message")
    def excerpt(self, obj):
        return Truncator(obj.body).chars(120)

    @admin.display(description="By email", boolean=True)
    def by_email(self, obj):
        return bool(obj.email_message_id)


class AssignForm(forms.Form):
    rma = forms.CharField(label="RMA of the return it belongs to", max_length=20)

    def clean_rma(self):
        rma = self.cleaned_data["rma"].strip().upper()
        found = ReturnRequest.objects.filter(rma=rma).first()
        if found is None:
            raise forms.ValidationError(f"No return {rma}. Check the RMA and try again.")
        return found


@admin.register(UnmatchedEmail)
class UnmatchedEmailAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Mail that could not safely join a return: staff read it, add it to a return, or dismiss it."""

    list_display = ("received_at", "sender", "subject", "why", "state")
    list_filter = ("state",)
    list_per_page = 50
    ordering = ("-received_at",)
    fields = ("received_at", "sender", "recipients", "subject", "text", "why", "state", "handled_by", "handled_at")
    readonly_fields = fields
    change_form_template = "admin/returns/unmatchedemail/change_form.html"

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        from django.urls import path

        view = self.admin_site.admin_view(self.sort_view)
        return [path("<path:object_id>/sort/", view, name="returns_unmatchedemail_sort"), *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        extra = {}
        if obj is not None and obj.state == UnmatchedEmail.State.OPEN and PERM_REPLY in UserPermissions(request.user):
            extra = {
                "assign_form": AssignForm(),
                "sort_url": reverse("admin:returns_unmatchedemail_sort", args=[obj.pk]),
            }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def sort_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:returns_unmatchedemail_change", args=[object_id]))
        email = self.get_object(request, unquote(object_id))
        if email is None:
            raise Http404("No such email")
        try:
            if request.POST.get("dismiss"):
                unmatched_dismiss(email=email, by=request.user)
                self.message_user(request, "Dismissed.", level=messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:returns_unmatchedemail_changelist") + "?state__exact=open")
            form = AssignForm(request.POST)
            if not form.is_valid():
                self.message_user(request, " ".join(form.errors["rma"]), level=messages.ERROR)
                return HttpResponseRedirect(reverse("admin:returns_unmatchedemail_change", args=[email.pk]))
            target = form.cleaned_data["rma"]
            unmatched_assign(email=email, request=target, by=request.user)
        except ReturnsError as exc:
            self.message_user(request, str(exc), level=messages.ERROR)
            return HttpResponseRedirect(reverse("admin:returns_unmatchedemail_change", args=[email.pk]))
        self.message_user(request, f"Added to {target.rma}'s conversation.", level=messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:returns_returnrequest_change", args=[target.pk]) + "#messages")
