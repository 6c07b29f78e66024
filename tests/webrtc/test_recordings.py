"""Recording a lecture from the room (room/recording.py) and what becomes of a recording: who sees that it records,
who may watch and download its replay, seeking, deleting it (with its course too), the academy's quota."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from lectern.courses.models import Lesson, LessonKind, Module, StoredFile
from lectern.courses.requested import storage
from lectern.extensions import db
from lectern.platform.models import Role, utcnow
from lectern.webrtc.models import Lecture, LectureStatus, Recording, RecordingChapter, RecordingStatus
from lectern.webrtc.recordings import services as recordings
from tests import factories
from tests.conftest import Client
from tests.webrtc.room.test_namespace import ask, connect, inbox, joined, received
from tests.webrtc.slides.lessons import add_file_lesson
from tests.webrtc.slides.pdfs import pdf

VERSION_BYTES = {"main": 40_000, "low": 12_000, "audio": 3_000}


@dataclass(frozen=True)
class Made:
    id: int
    key: str
    sha256: str
    lesson_id: int


def _ready_recording(app: Flask, lecture: Lecture) -> tuple[Made, Made]:
    """A made recording of the lecture, as the replay job leaves it: its versions on disk, its draft lesson, a
    chapter; the lecture's chat has a line in its span. (The recording, and the recording again: `.lesson_id`.)"""
    with app.app_context():
        recording, lesson = _make_ready(app, lecture)
        made = Made(recording.id, recording.key, str(recording.versions["main"]["sha256"]), lesson.id)
        return made, made


