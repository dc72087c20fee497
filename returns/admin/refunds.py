"""Refunds and their CSV export for accounting. *Refunds to issue* is a working list: customer service issues
each refund from its row (the processor's reference, or *Refund through Stripe*) or sends the selected ones
through the provider, with the request page's service (``refund_issue``), its lock and its exactly-once
guarantee. Nothing here edits a refund row."""

from __future__ import annotations

import csv

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from returns.admin.display import money, person
from returns.admin.filters import IssuedFilter
from returns.admin.forms import RefundExportForm
from returns.admin.readonly import ReadOnlyMixin
from returns.admin.search import RequestSearchMixin
from returns.admin.workflow import WorkflowViews, may_pay_refunds
from returns.domain import steps
from returns.domain.steps import RefundFacts
from returns.exceptions import ReturnsError
from returns.models import Refund
from returns.roles import UserPermissions
from returns.selectors.staff import refunds_issued_between
from returns.services.refunds import automatic_provider_label, refund_issue, refund_uses_provider

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
        css = {"all": ("css/admin-returns.css", "css/staff-desk.css")}
        js = ("js/staff-once.js",)

    list_display = ("rma", "order_number", "total_column", "state", "issued_on", "reference", "issued_by")
    list_display_links = ("total_column",)  # the refund's own page (breakdown); the RMA opens the request
    actions = ("refund_selected_through_provider",)
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
        url = reverse("admin:returns_returnrequest_change", args=[obj.request_id])
        return format_html('<a href="{}">{}</a>', url, obj.request.rma)

    def has_issue_permission(self, request):
        return may_pay_refunds(request.user)

    def get_list_display(self, request):
        """Whoever may pay refunds gets a column to pay each from its row."""
        if not may_pay_refunds(request.user):
            return self.list_display
        perms = UserPermissions(request.user)
        provider = automatic_provider_label()

        def issue(obj):
            through = provider if provider and refund_uses_provider(obj) else ""
            if not steps.can_issue_refund(RefundFacts.of(obj), perms, provider=through):
                return "—"
            form = f"pay-{obj.pk}"
            if through:
                return format_html(
                    '<button type="submit" form="{}" class="button default">Refund {} through {}</button>',
                    form,
                    money(obj.total, obj.currency),
                    through,
                )
            return format_html(
                '<span class="rr-pay-row"><input type="text" name="reference" form="{}" maxlength="100" required'
                ' autocomplete="off" aria-label="Payment processor\'s reference for {}" placeholder="Reference">'
                ' <button type="submit" form="{}" class="button default">Mark {} issued</button></span>',
                form,
                obj.request.rma,
                form,
                money(obj.total, obj.currency),
            )

        issue.short_description = "Issue"
        return (*self.list_display, issue)

    def get_actions(self, request):
        """Sending the selected refunds at once only means something when a provider pays them."""
        actions = super().get_actions(request)
        if not automatic_provider_label():
            actions.pop("refund_selected_through_provider", None)
        return actions

    @admin.action(description="Refund the selected through the payment provider", permissions=["issue"])
    def refund_selected_through_provider(self, request, queryset):
        issued, failed = [], []
        for refund in queryset.select_related("request", "order").order_by("id"):
            try:
                refund_issue(refund=refund, by=request.user)
            except ReturnsError as exc:
                failed.append(f"{refund.request.rma}: {exc}")
            else:
                issued.append(f"{refund.request.rma} ({money(refund.total, refund.currency)})")
        if issued:
            self.message_user(request, f"Sent to the payment provider: {', '.join(issued)}.", level=messages.SUCCESS)
        for text in failed:
            self.message_user(request, text, level=messages.ERROR)

    def issue_view(self, request, object_id):
        """One row's refund: the same service as the request page's button."""
        refund = Refund.objects.select_related("request", "order").filter(pk=object_id).first()
        if refund is None:
            raise Http404("No such refund")
        if not self.has_view_permission(request, refund):
            raise PermissionDenied
        try:
            done = refund_issue(refund=refund, by=request.user, reference=request.POST.get("reference", ""))
        except ReturnsError as exc:
            self.message_user(request, f"{refund.request.rma}: {exc}", level=messages.ERROR)
        else:
            self.message_user(request, WorkflowViews.refund_message(refund.request, done), level=messages.SUCCESS)
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) or not back.startswith(
            reverse("admin:returns_refund_changelist")
        ):
            back = f"{reverse('admin:returns_refund_changelist')}?state__exact={Refund.State.PENDING}"
        return HttpResponseRedirect(back)

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
        extra = {"export_url": reverse("admin:returns_refund_export"), "can_pay": may_pay_refunds(request.user)}
        if request.GET.get("state__exact") == Refund.State.PENDING:
            extra["title"] = "Refunds to issue"
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    def get_urls(self):
        return [
            path("export/", self.admin_site.admin_view(self.export_view), name="returns_refund_export"),
            path(
                "<int:object_id>/issue/",
                self.admin_site.admin_view(require_POST(self.issue_view)),
                name="returns_refund_issue",
            ),
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
