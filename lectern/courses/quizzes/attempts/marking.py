"""Marks and grades of quiz attempts: marking answers (automatically, by a teacher, again after a question is
corrected), the cadet's grade in a quiz by its grading method, and the pass that a course's completion counts.

Takes a session and plain values, never the request. Services that change marks commit, as attempts do (see
services.py): a mark that a teacher was told is saved is saved.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

from lectern.courses.content import progress
from lectern.courses.models import CourseCompletion
from lectern.courses.quizzes import grading as quiz_grading
from lectern.courses.quizzes.models import Attempt, AttemptAnswer, AttemptState, BankQuestion, Quiz, QuizPass
from lectern.courses.quizzes.questions import Question, QuestionType, from_data, same_shape
from lectern.domain import Conflict, Invalid
from lectern.extensions import DbSession
from lectern.platform.models import User


class MarkReason(StrEnum):
    """Why a teacher's mark is refused."""

    NOT_MARKED = "not_marked"  # Invalid: a description takes no mark
    OUT_OF_RANGE = "out_of_range"  # Invalid: between 0 and the answer's maximum (param `limit`)
    NOT_FINISHED = "not_finished"  # Conflict: the attempt is still in progress


class Marked(NamedTuple):
    """An answer's automatic marking: its fraction and mark (None: waits for a teacher), and its state."""

    fraction: float | None
    mark: float | None
    state: str


def auto_mark(question: Question, response: object, max_mark: float) -> Marked:
    """The automatic marking of a response to a question worth `max_mark`."""
    result = quiz_grading.grade(question, response)
    if result.state in ("unanswered", "needs_grading", "not_graded"):
        zero = 0.0 if result.state == "unanswered" else None
        return Marked(zero, zero, result.state)
    return Marked(result.fraction, round(result.fraction * max_mark, 7), result.state)


def grade_answer(answer: AttemptAnswer) -> None:
    """Mark one answer automatically, unless a teacher has marked it."""
    if answer.graded_by_id is not None:
        return  # a teacher's mark stands until the teacher changes it
    answer.fraction, answer.mark, answer.state = auto_mark(answer.question, answer.response, answer.max_mark)


def attempt_mark(marks: Iterable[float | None]) -> float:
    """An attempt's mark from its answers' marks (one waiting for a teacher counts 0 until marked)."""
    return round(math.fsum(m or 0.0 for m in marks), 7)


def total(attempt: Attempt) -> None:
    """The attempt's mark from its answers' marks, and whether an answer waits for a teacher."""
    attempt.needs_grading = any(a.state == "needs_grading" for a in attempt.answers)
    attempt.mark = attempt_mark(a.mark for a in attempt.answers)


def quiz_grades(session: DbSession, quiz: Quiz, user_ids: Sequence[int] | None = None) -> dict[int, float | None]:
    """Each cadet's grade in the quiz, in percent, by its grading method (None: nothing finished or graded yet)."""
    query = select(Attempt).where(Attempt.quiz_id == quiz.id).order_by(Attempt.user_id, Attempt.number)
    if user_ids is not None:
        query = query.where(Attempt.user_id.in_(user_ids))
    by_user: dict[int, list[float | None]] = {}
    for attempt in session.scalars(query):
        counted = attempt.state is AttemptState.FINISHED and not attempt.needs_grading
        by_user.setdefault(attempt.user_id, []).append(attempt.percent if counted else None)
    return {uid: quiz_grading.overall(quiz.grading_method, scores) for uid, scores in by_user.items()}


def passed(quiz: Quiz, percent: float | None) -> bool | None:
    """True or False against the pass mark; None when the quiz has none or there is no grade."""
    if quiz.pass_percent is None or percent is None:
        return None
    return percent + 1e-9 >= quiz.pass_percent


