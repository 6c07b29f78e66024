"""Quiz attempts: who may start one, building it, saving answers as they are given, finishing (on submit or when
the server-kept deadline passes), grading by hand, regrading, and the cadet's quiz grade and pass.

Every save is committed before the browser is told "saved", so an acknowledged answer survives a reload, a lost
connection or a restart of the server. There is no background job: an attempt whose deadline has passed is finished
by whoever next looks at it (the cadet, the quiz page, the gradebook), with what was saved before the deadline.

Access is checked on every answer and on submitting, as Moodle does: a cadet unenrolled from the course, or whose
quiz was unpublished, can neither see nor continue an attempt in progress (Forbidden, with a `Refusal`). The
attempt is kept as it is, answers included, and goes on where it stopped if access comes back; its deadline still
closes it meanwhile. Marks and grades are marking.py's.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, bindparam, case, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from lectern.courses import access
from lectern.courses.models import Course, Enrolment
from lectern.courses.quizzes import grading as quiz_grading
from lectern.courses.quizzes.attempts import marking
from lectern.courses.quizzes.attempts import settings as attempt_settings

# Demo data marks essays, and the quiz templates show reviews, through here: kept for them until their imports
# are rewritten to marking.py and review.py.
from lectern.courses.quizzes.attempts.marking import grade_by_hand as grade_by_hand
from lectern.courses.quizzes.attempts.review import TEACHER_REVIEW as TEACHER_REVIEW
from lectern.courses.quizzes.attempts.review import response_for_display as response_for_display
from lectern.courses.quizzes.models import (
    Attempt,
    AttemptAnswer,
    AttemptState,
    BankQuestion,
    Quiz,
    QuizOverride,
    QuizPass,
    QuizSlot,
)
from lectern.courses.quizzes.questions import Question, QuestionType, from_data
from lectern.courses.quizzes.responses import InvalidResponse
from lectern.domain import Conflict, Forbidden, NotFound
from lectern.extensions import DbSession
from lectern.platform.accounts import sessions
from lectern.platform.models import User

# Answers that reach the server this long after the deadline still count: the request left the browser in time.
GRACE = timedelta(seconds=10)

# The tables of the hot paths' statements, which are built once as SQLAlchemy Core (no ORM objects are made).
_attempt, _quiz, _enrolment, _answer = (cast(Table, m.__table__) for m in (Attempt, Quiz, Enrolment, AttemptAnswer))
_slot, _question = (cast(Table, m.__table__) for m in (QuizSlot, BankQuestion))


class Refusal(enum.StrEnum):
    """Why a cadet may not start an attempt, or see or go on with one (Forbidden; the views word these)."""

    NOT_PUBLISHED = "not_published"
    NOT_OPEN = "not_open"
    CLOSED = "closed"
    NO_ATTEMPTS_LEFT = "no_attempts_left"
    NO_QUESTIONS = "no_questions"
    NOT_ENROLLED = "not_enrolled"


class AttemptReason(enum.StrEnum):
    """What else goes wrong with a quiz or an attempt."""

    NO_QUIZ = "no_quiz"  # NotFound: no such quiz in this course (or an unpublished one, for a cadet)
    NO_ATTEMPT = "no_attempt"  # NotFound: no such attempt of the user's (another cadet's does not exist for them)
    NO_ANSWER = "no_answer"  # NotFound: the attempt has no question at that position
    FINISHED = "finished"  # Conflict: the attempt is finished, or its time is up: no more answers


def quiz_of(session: DbSession, course: Course, quiz_id: int) -> Quiz:
    """The course's quiz; NotFound for a quiz of another course (a forged id)."""
    quiz = session.get(Quiz, quiz_id)
    if quiz is None or quiz.course_id != course.id:
        raise NotFound(AttemptReason.NO_QUIZ)
    return quiz


@dataclass(frozen=True)
class OpenedQuiz:
    """A quiz as a user opens it (`quiz_for`)."""

    course: Course
    quiz: Quiz
    teaching: bool  # the user teaches the course
    enrolled: bool  # the user is enrolled in the course
    settings: attempt_settings.Settings  # the quiz's settings for the user, their override applied


