"""The superuser's API keys in the admin: add (the key shown once), list, revoke. Nobody else sees any of it."""

import re

import pytest
from django.urls import reverse

from returns.models import ApiKey
from returns.services.api_keys import api_key_add, api_key_use
from tests.returns.admin.test_admin import fixture_superuser  # noqa: F401  (the fixture is used by name)

pytestmark = pytest.mark.django_db


def test_the_superuser_adds_a_key_sees_it_once_and_it_opens_the_api(client, superuser):
    client.force_login(superuser)
    page = client.post(reverse("admin:returns_apikey_add"), {"name": "ERP"})
    assert page.status_code == 200
    key = re.search(r'value="(alr_[^"]+)"', page.content.decode()).group(1)
    row = ApiKey.objects.get()
    assert (row.name, row.created_by) == ("ERP", superuser)
    assert api_key_use(key=key) == row
    for url in (reverse("admin:returns_apikey_changelist"), reverse("admin:returns_apikey_change", args=[row.pk])):
        shown = client.get(url).content.decode()
        assert row.prefix in shown and key not in shown
    assert client.get("/api/v1/returns", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200


def test_the_superuser_revokes_a_key_and_it_stops_opening_the_api(client, superuser):
    row, key = api_key_add(name="Helpdesk")
    client.force_login(superuser)
    answer = client.post(
        reverse("admin:returns_apikey_changelist"), {"action": "revoke", "_selected_action": [row.pk]}, follow=True
    )
    assert "1 key(s) revoked." in answer.content.decode()
    assert "Revoked" in client.get(reverse("admin:returns_apikey_changelist")).content.decode()
    assert client.get("/api/v1/returns", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_an_empty_name_is_refused_on_the_form(client, superuser):
    client.force_login(superuser)
    page = client.post(reverse("admin:returns_apikey_add"), {"name": ""})
    assert page.status_code == 200 and "This field is required" in page.content.decode()
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize("name", ["changelist", "add"])
def test_other_staff_get_a_403(client, service_agent, name):
    client.force_login(service_agent)
    assert client.get(reverse(f"admin:returns_apikey_{name}")).status_code == 403


def test_other_staff_cannot_see_or_revoke_a_key(client, service_agent):
    row, _ = api_key_add(name="ERP")
    client.force_login(service_agent)
    assert client.get(reverse("admin:returns_apikey_change", args=[row.pk])).status_code == 403
    answer = client.post(reverse("admin:returns_apikey_changelist"), {"action": "revoke", "_selected_action": [row.pk]})
    assert answer.status_code == 403
    assert ApiKey.objects.get().revoked_at is None
    assert "API keys" not in client.get(reverse("admin:index")).content.decode()


def test_someone_signed_out_is_sent_to_sign_in(client):
    answer = client.get(reverse("admin:returns_apikey_changelist"))
    assert answer.status_code == 302 and "login" in answer["Location"]
