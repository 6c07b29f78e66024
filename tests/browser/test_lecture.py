"""A live lecture in Chromium with a fake camera and microphone: the instructor publishes through Lectern's relay,
a cadet in a second browser context sees and hears it; chat, raised hand, screen sharing and the end round-trip.
Then two academies face to face: a lecture hall given the floor publishes back, the instructor and a cadet see and
hear it; the host's mute, take-back and remove controls reach the other browsers."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Error, Page, expect, sync_playwright

from lectern.platform.models import Role, utcnow
from tests import factories
from tests.browser import MEDIA_ON_POSTGRESQL
from tests.browser.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from tests.browser.peers import (
    AUDIO_BYTES,
    MIC_ENABLED,
    NOTHING_PUBLISHED,
    PUBLISHING_BOTH,
    RECORD_PEERS,
    SENT_VIDEO_LABEL,
    SocketTransports,
)
from tests.browser.test_roles import sign_in
from tests.conftest import Database

pytestmark = MEDIA_ON_POSTGRESQL

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
        self.context.add_init_script(script=RECORD_PEERS)  # the page's peer connections and camera, for the checks
        self.page: Page = self.context.new_page()
        self.transports = SocketTransports(self.page)
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
def contexts(watch: Callable[[], Watched]) -> list[Watched]:
    return [watch(), watch()]


VIDEO_PLAYING = """(id) => {
  const v = document.getElementById(id);
  return v.videoWidth > 0 && v.currentTime > 0 && !v.paused;
}"""


def advancing(page: Page, video: str = "stage-video") -> None:
    """A received video (the stage, or the floor tile) plays and its time moves on."""
    page.wait_for_function(VIDEO_PLAYING, arg=video, timeout=15_000)
    before = page.evaluate("(id) => document.getElementById(id).currentTime", video)
    page.wait_for_function(
        "([id, before]) => document.getElementById(id).currentTime > before + 0.5", arg=[video, before], timeout=10_000
    )


def audio_grows(page: Page, slot: str = "main") -> None:
    """Audio bytes keep arriving for what a slot's audio element plays (polled: the CSP forbids string evaluation)."""
    audio = {"main": "stage-audio", "floor": "floor-audio"}[slot]
    first = page.evaluate(AUDIO_BYTES, audio)
    deadline = time.monotonic() + 10
    while page.evaluate(AUDIO_BYTES, audio) < first + 2000:
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
    lecture = make.lecture(course.id, title="Forged passports: live", starts_at=utcnow() - timedelta(minutes=5))
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
        assert contexts[1].transports.current() in ("websocket", "polling")  # the cadet's socket

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


