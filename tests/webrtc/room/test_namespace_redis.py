"""Two web instances, one Redis: a chat message sent to the lecture room on instance A reaches a client of instance
B (Flask-SocketIO's message queue), and each instance lists the participants and raised hands of both (the room
directory, lectern/webrtc/room/directory.py), as with several gunicorn instances behind nginx (deploy/)."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
import socketio as sio

from lectern import create_app
from lectern.extensions import db
from lectern.platform.models import Role
from tests import factories

ROOT = Path(__file__).resolve().parents[3]
REDIS_URL = "redis://127.0.0.1:6379/14"
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')

# One web instance: the app on the shared SQLite file, Socket.IO on Redis under this test's own channel (Redis
# pub/sub ignores the database number, so the channel keeps concurrent runs apart), and the room directory under this
# test's own key prefix (every test's lecture has the same id).
SERVER = textwrap.dedent(
    """
    import os, sys
    from werkzeug.serving import make_server
    from lectern.extensions import socketio
    socketio.server_options["channel"] = os.environ["LECTERN_TEST_CHANNEL"]  # read by init_app in create_app
    from lectern import create_app
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": os.environ["LECTERN_TEST_DB"],
        "SECRET_KEY": "redis-test-key",
        "INSTANCE_PATH": os.environ["LECTERN_TEST_INSTANCE"],
        "REDIS_URL": os.environ["LECTERN_TEST_REDIS"],
        "LECTERN_ROOM_KEY": os.environ["LECTERN_TEST_ROOM_KEY"],
        "RATELIMIT_STORAGE_URI": "memory://",
    })
    server = make_server("127.0.0.1", int(sys.argv[1]), app, threaded=True)
    server.serve_forever()
    """
)


def _redis_problem() -> str | None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as exc:
        return str(exc)
    return None


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def world(tmp_path: Path) -> Any:
    """The lecture, its instructor and a cadet, committed to a SQLite file both instances share."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "redis-test-key",
            "INSTANCE_PATH": str(tmp_path / "setup"),
            "REDIS_URL": None,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    with app.app_context():
        db.create_all()
    make = factories.Factory(app)
    academy = make.academy()
    course = make.course(academy.id)
    host, cadet = make.user(Role.INSTRUCTOR, academy), make.user(Role.CADET, academy)
    admin = make.user(Role.ACADEMY_ADMIN, academy)
    make.staff(course.id, host.id)
    make.enrol(course.id, cadet.id)
    lecture = make.lecture(course.id, title="Shared", starts_at=datetime(2026, 12, 1, tzinfo=UTC))
    with app.app_context():
        db.engine.dispose()
    return url, lecture, host, cadet, admin


@pytest.fixture
def instances(servers: list[tuple[str, subprocess.Popen[bytes]]]) -> list[str]:
    """The addresses of two web processes on the shared database and Redis."""
    return [url for url, _process in servers]