def quiz_for(session: DbSession, user: User, course_id: int, quiz_id: int) -> OpenedQuiz:
    """The course and its quiz as `user` may open them, read in one statement with whether they are enrolled and
    their override of the quiz's settings: the course as `access.get_listed` lets them reach it (NotFound), then
    teachers see every quiz, others the published ones (NotFound otherwise) of courses they are enrolled in
    (Forbidden otherwise)."""
    row = session.execute(
        access.reachable(user)
        .add_columns(Quiz, QuizOverride)
        .outerjoin(Quiz, (Quiz.id == quiz_id) & (Quiz.course_id == Course.id))
        .outerjoin(QuizOverride, (QuizOverride.quiz_id == Quiz.id) & (QuizOverride.user_id == user.id))
        .where(Course.id == course_id)
    ).one_or_none()
    if row is None:
        raise NotFound(access.AccessReason.NO_COURSE)
    enrolled = bool(row.enrolled)
    course = access.check_reachable(row.Course, bool(row.listed), enrolled)
    quiz = row.Quiz
    if quiz is None:
        raise NotFound(AttemptReason.NO_QUIZ)
    teaching = access.can_teach(session, user, course)
    if not teaching:
        if not quiz.published:
            raise NotFound(AttemptReason.NO_QUIZ)
        if not enrolled:
            raise Forbidden(access.AccessReason.NOT_ENROLLED)
    return OpenedQuiz(course, quiz, teaching, enrolled, attempt_settings.settings_of(quiz, row.QuizOverride))


def attempts_of(session: DbSession, quiz: Quiz, user_id: int) -> list[Attempt]:
    return list(
        session.scalars(
            select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.user_id == user_id).order_by(Attempt.number)
        )
    )


def access_refusal(session: DbSession, quiz: Quiz, user: User, enrolled: bool | None = None) -> Refusal | None:
    """Why `user` may not take the quiz at all now (start, see or continue an attempt), or None if they may
    (`enrolled`: whether they are enrolled in its course, when the caller has just read it)."""
    if not quiz.published:
        return Refusal.NOT_PUBLISHED
    if not (access.is_enrolled(session, user, quiz.course) if enrolled is None else enrolled):
        return Refusal.NOT_ENROLLED
    return None


def check_access(session: DbSession, attempt: Attempt, user: User, enrolled: bool | None = None) -> None:
    """Forbidden (a `Refusal`) unless `user` may see and continue the attempt now (see the module's docstring).
    Rolls the session back first when refusing, so that a lock taken for the attempt is released. `enrolled`:
    whether the user is enrolled in its course, when the caller has just read it."""
    reason = access_refusal(session, attempt.quiz, user, enrolled)
    if reason is not None:
        session.rollback()
        raise Forbidden(reason)


def refusal(
    session: DbSession,
    quiz: Quiz,
    user: User,
    now: datetime,
    settings: attempt_settings.Settings | None = None,
    used: int | None = None,
    enrolled: bool | None = None,
    check_questions: bool = True,
) -> Refusal | None:
    """Why `user` may not start a new attempt now, or None if they may (`settings`, `enrolled`: theirs, when
    already read; without `check_questions`, the caller finds out itself whether the quiz has questions)."""
    reason = access_refusal(session, quiz, user, enrolled)
    if reason is not None:
        return reason
    settings = settings or attempt_settings.settings_for(session, quiz, user.id)
    if settings.opens_at is not None and now < settings.opens_at:
        return Refusal.NOT_OPEN
    if settings.is_closed(now):
        return Refusal.CLOSED
    if used is None:
        used = session.scalar(select(func.count()).where(Attempt.quiz_id == quiz.id, Attempt.user_id == user.id)) or 0
    if settings.attempts_allowed and used >= settings.attempts_allowed:
        return Refusal.NO_ATTEMPTS_LEFT
    if check_questions and not quiz.slots:
        return Refusal.NO_QUESTIONS
    return None


