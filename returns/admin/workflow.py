"""The staff steps on a request's page: each a POST (with CSRF) that calls one service.

Which buttons show is what the step checks (``returns.domain.steps``) allow this user
now; the service asks the same check again under its lock, and its error message is
what staff read (another person may have acted first).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect, QueryDict
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from returns.admin.display import money
from returns.admin.filters import QUEUE_HELD, QUEUE_LABELS, QUEUE_REVIEW, QueueFilter, queue_condition
from returns.admin.forms import ReceivingForm
from returns.domain import steps
from returns.domain.history import status_label
from returns.domain.policy import day
from returns.domain.steps import RefundFacts, ReplacementFacts, ReturnFacts
from returns.domain.vocabulary import RefundState
from returns.exceptions import ReturnsError
from returns.models import Refund, ReturnLine, ReturnRequest
from returns.roles import WAREHOUSE, UserPermissions, role_permissions
from returns.selectors.staff import next_in_queue, return_by_rma
from returns.services.refunds import refund_issue, refund_mark_failed
from returns.services.replacements import replacement_send
from returns.services.requests import (
    return_request_approve,
    return_request_receive,
    return_request_reinstate,
    return_request_reject,
)

RECEIVING = "receiving"


@dataclass(frozen=True)
class Allowed:
    """The steps to offer this user on this request now: each is its step check's answer."""

    approve: bool = False
    reject: bool = False
    receive: bool = False
    inspect: bool = False
    issue_refund: bool = False
    fail_refund: bool = False
    reinstate: bool = False
    replacements: list[ReturnLine] = field(default_factory=list)

    @property
    def anything(self) -> bool:
        steps_offered = (self.approve, self.reject, self.receive, self.inspect)
        return any((*steps_offered, self.issue_refund, self.fail_refund, self.reinstate)) or bool(self.replacements)


def is_receivable(obj: ReturnRequest) -> bool:
    """Whether the warehouse could receive this parcel now, whoever scanned it."""
    return bool(steps.can_receive(ReturnFacts.of(obj), role_permissions(WAREHOUSE)))


def inspection_blocker(user, obj: ReturnRequest) -> str | None:
    """Why this user cannot inspect this request now, or None: the service's own check."""
    answer = steps.can_inspect(ReturnFacts.of(obj), UserPermissions(user))
    return None if answer else answer.why


def may_pay_refunds(user) -> bool:
    """Whether this user may issue a refund that is waiting: asked before the inspection records one, so the
    confirmation can offer the payment with it."""
    return bool(steps.can_issue_refund(RefundFacts(state=RefundState.PENDING), UserPermissions(user)))


def allowed_actions(user, obj: ReturnRequest, refund: Refund | None, lines) -> Allowed:
    perms = UserPermissions(user)
    ret = ReturnFacts.of(obj)
    money_back = RefundFacts.of(refund) if refund is not None else None
    return Allowed(
        approve=bool(steps.can_approve(ret, perms)),
        reject=bool(steps.can_reject(ret, perms)),
        receive=bool(steps.can_receive(ret, perms)),
        inspect=bool(steps.can_inspect(ret, perms)),
        issue_refund=money_back is not None and bool(steps.can_issue_refund(money_back, perms)),
        fail_refund=money_back is not None and bool(steps.can_mark_refund_failed(money_back, perms)),
        reinstate=bool(steps.can_reinstate(ret, perms)),
        replacements=[line for line in lines if steps.can_send_replacement(ReplacementFacts.of(line), perms)],
    )


def _date(value) -> str:
    return day(value)


