"""Relays as a service, every part a process of its own on loopback: two web instances, an origin relay (Rezekne's
region, "lv") and two edge relays ("kg" for Bishkek, "tj" for Dushanbe), Redis (the relays' registry, the rooms'
directory, Socket.IO's queue) and PostgreSQL.

An aiortc instructor publishes on instance A; cadets of both academies receive on both instances and decode video
and audio, each from the edge of their own region, which pulls the lecture from the origin once however many
cadets it serves. Then the Bishkek edge is killed with SIGKILL: its cadets' pages are told, offer again and receive
from a live relay within seconds, without joining the room again; the chat goes on. And the relays refuse an
unsigned or expired request.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
import socketio as sio
import sqlalchemy as sa

from lectern import create_app
from lectern.extensions import db
from lectern.platform.models import Role
from lectern.webrtc.relay import wire
from lectern.webrtc.relay.registry import RelayRegistry
from lectern.webrtc.relay.remote import RemoteRelayClient
from tests import factories
from tests.conftest import DEFAULT_PG_URL
from tests.webrtc.conftest import (
    ROOT,
    Loop,
    Publisher,
    Subscriber,
    relay_environment,
    spawn_relay,
    start_publisher,
    start_subscriber,
    stop_relay,
)
from tests.webrtc.room.test_namespace_redis import _free_port, sign_in

REDIS_URL = "redis://127.0.0.1:6379/11"
SECRET = "the relay service test's secret"

# One web instance as deployed (deploy/gunicorn.conf.py: gthread, WebSockets), Socket.IO on this test's own channel
# (set before gunicorn forks its worker, which makes the app from wsgi.py).
SERVER = textwrap.dedent(
    """
    import os, sys
    from lectern.extensions import socketio
    socketio.server_options["channel"] = os.environ["LECTERN_TEST_CHANNEL"]
    from gunicorn.app.wsgiapp import run
    sys.argv = ["gunicorn", "-c", "deploy/gunicorn.conf.py", "--bind", sys.argv[1], "--threads", "40", "wsgi:app"]
    run()
    """
)


@dataclass
class World:
    lecture_id: int
    host: str
    cadets: dict[str, list[str]]  # region -> usernames
    prefix: str
    relays: dict[str, tuple[subprocess.Popen[str], str]] = field(default_factory=dict)
    webs: list[str] = field(default_factory=list)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """The database (a PostgreSQL schema of its own), Redis, three relays and two web instances."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as exc:  # Redis is part of the test environment: never a silent skip
        pytest.fail(f"Redis is unreachable: {exc}", pytrace=False)
    prefix = f"lectern-test-{uuid.uuid4().hex}"
    url = os.environ.get("TEST_DATABASE_URL", DEFAULT_PG_URL)
    schema = f"lectern_relays_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    options = {"connect_args": {"options": f"-csearch_path={schema}"}, "pool_pre_ping": True}
    relays: list[subprocess.Popen[str]] = []
    webs: list[subprocess.Popen[bytes]] = []
    try:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "SQLALCHEMY_ENGINE_OPTIONS": options,
                "SECRET_KEY": "relay-service-test-key",
                "INSTANCE_PATH": str(tmp_path / "setup"),
                "REDIS_URL": None,
                "RATELIMIT_STORAGE_URI": "memory://",
            }
        )
        with app.app_context():
            db.create_all()
        make = factories.Factory(app)
        rezekne = make.academy(country="LV")
        bishkek = make.academy(country="KG", timezone="Asia/Bishkek")
        dushanbe = make.academy(country="TJ", timezone="Asia/Dushanbe")
        course = make.course(rezekne.id)
        host = make.user(Role.INSTRUCTOR, rezekne)
        make.staff(course.id, host.id)
        cadets: dict[str, list[str]] = {"kg": [], "tj": []}
        for region, academy, count in (("kg", bishkek, 3), ("tj", dushanbe, 2)):
            for _ in range(count):
                cadet = make.user(Role.CADET, academy)
                make.enrol(course.id, cadet.id)
                cadets[region].append(cadet.username)
        lecture = make.lecture(course.id, title="Border checks", starts_at=datetime(2026, 12, 1, tzinfo=UTC))
        with app.app_context():
            db.engine.dispose()
        found = World(lecture.id, host.username, cadets, prefix)
        for region in ("lv", "kg", "tj"):
            env = relay_environment(
                tmp_path / f"relay-{region}",
                LECTERN_RELAY_SECRET=SECRET,
                LECTERN_RELAYS="registry",
                REDIS_URL=REDIS_URL,
                LECTERN_RELAY_REGISTRY_KEY=f"{prefix}:relays",
                LECTERN_RELAY_REGION=region,
            )
            process, relay_url = spawn_relay(env)
            relays.append(process)
            found.relays[region] = (process, relay_url)
        script = tmp_path / "server.py"
        script.write_text(SERVER)
        env = {
            **os.environ,
            "DATABASE_URL": f"{url}?options=-csearch_path%3D{schema}",
            "REDIS_URL": REDIS_URL,
            "SECRET_KEY": "relay-service-test-key",
            "LECTERN_TEST_CHANNEL": prefix,
            "LECTERN_RELAYS": "registry",
            "LECTERN_RELAY_SECRET": SECRET,
            "LECTERN_RELAY_REGISTRY_KEY": f"{prefix}:relays",
            "LECTERN_ROOM_KEY": f"{prefix}:rooms",
            "PYTHONPATH": str(ROOT),
        }
        for n in range(2):
            port = _free_port()
            env["LECTERN_STORAGE"] = str(tmp_path / f"web{n}")
            with (tmp_path / f"web{n}.log").open("wb") as log:  # the child holds its own copy of the descriptor
                webs.append(
                    subprocess.Popen(
                        [sys.executable, str(script), f"127.0.0.1:{port}"], cwd=ROOT, env=env, stdout=log, stderr=log
                    )
                )
            found.webs.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 30
        for web in found.webs:
            while True:
                try:
                    if requests.get(web + "/login", timeout=2).status_code == 200:
                        break
                except requests.ConnectionError:
                    pass
                assert time.monotonic() < deadline, f"{web} did not start"
                time.sleep(0.2)
        registry = RelayRegistry(redis.Redis.from_url(REDIS_URL, socket_timeout=2), f"{prefix}:relays")
        while len(registry.nodes()) < 3:
            assert time.monotonic() < deadline, "the relays never beat"
            time.sleep(0.1)
        yield found
    finally:
        for web in webs:
            web.terminate()  # gunicorn's master takes its worker with it
            web.wait(20)
        for process in relays:
            stop_relay(process)
        client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
        if keys := list(client.scan_iter(match=f"{prefix}:*")):
            client.delete(*keys)
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


