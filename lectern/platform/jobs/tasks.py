"""Tasks: plain functions that the worker runs for a job, declared with `@task` and asked for with `enqueue`.

    @jobs.task(retries=2, retry_delay=30)
    def make_replay(recording_id: int) -> int:
        ...  # runs in an application context of its own (db.session is fresh); returns the lesson's id

    # in its area's init_app, so that every process of the application (the worker too) knows it:
    registry(app).add(jobs.JOB_TASKS, make_replay)

    # in a view or a service, with the session that writes the rest: the message leaves when it commits
    job = make_replay.enqueue(db.session, recording.id, academy_id=..., user_id=...)
    recording.replay_job_id = job.id
    db.session.commit()

A task takes plain JSON values (kept in the job's row, not in the queue) and may return one (the job's `result`).
It may be run more than once (a retry after an error, a resume after its worker stopped), so it must be safe to run
again: look first whether the work is already done. It raises `JobFailed` for a failure that a retry would not mend;
any other exception is retried while attempts are left. It may report `progress(percent)`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import current_app
from sqlalchemy.orm import Session, scoped_session

from lectern.extensions import DbSession
from lectern.platform.jobs import outbox
from lectern.platform.jobs.models import Job, JobStatus
from lectern.platform.jobs.queue import jobs_of

R = TypeVar("R")

# Called when a job of the task has failed for good (its last attempt, JobFailed, or interrupted with none left):
# the session holds the failed job; write what the task's own records need (never commit).
OnFailure = Callable[[Session, Job], None]


@dataclass(frozen=True, eq=False)
class JobTask(Generic[R]):
    """A task: its function, its name (the job's `kind`) and how often it is tried."""

    fn: Callable[..., R]
    name: str
    retries: int = 0  # attempts after the first, when the task raises (or its worker stops)
    retry_delay: float = 0  # seconds before a retry
    on_failure: OnFailure | None = None

    def __call__(self, *args: Any) -> R:
        """Run the function here and now, as a plain call (no job)."""
        return self.fn(*args)

    def __str__(self) -> str:
        return self.name

    def enqueue(self, session: DbSession, *args: Any, academy_id: int | None = None, user_id: int | None = None) -> Job:
        """A queued job of this task with `args`, added to `session` (flushed: it has its id). Its message goes to
        the queue when `session` commits, and nowhere if it rolls back. Raises TypeError for arguments that are not
        plain JSON, and LookupError for a task the application has not registered (JOB_TASKS)."""
        jobs = jobs_of(current_app)
        if jobs.task(self.name) is not self:
            raise LookupError(f"the task {self.name} is not registered: add it to JOB_TASKS in its area's init_app")
        payload = {"args": list(args)}
        if json.loads(json.dumps(payload)) != payload:
            raise TypeError(f"the arguments of {self.name} must be plain JSON values (lists, not tuples): {args!r}")
        job = Job(
            kind=self.name,
            status=JobStatus.QUEUED,
            attempts=0,
            max_attempts=self.retries + 1,
            progress=0,
            academy_id=academy_id,
            user_id=user_id,
            payload=payload,
        )
        target: Session = session() if isinstance(session, scoped_session) else session
        target.add(job)
        target.flush()
        outbox.defer(target, jobs, job.id, job.kind)
        return job


def task(
    *, retries: int = 0, retry_delay: float = 0, name: str | None = None, on_failure: OnFailure | None = None
) -> Callable[[Callable[..., R]], JobTask[R]]:
    """Declare `fn` a task: tried `retries` more times after an error (`retry_delay` seconds apart); `name` (by
    default its module and name) is what the jobs' rows and the queue's messages call it, so keep it stable."""
    if retries < 0 or retry_delay < 0:
        raise ValueError("retries and retry_delay cannot be negative")

    def declare(fn: Callable[..., R]) -> JobTask[R]:
        return JobTask(fn, name or f"{fn.__module__}.{fn.__qualname__}", retries, retry_delay, on_failure)

    return declare
