"""Browser fixtures: Playwright driving Debian's Chromium against a real `aigt serve`."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.async_api import Browser

# Debian's `chromium` package puts the browser here (`apt-get install -y chromium`).
CHROMIUM_PATHS = (Path("/usr/bin/chromium"), Path("/usr/bin/chromium-browser"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# Where the journey's screenshots go: a folder of the test run, so that running the tests leaves the
# checkout as it was; `make screenshots` points this at docs/screenshots to refresh the README's.
SCREENSHOTS_VARIABLE = "AIGT_SCREENSHOTS_DIR"


def find_chromium() -> Path | None:
    found = next((path for path in CHROMIUM_PATHS if path.exists()), None)
    if found is not None:
        return found
    which = shutil.which("chromium")
    return Path(which) if which else None


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    path = find_chromium()
    if path is None:
        message = (
            "Chromium was not found at /usr/bin/chromium: the browser tests need Debian's chromium "
            "(`apt-get install -y chromium`, which .ci/run does)"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
async def browser(chromium_path: Path) -> AsyncIterator[Browser]:
    # The async API: the sync one runs its own event loop, which cannot share a thread with pytest-asyncio's.
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get(SCREENSHOTS_VARIABLE)
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
