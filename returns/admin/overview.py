"""The overview at the top of the admin index: a tile per queue, each a count linking to its list.

A person sees the tiles their role can act on; warehouse staff see theirs first
and the receiving desk as the main button. Everyone is warned when photos waiting for
customers' forms near PENDING_PHOTO_MAX_BYTES, past which customers' uploads pause. Below the
tiles, the outboxes' queues (emails, refunds to the provider): how many wait, and since when the
oldest due one has waited for its worker, flagged past READYZ_OUTBOX_MAX_AGE as /readyz flags it.
Django's AdminSite has no hook for extra index context short of replacing the site (a settings change), so the
default site's ``index`` is wrapped once here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib import admin
from django.urls import reverse
from django.utils.http import urlencode

from returns.admin.display import money
from returns.admin.filters import (
    QUEUE_HELD,
    QUEUE_INSPECTION,
    QUEUE_LABELS,
    QUEUE_ON_THE_WAY,
    QUEUE_OVERDUE,
    QUEUE_REPLACEMENTS,
    QUEUE_REVIEW,
)
from returns.models import Notification, Refund, WebhookEndpoint
from returns.roles import PERM_INSPECT, PERM_RECEIVE, PERM_REPLACEMENT, PERM_REVIEW
from returns.selectors import staff as staff_selectors
from returns.selectors.queues import outbox_queues
from returns.selectors.staff import StaffOverview, staff_overview
from returns.services import images

WAREHOUSE_TILES = ("on_the_way", "to_inspect")
# Staff are warned once pending photos take this share of PENDING_PHOTO_MAX_BYTES; "paused" once less room
# is left than a large photo takes (a 2560 px JPEG and its thumbnail).
PHOTO_ROOM_WARNING = 0.8
LARGE_PHOTO_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class PhotoRoom:
    used: int
    allowed: int

    @property
    def warn(self) -> bool:
        return self.used >= self.allowed * PHOTO_ROOM_WARNING

    @property
    def paused(self) -> bool:
        return self.allowed - self.used < LARGE_PHOTO_BYTES


def photo_room() -> PhotoRoom:
    return PhotoRoom(staff_selectors.pending_photo_bytes(), images.setting("PENDING_PHOTO_MAX_BYTES"))


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    count: int
    url: str
    warehouse: bool = False

    @property
    def count_text(self) -> str:
        """``1,000+`` past the cap the overview counts to (``OVERVIEW_CAP``)."""
        cap = staff_selectors.OVERVIEW_CAP  # read at call time: tests lower it
        return f"{cap:,}+" if self.count > cap else f"{self.count:,}"

    @property
    def needs_attention(self) -> bool:
        return self.count > 0 and self.key in ("overdue", "refunds_failed", "emails_failed")


def _list(model: str, **params) -> str:
    return f"{reverse(f'admin:returns_{model}_changelist')}?{urlencode(params)}"


def tiles_for(user, data: StaffOverview) -> list[Tile]:
    """The tiles this user may act on, in the order they work them."""
    candidates = [
        (PERM_REVIEW, "review", QUEUE_LABELS[QUEUE_REVIEW], data.waiting_for_review,
         _list("returnrequest", queue=QUEUE_REVIEW)),
        (PERM_REVIEW, "held", QUEUE_LABELS[QUEUE_HELD], data.held_for_review,
         _list("returnrequest", queue=QUEUE_HELD)),
        (PERM_REVIEW, "overdue", QUEUE_LABELS[QUEUE_OVERDUE], data.overdue_to_ship,
         _list("returnrequest", queue=QUEUE_OVERDUE)),
        (PERM_RECEIVE, "on_the_way", QUEUE_LABELS[QUEUE_ON_THE_WAY], data.on_the_way,
         _list("returnrequest", queue=QUEUE_ON_THE_WAY)),
        (PERM_INSPECT, "to_inspect", QUEUE_LABELS[QUEUE_INSPECTION], data.awaiting_inspection,
         _list("returnrequest", queue=QUEUE_INSPECTION)),
        ("returns.view_refund", "refunds_to_issue", "Refunds to issue", data.refunds_to_issue,
         _list("refund", state__exact=Refund.State.PENDING)),
        ("returns.view_refund", "refunds_failed", "Refunds failed", data.refunds_failed,
         _list("refund", state__exact=Refund.State.FAILED)),
        ("returns.view_refund", "refunds_processing", "Refunds at the payment provider", data.refunds_processing,
         _list("refund", state__exact=Refund.State.PROCESSING)),
        (PERM_REPLACEMENT, "replacements", QUEUE_LABELS[QUEUE_REPLACEMENTS], data.replacements_to_send,
         _list("returnrequest", queue=QUEUE_REPLACEMENTS)),
        ("returns.view_message", "messages_waiting", "Messages waiting for an answer", data.messages_waiting,
         _list("message", waiting="yes")),
        ("returns.view_notification", "emails_failed", "Emails failed", data.emails_failed,
         _list("notification", state__exact=Notification.State.FAILED)),
    ]  # fmt: skip
    tiles = [
        Tile(key, label, count, url, warehouse=key in WAREHOUSE_TILES)
        for perm, key, label, count, url in candidates
        if user.has_perm(perm)
    ]
    if is_warehouse_first(user):
        tiles.sort(key=lambda t: not t.warehouse)  # stable: warehouse tiles first, the rest in order
    return tiles


def is_warehouse_first(user) -> bool:
    """Receives parcels and does not review: the warehouse's desk."""
    return user.has_perm(PERM_RECEIVE) and not user.has_perm(PERM_REVIEW)


def overview_context(request) -> dict | None:
    user = request.user
    if not user.has_perm("returns.view_returnrequest"):
        return None
    data = staff_overview()
    can_see_refunds = user.has_perm("returns.view_refund")
    return {
        "tiles": tiles_for(user, data),
        "warehouse_first": is_warehouse_first(user),
        "can_receive": user.has_perm(PERM_RECEIVE),
        "refunds_count": data.refunds_this_week_count,
        "refund_totals": [money(row["total"], row["currency"]) for row in data.refunds_this_week],
        "week_start": data.week_start,
        "week_end": data.week_end,
        "refunds_url": f"{reverse('admin:returns_refund_changelist')}?issued=this_week" if can_see_refunds else "",
        "receiving_url": reverse("admin:returns_returnrequest_receiving"),
        "export_url": reverse("admin:returns_refund_export") if can_see_refunds else "",
        "analytics_url": reverse("admin:returns_returnrequest_analytics") if user.has_perm(PERM_REVIEW) else "",
        "photo_room": photo_room(),
        # Endpoints the webhook worker disabled after WEBHOOKS_RETRY_HOURS of failures: the superuser's to mend.
        "disabled_endpoints": list(WebhookEndpoint.objects.filter(enabled=False)) if user.is_superuser else [],
        "endpoints_url": reverse("admin:returns_webhookendpoint_changelist") if user.is_superuser else "",
        "queues": outbox_queues(),
        "queue_late_after": settings.READYZ_OUTBOX_MAX_AGE,
    }


def install(site: admin.AdminSite) -> None:
    # The app list in a side bar would take a fifth of a 1280 px screen from the lists staff work in;
    # the breadcrumbs and the overview lead to every list.
    site.enable_nav_sidebar = False
    if getattr(site.index, "returns_overview", False):
        return
    original = site.index

    def index(request, extra_context=None):
        extra = {"returns_overview": overview_context(request)}
        return original(request, {**extra, **(extra_context or {})})

    index.returns_overview = True
    site.index = index
