"""A recorded lecture's replay in Chromium: the cadet opens its lesson, plays it, seeks, and the chat beside the
video shows the lines written up to that moment, and no later ones; the chapters seek; the light and sound-only
versions play from the same moment.

The recording is made as the relay leaves one (a slot's folder of WebM tracks and its manifest) and the replay by
the real job (ffmpeg), so the page plays what a lecture would give it."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from lectern.courses.models import Lesson
from lectern.extensions import db
from lectern.platform.models import Role
from lectern.webrtc.models import ChatMessage, Lecture, LectureStatus, Recording, RecordingChapter, RecordingStatus
from lectern.webrtc.recordings import services as recordings
from lectern.webrtc.recordings.replay_job import make_replay
from tests import factories
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_roles import sign_in
from tests.conftest import Database
from tests.webrtc.recordings import synthetic

SECONDS = 10.0


def _recorded_lecture(app: Flask, make: factories.Factory) -> tuple[int, int, str]:
    """A lecture recorded for 10 s (camera and microphone), with two chat lines (at 2 s and 7 s) and a chapter at 5 s,
    its replay made by the job and its lesson published; the course's id, the lesson's id and the cadet's name."""
    academy = make.academy()
    course = make.course(academy.id, title="Document fraud")
    host, cadet = make.user(Role.INSTRUCTOR, academy, language="en"), make.user(Role.CADET, academy, language="en")
    make.staff(course.id, host.id)
    make.enrol(course.id, cadet.id)
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    lecture = make.lecture(course.id, title="Forged visas", status=LectureStatus.ENDED, starts_at=started)
    with app.app_context():
        recording = Recording(lecture_id=lecture.id, key="", status=RecordingStatus.PROCESSING, started_at=started,
                              stopped_at=started + timedelta(seconds=SECONDS), versions={})  # fmt: skip
        db.session.add(recording)
        db.session.flush()
        recording.key = recordings.key_of(recording)
        folder = Path(app.config["LECTERN_STORAGE"]) / "recordings" / recording.key / "main"
        folder.mkdir(parents=True)
        synthetic.write_video(folder / "t1-video.webm", SECONDS)
        synthetic.write_audio(folder / "t2-audio.webm", SECONDS, hertz=440)
        manifest = {
            "version": 1,
            "started_at": started.timestamp(),
            "stopped_at": started.timestamp() + SECONDS,
            "tracks": [
                {"file": "t1-video.webm", "kind": "video", "peer": "p", "start": 0.0, "end": SECONDS, "frames": 300},
                {"file": "t2-audio.webm", "kind": "audio", "peer": "p", "start": 0.0, "end": SECONDS, "frames": 500},
            ],
        }
        (folder / "manifest.json").write_text(json.dumps(manifest))
        for at, text in ((2, "Is the hologram on page 2?"), (7, "Thank you, clear now")):
            db.session.add(ChatMessage(lecture_id=lecture.id, user_id=cadet.id, body=text,
                                       created_at=started + timedelta(seconds=at)))  # fmt: skip
        db.session.add(RecordingChapter(recording_id=recording.id, at=5.0, title="Checking the hologram"))
        db.session.commit()
        lesson_id = make_replay(recording.id)
        lesson = db.session.get(Lesson, lesson_id)
        assert lesson is not None and lesson.draft
        lesson.draft = False  # the instructor publishes it
        db.session.commit()
        assert db.session.get(Lecture, lecture.id) is not None
    return course.id, lesson_id, cadet.username


# The page, not the database, is what this test is about (the recordings' records are checked on both databases in
# tests/webrtc/test_recordings.py): once, on SQLite, to keep the suite's time.
@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_cadet_plays_the_replay_seeks_and_reads_the_chat_of_that_moment(
    app: Flask, page: Page, live_server: str, make: factories.Factory, database: Database
) -> None:
    course_id, lesson_id, cadet = _recorded_lecture(app, make)
    sign_in(page, live_server, cadet, factories.PASSWORD)
    page.goto(f"{live_server}/courses/{course_id}/lessons/{lesson_id}")
    video = page.locator("#lesson-video")
    chat = page.locator("#replay-chat li:not([hidden])")
    page.wait_for_function("() => document.querySelector('#lesson-video').readyState >= 1")
    expect(page.locator("#replay-chapters li")).to_have_count(1)
    expect(chat).to_have_count(0)  # nothing said yet at the start

    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function("() => document.querySelector('#lesson-video').currentTime > 0.5", timeout=10_000)
    video.evaluate("v => { v.currentTime = 4; }")  # a seek: past the first line, before the second
    page.wait_for_function("() => { const v = document.querySelector('#lesson-video'); return v.currentTime >= 4; }")
    expect(chat).to_have_count(1)
    expect(chat.first).to_contain_text("Is the hologram on page 2?")
    expect(chat.first).to_contain_text("0:02")
    page.screenshot(path=str(ARTIFACTS / f"{database.backend}-replay-chat.png"), full_page=True)

    page.get_by_role("button", name="0:05 Checking the hologram").click()  # a chapter seeks
    page.wait_for_function("() => document.querySelector('#lesson-video').currentTime >= 5")
    expect(page.locator("#replay-chapters li.current")).to_have_count(1)

    # The sound-only version goes on from the same moment; seeking back hides what was said later.
    page.select_option("#replay-version", "audio")
    moved = "() => { const v = document.querySelector('#lesson-video');"
    moved += " return v.src.endsWith('/audio') && v.currentTime >= 5; }"
    page.wait_for_function(moved, timeout=10_000)
    video.evaluate("v => { v.currentTime = 8; return v.play(); }")
    expect(chat).to_have_count(2, timeout=5_000)
    video.evaluate("v => { v.currentTime = 1; }")
    expect(chat).to_have_count(0, timeout=5_000)
    time.sleep(0.2)
