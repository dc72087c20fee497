"""The customer's pages: orders, starting a return, a return's page and its printable authorization,
photos, and the store's policy.

Thin on purpose: who may see what is ``returns.services.guest_access``, reads are ``returns.selectors``,
writes are ``returns.services``. An order, return or photo the visitor may not see is a
404 whether they are signed in or not, so numbers cannot be probed.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponseRedirect, HttpResponseServerError, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from returns.conf import policy_config, review_time_words, store_today
from returns.domain import policy, steps
from returns.domain.estimates import Estimate
from returns.domain.steps import ReturnFacts
from returns.exceptions import NotAllowed, PolicyViolation, ReturnsError
from returns.models import Channel, DamagePhoto, Order, ReturnRequest
from returns.roles import PERM_GRANT_EXCEPTION, PERM_START_FOR_CUSTOMER, UserPermissions
from returns.selectors.customer import (
    customer_return_detail,
    customer_returns,
    line_views,
    orders_with_lines,
    return_authorization,
    return_for_submission,
)
from returns.selectors.policy_facts import exception_offers
from returns.selectors.summary import has_authorization, return_summary
from returns.services import guest_access as access
from returns.services import images, photos
from returns.services.messages import TooManyMessages, message_from_customer
from returns.services.requests import return_request_cancel, return_request_record_shipment, return_request_submit
from returns.web.forms import NOTHING_CHOSEN, MessageForm, OnBehalfForm, ShipmentForm, StartReturnForm

S = ReturnRequest.Status
ORDERS_PER_PAGE = 20


def _sign_in_url() -> str:
    try:
        return reverse("home")
    except NoReverseMatch:  # the accounts pages are not installed: the site root
        return "/"


def customer_required(view):
    """Without customer access, go and sign in (or open a guest link), then come back here."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not access.has_customer_access(request):
            return redirect_to_login(request.get_full_path(), login_url=_sign_in_url())
        return view(request, *args, **kwargs)

    return wrapper


def private(view):
    """Whatever the visitor may not see is a 404 (never a 403), with a way to sign in."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except Http404:
            context = {
                "sign_in_url": _sign_in_url(),
                "next": request.get_full_path() if request.method == "GET" else "",
            }
            return render(request, "returns/not_found.html", context, status=404)

    return wrapper


def _customer(request):
    return request.user if request.user.is_authenticated else None


def _order(request, number: str) -> Order:
    """The visitor's order with its lines and their returns (``access.visible_orders``), or 404."""
    order = orders_with_lines(access.visible_orders(request)).filter(number=number).first()
    if order is None:
        raise Http404("No such order")
    return order


def _acting_for_customer(request) -> bool:
    """The start page's script posts ``for_customer`` when staff fill it in for a customer."""
    return bool(request.POST.get("for_customer")) and _may_start_for_customer(request)


def _order_to_start(request, number: str) -> Order:
    """The visitor's order, or for staff starting a return for its customer any order (``start_for_customer``)."""
    if not _acting_for_customer(request):
        return _order(request, number)
    order = orders_with_lines(Order.objects.filter(number=number)).first()
    if order is None:
        raise Http404("No such order")
    return order


def _return(request, rma: str, detail=customer_return_detail) -> ReturnRequest:
    """The visitor's return with everything its page shows (``access.visible_returns``), or 404."""
    found = detail(access.visible_returns(request)).filter(rma=rma.upper()).first()
    if found is None:
        raise Http404("No such return")
    return found


# --- orders ---------------------------------------------------------------