def in_progress(session: DbSession, quiz: Quiz, user_id: int) -> Attempt | None:
    return session.scalar(
        select(Attempt).where(
            Attempt.quiz_id == quiz.id, Attempt.user_id == user_id, Attempt.state == AttemptState.IN_PROGRESS
        )
    )


@dataclass(frozen=True)
class _Drawn:
    """A question drawn for a new attempt: what its answer row is made of."""

    question_id: int
    data: dict[str, object]
    version: int
    mark: float


def _draw(session: DbSession, quiz: Quiz, seed: str) -> list[_Drawn]:
    """The questions of a new attempt, slot by slot: random slots draw distinct questions not otherwise used. Read
    as SQLAlchemy Core rows (a whole class starts the same exam in the same second): the slots with their fixed
    questions in one statement, and a statement per random slot."""
    slots = session.execute(_DRAW_SLOTS, {"quiz": quiz.id}).all()
    used: set[int] = {slot.question_id for slot in slots if slot.question_id is not None}
    drawn: list[_Drawn] = []
    for slot in slots:
        if slot.fixed_id is not None:
            if slot.question_id is not None:  # else deleted meanwhile (its slot goes with it)
                drawn.append(_Drawn(slot.question_id, slot.data, slot.version, slot.mark))
            continue
        pool = [q for q in session.execute(_DRAW_POOL, {"category": slot.category_id}) if q.id not in used]
        if not pool:
            continue  # the category ran dry: the attempt has fewer questions (the quiz page warns the editor)
        pick = pool[quiz_grading.permutation(len(pool), seed, f"slot{slot.id}").order[0]]
        used.add(pick.id)
        drawn.append(_Drawn(pick.id, pick.data, pick.version, slot.mark))
    if quiz.shuffle_questions:
        drawn = quiz_grading.permutation(len(drawn), seed, "questions").apply(drawn)
    return drawn


_DRAW_SLOTS = (
    select(
        _slot.c.id,
        _slot.c.category_id,
        _slot.c.mark,
        _slot.c.question_id.label("fixed_id"),
        _question.c.id.label("question_id"),
        _question.c.data,
        _question.c.version,
    )
    .select_from(_slot.outerjoin(_question, _question.c.id == _slot.c.question_id))
    .where(_slot.c.quiz_id == bindparam("quiz"))
    .order_by(_slot.c.position, _slot.c.id)
)
_DRAW_POOL = (
    select(_question.c.id, _question.c.data, _question.c.version)
    .where(_question.c.category_id == bindparam("category"), _question.c.type != QuestionType.DESCRIPTION)
    .order_by(_question.c.id)
)


def start(session: DbSession, quiz: Quiz, user: User, now: datetime) -> Attempt:
    """The cadet's attempt in progress, or a new one; Forbidden (a `Refusal`) when they may not start one. Commits."""
    attempt = session.get(Attempt, begin(session, quiz, user, now))
    assert attempt is not None
    return attempt


