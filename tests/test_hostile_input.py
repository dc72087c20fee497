"""Addresses carrying characters no database column can hold answer 400, never 500.

PostgreSQL refuses NUL in text: these addresses gave a 500 there before the middleware.
"""

import pytest

from returns.web.middleware import RejectUnstorableInputMiddleware
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    return UserFactory(email="root@example.com", is_staff=True, is_superuser=True)


@pytest.mark.parametrize(
    "path",
    [
        "/returns/%00/",
        "/orders/%00/",
        "/admin/returns/returnrequest/receiving/?rma=%00",
        "/admin/returns/returnrequest/?status__exact=%00",
        "/account/guest/%00abc/",
        "/orders/%25/?next=x%00",
        "/orders/?q=%00",
    ],
)
def test_nul_anywhere_in_the_address_answers_400_with_a_plain_reason(client, superuser, path):
    client.force_login(superuser)
    response = client.get(path)
    assert response.status_code == 400
    assert "cannot be part of a web address" in response.content.decode()


def test_a_number_too_large_to_look_up_answers_400_with_a_plain_reason(client, superuser):
    """No date holds this year, on any database (an id__in= of that size: SQLite cannot bind it either)."""
    client.force_login(superuser)
    response = client.get("/admin/axes/accessattempt/?attempt_time__year=" + "9" * 30)
    assert response.status_code == 400
    assert "too large to look up" in response.content.decode()


def test_an_overflow_with_no_huge_number_sent_stays_a_server_error(rf):
    """Only a number the client sent excuses an OverflowError; anything else is our bug and must show as one."""
    middleware = RejectUnstorableInputMiddleware(lambda request: None)
    assert middleware.process_exception(rf.get("/admin/returns/order/?p=2"), OverflowError()) is None
    assert middleware.process_exception(rf.get("/admin/returns/order/?p=2"), ValueError()) is None


@pytest.mark.parametrize("selected", ["x", "999999999999999999999999999999", "1\x00", "1.5", ""])
@pytest.mark.parametrize("changelist", ["axes/accessattempt", "returns/order", "auth/group"])
def test_an_admin_action_on_rows_that_are_not_ids_answers_400(client, superuser, changelist, selected):
    client.force_login(superuser)
    action = {"axes/accessattempt": "unlock"}.get(changelist, "delete_selected")
    response = client.post(f"/admin/{changelist}/", {"action": action, "index": "0", "_selected_action": [selected]})
    assert response.status_code == 400
    assert "selected rows are not valid" in response.content.decode()


def test_an_admin_action_on_real_ids_still_runs(client, superuser):
    from axes.models import AccessAttempt
    from django.utils import timezone

    attempt = AccessAttempt.objects.create(
        username="ana@example.com",
        ip_address="192.0.2.1",
        user_agent="x",
        get_data="",
        post_data="",
        http_accept="",
        path_info="/",
        failures_since_start=5,
        attempt_time=timezone.now(),
    )
    client.force_login(superuser)
    response = client.post("/admin/axes/accessattempt/", {"action": "unlock", "_selected_action": [attempt.pk]})
    assert response.status_code == 302 and not AccessAttempt.objects.exists()


def _read_api_parameters():
    """(path, parameter) for every query parameter the OpenAPI description gives the read API."""
    from returns.api.schema import document

    for path, item in document()["paths"].items():
        for parameter in item.get("get", {}).get("parameters", []):
            if parameter["in"] == "query":
                yield path, parameter["name"]


API_HOSTILE = {
    "10 KB": "x" * 10_240,
    "huge": "9" * 30,
    "negative": "-1",
    "beyond the calendar": "99999-01-01T00:00:00Z",
    "year one with an offset": "0001-01-01T00:00:00-01:00",
    "not a date": "2026-13-45",
    "percent": "%",
    "Arabic-Indic digits": "\u0663\u0663",
    "empty": "",
}


@pytest.mark.parametrize(("path", "name"), list(_read_api_parameters()))
def test_every_read_api_parameter_takes_hostile_values_with_a_json_answer_never_a_500(client, path, name):
    from returns.services.api_keys import api_key_add

    key = {"HTTP_AUTHORIZATION": f"Bearer {api_key_add(name='hostile')[1]}"}
    client.raise_request_exception = False
    problems = []
    for label, value in API_HOSTILE.items():
        answer = client.get(path, {name: value}, **key)
        if answer.status_code not in (200, 400) or (answer.status_code == 400 and "error" not in answer.json()):
            problems.append(f"{name}={label}: {answer.status_code}")
    for raw in ("a%00b", "%ED%A0%80", "%C0%AF", "%zz%"):
        status = client.get(f"{path}?{name}={raw}", **key).status_code
        if status >= 500:
            problems.append(f"{name}={raw}: {status}")
    assert not problems, problems
