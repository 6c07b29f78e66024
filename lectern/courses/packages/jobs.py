"""Course package imports as jobs: a row per import, whose typed status (`JobStatus`) the progress page follows,
run by the process that took the upload, in a thread of its own (inline with LECTERN_IMPORT_SYNC).

A job is queued once its upload is saved, running while the package is read and imported, then done or failed. The
row names its runner, the host and process id of the process that runs it. A process that stops mid-import (a
restart, a crash) leaves its jobs queued or running; when a process starts on that host, `fail_interrupted` marks
them failed with the "interrupted" problem, which the progress page shows. The jobs of a process still alive, on
this host or another (several web instances share one database), are left to it.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
import threading
from collections.abc import Callable, Collection
from pathlib import Path
from typing import IO, Any

from flask import Flask
from sqlalchemy import inspect, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from lectern.courses.content.storage import CHUNK, Storage
from lectern.courses.models import Course, ImportJob, JobStatus
from lectern.courses.packages.format import Limits, read_package
from lectern.courses.packages.problems import PackageError, Problem
from lectern.courses.packages.service import import_package
from lectern.domain import DomainError, NotFound
from lectern.extensions import DbSession, db
from lectern.platform.models import User

log = logging.getLogger(__name__)

UNFINISHED = (JobStatus.QUEUED, JobStatus.RUNNING)


def runner_name() -> str:
    """This process as a job's `runner` names it: host name and process id (read when asked: gunicorn forks)."""
    return f"{socket.gethostname()[:240]}:{os.getpid()}"


def upload_path(storage: Storage, job_id: int) -> Path:
    """Where the job's package waits for its run, which removes it (as does finding the job interrupted)."""
    return storage.root / "imports" / f"job-{job_id}.zip"


def create_job(
    session: DbSession, user: User, filename: str, target: Course | None, upload: IO[bytes], storage: Storage
) -> ImportJob:
    """A queued job for `user`'s upload, run by this process; the caller commits, then `start`s it."""
    job = ImportJob(
        user_id=user.id,
        academy_id=user.academy_id,
        target_course_id=target.id if target else None,
        filename=filename[-255:],
        status=JobStatus.QUEUED,
        runner=runner_name(),
        progress=0,
        problems=[],
    )
    session.add(job)
    session.flush()
    path = upload_path(storage, job.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        shutil.copyfileobj(upload, out, CHUNK)
    return job


def job_of(session: DbSession, user: User, job_id: int) -> ImportJob:
    """The job if `user` started it; anyone else is told it does not exist."""
    job = session.get(ImportJob, job_id)
    if job is None or job.user_id != user.id:
        raise NotFound()
    return job


def job_problems(job: ImportJob) -> list[Problem]:
    return [Problem.from_json(text) for text in job.problems or []]


class JobTracker:
    """Writes a job's state in short transactions of its own. On SQLite only one writer at a time is allowed, so
    these must never wait on the import's transaction: they all happen before it begins, or after it ends."""

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
) -> None:
    """Import the job's package: read and check it, store its media, then write the course in one transaction
    (which also marks the job done). Never raises: a failure is recorded in the job. Removes the upload."""
    tracker = JobTracker(make_session, job_id)
    upload = upload_path(storage, job_id)
    (storage.root / "tmp").mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=f"import-{job_id}-", dir=storage.root / "tmp"))
    try:
        job = session.get(ImportJob, job_id)
        if job is None:
            return
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
    except PackageError as exc:
        session.rollback()
        tracker.fail(exc.problems)
    except DomainError:
        session.rollback()
        tracker.fail([Problem("not_allowed")])
    except Exception:
        log.exception("course package import %s failed", job_id)
        session.rollback()
        tracker.fail([Problem("internal")])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        upload.unlink(missing_ok=True)


# --- jobs a stopped process left -----------------------------------------------------------------------------------


def _alive(pid: int) -> bool:
    if os.name != "posix":
        return False  # os.kill(pid, 0) would end the process on Windows; a web instance runs on POSIX anyway
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def _interrupted(runner: str | None, here: bool) -> bool:
    """Whether the job of `runner` can no longer finish; `here`: it is running in this process."""
    if runner is None:
        return True  # a job from before runners were recorded: that version of Lectern has stopped
    me = runner_name()
    host, _, pid = runner.rpartition(":")
    if host != me.rpartition(":")[0]:
        return False  # another host's: its own processes' start decides
    if runner == me:
        return not here  # a process before this one with the same id (a container restarted)
    return not (pid.isdigit() and _alive(int(pid)))


def fail_interrupted(session: DbSession, storage: Storage, here: Collection[int]) -> list[int]:
    """Mark failed, as interrupted, the queued and running jobs whose process has stopped (`here`: the ids of jobs
    running in this process), and remove their files. Returns their ids; the caller commits."""
    rows = session.execute(select(ImportJob.id, ImportJob.runner).where(ImportJob.status.in_(UNFINISHED))).all()
    gone = [job_id for job_id, runner in rows if _interrupted(runner, job_id in here)]
    if gone:
        session.execute(
            update(ImportJob)
            .where(ImportJob.id.in_(gone), ImportJob.status.in_(UNFINISHED))
            .values(status=JobStatus.FAILED, progress=100, problems=[Problem("interrupted").to_json()])
        )
    for job_id in gone:
        upload_path(storage, job_id).unlink(missing_ok=True)
        for workdir in (storage.root / "tmp").glob(f"import-{job_id}-*"):
            shutil.rmtree(workdir, ignore_errors=True)
    return gone


def recover(app: Flask) -> None:
    """At the start of `app`: fail the jobs that a stopped process left unfinished (see the module's docstring)."""
    with app.app_context():
        try:
            if not inspect(db.engine).has_table(ImportJob.__tablename__):
                return  # a database still to be created (`flask db upgrade`)
            with Session(db.engine) as session:
                gone = fail_interrupted(session, Storage(app.config["LECTERN_STORAGE"]), running_here())
                session.commit()
        except SQLAlchemyError as exc:  # the database unreachable, or not migrated yet: pages will tell
            log.warning("could not look for course imports interrupted by a restart: %s", exc)
            return
    if gone:
        log.warning("course imports interrupted by a restart, now failed: %s", ", ".join(map(str, gone)))


# --- running jobs --------------------------------------------------------------------------------------------------

_running: dict[int, threading.Thread] = {}
_lock = threading.Lock()


def running_here() -> set[int]:
    """The ids of the jobs running in this process's threads."""
    with _lock:
        return set(_running)


def _new_session() -> Session:
    return Session(db.engine)


def _run(app: Flask, job_id: int, storage: Storage, limits: Limits) -> None:
    try:
        with app.app_context():
            run_import_job(db.session, _new_session, job_id, storage, limits)
    finally:
        with _lock:
            _running.pop(job_id, None)


def start(app: Flask, job_id: int, storage: Storage, limits: Limits) -> None:
    """Run the committed job in a thread of its own (the request returns at once), or inline with
    LECTERN_IMPORT_SYNC."""
    if app.config.get("LECTERN_IMPORT_SYNC"):
        run_import_job(db.session, _new_session, job_id, storage, limits)
        return
    thread = threading.Thread(target=_run, args=(app, job_id, storage, limits), name=f"course-import-{job_id}")
    thread.daemon = True
    with _lock:
        _running[job_id] = thread
    thread.start()


def wait_for_imports(timeout: float | None = None) -> None:
    """Wait until the imports running in background threads have ended (tests; an orderly shutdown)."""
    with _lock:
        threads = list(_running.values())
    for thread in threads:
        thread.join(timeout)
