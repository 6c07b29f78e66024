"""An instructor builds a course in Chromium; a cadet finds it, enrols, plays its video and sees progress."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from lectern.platform.models import Role
from tests import factories
from tests.browser.conftest import ARTIFACTS
from tests.browser.media import make_webm
from tests.browser.test_roles import sign_in
from tests.conftest import Database

MARKDOWN = """# Security features of passports

Check these **in this order**:

1. Intaglio printing: feel the raised ink.
2. Guilloche patterns under the loupe.

| Feature | Tool |
|---|---|
| OVD | tilt |
"""


def test_instructor_builds_a_course_and_a_cadet_follows_it(
    browser: Browser, page: Page, live_server: str, make, tmp_path: Path, database: Database
) -> None:
    academy = make.academy(name="State Border Guard College")
    teacher = make.user(Role.INSTRUCTOR, academy, language=None)
    cadet = make.user(Role.CADET, make.academy(name="Border Service Training Centre"), language=None)
    video = make_webm(tmp_path / "xray-basics.webm", seconds=2.0)

    # The instructor creates the course...
    sign_in(page, live_server, teacher.username, factories.PASSWORD)
    page.get_by_role("link", name="New course").first.click()
    page.get_by_label("Title").fill("Document security: training of trainers")
    page.get_by_label("Summary").fill("Advanced level: **security features** of travel documents.")
    page.get_by_label("Who can find it").select_option("all")
    page.get_by_label("Cadets may enrol themselves").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator("h1")).to_have_text("Edit content")
    # ...a module...
    page.get_by_label("Module title").fill("Passports")
    page.get_by_role("button", name="Add module").click()
    # ...a Markdown lesson...
    page.get_by_role("link", name="Text", exact=True).click()
    page.get_by_label("Title").fill("Security features")
    page.get_by_label("Text (Markdown)").fill(MARKDOWN)
    page.get_by_role("button", name="Save lesson").click()
    expect(page.locator(".prose h1")).to_have_text("Security features of passports")
    expect(page.locator(".prose td").first).to_have_text("OVD")
    # ...and a video, uploaded with a progress bar.
    page.goto(live_server + page.url.split(live_server)[1].split("/lessons/")[0] + "/content")
    page.get_by_role("link", name="Video", exact=True).click()
    expect(page.get_by_label("Address of the page")).to_be_hidden()  # only the fields of the chosen kind
    page.get_by_label("Title").fill("Reading an X-ray image")
    page.get_by_label("File", exact=True).set_input_files(str(video))
    page.get_by_role("button", name="Save lesson").click()
    expect(page.locator("video.lesson-video")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / f"{database.backend}-course-instructor.png"), full_page=True)
    course_url = page.locator(".crumbs a").first.get_attribute("href")
    assert course_url and re.fullmatch(r"/courses/\d+", course_url)

    # The cadet, in another browser, finds it in the catalogue and enrols.
    cadet_context = browser.new_context(locale="en-US")
    cadet_page = cadet_context.new_page()
    errors: list[str] = []
    cadet_page.on("pageerror", lambda e: errors.append(str(e)))
    cadet_page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    sign_in(cadet_page, live_server, cadet.username, factories.PASSWORD)
    cadet_page.goto(live_server + "/courses/?q=trainers")
    cadet_page.get_by_role("link", name="Document security: training of trainers").click()
    cadet_page.get_by_role("button", name="Enrol me").click()
    expect(cadet_page.locator(".flash-success")).to_contain_text("You are enrolled")
    expect(cadet_page.locator(".progress")).to_contain_text("0 of 2 lessons")

    # It plays the video to the end: the player has a picture, its time advances, and the lesson is done.
    cadet_page.get_by_role("link", name="Reading an X-ray image").click()
    player = cadet_page.locator("video.lesson-video")
    player.evaluate("v => { v.muted = true; return v.play(); }")
    cadet_page.wait_for_function(
        "() => { const v = document.querySelector('video'); return v.videoWidth > 0 && v.currentTime > 0.3; }"
    )
    assert player.evaluate("v => v.videoWidth") == 320
    cadet_page.wait_for_function("() => document.querySelector('video').ended", timeout=10_000)
    expect(cadet_page.locator(".progress").first).to_contain_text("1 of 2 lessons", timeout=5_000)

    # Reading the text lesson completes the course.
    cadet_page.get_by_role("link", name="Security features").first.click()
    cadet_page.goto(live_server + course_url)
    expect(cadet_page.locator(".progress")).to_contain_text("2 of 2 lessons")
    expect(cadet_page.get_by_text("Completed on")).to_be_visible()
    cadet_page.screenshot(path=str(ARTIFACTS / f"{database.backend}-course-cadet.png"), full_page=True)
    cadet_context.close()
    assert not errors, errors
