"""The customer's forms: starting a return (one fieldset per order line), recording a shipment.

The forms check the shape of what was typed and run the same policy engine the
service runs, so every problem shows next to its field at once; the service
checks again under a lock and has the last word. They only validate: photos are
stored by ``returns.services.photos``, which the view calls with what the form checked.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from django import forms
from django.forms.utils import ErrorDict

from returns.conf import policy_config, store_today
from returns.domain import carriers, citations, policy, wording
from returns.domain.estimates import Estimate, Note
from returns.exceptions import PolicyViolation
from returns.models import Channel, DamagePhoto, Order, OrderLine, PendingPhoto, Reason, Resolution
from returns.selectors import estimates
from returns.selectors.customer import LineView
from returns.selectors.policy_facts import Claim, line_facts
from returns.services import images, messages, photos
from returns.services.requests import LineRequest
from returns.web.rendering import WIDGETS

FAULT_GROUP = "Something is wrong with it"
STANDARD_GROUP = "Other reasons"
CONDITION_TEXT = (
    "I confirm the {name} is in its original condition and original packaging, "
    "with all labels, manuals and accessories."
)


# What the server says when a ticked line misses something; the page's script says the same words.
# The rules' own sentences come from the policy (``returns.domain.policy``); these are about the form.
QUANTITY_MISSING = "Enter how many to return."
NOTHING_CHOSEN = "Choose at least one item to return: tick the box next to it."


def _rule_message(decision: policy.Decision) -> str:
    """The message as the customer reads it: the store's policy section, not the rule ID."""
    return citations.customer_words(f"{decision.message} ({decision.rule})")


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several files from one input; each is decoded and re-encoded later by ``returns.services.images``."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        return [super(PhotosField, self).clean(f, initial) for f in files if f]


