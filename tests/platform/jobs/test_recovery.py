"""No job stays running once its worker is gone: the sweep (at a worker's start, then every minute) queues it again
while it has attempts left, or fails it as interrupted."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select, update

from lectern.extensions import db
from lectern.platform.jobs import Job, JobStatus, Problem, jobs_of, runs
from lectern.platform.jobs.runs import runner_name
from lectern.platform.jobs.worker import ThreadedWorker
from lectern.platform.models import utcnow
from tests.platform.jobs import tasks
from tests.platform.jobs.tasks import HOST, wait_until


@pytest.fixture
def app(app_factory: Any) -> Flask:
    return tasks.add_tasks(app_factory(LECTERN_JOBS_STALE_S=60))


@pytest.fixture
def stopped_pid() -> int:
    """The id of a process that has ended: a worker that a restart replaced."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.fixture
def live_pid() -> Iterator[int]:
    """The id of another process that is still running: a second worker on this host."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        yield process.pid
    finally:
        process.kill()
        process.wait()


def rows(app: Flask) -> dict[str, Job]:
    """The jobs by their first argument."""
    return {job.payload["args"][0]: job for job in by_id(app).values()}


def by_id(app: Flask) -> dict[int, Job]:
    with app.app_context():
        found = {job.id: job for job in db.session.scalars(select(Job))}
        db.session.expunge_all()
        return found


def test_the_sweep_resumes_or_fails_the_jobs_of_stopped_runners_only(
    app: Flask, stopped_pid: int, live_pid: int
) -> None:
    now = utcnow()
    cases = {
        # name: (runner, last heartbeat, attempts made)
        "dead, an attempt left": (f"{HOST}:{stopped_pid}", now, 1),
        "dead, none left": (f"{HOST}:{stopped_pid}", now, 2),
        "alive on this host": (f"{HOST}:{live_pid}", now - timedelta(hours=1), 2),
        "elsewhere, beating": ("another-host.example.org:4242", now - timedelta(seconds=30), 1),
        "elsewhere, silent": ("another-host.example.org:4242", now - timedelta(seconds=90), 1),
        "elsewhere, never beat": ("another-host.example.org:4243", None, 2),
        "my id, not running here": (runner_name(), now, 1),  # a container restarted: its process has the same id
        "nobody's": (None, None, 2),
    }
    with app.app_context():
        for name, (runner, beat, attempts) in cases.items():
            job = tasks.wait_for.enqueue(db.session, name)  # max_attempts 2
            job.status, job.runner, job.heartbeat_at, job.attempts = JobStatus.RUNNING, runner, beat, attempts
        db.session.flush()
        db.session.info.clear()  # their messages: taken, as far as the sweep knows, by the workers that ran them
        db.session.commit()
    huey = jobs_of(app).huey

    recovered = jobs_of(app).sweep()

    found = rows(app)
    resumed = {"dead, an attempt left", "elsewhere, silent", "my id, not running here"}
    failed = {"dead, none left", "elsewhere, never beat", "nobody's"}
    assert {found[name].id for name in resumed} == set(recovered.resumed)
    assert {found[name].id for name in failed} == set(recovered.failed)
    for name in resumed:
        job = found[name]
        assert (job.status, job.problem, job.runner) == (JobStatus.QUEUED, Problem.INTERRUPTED, None), name
        assert "stopped while it ran" in (job.error or "")
    for name in failed:
        job = found[name]
        assert (job.status, job.problem, job.progress) == (JobStatus.FAILED, Problem.INTERRUPTED, 100), name
        assert job.result == {"cleaned_up_after": "interrupted"}  # the task's on_failure ran
    for name in set(cases) - resumed - failed:
        assert found[name].status is JobStatus.RUNNING, name
    assert huey.pending_count() == len(resumed)  # their messages left with the sweep's commit
    # A second sweep (another worker's, at the same time) finds nothing more to do.
    again = jobs_of(app).sweep()
    assert (again.resumed, again.failed) == ([], [])
    assert huey.pending_count() == len(resumed)


def test_a_job_running_in_this_process_is_left_to_it(app: Flask, tmp_path: Path) -> None:
    release = tmp_path / "release"
    with app.app_context():
        job_id = tasks.wait_for.enqueue(db.session, str(release)).id
        db.session.commit()
    with ThreadedWorker(app, max_delay=0.05):
        wait_until(lambda: rows(app)[str(release)].status is JobStatus.RUNNING)
        assert rows(app)[str(release)].runner == runner_name()
        recovered = jobs_of(app).sweep()  # as the worker's periodic sweep would, in another of its threads
        assert (recovered.resumed, recovered.failed) == ([], [])
        release.touch()
        wait_until(lambda: rows(app)[str(release)].status is JobStatus.DONE)
    assert rows(app)[str(release)].attempts == 1 and job_id


def test_a_job_claimed_here_just_as_a_sweep_starts_is_left_to_it(app: Flask, tmp_path: Path) -> None:
    """A worker thread of this process claims a job between the start of a sweep in another of its threads and the
    sweep's read of the running jobs (a new worker taking a resumed job while the sweep it runs at start goes on):
    the sweep must see that the job runs here, not fail or resume it. Seen once in CI, where it failed a resumed job
    a moment after the new worker started it."""
    with app.app_context():
        job_id = tasks.wait_for.enqueue(db.session, str(tmp_path / "release")).id
        db.session.commit()
        engine = db.engine
    held = ExitStack()
    claimed: list[int] = []

    def claim_first(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if claimed or not statement.lstrip().startswith("SELECT") or "FROM job" not in statement:
            return
        claimed.append(job_id)
        held.enter_context(runs._in_flight(job_id))  # as `execute` does, before its claim is written
        with engine.begin() as other:
            other.execute(
                update(Job)
                .where(Job.id == job_id)
                .values(status=JobStatus.RUNNING, runner=runner_name(), attempts=1, heartbeat_at=utcnow())
            )

    event.listen(engine, "before_cursor_execute", claim_first)
    try:
        with held:
            recovered = jobs_of(app).sweep()
            assert claimed, "the sweep read no running jobs"
    finally:
        event.remove(engine, "before_cursor_execute", claim_first)
    assert (recovered.resumed, recovered.failed) == ([], [])
    job = by_id(app)[job_id]
    assert (job.status, job.runner, job.problem) == (JobStatus.RUNNING, runner_name(), None)


def test_a_worker_killed_mid_job_has_its_jobs_resumed_or_failed(app: Flask, tmp_path: Path) -> None:
    """kill -9 of a real `flask lectern worker` process while it runs two jobs: one with an attempt left, resumed
    and finished by the next worker; one without, failed as interrupted."""
    release = tmp_path / "release"
    with app.app_context():
        resumable = tasks.wait_for.enqueue(db.session, str(release)).id
        once = tasks.wait_for_once.enqueue(db.session, str(release)).id
        db.session.commit()
    worker = tasks.start_worker(app, "--workers", "2")
    try:
        wait_until(lambda: all(j.status is JobStatus.RUNNING for j in by_id(app).values()), what="both jobs running")
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        worker.stdout.close()  # type: ignore[union-attr]
    found = by_id(app)
    assert {found[resumable].runner, found[once].runner} == {f"{HOST}:{worker.pid}"}
    assert all(job.status is JobStatus.RUNNING for job in found.values())  # nothing else would ever change them

    release.touch()
    worker = tasks.start_worker(app)  # the next worker: it sweeps as it starts
    try:
        wait_until(lambda: not any(job.unfinished for job in by_id(app).values()), what="the resumed job")
    finally:
        worker.terminate()
        assert worker.wait(10) == 0  # SIGTERM: Huey's consumer stops at once, and cleanly
        worker.stdout.close()  # type: ignore[union-attr]
    found = by_id(app)
    assert (found[resumable].status, found[resumable].attempts, found[resumable].result) == (
        JobStatus.DONE,
        2,
        "released",
    )
    assert (found[once].status, found[once].attempts, found[once].problem) == (
        JobStatus.FAILED,
        1,
        Problem.INTERRUPTED,
    )


def test_a_sweep_on_a_database_not_created_yet_warns_and_goes_on(
    app_factory: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A worker started before `flask db upgrade`: it sweeps again a minute later."""
    with caplog.at_level(logging.WARNING):
        app = app_factory(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'empty.db'}", SQLALCHEMY_ENGINE_OPTIONS={})
        assert caplog.records == []  # making the app looks for nothing
        recovered = jobs_of(app).sweep()
    assert (recovered.resumed, recovered.failed) == ([], [])
    assert [r.getMessage().split(":")[0] for r in caplog.records] == [
        "could not look for jobs interrupted by a stopped worker"
    ]