def test_a_lecture_hall_takes_the_floor(
    app: Flask, live_server: str, watch: Callable[[], Watched], make: factories.Factory, database: Database
) -> None:
    app.config["LECTERN_RELAY_LOOPBACK"] = True
    academy, other = make.academy(), make.academy(name="Border Guard College", city="Almaty", country="KZ")
    course = make.course(academy.id, title="Document security")
    teacher = make.user(Role.INSTRUCTOR, academy, first_name="Ilze", last_name="Ozola", language="en")
    cadet = make.user(Role.CADET, academy, first_name="Aibek", last_name="Asanov", language="en")
    hall = make.user(Role.CLASSROOM, other, first_name="Hall", last_name="B-12", language="en")
    make.staff(course.id, teacher.id)
    make.enrol(course.id, cadet.id)
    lecture = make.lecture(
        course.id, title="Forged passports: live", starts_at=utcnow() - timedelta(minutes=5), halls=[hall.id]
    )
    room = f"{live_server}/lectures/{lecture.id}/room"
    watched = [watch() for _ in range(3)]
    host, screen, pupil = (w.page for w in watched)
    try:
        sign_in(host, live_server, teacher.username, factories.PASSWORD)
        host.goto(room)
        host.get_by_role("button", name="Start lecture").click()
        expect(host.locator("#lecture-status")).to_have_text("Live", timeout=15_000)

        # The other academy's lecture hall joins, sees the instructor and raises its hand.
        sign_in(screen, live_server, hall.username, factories.PASSWORD)
        screen.goto(room)
        advancing(screen)
        sign_in(pupil, live_server, cadet.username, factories.PASSWORD)
        pupil.goto(room)
        expect(pupil.locator("#lecture-status")).to_have_text("Live")
        screen.get_by_role("button", name="Raise hand").click()
        row = host.locator(f'#participants li[data-user="{hall.id}"]')
        expect(row).to_contain_text("Lecture hall")
        expect(row).to_contain_text("Hand raised")

        # The instructor gives it the floor: the hall publishes its camera and microphone to the floor slot.
        row.get_by_role("button", name="Give floor").click()
        expect(row).to_contain_text("Has the floor")
        expect(row).not_to_contain_text("Hand raised")  # the floor answers the hand
        screen.wait_for_function(PUBLISHING_BOTH, timeout=15_000)
        expect(screen.get_by_role("button", name="Microphone off")).to_be_visible()
        expect(screen.locator("#hand-button")).to_be_hidden()
        expect(screen.locator("#floor-tile")).to_be_visible()

        # The instructor sees and hears the hall in the floor tile; so does the cadet.
        expect(host.locator("#floor-tile")).to_be_visible()
        expect(host.locator("#floor-name")).to_have_text("Hall B-12")
        advancing(host, "floor-video")
        audio_grows(host, "floor")
        heard = "() => { const a = document.getElementById('floor-audio'); return !a.muted && !a.paused; }"
        assert host.evaluate(heard) is True
        relay: Any = app.extensions["lectern_relay"]
        floor_slot = f"{lecture.id}:floor"
        assert set(relay.stats(floor_slot)["publisher"]["tracks"]) == {"audio", "video"}
        advancing(pupil, "floor-video")
        advancing(pupil)  # the instructor's stage goes on beside it

        host.wait_for_timeout(3500)  # one quality report, so the dots have colour in the screenshots
        host.screenshot(path=str(ARTIFACTS / f"{database.backend}-lecture-floor-host.png"))
        screen.screenshot(path=str(ARTIFACTS / f"{database.backend}-lecture-floor-hall.png"))

        # The list changes in place: a new list (the cadet raises a hand, and lowers it) keeps the hall's buttons,
        # so a press that spans it is not lost.
        mute = row.get_by_role("button", name="Mute").element_handle()
        pupil_row = host.locator(f'#participants li[data-user="{cadet.id}"]')
        pupil.get_by_role("button", name="Raise hand").click()
        expect(pupil_row).to_contain_text("Hand raised")
        pupil.get_by_role("button", name="Lower hand").click()
        expect(pupil_row).not_to_contain_text("Hand raised")
        assert mute.evaluate("b => b.isConnected") is True

        # Mute: the hall's microphone track is switched off, and its button says so.
        assert screen.evaluate(MIC_ENABLED) is True
        mute.click()
        expect(screen.locator("#room-notice")).to_have_text("The instructor turned your microphone off.")
        expect(screen.locator("#mic-button")).to_have_attribute("aria-pressed", "false")
        expect(screen.locator("#mic-button")).to_have_text("Microphone on")
        assert screen.evaluate(MIC_ENABLED) is False

        # The instructor takes the floor back: the hall stops publishing, every page hides the tile.
        row.get_by_role("button", name="Take floor back").click()
        expect(row.get_by_role("button", name="Give floor")).to_be_visible()
        expect(row).not_to_contain_text("Has the floor")
        expect(host.locator("#floor-tile")).to_be_hidden()
        expect(pupil.locator("#floor-tile")).to_be_hidden()
        expect(screen.locator("#floor-tile")).to_be_hidden()
        expect(screen.locator("#mic-button")).to_be_hidden()
        expect(screen.get_by_role("button", name="Raise hand")).to_be_visible()
        screen.wait_for_function(NOTHING_PUBLISHED)
        assert relay.stats(floor_slot)["publisher"] is None

        # Remove: the cadet is sent out and cannot come back.
        cadet_row = host.locator(f'#participants li[data-user="{cadet.id}"]')
        cadet_row.get_by_role("button", name="Remove").click()
        expect(pupil.locator("#room-over-text")).to_have_text("The instructor removed you from this lecture.")
        expect(pupil.locator("#connection-state")).to_have_text("Disconnected")
        expect(host.locator("#participants li")).to_have_count(2)
        pupil.reload()
        expect(pupil.locator("#room-over-text")).to_have_text("You were removed from this lecture.")
        expect(pupil.locator("#connection-state")).to_have_text("Disconnected")
        expect(host.locator("#participants li")).to_have_count(2)

        # The host sees whom they removed, and lets the cadet back in.
        removed = host.locator("#removed-panel")
        expect(removed).to_be_visible()
        expect(removed.locator("li")).to_have_count(1)
        expect(removed).to_contain_text(cadet.full_name)
        removed.get_by_role("button", name="Let back in").click()
        expect(removed).to_be_hidden()
        pupil.reload()
        expect(pupil.locator("#connection-state")).to_have_text("Connected")
        expect(host.locator("#participants li")).to_have_count(3)
    finally:
        for w in watched:
            w.close()
        client: Any = app.extensions.get("lectern_relay")
        if client is not None:
            client.shutdown()
