"""Real consumers: Huey's, in threads of the test, on the SQLite queue and on Redis; `flask lectern worker`; the
worker that `make run` starts beside the web app."""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from lectern.extensions import db
from lectern.platform.jobs import Job, JobStatus, jobs_of
from lectern.platform.jobs.embedded import EmbeddedWorker
from lectern.platform.jobs.worker import ThreadedWorker
from tests.platform.jobs import tasks
from tests.platform.jobs.tasks import wait_until

REDIS_URL = "redis://127.0.0.1:6379/8"  # no other test uses this database


def enqueue(app: Flask, task: Any, *args: Any) -> int:
    with app.app_context():
        job_id: int = task.enqueue(db.session, *args).id
        db.session.commit()
        return job_id


def row(app: Flask, job_id: int) -> Job:
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job is not None
        db.session.expunge(job)
        return job


def finished(app: Flask, *job_ids: int) -> list[Job] | None:
    rows = [row(app, job_id) for job_id in job_ids]
    return rows if all(not r.unfinished for r in rows) else None


def check_a_worker_runs_retries_and_beats(app: Flask, tmp_path: Path) -> None:
    release = tmp_path / "release"
    added = enqueue(app, tasks.add, 20, 22)
    flaky = enqueue(app, tasks.flaky, str(tmp_path / "count"), 1)
    waiting = enqueue(app, tasks.wait_for, str(release))
    with ThreadedWorker(app, workers=2, max_delay=0.05):
        first = wait_until(lambda: row(app, waiting).heartbeat_at if row(app, waiting).unfinished else None)
        wait_until(lambda: row(app, waiting).heartbeat_at > first, what="a second heartbeat")  # type: ignore[operator]
        assert row(app, waiting).status is JobStatus.RUNNING
        release.touch()
        done = wait_until(lambda: finished(app, added, flaky, waiting), what="the jobs")
    assert [(j.status, j.result, j.attempts) for j in done] == [
        (JobStatus.DONE, 42, 1),
        (JobStatus.DONE, 2, 2),  # failed once, retried by Huey
        (JobStatus.DONE, "released", 1),
    ]


def test_a_worker_on_the_sqlite_queue(app_factory: Any, tmp_path: Path) -> None:
    app = tasks.add_tasks(app_factory(LECTERN_JOBS_HEARTBEAT_S=0.05))
    assert jobs_of(app).huey.storage.filename == str(Path(app.instance_path) / "jobs.db")
    check_a_worker_runs_retries_and_beats(app, tmp_path)


@pytest.fixture
def redis_app(app_factory: Any) -> Iterator[Flask]:
    queue = f"lectern-test-{uuid.uuid4().hex[:12]}"
    app = tasks.add_tasks(
        app_factory(LECTERN_JOBS_URL=REDIS_URL, LECTERN_JOBS_QUEUE=queue, LECTERN_JOBS_HEARTBEAT_S=0.05)
    )
    yield app
    jobs_of(app).huey.flush()  # this queue's keys


def test_a_worker_on_redis(redis_app: Flask, tmp_path: Path) -> None:
    assert type(jobs_of(redis_app).huey).__name__ == "RedisHuey"
    check_a_worker_runs_retries_and_beats(redis_app, tmp_path)


def test_redis_is_the_queue_when_redis_url_is_set(app_factory: Any) -> None:
    app = app_factory(REDIS_URL=REDIS_URL)
    assert app.config["LECTERN_JOBS_URL"] == REDIS_URL
    assert jobs_of(app).describe() == "redis://127.0.0.1:6379/8 queue 'lectern'"


def test_the_worker_command_refuses_immediate_mode(app_factory: Any) -> None:
    app = app_factory(LECTERN_JOBS_IMMEDIATE=True)
    result = app.test_cli_runner().invoke(args=["lectern", "worker"])
    assert result.exit_code != 0 and "LECTERN_JOBS_IMMEDIATE is set" in result.output


def test_the_embedded_worker_runs_jobs_comes_back_when_killed_and_stops_with_the_app(app_factory: Any) -> None:
    app = tasks.add_tasks(app_factory())
    worker = EmbeddedWorker(workers=1, environment=tasks.worker_environment(app))
    line = worker.start()
    try:
        assert line == f"worker ready: 1 thread on sqlite:///{Path(app.instance_path) / 'jobs.db'} queue 'lectern'"
        first = enqueue(app, tasks.add, 1, 2)
        assert wait_until(lambda: finished(app, first))[0].result == 3
        assert worker.process is not None
        killed = worker.process.pid
        os.kill(killed, signal.SIGKILL)
        wait_until(lambda: worker.restarts == 1 and worker.process and worker.process.pid != killed, what="a restart")
        second = enqueue(app, tasks.add, 2, 3)
        assert wait_until(lambda: finished(app, second))[0].result == 5
    finally:
        worker.stop()
    assert worker.process is not None and worker.process.poll() is not None
