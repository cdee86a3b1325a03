"""Headless Chromium (Debian's, never a downloaded one) driven by Playwright, plus axe-core."""

import os
import shutil
from pathlib import Path

import pytest
from django.db import connections

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-results" / "screenshots"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


def _unavailable(reason: str):
    # In CI a browser test must never be silently skipped.
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path():
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        _unavailable("Debian's chromium is not installed (apt-get install chromium)")
    if not AXE.exists():
        _unavailable("axe-core is not installed (npm ci)")
    return path


@pytest.fixture
def browser(chromium_path, monkeypatch):
    """A fresh Chromium per test. Started after the test's database set-up: a Playwright session
    kept across tests would run later tests' set-up in its own context, where Django's serialized
    rollback does not find the data to restore."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the test itself makes
    # are still ordinary synchronous calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                  "--no-first-run", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()
        # Database work done while Playwright's loop ran used a connection of its own context.
        connections.close_all()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    yield page
    context.close()


def axe_violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))",
        WCAG_22_AA,
    )


@pytest.fixture
def check_accessible():
    """``check_accessible(page, name)``: zero WCAG 2.2 A/AA violations, and a screenshot kept."""

    def check(page, name: str):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        violations = axe_violations(page)
        assert violations == [], f"{name}: {violations}"

    return check
