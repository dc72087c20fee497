"""The event list against the code that uses it: every event written is a member with its words,
every member is written somewhere, every email has its templates, and stored values stay put."""

import ast
from pathlib import Path

import pytest
from django.template.loader import get_template

from returns.domain.events import Actor, Event
from returns.domain.history import actor_name, event_label
from returns.models import StatusChange
from returns.outbox.account_emails import AccountEmail

ROOT = Path(__file__).resolve().parents[3]
E = Event


def _modules():
    """The project's own non-test code, parsed (migrations only replay old states)."""
    for package in ("accounts", "bench", "config", "core", "returns"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path.relative_to(ROOT), ast.parse(path.read_text(), filename=str(path))


def _event_keywords():
    """Every ``event=`` (or ``event__in=`` …) keyword in a call: (call, where, value)."""
    for path, tree in _modules():
        for call in ast.walk(tree):
            if isinstance(call, ast.Call):
                for keyword in call.keywords:
                    if keyword.arg and keyword.arg.split("__")[0] == "event":
                        yield call, f"{path}:{keyword.value.lineno}", keyword.value


def _member(node) -> str | None:
    """``X`` of an ``Event.X`` expression."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "Event":
        return node.attr
    return None


def test_every_event_the_code_names_is_a_member_with_its_staff_label():
    problems = []
    for _, where, value in _event_keywords():
        for node in value.elts if isinstance(value, ast.Tuple | ast.List | ast.Set) else [value]:
            if isinstance(node, ast.Constant | ast.JoinedStr):
                problems.append(f"{where}: event given as the bare string {ast.unparse(node)}")
    for path, tree in _modules():
        for node in ast.walk(tree):
            name = _member(node)
            if name is not None and not hasattr(Event, name):
                problems.append(f"{path}:{node.lineno}: Event.{name} is not an event")
    assert problems == []
    assert all(event.staff_label for event in Event)


def _writers() -> set[str]:
    """The history writers: the functions of returns/services/history.py that take an ``event``."""
    tree = ast.parse((ROOT / "returns/services/history.py").read_text())
    return {
        f.name
        for f in tree.body
        if isinstance(f, ast.FunctionDef) and any(a.arg == "event" for a in f.args.args + f.args.kwonlyargs)
    }


def test_every_member_is_written_by_a_service():
    writers = _writers()
    assert {"record_step", "record_note", "move"} <= writers
    written = set()
    for call, _, value in _event_keywords():
        callee = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
        if callee in writers and (name := _member(value)) in Event.__members__:
            written.add(Event[name])
    # A member nobody writes is a label for history that cannot exist: remove it (or write it).
    assert set(Event) - written == set()


def _templates(folder: str, name: str) -> list[str]:
    return [f"{folder}/{name}_subject.txt", f"{folder}/{name}_body.txt", f"{folder}/{name}_body.html"]


@pytest.mark.parametrize(
    ("folder", "name"),
    [("returns/emails", e.value) for e in Event if e.emails_customer]
    + [("returns/emails", e.staff_email) for e in Event if e.staff_email]
    + [("accounts/emails", kind.value) for kind in AccountEmail],
)
def test_every_email_has_its_subject_text_and_html(folder, name):
    subject, text, html = _templates(folder, name)
    get_template(subject, using="text")
    get_template(text, using="text")
    get_template(html)


def test_every_email_template_belongs_to_an_email_that_is_sent():
    """A template nothing sends is an email the code forgot (or one left behind)."""
    sent = {e.value for e in Event if e.emails_customer} | {e.staff_email for e in Event if e.staff_email}
    templates = ROOT / "templates"
    assert {p.name.removesuffix("_subject.txt") for p in (templates / "returns/emails").glob("*_subject.txt")} == sent
    found = {p.name.removesuffix("_subject.txt") for p in (templates / "accounts/emails").glob("*_subject.txt")}
    assert found == set(AccountEmail.values)


def test_stored_values_are_those_existing_rows_hold():
    assert {e.value for e in Event} == {
        "submitted", "approved", "rejected", "cancelled", "shipped", "tracking_updated", "received", "inspected",
        "closed", "refund_sent", "refund_retrying", "refund_issued", "refund_failed", "replacement_sent",
        "ship_by_reminder", "expired", "reinstated", "message_received", "message_answered", "held",
    }  # fmt: skip
    assert set(AccountEmail.values) == {"guest_link", "verify_email", "password_reset", "account_exists"}
    assert not set(AccountEmail.values) & {e.value for e in Event}


def test_the_customer_hears_of_every_status_change_but_closing_and_sees_all_but_refund_troubles():
    # R13: every status change is emailed; "closed" follows an event that already told them.
    assert {e for e in Event if e.emails_customer} == {
        E.SUBMITTED, E.APPROVED, E.REJECTED, E.CANCELLED, E.SHIPPED, E.RECEIVED, E.INSPECTED,
        E.REFUND_ISSUED, E.REPLACEMENT_SENT, E.SHIP_BY_REMINDER, E.EXPIRED, E.REINSTATED,
        E.MESSAGE_ANSWERED,  # staff's reply to their question
    }  # fmt: skip
    assert {e: e.staff_email for e in Event if e.staff_email} == {
        E.SUBMITTED: "staff_new_request",
        E.REFUND_FAILED: "staff_refund_failed",
        E.MESSAGE_RECEIVED: "staff_message_received",
    }
    staff_only = {e for e in Event if not StatusChange(event=e).customer_visible}
    # The conversation's rows are history for staff; the customer reads the messages themselves in the thread.
    # A hold's reason (a limit, the block list) is for staff: the customer is told the decision.
    conversation = {E.MESSAGE_RECEIVED, E.MESSAGE_ANSWERED}
    assert staff_only == {E.REFUND_SENT, E.REFUND_RETRYING, E.REFUND_FAILED, E.HELD} | conversation
    assert StatusChange(event="no_longer_written").customer_visible  # as before: only known troubles are hidden


def test_who_acted_when_no_person_did():
    assert actor_name(None, E.SHIPPED) == Actor.GUEST == "Customer via guest link"
    assert {e for e in Event if e.unattended is Actor.GUEST} == {
        E.SUBMITTED,
        E.CANCELLED,
        E.SHIPPED,
        E.TRACKING_UPDATED,
        E.MESSAGE_RECEIVED,
    }
    assert actor_name(None, E.APPROVED) == "System: auto-approval"
    assert actor_name(None, E.EXPIRED) == actor_name(None, E.SHIP_BY_REMINDER) == "System: deadline job"
    refund_steps = {E.REFUND_SENT, E.REFUND_RETRYING, E.REFUND_ISSUED, E.REFUND_FAILED, E.CLOSED}
    assert {e for e in Event if e.unattended is Actor.REFUND_PROVIDER} == refund_steps
    assert actor_name(None, E.RECEIVED) == actor_name(None, "no_longer_written") == "System"


def test_a_value_no_code_writes_still_reads_in_words():
    assert event_label(E.REFUND_SENT) == "Refund sent to the provider"
    assert event_label("refund_pending") == "Refund pending"
    assert Event.lookup("refund_pending") is None and Event.lookup("approved") is E.APPROVED


def test_every_event_has_one_public_type_for_the_stores_systems():
    from returns.domain.events import EVENT_OF_TYPE, PUBLIC_TYPES

    missing = [event.name for event in Event if event not in PUBLIC_TYPES]
    assert missing == [], "add a line for each to PUBLIC_TYPES in returns/domain/events.py"
    assert len(EVENT_OF_TYPE) == len(PUBLIC_TYPES)  # no two events share a type
    assert PUBLIC_TYPES[E.APPROVED] == "return.approved"
    assert PUBLIC_TYPES[E.REFUND_ISSUED] == "refund.issued"
    for public in PUBLIC_TYPES.values():
        assert public.split(".")[0] in ("return", "refund", "replacement", "message") and public.islower()
