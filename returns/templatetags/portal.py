"""Small display helpers for the customer pages: money, policy citations, tracking links, the RMA's QR code."""

import re
from functools import lru_cache

import segno
from django import template
from django.urls import get_script_prefix, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from returns.domain import carriers, citations, wording
from returns.domain.events import Event
from returns.domain.money import format_money
from returns.models import ReturnStatus

register = template.Library()

# One line per rule of the rules document: staff pages and the policy page's appendix.
RULE_TITLES = {
    "R1": "Return window",
    "R2": "Original condition",
    "R3": "Items that cannot be returned",
    "R4": "Quantity",
    "R5": "Starting a return",
    "R6": "Ship-by date",
    "R7": "Photos of damage",
    "R8": "No exchanges",
    "R9": "Replacement or refund",
    "R10": "Refund amount",
    "R11": "Refund method and timing",
    "R12": "Refunded once",
    "R13": "Status and history",
}


@register.filter
def money(value, currency="USD"):
    """``12.5|money:"USD"`` -> ``$12.50`` (``returns.domain.money.format_money``, as in emails)."""
    return format_money(value, currency)


@register.simple_tag
def policy_link(rule):
    """A link to the section of the store's policy a rule comes from: "policy §5, Refund processing".

    Customers see these instead of rule IDs; a page gives each line at most one.
    """
    section = citations.section_for(rule)
    if section is None:
        return ""
    return format_html(
        '<a class="policy-link" href="{}#{}">{}</a>', reverse("returns:policy"), section.anchor, section.words
    )


@register.simple_tag
def cite(rule):
    """The section a rule comes from, as plain text (no link, so not in the tab order): "(policy §5)"."""
    section = citations.section_for(rule)
    return format_html('<span class="policy-cite">(policy {})</span>', section.short) if section else ""


@register.filter
def customer_words(text):
    """A message that names a rule, ``"… (R6)"``, as a customer reads it: ``"… (policy §4)"``."""
    return citations.customer_words(text)


@register.filter
def rule_title(rule):
    return RULE_TITLES.get(str(rule), "")


@lru_cache(maxsize=16)
def _policy_url(script_prefix: str) -> str:
    """The policy page's address, reversed once per process (and per script prefix), not per badge."""
    return reverse("returns:policy")


@register.simple_tag
def rule_badge(rule):
    """A small badge naming the rule behind a decision, linking to its explanation."""
    rule = str(rule or "")
    if not rule:
        return ""
    return format_html(
        '<a class="badge rule-badge" href="{}#{}" title="Rule {}: {}"><span class="visually-hidden">Rule </span>{}</a>',
        _policy_url(get_script_prefix()),
        rule.lower(),
        rule,
        RULE_TITLES.get(rule, "policy rule"),
        rule,
    )


@register.simple_tag
def rma_qr(rma, title=""):
    """The RMA as a QR code in inline SVG: exactly the RMA string, so a warehouse scanner reads it.

    Drawn without a fixed size (the stylesheet sizes it); the quiet zone is kept. An RMA
    never changes, so each process draws its code once: drawing was most of the
    printable authorization's time.
    """
    return _rma_qr(str(rma), title or "")


@lru_cache(maxsize=1024)
def _rma_qr(rma: str, title: str):
    svg = segno.make(rma, error="m", micro=False).svg_inline(
        border=4, omitsize=True, svgclass="qr-code", title=title or None, dark="#000", light="#fff"
    )
    return format_html(
        '<div class="qr-wrap" role="img" aria-label="QR code of return number {}">{}</div>',
        rma,
        mark_safe(svg),  # noqa: S308 - segno's own markup; it escapes the title
    )


RULE_AT_END = re.compile(r"\s*\((R\d{1,2})\)\.?\s*$")


@register.filter
def with_rule(message):
    """``"Only 1 can be returned. (R4)"`` -> the sentence followed by its policy section, in plain text."""
    text = str(message)
    match = RULE_AT_END.search(text)
    if not match:
        return text
    return format_html("{} {}", text[: match.start()], cite(match.group(1)))


@register.simple_tag
def field_widget(bound_field):
    """The field's input with Bootstrap's invalid state when it has errors (aria-* come from Django)."""
    classes = bound_field.field.widget.attrs.get("class", "")
    if bound_field.errors:
        classes = f"{classes} is-invalid".strip()
    return bound_field.as_widget(attrs={"class": classes} if classes else None)


@register.filter
def event_label(change):
    """What a history row means for the customer (who did it is for staff only)."""
    event = Event.lookup(change.event)
    if event and event.customer_label:
        return event.customer_label
    try:
        return ReturnStatus(change.to_status).label
    except ValueError:
        return change.event.replace("_", " ").capitalize()


STATUS_CLASSES = {
    ReturnStatus.SUBMITTED: "text-bg-info",
    ReturnStatus.APPROVED: "text-bg-primary",
    ReturnStatus.SHIPPED: "text-bg-info",
    ReturnStatus.RECEIVED: "text-bg-info",
    ReturnStatus.INSPECTED: "text-bg-info",
    ReturnStatus.REFUNDED: "text-bg-success",
    ReturnStatus.COMPLETED: "text-bg-success",
    ReturnStatus.REJECTED: "text-bg-danger",
}


@register.filter
def status_class(status):
    return STATUS_CLASSES.get(status, "text-bg-secondary")


@register.simple_tag
def tracking_link(carrier, number):
    """The tracking number, linked to the carrier's tracking page when the carrier is known or recognisable."""
    if not number:
        return ""
    found = carriers.carrier_for(carrier, number)
    if found is None:
        return format_html('<span class="font-monospace">{}</span>', number)
    return format_html(
        '<a class="font-monospace" href="{}" rel="noopener noreferrer" target="_blank">{}'
        '<span class="visually-hidden"> (track on the {} website, opens in a new tab)</span></a>',
        found.url(number),
        number,
        found.name,
    )


@register.filter
def plural_name(name, count=2):
    """A product name for more than one: "Stoneware mug" -> "Stoneware mugs"."""
    return wording.plural_name(str(name), count)


@register.filter
def marked_required(bound_field):
    """Whether the field is required once its line is ticked (the form sets ``aria-required``)."""
    return bound_field.field.widget.attrs.get("aria-required") == "true"
