"""Real headless Chromium for page tests (Debian's ``chromium``, installed by scripts/test.sh), driven by
Playwright with the system browser (no browser download). Screenshots go to ``test-artifacts/``.

Use in a test module::

    from .browser import browser, site, screenshot  # noqa: F401 - fixtures
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from .conftest import ROOT
from .test_endpoint_live import engine_server, servers  # noqa: F401 - the live-server fixture

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("SDSF_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


_SHARED: dict = {}


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed: scripts/test.sh installs Debian's chromium")
        pytest.skip("Chromium is not installed (scripts/test.sh installs it)")
    from playwright.sync_api import sync_playwright

    # Each module that imports this fixture gets its own instance, but Playwright's sync API allows one at a
    # time in a process: the modules share one browser, closed when the last of them is done (session end).
    if not _SHARED:
        playwright = sync_playwright().start()
        _SHARED.update(playwright=playwright, users=0, browser=playwright.chromium.launch(
            executable_path=path, headless=True, args=CHROMIUM_FLAGS))
    _SHARED["users"] += 1
    yield _SHARED["browser"]
    _SHARED["users"] -= 1
    if not _SHARED["users"]:
        _SHARED["browser"].close()
        _SHARED.pop("playwright").stop()
        _SHARED.clear()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    opened.js_errors = errors  # type: ignore[attr-defined]
    yield opened
    context.close()


@pytest.fixture(scope="module")
def site(servers):  # noqa: F811
    """The root URL of a real server (gunicorn, oxigraph) on loopback."""
    return engine_server(servers, "oxigraph").root


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
