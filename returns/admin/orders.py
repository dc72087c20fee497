"""Orders as the store sold them, with their lines inline. What a return depends on cannot be changed."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Prefetch
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from returns.admin.search import ConstantCostListMixin, matching_order_ids
from returns.intake import FROZEN_ONCE_RETURNED
from returns.models import Order, OrderLine, ReturnLine, ReturnRequest

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

    class Media:  # lines that fit; the double-click guard on Save
        css = {"all": ("css/admin-returns.css", "css/staff-desk.css")}
        js = ("js/staff-once.js",)

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
        return fields

    @admin.display(description="Return requests")
    def return_requests(self, order):
        if not order.pk:
            return "—"
        requests = ReturnRequest.objects.filter(order=order).order_by("created_at")
        return _request_links(requests) or "—"
