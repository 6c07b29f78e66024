"""Running a job, and finding the jobs whose runner is gone.

A run claims its job (queued -> running, with this process as its runner and one more attempt), calls the task in
an application context of its own, and ends the job done, queued again for a retry, or failed. Each step is a short
transaction of its own, written only after the task's session is closed: on SQLite one writer at a time is allowed,
and the job's row must never wait on the task's transaction (nor the task on the row).

While a task runs, a heartbeat thread stamps its row every LECTERN_JOBS_HEARTBEAT_S seconds. The sweep (when a
worker starts, then every minute) takes the running jobs whose runner is gone: a process that has ended on this host
(the one sweeping), or, on another host, a runner whose heartbeat is older than LECTERN_JOBS_STALE_S. Such a job is
queued again if it has attempts left (it resumes from the start: a task must be safe to run again), or failed as
interrupted. No job stays running once its runner is gone.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask import Flask
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from lectern.extensions import db
from lectern.platform.jobs import outbox
from lectern.platform.jobs.models import Job, JobStatus, Problem
from lectern.platform.models import utcnow

if TYPE_CHECKING:
    from lectern.platform.jobs.tasks import JobTask

log = logging.getLogger(__name__)

ERROR_CHARS = 4000  # of an exception's text kept in the row: enough to recognise it, the log has the rest


class JobFailed(Exception):
    """Raised by a task for a failure that a retry would not mend (its input refused, its subject gone): the job
    fails at once, with this message as its error, and no traceback is logged."""


# --- runners -------------------------------------------------------------------------------------------------------


def runner_name() -> str:
    """This process as a job's `runner` names it: host name and process id (read when asked: processes fork)."""
    return f"{socket.gethostname()[:240]}:{os.getpid()}"


def alive(pid: int) -> bool:
    """Whether a process with this id runs on this host."""
    if os.name != "posix":
        return False  # os.kill(pid, 0) would end the process on Windows; workers run on POSIX anyway
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


_here: set[int] = set()
_here_lock = threading.Lock()


def running_here() -> set[int]:
    """The ids of the jobs that this process is running now (its worker threads, or inline)."""
    with _here_lock:
        return set(_here)


def interrupted(
    runner: str | None, heartbeat_at: datetime | None, *, here: bool, now: datetime, stale_after: float
) -> bool:
    """Whether a running job of `runner` can no longer finish; `here`: it is running in this process."""
    if runner is None:
        return True  # every claim names its runner: a row written by hand, or by a version before runners
    me = runner_name()
    host, _, pid = runner.rpartition(":")
    if host != me.rpartition(":")[0]:
        # Another host's: its processes cannot be seen from here, its heartbeat can.
        return heartbeat_at is None or heartbeat_at < now - timedelta(seconds=stale_after)
    if runner == me:
        return not here  # a process before this one with the same id (a container restarted)
    return not (pid.isdigit() and alive(int(pid)))


# --- the running job -----------------------------------------------------------------------------------------------


@dataclass
class RunningJob:
    """The job a task is running for, as the task sees it through `current()`."""

    id: int
    attempt: int  # 1 for the first
    max_attempts: int
    engine: Engine
    runner: str
    _reported: int = field(default=-1, repr=False)

    @property
    def last_attempt(self) -> bool:
        return self.attempt >= self.max_attempts

    def progress(self, percent: int) -> None:
        """Record the task's progress (0-100), once per percent gained. Call it outside the task's own write
        transaction: on SQLite the two would wait on each other."""
        percent = max(0, min(100, int(percent)))
        if percent <= self._reported:
            return
        self._reported = percent
        _write(self.engine, self.id, self.runner, progress=percent)


_current: ContextVar[RunningJob | None] = ContextVar("lectern_job", default=None)


def current() -> RunningJob | None:
    """The job the calling task runs for; None outside a job (a task called as a plain function)."""
    return _current.get()


def progress(percent: int) -> None:
    """Record the running job's progress (0-100); does nothing outside a job."""
    job = _current.get()
    if job is not None:
        job.progress(percent)