class Page:
    """One participant's page: a Socket.IO client in the lecture room and its aiortc peers; what a browser's
    lecture page does (static/js/lecture), offers as RelayClient calls so that the tests' peers can use it."""

    def __init__(self, web: str, username: str, lecture_id: int) -> None:
        self.web, self.username = web, username
        self.socket = sio.Client(reconnection=False)
        self.lost: queue.Queue[dict[str, str]] = queue.Queue()
        self.heard: queue.Queue[dict[str, Any]] = queue.Queue()
        self.socket.on("relay-lost", self.lost.put, namespace="/lecture")
        self.socket.on("chat", self.heard.put, namespace="/lecture")
        self.socket.connect(web, namespaces=["/lecture"], headers={"Cookie": sign_in(web, username)})
        joined = self.socket.call("join", {"lecture": lecture_id}, namespace="/lecture", timeout=10)
        assert joined["ok"], joined
        self.joined = joined

    def _offer(self, event: str, sdp: str) -> str:
        reply = self.socket.call(event, {"slot": "main", "sdp": sdp}, namespace="/lecture", timeout=20)
        assert reply.get("ok"), reply
        return str(reply["sdp"])

    def publish(self, _lecture: str, _peer: str, sdp: str) -> str:
        return self._offer("publish", sdp)

    def subscribe(self, _lecture: str, _peer: str, sdp: str) -> str:
        return self._offer("subscribe", sdp)

    def close(self) -> None:
        self.socket.disconnect()


