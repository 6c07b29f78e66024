"""Quiz attempts: who may start one, building it, saving answers as they are given, finishing (on submit or when
the server-kept deadline passes), grading by hand, regrading, and the cadet's quiz grade and pass.

Every save is committed before the browser is told "saved", so an acknowledged answer survives a reload, a lost
connection or a restart of the server. There is no background job: an attempt whose deadline has passed is finished
by whoever next looks at it (the cadet, the quiz page, the gradebook), with what was saved before the deadline.

Access is checked on every answer and on submitting, as Moodle does: a cadet unenrolled from the course, or whose
quiz was unpublished, can neither see nor continue an attempt in progress (QuizRefused). The attempt is kept as it
is, answers included, and goes on where it stopped if access comes back; its deadline still closes it meanwhile.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lectern.courses import access
from lectern.courses.models import CourseCompletion
from lectern.courses.quizzes import grading as quiz_grading
from lectern.courses.quizzes.grading import InvalidResponse
from lectern.courses.quizzes.models import (
    Attempt,
    AttemptAnswer,
    AttemptState,
    BankQuestion,
    Quiz,
    QuizOverride,
    QuizPass,
    QuizSlot,
    ReviewWhen,
)
from lectern.courses.quizzes.questions import QuestionType, from_data, same_shape
from lectern.extensions import DbSession
from lectern.platform.models import User

# Answers that reach the server this long after the deadline still count: the request left the browser in time.
GRACE = timedelta(seconds=10)

__all__ = ["InvalidResponse"]


class Refusal(enum.StrEnum):
    """Why a cadet may not start an attempt (the views word these)."""

    NOT_PUBLISHED = "not_published"
    NOT_OPEN = "not_open"
    CLOSED = "closed"
    NO_ATTEMPTS_LEFT = "no_attempts_left"
    NO_QUESTIONS = "no_questions"
    NOT_ENROLLED = "not_enrolled"


class QuizRefused(access.CourseError):
    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


class AttemptClosed(access.CourseError):
    """The attempt is finished (or its time is up): no more answers."""


@dataclass(frozen=True)
class Settings:
    """A quiz's settings for one cadet, overrides applied."""

    opens_at: datetime | None
    closes_at: datetime | None
    time_limit: timedelta | None
    attempts_allowed: int  # 0: unlimited

    def is_open(self, now: datetime) -> bool:
        return (self.opens_at is None or self.opens_at <= now) and not self.is_closed(now)

    def is_closed(self, now: datetime) -> bool:
        return self.closes_at is not None and now >= self.closes_at


def settings_for(session: DbSession, quiz: Quiz, user_id: int) -> Settings:
    override = session.get(QuizOverride, (quiz.id, user_id))
    closes_at = quiz.closes_at
    minutes = quiz.time_limit_minutes
    allowed = quiz.attempts_allowed
    if override is not None:
        if override.closes_at is not None and (closes_at is None or override.closes_at > closes_at):
            closes_at = override.closes_at
        if minutes and override.extra_minutes:
            minutes += override.extra_minutes
        if allowed and override.extra_attempts:
            allowed += override.extra_attempts
    return Settings(quiz.opens_at, closes_at, timedelta(minutes=minutes) if minutes else None, allowed)


def attempts_of(session: DbSession, quiz: Quiz, user_id: int) -> list[Attempt]:
    return list(
        session.scalars(
            select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.user_id == user_id).order_by(Attempt.number)
        )
    )


def access_refusal(session: DbSession, quiz: Quiz, user: User) -> Refusal | None:
    """Why `user` may not take the quiz at all now (start, see or continue an attempt), or None if they may."""
    if not quiz.published:
        return Refusal.NOT_PUBLISHED
    if not access.is_enrolled(session, user, quiz.course):
        return Refusal.NOT_ENROLLED
    return None


def check_access(session: DbSession, attempt: Attempt, user: User) -> None:
    """Raise QuizRefused unless `user` may see and continue the attempt now (see the module's docstring). Rolls the
    session back first when refusing, so that a lock taken for the attempt is released."""
    reason = access_refusal(session, attempt.quiz, user)
    if reason is not None:
        session.rollback()
        raise QuizRefused(reason)