def update_pass(session: DbSession, quiz: Quiz, user_id: int, now: datetime) -> None:
    """Record or withdraw the cadet's pass after a grade changed, and re-check the course's completion."""
    # Without a pass mark there is no pass to record, whatever the grade (and no grade to read).
    grade = quiz_grades(session, quiz, [user_id]).get(user_id) if quiz.pass_percent is not None else None
    if passed(quiz, grade):
        if progress.insert_once(session, QuizPass, user_id=user_id, quiz_id=quiz.id, passed_at=now):
            progress.check_course_completion(session, user_id, quiz.course_id, now)
    else:
        withdrawn = session.execute(delete(QuizPass).where(QuizPass.user_id == user_id, QuizPass.quiz_id == quiz.id))
        if getattr(withdrawn, "rowcount", 0) and quiz.required_for_completion:
            session.execute(
                delete(CourseCompletion).where(
                    CourseCompletion.user_id == user_id, CourseCompletion.course_id == quiz.course_id
                )
            )


# --- teachers' marks ----------------------------------------------------------------------------------------------


def grade_by_hand(
    session: DbSession, answer: AttemptAnswer, mark: float, comment: str, grader: User, now: datetime
) -> None:
    """A teacher's mark for one answer (an essay, or overriding the automatic grade); commits. Invalid for an item
    that takes no mark or a mark out of range, Conflict for an attempt still in progress."""
    if answer.question.type is QuestionType.DESCRIPTION:
        raise Invalid(MarkReason.NOT_MARKED, field="mark")
    if isinstance(mark, bool) or not math.isfinite(mark) or not 0 <= mark <= answer.max_mark:
        raise Invalid(MarkReason.OUT_OF_RANGE, field="mark", limit=answer.max_mark)
    attempt = answer.attempt
    if attempt.state is not AttemptState.FINISHED:
        raise Conflict(MarkReason.NOT_FINISHED)
    answer.mark = round(float(mark), 7)
    answer.fraction = round(mark / answer.max_mark, 7) if answer.max_mark > 0 else 0.0
    answer.state = quiz_grading.manual_grade(answer.question, answer.fraction * answer.question.default_mark).state
    answer.comment = comment
    answer.graded_by_id = grader.id
    answer.graded_at = now
    total(attempt)
    session.flush()
    update_pass(session, attempt.quiz, attempt.user_id, now)
    session.commit()


def grading_queue(session: DbSession, quiz: Quiz) -> list[AttemptAnswer]:
    """Answers waiting for a teacher's mark, oldest attempt first."""
    return list(
        session.scalars(
            select(AttemptAnswer)
            .join(Attempt, Attempt.id == AttemptAnswer.attempt_id)
            .where(
                Attempt.quiz_id == quiz.id,
                Attempt.state == AttemptState.FINISHED,
                AttemptAnswer.state == "needs_grading",
            )
            .options(selectinload(AttemptAnswer.attempt).selectinload(Attempt.user))
            .order_by(Attempt.finished_at, AttemptAnswer.position)
        )
    )


def outdated_count(session: DbSession, question: BankQuestion) -> int:
    """How many attempt answers were given to an older version of the question."""
    return (
        session.scalar(
            select(func.count()).where(
                AttemptAnswer.question_id == question.id, AttemptAnswer.version < question.version
            )
        )
        or 0
    )


def regrade(session: DbSession, question: BankQuestion, now: datetime) -> tuple[int, int]:
    """Apply the corrected question to the attempts that were asked an older version and re-mark them.

    Returns (regraded, skipped): an answer is skipped when the correction changed what its response indexes
    (the number of choices, stems or options), as Moodle refuses such regrades. Commits."""
    new = question.question
    regraded = skipped = 0
    touched: dict[int, Attempt] = {}
    answers = session.scalars(
        select(AttemptAnswer).where(AttemptAnswer.question_id == question.id, AttemptAnswer.version < question.version)
    )
    for answer in list(answers):
        if not same_shape(from_data(answer.question_data), new):
            skipped += 1
            continue
        answer.question_data = question.data
        answer.version = question.version
        attempt = answer.attempt
        if attempt.state is AttemptState.FINISHED:
            grade_answer(answer)
            touched[attempt.id] = attempt
        regraded += 1
    session.flush()
    for attempt in touched.values():
        total(attempt)
    session.flush()
    for quiz_id, user_id in {(a.quiz_id, a.user_id) for a in touched.values()}:
        quiz = session.get(Quiz, quiz_id)
        if quiz is not None:
            update_pass(session, quiz, user_id, now)
    session.commit()
    return regraded, skipped