@pytest.fixture
def servers(world: Any, tmp_path: Path) -> Iterator[list[tuple[str, subprocess.Popen[bytes]]]]:
    """Two web processes on the shared database and Redis, each with its address; killed whatever happens."""
    problem = _redis_problem()
    if problem is not None:  # Redis is part of the test environment, as PostgreSQL is: never a silent skip
        pytest.fail(f"Redis is unreachable: {problem}", pytrace=False)
    script = tmp_path / "server.py"
    script.write_text(SERVER)
    name = f"lectern-test-{uuid.uuid4().hex}"
    env = {
        **os.environ,
        "LECTERN_TEST_DB": world[0],
        "LECTERN_TEST_REDIS": REDIS_URL,
        "LECTERN_TEST_CHANNEL": name,
        "LECTERN_TEST_ROOM_KEY": f"{name}:rooms",
        "PYTHONPATH": str(ROOT),
    }
    processes: list[subprocess.Popen[bytes]] = []
    urls = []
    try:
        for n in range(2):
            port = _free_port()
            env["LECTERN_TEST_INSTANCE"] = str(tmp_path / f"instance{n}")
            processes.append(
                subprocess.Popen(
                    [sys.executable, str(script), str(port)],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 30
        for url in urls:
            while True:
                try:
                    if requests.get(url + "/login", timeout=2).status_code == 200:
                        break
                except requests.ConnectionError:
                    pass
                assert time.monotonic() < deadline, f"{url} did not start"
                assert all(p.poll() is None for p in processes), "a web instance exited"
                time.sleep(0.2)
        yield list(zip(urls, processes, strict=True))
    finally:
        for p in processes:
            p.kill()
        for p in processes:
            p.wait(timeout=10)
        client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
        if keys := list(client.scan_iter(match=f"{name}:rooms:*")):
            client.delete(*keys)


def sign_in(base: str, username: str) -> str:
    """Sign in through the login form; return the Cookie header for the Socket.IO connection."""
    return "; ".join(f"{k}={v}" for k, v in browser(base, username).cookies.items())


def browser(base: str, username: str) -> requests.Session:
    """A signed-in HTTP session."""
    http = requests.Session()
    token = TOKEN.search(http.get(base + "/login", timeout=10).text)
    assert token, "no CSRF token on the login page"
    response = http.post(
        base + "/login",
        data={"csrf_token": token.group(1), "username": username, "password": factories.PASSWORD},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.status_code
    return http


def test_chat_crosses_instances_through_redis(world: Any, instances: list[str]) -> None:
    _url, lecture, host, cadet, _admin = world
    a, b = sio.Client(reconnection=False), sio.Client(reconnection=False)
    heard: queue.Queue[Any] = queue.Queue()
    b.on("chat", heard.put, namespace="/lecture")
    try:
        a.connect(instances[0], namespaces=["/lecture"], headers={"Cookie": sign_in(instances[0], host.username)})
        b.connect(instances[1], namespaces=["/lecture"], headers={"Cookie": sign_in(instances[1], cadet.username)})
        assert a.call("join", {"lecture": lecture.id}, namespace="/lecture", timeout=10)["ok"]
        assert b.call("join", {"lecture": lecture.id}, namespace="/lecture", timeout=10)["ok"]
        assert a.call("chat", {"text": "Hello from Rezekne"}, namespace="/lecture", timeout=10)["ok"]
        message = heard.get(timeout=10)
        assert message["text"] == "Hello from Rezekne" and message["user"] == host.id
        # And the history is in the one database both read.
        again = sio.Client(reconnection=False)
        again.connect(instances[1], namespaces=["/lecture"], headers={"Cookie": sign_in(instances[1], cadet.username)})
        try:
            history = again.call("join", {"lecture": lecture.id}, namespace="/lecture", timeout=10)["chat"]
            assert [m["text"] for m in history] == ["Hello from Rezekne"]
        finally:
            again.disconnect()
    finally:
        a.disconnect()
        b.disconnect()


def test_a_suspension_on_one_instance_closes_the_socket_on_the_other(world: Any, instances: list[str]) -> None:
    _url, lecture, host, cadet, admin = world
    a, b = sio.Client(reconnection=False), sio.Client(reconnection=False)
    told: queue.Queue[Any] = queue.Queue()
    gone: queue.Queue[float] = queue.Queue()
    b.on("access_ended", told.put, namespace="/lecture")
    b.on("disconnect", lambda *_: gone.put(time.monotonic()), namespace="/lecture")
    try:
        a.connect(instances[0], namespaces=["/lecture"], headers={"Cookie": sign_in(instances[0], host.username)})
        b.connect(instances[1], namespaces=["/lecture"], headers={"Cookie": sign_in(instances[1], cadet.username)})
        assert a.call("join", {"lecture": lecture.id}, namespace="/lecture", timeout=10)["ok"]
        assert b.call("join", {"lecture": lecture.id}, namespace="/lecture", timeout=10)["ok"]
        office = browser(instances[0], admin.username)
        token = TOKEN.search(office.get(f"{instances[0]}/admin/users/{cadet.id}", timeout=10).text)
        assert token, "no CSRF token on the user page"
        start = time.monotonic()
        response = office.post(
            f"{instances[0]}/admin/users/{cadet.id}/suspend",
            data={"csrf_token": token.group(1)},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 302
        assert told.get(timeout=5) == {}
        assert gone.get(timeout=5) - start < 1.0
    finally:
        a.disconnect()
        b.disconnect()


def lecture_client(base: str, username: str, *events: str) -> tuple[sio.Client, queue.Queue[tuple[str, Any]]]:
    """A signed-in Socket.IO client of one instance, and the `events` it hears, as (name, payload)."""
    client = sio.Client(reconnection=False)
    heard: queue.Queue[tuple[str, Any]] = queue.Queue()
    for name in events:
        client.on(name, lambda data, name=name: heard.put((name, data)), namespace="/lecture")
    client.connect(base, namespaces=["/lecture"], headers={"Cookie": sign_in(base, username)})
    return client, heard


def join(client: sio.Client, lecture_id: int) -> dict[str, Any]:
    ack: dict[str, Any] = client.call("join", {"lecture": lecture_id}, namespace="/lecture", timeout=10)
    assert ack["ok"], ack
    return ack


def heard_until(heard: queue.Queue[tuple[str, Any]], wanted: Any, timeout: float = 10) -> Any:
    """The first participant list heard that `wanted` accepts (earlier broadcasts may still be on their way)."""
    deadline, seen = time.monotonic() + timeout, []
    while time.monotonic() < deadline:
        try:
            name, data = heard.get(timeout=max(deadline - time.monotonic(), 0.01))
        except queue.Empty:
            break
        if name == "participants":
            seen.append(data)
            if wanted(data):
                return data
    raise AssertionError(f"no such participant list; heard {seen}")


def listed(participants: list[dict[str, Any]]) -> dict[int, bool]:
    """user id -> raised hand."""
    return {p["id"]: p["hand"] for p in participants}


def test_each_instance_lists_the_participants_and_hands_of_both(world: Any, instances: list[str]) -> None:
    _url, lecture, host, cadet, _admin = world
    a, _a_heard = lecture_client(instances[0], cadet.username)
    b, b_heard = lecture_client(instances[1], host.username, "participants")
    tab = None
    try:
        join(a, lecture.id)
        ack = join(b, lecture.id)
        assert listed(ack["participants"]) == {host.id: False, cadet.id: False}  # the cadet joined on A
        assert a.call("hand", {"raised": True}, namespace="/lecture", timeout=10)["ok"]
        # A's broadcast, heard on B, lists B's host too.
        heard_until(b_heard, lambda p: listed(p) == {host.id: False, cadet.id: True})
        tab, _tab_heard = lecture_client(instances[1], host.username)  # the host's second tab, on B
        ack = join(tab, lecture.id)
        assert ack["hands"] == [cadet.id]
        assert listed(ack["participants"]) == {host.id: False, cadet.id: True}
        a.disconnect()  # the cadet leaves A: gone from the list on B
        heard_until(b_heard, lambda p: listed(p) == {host.id: False})
        assert listed(join(tab, lecture.id)["participants"]) == {host.id: False}
        assert join(tab, lecture.id)["hands"] == []
    finally:
        for client in (a, b, tab):
            if client is not None:
                client.disconnect()


def test_the_participants_of_a_killed_instance_go_within_seconds(
    world: Any, servers: list[tuple[str, subprocess.Popen[bytes]]]
) -> None:
    _url, lecture, host, cadet, _admin = world
    (url_a, process_a), (url_b, _process_b) = servers
    a, _ = lecture_client(url_a, cadet.username)
    b, _ = lecture_client(url_b, host.username)
    try:
        join(a, lecture.id)
        assert a.call("hand", {"raised": True}, namespace="/lecture", timeout=10)["ok"]
        assert join(b, lecture.id)["hands"] == [cadet.id]
        process_a.kill()  # kill -9: no disconnect handler runs, nothing is cleaned up
        process_a.wait(timeout=10)
        killed = time.monotonic()
        while listed((ack := join(b, lecture.id))["participants"]) != {host.id: False}:
            assert time.monotonic() - killed < 15, ack["participants"]
            time.sleep(0.5)
        assert ack["hands"] == []
    finally:
        a.disconnect()
        b.disconnect()
