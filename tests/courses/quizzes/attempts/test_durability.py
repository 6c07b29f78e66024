"""Durability: an answer the server acknowledged survives the web process being killed (SIGKILL, no clean shutdown)
and started again, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from lectern.platform.models import Role
from tests import factories

ROOT = Path(__file__).resolve().parents[4]
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')

SERVER = textwrap.dedent(
    """
    import json, os, sys
    from werkzeug.serving import make_server
    from lectern import create_app
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": os.environ["LECTERN_TEST_DB"],
        "SQLALCHEMY_ENGINE_OPTIONS": json.loads(os.environ["LECTERN_TEST_ENGINE"]),
        "SECRET_KEY": "durability-test-key",
        "INSTANCE_PATH": os.environ["LECTERN_TEST_INSTANCE"],
        "REDIS_URL": None,
        "RATELIMIT_STORAGE_URI": "memory://",
    })
    make_server("127.0.0.1", int(sys.argv[1]), app, threaded=True).serve_forever()
    """
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, app: Any, tmp_path: Path) -> None:
        self.script = tmp_path / "server.py"
        self.script.write_text(SERVER)
        self.env = {
            **os.environ,
            "LECTERN_TEST_DB": app.config["SQLALCHEMY_DATABASE_URI"],
            "LECTERN_TEST_ENGINE": json.dumps(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})),
            "LECTERN_TEST_INSTANCE": str(tmp_path / "instance"),
            "PYTHONPATH": str(ROOT),
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self) -> str:
        port = _free_port()
        self.process = subprocess.Popen([sys.executable, str(self.script), str(port)], env=self.env, cwd=ROOT)
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self.url
            except requests.ConnectionError:
                time.sleep(0.1)
        raise AssertionError("the web process did not start")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture
def server(app: Any, tmp_path: Path) -> Iterator[Server]:
    running = Server(app, tmp_path)
    try:
        yield running
    finally:
        if running.process is not None and running.process.poll() is None:
            running.kill()


def _token(session: requests.Session, url: str) -> str:
    match = TOKEN.search(session.get(url, timeout=10).text)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def test_an_acknowledged_answer_survives_a_killed_server(app: Any, make: Any, server: Server) -> None:
    academy = make.academy()
    cadet = make.user(Role.CADET, academy)
    course = make.course(academy.id)
    make.enrol(course.id, cadet.id)
    quiz_id = make.quiz(course.id, time_limit_minutes=30).id

    base = server.start()
    browser = requests.Session()
    login = browser.post(
        f"{base}/login",
        data={
            "username": cadet.username,
            "password": factories.PASSWORD,
            "csrf_token": _token(browser, f"{base}/login"),
        },
        timeout=10,
    )
    assert login.status_code == 200 and "/login" not in login.url
    quiz = f"{base}/courses/{course.id}/quizzes/{quiz_id}"
    started = browser.post(f"{quiz}/start", data={"csrf_token": _token(browser, quiz)}, timeout=10)
    attempt_url = started.url
    assert "/quizzes/attempts/" in attempt_url
    token = _token(browser, attempt_url)
    given = {0: 0, 2: False, 3: "Рига", 6: "Документы проверены."}
    for position, value in given.items():
        reply = browser.post(
            f"{attempt_url}/answers",
            json={"position": position, "response": value, "seq": 1},
            headers={"X-CSRFToken": token},
            timeout=10,
        )
        assert reply.status_code == 200, reply.text

    server.kill()  # no shutdown, no flush: only what was committed before each reply may survive
    with pytest.raises(requests.ConnectionError):
        browser.get(attempt_url, timeout=2)

    base = server.start()
    attempt_url = attempt_url.replace(attempt_url.split("/courses/")[0], base)
    page = browser.get(attempt_url, timeout=10)  # the same browser, signed in by its cookie
    assert page.status_code == 200 and page.url == attempt_url
    html = page.text
    assert 'value="Рига"' in html and "Документы проверены." in html
    assert re.search(r'name="q0" value="0"\s+checked', html)
    assert re.search(r'name="q2" value="false"\s*checked', html)
    submitted = browser.post(f"{attempt_url}/submit", data={"csrf_token": _token(browser, attempt_url)}, timeout=10)
    assert submitted.url.endswith("/review")
