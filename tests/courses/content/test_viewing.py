"""Video lessons are done when the cadet has played 90% of them, counted from the parts played (a seek to the end
plays nothing) and credited no faster than the clock allows (a forged report cannot complete one early)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import pytest
from sqlalchemy import select

from lectern.courses.content import viewing
from lectern.courses.models import Lesson, LessonCompletion, LessonViewing, Module
from lectern.extensions import db
from lectern.platform.models import Role, User
from tests.browser.media import make_webm
from tests.courses.helpers import TEXT_COURSE, lesson_ids

T0 = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
S = timedelta(seconds=1)


def test_played_ranges_merge_and_are_checked() -> None:
    assert viewing.merge([(5.0, 10.0), (0.0, 2.0), (8.0, 12.0), (12.0, 13.0)]) == [(0.0, 2.0), (5.0, 13.0)]
    assert viewing.length([(0.0, 2.0), (5.0, 13.0)]) == 10.0
    assert viewing.read_ranges("[[0, 3.5], [50, 70]]", 60.0) == [(0.0, 3.5), (50.0, 60.0)]  # clipped to the video
    for bad in ("", "{}", "[[1]]", '[["a", 2]]', "[[3, 1]]", "[[0, NaN]]", "[[true, 2]]", json.dumps([[0, 1]] * 501)):
        with pytest.raises(viewing.BadReport):
            viewing.read_ranges(bad, 60.0)


@pytest.fixture
def video(make, app, tmp_path: Path):
    """A course whose first lesson is a real 60-second video; an enrolled cadet and a signed-in client's helpers."""
    academy = make.academy()
    course = make.course(academy.id, title="X-ray image analysis", modules=TEXT_COURSE)
    teacher = make.user(Role.INSTRUCTOR, academy)
    make.staff(course.id, teacher.id)
    cadet = make.user(Role.CADET, academy)
    make.enrol(course.id, cadet.id)
    with app.app_context():
        module_id = db.session.scalar(select(Module.id))
    data = make_webm(tmp_path / "scan.webm", seconds=60, size=(64, 48), fps=2).read_bytes()
    return course, teacher, cadet, module_id, data


def _add_video(client, app, course, teacher, module_id, data) -> int:
    client.login(teacher.username)
    client.submit(
        f"/courses/{course.id}/modules/{module_id}/lessons/new",
        {"kind": "video", "title": "Scanning", "body": "", "file": (io.BytesIO(data), "scan.webm")},
        content_type="multipart/form-data",
    )
    client.submit("/logout", page="/courses/")
    return lesson_ids(app, course.id)[-1]


def _played(client, course_id: int, lesson_id: int, ranges, duration: float = 60.0):
    return client.submit(
        f"/courses/{course_id}/lessons/{lesson_id}/played",
        {"ranges": json.dumps(ranges), "duration": str(duration)},
        page="/courses/",  # for its form token: opening the lesson's page again would restart its clock
        headers={"Accept": "application/json"},
    )


def _rewind_clock(app, lesson_id: int, seconds: float) -> None:
    """As if the page had been opened (or last reported) `seconds` earlier."""
    with app.app_context():
        for row in db.session.scalars(select(LessonViewing).where(LessonViewing.lesson_id == lesson_id)):
            row.checked_at -= timedelta(seconds=seconds)
        db.session.commit()


def _done(app, user_id: int, lesson_id: int) -> bool:
    with app.app_context():
        return db.session.get(LessonCompletion, (user_id, lesson_id)) is not None


def test_a_seek_to_the_end_does_not_complete_a_video(client, app, video) -> None:
    course, teacher, cadet, module_id, data = video
    lesson_id = _add_video(client, app, course, teacher, module_id, data)
    client.login(cadet.username)
    page = client.get(f"/courses/{course.id}/lessons/{lesson_id}").get_data(as_text=True)
    assert "Play at least 90% of the video to complete this lesson." in page and "Played: 0%" in page
    assert "Mark as done" not in page  # a video is done by playing it

    _rewind_clock(app, lesson_id, 120)  # two minutes on the page, but only the last 3 seconds played
    seeked = _played(client, course.id, lesson_id, [[0, 0.5], [57, 60]])

    assert seeked.status_code == 200
    assert seeked.json["lesson_done"] is False and seeked.json["watched"] == 6
    assert seeked.json["watched_label"] == "Played: 6%"
    assert not _done(app, cadet.id, lesson_id)
    # Nor does saying so: marking a video done by hand is refused.
    marked = client.submit(f"/courses/{course.id}/lessons/{lesson_id}/done", {"done": "1"}, page="/courses/")
    assert marked.status_code == 409 and not _done(app, cadet.id, lesson_id)