def refusal(session: DbSession, quiz: Quiz, user: User, now: datetime) -> Refusal | None:
    """Why `user` may not start a new attempt now, or None if they may."""
    reason = access_refusal(session, quiz, user)
    if reason is not None:
        return reason
    settings = settings_for(session, quiz, user.id)
    if settings.opens_at is not None and now < settings.opens_at:
        return Refusal.NOT_OPEN
    if settings.is_closed(now):
        return Refusal.CLOSED
    used = session.scalar(select(func.count()).where(Attempt.quiz_id == quiz.id, Attempt.user_id == user.id)) or 0
    if settings.attempts_allowed and used >= settings.attempts_allowed:
        return Refusal.NO_ATTEMPTS_LEFT
    if not quiz.slots:
        return Refusal.NO_QUESTIONS
    return None


def in_progress(session: DbSession, quiz: Quiz, user_id: int) -> Attempt | None:
    return session.scalar(
        select(Attempt).where(
            Attempt.quiz_id == quiz.id, Attempt.user_id == user_id, Attempt.state == AttemptState.IN_PROGRESS
        )
    )


def _draw(session: DbSession, quiz: Quiz, seed: str) -> list[tuple[QuizSlot, BankQuestion]]:
    """The questions of a new attempt, slot by slot: random slots draw distinct questions not otherwise used."""
    fixed = {s.question_id for s in quiz.slots if s.question_id is not None}
    used: set[int] = set(fixed)
    drawn: list[tuple[QuizSlot, BankQuestion]] = []
    for slot in quiz.slots:
        if slot.question is not None:
            drawn.append((slot, slot.question))
            continue
        pool = list(
            session.scalars(
                select(BankQuestion)
                .where(BankQuestion.category_id == slot.category_id, BankQuestion.type != QuestionType.DESCRIPTION)
                .order_by(BankQuestion.id)
            )
        )
        pool = [q for q in pool if q.id not in used]
        if not pool:
            continue  # the category ran dry: the attempt has fewer questions (the quiz page warns the editor)
        pick = pool[quiz_grading.permutation(len(pool), seed, f"slot{slot.id}").order[0]]
        used.add(pick.id)
        drawn.append((slot, pick))
    if quiz.shuffle_questions:
        drawn = quiz_grading.permutation(len(drawn), seed, "questions").apply(drawn)
    return drawn


def start(session: DbSession, quiz: Quiz, user: User, now: datetime) -> Attempt:
    """The cadet's attempt in progress, or a new one. Raises QuizRefused. Commits."""
    finish_overdue(session, quiz, now, user_id=user.id)
    current = in_progress(session, quiz, user.id)
    if current is not None:
        return current
    reason = refusal(session, quiz, user, now)
    if reason is not None:
        raise QuizRefused(reason)
    settings = settings_for(session, quiz, user.id)
    number = (
        session.scalar(select(func.max(Attempt.number)).where(Attempt.quiz_id == quiz.id, Attempt.user_id == user.id))
        or 0
    ) + 1
    deadlines = [d for d in (settings.closes_at, now + settings.time_limit if settings.time_limit else None) if d]
    drawn = _draw(session, quiz, f"{quiz.id}:{user.id}:{number}")
    if not drawn:
        raise QuizRefused(Refusal.NO_QUESTIONS)
    attempt = Attempt(
        quiz_id=quiz.id,
        user_id=user.id,
        number=number,
        started_at=now,
        deadline=min(deadlines) if deadlines else None,
        max_mark=math.fsum(slot.mark for slot, _ in drawn),
    )
    attempt.answers = [
        AttemptAnswer(position=i, question_id=q.id, question_data=q.data, version=q.version, max_mark=slot.mark)
        for i, (slot, q) in enumerate(drawn)
    ]
    session.add(attempt)
    try:
        session.commit()
    except IntegrityError:  # a second tab started the same attempt number at the same moment: use that one
        session.rollback()
        current = in_progress(session, quiz, user.id)
        if current is None:
            raise
        return current
    return attempt


