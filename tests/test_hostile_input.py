"""Addresses carrying characters no database column can hold answer 400, never 500.

PostgreSQL refuses NUL in text: these addresses gave a 500 there before the middleware.
"""

import pytest

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
