"""Slides in Chromium: the host picks a course PDF and pages forward (button and arrow key), and a cadet's page
shows each new page's image, fetched over HTTP, without any video; the host's pointer reaches the cadet."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from lectern.extensions import db
from lectern.platform.models import Role, utcnow
from lectern.webrtc.models import Attendance
from tests import factories
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_roles import sign_in
from tests.conftest import Database
from tests.webrtc.slides.lessons import add_file_lesson
from tests.webrtc.slides.pdfs import pdf

LAPTOP = {"width": 1366, "height": 768}

# The slide's image has loaded, and which page it is.
SHOWN_PAGE = """() => {
  const img = document.getElementById("slides-image");
  if (!img.complete || !img.naturalWidth || img.closest("[hidden]")) return null;
  const match = /\\/(\\d+)\\.webp$/.exec(img.currentSrc);
  return match ? Number(match[1]) : null;
}"""


@pytest.fixture
def open_page(browser: Browser, app: Flask) -> Iterator[Any]:
    """Pages in fresh contexts; fails the test on a script error or a CSP violation; stops the relay afterwards."""
    contexts = []
    problems: list[str] = []

    def new() -> Page:
        context = browser.new_context(locale="en-US", viewport=LAPTOP)  # type: ignore[arg-type]  # a plain dict
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"{error.name}: {error.message}"))
        page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
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


def test_the_host_pages_forward_and_the_cadet_sees_each_page(
    live_server: str, open_page: Any, app: Flask, make: factories.Factory, database: Database
) -> None:
    academy = make.academy()
    course = make.course(academy.id)
    teacher = make.user(Role.INSTRUCTOR, academy, language="en")
    cadet = make.user(Role.CADET, academy, language="en")
    make.staff(course.id, teacher.id)
    make.enrol(course.id, cadet.id)
    lecture = make.lecture(course.id, title="Forged passports", starts_at=utcnow() + timedelta(minutes=5))
    add_file_lesson(app, course.id, pdf(3), "Forged passports.pdf")

    host = open_page()
    sign_in(host, live_server, teacher.username, factories.PASSWORD)
    host.goto(f"{live_server}/lectures/{lecture.id}/room")
    expect(host.locator("#connection-state")).to_have_text("Connected")
    expect(host.locator("#slides-deck option")).to_have_text(["Forged passports.pdf"])
    host.get_by_role("button", name="Show slides").click()
    expect(host.locator("#slides-count")).to_have_text("1 / 3")

    viewer = open_page()
    sign_in(viewer, live_server, cadet.username, factories.PASSWORD)
    viewer.goto(f"{live_server}/lectures/{lecture.id}/room")
    # The cadet joins late: the join's ack shows the page shown now. No video plays on either side.
    viewer.wait_for_function(f"() => ({SHOWN_PAGE})() === 1", timeout=15_000)
    expect(viewer.locator("#slides-caption")).to_have_text("Forged passports.pdf · 1 / 3")
    expect(viewer.locator("#slides-image")).to_have_attribute("alt", "Slide 1 of 3")
    assert viewer.evaluate("() => document.getElementById('stage-video').srcObject") is None

    host.get_by_role("button", name="Next").click()
    expect(host.locator("#slides-count")).to_have_text("2 / 3")
    viewer.wait_for_function(f"() => ({SHOWN_PAGE})() === 2", timeout=10_000)
    host.keyboard.press("ArrowRight")
    expect(host.locator("#slides-count")).to_have_text("3 / 3")
    viewer.wait_for_function(f"() => ({SHOWN_PAGE})() === 3", timeout=10_000)
    expect(host.get_by_role("button", name="Next")).to_be_disabled()

    # The host points at the page's middle: the cadet sees the dot there.
    host.locator("#slides-image").click()
    expect(viewer.locator("#slides-pointer")).to_be_visible()
    image = viewer.locator("#slides-image").bounding_box()
    dot = viewer.locator("#slides-pointer").bounding_box()
    assert image is not None and dot is not None
    assert abs(dot["x"] + dot["width"] / 2 - (image["x"] + image["width"] / 2)) < 8
    host.screenshot(path=str(ARTIFACTS / f"{database.backend}-slides-host.png"))

    host.get_by_role("button", name="Stop slides").click()
    expect(viewer.locator("#slides")).to_be_hidden()
    leave_the_room(app, [viewer, host])


def leave_the_room(app: Flask, pages: list[Page]) -> None:
    """Close the pages and wait until the server has recorded both departures, so that no Socket.IO handler still
    uses the database when the test's teardown empties it."""
    for page in pages:
        page.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with app.app_context():
            staying = db.session.scalar(select(func.count()).where(Attendance.left_at.is_(None)))
            db.session.remove()
        if staying == 0:
            return
        time.sleep(0.05)
    pytest.fail("the server did not record the departures")
