"""Sign-in, sign-up, password reset and guest-link forms, with messages in plain words."""

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm, SetPasswordMixin

from accounts import emails
from accounts.models import User
from accounts.services import user_unlock_sign_in
from core.addresses import normalize_email
from returns.models import Order

EMAIL_ERRORS = {
    "required": "Enter your email address.",
    "invalid": "Enter an email address in the form name@example.com.",
}


def email_field(label: str = "Email address", **kwargs) -> forms.EmailField:
    return forms.EmailField(
        label=label,
        max_length=254,
        error_messages=EMAIL_ERRORS,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autocapitalize": "none", "spellcheck": "false"}),
        **kwargs,
    )


class FocusFirstErrorMixin:
    """After a failed submit, the cursor (and a screen reader) starts at the first field to fix."""

    def full_clean(self):
        super().full_clean()
        if not (self.is_bound and self._errors):
            return
        for field in self.fields.values():
            field.widget.attrs.pop("autofocus", None)
        target = next((name for name in self.fields if name in self._errors), next(iter(self.fields)))
        self.fields[target].widget.attrs["autofocus"] = True


class SignInForm(FocusFirstErrorMixin, AuthenticationForm):
    username = forms.CharField(
        label="Email address",
        max_length=254,  # an email's longest; the lockout's records hold 255
        error_messages={**EMAIL_ERRORS, "max_length": "An email address is at most 254 characters long."},
        widget=forms.EmailInput(
            attrs={"autocomplete": "email", "autocapitalize": "none", "spellcheck": "false", "autofocus": True}
        ),
    )
    error_messages = {
        "invalid_login": (
            "That email address and password don't match an account. Check them and try again, or reset your password."
        ),
        "inactive": "This account is closed. Please contact us if you need it again.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].error_messages["required"] = "Enter your password."


class VerifyPasswordForm(FocusFirstErrorMixin, forms.Form):
    """The account's password, asked when a verification link is opened outside that account.

    Checked through authenticate(), like any sign-in, so wrong guesses count towards the lockout.
    """

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
        error_messages={"required": "Enter the password you chose when you signed up."},
    )

    def __init__(self, *args, user: User, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.request = request

    def clean_password(self):
        password = self.cleaned_data["password"]
        signed_in = authenticate(self.request, username=self.user.email, password=password)
        if signed_in is None or signed_in.pk != self.user.pk:
            raise forms.ValidationError(
                "That is not this account's password. Type the password you chose when you signed up, "
                "or reset it (that confirms your address too)."
            )
        return password


class SignUpForm(FocusFirstErrorMixin, SetPasswordMixin, forms.Form):
    """Never says whether the address already has an account: the view handles both alike."""

    email = email_field(help_text="We'll send a link to this address to confirm it's yours.")
    full_name = forms.CharField(
        label="Full name",
        max_length=150,
        error_messages={"required": "Enter your name.", "max_length": "Use at most 150 characters."},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password1, password2 = SetPasswordMixin.create_password_fields(label1="Password", label2="Password again")
    error_messages = {"password_mismatch": "The two passwords are different. Type the same password twice."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password1"].error_messages["required"] = "Choose a password."
        self.fields["password2"].error_messages["required"] = "Type your password again."
        self.fields["password2"].help_text = "The same password again, to be sure it's typed right."

    def clean_email(self):
        return normalize_email(self.cleaned_data["email"])

    def clean(self):
        cleaned = super().clean()
        self.validate_passwords()
        candidate = User(email=cleaned.get("email", ""), full_name=cleaned.get("full_name", ""))
        self.validate_password_for_user(candidate, "password1")
        return cleaned


class PasswordResetRequestForm(FocusFirstErrorMixin, PasswordResetForm):
    """Django's reset form (silent about unknown addresses), mailing links built from PORTAL_BASE_URL."""

    email = email_field()

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, **kwargs):
        emails.send_password_reset(to=to_email, uid=context["uid"], token=context["token"])


class NewPasswordForm(FocusFirstErrorMixin, SetPasswordForm):
    """A reset link reached this address, which proves it is the account holder's: mark it verified.

    It also ends any sign-up someone else made with this address: their password is gone.
    """

    error_messages = {"password_mismatch": "The two passwords are different. Type the same password twice."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password2"].label = "New password again"
        self.fields["new_password1"].error_messages["required"] = "Choose a new password."
        self.fields["new_password2"].error_messages["required"] = "Type your new password again."

    def clean(self):
        # Password rules are shown next to the first box, where the password is typed.
        self.validate_passwords("new_password1", "new_password2")
        self.validate_password_for_user(self.user, "new_password1")
        return self.cleaned_data

    def save(self, commit=True):
        self.user.email_verified = True
        user = super().save(commit=commit)
        if commit:
            user_unlock_sign_in(user=user)  # the reset link proved the mailbox: the lockout ends
        return user


class GuestLinkForm(FocusFirstErrorMixin, forms.Form):
    order_number = forms.CharField(
        label="Order number",
        max_length=Order._meta.get_field("number").max_length,
        help_text="It's in your order confirmation email.",
        error_messages={
            "required": "Enter your order number.",
            "max_length": "An order number is at most %(limit_value)d characters long. Check it and try again.",
        },
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "text"}),
    )
    email = email_field(label="Email address used for the order")

    def clean_order_number(self):
        number = self.cleaned_data["order_number"].strip().lstrip("#").strip()
        if not number:
            raise forms.ValidationError("Enter your order number.", code="required")
        return number

    def clean_email(self):
        return normalize_email(self.cleaned_data["email"])


class GuestCodeForm(FocusFirstErrorMixin, forms.Form):
    code = forms.CharField(
        label="Code from the email",
        max_length=12,
        help_text="6 digits. Or open the link in the email instead.",
        error_messages={"required": "Enter the 6-digit code from the email."},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*", "spellcheck": "false"}
        ),
    )

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if not (len(code) == 6 and code.isascii() and code.isdigit()):
            raise forms.ValidationError("The code is 6 digits, like 123 456.", code="invalid")
        return code