def begin(
    session: DbSession,
    quiz: Quiz,
    user: User,
    now: datetime,
    enrolled: bool | None = None,
    settings: attempt_settings.Settings | None = None,
) -> int:
    """`start`, giving the attempt's id: the Start button of a whole class at the same second needs no more. The
    attempt and its answers are written as SQLAlchemy Core rows, not ORM objects. `enrolled`, `settings`: whether
    the user is enrolled in the quiz's course and their settings of the quiz, when the caller has just read them
    (else they are read here)."""
    # One statement, so one snapshot: the attempt in progress, how many were used, the last number, and whether
    # one is overdue (finished first, then read again). A tab that does not see another tab's new attempt computes
    # its number too, and the unique number makes it use that one.
    overdue, current_id, used, last = session.execute(
        _START_STATE, {"quiz": quiz.id, "user": user.id, "overdue_before": now - GRACE}
    ).one()
    if overdue is not None:
        finish_overdue(session, quiz, now, user_id=user.id)
        overdue, current_id, used, last = session.execute(
            _START_STATE, {"quiz": quiz.id, "user": user.id, "overdue_before": now - GRACE}
        ).one()
    if current_id is not None:
        return int(current_id)
    settings = settings or attempt_settings.settings_for(session, quiz, user.id)
    reason = refusal(session, quiz, user, now, settings, used=used, enrolled=enrolled, check_questions=False)
    if reason is not None:
        raise Forbidden(reason)
    number = (last or 0) + 1
    deadlines = [d for d in (settings.closes_at, now + settings.time_limit if settings.time_limit else None) if d]
    drawn = _draw(session, quiz, f"{quiz.id}:{user.id}:{number}")
    if not drawn:
        raise Forbidden(Refusal.NO_QUESTIONS)
    try:
        attempt_id = session.execute(
            insert(_attempt).returning(_attempt.c.id),
            {
                "quiz_id": quiz.id,
                "user_id": user.id,
                "number": number,
                "state": AttemptState.IN_PROGRESS,
                "started_at": now,
                "deadline": min(deadlines) if deadlines else None,
                "max_mark": math.fsum(question.mark for question in drawn),
            },
        ).scalar_one()
        session.execute(
            insert(_answer),
            [
                {"attempt_id": attempt_id, "position": i, "question_id": q.question_id, "question_data": q.data,
                 "version": q.version, "max_mark": q.mark}
                for i, q in enumerate(drawn)
            ],
        )  # fmt: skip
        session.commit()
    except IntegrityError:  # a second tab started the same attempt number at the same moment: use that one
        session.rollback()
        current = in_progress(session, quiz, user.id)
        if current is None:
            raise
        return current.id
    return int(attempt_id)


_START_STATE = select(
    func.max(
        case(
            (
                (_attempt.c.state == AttemptState.IN_PROGRESS) & (_attempt.c.deadline < bindparam("overdue_before")),
                _attempt.c.id,
            )
        )
    ),
    func.max(case((_attempt.c.state == AttemptState.IN_PROGRESS, _attempt.c.id))),
    func.count(),
    func.max(_attempt.c.number),
).where(_attempt.c.quiz_id == bindparam("quiz"), _attempt.c.user_id == bindparam("user"))


def shuffle_seed(attempt: Attempt, position: int) -> str:
    """The seed of the answer order of one question of one attempt (stable across reloads and reviews)."""
    return f"{attempt.id}:{position}"


def own_attempt(session: DbSession, user: User, attempt_id: int, course_id: int | None = None) -> Attempt:
    """The user's own attempt (at a quiz of the course `course_id`, if given), else NotFound: another cadet's
    attempt does not exist for them."""
    return own_attempt_enrolled(session, user, attempt_id, course_id)[0]


def own_attempt_enrolled(
    session: DbSession, user: User, attempt_id: int, course_id: int | None = None
) -> tuple[Attempt, bool]:
    """`own_attempt`, and whether the user is enrolled in its course, in the same statement (`check_access` asks)."""
    # With its quiz and course in the same statement: every page of an attempt shows them or checks access by them.
    enrolled = select(Enrolment.id).where(Enrolment.course_id == Quiz.course_id, Enrolment.user_id == user.id).exists()
    row = session.execute(
        select(Attempt, enrolled.label("enrolled"))
        .join(Attempt.quiz)
        .options(contains_eager(Attempt.quiz).joinedload(Quiz.course))
        .where(Attempt.id == attempt_id)
    ).one_or_none()
    if row is None or row.Attempt.user_id != user.id:
        raise NotFound(AttemptReason.NO_ATTEMPT)
    attempt = row.Attempt
    if course_id is not None and attempt.quiz.course_id != course_id:
        raise NotFound(AttemptReason.NO_ATTEMPT)
    return attempt, bool(row.enrolled)


def _overdue(attempt: Attempt, now: datetime) -> bool:
    return attempt.deadline is not None and now > attempt.deadline + GRACE


