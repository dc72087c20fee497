"""Forms of the staff desk. They only collect input: the services decide (and say) what is allowed."""

from __future__ import annotations

from django import forms

from returns.domain.policy import day
from returns.models import Resolution, ReturnLine
from returns.services.inspection import LineVerdict, verdict_problems

YES_NO = [("yes", "Yes"), ("no", "No")]


def _yes(value) -> bool:
    return value == "yes"


class LineVerdictForm(forms.Form):
    """Staff's verdict on one line. ``replace`` is offered only when the customer asked for a replacement (R9)."""

    accepted = forms.TypedChoiceField(
        label="Accepted",
        choices=[("yes", "Accept"), ("no", "Reject")],
        coerce=_yes,
        widget=forms.RadioSelect,
        error_messages={"required": "Accept or reject this item."},
    )
    fault_confirmed = forms.BooleanField(label="Fault confirmed", required=False)
    replace = forms.BooleanField(label="Send a replacement (in stock)", required=False)
    restock = forms.TypedChoiceField(
        label="The item",
        choices=[("yes", "Restock (back on the shelf)"), ("no", "No restock (damaged)")],
        coerce=_yes,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        help_text="Left unchosen: no restock when you confirm a fault, restock otherwise.",
    )
    note = forms.CharField(
        label="Note the customer sees",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 40}),
    )

    def __init__(self, *args, line: ReturnLine, **kwargs):
        super().__init__(*args, prefix=f"line-{line.pk}", **kwargs)
        self.line = line
        if line.preference != Resolution.REPLACEMENT:
            del self.fields["replace"]

    @property
    def offers_replacement(self) -> bool:
        return "replace" in self.fields

    # Which field each rule's complaint belongs next to.
    FIELD_FOR_RULE = {"R2": "note", "R3": "fault_confirmed", "R9": "replace"}

    def clean(self):
        """The service's own checks, shown next to the field before the preview."""
        data = super().clean()
        if self.errors:
            return data
        for decision in verdict_problems(self.line, self.verdict()):
            field = self.FIELD_FOR_RULE.get(decision.rule)
            self.add_error(field if field in self.fields else None, str(decision))
        return data

    def verdict(self) -> LineVerdict:
        data = self.cleaned_data
        return LineVerdict(
            accepted=bool(data["accepted"]),
            fault_confirmed=bool(data.get("fault_confirmed")),
            replace=bool(data.get("replace")),
            note=(data.get("note") or "").strip(),
            restock=data.get("restock"),
        )


class ReceivingForm(forms.Form):
    rma = forms.CharField(
        label="RMA number",
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "placeholder": "RMA-XXXX-XXXX",
                "size": 24,
            }
        ),
    )


class RefundExportForm(forms.Form):
    start = forms.DateField(label="Issued from", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="Issued until (included)", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError(
                f"The start date ({day(start)}) is after the end date ({day(end)}). "
                "Choose a start on or before the end."
            )
        return data
