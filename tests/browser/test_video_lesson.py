"""A video lesson in Chromium: seeking to the end and playing the last seconds does not complete it; playing it
through does, and the page says so at once, without a reload."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from playwright.sync_api import Page, expect

from lectern.courses.content.storage import VIDEO_TYPES, Storage
from lectern.courses.models import LessonKind, StoredFile
from lectern.platform.models import Role
from tests import factories
from tests.browser.conftest import ARTIFACTS
from tests.browser.media import make_webm
from tests.browser.test_roles import sign_in
from tests.conftest import Database


def test_a_video_completes_when_played_not_when_seeked(
    app: Flask, page: Page, live_server: str, make: factories.Factory, tmp_path: Path, database: Database
) -> None:
    video = make_webm(tmp_path / "scan.webm", seconds=6.0, size=(160, 120), fps=10)
    with video.open("rb") as stream:
        saved = Storage(app.config["LECTERN_STORAGE"]).save(stream, "scan.webm", VIDEO_TYPES, 10_000_000)
    academy = make.academy()
    stored = make.save(
        StoredFile(sha256=saved.sha256, size=saved.size, content_type=saved.content_type, original_name="scan.webm")
    )
    lessons = [{"kind": LessonKind.VIDEO, "title": "Scanning", "file_id": stored.id}, {"title": "Reading"}]
    course = make.course(academy.id, title="X-ray image analysis", modules=[("Basics", lessons)])
    cadet = make.user(Role.CADET, academy, language="en")
    make.enrol(course.id, cadet.id)
    sign_in(page, live_server, cadet.username, factories.PASSWORD)
    page.goto(f"{live_server}/courses/{course.id}")
    page.get_by_role("link", name="Scanning").first.click()
    player = page.locator("video.lesson-video")
    state = page.locator("#watch-state")
    expect(state).to_contain_text("Played: 0%")

    # Seek to the last second and play it to the end: 1 of 6 seconds played, the lesson is not done.
    page.wait_for_function("() => document.querySelector('video').readyState >= 1")
    player.evaluate("v => { v.muted = true; v.currentTime = 5; return v.play(); }")
    page.wait_for_function("() => document.querySelector('video').ended", timeout=10_000)
    expect(state).to_contain_text("Played: 1", timeout=5_000)  # 16 or 17 %, by where the seek landed
    expect(page.locator(".progress").first).to_contain_text("0 of 2 lessons")

    # Play it from the start: at the end the page shows it done, and the course's progress, without a reload.
    player.evaluate("v => { v.currentTime = 0; return v.play(); }")
    page.wait_for_function("() => document.querySelector('video').ended", timeout=15_000)
    expect(state.locator(".badge")).to_have_text("Done", timeout=5_000)
    expect(page.locator(".progress").first).to_contain_text("1 of 2 lessons")
    expect(page.locator('.outline li:has([aria-current="page"])')).to_have_class("done")
    page.screenshot(path=str(ARTIFACTS / f"{database.backend}-video-done.png"), full_page=True)