def _relay_stats(world: World, region: str) -> dict[str, Any]:
    client = RemoteRelayClient(world.relays[region][1], SECRET)
    try:
        return client.stats(f"{world.lecture_id}:main")
    finally:
        client.shutdown()


def _octets(world: World) -> tuple[int, int]:
    """What the origin received from the publisher, and what it sent the edge in Bishkek, in payload bytes."""
    stats = _relay_stats(world, "lv")
    received = sum(t["octets_received"] for t in stats["publisher"]["tracks"].values())
    sent = sum(
        t["octets_forwarded"]
        for peer, s in stats["subscribers"].items()
        if s["feed"] and peer.startswith(f"edge:{world.relays['kg'][1]}:")
        for t in s["tracks"].values()
    )
    return received, sent


def _wait_video(sub: Subscriber, since: float, timeout: float = 10.0) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fresh = [t for t in sub.frames["video"] if t > since]
        if fresh:
            return fresh[0]
        time.sleep(0.05)
    raise AssertionError(f"no video for {sub.peer} since {since}")


def test_a_lecture_across_two_web_instances_an_origin_and_two_edges_survives_a_killed_edge(world: World) -> None:
    aio = Loop()
    pages: list[Page] = []
    subs: dict[str, Subscriber] = {}
    publisher: Publisher | None = None
    try:
        web_a, web_b = world.webs
        host = Page(web_a, world.host, world.lecture_id)
        pages.append(host)
        publisher = aio.run(start_publisher(host, "", low=True), timeout=30)
        kg, tj = world.cadets["kg"], world.cadets["tj"]
        # One cadet of Bishkek first: what the origin sends that edge, for each byte the instructor sends it.
        first = Page(web_b, kg[0], world.lecture_id)
        pages.append(first)
        subs[kg[0]] = aio.run(start_subscriber(first, "", kg[0]), timeout=30)
        _wait_video(subs[kg[0]], 0)

        def ratio() -> float:
            time.sleep(1.0)
            received, sent = _octets(world)
            time.sleep(3.0)
            received_now, sent_now = _octets(world)
            return (sent_now - sent) / (received_now - received)

        one = ratio()
        # Then the others, on both instances.
        for n, (name, web) in enumerate([(kg[1], web_a), (kg[2], web_b), (tj[0], web_a), (tj[1], web_b)]):
            page = Page(web, name, world.lecture_id)
            pages.append(page)
            subs[name] = aio.run(start_subscriber(page, "", f"cadet-{n}"), timeout=30)
        for sub in subs.values():
            _wait_video(sub, 0)
        three = ratio()
        # The origin sends the Bishkek edge one copy of each track, with one cadet there as with three.
        assert 0.9 < one < 1.1 and 0.9 < three < 1.1, (one, three)
        t0 = time.monotonic()
        time.sleep(2.0)
        for name, sub in subs.items():
            assert sub.fps(t0, t0 + 2.0) >= 0.6 * publisher.track.fps(t0, t0 + 2.0), name
            assert [t for t in sub.frames["audio"] if t > t0], name
        # Each cadet on the edge of their region; the origin carries the feeds alone.
        origin, kg_edge, tj_edge = (_relay_stats(world, r) for r in ("lv", "kg", "tj"))
        assert all(s["feed"] for s in origin["subscribers"].values())
        assert len(kg_edge["subscribers"]) == 3 and len(tj_edge["subscribers"]) == 2
        assert kg_edge["publisher"]["peer_id"] == f"origin:{world.relays['lv'][1]}"
        # Everyone sees everyone, whichever instance they are on: the last to join (on B) was shown all six.
        assert len(pages[-1].joined["participants"]) == 6

        # kill -9 of the Bishkek edge: its cadets are told, offer again and receive from a live relay.
        process, _url = world.relays["kg"]
        killed = time.monotonic()
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        for name in kg:
            page = next(p for p in pages if p.username == name)
            lost = page.lost.get(timeout=5)
            assert lost == {"direction": "subscribe", "slot": "main"}
            aio.run(subs[name].close())
            subs[name] = aio.run(start_subscriber(page, "", f"again-{name}"), timeout=30)
        for name in kg:
            try:
                back = _wait_video(subs[name], killed, timeout=10) - killed
            except AssertionError:
                origin = _relay_stats(world, "lv")
                raise AssertionError(f"{name} has no video again; the origin: {json.dumps(origin)}") from None
            assert back < 5.0, (name, back)
        for name in tj:  # the other edge's cadets never stopped
            assert [t for t in subs[name].frames["video"] if killed < t < killed + 1.0], name
        # The room went on: chat reaches everyone on both instances.
        assert host.socket.call("chat", {"text": "Still here"}, namespace="/lecture", timeout=10)["ok"]
        for page in pages[1:]:
            heard = page.heard.get(timeout=10)
            while heard["text"] != "Still here":
                heard = page.heard.get(timeout=10)
        # An unsigned request and an expired one are refused.
        origin_url = world.relays["lv"][1]
        body = json.dumps({"lecture_id": f"{world.lecture_id}:main"}).encode()
        unsigned = requests.post(origin_url + wire.PREFIX + "stats", data=body, timeout=5)
        assert unsigned.status_code == 401
        old = wire.sign(SECRET, "POST", wire.PREFIX + "stats", body, time.time() - 120)
        expired = requests.post(origin_url + wire.PREFIX + "stats", data=body, headers=old, timeout=5)
        assert expired.status_code == 401
    finally:
        for sub in subs.values():
            aio.run(sub.close())
        if publisher is not None:
            aio.run(publisher.pc.close())
        for page in pages:
            page.close()
        aio.run(asyncio.sleep(0.1))
        aio.close()


