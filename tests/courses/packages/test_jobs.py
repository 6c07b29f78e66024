"""Course imports as background jobs: a worker that stops mid-import has its import resumed, or failed as
interrupted with a page that says so; an error is retried once, then the import fails as internal."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from lectern.courses.content.storage import Storage
from lectern.courses.models import Course, ImportJob, JobStatus
from lectern.courses.packages import jobs
from lectern.courses.packages.problems import Problem
from lectern.extensions import db
from lectern.platform.jobs import Job, jobs_of
from lectern.platform.jobs import Problem as JobProblem
from lectern.platform.jobs.worker import ThreadedWorker
from lectern.platform.models import Role, User
from tests.conftest import Client
from tests.courses.packages.test_views import build_course, export, upload
from tests.platform.jobs.tasks import HOST, wait_until


@pytest.fixture
def stopped_pid() -> int:
    """The id of a process that has ended: the worker that a restart replaced."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.fixture
def teacher(make: Any) -> User:
    return make.user(Role.INSTRUCTOR)  # type: ignore[no-any-return]


def signed_in(app: Flask, user: User) -> Client:
    app.test_client_class = Client
    client: Client = app.test_client()  # type: ignore[assignment]
    client.login(user.username)
    return client


def start_import(app: Flask, client: Client, course_id: int) -> tuple[int, str]:
    """Upload the course's package; the import's id and its page."""
    response = upload(client, export(client, course_id), headers={"Accept": "application/json"})
    url: str = response.get_json()["redirect"]
    return int(url.rsplit("/", 1)[1]), url


def state(app: Flask, import_id: int) -> tuple[ImportJob, Job]:
    with app.app_context():
        item = db.session.get(ImportJob, import_id)
        assert item is not None and item.job_id is not None
        job = db.session.get(Job, item.job_id)
        assert job is not None
        db.session.expunge_all()
        return item, job


def cut_short(app: Flask, import_id: int, runner: str, attempts: int) -> list[Path]:
    """What a worker killed mid-import leaves: its job running under its name (its message taken off the queue),
    the import half way, a work folder of unpacked files. Returns the import's files."""
    _item, job = state(app, import_id)
    with app.app_context():
        db.session.execute(
            update(Job).where(Job.id == job.id).values(status=JobStatus.RUNNING, runner=runner, attempts=attempts)
        )
        db.session.execute(update(ImportJob).where(ImportJob.id == import_id).values(status="running", progress=40))
        db.session.commit()
    jobs_of(app).huey.flush()
    storage = Storage(app.config["LECTERN_STORAGE"])
    workdir = storage.root / "tmp" / f"import-{import_id}-x1y2" / "media-00001"
    workdir.parent.mkdir(parents=True)
    workdir.write_bytes(b"half")
    return [jobs.upload_path(storage, import_id), workdir]


def courses(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Course)) or 0


def test_an_import_whose_worker_stopped_is_resumed_and_finishes(
    app_factory: Any, teacher: User, stopped_pid: int
) -> None:
    app = app_factory()
    client = signed_in(app, teacher)
    import_id, url = start_import(app, client, build_course(app, teacher))
    files = cut_short(app, import_id, f"{HOST}:{stopped_pid}", attempts=1)
    assert all(path.exists() for path in files)

    recovered = jobs_of(app).sweep()  # the next worker, as it starts
    _item, job = state(app, import_id)
    assert recovered.resumed == [job.id]
    with ThreadedWorker(app, max_delay=0.05):
        wait_until(lambda: not state(app, import_id)[1].unfinished, what="the resumed import")

    item, job = state(app, import_id)
    assert (item.status, item.progress, job.status, job.attempts) == (JobStatus.DONE, 100, JobStatus.DONE, 2)
    assert job.result == item.course_id and courses(app) == 2
    assert not any(path.exists() for path in files)
    assert "The course has been imported." in client.get(url).get_data(as_text=True)


def test_an_import_interrupted_on_its_last_attempt_fails_and_says_so(
    app_factory: Any, teacher: User, stopped_pid: int
) -> None:
    app = app_factory()
    client = signed_in(app, teacher)
    import_id, url = start_import(app, client, build_course(app, teacher))
    files = cut_short(app, import_id, f"{HOST}:{stopped_pid}", attempts=2)

    assert jobs_of(app).sweep().failed == [state(app, import_id)[1].id]

    item, job = state(app, import_id)
    assert (item.status, item.progress, job.status, job.problem) == (
        JobStatus.FAILED,
        100,
        JobStatus.FAILED,
        JobProblem.INTERRUPTED,
    )
    assert [Problem.from_json(p).code for p in item.problems] == ["interrupted"]
    assert not any(path.exists() for path in files)
    page = client.get(url).get_data(as_text=True)
    assert "The package was not imported" in page
    assert "the server was restarted while it imported the package" in page
    polled = client.get(url + ".json").get_json()
    assert polled["status"] == "failed" and "restarted" in polled["problems"][0]


def test_an_import_finished_before_its_worker_stopped_is_not_imported_twice(
    app_factory: Any, teacher: User, stopped_pid: int
) -> None:
    """Killed after the import's commit, before its job was marked done: the resumed run finds it done."""
    app = app_factory(LECTERN_JOBS_IMMEDIATE=True)
    client = signed_in(app, teacher)
    import_id, _url = start_import(app, client, build_course(app, teacher))
    item, job = state(app, import_id)
    assert item.status is JobStatus.DONE and courses(app) == 2
    with app.app_context():
        db.session.execute(update(Job).where(Job.id == job.id).values(status="running", runner=f"{HOST}:{stopped_pid}"))
        db.session.commit()

    assert jobs_of(app).sweep().resumed == [job.id]  # and runs it, inline

    item, job = state(app, import_id)
    assert (job.status, job.attempts, job.result) == (JobStatus.DONE, 2, item.course_id)
    assert courses(app) == 2


@pytest.mark.parametrize("mended", [True, False], ids=["mended", "failing"])
def test_an_error_is_retried_once_then_the_import_fails_as_internal(
    app_factory: Any, teacher: User, monkeypatch: pytest.MonkeyPatch, mended: bool
) -> None:
    app = app_factory(LECTERN_JOBS_IMMEDIATE=True)
    client = signed_in(app, teacher)
    course_id = build_course(app, teacher)
    real = jobs.import_package

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(jobs, "import_package", broken)
    import_id, url = start_import(app, client, course_id)  # the first attempt runs in the commit, and fails

    item, job = state(app, import_id)
    assert (item.status, item.progress) == (JobStatus.QUEUED, 0)  # a retry will come (10 s later, from a worker)
    assert (job.status, job.attempts, job.problem) == (JobStatus.QUEUED, 1, JobProblem.ERROR)
    assert job.error == "RuntimeError: the disk is full"
    upload_file = jobs.upload_path(Storage(app.config["LECTERN_STORAGE"]), import_id)
    assert upload_file.exists()  # kept for the retry

    if mended:
        monkeypatch.setattr(jobs, "import_package", real)
    jobs_of(app).send(job.id, job.kind)  # the retry, as Huey's scheduler sends it

    item, job = state(app, import_id)
    assert job.attempts == 2 and not upload_file.exists()
    page = client.get(url).get_data(as_text=True)
    if mended:
        assert (item.status, job.status) == (JobStatus.DONE, JobStatus.DONE)
        assert "The course has been imported." in page
    else:
        assert (item.status, job.status, job.problem) == (JobStatus.FAILED, JobStatus.FAILED, JobProblem.ERROR)
        assert [Problem.from_json(p).code for p in item.problems] == ["internal"]
        assert "the import failed on the server" in page
