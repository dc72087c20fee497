"""Orders as the store sold them, with their lines inline. What a return depends on cannot be changed,
except the delivery date, by support, with a reason (``services.orders``). Shopify id conflicts the
Shopify webhook refused are listed for staff here too."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from returns.admin.readonly import ReadOnlyMixin
from returns.admin.search import ConstantCostListMixin, matching_order_ids
from returns.exceptions import ReturnsError
from returns.intake import FROZEN_ONCE_RETURNED
from returns.models import CustomerErasure, Order, OrderLine, ReturnLine, ReturnRequest, ShopifyIdConflict
from returns.roles import PERM_START_FOR_CUSTOMER, UserPermissions
from returns.services.customer_data import customer_erase
from returns.services.orders import can_correct_delivery_date, order_delivery_date_correct

IN_A_RETURN = "In a return request: cannot be changed or deleted."
PROTECTED = "Cannot be deleted"


def _request_links(requests) -> str:
    return format_html_join(
        ", ",
        '<a href="{}" class="rr-nowrap">{}</a>',
        ((reverse("admin:returns_returnrequest_change", args=[r.pk]), r.rma) for r in requests),
    )


class OrderLineFormSet(BaseInlineFormSet):
    """Lines already in a return keep their Delete box disabled: the returns point at them (PROTECT)."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].widget.attrs["aria-label"] = "Delete this line"
        line = form.instance
        if line.pk and list(line.return_lines.all()):
            # What was paid is what refunds are computed from: frozen once returned.
            for name in ("sku", "quantity", "unit_price", "unit_tax", "final_sale", "personalized", "DELETE"):
                if name in form.fields:
                    form.fields[name].disabled = True
            if "DELETE" in form.fields:
                form.fields["DELETE"].help_text = IN_A_RETURN


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    formset = OrderLineFormSet
    extra = 0
    fields = (
        "sku",
        "name",
        "quantity",
        "unit_price",
        "unit_tax",
        "final_sale",
        "personalized",
        "quantity_in_returns",
        "in_returns",
    )
    readonly_fields = ("quantity_in_returns", "in_returns")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        """Each field of a line is a cell under a column heading: name it for screen readers too."""
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None:
            field.widget.attrs["aria-label"] = str(db_field.verbose_name).capitalize()
        return field

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("return_lines", queryset=ReturnLine.objects.select_related("request")))
        )

    @admin.display(description="Return requests")
    def in_returns(self, line):
        if not line.pk:
            return "—"
        requests = [rl.request for rl in line.return_lines.all()]
        if not requests:
            return "—"
        return format_html(
            '{}<br><strong title="{}" class="rr-protected">{}</strong>',
            _request_links(requests),
            IN_A_RETURN,
            PROTECTED,
        )


