"""Playwright driving Debian's chromium against pytest-django's live_server."""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

# Playwright's sync API runs an event loop in this thread; Django must allow ORM use beside it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


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
        yield browser
        browser.close()


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


@pytest.fixture
def shot():
    """Save a full-page screenshot under test-artifacts/screenshots/ (kept out of git)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name):
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


AXE_SOURCE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"


@pytest.fixture
def axe():
    """Run axe-core (vendored from the npm package) on a page; fail on any serious or critical finding.

    The script is evaluated through the DevTools protocol, not injected as a <script> tag, so the
    page's Content-Security-Policy stays in force and is not loosened for the check.
    """
    source = AXE_SOURCE.read_text(encoding="utf-8")

    def check(page, name, *, exclude=()):
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
