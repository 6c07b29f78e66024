"""The lecture room at 1366x768: everything a participant uses is on the screen, the host's buttons and the
lecture's status follow the lecture (not started, live, ended), and chat times are the academy's, written as the
UI language writes them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from lectern.platform.models import Role, utcnow
from lectern.webrtc.models import ChatMessage
from tests import factories
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_roles import sign_in
from tests.conftest import Database

LAPTOP = {"width": 1366, "height": 768}

# What thirty participants and a notice put on the page (rows made as static/js/lecture/participants.js makes them).
CROWD = """() => {
  const list = document.getElementById("participants");
  for (let i = 0; i < 30; i++) {
    const li = document.createElement("li");
    li.className = "person";
    li.innerHTML = '<span class="dot"></span><span class="who"><span class="name">Cadet ' + i +
      '</span><span class="role">Cadet</span></span>';
    list.append(li);
  }
  const notice = document.getElementById("room-notice");
  notice.textContent = "The instructor turned your microphone off.";
  notice.hidden = false;
}"""


@pytest.fixture
def open_page(browser: Browser, app: Flask) -> Iterator[Any]:
    """Makes pages in fresh contexts (a laptop screen, a browser set to New York time); fails the test on a script
    error or a CSP violation; stops the relay afterwards."""
    contexts = []
    problems: list[str] = []

    def new(viewport: dict[str, int] = LAPTOP) -> Page:
        context = browser.new_context(locale="en-US", timezone_id="America/New_York", viewport=viewport)  # type: ignore[arg-type]  # a plain dict for ViewportSize
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"{error.name}: {error.message}"))
        page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
        page.on("dialog", lambda dialog: dialog.accept())
        return page

    app.config["LECTERN_RELAY_LOOPBACK"] = True
    try:
        yield new
    finally:
        for context in contexts:
            context.close()
        client: Any = app.extensions.get("lectern_relay")
        if client is not None:
            client.shutdown()
    if problems:
        pytest.fail("The room broke the CSP or threw:\n" + "\n".join(problems), pytrace=False)


def in_viewport(page: Page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    assert box is not None and size is not None
    return (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"]
        and (box["y"] + box["height"] <= size["height"])
    )


def test_the_room_fits_a_laptop_and_follows_the_lecture(
    live_server: str, open_page: Any, make: factories.Factory, database: Database
) -> None:
    academy = make.academy()
    course = make.course(academy.id, title="Document security: training of trainers, advanced level")
    teacher = make.user(Role.INSTRUCTOR, academy, first_name="Ilze", last_name="Ozola", language="en")
    make.staff(course.id, teacher.id)
    lecture = make.lecture(
        course.id,
        title="Forged passports and visas: what the loupe and the UV lamp show",
        starts_at=utcnow() + timedelta(minutes=5),
    )
    page = open_page()
    sign_in(page, live_server, teacher.username, factories.PASSWORD)
    page.goto(f"{live_server}/lectures/{lecture.id}/room")
    expect(page.locator("#connection-state")).to_have_text("Connected")

    # Not started: the status says so; Start is offered, End is not.
    expect(page.locator("#lecture-status")).to_have_text("Not started yet")
    expect(page.get_by_role("button", name="Start lecture")).to_be_visible()
    expect(page.get_by_role("button", name="End lecture")).to_be_hidden()
    page.screenshot(path=str(ARTIFACTS / f"{database.backend}-room-1366-before.png"))
    for part in ("#chat-text", "#chat-form button", "#start-button"):
        assert in_viewport(page, part), f"{part} is not fully on the 1366x768 screen"

    # Live: End is offered, the controls and the chat's input are still on the screen.
    page.get_by_role("button", name="Start lecture").click()
    expect(page.locator("#lecture-status")).to_have_text("Live", timeout=15_000)
    expect(page.get_by_role("button", name="End lecture")).to_be_visible()
    # A full room (thirty names in the list, a notice above the stage) keeps them on the screen too.
    page.evaluate(CROWD)
    page.screenshot(path=str(ARTIFACTS / f"{database.backend}-room-1366-live.png"))
    for part in ("#chat-text", "#chat-form button", "#end-button"):
        assert in_viewport(page, part), f"{part} is not fully on the 1366x768 screen"

    # Ended: the status says so, not "live", and nothing is left to start or end.
    page.get_by_role("button", name="End lecture").click()
    expect(page.locator("#room-over-text")).to_have_text("The lecture has ended.", timeout=10_000)
    expect(page.locator("#lecture-status")).to_have_text("Ended")
    expect(page.locator("#lecture-status")).to_have_attribute("data-state", "ended")
    expect(page.locator("#end-button")).to_be_hidden()
    expect(page.locator("#start-button")).to_be_hidden()


@pytest.mark.parametrize(("language", "shown"), [("en", "12:05 PM"), ("ru", "12:05")])
def test_chat_times_are_the_academys_in_the_ui_language(
    live_server: str, open_page: Any, make: factories.Factory, language: str, shown: str
) -> None:
    academy = make.academy(timezone="Asia/Bishkek")  # UTC+6; the browser is in New York (06:05 UTC is 01:05 there)
    course = make.course(academy.id)
    cadet = make.user(Role.CADET, academy, language=language)
    make.enrol(course.id, cadet.id)
    lecture = make.lecture(course.id, title="Visas", starts_at=utcnow() + timedelta(minutes=5))
    said = datetime(2026, 12, 1, 6, 5, tzinfo=UTC)
    make.save(ChatMessage(lecture_id=lecture.id, user_id=cadet.id, body="Good morning", created_at=said))
    page = open_page({"width": 390, "height": 844})
    sign_in(page, live_server, cadet.username, factories.PASSWORD)
    page.goto(f"{live_server}/lectures/{lecture.id}/room")

    time = page.locator("#chat-log time")
    expect(time).to_have_text(shown)
    expect(time).to_have_attribute("datetime", "2026-12-01T06:05:00+00:00")
