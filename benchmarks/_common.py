"""What the web benchmarks share: a free port, gunicorn started as `make run` starts it, and signing in through the
real login form."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "benchmark password"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def add_quiz(session: Any, course_id: int, title: str, questions: list[tuple[str, list[str]]], **fields: Any) -> Any:
    """A published quiz of single-choice questions (`questions`: each one's text and its choices, the first one right;
    mark 1 each) in a new bank category of the course; returns the Quiz, flushed."""
    from lectern.courses.quizzes.models import BankQuestion, QuestionCategory, Quiz, QuizSlot
    from lectern.courses.quizzes.questions import Choice, Question, QuestionType, to_data

    category = QuestionCategory(course_id=course_id, name="Top")
    session.add(category)
    session.flush()
    rows = []
    for n, (text, choices) in enumerate(questions):
        right = tuple(Choice(c, 1.0 if i == 0 else 0.0) for i, c in enumerate(choices))
        q = Question(QuestionType.SINGLE, text, f"Q{n + 1}", choices=right)
        rows.append(BankQuestion(course_id=course_id, category_id=category.id, name=q.name, type=q.type,
                                 data=to_data(q)))  # fmt: skip
    session.add_all(rows)
    session.flush()
    quiz = Quiz(course_id=course_id, title=title, published=True, attempts_allowed=0, **fields)
    quiz.slots = [QuizSlot(position=n, question_id=row.id, mark=1.0) for n, row in enumerate(rows)]
    session.add(quiz)
    session.flush()
    return quiz


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def worktree(rev: str) -> Iterator[Path]:
    """The project as it was at git revision `rev` (the code before a change, to measure it in the same run as the
    change), checked out in a temporary folder with its translations compiled; removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="lectern-before-")) / "tree"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--force", str(path), rev],
                   check=True, capture_output=True)  # fmt: skip
    try:
        pybabel = str(Path(sys.executable).parent / "pybabel")
        subprocess.run(
            [pybabel, "compile", "-d", str(path / "lectern" / "translations")], check=True, capture_output=True
        )
        yield path
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(path)], capture_output=True)
        shutil.rmtree(path.parent, ignore_errors=True)


@contextmanager
def server(
    url: str, storage: Path, threads: int | None = None, root: Path = ROOT, env: dict[str, str] | None = None
) -> Iterator[int]:
    """gunicorn serving the app of the tree at `root` (this one unless a `worktree`) on `url`'s database, configured
    as `make run` does (deploy/gunicorn.conf.py), with `env` added to its environment; yields its port once /healthz
    answers, and stops it afterwards."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "benchmark", "LECTERN_STORAGE": str(storage), **(env or {})}
    env.setdefault("LECTERN_LOGIN_RATE_LIMIT", "1000 per minute")
    env["PYTHONPATH"] = str(root)
    if threads is not None:
        env["LECTERN_THREADS"] = str(threads)
    logs = [] if env.get("LECTERN_ACCESS_LOG") == "off" else ["--access-logfile", "/dev/null"]
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", *logs,
         "wsgi:app"],
        cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(200):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=20)


class Browser:
    """One user's connection (kept alive) and cookies, as a browser would hold them."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: str | bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """(status, headers, body); cookies set by the response are kept."""
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.conn.request(method, path, body, sent)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()  # the next request opens a new connection, as a browser would
            raise
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, value = header.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def form(self, path: str, fields: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        body = urllib.parse.urlencode(fields)
        return self.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})

    def csrf(self, path: str) -> str:
        """The CSRF token of the form on the page at `path`."""
        status, _, html = self.request("GET", path)
        token = CSRF.search(html.decode())
        assert status == 200 and token, f"no CSRF token on {path} ({status})"
        return token.group(1)

    def sign_in(self, username: str, password: str = PASSWORD) -> None:
        token = self.csrf("/login")
        status, _, _ = self.form("/login", {"csrf_token": token, "username": username, "password": password})
        assert status == 302, f"login of {username} failed: {status}"

    def close(self) -> None:
        self.conn.close()


def cookie_of(port: int, username: str, password: str = PASSWORD) -> str:
    """Sign in through the real login form; return the Cookie header."""
    browser = Browser(port)
    browser.sign_in(username, password)
    browser.close()
    return "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
