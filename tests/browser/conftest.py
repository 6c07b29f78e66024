"""Fixtures for the browser tests: the app served over HTTP, one Chromium per session, a fresh page per test.

Chromium is Debian's (/usr/bin/chromium), never a downloaded build. Every page a test opens must pass our
content security policy and run without script errors: the `page` fixture fails the test otherwise.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, sync_playwright
from werkzeug.serving import make_server

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE.parent.parent / "artifacts" / "screenshots"
ARTIFACTS.mkdir(parents=True, exist_ok=True)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # A fake camera and microphone, granted without a prompt, for the live-lecture tests.
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--allow-loopback-in-peer-connection",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test in this folder `browser`, so `-m "not browser"` skips them all."""
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The test's app (on the test's database backend) served on a free loopback port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Module scope, not session: Playwright's sync API keeps an asyncio loop running in this thread while it is
    # open, and the relay tests that may follow in the same worker need to start their own loop.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh context (no cookies); fails the test if the page broke our CSP or threw an error."""
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    console: list[str] = []
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        console.append(f"{message.type}: {message.text} ({page.url})")

    def on_error(error: Error) -> None:
        errors.append(f"{error.name}: {error.message} ({page.url})")

    page.on("console", on_console)
    page.on("pageerror", on_error)
    yield page
    context.close()
    violations = [line for line in console if "Content Security Policy" in line]
    problems = violations + errors
    if problems:
        pytest.fail("The page broke the CSP or threw:\n" + "\n".join(problems), pytrace=False)
