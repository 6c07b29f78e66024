"""Import jobs left unfinished by a process that stopped: the next start marks them failed, and says so."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from lectern.courses.content.storage import Storage
from lectern.courses.models import ImportJob, JobStatus
from lectern.courses.packages import jobs
from lectern.courses.packages.problems import Problem
from lectern.extensions import db
from lectern.platform.models import Role
from tests.conftest import Client

HOST = socket.gethostname()


@pytest.fixture
def stopped_pid() -> int:
    """The id of a process that has ended: the web process a restart replaced."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.fixture
def live_pid() -> Iterator[int]:
    """The id of another process that is still running: a second web instance on this host."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        yield process.pid
    finally:
        process.kill()
        process.wait()


def test_jobs_of_a_stopped_process_fail_when_the_app_starts(
    app: Flask, app_factory: Any, make: Any, stopped_pid: int, live_pid: int
) -> None:
    teacher = make.user(Role.INSTRUCTOR)

    def job(status: JobStatus, runner: str | None) -> int:
        row = ImportJob(
            user_id=teacher.id, academy_id=teacher.academy_id, filename="course.zip", status=status, runner=runner
        )
        return make.save(row).id  # type: ignore[no-any-return]

    running = job(JobStatus.RUNNING, f"{HOST}:{stopped_pid}")
    queued = job(JobStatus.QUEUED, f"{HOST}:{stopped_pid}")
    older = job(JobStatus.RUNNING, None)  # started by a Lectern from before runners were recorded
    same_id = job(JobStatus.RUNNING, jobs.runner_name())  # a restarted container gives its process the same id
    alive = job(JobStatus.RUNNING, f"{HOST}:{live_pid}")
    elsewhere = job(JobStatus.RUNNING, "another-host.example.org:4242")
    done = job(JobStatus.DONE, f"{HOST}:{stopped_pid}")
    storage = Path(app.config["LECTERN_STORAGE"])
    left = [storage / "imports" / f"job-{running}.zip", storage / "tmp" / f"import-{running}-x1y2" / "media-00001"]
    for path in left:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"PK")

    restarted = app_factory(LECTERN_STORAGE=str(storage))

    with restarted.app_context():
        rows = {row.id: row for row in db.session.scalars(select(ImportJob))}
    failed = {running, queued, older, same_id}
    assert {i for i, row in rows.items() if row.status is JobStatus.FAILED} == failed
    assert rows[alive].status is JobStatus.RUNNING and rows[elsewhere].status is JobStatus.RUNNING
    assert rows[done].status is JobStatus.DONE
    for job_id in failed:
        assert rows[job_id].progress == 100
        assert [Problem.from_json(p).code for p in rows[job_id].problems] == ["interrupted"]
    assert not any(path.exists() for path in left)

    restarted.test_client_class = Client
    client = restarted.test_client()
    client.login(teacher.username)
    page = client.get(f"/courses/import/{running}").get_data(as_text=True)
    assert "The package was not imported" in page
    assert "the server was restarted while it imported the package" in page
    state = client.get(f"/courses/import/{queued}.json").get_json()
    assert state["status"] == "failed" and "restarted" in state["problems"][0]


def test_a_job_running_in_this_process_is_left_to_it(app: Flask, make: Any) -> None:
    teacher = make.user(Role.INSTRUCTOR)
    row = make.save(
        ImportJob(
            user_id=teacher.id,
            academy_id=teacher.academy_id,
            filename="course.zip",
            status=JobStatus.RUNNING,
            runner=jobs.runner_name(),
        )
    )
    storage = Storage(app.config["LECTERN_STORAGE"])
    with app.app_context():
        assert jobs.fail_interrupted(db.session, storage, here={row.id}) == []
        assert jobs.fail_interrupted(db.session, storage, here=set()) == [row.id]
        db.session.commit()
        assert db.session.get(ImportJob, row.id).status is JobStatus.FAILED  # type: ignore[union-attr]


def test_an_app_starts_quietly_on_a_database_not_created_yet(
    app_factory: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """`flask db upgrade` starts the application before the tables exist."""
    with caplog.at_level(logging.WARNING, logger=jobs.__name__):
        app_factory(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'empty.db'}", SQLALCHEMY_ENGINE_OPTIONS={})
    assert caplog.records == []
