"""The application's job queue: Huey, configured from the application's settings.

- LECTERN_JOBS_URL `sqlite:///PATH` (the default: `jobs.db` in the instance folder): SqliteHuey, for one machine
  (`make run`). `redis://...` (the default when REDIS_URL is set): RedisHuey, shared by the workers of several.
- LECTERN_JOBS_QUEUE: the queue's name (its keys in Redis), so that two deployments, or tests, share one server.
- LECTERN_JOBS_IMMEDIATE: each job runs inside the commit that asks for it (unit tests); no worker needed.

Huey's messages carry only the job's id. Every task of JOB_TASKS is registered under its name (with its retries
and retry delay), wrapped so that it runs in an application context and keeps its row (lectern.platform.jobs.runs);
a periodic task sweeps every minute for jobs whose worker is gone. The queue is built on first use: after
`create_app` has run every area's init_app (which fill JOB_TASKS), and after gunicorn has forked.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask
from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab  # type: ignore[import-untyped]
from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from lectern.extensions import db
from lectern.platform.jobs import runs
from lectern.platform.jobs.models import Job, JobStatus, Problem
from lectern.platform.models import utcnow
from lectern.registry import Slot, registry

if TYPE_CHECKING:
    from lectern.platform.jobs.tasks import JobTask

log = logging.getLogger(__name__)

# The tasks an application runs: each area adds its own in its init_app, so the worker, which makes the
# application once, knows every task that a web process may ask for.
JOB_TASKS: Slot[JobTask[Any]] = Slot("jobs.tasks")

_KEY = "lectern.jobs"
SWEEP_TASK = "lectern.jobs.sweep"


class Jobs:
    """One application's queue: its Huey, the Huey task of each JobTask, and what sends a job's message."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._huey: Any = None
        self._wrappers: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def config(self) -> Any:
        return self.app.config

    def tasks(self) -> dict[str, JobTask[Any]]:
        """The application's tasks (JOB_TASKS) by name."""
        return {task.name: task for task in registry(self.app).items(JOB_TASKS)}

    def task(self, name: str) -> JobTask[Any] | None:
        return self.tasks().get(name)

    @property
    def huey(self) -> Any:
        """The Huey instance, made on first use with every task registered so far."""
        with self._lock:
            if self._huey is None:
                self._huey = self._make_huey()
                for task in self.tasks().values():
                    self._register(task)
                self._huey.periodic_task(crontab(), name=SWEEP_TASK)(self.sweep)
            return self._huey

    def describe(self) -> str:
        """Where the queue is, for the worker's first line and logs (no password)."""
        if self.config["LECTERN_JOBS_IMMEDIATE"]:
            return "immediate (in the asking process)"
        url = str(self.config["LECTERN_JOBS_URL"])
        scheme, _, rest = url.partition("://")
        return f"{scheme}://{rest.rpartition('@')[2]} queue {self.config['LECTERN_JOBS_QUEUE']!r}"

    def _make_huey(self) -> Any:
        name = self.config["LECTERN_JOBS_QUEUE"]
        if self.config["LECTERN_JOBS_IMMEDIATE"]:
            return MemoryHuey(name, results=False, immediate=True)
        url = str(self.config["LECTERN_JOBS_URL"])
        if url.startswith(("redis://", "rediss://", "unix://")):
            return RedisHuey(name, url=url, results=False)
        if url.startswith("sqlite:///"):
            path = Path(url.removeprefix("sqlite:///"))
            path.parent.mkdir(parents=True, exist_ok=True)
            return SqliteHuey(name, filename=str(path), results=False)
        raise ValueError(f"LECTERN_JOBS_URL must start with sqlite:/// or redis://, not {url.split(':')[0]!r}")

    def _register(self, definition: JobTask[Any]) -> None:
        heartbeat_s = float(self.config["LECTERN_JOBS_HEARTBEAT_S"])
        # Immediate mode runs the job inside the caller's commit: no other host is there to need a heartbeat.
        if self.config["LECTERN_JOBS_IMMEDIATE"]:
            heartbeat_s = 0

        def run(job_id: int, task: Any) -> None:  # `task`: Huey's, passed in by context=True
            runs.execute(self.app, definition, job_id, task, heartbeat_s)

        declare = self._huey.task(
            retries=definition.retries, retry_delay=definition.retry_delay, context=True, name=definition.name
        )
        self._wrappers[definition.name] = declare(run)

    def _wrapper(self, kind: str) -> Any:
        huey = self.huey
        with self._lock:
            if kind not in self._wrappers and huey is not None and (task := self.task(kind)) is not None:
                self._register(task)  # added to JOB_TASKS after the queue was made
            return self._wrappers.get(kind)

    def send(self, job_id: int, kind: str) -> None:
        """Put the committed job's message on the queue (in immediate mode: run it). A job whose message cannot
        be sent is failed, so that it does not wait forever."""
        try:
            wrapper = self._wrapper(kind)
            if wrapper is None:
                self._give_up(job_id, Problem.UNKNOWN_TASK, f"no task {kind!r} is registered in this application")
                return
            self.huey.enqueue(wrapper.s(job_id))
        except Exception as exc:
            log.exception("job %s (%s) could not be queued", job_id, kind)
            self._give_up(job_id, Problem.NOT_QUEUED, f"{type(exc).__name__}: {exc}"[: runs.ERROR_CHARS])

    def _give_up(self, job_id: int, problem: Problem, error: str) -> None:
        with self.app.app_context(), Session(db.engine) as session:
            try:
                result = session.execute(
                    update(Job)
                    .where(Job.id == job_id, Job.status == JobStatus.QUEUED)
                    .values(status=JobStatus.FAILED, progress=100, problem=problem, error=error, finished_at=utcnow())
                )
                if getattr(result, "rowcount", 0):
                    job = session.get(Job, job_id)
                    runs.call_on_failure(session, self.task(job.kind) if job else None, job_id)
                session.commit()
            except SQLAlchemyError:
                log.exception("job %s: could not record that it was not queued", job_id)

    def sweep(self) -> runs.Recovered:
        """Resume or fail the running jobs whose runner is gone (see lectern.platform.jobs.runs); logs what it did.
        Run when a worker starts and every minute after."""
        with self.app.app_context():
            try:
                with Session(db.engine) as session:
                    recovered = runs.recover(
                        session,
                        self.tasks(),
                        self,
                        here=runs.running_here,
                        now=utcnow(),
                        stale_after=float(self.config["LECTERN_JOBS_STALE_S"]),
                    )
                    session.commit()  # and the resumed jobs' messages leave
            except SQLAlchemyError as exc:  # the database unreachable, or not migrated yet: the next sweep retries
                log.warning("could not look for jobs interrupted by a stopped worker: %s", exc)
                return runs.Recovered()
        for ids, what in ((recovered.resumed, "queued again"), (recovered.failed, "failed")):
            if ids:
                log.warning("jobs interrupted by a stopped worker, %s: %s", what, ", ".join(map(str, ids)))
        return recovered


def init_app(app: Flask) -> None:
    """Give `app` its job queue (made on first use); before the areas' init_app, which add their tasks."""
    app.extensions[_KEY] = Jobs(app)


def jobs_of(app: Flask) -> Jobs:
    """The job queue of `app`."""
    jobs: Jobs = app.extensions[_KEY]
    return jobs
