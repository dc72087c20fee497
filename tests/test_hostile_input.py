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