def test_when_the_origin_is_killed_the_instructor_publishes_again_and_the_edges_follow(world: World) -> None:
    """kill -9 of the origin: the instructor's page is told and publishes again; the lecture gets a new origin (one of
    the edges, which stops pulling), the other edge pulls from it, and the cadets receive again where they are,
    without offering anew."""
    aio = Loop()
    pages: list[Page] = []
    subs: dict[str, Subscriber] = {}
    publishers: list[Publisher] = []
    try:
        web_a, web_b = world.webs
        host = Page(web_a, world.host, world.lecture_id)
        pages.append(host)
        publishers.append(aio.run(start_publisher(host, "", low=True), timeout=30))
        for name, web in ((world.cadets["kg"][0], web_b), (world.cadets["tj"][0], web_a)):
            page = Page(web, name, world.lecture_id)
            pages.append(page)
            subs[name] = aio.run(start_subscriber(page, "", name), timeout=30)
        for sub in subs.values():
            _wait_video(sub, 0)
        process, _url = world.relays["lv"]
        killed = time.monotonic()
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        assert host.lost.get(timeout=5) == {"direction": "publish", "slot": "main"}
        aio.run(publishers[-1].pc.close())
        publishers.append(aio.run(start_publisher(host, "", low=True), timeout=30))
        for name, sub in subs.items():
            back = _wait_video(sub, killed + 0.5, timeout=10) - killed
            assert back < 5.0, (name, back)
        for page in pages[1:]:
            assert page.lost.empty()  # the cadets' connections were on the edges, which stayed
        kg, tj = _relay_stats(world, "kg"), _relay_stats(world, "tj")
        origins = [s for s in (kg, tj) if s["publisher"] and not s["publisher"]["peer_id"].startswith("origin:")]
        assert len(origins) == 1  # one of the edges is the origin now; the other pulls from it
        edge = tj if origins[0] is kg else kg
        assert edge["publisher"]["peer_id"] == f"origin:{world.relays['kg' if edge is tj else 'tj'][1]}"
    finally:
        for sub in subs.values():
            aio.run(sub.close())
        for publisher in publishers:
            aio.run(publisher.pc.close())
        for page in pages:
            page.close()
        aio.run(asyncio.sleep(0.1))
        aio.close()
