"""A customer's data on request: customer_export holds every return of the email; customer_erase leaves no
row in any table with the address or the name, keeps the refund figures, and refuses while a return is open."""

import io
import json
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import models
from django.db.models import Sum

from returns.models import CustomerErasure, DamagePhoto, Order, Refund, ReturnRequest
from returns.services.customer_data import customer_erase
from returns.services.refunds import refund_issue
from returns.services.requests import return_request_approve, return_request_receive, return_request_reject
from tests.factories import StaffFactory
from tests.returns.admin.test_admin import damaged, inspect_all, standard, submit

pytestmark = pytest.mark.django_db
ANA, ANA_NAME = "ana@example.com", "Ana Lima"


@pytest.fixture
def demo(django_capture_on_commit_callbacks):
    """The demo data, and two closed returns of Ana's: one refunded, one (with photos) rejected in a note naming her."""
    call_command("seed_demo", stdout=io.StringIO())
    agent = StaffFactory(email="cara@alotrop.com", role="Customer service")
    warehouse = StaffFactory(email="wes@alotrop.com", role="Warehouse")
    order = Order.objects.filter(email=ANA).order_by("number").first()
    Order.objects.filter(pk=order.pk).update(customer_name=ANA_NAME)
    lines = list(order.lines.order_by("pk"))
    with django_capture_on_commit_callbacks(execute=True):
        refunded = submit(order, standard(lines[0]))
        return_request_approve(request=refunded, by=agent)
        return_request_receive(request=refunded, by=warehouse)
        refund_issue(refund=inspect_all(refunded, warehouse).refund, by=agent, reference="re_123")
        rejected = submit(order, damaged(lines[1]))
        return_request_reject(
            request=rejected, by=agent, reason=f"Called {ANA_NAME} ({ANA.upper()}): the lamp was dropped at home."
        )
    return {"order": order, "returns": {refunded.rma, rejected.rma}}


def _texts(instance: models.Model):
    for field in instance._meta.concrete_fields:
        value = getattr(instance, field.attname)
        if isinstance(value, str):
            yield field.name, value
        elif isinstance(value, dict | list):
            yield field.name, json.dumps(value, ensure_ascii=False)


def _where(*words: str) -> list[str]:
    """Every row, of every model, with one of these words in a text column (case-insensitive)."""
    found = []
    for model in apps.get_models():
        for row in model._default_manager.all():
            for name, text in _texts(row):
                if any(word.lower() in text.lower() for word in words):
                    found.append(f"{model._meta.label}.{name} #{row.pk}")
    return found


def test_the_export_holds_every_return_of_that_email_and_its_photos(demo, tmp_path):
    out = io.StringIO()
    call_command("customer_export", ANA, "--photos", str(tmp_path / "photos"), stdout=out, stderr=io.StringIO())
    document = json.loads(out.getvalue())
    assert document["email"] == ANA and document["account"]["full_name"] == ANA_NAME
    exported = {r["rma"] for o in document["orders"] for r in o["returns"]}
    assert exported == set(ReturnRequest.objects.filter(order__email=ANA).values_list("rma", flat=True))
    assert exported >= demo["returns"]
    [refunded] = [r for o in document["orders"] for r in o["returns"] if r["refund"]]
    assert Decimal(refunded["refund"]["total"]) == Refund.objects.get(request__rma=refunded["rma"]).total
    assert any(email["to"] == ANA for email in document["emails"])
    photos = DamagePhoto.objects.filter(line__request__order__email=ANA)
    assert len(list((tmp_path / "photos").iterdir())) == photos.count() > 0


def test_after_an_erasure_no_row_holds_the_email_or_the_name_and_the_money_is_unchanged(
    demo, django_capture_on_commit_callbacks
):
    assert _where(ANA, ANA_NAME)  # the test can see them before
    refunds_before = Refund.objects.aggregate(total=Sum("total"), count=models.Count("pk"))
    photo_files = [p.image.name for p in DamagePhoto.objects.filter(line__request__order__email=ANA)]
    orders = set(Order.objects.filter(email=ANA).values_list("number", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        erasure = customer_erase(email=ANA)

    assert _where(ANA, ANA_NAME) == []
    assert Refund.objects.aggregate(total=Sum("total"), count=models.Count("pk")) == refunds_before
    assert set(Order.objects.filter(number__in=orders).values_list("number", flat=True)) == orders  # kept
    assert set(ReturnRequest.objects.filter(rma__in=demo["returns"]).values_list("status", flat=True)) == {
        "refunded",
        "rejected",
    }
    assert not any(default_storage.exists(name) for name in photo_files)
    record = CustomerErasure.objects.get()
    assert record == erasure and set(record.orders) == orders and set(record.returns) >= demo["returns"]
    assert record.removed["account"] == 1 and record.removed["photos"] > 0


def test_an_open_return_is_refused_naming_it():
    call_command("seed_demo", stdout=io.StringIO())
    open_rmas = [
        r.rma for r in ReturnRequest.objects.filter(order__email="bruno@example.com") if r.status == "submitted"
    ]
    assert open_rmas
    with pytest.raises(CommandError) as refused:
        call_command("customer_erase", "bruno@example.com", "--yes", stdout=io.StringIO())
    assert "cannot be erased while a return is open" in str(refused.value)
    assert all(rma in str(refused.value) for rma in open_rmas)
    assert Order.objects.filter(email="bruno@example.com").exists() and not CustomerErasure.objects.exists()


def test_the_command_says_what_it_kept(demo):
    out = io.StringIO()
    call_command("customer_erase", ANA, "--yes", stdout=out)
    assert out.getvalue().startswith("Erased (record ")
    assert "Kept, anonymised: orders " in out.getvalue() and all(rma in out.getvalue() for rma in demo["returns"])


def test_the_superuser_erases_from_the_orders_list_after_a_confirmation_and_staff_cannot(demo, client, admin_user):
    from django.urls import reverse

    changelist = reverse("admin:returns_order_changelist")
    order = demo["order"]
    picked = {"action": "erase_customer_data", "_selected_action": [str(order.pk)]}

    client.force_login(StaffFactory(email="cara2@alotrop.com", role="Customer service"))
    assert "erase_customer_data" not in client.get(changelist).content.decode()

    client.force_login(admin_user)
    confirm = client.post(changelist, picked)
    assert confirm.status_code == 200 and ANA in confirm.content.decode()
    assert Order.objects.filter(email=ANA).exists()  # nothing yet

    done = client.post(changelist, {**picked, "confirmed": "yes"}, follow=True)
    assert "A customer&#x27;s data was erased" in done.content.decode()
    assert not Order.objects.filter(email=ANA).exists()
    record = CustomerErasure.objects.get()
    assert record.by == admin_user
    listed = client.get(reverse("admin:returns_customererasure_changelist")).content.decode()
    assert order.number in listed and ANA not in listed
