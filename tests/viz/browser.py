"""Headless Chromium for the browser tests: the system's ``chromium`` driven by Playwright (no browser
download), with every request that leaves the machine refused and recorded, and console errors recorded.

Without Playwright or Chromium the tests are skipped, except in CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def require_browser() -> None:
    """Skip the test (fail it in CI) unless Playwright and Chromium are installed."""
    missing = [what for what, ok in (("the playwright package", importlib.util.find_spec("playwright") is not None),
                                     (f"chromium ({CHROMIUM})", Path(CHROMIUM).exists())) if not ok]
    if missing:
        message = f"browser tests need {' and '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(message + ": .ci/run installs chromium, the dev extra installs playwright")
        pytest.skip(message)


def local_only(url: str) -> bool:
    """Whether ``url`` stays on this machine: 127.0.0.1, or a file."""
    parts = urlsplit(url)
    return parts.scheme == "file" or parts.hostname == "127.0.0.1"


@contextlib.contextmanager
def browser_page(allowed: Callable[[str], bool] = local_only) -> Iterator[Any]:
    """A fresh Chromium page; on leaving, the test fails if a request was not ``allowed`` or the console had an error."""
    require_browser()
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    errors: list[str] = []

    def guard(route: Any) -> None:
        if allowed(route.request.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            context = browser.new_context()
            context.route("**/*", guard)
            page = context.new_page()
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            yield page
        finally:
            browser.close()
    assert outside == [], f"requests left the machine: {outside}"
    assert errors == [], f"console errors: {errors}"
