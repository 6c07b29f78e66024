"""Course package imports as background jobs (lectern.platform.jobs): a row per import (`ImportJob`), whose status,
progress and problems the progress page follows, run by the job worker (inline with LECTERN_JOBS_IMMEDIATE).

The request saves the upload and queues the import with its job; the message leaves when the request commits. The
worker reads and checks the package, stores its media, then writes the course in one transaction that also marks
the import done: a run cut short has written no course, so it may run again. A package refused is failed at once,
with its problems. Any other error is retried once; an import whose worker stopped (a restart, a crash) resumes
once from the start. When the job fails for good, the page says "internal" or "interrupted". The upload is removed
when the import is done or has failed.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

from flask import Flask, current_app
from sqlalchemy import update
from sqlalchemy.orm import Session

from lectern.courses.content.storage import CHUNK, Storage
from lectern.courses.models import Course, ImportJob, JobStatus
from lectern.courses.packages.format import Limits, read_package
from lectern.courses.packages.problems import PackageError, Problem
from lectern.courses.packages.service import import_package
from lectern.domain import DomainError, NotFound
from lectern.extensions import DbSession, db
from lectern.platform.jobs import JOB_TASKS, Job, JobFailed, task
from lectern.platform.jobs import Problem as JobProblem
from lectern.platform.models import User
from lectern.registry import registry

log = logging.getLogger(__name__)

UNFINISHED = (JobStatus.QUEUED, JobStatus.RUNNING)


def upload_path(storage: Storage, job_id: int) -> Path:
    """Where the import's package waits for its run; removed once the import is done or has failed."""
    return storage.root / "imports" / f"job-{job_id}.zip"


def package_limits(config: Mapping[str, Any]) -> Limits:
    """Package limits from the configuration: one member at most as large as one upload."""
    return Limits(
        max_total_bytes=config["LECTERN_PACKAGE_MAX_BYTES"],
        max_file_bytes=config["MAX_CONTENT_LENGTH"],
        max_members=config["LECTERN_PACKAGE_MAX_MEMBERS"],
        max_ratio=config["LECTERN_PACKAGE_MAX_RATIO"],
    )


