"""Branded error pages: 400, 403, 404 and 500 look like the portal and offer a way on."""

import pytest
from django.test import RequestFactory

from returns.web import views

pytestmark = pytest.mark.django_db


def test_404_is_branded_with_the_policy_in_the_footer(client, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "We can't find that page" in html and "Alotrop" in html
    assert 'href="/policy/">Return &amp; Refund Policy</a>' in html


def test_500_needs_no_database_or_context(settings):
    response = views.server_error(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert "Sorry, something went wrong on our side" in html
    assert "support@alotrop.com" in html and "Alotrop" in html


def test_403_csrf_failure_is_branded(settings):
    from django.test import Client

    settings.DEBUG = False
    response = Client(enforce_csrf_checks=True).post("/policy/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "You can't open this page" in html and "The form had expired" in html


def test_400_is_branded(client, settings):
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["testserver"]
    response = client.get("/policy/", HTTP_HOST="bad host")
    assert response.status_code == 400
    assert "We could not read that request" in response.content.decode()


@pytest.mark.parametrize("url", ["/", "/account/sign-in/", "/account/sign-up/", "/policy/"])
def test_every_page_links_the_policy_in_its_footer(client, url):
    html = client.get(url).content.decode()
    footer = html[html.index("<footer") :]
    assert 'href="/policy/">Return &amp; Refund Policy</a>' in footer
