"""Two web instances, one Redis: a chat message sent to the lecture room on instance A reaches a client of instance
B (Flask-SocketIO's message queue), as with several gunicorn instances behind nginx (deploy/)."""

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
# pub/sub ignores the database number, so the channel keeps concurrent runs apart).
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
def instances(world: Any, tmp_path: Path) -> Iterator[list[str]]:
    """Two web processes on the shared database and Redis; killed whatever happens."""
    problem = _redis_problem()
    if problem is not None:  # Redis is part of the test environment, as PostgreSQL is: never a silent skip
        pytest.fail(f"Redis is unreachable: {problem}", pytrace=False)
    script = tmp_path / "server.py"
    script.write_text(SERVER)
    env = {
        **os.environ,
        "LECTERN_TEST_DB": world[0],
        "LECTERN_TEST_REDIS": REDIS_URL,
        "LECTERN_TEST_CHANNEL": f"lectern-test-{uuid.uuid4().hex}",
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
        yield urls
    finally:
        for p in processes:
            p.kill()
        for p in processes:
            p.wait(timeout=10)


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
