"""Fixtures for the browser tests: the app served over HTTP, one Chromium per session, a fresh page per test.

Chromium is Debian's (/usr/bin/chromium), never a downloaded build. Every page a test opens must pass our
content security policy and run without script errors: the `page` fixture fails the test otherwise.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, sync_playwright
from sqlalchemy.pool import NullPool
from werkzeug.serving import WSGIRequestHandler, make_server

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

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


_RESPONSE = "lectern.tests.response"


class _ClosedOnce:
    """A response body whose close() runs once, however many times it is called."""

    def __init__(self, body: Iterable[bytes]) -> None:
        self.body = body
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.body)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            close = getattr(self.body, "close", None)
            if close is not None:
                close()


class _RequestHandler(WSGIRequestHandler):
    """Werkzeug's handler, closing the response of a request whose client hung up.

    When Chromium resets a connection (it drops a favicon or a media request it no longer needs), Werkzeug's server
    can fail while draining the request, before it closes the response: a file being sent stays open until the
    garbage collector finds it, and under `filterwarnings = error` its ResourceWarning fails whichever test is running.
    """

    def connection_dropped(self, error: BaseException, environ: WSGIEnvironment | None = None) -> None:
        if environ is not None and _RESPONSE in environ:
            environ[_RESPONSE].close()


def _keeping_response(app: Flask) -> WSGIApplication:
    def serve(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        body = environ[_RESPONSE] = _ClosedOnce(app(environ, start_response))
        return body

    return serve


@pytest.fixture
def app(app_factory: Any, database: Any) -> Flask:
    """The test's app, its database connections not pooled: a browser test ends while the server may still be
    finishing a request (the Socket.IO disconnect of a page being closed records the departure). That thread's
    connection would go back to a pool the test's teardown had already disposed of and nobody ever closes, and its
    ResourceWarning would fail whichever test the garbage collector happened to run in (CI did so, stop 18).
    Without a pool a connection is closed when its user is done with it, whenever that is."""
    options = {"pool_pre_ping": True, **database.engine_options, "poolclass": NullPool}
    return app_factory(SQLALCHEMY_ENGINE_OPTIONS=options)  # type: ignore[no-any-return]


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The test's app (on the test's database backend) served on a free loopback port; yields its base URL."""
    server = make_server("127.0.0.1", 0, _keeping_response(app), threaded=True, request_handler=_RequestHandler)
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


@pytest.fixture
def watch(browser: Browser) -> Iterator[Any]:
    """Makes watched browser contexts (test_lecture.py `Watched`: the page's peer connections recorded); closes
    them after the test and fails it on any CSP violation or script error."""
    from tests.browser.test_lecture import Watched

    made: list[Watched] = []

    def new() -> Watched:
        made.append(Watched(browser))
        return made[-1]

    def close_all() -> None:
        """Close the pages now: before the relay shuts down, or they lose their connections to it and make them
        again while it stops (a connection made then would outlive it)."""
        for w in made:
            w.close()

    new.close_all = close_all  # type: ignore[attr-defined]
    yield new
    for w in made:
        w.close()
    problems = [p for w in made for p in w.problems]
    if problems:
        pytest.fail("The room broke the CSP or threw:\n" + "\n".join(problems), pytrace=False)