def _make_ready(app: Flask, lecture: Lecture) -> tuple[Recording, Lesson]:
    from lectern.webrtc.models import ChatMessage

    root = Path(app.config["LECTERN_STORAGE"]) / "recordings"
    now = utcnow()
    lecture = db.session.get(Lecture, lecture.id)
    assert lecture is not None
    recording = Recording(
        lecture_id=lecture.id,
        key="",
        status=RecordingStatus.READY,
        started_at=now - timedelta(minutes=5),
        stopped_at=now,
        duration_seconds=300.0,
        versions={},
    )
    db.session.add(recording)
    db.session.flush()
    recording.key = recordings.key_of(recording)
    folder = root / recording.key
    folder.mkdir(parents=True)
    versions: dict[str, dict[str, object]] = {}
    for version, size in VERSION_BYTES.items():
        data = bytes(range(256)) * (size // 256)
        if version == "main":
            sha = hashlib.sha256(data).hexdigest()
            storage().path(sha).parent.mkdir(parents=True, exist_ok=True)
            storage().path(sha).write_bytes(data)
            main = StoredFile(sha256=sha, size=len(data), content_type="video/webm", original_name="replay.webm")
            db.session.add(main)
            db.session.flush()
            versions[version] = {"name": "replay.webm", "bytes": len(data), "bps": 1_000_000, "sha256": sha,
                                 "file_id": main.id}  # fmt: skip
        else:
            (folder / recordings.VERSIONS[version]).write_bytes(data)
            versions[version] = {"name": recordings.VERSIONS[version], "bytes": len(data), "bps": 300_000}
    module = Module(course_id=lecture.course_id, title="Recordings", position=9)
    db.session.add(module)
    db.session.flush()
    lesson = Lesson(module_id=module.id, kind=LessonKind.VIDEO, title="Recording", file_id=main.id, draft=False)
    db.session.add(lesson)
    db.session.flush()
    recording.lesson_id = lesson.id
    recording.versions = versions
    recording.size_bytes = sum(VERSION_BYTES.values())
    db.session.add(RecordingChapter(recording_id=recording.id, at=61.0, title="Cadet Asanov has the floor"))
    host = lecture.course.staff[0].user_id if lecture.course.staff else None
    if host is not None:
        db.session.add(ChatMessage(lecture_id=lecture.id, user_id=host, body="Page 4, please",
                                   created_at=now - timedelta(minutes=4)))  # fmt: skip
    db.session.commit()
    return recording, lesson


def _get(http: Client, url: str, **kw: Any) -> Any:
    """A GET whose response is read and closed (a file's is streamed from an open file)."""
    response = http.get(url, **kw)
    response.get_data()
    response.close()
    return response


def _as(app: Flask, user: Any) -> Client:
    http: Client = app.test_client()  # type: ignore[assignment]
    http.login(user.username)  # type: ignore[attr-defined]
    return http


def test_the_host_records_and_everyone_in_the_room_sees_it(app: Flask, world: Any) -> None:
    lecture, people = world
    host, cadet = joined(app, world, "host"), joined(app, world, "cadet")
    assert ask(host, "record", {"on": True})["error"]  # not before the lecture is live
    assert ask(host, "start")["ok"]
    refused = ask(cadet, "record", {"on": True})
    assert not refused["ok"] and refused["error"] == "not allowed"
    ack = ask(host, "record", {"on": True})
    assert ack["ok"] and ack["recording"]["on"], ack
    assert [r["on"] for r in received(cadet, "recording")] == [True]
    late = connect(app, people["guest"].username)
    assert ask(late, "join", {"lecture": lecture.id})["recording"]["on"] is True
    # The relay records both slots of the lecture, each into a folder of the recording's.
    with app.app_context():
        key = db.session.scalars(select(Recording.key)).one()
    for slot in ("main", "floor"):
        stats = app.extensions["lectern_relay"].stats(f"{lecture.id}:{slot}")
        assert stats["recording"]["directory"].endswith(f"{key}/{slot}"), stats
    ack = ask(host, "record", {"on": False})
    assert ack["ok"] and not ack["recording"]["on"]
    assert [r["on"] for r in received(cadet, "recording")] == [False]
    with app.app_context():
        recording = db.session.scalars(select(Recording)).one()
        assert recording.status is RecordingStatus.PROCESSING and recording.stopped_at is not None
        assert recording.job_id is not None  # its replay job is queued
    inbox(host)


def test_a_course_that_records_every_lecture_records_from_its_start_and_says_so_before_anyone_joins(
    app: Flask, world: Any
) -> None:
    lecture, people = world
    with app.app_context():
        db.session.get(Lecture, lecture.id).course.record_lectures = True  # type: ignore[union-attr]
        db.session.commit()
    page = _as(app, people["cadet"]).get(f"/lectures/{lecture.id}").get_data(as_text=True)
    assert "This lecture will be recorded" in page
    host = joined(app, world, "host")
    assert ask(host, "start")["ok"]
    assert [r["on"] for r in received(host, "recording")] == [True]
    page = _as(app, people["cadet"]).get(f"/lectures/{lecture.id}").get_data(as_text=True)
    assert "This lecture is being recorded" in page
    ask(host, "end")
    with app.app_context():
        assert db.session.scalars(select(Recording)).one().status is RecordingStatus.PROCESSING


def test_floor_and_slide_changes_while_recording_become_chapters_and_the_replay_shows_each_slide(
    app: Flask, world: Any
) -> None:
    lecture, people = world
    deck = add_file_lesson(app, lecture.course_id, pdf(3), "Forged passports.pdf")
    host, cadet = joined(app, world, "host"), joined(app, world, "cadet")
    ask(host, "start")
    ask(host, "floor", {"user": people["cadet"].id})  # not recorded yet: no chapter
    assert ask(host, "record", {"on": True})["ok"]
    assert ask(host, "slides", {"deck": deck})["ok"]
    assert ask(host, "slides", {"page": 3})["ok"]
    ask(host, "floor", {"user": None})
    ask(host, "floor", {"user": people["cadet"].id})
    assert ask(host, "slides", {"deck": deck})["ok"]  # the deck again, from its first page
    with app.app_context():
        chapters = list(db.session.scalars(select(RecordingChapter).order_by(RecordingChapter.id)))
        titles = [c.title for c in chapters]
        slides = [(c.slide_file_id, c.slide_page) for c in chapters]
        recording = db.session.scalars(select(Recording)).one()
        recording.status = RecordingStatus.READY  # as the replay job leaves it
        db.session.commit()
        recording_id = recording.id
    assert titles == [
        "Forged passports.pdf: slide 1 of 3",
        "Forged passports.pdf: slide 3 of 3",
        "The floor is taken back",
        f"{people['cadet'].full_name} has the floor",
        "Forged passports.pdf: slide 1 of 3",
    ]
    assert slides == [(deck, 1), (deck, 3), (None, None), (None, None), (deck, 1)]
    # The replay shows each chapter's slide to whoever may watch it, whatever the room shows now.
    ask(host, "slides", {"stop": True})
    inbox(cadet)
    viewer, stranger = _as(app, people["host"]), _as(app, people["stranger"])  # its draft: the hosts see it
    timeline = viewer.get(f"/recordings/{recording_id}/timeline").get_json()
    urls = [c["slide"]["small"] for c in timeline["chapters"] if c["slide"]]
    assert len(urls) == 3
    page3 = _get(viewer, urls[1])
    assert page3.status_code == 200 and page3.mimetype == "image/webp"
    assert page3.data != _get(viewer, urls[0]).data
    assert _get(stranger, urls[1]).status_code == 404


@pytest.mark.parametrize(
    ("who", "watches", "lesson"),
    [
        ("host", True, True),
        ("cadet", True, True),
        ("guest", True, False),  # an invited course's cadet: the replay page, not the course's lesson
        ("hall", True, False),
        ("stranger", False, False),
        ("other_hall", False, False),
    ],
)
def test_only_those_who_could_attend_watch_a_recording(
    app: Flask, world: Any, make: factories.Factory, who: str, watches: bool, lesson: bool
) -> None:
    lecture, people = world
    with app.app_context():
        db.session.get(Lecture, lecture.id).status = LectureStatus.ENDED  # type: ignore[union-attr]
        db.session.commit()
    recording, made = _ready_recording(app, lecture)
    http = _as(app, people[who])
    urls = [f"/recordings/{recording.id}/{v}" for v in ("main", "low", "audio")]
    urls += [f"/recordings/{recording.id}/timeline", f"/recordings/{recording.id}"]
    for url in urls:
        assert _get(http, url).status_code == (200 if watches else 404), url
    page = f"/courses/{lecture.course_id}/lessons/{made.lesson_id}"
    lesson_urls = [page, f"{page}/file"]
    for url in lesson_urls:
        # Who could attend but does not follow the course (an invited course's cadet, a hall) is asked to enrol, as
        # for any lesson of it (they watch on the replay page); for anyone else the lesson does not exist.
        assert _get(http, url).status_code == (200 if lesson else 403 if watches else 404), url


def test_a_draft_replay_is_for_the_lectures_hosts_until_it_is_published(app: Flask, world: Any) -> None:
    lecture, people = world
    recording, made = _ready_recording(app, lecture)
    with app.app_context():
        db.session.get(Lesson, made.lesson_id).draft = True  # type: ignore[union-attr]
        db.session.commit()
    urls = [f"/recordings/{recording.id}/main", f"/recordings/{recording.id}/timeline", f"/recordings/{recording.id}"]
    for who, status in (("host", 200), ("cadet", 404), ("guest", 404), ("hall", 404)):
        http = _as(app, people[who])
        for url in urls:
            assert _get(http, url).status_code == status, (who, url)
        listed = f"/recordings/{recording.id}" in http.get(f"/lectures/{lecture.id}").get_data(as_text=True)
        assert listed is (status == 200), who
    host = _as(app, people["host"])
    host.submit(f"/courses/{lecture.course_id}/lessons/{made.lesson_id}/publish", {})
    assert _get(_as(app, people["guest"]), urls[0]).status_code == 200


def test_a_range_request_seeks_into_a_replay(app: Flask, world: Any) -> None:
    lecture, people = world
    recording, _lesson = _ready_recording(app, lecture)
    http = _as(app, people["cadet"])
    for version, size in VERSION_BYTES.items():
        whole = _get(http, f"/recordings/{recording.id}/{version}")
        part = _get(http, f"/recordings/{recording.id}/{version}", headers={"Range": "bytes=1000-1999"})
        assert part.status_code == 206, version
        assert part.headers["Content-Range"] == f"bytes 1000-1999/{len(whole.data)}"
        assert part.data == whole.data[1000:2000]
        assert abs(len(whole.data) - size) < 256
    timeline = http.get(f"/recordings/{recording.id}/timeline").get_json()
    assert timeline["chapters"] == [{"at": 61.0, "title": "Cadet Asanov has the floor", "slide": None}]
    assert [(round(line["at"]), line["text"]) for line in timeline["chat"]] == [(60, "Page 4, please")]
    assert set(timeline["versions"]) == {"main", "low", "audio"}
    assert timeline["versions"]["low"]["kbps"] == 300


def test_the_host_deletes_a_recording_with_its_lesson_and_files(app: Flask, world: Any) -> None:
    lecture, people = world
    recording, made = _ready_recording(app, lecture)
    folder = Path(app.config["LECTERN_STORAGE"]) / "recordings" / recording.key
    with app.app_context():
        blob = storage().path(recording.sha256)
    assert folder.is_dir() and blob.is_file()
    cadet = _as(app, people["cadet"])
    assert cadet.submit(f"/recordings/{recording.id}/delete", {}).status_code == 403
    host = _as(app, people["host"])
    assert host.submit(f"/recordings/{recording.id}/delete", {}).status_code == 302
    with app.app_context():
        assert db.session.get(Recording, recording.id) is None and db.session.get(Lesson, made.lesson_id) is None
    assert not folder.exists() and not blob.exists()
    assert _get(cadet, f"/recordings/{recording.id}/main").status_code == 404


def test_deleting_the_course_deletes_its_recordings_files(app: Flask, world: Any) -> None:
    lecture, people = world
    recording, _made = _ready_recording(app, lecture)
    folder = Path(app.config["LECTERN_STORAGE"]) / "recordings" / recording.key
    with app.app_context():
        blob = storage().path(recording.sha256)
    host = _as(app, people["host"])
    with app.app_context():
        title = db.session.get(Lecture, lecture.id).course.title  # type: ignore[union-attr]
    response = host.submit(f"/courses/{lecture.course_id}/delete", {"confirm": title})
    assert response.status_code in (302, 303), response.status_code
    with app.app_context():
        assert db.session.scalars(select(Recording)).all() == []
    assert not folder.exists() and not blob.exists()


def test_a_full_quota_refuses_a_new_recording_and_administrators_see_it(
    app: Flask, world: Any, make: factories.Factory
) -> None:
    lecture, _people = world
    _ready_recording(app, lecture)
    app.config["LECTERN_RECORDING_QUOTA_MB"] = 1
    with app.app_context():
        db.session.execute(Recording.__table__.update().values(size_bytes=2 * 1024 * 1024))
        db.session.commit()
    host = joined(app, world, "host")
    ask(host, "start")
    refused = ask(host, "record", {"on": True})
    assert not refused["ok"] and "quota" in refused["error"].lower(), refused
    with app.app_context():
        academy = db.session.get(Lecture, lecture.id).course.academy  # type: ignore[union-attr]
        admin = make.user(Role.ACADEMY_ADMIN, academy)
        academy_id = academy.id
    page = _as(app, admin).get(f"/admin/academies/{academy_id}").get_data(as_text=True)
    found = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "Lecture recordings" in found and "2.1 MB of 1 MB used by 1 recording." in found, found[-1500:]
    assert "The quota is full" in found


def test_a_course_recording_that_cannot_start_never_keeps_the_lecture_from_going_live(app: Flask, world: Any) -> None:
    lecture, _people = world
    _ready_recording(app, lecture)
    app.config["LECTERN_RECORDING_QUOTA_MB"] = 1
    with app.app_context():
        db.session.execute(Recording.__table__.update().values(size_bytes=2 * 1024 * 1024))
        db.session.get(Lecture, lecture.id).course.record_lectures = True  # type: ignore[union-attr]
        db.session.commit()
    host = joined(app, world, "host")
    assert ask(host, "start")["ok"]
    events = inbox(host)
    assert events.get("live") and not events.get("recording"), events
    assert any("quota" in e["message"] for e in events.get("error", [])), events
    with app.app_context():
        assert db.session.get(Lecture, lecture.id).status is LectureStatus.LIVE  # type: ignore[union-attr]
        assert db.session.scalar(select(func.count()).select_from(Recording)) == 1  # only the made one