def create_job(
    session: DbSession, user: User, filename: str, target: Course | None, upload: IO[bytes], storage: Storage
) -> ImportJob:
    """A queued import of `user`'s upload, and the background job that will run it: the caller commits, and the
    job's message leaves with that commit."""
    item = ImportJob(
        user_id=user.id,
        academy_id=user.academy_id,
        target_course_id=target.id if target else None,
        filename=filename[-255:],
        status=JobStatus.QUEUED,
        progress=0,
        problems=[],
    )
    session.add(item)
    session.flush()
    path = upload_path(storage, item.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        shutil.copyfileobj(upload, out, CHUNK)
    item.job_id = import_course_package.enqueue(session, item.id, academy_id=user.academy_id, user_id=user.id).id
    return item


def job_of(session: DbSession, user: User, job_id: int) -> ImportJob:
    """The import if `user` started it; anyone else is told it does not exist."""
    job = session.get(ImportJob, job_id)
    if job is None or job.user_id != user.id:
        raise NotFound()
    return job


def job_problems(job: ImportJob) -> list[Problem]:
    return [Problem.from_json(text) for text in job.problems or []]


class JobTracker:
    """Writes an import's state in short transactions of its own. On SQLite only one writer at a time is allowed,
    so these must never wait on the import's transaction: they all happen before it begins, or after it ends."""

    def __init__(self, make_session: Callable[[], Session], job_id: int) -> None:
        self.make_session, self.job_id, self.last = make_session, job_id, -1

    def set(self, **values: Any) -> None:
        with self.make_session() as session:
            session.execute(update(ImportJob).where(ImportJob.id == self.job_id).values(**values))
            session.commit()

    def percent(self, value: int) -> None:
        if value > self.last:  # one write per percent, however many chunks
            self.last = value
            self.set(progress=value)

    def fail(self, problems: list[Problem]) -> None:
        self.set(status=JobStatus.FAILED, progress=100, problems=[p.to_json() for p in problems])


def run_import_job(
    session: DbSession, make_session: Callable[[], Session], job_id: int, storage: Storage, limits: Limits
) -> int | None:
    """Import the package of import `job_id`: read and check it, store its media, then write the course in one
    transaction (which also marks the import done); returns the course's id. A package refused: the import is
    failed with its problems and JobFailed raised. Any other error is raised after the import is queued again
    (a retry may follow; its upload is kept). Safe to run again: a finished import is left as it is."""
    job = session.get(ImportJob, job_id)
    if job is None:
        raise JobFailed(f"course import {job_id} does not exist")
    if job.status is JobStatus.DONE:
        return job.course_id  # a run before this one finished it, then its worker stopped before saying so
    if job.status is JobStatus.FAILED:
        raise JobFailed(f"course import {job_id} has failed already")
    tracker = JobTracker(make_session, job_id)
    upload = upload_path(storage, job_id)
    if not upload.exists():
        tracker.fail([Problem("interrupted")])
        raise JobFailed(f"the package of course import {job_id} is gone from {upload.parent}")
    _remove_workdirs(storage, job_id)  # of a run cut short
    (storage.root / "tmp").mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=f"import-{job_id}-", dir=storage.root / "tmp"))
    try:
        actor = session.get(User, job.user_id)
        target = session.get(Course, job.target_course_id) if job.target_course_id is not None else None
        if actor is None or (job.target_course_id is not None and target is None):
            raise NotFound()
        tracker.set(status=JobStatus.RUNNING, progress=1)
        with read_package(
            upload,
            limits,
            workdir=workdir,
            progress=lambda done, total: tracker.percent(1 + 49 * done // total),
            name=job.filename,
        ) as package:
            course = import_package(
                session, actor, package, storage, target, progress=lambda p: tracker.percent(50 + 45 * p // 100)
            )
        session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id)
            .values(status=JobStatus.DONE, progress=100, course_id=course.id, problems=[])
        )
        session.commit()
        upload.unlink(missing_ok=True)
        return course.id
    except PackageError as exc:
        session.rollback()
        tracker.fail(exc.problems)
        upload.unlink(missing_ok=True)
        raise JobFailed(f"the package was refused: {', '.join(p.code for p in exc.problems)}") from exc
    except DomainError as exc:
        session.rollback()
        tracker.fail([Problem("not_allowed")])
        upload.unlink(missing_ok=True)
        raise JobFailed("its user may not import this package (as this course)") from exc
    except Exception:
        session.rollback()
        tracker.set(status=JobStatus.QUEUED, progress=0)
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _remove_workdirs(storage: Storage, job_id: int) -> None:
    for workdir in (storage.root / "tmp").glob(f"import-{job_id}-*"):
        shutil.rmtree(workdir, ignore_errors=True)


def _import_failed(session: Session, job: Job) -> None:
    """The import's job has failed for good: say why on the import's page (unless the import said already), and
    remove its files."""
    job_id = int(job.payload["args"][0])
    item = session.get(ImportJob, job_id)
    if item is not None and item.status in UNFINISHED:
        problem = "interrupted" if job.problem is JobProblem.INTERRUPTED else "internal"
        item.status, item.progress, item.problems = JobStatus.FAILED, 100, [Problem(problem).to_json()]
    storage = Storage(current_app.config["LECTERN_STORAGE"])
    upload_path(storage, job_id).unlink(missing_ok=True)
    _remove_workdirs(storage, job_id)


def _new_session() -> Session:
    return Session(db.engine)


@task(retries=1, retry_delay=10, name="courses.import_package", on_failure=_import_failed)
def import_course_package(job_id: int) -> int | None:
    """The background job of course import `job_id` (see the module's docstring)."""
    storage = Storage(current_app.config["LECTERN_STORAGE"])
    return run_import_job(db.session, _new_session, job_id, storage, package_limits(current_app.config))


def init_app(app: Flask) -> None:
    """Add the import task to the application's jobs, so that its worker runs it."""
    registry(app).add(JOB_TASKS, import_course_package)


# The name lectern/courses/__init__.py calls it by, from when each web process failed its own interrupted imports
# at its start: that is now the job worker's sweep.
recover = init_app
