"""The overview at the top of the admin index: the queues and this week's refunds, each linking to its list.

Django's AdminSite has no hook for extra index context short of replacing the
site (a settings change), so the default site's ``index`` is wrapped once here.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse

from .. import selectors
from .display import money
from .filters import QUEUE_INSPECTION, QUEUE_OVERDUE, QUEUE_REVIEW


def overview_context(request) -> dict | None:
    user = request.user
    if not user.has_perm("returns.view_returnrequest"):
        return None
    data = selectors.staff_overview()
    changelist = reverse("admin:returns_returnrequest_changelist")
    can_see_refunds = user.has_perm("returns.view_refund")
    return {
        "queues": [
            ("Waiting for review", data.waiting_for_review, f"{changelist}?queue={QUEUE_REVIEW}"),
            ("Overdue to ship (R6)", data.overdue_to_ship, f"{changelist}?queue={QUEUE_OVERDUE}"),
            ("Awaiting inspection", data.awaiting_inspection, f"{changelist}?queue={QUEUE_INSPECTION}"),
        ],
        "refunds_count": data.refunds_this_week_count,
        "refund_totals": [money(row["total"], row["currency"]) for row in data.refunds_this_week],
        "week_start": data.week_start,
        "week_end": data.week_end,
        "refunds_url": f"{reverse('admin:returns_refund_changelist')}?issued=this_week" if can_see_refunds else "",
        "receiving_url": reverse("admin:returns_returnrequest_receiving"),
        "export_url": reverse("admin:returns_refund_export") if can_see_refunds else "",
    }


def install(site: admin.AdminSite) -> None:
    if getattr(site.index, "returns_overview", False):
        return
    original = site.index

    def index(request, extra_context=None):
        extra = {"returns_overview": overview_context(request)}
        return original(request, {**extra, **(extra_context or {})})

    index.returns_overview = True
    site.index = index
