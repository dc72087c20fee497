"""A customer's data on request (GDPR articles 15 and 17): everything held about an email, or its erasure.

``customer_export`` gathers one JSON-ready document: the account, orders and their lines, returns with
their lines, history, photos and refunds, and the emails written to that address.

``customer_erase`` removes the person and keeps what accounting and the policy need, anonymised:
order numbers, RMAs, amounts, dates, statuses and rule decisions stay; the address, the name, the
customer's own words (return descriptions), photos, emails, guest codes, sign-in attempts and the
account go. It refuses while a return of that email is open (naming it), while the address is on the
block list, or when the address is a staff account. Last, every text column of every table is searched
for the address and the name, so a note that quoted them (or a table added later) is scrubbed too. A
``CustomerErasure`` row records who erased what and when, without the address.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from axes.models import AccessAttempt
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from core.addresses import normalize_email
from returns.exceptions import CustomerDataError
from returns.models import (
    BlockedEmail,
    CustomerErasure,
    DamagePhoto,
    GuestCode,
    Message,
    MessagePhoto,
    Notification,
    Order,
    PendingPhoto,
    ReturnLine,
    ReturnRequest,
    UnmatchedEmail,
)
from returns.roles import Actor
from returns.services.photos import photo_files_delete
from returns.services.retention import CLOSED

ERASED = "[erased]"


def _rows(queryset: QuerySet[Any], *fields: str) -> list[dict[str, Any]]:
    return [dict(row) for row in queryset.values(*fields)]


def customer_export(email: str) -> dict[str, Any]:
    """Everything held about ``email``, as plain data (dates and amounts as text once dumped)."""
    email = normalize_email(email)
    user = get_user_model().objects.filter(email=email).first()
    orders = Order.objects.filter(email=email).order_by("placed_at", "pk")
    document: dict[str, Any] = {
        "email": email,
        "exported_at": timezone.now(),
        "account": None
        if user is None
        else {
            "email": user.email,
            "full_name": getattr(user, "full_name", ""),
            "date_joined": user.date_joined,
            "last_login": user.last_login,
        },
        "orders": [],
        "messages": [
            {
                **row,
                "photos": list(MessagePhoto.objects.filter(message_id=row.pop("id")).values_list("image", flat=True)),
            }
            for row in _rows(
                Message.objects.filter(order__email=email).order_by("created_at", "pk"),
                "id",
                "created_at",
                "author",
                "body",
                "order__number",
                "request__rma",
            )
        ],
        "emails_received_unmatched": _rows(
            UnmatchedEmail.objects.filter(sender__iexact=email).order_by("received_at", "pk"),
            "received_at",
            "subject",
            "text",
        ),
        "emails": _rows(
            Notification.objects.filter(Q(to=email) | Q(request__order__email=email)).order_by("created_at", "pk"),
            "created_at",
            "to",
            "event",
            "subject",
            "body_text",
            "state",
            "sent_at",
        ),
    }
    for order in orders:
        entry = {
            **_rows(Order.objects.filter(pk=order.pk), "number", "customer_name", "placed_at", "delivered_on",
                    "currency", "shipping_charged", "free_shipping", "payment_method")[0],
            "lines": _rows(order.lines.order_by("pk"), "sku", "name", "quantity", "unit_price", "unit_tax",
                           "final_sale", "personalized"),
            "returns": [],
        }  # fmt: skip
        for request in order.return_requests.order_by("created_at", "pk"):
            refund = getattr(request, "refund", None)
            entry["returns"].append(
                {
                    "rma": request.rma,
                    "status": request.status,
                    "created_at": request.created_at,
                    "lines": [
                        {
                            "sku": line.order_line.sku,
                            **_rows(
                                ReturnLine.objects.filter(pk=line.pk),
                                "quantity",
                                "reason",
                                "description",
                                "preference",
                                "resolution",
                            )[0],
                        }
                        for line in request.lines.select_related("order_line").order_by("pk")
                    ],
                    "history": _rows(
                        request.history.order_by("at", "pk"), "at", "from_status", "to_status", "event", "note"
                    ),
                    "photos": [
                        {
                            "id": photo.pk,
                            "kind": photo.kind,
                            "original_name": photo.original_name,
                            "uploaded_at": photo.uploaded_at,
                            "file": photo.image.name or None,
                            "removed_after_days": photo.removed_after_days,
                        }
                        for photo in DamagePhoto.objects.filter(line__request=request).order_by("pk")
                    ],
                    "refund": None
                    if refund is None
                    else {
                        "total": refund.total,
                        "currency": refund.currency,
                        "state": refund.state,
                        "issued_on": refund.issued_on,
                        "payment_method": refund.payment_method,
                        "breakdown": refund.breakdown,
                    },
                }
            )
        document["orders"].append(entry)
    return document


def customer_export_json(email: str) -> str:
    return json.dumps(customer_export(email), cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)


def customer_photos_copy(email: str, folder: Path) -> list[Path]:
    """Copy every photo file of ``email``'s returns into ``folder`` (``<RMA>-<photo id>-<kind>.jpg``)."""
    folder.mkdir(parents=True, exist_ok=True)
    copied = []
    photos = DamagePhoto.objects.filter(line__request__order__email=normalize_email(email)).select_related(
        "line__request"
    )
    for photo in photos.exclude(image=""):
        target = folder / f"{photo.line.request.rma}-{photo.pk}-{photo.kind}.jpg"
        with default_storage.open(photo.image.name, "rb") as source, open(target, "wb") as out:
            shutil.copyfileobj(source, out)
        copied.append(target)
    return copied


def _text_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField | models.JSONField) and not field.choices
    ]


