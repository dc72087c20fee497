"""Return requests: the list staff work from and a request's page with its steps.

Status is never edited here (no change permission, no list_editable): every
step is a button or a bulk action that calls a service.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils.html import format_html

from returns.admin.analytics import AnalyticsView
from returns.admin.conversation import ConversationViews
from returns.admin.display import age_in_days, money, person, photo_urls
from returns.admin.filters import (
    QUEUE_HELD,
    QUEUE_OVERDUE,
    QUEUE_REVIEW,
    FaultClaimFilter,
    QueueFilter,
    ReasonFilter,
    StatusFilter,
)
from returns.admin.inspection import InspectionView
from returns.admin.readonly import ReadOnlyMixin
from returns.admin.search import RequestSearchMixin
from returns.admin.workflow import RECEIVING, WorkflowViews, allowed_actions
from returns.conf import risk_limits, store_today
from returns.domain import history as staff_history
from returns.domain import policy, risk
from returns.domain.estimates import Estimate
from returns.domain.events import Event
from returns.domain.policy import day
from returns.exceptions import ReturnsError
from returns.models import Channel, Order, Refund, ReturnLine, ReturnRequest
from returns.roles import PERM_RECEIVE, PERM_REVIEW
from returns.selectors.customer import line_views, orders_with_lines, return_detail
from returns.selectors.risk import risk_facts
from returns.selectors.staff import customer_history
from returns.selectors.summary import return_summary
from returns.services.refunds import provider_cannot_pay, refund_payment_reference, refund_provider_label
from returns.services.requests import return_request_approve, return_request_receive

S = ReturnRequest.Status


def waiting_reason(obj: ReturnRequest) -> str:
    """Why this request was approved at once or waits for staff, in staff's words (``risk.review_outcome``)."""
    return risk.review_outcome(
        outcome=obj.auto_review, rule=obj.auto_review_rule, limits=risk_limits(), currency=obj.order.currency
    )


def held_by(obj: ReturnRequest) -> dict | None:
    """The risk rule that held this request for staff at submission, in staff's words (None if none did)."""
    if getattr(obj, "auto_review", "") != "held":
        return None
    rule = obj.auto_review_rule
    return {"rule": rule, "label": risk.RULE_LABELS.get(rule, rule), "note": obj.auto_review_note}


