"""A real headless Chromium (Debian's chromium + chromium-driver) driven by Selenium.

Selenium blocks, and the daemon under test runs in the test's own event loop, so every
browser call goes through a thread (``await page.run(fn)``). Screenshots land in the test
artifacts dir (``CCD_ARTIFACTS`` or ``test-artifacts/``), never in the repository.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

T = TypeVar("T")
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def artifacts_dir() -> Path:
    path = Path(os.environ.get("CCD_ARTIFACTS", "test-artifacts")) / "console"
    path.mkdir(parents=True, exist_ok=True)
    return path


class Page:
    def __init__(self, driver: Any) -> None:
        self.driver = driver

    async def run(self, fn: Callable[[], T]) -> T:
        return await asyncio.to_thread(fn)

    async def js(self, script: str, *args: Any) -> Any:
        return await self.run(lambda: self.driver.execute_script(script, *args))

    async def get(self, url: str) -> None:
        await self.run(lambda: self.driver.get(url))

    async def wait_js(self, script: str, what: str, timeout: float = 10.0) -> Any:
        """Poll a JS expression until it is truthy; its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = await self.js("return (function(){" + script + "})()")
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"browser: {what}: not within {timeout}s")
            await asyncio.sleep(0.05)

    async def screenshot(self, name: str) -> Path:
        path = artifacts_dir() / f"{name}.png"
        await self.run(lambda: self.driver.save_screenshot(str(path)))
        return path


def _driver() -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000",
                "--lang=en-US", "--disable-gpu"):
        opts.add_argument(arg)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)


@pytest.fixture
def browser_factory() -> Iterator[Callable[[], Page]]:
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.skip("chromium / chromium-driver not installed (scripts/install-deps installs them)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        pytest.skip("selenium not installed (pip install -e '.[dev]')")
    made: list[Any] = []

    def make() -> Page:
        driver = _driver()
        made.append(driver)
        return Page(driver)

    yield make
    for d in made:
        d.quit()