def _write(engine: Engine, job_id: int, holder: str, *, quiet: bool = False, **values: Any) -> bool:
    """Update the job while `holder` (a runner) still runs it; whether it did. Failures are logged (`quiet`: for
    debugging only), never raised: a job's bookkeeping must not fail the task it records."""
    try:
        with Session(engine) as session:
            result = session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == JobStatus.RUNNING, Job.runner == holder)
                .values(**values)
            )
            session.commit()
            return bool(getattr(result, "rowcount", 0))
    except SQLAlchemyError as exc:
        log.log(
            logging.DEBUG if quiet else logging.WARNING,
            "job %s: could not record %s: %s",
            job_id,
            ", ".join(values),
            exc,
        )
        return False


class _Heartbeat:
    """Stamps the job's row while its task runs, so that other hosts' sweeps see its runner is alive."""

    def __init__(self, engine: Engine, job_id: int, runner: str, interval: float) -> None:
        self.engine, self.job_id, self.runner, self.interval = engine, job_id, runner, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"job-{job_id}-heartbeat", daemon=True)

    def __enter__(self) -> _Heartbeat:
        if self.interval > 0:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(self.interval + 5)

    def _beat(self) -> None:
        while not self._stop.wait(self.interval):
            # On SQLite a beat may meet the task's own write transaction and give up: the next one comes soon.
            _write(self.engine, self.job_id, self.runner, quiet=True, heartbeat_at=utcnow())


@contextmanager
def _in_flight(job_id: int) -> Iterator[None]:
    # Before the claim and until after the last write: a sweep in another thread of this process, finding the row
    # running under this process's name, must know it is running here.
    with _here_lock:
        _here.add(job_id)
    try:
        yield
    finally:
        with _here_lock:
            _here.discard(job_id)


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return None  # a result only the task's caller could use: the row keeps none
    return value


def _detail(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]


def execute(app: Flask, task: JobTask[Any], job_id: int, huey_task: Any, heartbeat_s: float) -> None:
    """Run attempt after attempt of job `job_id` as Huey hands it over (`huey_task`: Huey's task object, whose
    `retries` tells Huey whether to run it again). Raises what the task raised, so that Huey logs it and retries."""
    with _in_flight(job_id), app.app_context():
        engine = db.engine
        me = runner_name()
        now = utcnow()
        with Session(engine) as session:
            claimed = session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == JobStatus.QUEUED)
                .values(
                    status=JobStatus.RUNNING,
                    runner=me,
                    attempts=Job.attempts + 1,
                    progress=0,
                    started_at=now,
                    heartbeat_at=now,
                    finished_at=None,
                )
            )
            row = session.get(Job, job_id) if getattr(claimed, "rowcount", 0) else None
            if row is None:
                session.rollback()
                log.info("job %s of %s is not queued (finished, or taken by another worker): skipped", job_id, task)
                huey_task.retries = 0
                return
            args, attempt, max_attempts = list(row.payload.get("args", [])), row.attempts, row.max_attempts
            session.commit()
        running = RunningJob(job_id, attempt, max_attempts, engine, me)
        token = _current.set(running)
        try:
            with _Heartbeat(engine, job_id, me, heartbeat_s):
                try:
                    value = task.fn(*args)
                finally:
                    db.session.remove()  # the task's transaction ends before the row is written
        except JobFailed as exc:
            huey_task.retries = 0
            log.info("job %s (%s) refused: %s", job_id, task.name, exc)
            _fail(engine, task, job_id, me, Problem.REFUSED, str(exc)[:ERROR_CHARS] or type(exc).__name__)
            return
        except Exception as exc:
            if attempt < max_attempts:
                huey_task.retries = max_attempts - attempt
                _write(
                    engine, job_id, me, status=JobStatus.QUEUED, runner=None, problem=Problem.ERROR, error=_detail(exc)
                )
            else:
                huey_task.retries = 0
                _fail(engine, task, job_id, me, Problem.ERROR, _detail(exc))
            raise
        finally:
            _current.reset(token)
        values = {"status": JobStatus.DONE, "progress": 100, "result": _jsonable(value), "finished_at": utcnow()}
        if not _write(engine, job_id, me, problem=None, error=None, **values):
            log.warning("job %s finished, but its row was no longer this runner's (a sweep took it?)", job_id)