@admin.register(Order)
class OrderAdmin(ConstantCostListMixin, admin.ModelAdmin):
    list_display = ("number", "email", "customer_name", "placed_at", "delivered_on", "currency", "free_shipping")
    list_filter = ("free_shipping", ("placed_at", admin.DateFieldListFilter))
    search_fields = ("number",)  # exact number or email through their indexes: returns.admin.search
    search_help_text = "Order number or customer email (part of one on PostgreSQL)."
    inlines = [OrderLineInline]
    readonly_fields = ("return_requests",)
    actions = ["erase_customer_data"]

    class Media:  # lines that fit; the double-click guard on Save
        css = {"all": ("css/admin-returns.css", "css/staff-desk.css")}
        js = ("js/staff-once.js",)

    def has_erase_permission(self, request) -> bool:
        return request.user.is_superuser

    @admin.action(description="Erase these customers' personal data (GDPR)", permissions=["erase"])
    def erase_customer_data(self, request, queryset):
        """The same as ``manage.py customer_erase``, for each selected order's email, after a confirmation page."""
        emails = sorted(set(queryset.values_list("email", flat=True)))
        if request.POST.get("confirmed") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "emails": emails,
                "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
                "title": "Erase customers' personal data",
            }
            return TemplateResponse(request, "admin/returns/order/erase_customer.html", context)
        for email in emails:
            try:
                erasure = customer_erase(email=email, by=request.user, how="admin")
            except ReturnsError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"A customer's data was erased (record {erasure.pk}); kept, anonymised: orders "
                    f"{', '.join(erasure.orders) or 'none'}, returns {', '.join(erasure.returns) or 'none'}.",
                    messages.SUCCESS,
                )
        return None

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return queryset.filter(pk__in=matching_order_ids(search_term)), False

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        """The date and the time of a split field each get a name a screen reader reads."""
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        widgets = getattr(getattr(field, "widget", None), "widgets", None)
        if widgets and len(widgets) == 2:
            label = str(db_field.verbose_name).capitalize()
            widgets[0].attrs["aria-label"] = f"{label}: date"
            widgets[1].attrs["aria-label"] = f"{label}: time"
        return field

    def get_readonly_fields(self, request, obj=None):
        """Once an order has returns, its email (who sees it) and money (what refunds use) stay as they are."""
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.return_requests.exists():
            fields += FROZEN_ONCE_RETURNED
        return [*fields, "delivery_date_changes"]  # last: under the kept date it explains

    @admin.display(description="Return requests")
    def return_requests(self, order):
        if not order.pk:
            return "—"
        requests = ReturnRequest.objects.filter(order=order).order_by("created_at")
        return _request_links(requests) or "—"

    @admin.display(description="Delivery date changes")
    def delivery_date_changes(self, order):
        """Who changed the kept delivery date, when, from, to and why."""
        rows = format_html_join(
            mark_safe("<br>"),
            "{} by {}: {} → {}. Why: {}",
            (
                (
                    f"{timezone.localtime(c.at):%Y-%m-%d %H:%M}",
                    c.by or "a deleted account",
                    c.from_value or "none",
                    c.to_value,
                    c.reason,
                )
                for c in (order.corrections.select_related("by") if order.pk else ())
            ),
        )
        return rows or "—"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """Offers "Change the delivery date" to those allowed, on an order with returns (whose date is kept)."""
        order = self.get_object(request, unquote(object_id))
        extra = {}
        if order is not None and can_correct_delivery_date(request.user) and order.return_requests.exists():
            extra["delivery_date_url"] = reverse("admin:returns_order_delivery_date", args=[order.pk])
        if order is not None and PERM_START_FOR_CUSTOMER in UserPermissions(request.user):
            extra["start_return_url"] = reverse("returns:start_for_customer", args=[order.number])
        if order is not None and request.user.has_perm("returns.view_message"):
            # What the customer wrote about this order before any return: answered by starting one.
            extra["order_messages"] = list(order.messages.filter(request__isnull=True).prefetch_related("photos"))
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def get_urls(self):
        view = self.admin_site.admin_view(self.delivery_date_view)
        return [path("<path:object_id>/delivery-date/", view, name="returns_order_delivery_date"), *super().get_urls()]

    def delivery_date_view(self, request, object_id):
        """Support changes the delivery date of an order with returns, with a reason kept on the order."""
        if not can_correct_delivery_date(request.user):
            raise PermissionDenied
        order = self.get_object(request, unquote(object_id))
        if order is None:
            raise Http404
        form = DeliveryDateForm(request.POST or None, initial={"delivered_on": order.delivered_on})
        if request.method == "POST" and form.is_valid():
            try:
                order_delivery_date_correct(
                    order=order,
                    delivered_on=form.cleaned_data["delivered_on"],
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                )
            except ReturnsError as error:
                form.add_error(None, str(error))
            else:
                self.message_user(
                    request,
                    f"The delivery date of order {order.number} is now {form.cleaned_data['delivered_on']}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:returns_order_change", args=[order.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Change the delivery date of order {order.number}",
            "order": order,
            "form": form,
        }
        return TemplateResponse(
            request, "admin/returns/order/delivery_date.html", context, status=400 if form.errors else 200
        )


class DeliveryDateForm(forms.Form):
    delivered_on = forms.DateField(label="Delivered on", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(
        label="Why",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept with the change, for whoever looks at this order later (e.g. the carrier's proof of delivery).",
    )


@admin.register(ShopifyIdConflict)
class ShopifyIdConflictAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Orders Shopify sent with a Shopify id another order here already has: refused, listed here for staff."""

    list_display = ("number", "shopify_order_id", "existing_order", "times", "first_seen_at", "last_seen_at")
    list_select_related = ("order",)

    @admin.display(description="Order here with this Shopify id")
    def existing_order(self, conflict):
        if conflict.order is None:
            return "— (deleted)"
        url = reverse("admin:returns_order_change", args=[conflict.order_id])
        return format_html('<a href="{}">{}</a>', url, conflict.order.number)


@admin.register(CustomerErasure)
class CustomerErasureAdmin(admin.ModelAdmin):
    """Who erased which customer's data and when (superusers only; the record holds no address)."""

    list_display = ("erased_at", "by", "how", "orders", "returns", "removed")
    list_filter = ("how",)

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
