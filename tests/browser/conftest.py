"""Playwright against Debian's Chromium (``/usr/bin/chromium``); screenshots go to test-artifacts/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ARTIFACTS, CHROMIUM

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # themselves (fixtures, assertions) are synchronous and safe. Only for the browser tests.
    saved = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if saved is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = saved


@pytest.fixture
def phone_page(chromium, live_server) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = chromium.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="vi-VN"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def desktop_page(chromium, live_server) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = chromium.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def screenshot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page, live_server, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{live_server.url}/")


# Impacts that fail a page. "moderate" and "minor" findings (best practices such as a region
# around every bit of content) are worth reading in the full axe report but do not block anyone.
BLOCKING_IMPACTS = ("serious", "critical")


def assert_accessible(page, name: str, *, exclude_rules: tuple[str, ...] = ()) -> None:  # type: ignore[no-untyped-def]
    """Run axe-core on the page as it is now; fail listing every serious or critical violation.

    ``name`` says which page and state was checked, in the failure message. ``exclude_rules`` is
    only for a proven false positive, with the reason written next to the call.
    """
    from axe_playwright_python.sync_playwright import Axe

    options: dict[str, object] = {"resultTypes": ["violations"]}
    if exclude_rules:
        options["rules"] = {rule: {"enabled": False} for rule in exclude_rules}
    violations = Axe().run(page, options=options).response["violations"]
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    if blocking:
        lines = [f"{name} ({page.url}): {len(blocking)} serious/critical accessibility violation(s)"]
        for violation in blocking:
            lines.append(f"- [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
            for node in violation["nodes"]:
                # A target inside a shadow root or frame is a list of selectors, outermost first.
                target = " ".join(" >> ".join(part) if isinstance(part, list) else part for part in node["target"])
                why = "; ".join(
                    line.strip() for line in (node.get("failureSummary") or "").splitlines() if line.startswith(" ")
                )
                lines.append(f"    {target}: {why}")
        pytest.fail("\n".join(lines), pytrace=False)
