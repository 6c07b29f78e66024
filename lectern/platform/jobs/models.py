"""The record of every background job, whatever its task: what the pages show, and what the worker recovers from.

Huey's queue holds only a job's id; its arguments, its state and its outcome live in this row, in the database that
the pages read. A row is written queued in the transaction that asks for the job (the message follows the commit),
claimed (running, with its runner) by the worker that takes it, and ended done or failed by that worker, or failed
or queued again by the sweep that finds its runner gone (lectern.platform.jobs.recovery).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lectern.extensions import Model
from lectern.platform.models import UTCDateTime, created_at, intpk, string_enum


class JobStatus(enum.StrEnum):
    """Where a background job stands. Queued: waiting for a worker (for the first time, or for a retry); running: a
    worker (`Job.runner`) has it; done and failed are final. A worker that stops mid-job leaves it running, and the
    next sweep queues it again or fails it: no job stays running once its runner is gone."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Problem(enum.StrEnum):
    """Why a job failed, or why its last attempt did (a retried job keeps it while it waits)."""

    ERROR = "error"  # the task raised: a bug, or a service it needs was down (`Job.error` has the exception)
    REFUSED = "refused"  # the task refused its input (JobFailed): a retry would not mend it
    INTERRUPTED = "interrupted"  # its worker stopped mid-job (a restart, a crash, a kill)
    NOT_QUEUED = "not_queued"  # the queue (Redis) did not take it
    UNKNOWN_TASK = "unknown_task"  # no task of its kind in this version of Lectern


class Job(Model):
    """One background job: its task (`kind`), arguments, attempts, progress, runner and outcome."""

    __tablename__ = "job"

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(200), index=True)  # the task's name (JobTask.name)
    status: Mapped[JobStatus] = mapped_column(string_enum(JobStatus), default=JobStatus.QUEUED, index=True)
    attempts: Mapped[int] = mapped_column(default=0)  # started so far
    max_attempts: Mapped[int] = mapped_column(default=1)  # the task's retries + 1, when it was asked for
    progress: Mapped[int] = mapped_column(default=0)  # percent, as the task reports it
    problem: Mapped[Problem | None] = mapped_column(string_enum(Problem))
    error: Mapped[str | None] = mapped_column(Text)  # the problem's details, in English, for the operator
    runner: Mapped[str | None] = mapped_column(String(300))  # host:pid of the process running it
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # its runner's last sign of life
    created_at: Mapped[created_at]
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # of the latest attempt
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    academy_id: Mapped[int | None] = mapped_column(ForeignKey("academy.id", ondelete="SET NULL"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {"args": [...]}, as JSON
    result: Mapped[Any] = mapped_column(JSON, nullable=True)  # what the task returned, if JSON

    @property
    def unfinished(self) -> bool:
        return self.status in (JobStatus.QUEUED, JobStatus.RUNNING)