def _fail(engine: Engine, task: JobTask[Any], job_id: int, runner: str, problem: Problem, error: str) -> None:
    """Fail the job while `runner` holds it, and let its task clean up (`on_failure`) in the same transaction."""
    values = {"status": JobStatus.FAILED, "progress": 100, "problem": problem, "error": error, "finished_at": utcnow()}
    where = (Job.id == job_id, Job.status == JobStatus.RUNNING, Job.runner == runner)
    try:
        with Session(engine) as session:
            result = session.execute(update(Job).where(*where).values(**values))
            if getattr(result, "rowcount", 0):
                call_on_failure(session, task, job_id)
            session.commit()
    except SQLAlchemyError as exc:
        log.warning("job %s: could not record its failure (%s): %s", job_id, error, exc)


def call_on_failure(session: Session, task: JobTask[Any] | None, job_id: int) -> None:
    """Call the task's `on_failure` for the job just failed, in a savepoint: a hook that fails is logged and leaves
    the job failed all the same."""
    if task is None or task.on_failure is None:
        return
    job = session.get(Job, job_id)
    if job is None:
        return
    try:
        with session.begin_nested():
            task.on_failure(session, job)
    except Exception:
        log.exception("job %s: the on_failure of %s failed", job_id, task.name)


# --- jobs whose runner is gone -------------------------------------------------------------------------------------


@dataclass
class Recovered:
    """What a sweep did: the jobs queued again to resume, and those failed for want of attempts."""

    resumed: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def recover(
    session: Session,
    tasks: Mapping[str, JobTask[Any]],
    sender: outbox.Sender,
    *,
    here: Callable[[], Collection[int]] = running_here,
    now: datetime,
    stale_after: float,
) -> Recovered:
    """Queue again (with attempts left) or fail the running jobs whose runner is gone (`here()`: the jobs running in
    this process). Each row is changed only if it is still as read, so sweeps of several workers at once do each
    job once. The caller commits; the resumed jobs' messages go to `sender` once it has."""
    done = Recovered()
    rows = session.execute(
        select(Job.id, Job.kind, Job.runner, Job.heartbeat_at, Job.attempts, Job.max_attempts).where(
            Job.status == JobStatus.RUNNING
        )
    ).all()
    # Asked after the read: a job this process claims is in `here()` before its claim is written (`_in_flight`), so
    # every claim of this process the read saw is known here. Asked before, a job claimed in between (a worker
    # thread taking a resumed job while this sweep starts) would look like one whose runner had stopped.
    running = set(here())
    for job_id, kind, runner, heartbeat_at, attempts, max_attempts in rows:
        if not interrupted(runner, heartbeat_at, here=job_id in running, now=now, stale_after=stale_after):
            continue
        error = f"its worker {runner or '(unknown)'} stopped while it ran (attempt {attempts} of {max_attempts})"
        still = update(Job).where(
            Job.id == job_id,
            Job.status == JobStatus.RUNNING,
            Job.runner.is_(None) if runner is None else Job.runner == runner,
            Job.attempts == attempts,
        )
        resume = attempts < max_attempts
        values: dict[str, Any] = (
            {"status": JobStatus.QUEUED, "runner": None, "heartbeat_at": None}
            if resume
            else {"status": JobStatus.FAILED, "progress": 100, "finished_at": now}
        )
        result = session.execute(still.values(problem=Problem.INTERRUPTED, error=error, **values))
        if not getattr(result, "rowcount", 0):
            continue  # another sweep has just done it
        if resume:
            outbox.defer(session, sender, job_id, kind)
            done.resumed.append(job_id)
        else:
            call_on_failure(session, tasks.get(kind), job_id)
            done.failed.append(job_id)
    return done
