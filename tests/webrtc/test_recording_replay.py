"""A recorded lecture from the room to its lesson: an aiortc instructor lectures with camera and microphone, a cadet
takes the floor for 3 s, the host stops recording; the replay job makes the three versions and the draft lesson, and
the replay's timeline places the chat and the floor's chapters where they happened."""

from __future__ import annotations

import time
from typing import Any

import av
import pytest
from aiortc import RTCSessionDescription
from flask import Flask
from sqlalchemy import select

from lectern.courses.models import Lesson
from lectern.extensions import db
from lectern.webrtc.models import Recording, RecordingStatus
from lectern.webrtc.recordings.replay_job import make_replay
from lectern.webrtc.relay.seams import allow_loopback
from tests.webrtc.conftest import Loop, NoiseVideoTrack, new_pc
from tests.webrtc.relay.test_record import BeepTrack, _Marks
from tests.webrtc.room.test_namespace import ask, inbox, joined


async def _offer(marks: _Marks) -> Any:
    pc = new_pc()
    pc.addTransceiver(NoiseVideoTrack(), direction="sendonly")  # real work for the encoders, and so real rates
    pc.addTransceiver(BeepTrack(marks), direction="sendonly")
    allow_loopback(pc)
    await pc.setLocalDescription(await pc.createOffer())
    return pc


# Media, not the database, is what this test is about (its records are checked on both databases in
# test_recordings.py): once, on SQLite, to keep the suite's time.
@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_recorded_lecture_becomes_a_draft_lesson_with_its_three_versions(app: Flask, world: Any, aio: Loop) -> None:
    lecture, people = world
    host, cadet = joined(app, world, "host"), joined(app, world, "cadet")
    marks = _Marks()
    pcs: list[Any] = []

    def publish(sc: Any, slot: str) -> None:
        pc = aio.run(_offer(marks))
        pcs.append(pc)
        ack = ask(sc, "publish", {"slot": slot, "sdp": pc.localDescription.sdp})
        assert ack["ok"], ack
        aio.run(pc.setRemoteDescription(RTCSessionDescription(sdp=ack["sdp"], type="answer")))

    try:
        publish(host, "main")  # the lecture goes live
        assert ask(host, "record", {"on": True})["ok"]
        started = time.monotonic()
        time.sleep(3.0)
        assert ask(cadet, "chat", {"text": "May I ask about page 4?"})["ok"]
        ask(host, "floor", {"user": people["cadet"].id})
        publish(cadet, "floor")
        time.sleep(3.0)
        ask(host, "floor", {"user": None})
        time.sleep(10.0 - (time.monotonic() - started))
        assert ask(host, "record", {"on": False})["ok"]
        length = time.monotonic() - started
    finally:
        for pc in pcs:
            aio.run(pc.close())
    inbox(host), inbox(cadet)

    with app.app_context():
        recording = db.session.scalars(select(Recording)).one()
        assert recording.status is RecordingStatus.PROCESSING
        lesson_id = make_replay(recording.id)  # what the worker runs (the job queue has its own tests)
        assert make_replay(recording.id) == lesson_id  # run again (a retry, a resume): nothing more is made
        db.session.expire_all()
        recording = db.session.get(Recording, recording.id)
        assert recording is not None and recording.status is RecordingStatus.READY, recording.problem
        lesson = db.session.get(Lesson, lesson_id)
        assert lesson is not None and lesson.draft and lesson.module.course_id == lecture.course_id
        assert lesson.file is not None and lesson.file.duration_seconds is not None
        assert abs(recording.duration_seconds - length) < 1.0, (recording.duration_seconds, length)
        versions = dict(recording.versions)
        titles = [c.title for c in recording.chapters]
        assert titles == [f"{people['cadet'].full_name} has the floor", "The floor is taken back"], titles
        floor_at = recording.chapters[0].at
    assert 2.5 < floor_at < 4.5, floor_at
    # The three versions play, at about their rates.
    assert versions["main"]["bps"] > versions["low"]["bps"] > versions["audio"]["bps"]  # type: ignore[operator]
    http = app.test_client()
    http.login(people["cadet"].username)  # type: ignore[attr-defined]
    recording_id = recording.id
    draft = http.get(f"/recordings/{recording_id}/main")
    draft.close()
    assert draft.status_code == 404  # a draft until the instructor publishes it
    with app.app_context():
        db.session.get(Lesson, lesson_id).draft = False  # type: ignore[union-attr]
        db.session.commit()
    # Each within its rate (about 1 Mbps, 300 kbps and 32 kbps; a quiet picture, or the silence where a loaded machine
    # lost the speakers' packets, takes less), the video at its size.
    for version, (least, most) in {"main": (250e3, 1.6e6), "low": (80e3, 400e3), "audio": (8e3, 40e3)}.items():
        response = http.get(f"/recordings/{recording_id}/{version}")
        data = response.get_data()
        response.close()
        assert response.status_code == 200
        path = app.config["LECTERN_STORAGE"] + f"/check-{version}.webm"
        with open(path, "wb") as out:
            out.write(data)
        with av.open(path) as container:
            streams = {s.type for s in container.streams}
            assert streams == ({"audio"} if version == "audio" else {"audio", "video"}), (version, streams)
            if version != "audio":
                size = (container.streams.video[0].width, container.streams.video[0].height)
                assert size == ((1280, 720) if version == "main" else (640, 360)), (version, size)
            duration = float(container.duration or 0) / av.time_base
        assert abs(duration - length) < 1.0, (version, duration, length)
        assert least < len(data) * 8 / duration < most, (version, len(data) * 8 / duration)
    timeline = http.get(f"/recordings/{recording_id}/timeline").get_json()
    (line,) = timeline["chat"]
    assert line["text"] == "May I ask about page 4?" and 2.5 < line["at"] < 4.0, line
    assert [c["title"] for c in timeline["chapters"]] == titles