def test_a_forged_report_cannot_complete_a_video_early(client, app, video) -> None:
    course, teacher, cadet, module_id, data = video
    lesson_id = _add_video(client, app, course, teacher, module_id, data)
    client.login(cadet.username)
    client.get(f"/courses/{course.id}/lessons/{lesson_id}")

    # Every second claimed at once, and a video claimed to be 1 second long: the file says 60.
    forged = _played(client, course.id, lesson_id, [[0, 60]], duration=1.0)
    assert forged.json["lesson_done"] is False and forged.json["watched"] < 10
    assert not _done(app, cadet.id, lesson_id)
    with app.app_context():
        assert db.session.get(Lesson, lesson_id).file.duration_seconds == pytest.approx(60.0, abs=0.6)

    # Once the time to play it has passed, the parts played complete it; the answer updates the page.
    _rewind_clock(app, lesson_id, 60)
    played = _played(client, course.id, lesson_id, [[0, 60]])
    assert played.json["lesson_done"] is True and played.json["watched"] == 100
    assert played.json["label"] == "1 of 3 lessons · 33%" and played.json["completed"] is False
    assert _done(app, cadet.id, lesson_id)


def test_credit_follows_the_clock_and_counts_each_part_once(app, video, make) -> None:
    _course, _teacher, cadet, module_id, _data = video
    with app.app_context():
        lesson = Lesson(module_id=module_id, kind="video", title="Scanning")
        db.session.add(lesson)
        db.session.flush()
        viewing.opened(db.session, cadet.id, lesson, T0)
        # Ten seconds of playing, reported twice (the second report repeats the first part): ten seconds.
        first = viewing.report(db.session, cadet.id, lesson, [(0.0, 10.0)], 60.0, T0 + 10 * S)
        again = viewing.report(db.session, cadet.id, lesson, [(0.0, 10.0)], 60.0, T0 + 20 * S)
        assert first.share == pytest.approx(10 / 60) and again.share == pytest.approx(10 / 60)
        # Replaying a part watched before adds nothing; new parts add what they play, as fast as the clock allows.
        late = viewing.report(db.session, cadet.id, lesson, [(0.0, 60.0)], 60.0, T0 + 25 * S)
        assert late.share == pytest.approx((10 + 5 * viewing.MAX_RATE) / 60) and not late.done
        done = viewing.report(db.session, cadet.id, lesson, [(0.0, 60.0)], 60.0, T0 + 60 * S)
        assert done.done and done.share == 1.0
        # Opening the page again starts the clock again: time away from the page earns nothing.
        viewing.opened(db.session, cadet.id, lesson, T0 + 3600 * S)
        assert db.session.get(LessonViewing, (cadet.id, lesson.id)).checked_at == T0 + 3600 * S


class _Pipe:
    """A file a muxer can only write forward, as MediaRecorder's WebM is written: no length in its header."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()

    def write(self, data: bytes) -> int:
        return self.buffer.write(data)


def _streamed(data: bytes) -> bytes:
    pipe = _Pipe()
    with av.open(io.BytesIO(data)) as source, av.open(pipe, mode="w", format="webm") as out:
        stream = out.add_stream_from_template(source.streams.video[0])
        for packet in source.demux(source.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                out.mux(packet)
    return pipe.buffer.getvalue()


def test_a_video_written_as_a_stream_is_measured_from_its_packets(client, app, video) -> None:
    course, teacher, cadet, module_id, data = video
    streamed = _streamed(data)
    with av.open(io.BytesIO(streamed)) as probe:
        assert not probe.duration and not probe.streams.video[0].duration  # nothing in the header to read
    lesson_id = _add_video(client, app, course, teacher, module_id, streamed)
    client.login(cadet.username)
    client.get(f"/courses/{course.id}/lessons/{lesson_id}")
    _rewind_clock(app, lesson_id, 2)

    # The browser says the video lasts one second and that it was played: the file's packets say 60.
    forged = _played(client, course.id, lesson_id, [[0, 1]], duration=1.0)
    assert forged.json["lesson_done"] is False and forged.json["watched"] < 10
    assert not _done(app, cadet.id, lesson_id)
    with app.app_context():
        assert db.session.get(Lesson, lesson_id).file.duration_seconds == pytest.approx(60.0, abs=1.0)


def test_the_progress_after_a_report_is_written_as_the_page_writes_it(client, app, video) -> None:
    course, teacher, cadet, module_id, data = video
    lesson_id = _add_video(client, app, course, teacher, module_id, data)
    with app.app_context():
        db.session.get(User, cadet.id).language = "ru"
        db.session.commit()
    client.login(cadet.username)
    client.get(f"/courses/{course.id}/lessons/{lesson_id}")
    _rewind_clock(app, lesson_id, 60)
    played = _played(client, course.id, lesson_id, [[0, 60]])
    assert played.json["lesson_done"] is True
    assert played.json["label"].endswith("· 33\xa0%")  # Russian puts a space before the sign, as the page does
