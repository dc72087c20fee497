"""Content-Security-Policy and Permissions-Policy on every response, customer pages and admin alike."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def _directives(response):
    header = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize(
    "path",
    ["/", "/account/sign-in/", "/orders/", "/admin/login/", "/admin/", "/no-such-page/", "/static/css/portal.css"],
)
def test_every_response_carries_a_strict_policy(client, path):
    response = client.get(path)
    policy = _directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    permissions = response.headers["Permissions-Policy"]
    assert "camera=(self)" in permissions
    for feature in ("geolocation", "microphone", "payment"):
        assert f"{feature}=()" in permissions


def test_staff_pages_carry_the_policy(client, service_agent):
    client.force_login(service_agent)
    for path in ("/admin/", "/admin/returns/returnrequest/", "/admin/returns/returnrequest/receiving/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style\b", re.I), "a <style> block"),
    (re.compile(r"\sstyle=", re.I), "a style attribute"),
    (re.compile(r"\son[a-z]+=", re.I), "an on… handler attribute"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


def test_no_page_template_has_inline_script_or_style():
    """The policy blocks these in the browser; find them here too, on pages no browser test opens.

    Email templates are left out: mail clients need inline styles and never see the policy.
    """
    found = []
    for template in TEMPLATES.rglob("*.html"):
        if "emails" in template.parts:
            continue
        text = template.read_text()
        found += [f"{template.relative_to(TEMPLATES)}: {what}" for pattern, what in INLINE if pattern.search(text)]
    # Markup built in Python for the admin (format_html) is held to the same rule.
    for app in ("accounts", "returns"):
        for module in (Path(settings.BASE_DIR) / app).rglob("*.py"):
            text = module.read_text()
            found += [f"{module.name}: {what}" for pattern, what in INLINE[1:3] if pattern.search(text)]
    assert found == []


SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Permissions-Policy",
)


@pytest.mark.parametrize(
    ("path", "posted"),
    [
        ("/orders/%00", None),  # NUL in the address: the plain-text 400 before any view
        ("/admin/returns/returnrequest/?q=%00", None),  # NUL in the query string of a staff list
        ("/admin/returns/returnrequest/", {"action": "delete_selected", "_selected_action": "x"}),  # not a row id
    ],
)
def test_plain_text_refusals_carry_the_headers_every_page_has(client, service_agent, path, posted):
    client.force_login(service_agent)
    page = client.get("/account/sign-in/")
    refused = client.post(path, posted) if posted else client.get(path)
    assert refused.status_code == 400 and refused["Content-Type"].startswith("text/plain")
    assert {h: refused.get(h) for h in SECURITY_HEADERS} == {h: page[h] for h in SECURITY_HEADERS}


def test_the_https_redirect_carries_them_too(settings):
    settings.SECURE_SSL_REDIRECT = True
    redirect = Client().get("/account/sign-in/")  # a new client builds its middleware with the setting
    assert redirect.status_code == 301 and redirect["Location"].startswith("https://")
    for header in SECURITY_HEADERS:
        assert redirect.get(header), header