def _scrubbed(value: Any, pattern: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, dict):
        return {key: _scrubbed(item, pattern) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrubbed(item, pattern) for item in value]
    return value


def _related_rows(model: type[models.Model], orders: list[Order], requests: list[ReturnRequest]) -> Q | None:
    """The rows of ``model`` that belong to these orders or returns (directly), or None when it has no such link."""
    if model is Order:
        return Q(pk__in=[o.pk for o in orders])
    if model is ReturnRequest:
        return Q(pk__in=[r.pk for r in requests])
    links = Q()
    found = False
    for field in model._meta.concrete_fields:
        if field.is_relation and field.related_model is Order:
            links |= Q(**{f"{field.name}__in": [o.pk for o in orders]})
            found = True
        elif field.is_relation and field.related_model is ReturnRequest:
            links |= Q(**{f"{field.name}__in": [r.pk for r in requests]})
            found = True
    return links if found else None


def _scrub_everywhere(email: str, names: Iterable[str], orders: list[Order], requests: list[ReturnRequest]) -> int:
    """Replace what is left of the person in any text column: the address in every table (it is theirs alone),
    the name (as a whole word) in the rows that belong to their orders and returns (another customer may share
    it). Returns how many rows changed."""
    names = sorted({n.strip() for n in names if n and len(n.strip()) >= 3}, key=len, reverse=True)
    changed = 0
    for model in apps.get_models():
        if model is CustomerErasure:
            continue
        related = _related_rows(model, orders, requests)
        terms = [email, *names] if related is not None else [email]
        pattern = re.compile("|".join(rf"(?<!\w){re.escape(t)}(?!\w)" for t in terms), re.IGNORECASE)
        for field in _text_fields(model):
            column = f"_text_{field.name}"
            found = Q(**{f"{column}__icontains": email})
            rows = model._default_manager.annotate(**{column: Cast(field.name, TextField())})
            if related is not None:
                for name in names:
                    found |= Q(related, **{f"{column}__icontains": name})
            for row in rows.filter(found):
                value = _scrubbed(getattr(row, field.attname), pattern)
                if value != getattr(row, field.attname):
                    model._default_manager.filter(pk=row.pk).update(**{field.attname: value})
                    changed += 1
    return changed


def customer_erase(*, email: str, by: Actor = None, how: str = "manage.py customer_erase") -> CustomerErasure:
    """Erase ``email``'s person and keep the accounting, anonymised; raises CustomerDataError naming why not."""
    email = normalize_email(email)
    user_model = get_user_model()
    with transaction.atomic():
        orders = list(Order.objects.select_for_update().filter(email=email).order_by("pk"))
        requests = list(ReturnRequest.objects.filter(order__in=orders).order_by("pk"))
        still_open = [r.rma for r in requests if r.status not in CLOSED]
        if still_open:
            raise CustomerDataError(
                f"{email}'s data cannot be erased while a return is open: {', '.join(still_open)}. "
                "Close, cancel or reject it first."
            )
        if BlockedEmail.objects.filter(email=email).exists():
            raise CustomerDataError(
                f"{email} is on the block list. Remove it there first if it should be erased (the block goes too)."
            )
        user = user_model.objects.filter(email=email).first()
        if user is not None and (user.is_staff or user.is_superuser):
            raise CustomerDataError(f"{email} is a staff account: remove the staff member's access first.")
        if not orders and user is None:
            raise CustomerDataError(f"Nothing is held about {email}: no order and no account.")

        names = {o.customer_name for o in orders} | {getattr(user, "full_name", "") if user else ""}
        erasure = CustomerErasure.objects.create(
            by=by, how=how, orders=[o.number for o in orders], returns=[r.rma for r in requests]
        )
        removed: dict[str, int] = {}
        photos = DamagePhoto.objects.filter(line__request__in=requests)
        mine = Q(order_line__order__in=orders) | (Q(user=user) if user is not None else Q(pk__in=[]))
        pending = PendingPhoto.objects.filter(mine)
        unmatched = UnmatchedEmail.objects.filter(sender__iexact=email)
        messages = Message.objects.filter(Q(order__in=orders) | Q(unmatched_email__in=unmatched))
        message_photos = MessagePhoto.objects.filter(Q(message__in=messages) | Q(unmatched__in=unmatched))
        rows: list[DamagePhoto | PendingPhoto | MessagePhoto] = [*photos, *pending, *message_photos]
        files = [n for p in rows for n in (p.image.name, p.thumbnail.name) if n]
        removed["message photos"], _ = message_photos.delete()
        removed["messages"], _ = messages.delete()
        removed["emails received"], _ = unmatched.delete()
        removed["photos"], _ = photos.delete()
        removed["pending photos"], _ = pending.delete()
        transaction.on_commit(lambda: photo_files_delete(files))
        removed["return descriptions"] = (
            ReturnLine.objects.filter(request__in=requests).exclude(description="").update(description="")
        )
        removed["emails"], _ = Notification.objects.filter(Q(to=email) | Q(request__in=requests)).delete()
        removed["guest codes"], _ = GuestCode.objects.filter(Q(email=email) | Q(order__in=orders)).delete()
        removed["sign-in attempts"], _ = AccessAttempt.objects.filter(username=email).delete()
        removed["account"] = 0
        if user is not None:
            user.delete()
            removed["account"] = 1
        placeholder = f"erased-{erasure.pk}@erased.invalid"
        Order.objects.filter(pk__in=[o.pk for o in orders]).update(email=placeholder, customer_name="")
        removed["other rows scrubbed"] = _scrub_everywhere(email, names, orders, requests)
        erasure.removed = removed
        erasure.save(update_fields=["removed"])
    return erasure
