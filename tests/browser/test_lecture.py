"""A live lecture in Chromium with a fake camera and microphone: the instructor publishes through Lectern's relay,
a cadet in a second browser context sees and hears it; chat, raised hand, screen sharing and the end round-trip."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Error, Page, expect, sync_playwright

from lectern.platform.models import Role, utcnow
from lectern.webrtc.models import Lecture
from tests import factories
from tests.browser.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from tests.browser.test_roles import sign_in
from tests.conftest import Database

# Chromium's fake capture: getDisplayMedia picks the whole (virtual) screen without a picker.
SCREEN_ARGS = ["--auto-select-desktop-capture-source=Entire screen", "--enable-usermedia-screen-capturing"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """This module's Chromium: the shared flags plus automatic screen-capture selection."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS + SCREEN_ARGS)
        yield browser
        browser.close()


class Watched:
    """A browser context and its page, collecting CSP violations and script errors like the `page` fixture."""

    def __init__(self, browser: Browser) -> None:
        self.context: BrowserContext = browser.new_context(locale="en-US", viewport={"width": 1366, "height": 860})
        self.page: Page = self.context.new_page()
        self.problems: list[str] = []
        self.closed = False
        self.page.on("console", self._console)
        self.page.on("pageerror", self._error)
        self.page.on("dialog", lambda dialog: dialog.accept())

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.context.close()

    def _console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.problems.append(f"{message.type}: {message.text}")

    def _error(self, error: Error) -> None:
        self.problems.append(f"{error.name}: {error.message}")


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[Watched]]:
    made = [Watched(browser), Watched(browser)]
    yield made
    for w in made:
        w.close()
    problems = [p for w in made for p in w.problems]
    if problems:
        pytest.fail("The room broke the CSP or threw:\n" + "\n".join(problems), pytrace=False)


AUDIO_BYTES = """async () => {
  const pc = window.lectern.pcs.main;
  if (!pc) return 0;
  let bytes = 0;
  (await pc.getStats()).forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "audio") bytes += s.bytesReceived;
  });
  return bytes;
}"""

VIDEO_PLAYING = """() => {
  const v = document.getElementById("stage-video");
  return v.videoWidth > 0 && v.currentTime > 0 && !v.paused;
}"""

SENT_VIDEO_LABEL = """() => {
  const pc = window.lectern.pubs.main;
  const s = pc && pc.getSenders().find((x) => x.track && x.track.kind === "video");
  return s ? s.track.label : null;
}"""


def advancing(page: Page) -> None:
    """The cadet's stage video plays and its time moves on."""
    page.wait_for_function(VIDEO_PLAYING, timeout=15_000)
    before = page.evaluate("() => document.getElementById('stage-video').currentTime")
    page.wait_for_function(
        "(before) => document.getElementById('stage-video').currentTime > before + 0.5", arg=before, timeout=10_000
    )


def audio_grows(page: Page) -> None:
    """Audio bytes keep arriving on the cadet's main subscription (polled: the CSP forbids string evaluation)."""
    first = page.evaluate(AUDIO_BYTES)
    deadline = time.monotonic() + 10
    while page.evaluate(AUDIO_BYTES) < first + 2000:
        assert time.monotonic() < deadline, "no audio arrives"
        page.wait_for_timeout(200)


def test_a_live_lecture_in_two_browsers(
    app: Flask, live_server: str, browser: Browser, contexts: list[Watched], make: factories.Factory, database: Database
) -> None:
    app.config["LECTERN_RELAY_LOOPBACK"] = True  # before the relay is made (on the first publish)
    academy = make.academy()
    course = make.course(academy.id, title="Document security")
    teacher = make.user(Role.INSTRUCTOR, academy, first_name="Ilze", last_name="Ozola", language="en")
    cadet = make.user(Role.CADET, academy, first_name="Aibek", last_name="Asanov", language="en")
    make.staff(course.id, teacher.id)
    make.enrol(course.id, cadet.id)
    lecture = make.save(
        Lecture(course_id=course.id, title="Forged passports: live", starts_at=utcnow() - timedelta(minutes=5))
    )
    room = f"{live_server}/lectures/{lecture.id}/room"
    host, pupil = (w.page for w in contexts)
    try:
        # The instructor goes live with the fake camera and microphone.
        sign_in(host, live_server, teacher.username, factories.PASSWORD)
        host.goto(room)
        expect(host.locator("#connection-state")).to_have_text("Connected")
        expect(host.locator("#people-count")).to_have_text("1")  # joined
        host.get_by_role("button", name="Start lecture").click()
        expect(host.locator("#lecture-status")).to_have_text("Live", timeout=15_000)
        expect(host.get_by_role("button", name="Share screen")).to_be_visible()

        # The cadet sees the video playing and receives audio.
        sign_in(pupil, live_server, cadet.username, factories.PASSWORD)
        pupil.goto(room)
        expect(pupil.locator("#lecture-status")).to_have_text("Live")
        advancing(pupil)
        audio_grows(pupil)
        transport = pupil.evaluate("() => window.lectern.transport()")
        assert transport in ("websocket", "polling")

        # Chat both ways, with the other's name.
        pupil.get_by_label("Message").fill("Is the loupe 10x?")
        pupil.get_by_role("button", name="Send").click()
        expect(host.locator("#chat-log")).to_contain_text("Is the loupe 10x?")
        expect(host.locator("#chat-log")).to_contain_text("Aibek")
        host.get_by_label("Message").fill("Yes, 10x.")
        host.keyboard.press("Enter")
        expect(pupil.locator("#chat-log")).to_contain_text("Yes, 10x.")

        # A raised hand shows in the instructor's list.
        pupil.get_by_role("button", name="Raise hand").click()
        row = host.locator(f'#participants li[data-user="{cadet.id}"]')
        expect(row).to_contain_text("Hand raised")
        expect(pupil.get_by_role("button", name="Lower hand")).to_be_visible()

        # Screen sharing swaps the sent track in place; the cadet's video keeps playing, then the camera is back.
        camera_label = host.evaluate(SENT_VIDEO_LABEL)
        host.get_by_role("button", name="Share screen").click()
        expect(host.get_by_role("button", name="Show camera")).to_be_visible(timeout=10_000)
        screen_label = host.evaluate(SENT_VIDEO_LABEL)
        assert screen_label and screen_label != camera_label
        advancing(pupil)
        host.get_by_role("button", name="Show camera").click()
        expect(host.get_by_role("button", name="Share screen")).to_be_visible()
        assert host.evaluate(SENT_VIDEO_LABEL) == camera_label
        advancing(pupil)

        expect(host.locator("#participants li")).to_have_count(2)
        host.wait_for_timeout(3500)  # one quality report, so the dots have colour in the screenshots
        host.screenshot(path=str(ARTIFACTS / f"{database.backend}-lecture-host.png"))
        pupil.screenshot(path=str(ARTIFACTS / f"{database.backend}-lecture-cadet.png"))

        # The instructor ends the lecture: the cadet is told.
        host.get_by_role("button", name="End lecture").click()
        expect(pupil.locator("#room-over-text")).to_have_text("The lecture has ended.", timeout=10_000)
        expect(host.locator("#room-over-text")).to_have_text("The lecture has ended.")
        expect(pupil.locator("#connection-state")).to_have_text(re.compile("Disconnected"))
    finally:
        for w in contexts:
            w.close()
        client: Any = app.extensions.get("lectern_relay")
        if client is not None:
            client.shutdown()