def shuffle_seed(attempt: Attempt, position: int) -> str:
    """The seed of the answer order of one question of one attempt (stable across reloads and reviews)."""
    return f"{attempt.id}:{position}"


def own_attempt(session: DbSession, user: User, attempt_id: int) -> Attempt:
    """The user's own attempt, else NotFound (another cadet's attempt does not exist for them)."""
    attempt = session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != user.id:
        raise access.NotFound()
    return attempt


def _overdue(attempt: Attempt, now: datetime) -> bool:
    return attempt.deadline is not None and now > attempt.deadline + GRACE


@dataclass(frozen=True)
class Saved:
    position: int
    seq: int  # the sequence number the server now holds for this answer
    saved_at: datetime


def save_answer(
    session: DbSession,
    attempt_id: int,
    user: User,
    position: int,
    raw: object,
    seq: int,
    now: datetime,
    course_id: int | None = None,
) -> Saved:
    """Save one answer and commit. An older `seq` than the one stored is acknowledged but changes nothing, so a
    queue replayed out of order cannot overwrite a newer answer. With `course_id`, an attempt at a quiz of another
    course is not found. Raises NotFound, AttemptClosed, QuizRefused (no access now), InvalidResponse."""
    query = select(Attempt).where(Attempt.id == attempt_id)
    if course_id is not None:  # checked in the same locking read: this is the hot path of an exam
        query = query.join(Quiz, Quiz.id == Attempt.quiz_id).where(Quiz.course_id == course_id)
    attempt = session.scalar(query.with_for_update(of=Attempt))
    if attempt is None or attempt.user_id != user.id:
        raise access.NotFound()
    if attempt.state is not AttemptState.IN_PROGRESS:
        raise AttemptClosed()
    if _overdue(attempt, now):
        finish(session, attempt, now)
        raise AttemptClosed()
    check_access(session, attempt, user)
    answer = session.get(AttemptAnswer, (attempt.id, position))
    if answer is None:
        raise access.NotFound()
    stored = to_json(quiz_grading.normalise_response(answer.question, raw))
    result = session.execute(
        update(AttemptAnswer)
        .where(AttemptAnswer.attempt_id == attempt.id, AttemptAnswer.position == position, AttemptAnswer.seq < seq)
        .values(response=stored, seq=seq, saved_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if getattr(result, "rowcount", 0):
        return Saved(position, seq, now)
    session.refresh(answer)
    return Saved(position, answer.seq, answer.saved_at or now)


def to_json(value: quiz_grading.Response) -> object:
    """A normalised response as JSON stores it: a set as a sorted list, a matching answer with string keys."""
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    return value


def _grade_answer(answer: AttemptAnswer) -> None:
    if answer.graded_by_id is not None:
        return  # a teacher's mark stands until the teacher changes it
    result = quiz_grading.grade(answer.question, answer.response)
    if result.state in ("unanswered", "needs_grading", "not_graded"):
        answer.fraction = 0.0 if result.state == "unanswered" else None
        answer.mark = 0.0 if result.state == "unanswered" else None
    else:
        answer.fraction = result.fraction
        answer.mark = round(result.fraction * answer.max_mark, 7)
    answer.state = result.state


def _total(attempt: Attempt) -> None:
    attempt.needs_grading = any(a.state == "needs_grading" for a in attempt.answers)
    attempt.mark = round(math.fsum(a.mark or 0.0 for a in attempt.answers), 7)


def finish(session: DbSession, attempt: Attempt, now: datetime) -> bool:
    """Grade and close the attempt, and commit; True if it was open (submitting twice is harmless)."""
    locked = session.scalar(select(Attempt).where(Attempt.id == attempt.id).with_for_update())
    if locked is None or locked.state is AttemptState.FINISHED:
        session.rollback()
        return False
    for answer in locked.answers:
        _grade_answer(answer)
    _total(locked)
    locked.state = AttemptState.FINISHED
    locked.finished_at = min(now, locked.deadline + GRACE) if locked.deadline else now
    session.flush()
    update_pass(session, locked.quiz, locked.user_id, now)
    session.commit()
    return True


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


# --- grades -------------------------------------------------------------------------------------------------------


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
    from lectern.courses.content import progress

    grade = quiz_grades(session, quiz, [user_id]).get(user_id)
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


# --- teachers -----------------------------------------------------------------------------------------------------


def grade_by_hand(
    session: DbSession, answer: AttemptAnswer, mark: float, comment: str, grader: User, now: datetime
) -> None:
    """A teacher's mark for one answer (an essay, or overriding the automatic grade); commits."""
    if answer.question.type is QuestionType.DESCRIPTION:
        raise InvalidResponse("a description is not graded")
    if isinstance(mark, bool) or not math.isfinite(mark) or not 0 <= mark <= answer.max_mark:
        raise InvalidResponse(f"the mark must be between 0 and {answer.max_mark:g}")
    attempt = answer.attempt
    if attempt.state is not AttemptState.FINISHED:
        raise AttemptClosed()
    answer.mark = round(float(mark), 7)
    answer.fraction = round(mark / answer.max_mark, 7) if answer.max_mark > 0 else 0.0
    answer.state = quiz_grading.manual_grade(answer.question, answer.fraction * answer.question.default_mark).state
    answer.comment = comment
    answer.graded_by_id = grader.id
    answer.graded_at = now
    _total(attempt)
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
            _grade_answer(answer)
            touched[attempt.id] = attempt
        regraded += 1
    session.flush()
    for attempt in touched.values():
        _total(attempt)
    session.flush()
    for quiz_id, user_id in {(a.quiz_id, a.user_id) for a in touched.values()}:
        quiz = session.get(Quiz, quiz_id)
        if quiz is not None:
            update_pass(session, quiz, user_id, now)
    session.commit()
    return regraded, skipped


# --- review -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewOptions:
    """What a review shows: whether each answer is correct, marks, specific feedback (on the answer given), the
    question's general feedback, the right answer."""

    correctness: bool
    marks: bool
    feedback: bool
    general_feedback: bool
    correct: bool


TEACHER_REVIEW = ReviewOptions(True, True, True, True, True)
NOTHING = ReviewOptions(False, False, False, False, False)


def review_options(session: DbSession, attempt: Attempt, now: datetime) -> ReviewOptions:
    """What the cadet may see of their finished attempt now, by the quiz's review options."""
    if attempt.state is not AttemptState.FINISHED:
        return NOTHING
    closed = settings_for(session, attempt.quiz, attempt.user_id).is_closed(now)

    def allowed(when: ReviewWhen) -> bool:
        return when is ReviewWhen.AFTER_ATTEMPT or (when is ReviewWhen.AFTER_CLOSE and closed)

    quiz = attempt.quiz
    return ReviewOptions(
        correctness=allowed(quiz.review_correctness),
        marks=allowed(quiz.review_marks),
        feedback=allowed(quiz.review_feedback),
        general_feedback=allowed(quiz.review_general_feedback),
        correct=allowed(quiz.review_correct),
    )


def response_for_display(answer: AttemptAnswer) -> object:
    """The stored response in the shape quiz_grading uses (JSON turned lists and dict keys into lists and str)."""
    if answer.response is None:
        return None
    try:
        return quiz_grading.normalise_response(answer.question, answer.response)
    except InvalidResponse:
        return None


def quizzes_of(session: DbSession, course_id: int, *, published_only: bool) -> list[Quiz]:
    query = select(Quiz).where(Quiz.course_id == course_id).order_by(Quiz.created_at, Quiz.id)
    if published_only:
        query = query.where(Quiz.published.is_(True))
    return list(session.scalars(query))


def passes(session: DbSession, user_id: int, quiz_ids: Iterable[int]) -> set[int]:
    return set(
        session.scalars(
            select(QuizPass.quiz_id).where(QuizPass.user_id == user_id, QuizPass.quiz_id.in_(list(quiz_ids)))
        )
    )
