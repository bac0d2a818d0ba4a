"""Browser tests: Playwright driving the system Chromium (Debian package ``chromium``), no download.

Skipped with a clear message when no Chromium is installed; required (a failure) in CI, where .ci/run
installs it and sets JINGWU_REQUIRE_SERVICES=1. Screenshots go to ``artifacts/screenshots/``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("JINGWU_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
HAVE_CHROMIUM = Path(CHROMIUM).exists()
if not HAVE_CHROMIUM and os.environ.get("JINGWU_REQUIRE_SERVICES") == "1":
    raise RuntimeError(f"browser tests are required here but no Chromium at {CHROMIUM} (apt-get install chromium)")

SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

# Playwright's sync API keeps an event loop on this thread; Django would refuse ORM calls from it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items: list[Any]) -> None:
    if not HAVE_CHROMIUM:
        reason = f"no Chromium at {CHROMIUM}: apt-get install chromium (CI does)"
    else:
        # The pages do not depend on the database: ./dev test runs them in one of its two passes (the PostgreSQL
        # one when there is one), as it does the OpenAPI fuzz.
        from django.conf import settings

        vendor = "postgresql" if "postgresql" in settings.DATABASES["default"]["ENGINE"] else "sqlite"
        once = os.environ.get("JINGWU_BROWSER_ON", vendor)
        if once == vendor:
            return
        reason = f"browser tests run in the {once} pass"
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


class Shots:
    def __init__(self) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)

    def __call__(self, page: Any, name: str) -> None:
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def shot() -> Shots:
    return Shots()


@pytest.fixture
def new_page(browser: Any, live_server: Any) -> Iterator[Any]:
    contexts: list[Any] = []

    def make(
        user: str | None = None, password: str | None = None, mobile: bool = False, size: tuple[int, int] = (1400, 950)
    ) -> Any:
        options: dict[str, Any] = {"base_url": live_server.url, "locale": "zh-CN"}
        if mobile:
            options.update(
                viewport={"width": 390, "height": 844}
                if size == (1400, 950)
                else {"width": size[0], "height": size[1]},
                is_mobile=True,
                has_touch=True,
                geolocation={"latitude": 39.045, "longitude": 117.105},
                permissions=["geolocation"],
            )
        else:
            options.update(viewport={"width": size[0], "height": size[1]})
        ctx = browser.new_context(**options)
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(15000)
        errors: list[str] = []
        dialogs: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        violations: list[str] = []
        page.on(
            "console",
            lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page.csp_violations = violations

        def on_dialog(d: Any) -> None:
            dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", on_dialog)
        page.js_errors = errors
        page.dialogs = dialogs
        if user:
            page.goto("/login/")
            page.fill("input[name=username]", user)
            page.fill("input[name=password]", password or f"pw-{user}")
            page.click("button[type=submit]")
            page.wait_for_load_state()
        return page

    yield make
    for ctx in contexts:
        for page in ctx.pages:
            # Every page keeps to its Content-Security-Policy: no inline script without the nonce.
            assert page.csp_violations == [], page.csp_violations
        ctx.close()
