"""The end of a user's access ends their open lecture sockets within a second: the socket is disconnected, the relay
drops their publisher and subscriber, the others' participant list updates. Real aiortc peers over loopback."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import av
import pytest
from aiortc import AudioStreamTrack, MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from flask import Flask
from flask_socketio import SocketIOTestClient
from sqlalchemy import select

from lectern.courses.enrolment import roster
from lectern.courses.models import Enrolment
from lectern.extensions import db, socketio
from lectern.platform.admin import services as platform
from lectern.platform.models import Role, User
from lectern.webrtc.models import Attendance
from lectern.webrtc.relay.provider import relay
from lectern.webrtc.relay.seams import allow_loopback
from lectern.webrtc.room.namespace import relay_id
from tests import factories
from tests.conftest import Client
from tests.webrtc.conftest import Loop, NoiseVideoTrack, new_pc
from tests.webrtc.room.test_namespace import NS, ask, inbox, joined, received

WITHIN = 1.0  # seconds


def signed_in(app: Flask, username: str) -> tuple[Client, SocketIOTestClient]:
    """A browser: its HTTP client and its lecture socket, sharing one sign-in."""
    app.test_client_class = Client
    http = app.test_client()
    http.login(username)  # type: ignore[attr-defined]
    return http, socketio.test_client(app, namespace=NS, flask_test_client=http)  # type: ignore[return-value]


def gone_within(socket: SocketIOTestClient, seconds: float) -> float:
    """Seconds until the server disconnected the socket; fails if it takes longer than `seconds`."""
    start = time.monotonic()
    while socket.is_connected(NS):
        assert time.monotonic() - start < seconds, "the socket is still connected"
        time.sleep(0.01)
    return time.monotonic() - start


def last_participants(socket: SocketIOTestClient) -> list[int]:
    """The participant list the socket heard last, waiting for one to come (the disconnect handler sends it)."""
    deadline = time.monotonic() + WITHIN
    lists = inbox(socket).get("participants", [])
    while not lists and time.monotonic() < deadline:
        time.sleep(0.01)
        lists = inbox(socket).get("participants", [])
    assert lists, "no participant list came"
    return [p["id"] for p in lists[-1]]


def as_admin(app: Flask, academy_id: int, action: Any) -> None:
    """Do what an administrator does on the user pages (the services, committed as the view commits)."""
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.role == Role.GLOBAL_ADMIN, User.academy_id == academy_id))
        action(admin)
        db.session.commit()


def suspend(app: Flask, admin: User, user_id: int) -> None:
    as_admin(app, admin.academy_id, lambda a: platform.set_active(db.session, a, db.session.get(User, user_id), False))


class Media:
    """A publisher or a decoding subscriber peer, made on the test's asyncio loop."""

    def __init__(self, loop: Loop) -> None:
        self.loop = loop
        self.frames: list[float] = []
        self.pcs: list[RTCPeerConnection] = []
        self.readers: list[asyncio.Task[None]] = []

    def offer(self, publish: bool) -> RTCPeerConnection:
        async def make() -> RTCPeerConnection:
            pc = new_pc()
            if publish:
                pc.addTransceiver(NoiseVideoTrack(), direction="sendonly")
                pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
            else:
                pc.addTransceiver("video", direction="recvonly")
                pc.addTransceiver("audio", direction="recvonly")

                @pc.on("track")
                def on_track(track: MediaStreamTrack) -> None:
                    if track.kind == "video":
                        self.readers.append(asyncio.ensure_future(self._read(track)))

            allow_loopback(pc)
            await pc.setLocalDescription(await pc.createOffer())
            return pc

        pc = self.loop.run(make())
        self.pcs.append(pc)
        return pc

    async def _read(self, track: MediaStreamTrack) -> None:
        while True:
            if isinstance(await track.recv(), av.VideoFrame):
                self.frames.append(time.monotonic())

    def signal(self, socket: SocketIOTestClient, event: str, slot: str, publish: bool) -> None:
        pc = self.offer(publish)
        ack = ask(socket, event, {"slot": slot, "sdp": pc.localDescription.sdp})
        assert ack["ok"], ack
        self.loop.run(pc.setRemoteDescription(RTCSessionDescription(sdp=ack["sdp"], type="answer")))

    def close(self) -> None:
        for task in self.readers:
            self.loop.loop.call_soon_threadsafe(task.cancel)
        for pc in self.pcs:
            self.loop.run(pc.close())


