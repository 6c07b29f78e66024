"""Background jobs through Huey: SQLite by default, Redis in production, inline in unit tests; retries, a status that
pages can show, and no job left running once its worker is gone.

The pieces, each in its module:
- `tasks`: `@task(retries=, retry_delay=, on_failure=)` declares a task; `some_task.enqueue(session, *args)` asks
  for a job of it (a `Job` row; the message leaves when the session commits).
- `models`: `Job`, the record of every job (status, attempts, progress, problem and error, runner, heartbeat).
- `queue`: the application's Huey (LECTERN_JOBS_URL, LECTERN_JOBS_QUEUE, LECTERN_JOBS_IMMEDIATE) and the tasks it
  runs (JOB_TASKS, which each area fills in its init_app).
- `runs`: one run of a job, its heartbeat and progress, and the sweep that resumes or fails a stopped worker's jobs.
- `worker`: `flask lectern worker`; `embedded`: the worker that `make run` starts beside the web app.

To show a job to its user: `job = db.session.get(Job, job_id)`, then `job.status`, `job.attempts` of
`job.max_attempts`, `job.progress`, and `problem_text(job)` (translated; None while nothing went wrong).
"""

from __future__ import annotations

from typing import Any

from lectern.i18n import lazy_gettext as _l
from lectern.platform.jobs.models import Job, JobStatus, Problem
from lectern.platform.jobs.queue import JOB_TASKS, Jobs, init_app, jobs_of
from lectern.platform.jobs.runs import JobFailed, current, progress
from lectern.platform.jobs.tasks import JobTask, task

__all__ = [
    "JOB_TASKS",
    "Job",
    "JobFailed",
    "JobStatus",
    "JobTask",
    "Jobs",
    "Problem",
    "current",
    "init_app",
    "jobs_of",
    "problem_text",
    "progress",
    "state",
    "task",
]

PROBLEM_TEXTS = {
    Problem.ERROR: _l("it failed on the server; the error has been logged"),
    Problem.REFUSED: _l("it was refused: %(error)s"),
    Problem.INTERRUPTED: _l("the server was restarted while it ran"),
    Problem.NOT_QUEUED: _l("it could not be queued; the error has been logged"),
    Problem.UNKNOWN_TASK: _l("this version of Lectern does not run it"),
}


def problem_text(job: Job) -> str | None:
    """What went wrong with the job (its last attempt, while a retry waits), in the user's language; None if
    nothing did. A refusal (JobFailed) shows the task's own message."""
    if job.problem is None:
        return None
    return str(PROBLEM_TEXTS[job.problem]) % {"error": job.error or ""}


def state(job: Job) -> dict[str, Any]:
    """The job as a page's script polls it."""
    return {
        "id": job.id,
        "status": job.status.value,
        "progress": job.progress,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "problem": problem_text(job),
    }
