"""Tasks, jobs and their rows, run inline (LECTERN_JOBS_IMMEDIATE); the message leaves with the commit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from lectern.extensions import db
from lectern.platform import jobs
from lectern.platform.jobs import Job, JobStatus, Problem, jobs_of, outbox
from lectern.platform.jobs.runs import runner_name
from lectern.platform.models import Role
from tests.platform.jobs import tasks


@pytest.fixture
def app(app_factory: Any) -> Flask:
    return tasks.add_tasks(app_factory(LECTERN_JOBS_IMMEDIATE=True))


def run(app: Flask, task: jobs.JobTask[Any], *args: Any, **kwargs: Any) -> Job:
    """Ask for a job of `task` and commit (which runs it, inline); the job's row afterwards."""
    with app.app_context():
        job_id = task.enqueue(db.session, *args, **kwargs).id
        db.session.commit()
        db.session.expire_all()
        job = db.session.get(Job, job_id)
        assert job is not None
        db.session.expunge(job)
        return job


def test_a_job_runs_and_its_row_says_so(app: Flask, make: Any) -> None:
    teacher = make.user(Role.INSTRUCTOR)
    job = run(app, tasks.add, 2, 3, academy_id=teacher.academy_id, user_id=teacher.id)
    assert (job.kind, job.status, job.result, job.progress) == ("tests.add", JobStatus.DONE, 5, 100)
    assert (job.attempts, job.max_attempts, job.problem, job.error) == (1, 1, None, None)
    assert job.payload == {"args": [2, 3]} and (job.academy_id, job.user_id) == (teacher.academy_id, teacher.id)
    assert job.runner == runner_name()  # inline: this process
    assert job.started_at is not None and job.finished_at is not None and job.started_at <= job.finished_at
    assert jobs.state(job) == {
        "id": job.id,
        "status": "done",
        "progress": 100,
        "attempts": 1,
        "max_attempts": 1,
        "problem": None,
    }
    assert tasks.add(2, 3) == 5  # still a plain function where called as one


def test_an_error_is_retried_until_it_succeeds(app: Flask, tmp_path: Path) -> None:
    job = run(app, tasks.flaky, str(tmp_path / "count"), 2)
    assert (job.status, job.attempts, job.max_attempts, job.result) == (JobStatus.DONE, 3, 3, 3)
    assert job.problem is None and job.error is None  # the earlier attempts' error is cleared by the success


def test_an_error_on_the_last_attempt_fails_the_job_and_calls_on_failure(app: Flask) -> None:
    job = run(app, tasks.boom)
    assert (job.status, job.attempts, job.max_attempts, job.problem) == (JobStatus.FAILED, 2, 2, Problem.ERROR)
    assert job.error == "RuntimeError: boom"
    assert job.result == {"cleaned_up_after": "error"}  # the task's on_failure ran, in the same transaction
    with app.test_request_context():
        assert jobs.problem_text(job) == "it failed on the server; the error has been logged"


def test_a_refusal_fails_at_once_with_its_reason(app: Flask) -> None:
    job = run(app, tasks.refuse, "the recording is empty")
    assert (job.status, job.attempts, job.max_attempts, job.problem) == (JobStatus.FAILED, 1, 4, Problem.REFUSED)
    assert job.error == "the recording is empty" and job.result == {"cleaned_up_after": "refused"}
    with app.test_request_context():
        assert jobs.problem_text(job) == "it was refused: the recording is empty"
        assert jobs.state(job)["problem"] == "it was refused: the recording is empty"


def test_a_failing_on_failure_is_logged_and_the_job_fails_all_the_same(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    job = run(app, tasks.broken_cleanup)
    assert (job.status, job.problem, job.error) == (JobStatus.FAILED, Problem.REFUSED, "refused")
    assert job.result is None  # what the hook wrote before it failed is rolled back with it
    assert "the on_failure of tests.broken_cleanup failed" in caplog.text


def test_a_task_reports_its_progress_and_knows_its_attempt(app: Flask) -> None:
    job = run(app, tasks.report_progress, 40)
    assert job.result == {"seen": 40, "attempt": 1, "last": True}
    assert job.progress == 100  # done
    jobs.progress(50)  # outside a job: nothing to report to, and no error
    assert jobs.current() is None


def test_arguments_must_be_plain_json_and_tasks_registered(app: Flask, app_factory: Any) -> None:
    with app.app_context():
        for bad in ((1, 2), {1: "a"}, object()):
            with pytest.raises(TypeError):
                tasks.wait_for.enqueue(db.session, bad)
        db.session.rollback()
    bare = app_factory(LECTERN_JOBS_IMMEDIATE=True)  # the test tasks not in its JOB_TASKS
    with bare.app_context(), pytest.raises(LookupError, match=r"tests\.add is not registered"):
        tasks.add.enqueue(db.session, 1, 2)


def test_the_message_leaves_with_the_commit_and_not_with_a_rollback(app_factory: Any) -> None:
    app = tasks.add_tasks(app_factory())  # the SQLite queue in its instance folder, and no worker
    huey = jobs_of(app).huey
    with app.app_context():
        first = tasks.add.enqueue(db.session, 1, 1)
        assert outbox.pending(db.session()) == [first.id]
        assert huey.pending_count() == 0  # not before the commit: a worker would not find the row
        db.session.rollback()
        assert outbox.pending(db.session()) == [] and huey.pending_count() == 0
        second = tasks.add.enqueue(db.session, 2, 2)
        db.session.commit()
        assert huey.pending_count() == 1
        assert db.session.scalars(select(Job.id)).all() == [second.id]
        assert db.session.get(Job, second.id).status is JobStatus.QUEUED  # type: ignore[union-attr]
    assert jobs_of(app).config["LECTERN_JOBS_URL"] == f"sqlite:///{Path(app.instance_path) / 'jobs.db'}"


def test_a_job_whose_message_cannot_be_queued_fails_rather_than_waits(app_factory: Any) -> None:
    app = tasks.add_tasks(app_factory(LECTERN_JOBS_URL="redis://127.0.0.1:1/0"))  # nothing listens there
    with app.app_context():
        job_id = tasks.boom.enqueue(db.session).id
        db.session.commit()
        job = db.session.get(Job, job_id)
        assert job is not None and (job.status, job.problem) == (JobStatus.FAILED, Problem.NOT_QUEUED)
        assert "ConnectionError" in (job.error or "") and job.result == {"cleaned_up_after": "not_queued"}