@admin.register(ReturnRequest)
class ReturnRequestAdmin(
    ReadOnlyMixin,
    RequestSearchMixin,
    AnalyticsView,
    InspectionView,
    WorkflowViews,
    ConversationViews,
    admin.ModelAdmin,
):
    class Media:  # the double-click guard on every form that changes something
        css = {"all": ("css/admin-returns.css", "css/staff-desk.css")}
        js = ("js/staff-once.js",)

    list_display = (
        "rma",
        "customer",
        "order_number",
        "status_column",
        "age",
        "ship_by_column",
        "fault_claim",
        "refund_column",
    )
    list_display_links = ("rma",)
    list_filter = (QueueFilter, StatusFilter, ReasonFilter, FaultClaimFilter, ("created_at", admin.DateFieldListFilter))
    # Searched through indexes (returns.admin.search), not with the admin's LIKE across joins.
    search_fields = ("rma",)
    search_help_text = "RMA, order number, customer email or tracking number (part of one on PostgreSQL)."
    # One query for the page whatever it shows: the order and the refund come with each row.
    list_select_related = ("order", "refund")
    list_per_page = 50
    list_max_show_all = 1000
    ordering = ("-created_at",)
    actions = ("approve_selected", "approve_selected_no_return", "receive_selected")
    change_form_template = "admin/returns/returnrequest/request_page.html"
    change_list_template = "admin/returns/returnrequest/change_list.html"
    fieldsets = (
        (None, {"fields": ("rma", "status_text", "order_link", "customer_contact", "submitted_by_text", "created_at")}),
        (
            "Approval and shipping (R5, R6, R9)",
            {
                "fields": (
                    "automatic_review",
                    "return_required",
                    "approved_on",
                    "ship_by",
                    "carrier",
                    "tracking_number",
                    "rejection_reason",
                )
            },
        ),
    )
    # Every field on the page is shown, never edited: the list comes from the fieldsets.
    readonly_fields = tuple(name for _, options in fieldsets for name in options["fields"])

    # --- permissions: see (never edit, add or delete: ReadOnlyMixin), and the steps ---

    def has_review_permission(self, request):
        return request.user.has_perm(PERM_REVIEW)

    def has_receive_permission(self, request):
        return request.user.has_perm(PERM_RECEIVE)

    # --- the list --------------------------------------------------------------

    def get_ordering(self, request):
        """Overdue parcels longest overdue first, the order they are chased in (and their index's order)."""
        if request.GET.get(QueueFilter.parameter_name) == QUEUE_OVERDUE:
            return ("ship_by", "id")
        return super().get_ordering(request)

    def get_list_display(self, request):
        """The review queues say why each request waits, in the ship-by column's place (a request waiting for
        review has no ship-by day yet)."""
        if request.GET.get(QueueFilter.parameter_name) in (QUEUE_REVIEW, QUEUE_HELD):
            return tuple("waiting_column" if name == "ship_by_column" else name for name in self.list_display)
        return self.list_display

    def get_queryset(self, request):
        fault = ReturnLine.objects.filter(request=OuterRef("pk"), reason__in=policy.FAULT_REASONS)
        # A scalar subquery with LIMIT 1, not EXISTS: PostgreSQL may run an EXISTS in the select list as a
        # "hashed SubPlan" that reads every fault line of the store before returning the first 50 rows.
        return super().get_queryset(request).annotate(first_fault_line=Subquery(fault.values("pk")[:1]))

    @admin.display(description="Customer", ordering="order__email")
    def customer(self, obj):
        name = obj.order.customer_name
        return format_html('<span title="{}">{}</span>', name, obj.order.email) if name else obj.order.email

    @admin.display(description="Customer")
    def customer_contact(self, obj):
        name = obj.order.customer_name
        return f"{name} <{obj.order.email}>" if name else obj.order.email

    @admin.display(description="Automatic approval")
    def automatic_review(self, obj):
        """What the risk rules decided at submission and why, in words; the setting or rule id only as a small
        secondary label."""
        if not obj.auto_review:
            return "-"
        return format_html(
            '<strong>{}</strong> <span class="rr-muted rr-small">({})</span><br>{}',
            waiting_reason(obj),
            risk.RULE_SETTINGS.get(obj.auto_review_rule, obj.auto_review_rule.partition("=")[0]),
            obj.auto_review_note,
        )

    @admin.display(description="Status", ordering="status")
    def status_column(self, obj):
        """Staff's wording ("Approved – awaiting parcel"), never the code."""
        return staff_history.status_label(obj.status)

    @admin.display(description="Status")
    def status_text(self, obj):
        return staff_history.status_label(obj.status)

    @admin.display(description="Submitted by")
    def submitted_by_text(self, obj):
        who = staff_history.actor_name(obj.submitted_by, Event.SUBMITTED)
        if obj.channel != Channel.PORTAL:
            return f"{who}, for the customer (by {obj.channel})"
        return who

    @admin.display(description="Order", ordering="order__number")
    def order_number(self, obj):
        return obj.order.number

    @admin.display(description="Order")
    def order_link(self, obj):
        url = reverse("admin:returns_order_change", args=[obj.order_id])
        delivered = f"{day(obj.order.delivered_on)}" if obj.order.delivered_on else "not yet recorded"
        return format_html('<a href="{}">{}</a> · delivered {}', url, obj.order.number, delivered)

    @admin.display(description="Days", ordering="-created_at")
    def age(self, obj):
        return age_in_days(obj.created_at)

    @admin.display(description="Ship by", ordering="ship_by")
    def ship_by_column(self, obj):
        """Only while the parcel is still the customer's to send (R6)."""
        if not obj.ship_by or obj.status not in (S.APPROVED, S.SHIPPED, S.EXPIRED):
            return "—"
        text = f"{day(obj.ship_by, year=False)}"
        if obj.status == S.APPROVED and obj.return_required and policy.is_ship_by_overdue(obj.ship_by, store_today()):
            return format_html('<strong class="rr-overdue" title="{}">{} · overdue</strong>', obj.ship_by, text)
        return format_html('<span title="{}">{}</span>', obj.ship_by, text)

    @admin.display(description="Why it waits", ordering="auto_review_rule")
    def waiting_column(self, obj):
        """In words ("Held: refund above $200.00 (limit)"); the rule's own sentence on hover."""
        return format_html('<span title="{}">{}</span>', obj.auto_review_note, waiting_reason(obj))

    @admin.display(description="Fault", ordering="first_fault_line")
    def fault_claim(self, obj):
        """Whether the customer claims damage, a defect or a wrong item: a claim, not a pass or a fail."""
        return "claimed" if getattr(obj, "first_fault_line", None) is not None else "not claimed"

    @admin.display(description="Refund", ordering="refund__total")
    def refund_column(self, obj):
        """The refund once inspection made it; until then the estimate stored with the request."""
        refund = getattr(obj, "refund", None)
        if refund is None:
            estimate = Estimate.from_json(obj.estimate)
            if estimate is None or not estimate.outcomes:
                return "—"
            return format_html(
                '<span class="rr-nowrap">{}{}</span><br><span class="rr-muted">estimate</span>',
                "up to " if estimate.two_outcomes else "",
                money(estimate.highest, estimate.currency),
            )
        return format_html(
            '<span class="rr-nowrap">{}</span><br><span class="rr-muted">{}</span>',
            money(refund.total, refund.currency),
            refund.get_state_display(),
        )

    def changelist_view(self, request, extra_context=None):
        extra = {
            "receiving_url": self._url(RECEIVING),
            "analytics_url": self._url("analytics") if request.user.has_perm(PERM_REVIEW) else "",
            "export_url": reverse("admin:returns_refund_export")
            if request.user.has_perm("returns.view_refund")
            else "",
        }
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    # --- bulk actions ------------------------------------------------------------

    def _bulk(self, request, queryset, step, done: str):
        succeeded, failed = [], []
        for obj in queryset.order_by("created_at"):
            try:
                step(obj)
            except ReturnsError as exc:
                failed.append(f"{obj.rma}: {exc}")
            else:
                succeeded.append(obj.rma)
        if succeeded:
            self.message_user(request, f"{done} {len(succeeded)}: {', '.join(succeeded)}.", level=messages.SUCCESS)
        for text in failed:
            self.message_user(request, text, level=messages.ERROR)

    @admin.action(description="Approve – the item must be sent back", permissions=["review"])
    def approve_selected(self, request, queryset):
        self._bulk(
            request,
            queryset,
            lambda obj: return_request_approve(request=obj, by=request.user, return_required=True),
            "Approved",
        )

    @admin.action(description="Approve – no need to send the item back (R9)", permissions=["review"])
    def approve_selected_no_return(self, request, queryset):
        self._bulk(
            request,
            queryset,
            lambda obj: return_request_approve(request=obj, by=request.user, return_required=False),
            "Approved without return",
        )

    @admin.action(description="Mark received", permissions=["receive"])
    def receive_selected(self, request, queryset):
        self._bulk(
            request,
            queryset,
            lambda obj: return_request_receive(request=obj, by=request.user),
            "Marked received",
        )

    # --- a request's page --------------------------------------------------------

    def get_urls(self):
        from django.urls import path

        analytics = path(
            "analytics/", self.admin_site.admin_view(self.analytics_view), name="returns_returnrequest_analytics"
        )
        return [analytics, *self.workflow_urls(), *self.conversation_urls(), *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        extra = {}
        if obj is not None and self.has_view_permission(request, obj):
            extra = self.page_context(request, obj)
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def page_context(self, request, obj: ReturnRequest) -> dict:
        """Everything the page shows, in a fixed number of queries (selectors)."""
        detail = return_detail(ReturnRequest.objects.filter(pk=obj.pk)).get()
        order = orders_with_lines(Order.objects.filter(pk=detail.order_id)).get()
        today = store_today()
        summary = return_summary(detail, today=today)
        lines, refund = summary.lines, summary.refund
        in_this_request = {line.order_line_id: line.quantity for line in lines}
        order_lines = []
        for view in line_views(order, today):
            mine = in_this_request.get(view.line.pk, 0)
            others = sorted({rl.request.rma for rl in view.return_lines if rl.request_id != detail.pk})
            order_lines.append(
                {
                    "view": view,
                    "in_this_request": mine,
                    "other_rmas": others,
                    "reasons": self._eligibility_for_staff(view.eligibility.reasons, mine, others),
                }
            )
        claims = [
            {
                "line": line,
                "photos": [{"photo": p, "urls": photo_urls(p)} for p in line.photos.all()],
            }
            for line in lines
        ]
        history = [
            {
                "change": c,
                "who": staff_history.actor(c),
                "step": staff_history.event_label(c.event),
                "from": staff_history.status_label(c.from_status) if c.from_status else "",
                "to": staff_history.status_label(c.to_status),
            }
            for c in detail.history.all()
        ]
        refund_info = None
        if refund is not None:
            cur = refund.currency
            refund_info = {
                "refund": refund,
                "rows": [{**row, "amount_text": money(row.get("amount", "0"), cur)} for row in refund.breakdown],
                "totals": [
                    ("Merchandise", money(refund.merchandise, cur)),
                    ("Tax", money(refund.tax, cur)),
                    ("Shipping refund", money(refund.shipping, cur)),
                    ("Free-shipping return fee", money(-refund.deduction, cur)),
                ],
                "total": money(refund.total, cur),
                "expected": summary.expected_refund,
                "issued_by": person(refund.issued_by) if refund.issued_by_id else "",
                "provider": refund_provider_label(refund),
            }
            if refund_info["provider"]:
                refund_info["payment_reference"] = refund_payment_reference(refund)
            elif refund.state != Refund.State.ISSUED and refund.total > 0:
                refund_info["not_payable"] = provider_cannot_pay(refund.order)
        allowed = allowed_actions(request.user, detail, refund, lines)
        risk = self._risk_context(detail, today, order=order)
        urls = {
            name: self._url(name, detail.pk)
            for name in ("approve", "reject", "receive", "inspect", "refund_issue", "refund_fail", "reinstate")
        }
        return {
            "detail": detail,
            "order": order,
            "order_lines": order_lines,
            "claims": claims,
            "history": history,
            "risk": risk,
            "status_text": staff_history.status_label(detail.status),
            "refund_info": refund_info,
            "estimate": Estimate.from_json(detail.estimate),
            "allowed": allowed,
            "replacement_forms": [
                (line, self._url("replacement", detail.pk, line.pk)) for line in allowed.replacements
            ],
            "step_urls": urls,
            "from_receiving": request.GET.get("from") == RECEIVING,
            "review_queue": self.review_queue(request, detail),
            "receiving_url": self._url(RECEIVING),
            "overdue": detail.status == S.APPROVED
            and detail.return_required
            and detail.ship_by
            and policy.is_ship_by_overdue(detail.ship_by, today),
            "waiting_note": self._waiting_note(detail, refund),
            **self.conversation_context(request, detail),
        }

    @staticmethod
    def _risk_context(obj: ReturnRequest, today, *, order) -> dict:
        """The same email's history for the risk panel, the risk rules this request trips now,
        and the rule that held it at submission, if one did. The facts are the ones submission read."""
        history = customer_history(obj.order.email, today)
        currency = obj.order.currency
        rate = history.return_rate
        facts = risk_facts(obj, today, order=order)
        return {
            "history": history,
            # Money always with its currency: nothing refunded reads "$0.00" in the order's currency.
            "refunded_90": [money(total, cur) for total, cur in history.refunded_90_days] or [money(0, currency)],
            "refunded_365": [money(total, cur) for total, cur in history.refunded_12_months] or [money(0, currency)],
            "rate_text": f"{rate * 100:.1f}%" if rate is not None else "",
            "returned": money(history.returned_12_months, currency),
            "bought": money(history.bought_12_months, currency),
            "held": held_by(obj),
            "holds": risk.holds(facts, limits=risk_limits()),
            "estimated": money(facts.estimated_refund, currency),
        }

    @staticmethod
    def _eligibility_for_staff(reasons, in_this_request: int, other_rmas: list[str]) -> list[policy.Decision]:
        """A line's eligibility today, as staff read it on the request: units taken by this very request are
        not an alarm (R4 says "every unit is in a return" because of it)."""
        if not in_this_request or other_rmas:
            return list(reasons)
        own = policy.Decision(True, "R4", f"{in_this_request} in this request.")
        return [own if (d.rule == "R4" and not d.ok) else d for d in reasons]

    @staticmethod
    def _waiting_note(obj: ReturnRequest, refund) -> str:
        """What the request is waiting for, when it is nobody's turn on this page."""
        if obj.status == S.APPROVED and obj.return_required:
            return f"Waiting for the customer to ship it by {day(obj.ship_by)}."
        if obj.status == S.SHIPPED:
            return f"On its way: {obj.carrier} {obj.tracking_number}."
        if obj.status in (S.REFUNDED, S.COMPLETED, S.REJECTED, S.CANCELLED):
            return "Closed: nothing left to do."
        return ""
