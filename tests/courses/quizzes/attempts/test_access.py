"""An attempt in progress when access ends, as Moodle decides it: a cadet unenrolled from the course, or whose quiz
was hidden (unpublished), can neither see, answer nor submit the attempt (403 with a message that says why); the
attempt is kept with its answers, goes on where it stopped when access comes back, and still closes at its
deadline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete

from lectern.courses.models import Enrolment
from lectern.courses.quizzes.models import Attempt, AttemptState, Quiz
from lectern.extensions import db
from lectern.platform.models import utcnow
from tests.courses.quizzes.attempts.test_views import _save, _start, _urls
from tests.courses.quizzes.attempts.test_views import world as world  # the fixture, shared


def _unenrol(app: Flask, world: dict[str, Any]) -> Callable[[], None]:
    course_id, user_id = world["course"].id, world["cadet"].id
    with app.app_context():
        db.session.execute(delete(Enrolment).where(Enrolment.course_id == course_id, Enrolment.user_id == user_id))
        db.session.commit()

    def restore() -> None:
        with app.app_context():
            db.session.add(Enrolment(course_id=course_id, user_id=user_id))
            db.session.commit()

    return restore


def _hide(app: Flask, world: dict[str, Any]) -> Callable[[], None]:
    def publish(value: bool) -> None:
        with app.app_context():
            db.session.get(Quiz, world["quiz"]).published = value
            db.session.commit()

    publish(False)
    return lambda: publish(True)


ENDINGS = {"unenrolled": (_unenrol, "no longer enrolled"), "quiz hidden": (_hide, "quiz has been hidden")}


def _attempt(app: Flask, attempt_id: int) -> Attempt:
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt is not None
        _ = [(a.response, a.seq) for a in attempt.answers]  # loaded before the session closes
        db.session.expunge(attempt)
        return attempt


@pytest.mark.parametrize("ending", list(ENDINGS))
def test_an_attempt_stops_when_access_ends_and_goes_on_when_it_returns(
    app: Flask, client: Any, world: dict[str, Any], ending: str
) -> None:
    end_access, says = ENDINGS[ending]
    client.login(world["cadet"].username)
    urls = _urls(world)
    attempt_id = _start(client, world)
    page = f"{urls['attempts']}/{attempt_id}"
    assert _save(client, world, attempt_id, 0, 0).status_code == 200
    token = client.csrf_token(page)

    restore = end_access(app, world)

    refused = _save(client, world, attempt_id, 1, [0, 1])
    assert refused.status_code == 403
    assert refused.get_json()["error"] in ("not_enrolled", "not_published")
    assert says in refused.get_json()["message"] and "kept" in refused.get_json()["message"]
    shown = client.get(page)
    assert shown.status_code == 403 and says in shown.get_data(as_text=True)
    submitted = client.post(f"{page}/submit", data={"csrf_token": token, "q2": "true"})
    assert submitted.status_code == 403 and says in submitted.get_data(as_text=True)
    review = client.get(f"{page}/review", follow_redirects=True)
    assert review.status_code == 403
    # Nothing lost, nothing added: the attempt is open with the one answer saved before.
    kept = _attempt(app, attempt_id)
    assert kept.state is AttemptState.IN_PROGRESS
    assert [(a.position, a.response) for a in kept.answers if a.response is not None] == [(0, 0)]

    restore()

    assert client.get(page).status_code == 200
    assert _save(client, world, attempt_id, 1, [0, 1]).status_code == 200
    done = client.submit(f"{page}/submit", {"q2": "true"}, page=page)
    assert done.status_code == 302 and done.headers["Location"].endswith("/review")
    finished = _attempt(app, attempt_id)
    assert finished.state is AttemptState.FINISHED and finished.mark == 3.0  # the sum, both letters, the sky
    assert client.get(f"{page}/review").status_code == 200

    # A finished attempt's review needs the same access (as in Moodle): its right answers are not shown after it.
    restore = end_access(app, world)
    review = client.get(f"{page}/review")
    assert review.status_code == 403 and says in review.get_data(as_text=True)
    restore()
    assert client.get(f"{page}/review").status_code == 200


def test_an_attempt_without_access_still_closes_at_its_deadline(app: Flask, client: Any, world: dict[str, Any]) -> None:
    with app.app_context():
        db.session.get(Quiz, world["quiz"]).time_limit_minutes = 10
        db.session.commit()
    client.login(world["cadet"].username)
    attempt_id = _start(client, world)
    assert _save(client, world, attempt_id, 0, 0).status_code == 200
    _unenrol(app, world)
    with app.app_context():
        db.session.get(Attempt, attempt_id).deadline = utcnow() - timedelta(minutes=1)
        db.session.commit()
    reply = _save(client, world, attempt_id, 1, [0])
    assert reply.status_code == 409 and reply.get_json()["error"] == "closed"
    closed = _attempt(app, attempt_id)
    assert closed.state is AttemptState.FINISHED and closed.mark == 1.0  # what was saved before the deadline