@dataclass(frozen=True)
class Saved:
    position: int
    seq: int  # the sequence number the server now holds for this answer
    saved_at: datetime


# A save's two statements, built once (as SQLAlchemy Core: no ORM objects are made): what save_answer reads, with the
# attempt's row locked, and its write, which changes only an answer older than the one sent, of an attempt still in
# progress (SQLite has no row lock: this is what keeps a save out of an attempt finished meanwhile there). The read
# also tells whether a sign-in (its digest) is open for the attempt's owner: a save sent with the request's sign-in
# (`sessions.SignIn`) is checked there, and the user is not loaded first.
_SAVE_READ = (
    select(
        _attempt.c.user_id,
        _attempt.c.state,
        _attempt.c.deadline,
        _quiz.c.course_id,
        _quiz.c.published,
        select(_enrolment.c.id)
        .where(_enrolment.c.course_id == _quiz.c.course_id, _enrolment.c.user_id == _attempt.c.user_id)
        .exists()
        .label("enrolled"),
        sessions.is_open_for(_attempt.c.user_id).label("signed_in"),
        _answer.c.question_data,
    )
    .select_from(
        _attempt.join(_quiz, _quiz.c.id == _attempt.c.quiz_id).outerjoin(
            _answer, (_answer.c.attempt_id == _attempt.c.id) & (_answer.c.position == bindparam("at"))
        )
    )
    .where(_attempt.c.id == bindparam("attempt"))
    .with_for_update(of=_attempt)
)
_SAVE_WRITE = (
    update(_answer)
    .where(
        _answer.c.attempt_id == bindparam("attempt"),
        _answer.c.position == bindparam("at"),
        _answer.c.seq < bindparam("new_seq"),
        select(_attempt.c.id)
        .where(_attempt.c.id == bindparam("attempt"), _attempt.c.state == AttemptState.IN_PROGRESS)
        .exists(),
    )
    .values(
        response=bindparam("new_response", type_=_answer.c.response.type),
        seq=bindparam("new_seq"),
        saved_at=bindparam("now", type_=_answer.c.saved_at.type),
    )
)


def save_answer(
    session: DbSession,
    attempt_id: int,
    user: User | sessions.SignIn,
    position: int,
    raw: object,
    seq: int,
    now: datetime,
    course_id: int | None = None,
) -> Saved:
    """Save one answer and commit. An older `seq` than the one stored is acknowledged but changes nothing, so a
    queue replayed out of order cannot overwrite a newer answer. With `course_id`, an attempt at a quiz of another
    course is not found. `user`: the cadet, or the request's sign-in, which must be open and the attempt's owner's
    (else the attempt is not found: a caller may then look the user up the usual way). Raises NotFound, Conflict
    (FINISHED), Forbidden (a `Refusal`: no access now), and InvalidResponse for a response of the wrong shape."""
    # The hot path of an exam: one locking read gives the attempt's state, the quiz's, the cadet's enrolment and the
    # answer's question; then one conditional update, and the commit. The attempt's row stays locked until the
    # commit, so a submit (finish() claims it too) grades either before this save or after it, never in between.
    # A user: the attempt must be theirs. A sign-in: it must be open, and the attempt its user's.
    owner, digest = (None, user.digest) if isinstance(user, sessions.SignIn) else (user.id, "")
    where = {"attempt": attempt_id, "at": position}
    read = {**where, "digest": digest, "now": now}
    row = session.execute(_SAVE_READ, read).one_or_none()
    if (
        row is None
        or not (row.signed_in if owner is None else row.user_id == owner)
        or (course_id is not None and row.course_id != course_id)
    ):
        raise NotFound(AttemptReason.NO_ATTEMPT)
    if row.state is not AttemptState.IN_PROGRESS:
        raise Conflict(AttemptReason.FINISHED)
    if row.deadline is not None and now > row.deadline + GRACE:
        attempt = session.get(Attempt, attempt_id)
        if attempt is not None:
            finish(session, attempt, now)
        raise Conflict(AttemptReason.FINISHED)
    reason = Refusal.NOT_PUBLISHED if not row.published else None if row.enrolled else Refusal.NOT_ENROLLED
    if reason is not None:
        session.rollback()  # the attempt's lock is released
        raise Forbidden(reason)
    if row.question_data is None:
        raise NotFound(AttemptReason.NO_ANSWER)
    stored = to_json(quiz_grading.normalise_response(from_data(row.question_data), raw))
    result = session.execute(_SAVE_WRITE, {**where, "new_response": stored, "new_seq": seq, "now": now})
    session.commit()
    if getattr(result, "rowcount", 0):
        return Saved(position, seq, now)
    held = session.execute(
        select(AttemptAnswer.seq, AttemptAnswer.saved_at, Attempt.state)
        .join(Attempt, Attempt.id == AttemptAnswer.attempt_id)
        .where(AttemptAnswer.attempt_id == attempt_id, AttemptAnswer.position == position)
    ).one()
    if held.state is not AttemptState.IN_PROGRESS:
        raise Conflict(AttemptReason.FINISHED)
    return Saved(position, held.seq, held.saved_at or now)


