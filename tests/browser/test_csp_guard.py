"""The guard in conftest.py: a page that breaks the Content Security Policy fails its test."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_inline_script_and_style_are_blocked_and_reported(browser, live_server, browser_problems):
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    response = page.goto(f"{live_server.url}/account/sign-in/")
    assert "script-src 'self'" in response.headers["content-security-policy"]

    # What an injected <script> or style="" would do: the policy stops both, and the guard hears it.
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "document.title = 'injected'";
          document.body.append(script);
          document.body.setAttribute("style", "background: red");
        }"""
    )
    page.wait_for_timeout(200)
    assert page.title() != "injected"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgb(255, 0, 0)"
    page.context.close()
    reported = "\n".join(browser_problems)
    assert "script-src" in reported and "style-src" in reported, reported
    browser_problems.clear()  # provoked on purpose: the test itself must not fail at teardown


def test_a_script_error_is_reported(browser, live_server, browser_problems):
    page = browser.new_context().new_page()
    page.goto(f"{live_server.url}/account/sign-in/")
    page.evaluate("() => setTimeout(() => { throw new Error('boom from the page'); }, 0)")
    page.context.close()
    assert any("boom from the page" in problem for problem in browser_problems), browser_problems
    browser_problems.clear()
