"""Inspection in two steps: staff give a verdict per line, see the refund it makes, then confirm.

Nothing is written until Confirm: the preview is ``refund_preview`` over
the submitted verdicts, the confirmation is ``return_request_inspect``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse

from returns.admin.display import money, photo_urls
from returns.admin.forms import LineVerdictForm
from returns.admin.workflow import inspection_blocker, may_pay_refunds
from returns.domain import policy
from returns.domain.estimates import Estimate
from returns.domain.history import status_label
from returns.domain.wording import inspection_outcome
from returns.exceptions import PolicyViolation, ReturnsError
from returns.models import Refund
from returns.services.inspection import LineVerdict, refund_preview, return_request_inspect
from returns.services.refunds import provider_paying, refund_issue

PREVIEW, CONFIRM, EDIT = "_preview", "_confirm", "_edit"
# "Accept all and check the refund": every item not given a verdict yet is accepted, then the refund is previewed.
ACCEPT_ALL = "_accept_all"
# "Confirm and pay": the inspection, then the refund it leaves due, by someone allowed to pay it.
PAY = "_pay"


def _with_unanswered_accepted(post, lines):
    """The posted verdicts with every line not answered yet accepted: what *Accept all* means, and no more
    (a line staff rejected stays rejected; a fault is confirmed only where they ticked it)."""
    post = post.copy()
    for line in lines:
        key = f"line-{line.pk}-accepted"
        if not post.get(key):
            post[key] = "yes"
    return post


def _verdict_text(verdict: LineVerdict) -> str:
    if not verdict.accepted:
        return "Rejected"
    parts = ["Accepted"]
    parts.append("fault confirmed" if verdict.fault_confirmed else "no fault")
    if verdict.replace:
        parts.append("replacement to send, no refund (R9)")
    parts.append("restock (back on the shelf)" if verdict.restocked else "no restock (damaged)")
    return ", ".join(parts)


class InspectionView:
    """Mixed into ReturnRequestAdmin."""

    def inspect_view(self, request, object_id):
        obj = self._request_for_step(request, object_id)
        post = request.POST if request.method == "POST" else None
        confirming = post is not None and (CONFIRM in post or PAY in post)
        if not confirming:
            # The service is the real guard (used on Confirm); this spares staff a form they cannot submit.
            blocker = inspection_blocker(request.user, obj)
            if blocker:
                self.message_user(request, blocker, level=messages.ERROR)
                return HttpResponseRedirect(self.page_url(obj))
        lines = list(obj.lines.select_related("order_line").prefetch_related("photos").order_by("id"))
        if post is not None and ACCEPT_ALL in post:
            post = _with_unanswered_accepted(post, lines)
        forms = [LineVerdictForm(post, line=line) for line in lines]
        for form in forms:  # the evidence beside each verdict: the customer's photos of this line
            form.evidence = [{"photo": p, "urls": photo_urls(p)} for p in form.line.photos.all()]
        if post is None or EDIT in post or not all(f.is_valid() for f in forms):
            return self._inspection_page(request, obj, forms)

        pairs = [(f.line, f.verdict()) for f in forms]
        try:
            preview = self._preview(request, obj, pairs)
        except policy.PolicyError as exc:
            if confirming:  # the service says it again, in its words
                return self._confirm_inspection(request, obj, forms, pairs, post.get("previewed_total", ""))
            self.message_user(request, f"The refund cannot be computed: {exc}", level=messages.ERROR)
            return self._inspection_page(request, obj, forms)
        paid_by_hand = preview["payment"] and not preview["payment"]["provider"]
        if PAY in post and paid_by_hand and not post.get("reference", "").strip():
            # Nothing is recorded: the verdicts and the refund wait on this page for the reference.
            preview["reference_error"] = (
                "Enter the payment processor's reference to mark the refund issued, "
                "or confirm the inspection alone and issue the refund later."
            )
            return self._inspection_page(request, obj, forms, preview=preview)
        if confirming:
            return self._confirm_inspection(request, obj, forms, pairs, post.get("previewed_total", ""))
        return self._inspection_page(request, obj, forms, preview=preview)

    def _preview(self, request, obj, pairs) -> dict:
        """The refund these verdicts make, as the confirmation shows it (nothing is written)."""
        breakdown = refund_preview(obj, pairs)
        refunded = any(v.accepted and not v.replace for _, v in pairs)
        currency = obj.order.currency
        return {
            "refunded": refunded,
            "lines": [{"line": line, "verdict": _verdict_text(v), "note": v.note} for line, v in pairs],
            "rows": [
                {"label": b.label, "amount": money(b.amount, currency), "rule": b.rule, "explanation": b.explanation}
                for b in breakdown.lines
            ],
            "totals": [
                ("Merchandise", money(breakdown.merchandise, currency)),
                ("Tax", money(breakdown.tax, currency)),
                ("Shipping refund", money(breakdown.shipping, currency)),
                ("Free-shipping return fee", money(-breakdown.deduction, currency)),
            ],
            "total": money(breakdown.total, currency),
            "total_raw": str(breakdown.total) if refunded else "",
            "payment_method": obj.order.payment_method,
            "replacements": [line for line, v in pairs if v.replace],
            "payment": self._payment_offer(request.user, obj, breakdown.total) if refunded else None,
        }

    @staticmethod
    def _payment_offer(user, obj, total) -> dict | None:
        """What the confirmation offers to pay the refund these verdicts leave due: the reference field (paid by
        hand) or *Refund through <provider>*; None when this user may not pay, or nothing is left to pay here
        (nothing due, or ``AUTO_REFUND`` sends it with the inspection)."""
        if total <= 0 or not may_pay_refunds(user):
            return None
        provider = provider_paying(obj.order, total)
        if provider and settings.AUTO_REFUND:
            return None
        return {"provider": provider}

    def _confirm_inspection(self, request, obj, forms, pairs, previewed_total: str):
        try:
            return_request_inspect(request=obj, by=request.user, verdicts={ln.pk: v for ln, v in pairs})
        except PolicyViolation as exc:
            self.message_user(request, str(exc), level=messages.ERROR)
            return self._inspection_page(request, obj, forms)
        except ReturnsError as exc:  # someone else inspected it, or the role does not allow it
            self.message_user(request, str(exc), level=messages.ERROR)
            return HttpResponseRedirect(self.page_url(obj))
        refund = Refund.objects.select_related("request", "order").filter(request=obj).first()
        text = f"{obj.rma} inspected: {inspection_outcome(pairs)}"
        pay = PAY in request.POST and refund is not None and refund.state == Refund.State.PENDING
        if refund is not None:
            text += f" Refund of {money(refund.total, refund.currency)} recorded"
            if refund.state == Refund.State.ISSUED:
                text += " (nothing to pay)."
            elif not pay:
                text += ", waiting to be issued."
            else:
                text += "."
        self.message_user(request, text, level=messages.SUCCESS)
        if pay:
            # The same service, lock and exactly-once guarantee as the request page's button (R11, R12).
            self._step(
                request,
                obj,
                lambda: refund_issue(refund=refund, by=request.user, reference=request.POST.get("reference", "")),
                lambda r: self.refund_message(obj, r),
            )
        if refund is not None and previewed_total and str(refund.total) != previewed_total:
            # Another refund on the same order was recorded between preview and confirm (R10 caps).
            self.message_user(
                request,
                f"The refund is {money(refund.total, refund.currency)}, not the {previewed_total} previewed: "
                "another refund on this order changed what is left to refund. See the breakdown.",
                level=messages.WARNING,
            )
        return HttpResponseRedirect(self.page_url(obj))

    def _inspection_page(self, request, obj, forms, *, preview=None):
        title = f"Confirm the inspection of {obj.rma}" if preview else f"Inspect {obj.rma}"
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": obj,
            "title": title,
            "forms": forms,
            "preview": preview,
            "page_url": self.page_url(obj),
            "changelist_url": self._url("changelist"),
            "currency": obj.order.currency,
            "status_text": status_label(obj.status),
            # What the customer was shown when submitting, to weigh against the verdicts and the refund they make.
            "estimate": Estimate.from_json(obj.estimate),
        }
        return TemplateResponse(request, "admin/returns/returnrequest/inspect.html", context)
