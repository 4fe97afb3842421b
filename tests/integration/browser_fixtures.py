"""Debian's Chromium driven by Playwright, for the tests of browser clients (never `playwright
install`: no downloads). Missing Playwright or Chromium skips the test, or fails it on CI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.integration.stack_fixtures import require_or_skip
from tests.integration.thirdparty import CHROMIUM_ARGS, require_programs

try:
    from playwright.async_api import async_playwright
except ImportError:  # the browser fixture skips, or fails on CI
    async_playwright = None


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if async_playwright is None:
        require_or_skip("playwright is not installed (run scripts/install-deps)")
    (chromium_path,) = require_programs("chromium")
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS
        )
        yield chromium
        await chromium.close()