@pytest.fixture
def admin(world: Any, make: factories.Factory) -> User:
    _lecture, people = world
    return make.user(Role.GLOBAL_ADMIN, academy_id=people["cadet"].academy_id)


@pytest.mark.parametrize("end", ["suspend", "remove"])
def test_ending_access_stops_the_media_within_a_second(
    app: Flask,
    world: Any,
    aio: Loop,
    admin: User,
    end: str,
) -> None:
    lecture, people = world
    cadet_id = people["cadet"].id
    host, cadet = joined(app, world, "host"), joined(app, world, "cadet")
    media = Media(aio)
    try:
        media.signal(host, "publish", "main", publish=True)  # the lecture goes live
        media.signal(cadet, "subscribe", "main", publish=False)
        assert ask(host, "floor", {"user": cadet_id})["ok"]
        media.signal(cadet, "publish", "floor", publish=True)  # the cadet answers back, with camera
        deadline = time.monotonic() + 10
        while len(media.frames) < 10 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(media.frames) >= 10, "no video reached the cadet"
        assert relay(app).stats(relay_id(lecture.id, "floor"))["publisher"] is not None
        inbox(host)

        if end == "suspend":
            as_admin(
                app,
                admin.academy_id,
                lambda a: platform.set_active(db.session, a, db.session.get(User, cadet_id), False),
            )
        else:
            assert ask(host, "remove", {"user": cadet_id})["ok"]
        took = gone_within(cadet, WITHIN)
        settled = time.monotonic() + 0.3  # frames already in flight may still be decoded
        time.sleep(1.0)
        assert [t for t in media.frames if t > settled] == [], "video kept arriving after the end of access"
        assert took < WITHIN
        assert relay(app).stats(relay_id(lecture.id, "floor"))["publisher"] is None
        assert relay(app).stats(relay_id(lecture.id, "main"))["subscribers"] == {}
        assert last_participants(host) == [people["host"].id]
        assert host.is_connected(NS)
        with app.app_context():
            stays = db.session.scalars(select(Attendance).where(Attendance.user_id == cadet_id)).all()
            assert [s.left_at is not None for s in stays] == [True]
    finally:
        media.close()


def _password(app: Flask, admin: User, cadet: User, _http: Client) -> None:
    as_admin(app, admin.academy_id, lambda a: platform.reset_password(db.session, a, db.session.get(User, cadet.id)))


def _role(app: Flask, admin: User, cadet: User, _http: Client) -> None:
    def change(a: User) -> None:
        user = db.session.get(User, cadet.id)
        fields = {k: getattr(user, k) for k in ("academy_id", "username", "first_name", "last_name", "email")}
        platform.update_user(
            db.session,
            a,
            user,
            role=Role.CLASSROOM,
            language=None,
            active=True,
            **fields,  # type: ignore[arg-type]
        )

    as_admin(app, admin.academy_id, change)


def _sign_out(app: Flask, admin: User, cadet: User, http: Client) -> None:
    assert http.submit("/logout", page="/account").status_code == 302


def _sign_out_elsewhere(app: Flask, admin: User, cadet: User, _http: Client) -> None:
    app.test_client_class = Client
    laptop = app.test_client()
    laptop.login(cadet.username)  # type: ignore[attr-defined]
    assert laptop.submit("/account/sign-out-others", page="/account").status_code == 302  # type: ignore[attr-defined]


def _unenrol(app: Flask, admin: User, cadet: User, _http: Client) -> None:
    def unenrol(a: User) -> None:
        enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == cadet.id))
        roster.unenrol_by_hand(db.session, a, enrolment.course, cadet.id)

    as_admin(app, admin.academy_id, unenrol)