@require_GET
@customer_required
def orders(request):
    today = store_today()
    # Newest first, ORDERS_PER_PAGE at a time: a fixed number of queries whatever the history.
    newest_first = access.visible_orders(request).order_by("-placed_at", "-pk")
    page = Paginator(newest_first, ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    rows = []
    for order in orders_with_lines(page.object_list):
        lines = line_views(order, today)
        rows.append({"order": order, "lines": lines, "can_return": any(lv.eligibility.can_return for lv in lines)})
    returns = customer_returns(access.visible_returns(request)) if page.number == 1 else []
    return render(request, "returns/orders.html", {"rows": rows, "returns": returns, "page": page})


@require_GET
@private
def order_detail(request, number):
    order = _order(request, number)
    lines = line_views(order)
    context = {
        "order": order,
        "lines": lines,
        "can_return": any(lv.eligibility.can_return for lv in lines),
        "returns": customer_returns(order.return_requests.all()),
    }
    return render(request, "returns/order_detail.html", context)


# --- starting a return ------------------------------------------------------


@require_http_methods(["GET", "POST"])
@private
def start_return(request, number):
    order = _order(request, number)
    return _start(request, order, line_views(order))


def _may_start_for_customer(request) -> bool:
    user = request.user
    return user.is_authenticated and user.is_staff and PERM_START_FOR_CUSTOMER in UserPermissions(user)


def _staff_lines(request, order: Order) -> tuple[list, dict[int, str]]:
    """The order's lines for staff starting a return for its customer. With PERM_GRANT_EXCEPTION, a line that the
    window (R1) or an exclusion (R3) refuses is offered as if they did not, with what an exception sets aside."""
    views_of_lines = line_views(order)
    if PERM_GRANT_EXCEPTION not in UserPermissions(request.user):
        return views_of_lines, {}
    return exception_offers(order, views_of_lines)


@require_http_methods(["GET", "POST"])
@private
def start_for_customer(request, number):
    """Customer service starts a return for a customer who emailed or called: the customer's own form, checks and
    emails; photos the customer emailed go through the same pipeline. Anyone else: 404."""
    if not _may_start_for_customer(request):
        raise Http404("No such order")
    order = orders_with_lines(Order.objects.filter(number=number)).first()
    if order is None:
        raise Http404("No such order")
    views_of_lines, offered = _staff_lines(request, order)
    return _start(request, order, views_of_lines, exceptions_offered=offered, on_behalf=True)


def _start(request, order: Order, views_of_lines, *, exceptions_offered=None, on_behalf: bool = False):
    """The start-a-return page, for the customer or for staff acting for them (``on_behalf``)."""
    removing = request.POST.get("remove_photo", "")
    estimating = "estimate" in request.POST or bool(removing)
    behalf_form = OnBehalfForm(request.POST if request.method == "POST" and not estimating else None)
    if request.method == "POST":
        key = request.POST.get("submission_key", "")
        already = return_for_submission(order, key) if key and not estimating else None
        if already is not None:
            # A double click, a reload or the back button: the request exists; show it.
            return _after_submit(already, on_behalf)
        data = _without_photo(request, request.POST, removing) if removing else request.POST
        form = StartReturnForm(
            order=order,
            line_views=views_of_lines,
            data=data,
            files=request.FILES,
            request=request,
            exceptions_offered=exceptions_offered,
        )
        # Photos picked in the plain inputs are kept before the form is checked, even on "Update the estimate",
        # so a form that bounces keeps them.
        files = form.photo_files()
        kept = photos.pending_photos_upload(request=request, files=files, already=form.kept_count)
        form.add_kept(kept)
        paused_for = max((k.retry_after for k in kept), default=0)
        behalf_ok = not on_behalf or behalf_form.is_valid()
        if not estimating and form.is_valid() and behalf_ok:
            try:
                made = return_request_submit(
                    order=order,
                    lines=form.line_requests(),
                    by=_customer(request),
                    submission_key=form.submission_key,
                    auto_approve=True,
                    channel=behalf_form.cleaned_data["channel"] if on_behalf else Channel.PORTAL,
                )
            except PolicyViolation as exc:
                form.apply_violation(exc)
            except NotAllowed as exc:
                form.non_field_errors.append(str(exc))
            else:
                messages.success(request, _submitted_message(made, on_behalf=on_behalf))
                return _after_submit(made, on_behalf)
    else:
        form = StartReturnForm(order=order, line_views=views_of_lines, exceptions_offered=exceptions_offered)
        paused_for = 0
    context = {
        "order": order,
        "form": form,
        "show_errors": request.method == "POST" and not estimating,
        "est": form.estimate(),
        "policy": policy_config(),
        "nothing_chosen": NOTHING_CHOSEN,
        "photo_limits": {"bytes": images.setting("PHOTO_MAX_BYTES"), "count": images.setting("PHOTO_MAX_COUNT")},
        "on_behalf": behalf_form if on_behalf else None,
    }
    if not paused_for:
        return render(request, "returns/start_return.html", context)
    # A photo sent in the plain inputs met the pause: the form comes back with all it holds, as a 503.
    response = render(request, "returns/start_return.html", context, status=503)
    response["Retry-After"] = str(paused_for)
    return response


def _after_submit(made: ReturnRequest, on_behalf: bool):
    """The customer sees their return; staff go back to the request's page in the admin."""
    if on_behalf:
        return redirect(reverse("admin:returns_returnrequest_change", args=[made.pk]))
    return redirect("returns:return_detail", rma=made.rma)


def _submitted_message(made: ReturnRequest, *, on_behalf: bool = False) -> str:
    if on_behalf:
        told = (
            "approved; the customer is emailed the return authorization" if made.status == S.APPROVED else "requested"
        )
        return f"Return {made.rma} is {told}. The customer receives the same emails as from the portal."
    if made.status == S.APPROVED and made.ship_by:
        return (
            f"Your return {made.rma} is approved. Print the return authorization below "
            f"and ship the parcel by {policy.day(made.ship_by)}."
        )
    return f"Your return {made.rma} is requested. We review it {review_time_words()} and email you as soon as we have."


@require_POST
@private
def estimate(request, number):
    """The estimate fragment for the start page's script: the form as it is now, nothing saved."""
    order = _order_to_start(request, number)
    views_of_lines, offered = _staff_lines(request, order) if _acting_for_customer(request) else (line_views(order), {})
    form = StartReturnForm(order=order, line_views=views_of_lines, data=request.POST, exceptions_offered=offered)
    context = {"order": order, "est": form.estimate()}
    return render(request, "returns/_estimate.html", context)


def _without_photo(request, data, removing: str):
    """Without the script, "Remove" is a submit button: forget that photo and show the form again."""
    if removing.isdigit():
        found = photos.visible_pending(request).filter(pk=int(removing)).first()
        if found is not None:
            photos.pending_photo_remove(photo=found)
    data = data.copy()
    for key in list(data):
        if key.endswith("-pending_photos"):
            data.setlist(key, [v for v in data.getlist(key) if v != removing])
    return data


# --- photos picked one by one (the start page's script) --------------------------


def _photo_json(photo) -> dict:
    return {
        "id": photo.pk,
        "kind": photo.kind,
        "name": photo.original_name,
        "thumbnail": reverse("returns:pending_photo_thumbnail", args=[photo.pk]),
        "remove": reverse("returns:pending_photo_remove", args=[photo.pk]),
    }


@require_POST
@private
def upload_photo(request, number):
    """One photo, sent as soon as it is picked: processed now and kept for the form (``returns.services.photos``).

    Answers JSON: the kept photo, or ``{"error": ...}`` in words for the customer (400, 429 over the
    hourly limit, 503 when every decoding slot stayed busy or pending photos fill PENDING_PHOTO_MAX_BYTES).
    """
    order = _order_to_start(request, number)
    views_of_lines = _staff_lines(request, order)[0] if _acting_for_customer(request) else line_views(order)
    lines = {str(lv.line.pk): lv for lv in views_of_lines if lv.eligibility.can_return}
    line_view = lines.get(request.POST.get("line", ""))
    kind = request.POST.get("kind", "")
    upload = request.FILES.get("photo")
    if line_view is None or kind not in DamagePhoto.Kind.values:
        return JsonResponse({"error": "This item cannot take photos. Please reload the page."}, status=400)
    if upload is None:
        return JsonResponse({"error": "No photo arrived. Please choose it again."}, status=400)
    limit = images.setting("PHOTO_MAX_COUNT")
    if photos.visible_pending(request).filter(order_line__order=order).count() >= limit:
        return JsonResponse({"error": photos.over_limit_message(upload, limit) + " Remove one first."}, status=400)
    try:
        photo = photos.pending_photo_upload(request=request, order_line=line_view.line, kind=kind, upload=upload)
    except photos.TooManyUploads as exc:
        return JsonResponse({"error": str(exc)}, status=429, headers={"Retry-After": "600"})
    except images.PhotoServerBusy as exc:
        return JsonResponse({"error": str(exc)}, status=503, headers={"Retry-After": "5"})
    except photos.UploadsPaused as exc:
        return JsonResponse({"error": str(exc)}, status=503, headers={"Retry-After": str(exc.retry_after)})
    except images.ImageRejected as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse(_photo_json(photo), status=201)


@require_POST
@private
def remove_pending_photo(request, pk):
    photos.pending_photo_remove(photo=photos.pending_for(request, pk))
    return JsonResponse({"removed": pk})


@require_GET
@private
def pending_photo_thumbnail(request, pk):
    found = photos.pending_for(request, pk)
    return _image(found.thumbnail.name or found.image.name)


# --- a return -----------------------------------------------------------------


def _return_context(rr: ReturnRequest, **extra) -> dict:
    summary = return_summary(rr)
    context = {
        "rr": rr,
        "order": rr.order,
        "lines": summary.lines,
        "estimate": Estimate.from_json(rr.estimate),
        "replaced": summary.replaced,
        "unaccepted_item": summary.unaccepted_item,
        "history": [change for change in rr.history.all() if change.customer_visible],
        "refund": summary.refund,
        "expected": summary.expected_refund,
        "must_ship": summary.must_ship,
        "ship_by_days_left": summary.ship_by_days_left,
        "can_record_shipment": summary.can_record_shipment,
        "can_cancel": summary.can_cancel,
        "has_authorization": summary.has_authorization,
        "policy": policy_config(),
        "return_address": settings.STORE_RETURN_ADDRESS,
        "review_time": review_time_words(),
    }
    context["thread"] = list(rr.messages.all())
    context["store_name"] = settings.STORE_NAME
    context.setdefault("message_form", extra.get("message_form") or MessageForm())
    if context["can_record_shipment"] and "shipment_form" not in extra:
        initial = {"carrier": rr.carrier, "tracking_number": rr.tracking_number}
        context["shipment_form"] = ShipmentForm(initial=initial)
    context.update(extra)
    return context


@require_GET
@private
def return_detail(request, rma):
    rr = _return(request, rma)
    return render(request, "returns/return_detail.html", _return_context(rr))


@require_GET
@private
def authorization(request, rma):
    rr = _return(request, rma, return_authorization)
    if not has_authorization(rr):
        messages.info(
            request, "The return authorization is available once your return is approved and the item is to be sent."
        )
        return redirect("returns:return_detail", rma=rr.rma)
    context = {
        "rr": rr,
        "order": rr.order,
        "lines": list(rr.lines.all()),
        "return_address": settings.STORE_RETURN_ADDRESS,
    }
    return render(request, "returns/authorization.html", context)


@require_POST
@private
def record_shipment(request, rma):
    rr = _return(request, rma)
    form = ShipmentForm(request.POST)
    if not form.is_valid():
        context = _return_context(rr, shipment_form=form, can_record_shipment=True)
        return render(request, "returns/return_detail.html", context)
    try:
        return_request_record_shipment(
            request=rr,
            by=_customer(request),
            carrier=form.cleaned_data["carrier"],
            tracking_number=form.cleaned_data["tracking_number"],
        )
    except ReturnsError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Thank you: the carrier and tracking number are recorded.")
    return redirect("returns:return_detail", rma=rr.rma)


@require_POST
@private
def return_message(request, rma):
    """Ask about this return: the question joins its conversation and staff are told (``services.messages``)."""
    rr = _return(request, rma)
    form = MessageForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            message_from_customer(request=rr, by=_customer(request), body=form.cleaned_data["body"])
        except ReturnsError as exc:
            form.add_error("body", str(exc))
            status = 429 if isinstance(exc, TooManyMessages) else 400
        else:
            messages.success(request, "Thank you: your question is sent. We will answer here and by email.")
            return redirect(reverse("returns:return_detail", args=[rr.rma]) + "#messages")
    return render(request, "returns/return_detail.html", _return_context(rr, message_form=form), status=status)


@require_http_methods(["GET", "POST"])
@private
def cancel(request, rma):
    """GET asks for confirmation; POST cancels (the service refuses once the parcel is on its way)."""
    rr = _return(request, rma)
    if request.method == "POST":
        try:
            return_request_cancel(request=rr, by=_customer(request))
        except ReturnsError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Return {rr.rma} is cancelled. The items can be returned again while in time.")
        return redirect("returns:return_detail", rma=rr.rma)
    if not steps.can_cancel(ReturnFacts.of(rr)):
        messages.info(request, f"Return {rr.rma} can no longer be cancelled.")
        return redirect("returns:return_detail", rma=rr.rma)
    return render(request, "returns/cancel_confirm.html", {"rr": rr, "lines": list(rr.lines.all())})


# --- photos -------------------------------------------------------------------


def _image(name: str) -> FileResponse | HttpResponseRedirect:
    """The file, after the caller checked who may see it: streamed, or a short-lived signed URL."""
    if not name:
        raise Http404("No such photo")
    if settings.PHOTO_SERVING == "redirect" and not isinstance(default_storage, FileSystemStorage):
        # A URL signed for PHOTO_URL_MAX_AGE seconds; never cached, so it is never reused after that.
        response = HttpResponseRedirect(default_storage.url(name))
        response["Cache-Control"] = "private, no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response
    try:
        stream = default_storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404("No such photo") from None
    response = FileResponse(stream, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@private
def photo(request, pk):
    """R7: photos are private; ``access.photo_for`` lets through the owner and staff who may view them."""
    return _image(access.photo_for(request, pk).image.name)


@require_GET
@private
def message_photo(request, pk, thumbnail=False):
    """A photo the customer emailed with a message: the same privacy as every photo (``access.message_photo_for``)."""
    found = access.message_photo_for(request, pk)
    return _image((found.thumbnail.name or found.image.name) if thumbnail else found.image.name)


@require_GET
@private
def photo_thumbnail(request, pk):
    found = access.photo_for(request, pk)
    return _image(found.thumbnail.name or found.image.name)


# --- the policy ---------------------------------------------------------------


@require_GET
def policy_page(request):
    context = {"policy": policy_config(), "support_email": settings.STORE_SUPPORT_EMAIL}
    return render(request, "returns/policy.html", context)


# --- errors -------------------------------------------------------------------


def server_error(request):
    """The branded 500 page: the store's name and support address from settings, nothing that could fail again."""
    context = {"STORE_NAME": settings.STORE_NAME, "STORE_SUPPORT_EMAIL": settings.STORE_SUPPORT_EMAIL}
    return HttpResponseServerError(loader.get_template("500.html").render(context))
