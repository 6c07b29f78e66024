"""Tasks for the jobs' tests, and what runs them: the test's application, or a worker process of its own."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from lectern import create_app as create_lectern_app
from lectern.extensions import db
from lectern.platform import jobs
from lectern.platform.jobs import Job, JobFailed
from lectern.registry import registry

ROOT = Path(__file__).resolve().parents[3]
HOST = socket.gethostname()
CONFIG_VARIABLE = "LECTERN_TEST_APP_CONFIG"


@jobs.task(name="tests.add")
def add(a: int, b: int) -> int:
    return a + b


def _count(path: str) -> int:
    """How often this was called for `path` before (kept in the file: retries may run in another process)."""
    counter = Path(path)
    done = int(counter.read_text()) if counter.exists() else 0
    counter.write_text(str(done + 1))
    return done


@jobs.task(retries=2, name="tests.flaky")
def flaky(path: str, failures: int) -> int:
    """Fails its first `failures` runs, then returns how many runs it took."""
    runs = _count(path) + 1
    if runs <= failures:
        raise RuntimeError(f"flaky failure {runs}")
    return runs


def _cleaned(session: Session, job: Job) -> None:
    job.result = {"cleaned_up_after": job.problem.value if job.problem else None}


@jobs.task(retries=1, name="tests.boom", on_failure=_cleaned)
def boom() -> None:
    raise RuntimeError("boom")


def _broken_cleanup(session: Session, job: Job) -> None:
    job.result = "half written"
    raise OSError("the cleanup failed")


@jobs.task(name="tests.broken_cleanup", on_failure=_broken_cleanup)
def broken_cleanup() -> None:
    raise JobFailed("refused")


@jobs.task(retries=3, name="tests.refuse", on_failure=_cleaned)
def refuse(reason: str) -> None:
    raise JobFailed(reason)


@jobs.task(name="tests.progress")
def report_progress(percent: int) -> dict[str, Any]:
    """Reports `percent`, then returns what its row says, and what it knows of its run."""
    jobs.progress(percent)
    running = jobs.current()
    assert running is not None
    with Session(db.engine) as session:
        seen = session.scalar(select(Job.progress).where(Job.id == running.id))
    return {"seen": seen, "attempt": running.attempt, "last": running.last_attempt}


def _wait(path: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while not Path(path).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} did not appear")
        time.sleep(0.02)
    return "released"


@jobs.task(retries=1, name="tests.wait_for", on_failure=_cleaned)
def wait_for(path: str, timeout: float = 30) -> str:
    """Runs until `path` exists (a test lets it go), then returns "released"."""
    return _wait(path, timeout)


@jobs.task(name="tests.wait_for_once", on_failure=_cleaned)
def wait_for_once(path: str, timeout: float = 30) -> str:
    """As wait_for, with no attempt after the first."""
    return _wait(path, timeout)


TASKS = (add, flaky, boom, broken_cleanup, refuse, report_progress, wait_for, wait_for_once)


def add_tasks(app: Flask) -> Flask:
    for task in TASKS:
        registry(app).add(jobs.JOB_TASKS, task)
    return app


def create_app() -> Flask:
    """The worker process's application (`flask --app tests.platform.jobs.tasks`): the test's, from its config."""
    return add_tasks(create_lectern_app(json.loads(os.environ[CONFIG_VARIABLE])))


def worker_environment(app: Flask) -> dict[str, str]:
    """The environment of a worker process on `app`'s database and queue."""
    keys = ("SQLALCHEMY_DATABASE_URI", "SQLALCHEMY_ENGINE_OPTIONS", "LECTERN_STORAGE", "SECRET_KEY", "REDIS_URL")
    keys += ("RATELIMIT_STORAGE_URI", "LECTERN_JOBS_URL", "LECTERN_JOBS_QUEUE", "LECTERN_JOBS_HEARTBEAT_S")
    config = {key: app.config[key] for key in keys} | {"INSTANCE_PATH": app.instance_path}
    return {**os.environ, CONFIG_VARIABLE: json.dumps(config), "FLASK_APP": "tests.platform.jobs.tasks"}


def start_worker(app: Flask, *args: str) -> subprocess.Popen[str]:
    """`flask lectern worker` on `app`'s database and queue, once it says it is ready."""
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "lectern", "worker", *args],
        env=worker_environment(app),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("worker ready"), line
    return process


def wait_until(check: Callable[[], Any], timeout: float = 20, what: str = "the condition") -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        time.sleep(0.02)
    return value