class PendingPhotosField(forms.Field):
    """The ids of photos already uploaded for this line; what is not a number is dropped."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        values = value if isinstance(value, list | tuple) else [value] if value else []
        return [int(v) for v in values if str(v).isdigit()][: images.DEFAULTS["PHOTO_MAX_COUNT"] * 4]


def photo_limits_text() -> str:
    """The limits, shown before the customer picks a photo."""
    count = images.setting("PHOTO_MAX_COUNT")
    size = images.mb(images.setting("PHOTO_MAX_BYTES"), up=False)
    kinds = "JPEG, PNG, WebP or HEIC" if images.HEIF_AVAILABLE else "JPEG, PNG or WebP"
    return f"Up to {count} photos per return, {size} MB each; {kinds}."


class ReturnLineForm(forms.Form):
    """What the customer asks for one order line. Unticked lines are ignored, whatever they hold."""

    default_renderer = WIDGETS

    selected = forms.BooleanField(required=False)
    quantity = forms.IntegerField(min_value=1, required=False)
    reason = forms.ChoiceField(required=False)
    description = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    condition_confirmed = forms.BooleanField(required=False)
    preference = forms.ChoiceField(
        choices=Resolution.choices,
        initial=Resolution.REFUND,
        required=False,
        widget=forms.RadioSelect,
        label="Would you like a replacement or a refund?",
        help_text="A replacement is sent if we have one; if not, you get a full refund.",
    )
    issue_photos = PhotosField(
        required=False,
        label="Photos of the damage or fault",
        help_text="At least one for damaged or defective items.",
    )
    packaging_photos = PhotosField(
        required=False,
        label="Photos of the packaging it arrived in",
        help_text="At least one for damaged or defective items.",
    )
    pending_photos = PendingPhotosField(required=False)

    def __init__(self, *args, line_view: LineView, **kwargs):
        self.line_view = line_view
        self.line: OrderLine = line_view.line
        # Photos already uploaded and kept for this line, by kind (set by StartReturnForm).
        self.kept: dict[str, list[PendingPhoto]] = {k: [] for k in DamagePhoto.Kind.values}
        self.eligibility = line_view.eligibility
        # Staff starting a return for a customer, allowed to grant exceptions: offered where R1 or R3 refuses.
        self.exception_form: ExceptionForm | None = None
        kwargs.setdefault("prefix", f"line-{self.line.pk}")
        kwargs.setdefault("initial", {"quantity": 1, "preference": Resolution.REFUND})
        super().__init__(*args, **kwargs)
        name = self.line.name
        most = self.eligibility.returnable_quantity
        f = self.fields
        f["selected"].label = f"Return {name}"
        f["quantity"].label = f"How many {wording.plural_name(name)} to return"
        # More than ``most`` is the policy's R4 verdict (see StartReturnForm), not a field error.
        below_one = _rule_message(policy.Decision(False, "R4", policy.NONE_CHOSEN))
        f["quantity"].error_messages["min_value"] = below_one
        f["quantity"].help_text = f"Up to {most}."
        f["quantity"].widget.attrs.update(
            {
                "min": 1,
                "max": most,
                "inputmode": "numeric",
                "class": "form-control",
                "aria-required": "true",
                "data-msg-missing": QUANTITY_MISSING,
                "data-msg-min": below_one,
                "data-msg-max": _rule_message(policy.Decision(False, "R4", policy.only_left_message(most))),
            }
        )
        f["reason"].label = f"Why are you returning the {name}?"
        fault = [(r.value, r.label) for r in Reason if policy.is_fault_reason(r.value)]
        standard = [(r.value, r.label) for r in Reason if not policy.is_fault_reason(r.value)]
        choices = [("", "Choose a reason…"), (FAULT_GROUP, fault)]
        if self.eligibility.standard_allowed:
            choices.append((STANDARD_GROUP, standard))
        elif self.eligibility.exclusion:
            f["reason"].help_text = _rule_message(self.eligibility.exclusion)
            f["reason"].error_messages["invalid_choice"] = _rule_message(self.eligibility.exclusion)
        f["reason"].choices = choices
        f["reason"].widget.attrs.update(
            {
                "class": "form-select",
                "data-reason": "",
                "aria-required": "true",
                "data-msg-missing": policy.REASON_MISSING,
            }
        )
        f["description"].label = f"Short description for the {name}"
        f["description"].help_text = (
            "Needed for damage, a fault or a wrong item: what is wrong? Optional otherwise, "
            "for example: too small, not the colour shown."
        )
        f["description"].widget.attrs.update(
            {
                "class": "form-control",
                "maxlength": 2000,
                # Required only with a fault reason (policy.description_required): the script asks the same.
                "data-required-when": "fault",
                "data-msg-missing": policy.DESCRIPTION_MISSING,
            }
        )
        f["condition_confirmed"].label = CONDITION_TEXT.format(name=name)
        f["condition_confirmed"].widget.attrs.update(
            {
                "class": "form-check-input",
                "aria-required": "true",
                "data-msg-missing": _rule_message(policy.Decision(False, "R2", policy.CONDITION_NOT_CONFIRMED)),
            }
        )
        f["selected"].widget.attrs.update({"class": "form-check-input", "data-select-line": ""})
        f["preference"].widget.attrs.update({"class": "form-check-input"})
        limits = photo_limits_text()
        for kind in DamagePhoto.Kind.values:
            field = f[f"{kind}_photos"]
            field.help_text = f"{field.help_text} {limits}"
            field.widget.attrs.update({"class": "form-control", "accept": "image/*", "data-photo-kind": kind})

    @property
    def single_unit(self) -> bool:
        """One unit left to return: the quantity is 1, not a question (sent as a hidden field)."""
        return self.eligibility.returnable_quantity == 1

    @property
    def is_selected(self) -> bool:
        if not self.is_bound:
            return False
        widget = self.fields["selected"].widget
        value = widget.value_from_datadict(self.data, self.files, self["selected"].html_name)
        return bool(self.fields["selected"].to_python(value))

    @property
    def is_fault(self) -> bool:
        return policy.is_fault_reason(self.cleaned_data.get("reason") or "")

    def full_clean(self):
        super().full_clean()
        if self.is_bound and not self.is_selected:
            # An unticked line is not part of the request: nothing in it can be wrong.
            self._errors = ErrorDict()
            self.cleaned_data = {"selected": False}

    def clean(self):
        data = super().clean()
        if not data.get("selected"):
            return data
        if data.get("quantity") is None and "quantity" not in self.errors:
            self.add_error("quantity", QUANTITY_MISSING)
        if not data.get("reason") and "reason" not in self.errors:
            self.add_error("reason", policy.REASON_MISSING)
        needs_words = policy.description_required(data.get("reason") or "")
        if needs_words and not data.get("description") and "description" not in self.errors:
            self.add_error("description", policy.DESCRIPTION_MISSING)
        return data

    def photo_uploads(self) -> dict[str, list]:
        """The files chosen in the plain file inputs (no script) for a fault claim, by kind."""
        if not (self.is_selected and self.is_fault):
            return {DamagePhoto.Kind.ISSUE: [], DamagePhoto.Kind.PACKAGING: []}
        return {
            DamagePhoto.Kind.ISSUE: self.cleaned_data.get("issue_photos") or [],
            DamagePhoto.Kind.PACKAGING: self.cleaned_data.get("packaging_photos") or [],
        }

    def photos_for_request(self) -> list[PendingPhoto]:
        """The kept photos that go with the request: only a selected fault claim carries photos."""
        if not (self.is_selected and self.is_fault):
            return []
        return [p for kind in DamagePhoto.Kind.values for p in self.kept[kind]]

    def add_photo_error(self, kind: str, message: str) -> None:
        field = f"{kind}_photos"
        if self.has_error(field):
            self.errors[field].append(message)
        else:
            self.add_error(field, message)

    def add_decision(self, decision: policy.Decision) -> None:
        """Put a rule the line breaks next to the field it concerns."""
        field = {"R2": "condition_confirmed", "R3": "reason", "R4": "quantity"}.get(decision.rule)
        if decision.rule == "R7":
            missing_issue = not self.kept[DamagePhoto.Kind.ISSUE] and "issue_photos" not in self.errors
            field = "issue_photos" if missing_issue else "packaging_photos"
        if field and not self.has_error(field):
            self.add_error(field, _rule_message(decision))
        elif not field:
            self.add_error(None, _rule_message(decision))

    def estimate_note(self) -> Note | None:
        """Why a ticked line is left out of the estimate (never just "tick an item")."""
        if not self.is_selected or self.claim() is not None:
            return None
        data, name = self.cleaned_data, self.line.name
        quantity, most = data.get("quantity"), self.eligibility.returnable_quantity
        if quantity and quantity > most:
            return Note(name, policy.only_left_message(most), "R4")
        if self.has_error("reason") and self.eligibility.exclusion:
            return Note(name, self.eligibility.exclusion.message, "R3")
        if not quantity:
            return Note(name, "Choose how many to return.")
        return Note(name, "Choose why you are returning it.")

    def claim(self) -> Claim | None:
        """What the line counts for in the refund estimate, if its quantity and reason are usable."""
        if not self.is_selected:
            return None
        self.is_valid()
        data = self.cleaned_data
        quantity, reason = data.get("quantity"), data.get("reason")
        if not quantity or not reason or quantity > self.eligibility.returnable_quantity:
            return None
        return Claim(
            order_line=self.line,
            quantity=data["quantity"],
            reason=data["reason"],
            preference=data.get("preference") or Resolution.REFUND,
        )


class StartReturnForm:
    """The whole start-a-return page: one ``ReturnLineForm`` per returnable line and a submission key.

    Photos are uploaded one by one as they are picked (``returns.services.photos``) and the
    form carries their ids; without the script, the view hands ``photo_files()`` to the
    photo service before checking the form and gives back what it kept (``add_kept``).
    Either way a form that bounces keeps its photos. ``is_valid()`` checks the shape,
    finds the photos the form names and runs the policy engine on every chosen line,
    writing nothing; ``line_requests()`` is then ready for ``services.requests.return_request_submit``.
    """

    def __init__(
        self,
        *,
        order: Order,
        line_views: list[LineView],
        data=None,
        files=None,
        request=None,
        exceptions_offered: dict[int, str] | None = None,
    ):
        self.order = order
        self.request = request
        self.is_bound = data is not None
        self.data = data
        self.line_forms = [ReturnLineForm(data, files, line_view=lv) for lv in line_views if lv.eligibility.can_return]
        self.blocked = [lv for lv in line_views if not lv.eligibility.can_return]
        if not self.is_bound and len(self.line_forms) == 1:
            # The only item that can go back starts ticked: nothing else could be meant.
            self.line_forms[0].initial["selected"] = True
        # Order line id -> what an exception would set aside, in words (staff with PERM_GRANT_EXCEPTION only).
        for form in self.line_forms:
            if form.line.pk in (exceptions_offered or {}):
                form.exception_form = ExceptionForm(
                    data, prefix=f"line-{form.line.pk}-exception", refused=exceptions_offered[form.line.pk]
                )
        self.submission_key = self._key(data)
        self.non_field_errors: list[str] = []
        self._kept_found = False
        self._valid: bool | None = None

    @staticmethod
    def _key(data) -> str:
        if data is not None:
            try:
                return str(uuid.UUID(str(data.get("submission_key", ""))))
            except ValueError:
                pass
        return str(uuid.uuid4())

    @property
    def can_return_anything(self) -> bool:
        return bool(self.line_forms)

    def chosen(self) -> list[ReturnLineForm]:
        return [f for f in self.line_forms if f.is_selected]

    def is_valid(self) -> bool:
        if not self.is_bound:
            return False
        if self._valid is None:
            self._valid = self._validate()
        return self._valid

    def _validate(self) -> bool:
        chosen = self.chosen()
        if not chosen:
            self.non_field_errors.append(NOTHING_CHOSEN)
        for form in self.line_forms:
            form.is_valid()
        self._find_kept()
        limit = images.setting("PHOTO_MAX_COUNT")
        attached = sum(len(form.photos_for_request()) for form in chosen)
        if attached > limit:  # uploads raced past the upload view's check: the form has the last word
            self.non_field_errors.append(
                f"You added {attached} photos; a return can have at most {limit}. Please remove {attached - limit}."
            )
        for form in chosen:
            if form.has_error("quantity") or form.has_error("reason"):
                continue
            for decision in self._policy_problems(form):
                form.add_decision(decision)
        exceptions_valid = all(f.exception_form.is_valid() for f in chosen if f.exception_form is not None)
        return not self.non_field_errors and exceptions_valid and all(f.is_valid() for f in self.line_forms)

    @property
    def exceptions(self) -> dict[int, str]:
        """Order line id -> the reason staff wrote, for each chosen line they accept as an exception."""
        return {
            form.line.pk: form.exception_form.cleaned_data["reason"]
            for form in self.chosen()
            if form.exception_form is not None and form.exception_form.is_valid() and form.exception_form.granted
        }

    def _policy_problems(self, form: ReturnLineForm) -> list[policy.Decision]:
        data, line = form.cleaned_data, form.line
        return policy.check_requested_line(
            line=line_facts(line),
            requested=policy.RequestedLine(
                quantity=data["quantity"],
                reason=data["reason"],
                condition_confirmed=bool(data.get("condition_confirmed")),
                issue_photos=len(form.kept[DamagePhoto.Kind.ISSUE]),
                packaging_photos=len(form.kept[DamagePhoto.Kind.PACKAGING]),
            ),
            delivered_on=self.order.delivered_on,
            today=store_today(),
            cfg=policy_config(),
            waive=policy.WAIVABLE_RULES if form.line.pk in self.exceptions else frozenset(),
        )

    def _find_kept(self) -> None:
        """Find the photos the form names (this visitor's own, not expired); a ticked line missing one says so."""
        if self._kept_found or not self.is_bound:
            return
        self._kept_found = True
        for form in self.line_forms:
            form.is_valid()
        wanted = {form.line.pk: form.cleaned_data.get("pending_photos") or [] for form in self.line_forms}
        ids = {pk for line_ids in wanted.values() for pk in line_ids}
        found = {}
        if ids and self.request is not None:
            found = {p.pk: p for p in photos.visible_pending(self.request).filter(pk__in=ids)}
        for form in self.line_forms:
            expired = False
            for pk in dict.fromkeys(wanted[form.line.pk]):
                photo = found.get(pk)
                if photo is None or photo.order_line_id != form.line.pk:
                    expired = True
                    continue
                form.kept[photo.kind].append(photo)
            if expired and form.is_selected:
                form.add_photo_error(DamagePhoto.Kind.ISSUE, photos.PHOTO_EXPIRED)

    def photo_files(self) -> list[photos.ChosenFile]:
        """The files sent in the plain inputs (no script) for the ticked fault claims, for the photo service."""
        self._find_kept()
        return [
            photos.ChosenFile(form.line, kind, upload)
            for form in self.chosen()
            for kind, uploads in form.photo_uploads().items()
            for upload in uploads
        ]

    def add_kept(self, kept: Sequence[photos.Kept]) -> None:
        """What the photo service made of ``photo_files()``: each photo joins its line, each refusal its input."""
        by_line = {form.line.pk: form for form in self.line_forms}
        for result in kept:
            form = by_line[result.chosen.order_line.pk]
            if result.photo is not None:
                form.kept[result.chosen.kind].append(result.photo)
            else:
                form.add_photo_error(result.chosen.kind, result.refused)

    @property
    def kept_count(self) -> int:
        self._find_kept()
        return sum(len(v) for f in self.line_forms for v in f.kept.values())

    def line_requests(self) -> list[LineRequest]:
        requests = []
        for form in self.chosen():
            data = form.cleaned_data
            fault = form.is_fault
            requests.append(
                LineRequest(
                    order_line_id=form.line.pk,
                    quantity=data["quantity"],
                    reason=data["reason"],
                    description=data["description"],
                    condition_confirmed=bool(data.get("condition_confirmed")) and not fault,
                    preference=(data.get("preference") or Resolution.REFUND) if fault else Resolution.REFUND,
                    photos=tuple(form.photos_for_request()),
                    exception_reason=self.exceptions.get(form.line.pk, ""),
                )
            )
        return requests

    def apply_violation(self, exc: PolicyViolation) -> None:
        """The service's verdict (it re-checks under a lock): each problem next to its line."""
        self._valid = False
        by_line = {f.line.pk: f for f in self.line_forms}
        if not exc.problems:
            self.non_field_errors.append(str(exc))
        for order_line, decision in exc.problems:
            form = by_line.get(order_line.pk) if order_line is not None else None
            if form is None:
                self.non_field_errors.append(_rule_message(decision))
            else:
                form.add_decision(decision)

    def claims(self) -> list[Claim]:
        return [c for c in (f.claim() for f in self.line_forms) if c is not None]

    def estimate(self) -> Estimate:
        """The refund estimate for the form as it is now, with why any ticked line is left out."""
        notes = [n for n in (f.estimate_note() for f in self.line_forms) if n is not None]
        return estimates.build(self.order, self.claims(), notes)

    @property
    def forms_with_errors(self) -> list[ReturnLineForm]:
        return [f for f in self.line_forms if f.errors]

    @property
    def has_errors(self) -> bool:
        return bool(self.non_field_errors or self.forms_with_errors)


class OnBehalfForm(forms.Form):
    """Staff starting a return for a customer: how the customer asked (the history says so)."""

    default_renderer = WIDGETS

    channel = forms.ChoiceField(
        choices=[(Channel.EMAIL, "By email"), (Channel.PHONE, "By phone")],
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        label="How did the customer ask?",
        error_messages={"required": "Choose how the customer asked: by email or by phone."},
    )


class ExceptionForm(forms.Form):
    """A goodwill exception for one line (PERM_GRANT_EXCEPTION): ticked, with the reason kept on the record."""

    default_renderer = WIDGETS

    grant = forms.BooleanField(required=False)
    reason = forms.CharField(
        required=False,
        max_length=1000,
        label="Why the store makes this exception (kept on the record; staff only)",
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control", "maxlength": 1000}),
    )

    def __init__(self, *args, refused: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.refused = refused
        self.fields["grant"].label = f"Accept as an exception: {refused}"
        self.fields["grant"].widget.attrs.update({"class": "form-check-input"})

    @property
    def granted(self) -> bool:
        return bool(self.cleaned_data.get("grant"))

    def clean(self):
        data = super().clean()
        if data.get("grant") and not (data.get("reason") or "").strip():
            self.add_error("reason", "Write why the store makes this exception; it is kept on the record.")
        return data


class ShipmentForm(forms.Form):
    """R6: how the parcel travels. Recording again corrects it.

    The carrier may be left empty when the tracking number's format tells it (USPS,
    UPS, FedEx, DHL: ``returns.domain.carriers``); the page then links the number to its tracking page.
    """

    default_renderer = WIDGETS

    carrier = forms.CharField(
        max_length=60,
        required=False,
        label="Carrier",
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off", "list": "carrier-names"}),
        help_text="USPS, UPS, FedEx or DHL can be left empty: we tell them from the tracking number.",
    )
    tracking_number = forms.CharField(
        max_length=80,
        label="Tracking number",
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off", "spellcheck": "false"}),
        error_messages={"required": "Enter the tracking number the carrier gave you."},
    )
    CARRIER_NAMES = [c.name for c in carriers.CARRIERS]

    def clean(self):
        data = super().clean()
        number, name = data.get("tracking_number"), (data.get("carrier") or "").strip()
        if number and not name:
            found = carriers.detect(number)
            if found is None:
                self.add_error(
                    "carrier", "We can't tell the carrier from this tracking number: enter the carrier's name."
                )
            else:
                data["carrier"] = found.name
        elif name and carriers.by_name(name):
            data["carrier"] = carriers.by_name(name).name
        return data


class MessageForm(forms.Form):
    """Ask about a return: a few words to the store (``returns.services.messages`` has the limits)."""

    default_renderer = WIDGETS

    body = forms.CharField(
        label="Ask about this return",
        max_length=messages.MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control", "maxlength": messages.MAX_LENGTH}),
        help_text="We answer here and by email, usually within one business day.",
        error_messages={"required": messages.EMPTY, "max_length": messages.TOO_LONG},
    )