def to_json(value: quiz_grading.Response) -> object:
    """A normalised response as JSON stores it: a set as a sorted list, a matching answer with string keys."""
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    return value


# What a submitted form says of one question: (whether the form carries it, the raw value), as `finish` asks.
Given = Callable[[Question, int], tuple[bool, object]]


def finish(session: DbSession, attempt: Attempt, now: datetime, given: Given | None = None) -> bool:
    """Grade and close the attempt, and commit; True if it was open (submitting twice is harmless). `given`: the
    answers the submitting form carries (a browser without JavaScript saved none of them), kept before the grading
    where they differ from the saved ones, as a save would keep them; a value that is not a valid answer is left out
    and the saved one stands."""
    # The claim comes first and holds the attempt's row until the commit, so a save either committed before it (and
    # is read below and graded) or finds the attempt finished. Then the answers as committed, each marked, the marks
    # written in one statement, the attempt's total: a few statements, as everyone submits in the last seconds.
    claimed = session.execute(_FINISH_CLAIM, {"attempt": attempt.id}).first()
    if claimed is None:
        session.rollback()
        return False
    marks: list[float | None] = []
    waiting = False
    changes = []
    kept = []
    for row in session.execute(_FINISH_READ, {"attempt": attempt.id}):
        question = from_data(row.question_data)
        response = row.response
        if given is not None and (new := _given_response(question, row.position, response, given)) is not None:
            response = new[0]
            kept.append({"at": row.position, "new_response": response, "new_seq": row.seq + 1, "now": now})
        if row.graded_by_id is None:  # a teacher's mark stands until the teacher changes it
            fraction, mark, state = marking.auto_mark(question, response, row.max_mark)
            changes.append({"at": row.position, "new_fraction": fraction, "new_mark": mark, "new_state": state})
        else:
            mark, state = row.mark, row.state
        marks.append(mark)
        waiting = waiting or state == "needs_grading"
    if kept:
        session.execute(_FINISH_KEEP, [{"attempt": attempt.id, **change} for change in kept])
    if changes:
        session.execute(_FINISH_MARK, [{"attempt": attempt.id, **change} for change in changes])
    finished_at = min(now, claimed.deadline + GRACE) if claimed.deadline else now
    total = {"new_mark": marking.attempt_mark(marks), "new_waiting": waiting, "new_finished_at": finished_at}
    session.execute(_FINISH_TOTAL, {"attempt": attempt.id, **total})
    # The quiz first: the attempt's page loaded it with the attempt, and only the attempt holds it (the session's
    # identity map keeps no object alive), so asking after the attempt is expired would read it again.
    quiz = session.get(Quiz, claimed.quiz_id)
    assert quiz is not None
    if attempt in session:
        session.expire(attempt)  # written above without the ORM: the grade below, and whoever asks next, read it
    marking.update_pass(session, quiz, claimed.user_id, now)
    session.commit()
    return True


