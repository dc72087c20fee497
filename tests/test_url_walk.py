"""Every URL pattern, its parts filled with hostile values, answers below 500, for GET and POST.

A customer signed in (with an order) tries the portal's pages; a superuser tries the admin's; the
API's read endpoints are asked with a real key, so the lookups behind the key are walked too.
The parts a pattern captures (an order number, an RMA, a token, an object id) are where a
hostile value reaches a lookup.
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from returns.services.api_keys import api_key_add
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# Percent-encoded as they would arrive in a path.
HOSTILE = {
    "NUL": "%00",
    "percent": "%25",
    "lone surrogate": "%ED%A0%80",
    "10 KB": "x" * 10_240,
    "negative": "-1",
    "huge": "9" * 30,
    "dots": "..%2F..",
}
CAPTURE = re.compile(r"<(?:\w+:)?\w+>")


def routes(resolver=None, prefix=""):
    """Each pattern as a path with its captures marked, e.g. "orders/<str:number>/return/"; regex ones skipped."""
    for pattern in (resolver or get_resolver()).url_patterns:
        text = str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from routes(pattern, prefix + text)
        elif isinstance(pattern, URLPattern) and not text.startswith("^") and CAPTURE.search(prefix + text):
            yield prefix + text


ROUTES = sorted(set(routes()))


def test_the_walk_reaches_the_portal_and_the_admin():
    assert "orders/<str:number>/" in ROUTES
    assert any(route.startswith("admin/") for route in ROUTES)
    assert "api/v1/returns/<str:rma>" in ROUTES


@pytest.mark.parametrize("route", ROUTES)
def test_every_captured_part_takes_hostile_values_without_a_500(client, customer, order, route):
    superuser = UserFactory(email="root@example.com", is_staff=True, is_superuser=True)
    client.force_login(superuser if route.startswith("admin/") else customer)
    client.raise_request_exception = False  # a 500 is counted, not raised, so one run lists them all
    key = {"HTTP_AUTHORIZATION": f"Bearer {api_key_add(name='walk')[1]}"}
    problems = []
    for label, value in HOSTILE.items():
        path = "/" + CAPTURE.sub(value, route)
        for method in (client.get, client.post):
            status = method(path, **key).status_code
            if status >= 500:
                problems.append(f"{method.__name__.upper()} {label}: {status}")
    assert not problems, problems
