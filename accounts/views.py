"""Customer sign-in, sign-up, email verification, password reset and guest links.

Answers never tell a visitor whether an address has an account or whether an
order exists: sign-up, password reset and guest links show the same page either
way, and only the address's owner learns more, by email.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods
from django.views.generic import FormView, TemplateView

from accounts import devices, emails, throttle
from accounts.forms import (
    GuestCodeForm,
    GuestLinkForm,
    NewPasswordForm,
    PasswordResetRequestForm,
    SignInForm,
    SignUpForm,
    VerifyPasswordForm,
)
from accounts.services import user_signup, user_verify_email
from core.addresses import client_address, normalize_email
from returns.services.guest_access import (
    CodeResult,
    grant_guest_order,
    guest_code_use,
    has_customer_access,
    order_from_guest_token,
)

AUTH_BACKEND = "accounts.backends.EmailBackend"


# --- throttle -----------------------------------------------------------------------


def link_wait(request, scope: str, email: str) -> throttle.Wait | None:
    """Count one request for a link; the wait it must make (accounts.throttle), or None to send it now.

    A browser the address's account has signed in on is its owner's: others' requests never hold it up.
    """
    address = normalize_email(email)
    owner = devices.is_known(request, address)
    return throttle.link_wait(scope, address=address, client=client_address(request), owner=owner)


def too_many(response, wait: throttle.Wait):
    """The page that says to wait, as 429 with Retry-After."""
    response.status_code = 429
    response["Retry-After"] = str(wait.seconds)
    return response


# --- pages -------------------------------------------------------------------------


@require_GET
def home(request):
    # Private pages send visitors without access here with ?next=; signing in returns them there.
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts=None):
        next_url = ""
    context = {
        "guest_form": GuestLinkForm(),
        "has_customer_access": has_customer_access(request),
        "login_url": reverse("accounts:login") + (f"?{urlencode({'next': next_url})}" if next_url else ""),
    }
    return render(request, "home.html", context)


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        user = self.request.user
        if user.is_authenticated and not user.email_verified:
            return reverse("accounts:verify_pending")
        return super().get_default_redirect_url()


class SignUpView(FormView):
    template_name = "accounts/signup.html"
    form_class = SignUpForm

    def form_valid(self, form):
        data = form.cleaned_data
        if wait := link_wait(self.request, "sign-up", data["email"]):
            return too_many(self.render_to_response(self.get_context_data(form=form, alert=wait.message)), wait)
        user_signup(email=data["email"], full_name=data["full_name"], password=data["password1"])
        return redirect("accounts:signup_done")


class SignUpDoneView(TemplateView):
    template_name = "accounts/signup_done.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(valid_for=emails.duration_words(settings.EMAIL_VERIFICATION_MAX_AGE), **kwargs)


@require_http_methods(["GET", "POST"])
def verify_email(request, token):
    """The link in the sign-up email: marks the address verified and signs the user in.

    Whoever opens it must also know the account's password (or already be signed in
    to it): someone who signed up with another person's address cannot have that
    person click the link and hand them their orders. The password is checked like any
    sign-in, so wrong guesses count towards the sign-in lockout (accounts/lockout.py).
    """
    try:
        user = emails.user_from_verification_token(token)
    except signing.SignatureExpired:
        return render(request, "accounts/verify_invalid.html", {"expired": True}, status=410)
    except signing.BadSignature:
        return render(request, "accounts/verify_invalid.html", {"expired": False}, status=400)
    if not (request.user.is_authenticated and request.user.pk == user.pk):
        form = VerifyPasswordForm(user=user, request=request, data=request.POST if request.method == "POST" else None)
        if not form.is_valid():
            return render(request, "accounts/verify_confirm.html", {"form": form, "email": user.email})
    user_verify_email(user=user)
    login(request, user, backend=AUTH_BACKEND)
    messages.success(request, f"Thank you: {user.email} is verified. Orders placed with it are shown here.")
    return redirect(settings.LOGIN_REDIRECT_URL)


@login_required
@require_http_methods(["GET", "POST"])
def verify_pending(request):
    """For a signed-in user whose address is not verified yet: why no orders show, and a new link."""
    user = request.user
    if user.email_verified:
        return redirect(settings.LOGIN_REDIRECT_URL)
    context = {"valid_for": emails.duration_words(settings.EMAIL_VERIFICATION_MAX_AGE)}
    if request.method == "POST":
        if wait := link_wait(request, "verify-email", user.email):
            return too_many(render(request, "accounts/verify_pending.html", {**context, "alert": wait.message}), wait)
        emails.send_verification(user)
        messages.success(request, f"We've sent a new link to {user.email}.")
        return redirect("accounts:verify_pending")
    return render(request, "accounts/verify_pending.html", context)


class PasswordResetRequestView(auth_views.PasswordResetView):
    form_class = PasswordResetRequestForm
    template_name = "accounts/password_reset_form.html"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        if wait := link_wait(self.request, "password-reset", form.cleaned_data["email"]):
            return too_many(self.render_to_response(self.get_context_data(form=form, alert=wait.message)), wait)
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(valid_for=emails.duration_words(settings.PASSWORD_RESET_TIMEOUT), **kwargs)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = NewPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


# --- guest links -------------------------------------------------------------------


def _guest_page(request, form, *, status=200, alert="", link_problem=False):
    context = {"form": form, "alert": alert, "link_problem": link_problem}
    return render(request, "accounts/guest.html", context, status=status)


GUEST_CODE_SESSION_KEY = "guest_code"
CODE_WRONG = "That code is not right. Check the 6 digits in the email and try again."
CODE_SPENT = "This code has expired or was tried too many times. Ask for a new one below."


def _guest_sent_page(request, *, code_form=None, alert="", status=200, new_code=False):
    pending = request.session.get(GUEST_CODE_SESSION_KEY) or {}
    initial = {"order_number": pending.get("number", ""), "email": pending.get("email", "")}
    context = {
        "guest_form": GuestLinkForm(initial=initial) if new_code else None,
        "number": pending.get("number", ""),
        "email": pending.get("email", ""),
        "valid_for": emails.duration_words(settings.GUEST_LINK_MAX_AGE),
        "code_valid_for": emails.duration_words(settings.GUEST_CODE_MAX_AGE),
        "code_form": code_form or GuestCodeForm(),
        "alert": alert,
    }
    return render(request, "accounts/guest_sent.html", context, status=status)


@require_http_methods(["GET", "POST"])
def guest(request):
    """Order number + email: mail a link and a code that open the order, if there is one. Same answer either way.

    The request only records what was typed; the order is looked up and the email
    written by the sender, off the request, so the answer also takes the same time.
    """
    if request.method == "GET":
        return _guest_page(request, GuestLinkForm())
    form = GuestLinkForm(request.POST)
    if not form.is_valid():
        return _guest_page(request, form)
    number, email = form.cleaned_data["order_number"], form.cleaned_data["email"]
    if wait := link_wait(request, "guest-link", email):
        return too_many(_guest_page(request, form, alert=wait.message), wait)
    guest_code = emails.request_guest_link(number=number, email=email)
    request.session[GUEST_CODE_SESSION_KEY] = {"id": guest_code.pk, "number": number, "email": email}
    return _guest_sent_page(request)


@require_http_methods(["POST"])
def guest_code(request):
    """The 6-digit code from the guest email, typed on the "check your inbox" page."""
    form = GuestCodeForm(request.POST)
    if not form.is_valid():
        return _guest_sent_page(request, code_form=form)
    pending = request.session.get(GUEST_CODE_SESSION_KEY) or {}
    guest_code_id = pending.get("id") if isinstance(pending.get("id"), int) else None
    result, order = guest_code_use(guest_code_id=guest_code_id, code=form.cleaned_data["code"])
    if order is None:
        if result == CodeResult.WRONG:
            return _guest_sent_page(request, alert=CODE_WRONG, status=400)
        return _guest_sent_page(request, alert=CODE_SPENT, status=400, new_code=True)
    request.session.pop(GUEST_CODE_SESSION_KEY, None)
    grant_guest_order(request, order)
    request.session.cycle_key()
    return redirect("returns:order_detail", order.number)


@require_GET
def guest_open(request, token):
    """The link in the guest email: opens that order (only) in this browser session."""
    order = order_from_guest_token(token)
    if order is None:
        return _guest_page(request, GuestLinkForm(), status=400, link_problem=True)
    grant_guest_order(request, order)
    # A new session key, so a session id planted before the link was opened learns nothing.
    request.session.cycle_key()
    target = request.GET.get("next", "")
    if not (target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts=None)):
        target = reverse("returns:order_detail", args=[order.number])
    return redirect(target)
