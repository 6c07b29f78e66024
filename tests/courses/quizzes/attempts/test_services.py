"""Attempts as a service: starting, saving answers, finishing, deadlines, grades, passes, regrading."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from lectern.courses.quizzes.attempts import marking
from lectern.courses.quizzes.attempts import services as quiz_attempts
from lectern.courses.quizzes.attempts.services import AttemptReason, Refusal
from lectern.courses.quizzes.models import Attempt, AttemptState, Quiz
from lectern.domain import Conflict, Forbidden, NotFound
from lectern.extensions import db
from lectern.platform.models import Role, User, utcnow
from tests.factories import RIGHT


@pytest.fixture
def setup(app: Any, make: Any) -> dict[str, Any]:
    academy = make.academy()
    teacher = make.user(Role.INSTRUCTOR, academy)
    cadet = make.user(Role.CADET, academy)
    other = make.user(Role.CADET, academy)
    course = make.course(academy.id)
    make.staff(course.id, teacher.id)
    make.enrol(course.id, cadet.id)
    make.enrol(course.id, other.id)
    return {"course": course, "cadet": cadet, "other": other, "teacher": teacher, "make": make}


def _quiz(app: Any, setup: dict[str, Any], **settings: Any) -> int:
    """A quiz of SAMPLE_GIFT's seven questions, added to the course's bank."""
    return setup["make"].quiz(setup["course"].id, **settings).id


def test_a_full_attempt_is_graded_with_the_essay_waiting(app: Any, setup: dict[str, Any]) -> None:
    quiz_id = _quiz(app, setup, pass_percent=50.0)
    now = utcnow()
    with app.app_context():
        quiz, cadet = db.session.get(Quiz, quiz_id), db.session.get(User, setup["cadet"].id)
        attempt = quiz_attempts.start(db.session, quiz, cadet, now)
        assert [a.position for a in attempt.answers] == list(range(7))
        for position, value in RIGHT.items():
            quiz_attempts.save_answer(db.session, attempt.id, cadet, position, value, 1, now)
        assert quiz_attempts.finish(db.session, attempt, now)
        assert not quiz_attempts.finish(db.session, attempt, now)  # twice is harmless
        attempt = db.session.get(Attempt, attempt.id)
        assert attempt.state is AttemptState.FINISHED
        assert attempt.mark == 6.0 and attempt.max_mark == 7.0
        assert attempt.needs_grading
        assert marking.quiz_grades(db.session, quiz)[cadet.id] is None  # the essay is not marked yet
        essay = attempt.answers[6]
        teacher = db.session.get(User, setup["teacher"].id)
        marking.grade_by_hand(db.session, essay, 0.5, "Good start", teacher, now)
        assert marking.quiz_grades(db.session, quiz)[cadet.id] == pytest.approx(100 * 6.5 / 7, abs=0.01)
        assert quiz_attempts.passes(db.session, cadet.id, [quiz_id]) == {quiz_id}


def test_an_older_save_never_overwrites_a_newer_one(app: Any, setup: dict[str, Any]) -> None:
    quiz_id = _quiz(app, setup)
    now = utcnow()
    with app.app_context():
        quiz, cadet = db.session.get(Quiz, quiz_id), db.session.get(User, setup["cadet"].id)
        attempt = quiz_attempts.start(db.session, quiz, cadet, now)
        assert quiz_attempts.save_answer(db.session, attempt.id, cadet, 0, 1, 5, now).seq == 5
        assert quiz_attempts.save_answer(db.session, attempt.id, cadet, 0, 2, 3, now).seq == 5
        db.session.expire_all()
        assert db.session.get(Attempt, attempt.id).answers[0].response == 1


def test_another_cadet_cannot_save_into_an_attempt(app: Any, setup: dict[str, Any]) -> None:
    quiz_id = _quiz(app, setup)
    with app.app_context():
        quiz, cadet = db.session.get(Quiz, quiz_id), db.session.get(User, setup["cadet"].id)
        attempt = quiz_attempts.start(db.session, quiz, cadet, utcnow())
        other = db.session.get(User, setup["other"].id)
        with pytest.raises(NotFound) as missing:
            quiz_attempts.save_answer(db.session, attempt.id, other, 0, 0, 1, utcnow())
        assert missing.value.reason is AttemptReason.NO_ATTEMPT


def test_after_the_deadline_answers_are_refused_and_the_attempt_is_finished(app: Any, setup: dict[str, Any]) -> None:
    quiz_id = _quiz(app, setup, time_limit_minutes=5)
    start = utcnow()
    with app.app_context():
        quiz, cadet = db.session.get(Quiz, quiz_id), db.session.get(User, setup["cadet"].id)
        attempt = quiz_attempts.start(db.session, quiz, cadet, start)
        assert attempt.deadline == start + timedelta(minutes=5)
        quiz_attempts.save_answer(db.session, attempt.id, cadet, 0, 0, 1, start + timedelta(minutes=4))
        with pytest.raises(Conflict) as closed:
            quiz_attempts.save_answer(db.session, attempt.id, cadet, 1, [0], 1, start + timedelta(minutes=6))
        assert closed.value.reason is AttemptReason.FINISHED
        db.session.expire_all()
        attempt = db.session.get(Attempt, attempt.id)
        assert attempt.state is AttemptState.FINISHED and attempt.mark == 1.0


def test_the_attempt_limit_and_an_extra_attempt(app: Any, setup: dict[str, Any]) -> None:
    from lectern.courses.quizzes.models import QuizOverride

    quiz_id = _quiz(app, setup, attempts_allowed=1)
    now = utcnow()
    with app.app_context():
        quiz, cadet = db.session.get(Quiz, quiz_id), db.session.get(User, setup["cadet"].id)
        quiz_attempts.finish(db.session, quiz_attempts.start(db.session, quiz, cadet, now), now)
        with pytest.raises(Forbidden) as refused:
            quiz_attempts.start(db.session, quiz, cadet, now)
        assert refused.value.reason is Refusal.NO_ATTEMPTS_LEFT
        db.session.add(QuizOverride(quiz_id=quiz_id, user_id=cadet.id, extra_attempts=1))
        db.session.commit()
        assert quiz_attempts.start(db.session, quiz, cadet, now).number == 2