def _given_response(question: Question, position: int, saved: object, given: Given) -> tuple[object] | None:
    """(the response to keep,) when the form gives a valid answer other than the saved one; else None."""
    present, raw = given(question, position)
    if not present:
        return None
    try:
        normalised = quiz_grading.normalise_response(question, raw)
    except InvalidResponse:
        return None  # the saved answer stands
    try:
        before = None if saved is None else quiz_grading.normalise_response(question, saved)
    except InvalidResponse:
        before = None
    return None if normalised == before else (to_json(normalised),)


# finish()'s statements, built once as SQLAlchemy Core.
_FINISH_CLAIM = (
    update(_attempt)
    .where(_attempt.c.id == bindparam("attempt"), _attempt.c.state == AttemptState.IN_PROGRESS)
    .values(state=AttemptState.FINISHED)
    .returning(_attempt.c.deadline, _attempt.c.user_id, _attempt.c.quiz_id)
)
_FINISH_READ = select(
    _answer.c.position,
    _answer.c.question_data,
    _answer.c.response,
    _answer.c.seq,
    _answer.c.max_mark,
    _answer.c.mark,
    _answer.c.state,
    _answer.c.graded_by_id,
).where(_answer.c.attempt_id == bindparam("attempt"))
_FINISH_TOTAL = (
    update(_attempt)
    .where(_attempt.c.id == bindparam("attempt"))
    .values(
        mark=bindparam("new_mark"),
        needs_grading=bindparam("new_waiting"),
        finished_at=bindparam("new_finished_at", type_=_attempt.c.finished_at.type),
    )
)
_FINISH_KEEP = (
    update(_answer)
    .where(_answer.c.attempt_id == bindparam("attempt"), _answer.c.position == bindparam("at"))
    .values(
        response=bindparam("new_response", type_=_answer.c.response.type),
        seq=bindparam("new_seq"),
        saved_at=bindparam("now", type_=_answer.c.saved_at.type),
    )
)
_FINISH_MARK = (
    update(_answer)
    .where(_answer.c.attempt_id == bindparam("attempt"), _answer.c.position == bindparam("at"))
    .values(fraction=bindparam("new_fraction"), mark=bindparam("new_mark"), state=bindparam("new_state"))
)


def finish_overdue(
    session: DbSession,
    quiz: Quiz | None,
    now: datetime,
    user_id: int | None = None,
    *,
    course_ids: Collection[int] | None = None,
) -> int:
    """Finish the attempts (of a quiz, of a cadet, of the quizzes of some courses) whose deadline has passed, with
    what was saved. One query when there are none."""
    query = select(Attempt.id).where(Attempt.state == AttemptState.IN_PROGRESS, Attempt.deadline < now - GRACE)
    if quiz is not None:
        query = query.where(Attempt.quiz_id == quiz.id)
    if user_id is not None:
        query = query.where(Attempt.user_id == user_id)
    if course_ids is not None:
        query = query.join(Quiz, Quiz.id == Attempt.quiz_id).where(Quiz.course_id.in_(list(course_ids)))
    done = 0
    for attempt_id in list(session.scalars(query)):
        attempt = session.get(Attempt, attempt_id)
        if attempt is not None and finish(session, attempt, now):
            done += 1
    return done


def quizzes_of(session: DbSession, course_id: int, *, published_only: bool) -> list[Quiz]:
    query = select(Quiz).where(Quiz.course_id == course_id).order_by(Quiz.created_at, Quiz.id)
    if published_only:
        query = query.where(Quiz.published.is_(True))
    return list(session.scalars(query))


def passes(session: DbSession, user_id: int, quiz_ids: Iterable[int]) -> set[int]:
    """The quizzes among `quiz_ids` the user has passed (no query for none: most course pages)."""
    quiz_ids = list(quiz_ids)
    if not quiz_ids:
        return set()
    return set(
        session.scalars(
            select(QuizPass.quiz_id).where(QuizPass.user_id == user_id, QuizPass.quiz_id.in_(list(quiz_ids)))
        )
    )
