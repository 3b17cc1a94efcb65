"""Debian's Chromium driven by Playwright for the browser tests (never ``playwright install``).

Without ``chromium`` on the PATH the tests are skipped with a message, as the README says.
"""

from __future__ import annotations

import shutil

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
SKIP_REASON = (
    "Chromium introuvable : installez le Chromium de Debian (apt-get install chromium) "
    "/ Debian's Chromium not found on PATH: browser tests skipped"
)
LOCAL_SCHEMES = ("file:", "data:")
# Pages are opened one at a time (bounded concurrency), each action with a limit that holds on
# a saturated 2-core machine (measured: a report page takes 2–3 s quiet, up to ~40 s at load 12)
PAGE_TIMEOUT_MS = 180_000


def chromium_path() -> str:
    """Path of Debian's Chromium, or skip the calling test/fixture."""
    path = shutil.which("chromium")
    if path is None:
        pytest.skip(SKIP_REASON)
    return path


def launch(playwright):
    """Launch headless Chromium (one per test module: start-up costs about a second)."""
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)


def new_context(browser, **options):
    """A browser context whose pages wait up to ``PAGE_TIMEOUT_MS`` for every action."""
    context = browser.new_context(**options)
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    context.set_default_navigation_timeout(PAGE_TIMEOUT_MS)
    return context


def offline(page, requests: list[str]) -> None:
    """Record every request of ``page`` and abort all that are not ``file:`` or ``data:``."""

    def handle(route) -> None:
        url = route.request.url
        requests.append(url)
        if url.startswith(LOCAL_SCHEMES):
            route.continue_()
        else:
            route.abort()

    page.route("**/*", handle)


def collect_errors(page, errors: list[str]) -> None:
    """Collect console errors and uncaught exceptions of ``page``."""
    page.on(
        "console", lambda m: errors.append(f"console : {m.text}") if m.type == "error" else None
    )
    page.on("pageerror", lambda e: errors.append(f"exception : {e}"))