class WorkflowViews:
    """Mixed into ReturnRequestAdmin: the step views its ``get_urls`` adds."""

    def _url(self, name: str, *args) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_{name}", args=args)

    def page_url(self, obj: ReturnRequest) -> str:
        return self._url("change", obj.pk)

    def _request_for_step(self, request, object_id) -> ReturnRequest:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404("No such return request")
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        return obj

    def _step(self, request, obj: ReturnRequest, action, success, *, redirect_to=None):
        """Run one service; its error (wrong state, role, someone was quicker) becomes the message.

        ``redirect_to`` is a URL, or a function of the service's result giving one (None: the request's page).
        """
        try:
            result = action()
        except ReturnsError as exc:
            self.message_user(request, str(exc), level=messages.ERROR)
            where = redirect_to if isinstance(redirect_to, str) else None
        else:
            self.message_user(request, success(result), level=messages.SUCCESS)
            where = redirect_to(result) if callable(redirect_to) else redirect_to
        return HttpResponseRedirect(where or self.page_url(obj))

    # --- review (R5, R9) ---------------------------------------------------

    @staticmethod
    def _approved_message(req: ReturnRequest) -> str:
        if req.return_required:
            return f"{req.rma} approved. The customer must ship it by {_date(req.ship_by)} (R6)."
        return f"{req.rma} approved without sending the item back (R9); it can be inspected now."

    @staticmethod
    def _refund_of(obj: ReturnRequest) -> Refund | None:
        return Refund.objects.filter(request=obj).select_related("request").first()

    def approve_view(self, request, object_id):
        obj = self._request_for_step(request, object_id)
        choice = request.POST.get("return_required")
        if choice not in ("yes", "no"):
            self.message_user(request, "Choose whether the item must be sent back (R9).", level=messages.ERROR)
            return HttpResponseRedirect(self.page_url(obj))
        return self._step(
            request,
            obj,
            lambda: return_request_approve(
                request=obj, by=request.user, return_required=choice == "yes", note=request.POST.get("note", "")
            ),
            self._approved_message,
            redirect_to=lambda req: self._then_next(request, req),
        )

    def reject_view(self, request, object_id):
        obj = self._request_for_step(request, object_id)
        return self._step(
            request,
            obj,
            lambda: return_request_reject(request=obj, by=request.user, reason=request.POST.get("reason", "")),
            lambda req: f"{req.rma} rejected. The customer will read: “{req.rejection_reason}”",
            redirect_to=lambda req: self._then_next(request, req),
        )

    @staticmethod
    def review_queue(request, obj: ReturnRequest) -> str:
        """The review queue this page was opened from (its list's filter), else the one the request is in."""
        opened_from = QueryDict(request.GET.get("_changelist_filters", "")).get(QueueFilter.parameter_name)
        if opened_from in (QUEUE_REVIEW, QUEUE_HELD):
            return opened_from
        return QUEUE_HELD if obj.auto_review == "held" else QUEUE_REVIEW

    def _then_next(self, request, done: ReturnRequest) -> str | None:
        """After *Approve and next* / *Reject and next*: the next request of the same queue, or its list when
        nothing else waits; None (this request's page) for the plain buttons."""
        if not request.POST.get("_and_next"):
            return None
        queue = request.POST.get("queue")
        if queue not in (QUEUE_REVIEW, QUEUE_HELD):
            queue = QUEUE_REVIEW
        following = next_in_queue(queue_condition(queue), after=done)
        if following is None:
            self.message_user(request, f"Nothing else waits in “{QUEUE_LABELS[queue]}”.", level=messages.INFO)
            return f"{self._url('changelist')}?{urlencode({QueueFilter.parameter_name: queue})}"
        filters = urlencode({"_changelist_filters": urlencode({QueueFilter.parameter_name: queue})})
        return f"{self.page_url(following)}?{filters}"

    # --- receiving ---------------------------------------------------------

    def receive_view(self, request, object_id):
        obj = self._request_for_step(request, object_id)
        back_to_desk = request.POST.get("_next") == RECEIVING

        def next_screen(req: ReturnRequest) -> str | None:
            """From the desk: the request's page, where *Inspect now* has the focus, for whoever may inspect
            it; the desk again for whoever only receives."""
            if not back_to_desk:
                return None
            if inspection_blocker(request.user, req) is None:
                return f"{self.page_url(req)}?from={RECEIVING}"
            return self._url(RECEIVING)

        return self._step(
            request,
            obj,
            lambda: return_request_receive(request=obj, by=request.user, note=request.POST.get("note", "")),
            lambda req: f"{req.rma} marked received; it is waiting for inspection.",
            redirect_to=next_screen,
        )

    def receiving_view(self, request):
        """The receiving desk: scan or type an RMA, land on its page ready to mark it received."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        error = ""
        if "rma" in request.GET:
            typed = request.GET.get("rma", "")
            found = return_by_rma(typed)
            if found is not None and self.has_view_permission(request, found):
                if not is_receivable(found):
                    self.message_user(
                        request,
                        f"{found.rma} is {status_label(found.status).lower()}: there is nothing to receive.",
                        level=messages.WARNING,
                    )
                return HttpResponseRedirect(f"{self.page_url(found)}?from={RECEIVING}")
            shown = typed.strip() or "(nothing)"
            error = f"No return request has the RMA number “{shown}”. Check the code on the label and scan again."
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Receiving desk",
            "form": ReceivingForm(),
            "error": error,
            "changelist_url": self._url("changelist"),
        }
        return TemplateResponse(request, "admin/returns/returnrequest/receiving.html", context)

    # --- the refund (R11, R12) ---------------------------------------------

    def refund_issue_view(self, request, object_id):
        obj = self._request_for_step(request, object_id)
        refund = self._refund_of(obj)
        if refund is None:
            self.message_user(request, f"{obj.rma} has no refund to issue.", level=messages.ERROR)
            return HttpResponseRedirect(self.page_url(obj))
        return self._step(
            request,
            obj,
            lambda: refund_issue(refund=refund, by=request.user, reference=request.POST.get("reference", "")),
            lambda r: self.refund_message(obj, r),
        )

    @staticmethod
    def refund_message(obj: ReturnRequest, r: Refund) -> str:
        """What staff read once a refund was issued or sent, wherever they issued it."""
        amount = f"{money(r.total, r.currency)} to {r.payment_method}"
        if r.state == Refund.State.ISSUED:
            return f"Refund for {obj.rma} issued: {amount} (reference {r.reference})."
        if r.state == Refund.State.FAILED:
            return f"The refund for {obj.rma} failed: {r.failure_reason}"
        if r.last_error:
            return (
                f"The payment provider did not answer for {obj.rma}: the refund of {amount} waits and is retried "
                f"automatically, never paid twice. ({r.last_error})"
            )
        return f"Refund for {obj.rma} ({amount}) sent; the provider is processing it (reference {r.reference or '—'})."

    def refund_fail_view(self, request, object_id):
        obj = self._request_for_step(request, object_id)
        refund = self._refund_of(obj)
        if refund is None:
            self.message_user(request, f"{obj.rma} has no refund.", level=messages.ERROR)
            return HttpResponseRedirect(self.page_url(obj))
        return self._step(
            request,
            obj,
            lambda: refund_mark_failed(refund=refund, by=request.user, reason=request.POST.get("reason", "")),
            lambda r: f"Refund for {obj.rma} marked failed: {r.failure_reason}. Issue it again once it goes through.",
        )

    # --- replacements (R9) and reinstating (R6) ----------------------------

    def replacement_view(self, request, object_id, line_id):
        obj = self._request_for_step(request, object_id)
        line = ReturnLine.objects.select_related("order_line").filter(pk=line_id, request=obj).first()
        if line is None:
            raise Http404("No such line on this request")
        return self._step(
            request,
            obj,
            lambda: replacement_send(line=line, by=request.user, note=request.POST.get("note", "")),
            lambda ln: f"Replacement for {ln.order_line.name} × {ln.quantity} on {obj.rma} marked sent.",
        )

    def reinstate_view(self, request, object_id):
        obj = self._request_for_step(request, object_id)
        return self._step(
            request,
            obj,
            lambda: return_request_reinstate(request=obj, by=request.user, note=request.POST.get("note", "")),
            lambda req: f"{req.rma} reinstated. New ship-by date: {_date(req.ship_by)} (R6).",
        )

    # --- wiring --------------------------------------------------------------

    def workflow_urls(self):
        from django.urls import path

        def view(fn, *, post_only=True):
            return self.admin_site.admin_view(require_POST(fn) if post_only else fn)

        name = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("receiving/", view(self.receiving_view, post_only=False), name=f"{name}_{RECEIVING}"),
            path("<path:object_id>/approve/", view(self.approve_view), name=f"{name}_approve"),
            path("<path:object_id>/reject/", view(self.reject_view), name=f"{name}_reject"),
            path("<path:object_id>/receive/", view(self.receive_view), name=f"{name}_receive"),
            path("<path:object_id>/inspect/", view(self.inspect_view, post_only=False), name=f"{name}_inspect"),
            path("<path:object_id>/refund/issue/", view(self.refund_issue_view), name=f"{name}_refund_issue"),
            path("<path:object_id>/refund/fail/", view(self.refund_fail_view), name=f"{name}_refund_fail"),
            path(
                "<path:object_id>/replacement/<int:line_id>/",
                view(self.replacement_view),
                name=f"{name}_replacement",
            ),
            path("<path:object_id>/reinstate/", view(self.reinstate_view), name=f"{name}_reinstate"),
        ]
