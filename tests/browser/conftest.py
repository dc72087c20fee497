"""Playwright driving Debian's chromium against pytest-django's live_server."""

import contextlib
import os
import re
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

# Playwright's sync API runs an event loop in this thread; Django must allow ORM use beside it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


# Every page in every browser test reports what the browser blocked or choked on: a Content
# Security Policy violation (the `securitypolicyviolation` event, or chromium's console error)
# or an uncaught script error. The test fails at teardown if there was any.
_WATCH_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile || e.documentURI}:${e.lineNumber}`;
  window.__reportCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${where}`);
}, true);
"""


class _Problems(list):
    """What the browser reported during the current test (filled by every guarded context)."""


_problems = _Problems()


def _watch_page(page):
    def on_console(message):
        if message.type == "error" and "Content Security Policy" in message.text:
            _problems.append(f"console: {message.text} ({page.url})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: _problems.append(f"script error: {error} ({page.url})"))


def _settle(context):
    """Let open pages deliver the events they have queued before the context goes away.

    A wait in the driver, not a script in the page: it works with JavaScript turned off too.
    """
    if context.pages:
        # A page that crashed or was closed has nothing more to say.
        with contextlib.suppress(Exception):
            context.pages[0].wait_for_timeout(100)


class GuardedBrowser:
    """The launched browser; every context made from it (any fixture's) is watched for violations."""

    def __init__(self, browser):
        self._browser = browser
        self.open_contexts = []

    def new_context(self, **kwargs):
        context = self._browser.new_context(**kwargs)
        context.expose_binding("__reportCspViolation", lambda source, text: _problems.append(f"CSP: {text}"))
        context.add_init_script(_WATCH_VIOLATIONS)
        context.on("page", _watch_page)
        close = context.close

        def settle_then_close(**close_kwargs):
            _settle(context)
            if context in self.open_contexts:
                self.open_contexts.remove(context)
            close(**close_kwargs)

        context.close = settle_then_close
        self.open_contexts.append(context)
        return context

    def new_page(self, **kwargs):
        return self.new_context(**kwargs).new_page()

    def __getattr__(self, name):
        return getattr(self._browser, name)


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.skip(f"No chromium at {CHROMIUM}: `apt-get install -y chromium` (CI installs it).")
    from playwright.sync_api import sync_playwright  # only when a browser is there

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield GuardedBrowser(browser)
        browser.close()


@pytest.fixture(autouse=True)
def browser_problems(request):
    """Fails the test if any page broke the Content Security Policy or threw a script error.

    A test that provokes a violation on purpose reads this list and empties it.
    """
    _problems.clear()
    yield _problems
    if "browser" in request.fixturenames:
        guarded = request.getfixturevalue("browser")
        for context in list(guarded.open_contexts):
            context.close()
    found, _problems[:] = list(_problems), []
    if found:
        pytest.fail("The browser reported:\n" + "\n".join(found), pytrace=False)


@pytest.fixture
def phone(browser):
    """A phone-sized page (iPhone-ish, 390 × 844)."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


STAFF_PASSWORD = "pass-word-123"  # the factories' test password


@pytest.fixture
def staff_signed_in(browser, live_server):
    """Opens a new browser window with a staff member signed in at /admin/: ``staff_signed_in(email)``."""

    def sign_in(email, *, password=STAFF_PASSWORD, width=1280, height=900):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{live_server.url}/admin/login/?next=/admin/")
        page.locator("#id_username").fill(email)
        page.locator("#id_password").fill(password)
        page.get_by_role("button", name=re.compile("Log in", re.I)).click()
        page.wait_for_url(f"{live_server.url}/admin/")
        return page

    return sign_in


@pytest.fixture
def shot():
    """Save a full-page screenshot under test-artifacts/screenshots/ (kept out of git)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name):
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def _is_inline_style_element(problem):
    return "style-src-elem blocked inline" in problem or (
        "Applying inline style violates" in problem and "style-src" in problem
    )


AXE_SOURCE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"


@pytest.fixture
def axe():
    """Run axe-core (vendored from the npm package) on a page; fail on any serious or critical finding.

    The script is evaluated through the DevTools protocol, not injected as a <script> tag, so the
    page's Content-Security-Policy stays in force and is not loosened for the check.
    """
    source = AXE_SOURCE.read_text(encoding="utf-8")

    def check(page, name, *, exclude=()):
        before = len(_problems)
        try:
            return run(page, name, exclude=exclude)
        finally:
            # axe-core adds <style> elements of its own while it measures (pointer-events, visibility);
            # the policy blocks them. That is the harness, not the page: forget those reports only.
            page.wait_for_timeout(100)
            _problems[before:] = [p for p in _problems[before:] if not _is_inline_style_element(p)]

    def run(page, name, *, exclude=()):
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(source)
        result = page.evaluate(
            """async (exclude) => {
                const context = exclude.length ? {exclude: exclude.map((s) => [s])} : document;
                const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
                const r = await axe.run(context, {runOnly: {type: 'tag', values: tags}});
                return r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
                    targets: v.nodes.slice(0, 5).map((n) => n.target.join(' '))}));
            }""",
            list(exclude),
        )
        serious = [v for v in result if v["impact"] in ("serious", "critical")]
        assert not serious, f"axe-core on {name}: " + "; ".join(
            f"{v['impact']} {v['id']} ({v['help']}) at {v['targets']}" for v in serious
        )
        return result

    return check
