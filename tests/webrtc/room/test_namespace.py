"""The /lecture Socket.IO namespace: who may join and do what, malformed messages, chat, hands, floor, removal,
the end of a lecture, attendance, and real media from an aiortc publisher to an aiortc subscriber through it."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any, TypeVar

import av
import pytest
from aiortc import AudioStreamTrack, MediaStreamTrack, RTCSessionDescription
from flask import Flask
from flask_socketio import SocketIOTestClient
from sqlalchemy import event as sa_event
from sqlalchemy import select

from lectern.extensions import db, socketio
from lectern.platform.models import User
from lectern.webrtc.models import Attendance, ChatMessage, Lecture, LectureStatus
from lectern.webrtc.relay.seams import allow_loopback
from lectern.webrtc.room.state import ADMISSION_INTERVAL, QUALITY_INTERVAL
from tests import factories
from tests.webrtc.conftest import Loop, NoiseVideoTrack, new_pc

NS = "/lecture"
T = TypeVar("T")


def connect(app: Flask, username: str) -> SocketIOTestClient:
    """A signed-in Socket.IO client (its own Flask test client, so its own session cookie)."""
    http = app.test_client()
    http.login(username)  # type: ignore[attr-defined]
    return socketio.test_client(app, namespace=NS, flask_test_client=http)


def ask(sc: SocketIOTestClient, event: str, data: Any = None) -> Any:
    """Emit and return the ack."""
    return sc.emit(event, data, namespace=NS, callback=True)


def received(sc: SocketIOTestClient, name: str) -> list[Any]:
    """The payloads of the `name` events received so far (the others are consumed too)."""
    return inbox(sc).get(name, [])


def inbox(sc: SocketIOTestClient) -> dict[str, list[Any]]:
    """Every event received so far, by name (read from the queue: get_received refuses once disconnected)."""
    events: dict[str, list[Any]] = {}
    mine = [m for m in sc.queue if m["namespace"] == NS]
    sc.queue = [m for m in sc.queue if m["namespace"] != NS]
    for m in mine:
        events.setdefault(m["name"], []).append(m["args"][0] if m["args"] else None)
    return events


def joined(app: Flask, world: Any, who: str) -> SocketIOTestClient:
    lecture, people = world
    sc = connect(app, people[who].username)
    ack = ask(sc, "join", {"lecture": lecture.id})
    assert ack["ok"], ack
    return sc


def test_anonymous_connection_is_refused(app: Flask, world: Any) -> None:
    sc = socketio.test_client(app, namespace=NS, flask_test_client=app.test_client())
    assert not sc.is_connected(NS)


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("host", True), ("cadet", True), ("guest", True), ("hall", True), ("stranger", False), ("other_hall", False)],
)
def test_who_may_join(app: Flask, world: Any, who: str, allowed: bool) -> None:
    lecture, people = world
    sc = connect(app, people[who].username)
    ack = ask(sc, "join", {"lecture": lecture.id})
    assert ack["ok"] is allowed, ack
    if allowed:
        assert ack["part"] == {"host": "host", "hall": "hall"}.get(who, "cadet")
        assert [p["id"] for p in ack["participants"]] == [people[who].id]
        assert ack["ice_servers"] == []
    else:
        assert received(sc, "error")[0]["event"] == "join"
        # Not in the room: a chat would need a seat.
        assert not ask(sc, "chat", {"text": "hello?"})["ok"]


def test_attendance_is_written_on_join_and_leave(app: Flask, world: Any) -> None:
    _lecture, people = world
    cadet = joined(app, world, "cadet")
    with app.app_context():
        stay = db.session.scalars(select(Attendance)).one()
        assert stay.user_id == people["cadet"].id and stay.left_at is None
    cadet.disconnect(NS)
    with app.app_context():
        assert db.session.scalars(select(Attendance)).one().left_at is not None


@pytest.mark.parametrize(
    ("event", "payload"),
    [
        ("join", {"lecture": 1, "as": 2}),
        ("publish", {"slot": "side", "sdp": "v=0\r\n"}),
        ("publish", {"slot": "main", "sdp": "hello"}),
        ("subscribe", {"slot": "main", "sdp": "v=0\r\nthis is not SDP"}),
        ("ice", {"slot": "main", "direction": "publish", "candidate": "garbage", "sdpMLineIndex": 0}),
        ("ice", {"slot": "main", "direction": "subscribe", "candidate": "candidate:x y z", "sdpMLineIndex": 0}),
        ("chat", {"text": "x" * 1001}),
        ("chat", "just text"),
        ("hand", {"raised": "yes"}),
        ("quality", {"rtt_ms": -1}),
    ],
)
def test_malformed_messages_are_refused_and_nobody_else_notices(
    app: Flask, world: Any, event: str, payload: Any
) -> None:
    host, cadet = joined(app, world, "host"), joined(app, world, "cadet")
    host.get_received(NS)
    cadet.get_received(NS)
    ack = ask(cadet, event, payload)
    assert ack["ok"] is False and ack["error"]
    errors = received(cadet, "error")
    assert errors == [{"event": event, "message": ack["error"]}]
    assert received(host, "error") == []
    # Both sessions go on working.
    assert ask(cadet, "chat", {"text": "still here"})["ok"]
    assert ask(host, "chat", {"text": "so am I"})["ok"]
    assert [c["text"] for c in received(host, "chat")] == ["still here", "so am I"]


def test_a_cadet_may_not_run_the_lecture(app: Flask, world: Any) -> None:
    lecture, people = world
    host, cadet = joined(app, world, "host"), joined(app, world, "cadet")
    for event, payload in [
        ("floor", {"user": people["cadet"].id}),
        ("mute", {"user": people["host"].id}),
        ("remove", {"user": people["host"].id}),
        ("start", {}),
        ("end", {}),
    ]:
        ack = ask(cadet, event, payload)
        assert ack == {"ok": False, "error": "not allowed"}, event
    assert host.is_connected(NS) and received(host, "muted") == []
    with app.app_context():
        assert db.session.get(Lecture, lecture.id).status is LectureStatus.SCHEDULED


def test_floor_is_needed_to_publish(app: Flask, world: Any) -> None:
    lecture, people = world
    host, cadet = joined(app, world, "host"), joined(app, world, "cadet")
    offer = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
    assert ask(cadet, "publish", {"slot": "main", "sdp": offer})["error"] == "not allowed"
    refused = ask(cadet, "publish", {"slot": "floor", "sdp": offer})
    assert refused["ok"] is False and "floor" in refused["error"]
    assert ask(host, "start", {})["ok"]
    assert ask(host, "floor", {"user": people["cadet"].id})["ok"]
    events = inbox(cadet)
    assert events["floor"][-1] == {"user": people["cadet"].id}
    assert {p["id"]: p["floor"] for p in events["participants"][-1]} == {
        people["host"].id: False,
        people["cadet"].id: True,
    }
    # Now the relay itself judges the offer (this one has no media): a relay error, not a refusal.
    relayed = ask(cadet, "publish", {"slot": "floor", "sdp": offer})
    assert relayed["ok"] is False and "media" in relayed["error"]
    assert ask(host, "floor", {"user": None})["ok"]
    assert "floor" in ask(cadet, "publish", {"slot": "floor", "sdp": offer})["error"]
    with app.app_context():
        assert db.session.get(Lecture, lecture.id).floor_user_id is None


def test_chat_round_trip_and_history_on_join(app: Flask, world: Any) -> None:
    lecture, people = world
    host, cadet = joined(app, world, "host"), joined(app, world, "cadet")
    assert ask(cadet, "chat", {"text": "  Good   morning  "})["ok"]
    message = received(host, "chat")[0]
    assert message["text"] == "Good morning" and message["user"] == people["cadet"].id
    assert message["name"] == people["cadet"].full_name and message["at"].startswith("20")
    guest = connect(app, people["guest"].username)
    history = ask(guest, "join", {"lecture": lecture.id})["chat"]
    assert [m["text"] for m in history] == ["Good morning"]


@pytest.mark.parametrize(
    ("event", "data", "field"),
    [
        ("chat", {"text": "Good\x00morning"}, "text"),
        ("chat", {"text": "\ud800"}, "text"),  # a lone surrogate, which JSON's escapes let through
        ("hand", {"raised": True, "note\x00": 1}, "note\ufffd"),
        ("join", {"lecture": "\x00"}, "lecture"),
    ],
)
def test_text_that_cannot_be_stored_is_refused_in_every_event(
    app: Flask, world: Any, caplog: pytest.LogCaptureFixture, event: str, data: Any, field: str
) -> None:
    """The rule of every HTTP request (lectern.inputs) holds for every Socket.IO event: an error to the sender that
    names the field, nothing stored or sent on, and no traceback in the log (PostgreSQL refused the NUL)."""
    host, cadet = joined(app, world, "host"), joined(app, world, "cadet")
    host.get_received(NS)
    ack = ask(cadet, event, data)
    assert ack["ok"] is False and f"“{field}”" in ack["error"]
    assert received(cadet, "error")[-1]["event"] == event
    assert received(host, "chat") == []
    with app.app_context():
        assert db.session.scalars(select(ChatMessage)).all() == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert ask(cadet, "chat", {"text": "still here"})["ok"]


def test_raised_hand_reaches_the_others(app: Flask, world: Any) -> None:
    _lecture, people = world
    host, cadet = joined(app, world, "host"), joined(app, world, "cadet")
    host.get_received(NS)
    assert ask(cadet, "hand", {"raised": True})["ok"]
    listing = {p["id"]: p for p in received(host, "participants")[-1]}
    assert listing[people["cadet"].id]["hand"] is True and listing[people["host"].id]["hand"] is False
    assert ask(cadet, "quality", {"rtt_ms": 180.5, "loss": 0.02, "kbps": 300})["ok"]


def test_the_host_mutes_and_removes(app: Flask, world: Any) -> None:
    lecture, people = world
    host, cadet = joined(app, world, "host"), joined(app, world, "cadet")
    assert ask(host, "mute", {"user": people["cadet"].id})["ok"]
    assert received(cadet, "muted") == [{}]
    assert ask(host, "remove", {"user": people["cadet"].id})["ok"]
    assert not cadet.is_connected(NS)
    assert received(cadet, "removed") == [{}]
    assert [p["id"] for p in received(host, "participants")[-1]] == [people["host"].id]
    with app.app_context():
        stays = db.session.scalars(select(Attendance).where(Attendance.user_id == people["cadet"].id)).all()
        assert [s.left_at is not None for s in stays] == [True]
    again = connect(app, people["cadet"].username)
    ack = ask(again, "join", {"lecture": lecture.id})
    assert ack["ok"] is False and "removed" in ack["error"]


def test_ending_the_lecture(app: Flask, world: Any) -> None:
    lecture, people = world
    host, cadet = joined(app, world, "host"), joined(app, world, "cadet")
    assert ask(host, "start", {})["ok"]
    assert ask(host, "end", {})["ok"]
    assert not cadet.is_connected(NS)
    assert received(cadet, "ended") == [{}]
    with app.app_context():
        assert db.session.get(Lecture, lecture.id).status is LectureStatus.ENDED
        assert all(s.left_at is not None for s in db.session.scalars(select(Attendance)))
    late = connect(app, people["guest"].username)
    ack = ask(late, "join", {"lecture": lecture.id})
    assert ack["ok"] is False and "over" in ack["error"]


def test_a_lecture_cancelled_under_the_host_cannot_start_or_end(app: Flask, world: Any) -> None:
    """The services' refusal (the lecture is over) reaches the host as the room's error, and nothing changes."""
    lecture, _people = world
    host = joined(app, world, "host")
    with app.app_context():
        db.session.get(Lecture, lecture.id).status = LectureStatus.CANCELLED
        db.session.commit()
    for event in ("start", "end"):
        assert ask(host, event, {}) == {"ok": False, "error": "This lecture is over."}, event
    assert [e["event"] for e in received(host, "error")] == ["start", "end"]
    with app.app_context():
        assert db.session.get(Lecture, lecture.id).status is LectureStatus.CANCELLED


# --- real media through the namespace ------------------------------------------------------------------------


def test_media_flows_through_the_namespace(app: Flask, world: Any, aio: Loop) -> None:
    host, cadet = joined(app, world, "host"), joined(app, world, "cadet")
    frames: list[tuple[int, int]] = []
    readers: list[asyncio.Task[None]] = []

    async def offer_publish() -> Any:
        pc = new_pc()
        pc.addTransceiver(NoiseVideoTrack(), direction="sendonly")
        pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
        allow_loopback(pc)
        await pc.setLocalDescription(await pc.createOffer())
        return pc

    async def offer_subscribe(audio_only: bool = False) -> Any:
        pc = new_pc()
        if not audio_only:
            pc.addTransceiver("video", direction="recvonly")
        pc.addTransceiver("audio", direction="recvonly")

        async def read(track: MediaStreamTrack) -> None:
            while True:
                frame = await track.recv()
                if isinstance(frame, av.VideoFrame):
                    frames.append((frame.width, frame.height))

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind == "video":
                readers.append(asyncio.ensure_future(read(track)))

        allow_loopback(pc)
        await pc.setLocalDescription(await pc.createOffer())
        return pc

    async def answer(pc: Any, sdp: str) -> None:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

    pub = aio.run(offer_publish())
    sub = aio.run(offer_subscribe())
    weak = aio.run(offer_subscribe(audio_only=True))
    try:
        ack = ask(host, "publish", {"slot": "main", "sdp": pub.localDescription.sdp})
        assert ack["ok"], ack
        aio.run(answer(pub, ack["sdp"]))
        ack = ask(cadet, "subscribe", {"slot": "main", "sdp": sub.localDescription.sdp})
        assert ack["ok"], ack
        aio.run(answer(sub, ack["sdp"]))
        # A weak link's audio-only offer (one audio m-line) is accepted by the relay as it is.
        ack = ask(cadet, "subscribe", {"slot": "floor", "sdp": weak.localDescription.sdp})
        assert ack["ok"] and "m=video" not in ack["sdp"], ack
        aio.run(answer(weak, ack["sdp"]))
        deadline = time.monotonic() + 10
        while len(frames) < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(frames) >= 5 and frames[-1] == (320, 240)
        assert received(host, "live")  # the first main publish started the lecture
    finally:
        for task in readers:
            aio.loop.call_soon_threadsafe(task.cancel)
        for pc in (pub, sub, weak):
            aio.run(pc.close())


def test_a_refused_message_frees_the_seat(app: Flask, world: Any) -> None:
    """A change no signal reports (made by another process, say): the next message finds it, is refused for good,
    and the socket is closed and its seat freed."""
    _lecture, people = world
    host, cadet = joined(app, world, "host"), joined(app, world, "cadet")
    assert ask(cadet, "chat", {"text": "before"})["ok"]
    with app.app_context():
        db.session.get(User, people["cadet"].id).active = False
        db.session.commit()
    inbox(host)
    ack = ask(cadet, "chat", {"text": "after"})
    assert ack["ok"] is False and ack.get("final") is True
    assert not cadet.is_connected(NS)
    assert [p["id"] for p in received(host, "participants")[-1]] == [people["host"].id]
    with app.app_context():
        stays = db.session.scalars(select(Attendance).where(Attendance.user_id == people["cadet"].id)).all()
        assert [s.left_at is not None for s in stays] == [True]


def test_a_socket_that_moves_to_another_lecture_hears_no_more_of_the_first(
    app: Flask, world: Any, make: factories.Factory
) -> None:
    lecture, _people = world
    second = make.lecture(lecture.course_id, title="Second", starts_at=datetime(2026, 12, 2, 8, tzinfo=UTC))
    host, cadet = joined(app, world, "host"), joined(app, world, "cadet")
    assert ask(cadet, "join", {"lecture": second.id})["ok"]
    inbox(cadet)
    assert ask(host, "chat", {"text": "only for the first lecture"})["ok"]
    assert received(cadet, "chat") == []


def test_quality_reports_cost_about_one_query_each(app: Flask, world: Any) -> None:
    """Every participant reports its link quality every 3 seconds: with hundreds of cadets, a report must not
    read the whole admission again. The sign-in is read once per message (to know the sender); the rest of the
    admission at most every ADMISSION_INTERVAL seconds per socket."""
    guest = joined(app, world, "guest")  # invited from another course: the longest admission
    statements: list[str] = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    sa_event.listen(engine, "before_cursor_execute", listener)
    reports, start = 30, time.monotonic()
    try:
        for _ in range(reports):
            assert ask(guest, "quality", {"rtt_ms": 180.5, "loss": 0.02, "kbps": 300})["ok"]
    finally:
        sa_event.remove(engine, "before_cursor_execute", listener)
    took = time.monotonic() - start
    # One per report; a full admission (8 queries at most) per interval; a participant list per second.
    allowed = reports + 8 * (1 + took // ADMISSION_INTERVAL) + 1 + took // QUALITY_INTERVAL
    assert len(statements) <= allowed, (len(statements), took)


def test_a_relay_refusal_reads_in_the_participants_language_without_the_relays_words(
    app: Flask, world: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """The relay's own reason ("invalid SDP: ...") goes to the log; the participant reads a sentence in their
    language (it was "The media connection was refused: " and the relay's English)."""
    _lecture, people = world
    with app.app_context():
        db.session.get(type(people["cadet"]), people["cadet"].id).language = "ru"
        db.session.commit()
    host, cadet = joined(app, world, "host"), joined(app, world, "cadet")
    assert ask(host, "start", {})["ok"]
    ack = ask(cadet, "subscribe", {"slot": "main", "sdp": "v=0\r\nthis is not SDP"})
    assert ack == {"ok": False, "error": "Не удалось установить медиасоединение. Попробуйте ещё раз."}
    assert any("the relay refused" in r.getMessage() and "SDP" in r.getMessage() for r in caplog.records)
    client: Any = app.extensions.get("lectern_relay")
    host.disconnect(NS)
    cadet.disconnect(NS)
    if client is not None:
        client.shutdown()


def test_a_refusal_is_answered_even_when_the_user_was_expired_and_detached(
    app: Flask, world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """During a teardown the relay refused a trickled candidate ("relay is shut down") while the socket's user had
    been expired and detached: translating the refusal loaded the user again and failed, and the event thread died
    with an exception instead of answering (CI). The user's language is read when the event begins."""
    from flask_login import current_user

    from lectern.webrtc.relay.api import RelayError
    from lectern.webrtc.room import namespace

    class Gone:
        def __getattr__(self, name: str) -> Any:
            def refuse(*args: Any, **kwargs: Any) -> None:
                user = current_user._get_current_object()
                db.session.expire(user)
                db.session.expunge(user)
                raise RelayError("relay is shut down")

            return refuse

    host, cadet = joined(app, world, "host"), joined(app, world, "cadet")
    assert ask(host, "start", {})["ok"]
    monkeypatch.setattr(namespace, "relay", lambda: Gone())
    ack = ask(cadet, "subscribe", {"slot": "main", "sdp": "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"})
    assert ack == {"ok": False, "error": "The media connection could not be made. Please try again."}
