"""Refunds, read-only, and their CSV export for accounting. Issuing is a button on the request's page."""

from __future__ import annotations

import csv

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from returns.admin.display import money, person
from returns.admin.filters import IssuedFilter
from returns.admin.forms import RefundExportForm
from returns.admin.readonly import ReadOnlyMixin
from returns.admin.search import RequestSearchMixin
from returns.models import Refund
from returns.selectors.staff import refunds_issued_between

PERM_VIEW_REFUND = "returns.view_refund"
EXPORT_COLUMNS = [
    "RMA",
    "order number",
    "customer email",
    "issued on",
    "currency",
    "merchandise",
    "tax",
    "shipping",
    "deduction",
    "total",
    "payment method",
    "reference",
    "issued by",
]


def spreadsheet_safe(value) -> str:
    """Text a spreadsheet will not run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def refunds_csv(refunds) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    writer = csv.writer(response)
    writer.writerow(EXPORT_COLUMNS)
    for r in refunds:
        writer.writerow(
            [
                r.request.rma,
                spreadsheet_safe(r.order.number),
                spreadsheet_safe(r.order.email),
                r.issued_on.isoformat(),
                r.currency,
                r.merchandise,
                r.tax,
                r.shipping,
                r.deduction,
                r.total,
                spreadsheet_safe(r.payment_method),
                spreadsheet_safe(r.reference),
                r.issued_by.email if r.issued_by else "",
            ]
        )
    return response


@admin.register(Refund)
class RefundAdmin(ReadOnlyMixin, RequestSearchMixin, admin.ModelAdmin):
    class Media:  # the double-click guard on every form that changes something
        css = {"all": ("css/staff-desk.css",)}
        js = ("js/staff-once.js",)

    list_display = ("rma", "order_number", "total_column", "state", "issued_on", "reference", "issued_by")
    list_filter = ("state", IssuedFilter)  # no currency filter: its choices would need a DISTINCT over every refund
    search_fields = ("reference",)  # and the request's RMA, order, email, tracking: returns.admin.search
    search_help_text = "RMA, order number, customer email, tracking number or the processor's reference."
    search_request_field = "request"
    search_extra_exact = ("reference",)
    list_select_related = ("request", "order", "issued_by")
    change_list_template = "admin/returns/refund/change_list.html"
    fields = (
        "return_request_link",
        "order",
        "state",
        "total_column",
        "breakdown_table",
        "payment_method",
        "reference",
        "issued_on",
        "issued_by_person",
        "failure_reason",
        "created_at",
    )
    readonly_fields = fields

    @admin.display(description="RMA", ordering="request__rma")
    def rma(self, obj):
        return obj.request.rma

    @admin.display(description="Order", ordering="order__number")
    def order_number(self, obj):
        return obj.order.number

    @admin.display(description="Total", ordering="total")
    def total_column(self, obj):
        return money(obj.total, obj.currency)

    @admin.display(description="Return request")
    def return_request_link(self, obj):
        url = reverse("admin:returns_returnrequest_change", args=[obj.request_id])
        return format_html('<a href="{}">{}</a> (issue or mark failed there)', url, obj.request.rma)

    @admin.display(description="Breakdown (R10)")
    def breakdown_table(self, obj):
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td class='rr-amount'>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    row.get("label", ""),
                    money(row.get("amount", "0"), obj.currency),
                    row.get("rule", ""),
                    row.get("explanation", ""),
                )
                for row in obj.breakdown
            ),
        )
        return format_html("<table><tbody>{}</tbody></table>", rows)

    @admin.display(description="Issued by")
    def issued_by_person(self, obj):
        return person(obj.issued_by) if obj.issued_by_id else "—"

    def changelist_view(self, request, extra_context=None):
        extra = {"export_url": reverse("admin:returns_refund_export")}
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    def get_urls(self):
        return [
            path("export/", self.admin_site.admin_view(self.export_view), name="returns_refund_export"),
            *super().get_urls(),
        ]

    def export_view(self, request):
        """Refunds issued between two dates (both included) as CSV, for accounting. Customer service only."""
        if not request.user.has_perm(PERM_VIEW_REFUND):
            raise PermissionDenied
        form = RefundExportForm(request.GET if request.GET else None)
        if form.is_bound and form.is_valid():
            start, end = form.cleaned_data["start"], form.cleaned_data["end"]
            refunds = (
                refunds_issued_between(Refund.objects.all(), start, end)
                .select_related("request", "order", "issued_by")
                .order_by("issued_on", "id")
            )
            response = refunds_csv(refunds)
            response["Content-Disposition"] = f'attachment; filename="refunds-{start}-to-{end}.csv"'
            return response
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Export refunds (CSV)",
            "form": form,
            "columns": EXPORT_COLUMNS,
        }
        status = 400 if form.is_bound else 200
        return TemplateResponse(request, "admin/returns/refund/export.html", context, status=status)