@pytest.mark.parametrize(
    "end", [_password, _role, _sign_out, _sign_out_elsewhere, _unenrol], ids=lambda f: f.__name__[1:]
)
def test_every_end_of_access_closes_the_socket_and_no_other(app: Flask, world: Any, admin: User, end: Any) -> None:
    lecture, people = world
    host = joined(app, world, "host")
    guest = joined(app, world, "guest")
    http, cadet = signed_in(app, people["cadet"].username)
    assert ask(cadet, "join", {"lecture": lecture.id})["ok"]
    inbox(host)
    end(app, admin, people["cadet"], http)
    gone_within(cadet, WITHIN)
    assert inbox(cadet).get("access_ended") == [{}]
    assert last_participants(host) == [people["host"].id, people["guest"].id]
    time.sleep(0.2)
    assert host.is_connected(NS) and guest.is_connected(NS)
    assert ask(guest, "chat", {"text": "still here"})["ok"]


def test_an_unrelated_change_closes_nothing(app: Flask, world: Any, admin: User) -> None:
    _lecture, people = world
    cadet = joined(app, world, "cadet")
    stranger = people["stranger"].id
    suspend(app, admin, stranger)
    time.sleep(0.5)
    assert cadet.is_connected(NS)
    assert ask(cadet, "chat", {"text": "still here"})["ok"]


def test_a_publish_closed_while_the_relay_answers_frees_the_slot(
    app: Flask, world: Any, aio: Loop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The relay answers a publish while the socket is closed (here: removed by the host): the peer it made is
    left at once, so the next floor holder may publish."""
    lecture, people = world
    cadet_id = people["cadet"].id
    host, cadet, guest = joined(app, world, "host"), joined(app, world, "cadet"), joined(app, world, "guest")
    media = Media(aio)
    client = relay(app)
    answer = client.publish

    def publish_then_removed(lecture_id: str, peer: str, sdp: str, region: str = "") -> str:
        sdp = answer(lecture_id, peer, sdp, region)
        if lecture_id.endswith(":floor") and not removed:
            # The host's removal, in a handler thread of its own, closes the seat meanwhile.
            removal = threading.Thread(target=lambda: removed.append(ask(host, "remove", {"user": cadet_id})))
            removal.start()
            removal.join(5)
            gone_within(cadet, WITHIN)
        return sdp

    removed: list[str] = []
    try:
        media.signal(host, "publish", "main", publish=True)
        assert ask(host, "floor", {"user": cadet_id})["ok"]
        monkeypatch.setattr(client, "publish", publish_then_removed)
        pc = media.offer(publish=True)
        ack = ask(cadet, "publish", {"slot": "floor", "sdp": pc.localDescription.sdp})
        assert removed == [{"ok": True}] and ack["ok"] is False
        assert client.stats(relay_id(lecture.id, "floor"))["publisher"] is None
        assert ask(host, "floor", {"user": people["guest"].id})["ok"]
        media.signal(guest, "publish", "floor", publish=True)
    finally:
        media.close()


def test_a_sign_out_starts_no_check_where_no_lecture_socket_is_open(
    app: Flask, world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without Redis, an end of access is checked in a thread of this process: not when it holds no seats."""
    _lecture, people = world
    started: list[Any] = []
    start = socketio.start_background_task
    monkeypatch.setattr(socketio, "start_background_task", lambda *a, **kw: started.append(a) or start(*a, **kw))
    http, _socket = signed_in(app, people["cadet"].username)
    assert http.submit("/logout", page="/account").status_code == 302
    assert started == []


def test_a_socket_signed_out_before_it_joins_is_refused_for_good(app: Flask, world: Any) -> None:
    """A socket outlives its sign-in: one whose browser signed out before it joined a lecture may not join (and the
    refusal is final: the page leaves the room rather than offering to try again)."""
    lecture, people = world
    http, cadet = signed_in(app, people["cadet"].username)
    assert http.submit("/logout", page="/account").status_code == 302
    ack = ask(cadet, "join", {"lecture": lecture.id})
    assert ack == {"ok": False, "error": "You may not join this lecture.", "final": True}
    assert received(cadet, "error") == [{"event": "join", "message": "You may not join this lecture."}]
    with app.app_context():
        assert db.session.scalars(select(Attendance)).all() == []
