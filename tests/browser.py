"""Debian's headless Chromium under Playwright, as pytest fixtures for the web player's tests.

tests/conftest.py loads them for every test; mark a test that uses them ``needs("chromium")``
(it skips where there is no chromium, outside CI). Playwright drives the system's browser:
it never downloads one (no ``playwright install``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.tools import find

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

CHROMIUM = find("chromium")
PHONE: ViewportSize = {"width": 390, "height": 844}  # the page must read on a phone's width
WAIT_MS = 20_000
"""How long a step waits for the page (a machine under load is slow, never this slow)."""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"],
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no storage shared between tests) at a phone's width."""
    context = browser.new_context(viewport=PHONE)
    context.set_default_timeout(WAIT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()
