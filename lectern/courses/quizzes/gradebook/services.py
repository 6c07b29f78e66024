"""What teachers read about a course's quizzes: the gradebook (and its CSV), the attempts of a quiz, the quiz's
statistics; and the per-cadet overrides they set. No Flask: takes a session and plain values.

Every report runs a fixed number of queries whatever the number of cadets or attempts (a course may hold a whole
year's intake): attempts are loaded in one query per report and grouped in Python.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from lectern.courses import access
from lectern.courses.models import Course, Enrolment
from lectern.courses.quizzes import grading as quiz_grading
from lectern.courses.quizzes.attempts import marking
from lectern.courses.quizzes.attempts import services as quiz_attempts
from lectern.courses.quizzes.gradebook import stats as quiz_stats
from lectern.courses.quizzes.models import Attempt, AttemptAnswer, AttemptState, Quiz, QuizOverride
from lectern.courses.quizzes.questions import QuestionType
from lectern.domain import NotFound
from lectern.extensions import DbSession
from lectern.platform.models import User

# The users CSV's writer (UTF-8 with a BOM, CRLF) and its guard against formulas; the lectures' attendance CSV
# guards its names the same way. Reused, not copied, so that every export of the platform is safe alike.
from lectern.platform.spreadsheet import csv_bytes as write_csv
from lectern.platform.spreadsheet import number_cell
from lectern.platform.spreadsheet import text_cell as spreadsheet_text

BANDS = 10  # the score distribution's bands: 0-10 %, 10-20 %, ... 90-100 %


class GradebookReason(StrEnum):
    """What a teacher asked for that is not there (NotFound)."""

    NO_ATTEMPT = "no_attempt"  # no such attempt at this quiz
    NO_ANSWER = "no_answer"  # the attempt has no question at that position
    NOT_ENROLLED = "not_enrolled"  # overrides are for the course's enrolled cadets


def counts(attempt: Attempt) -> bool:
    """Whether the attempt's score counts toward grades and statistics: finished, and no essay still waiting (the
    same rule as `marking.quiz_grades`)."""
    return attempt.state is AttemptState.FINISHED and not attempt.needs_grading


# --- gradebook ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GradeCell:
    """One cadet's standing in one quiz."""

    percent: float | None  # by the quiz's grading method; None: nothing finished and graded yet
    passed: bool | None  # None: the quiz has no pass mark, or there is no grade
    attempts: int  # every attempt, in progress ones included
    waiting: bool  # a finished attempt has an essay waiting for a teacher's mark
    in_progress: bool = False  # an attempt is under way (a cadet answering now, or one who left it unfinished)


@dataclass(frozen=True)
class GradebookRow:
    user: User
    cells: list[GradeCell]  # in the order of `Gradebook.quizzes`


@dataclass(frozen=True)
class Gradebook:
    quizzes: list[Quiz]
    rows: list[GradebookRow]


def gradebook(session: DbSession, course: Course, user_ids: Collection[int] | None = None) -> Gradebook:
    """The course's enrolled cadets (only those in `user_ids` when given: a cohort, say) by its quizzes, in three
    queries: quizzes, cadets, attempts."""
    quizzes = quiz_attempts.quizzes_of(session, course.id, published_only=False)
    enrolled = select(Enrolment.user_id).where(Enrolment.course_id == course.id)
    if user_ids is not None:
        enrolled = enrolled.where(Enrolment.user_id.in_(list(user_ids)))
    users = list(
        session.scalars(select(User).where(User.id.in_(enrolled)).order_by(User.last_name, User.first_name, User.id))
    )
    scores: dict[tuple[int, int], list[float | None]] = {}
    waiting: set[tuple[int, int]] = set()
    under_way: set[tuple[int, int]] = set()
    if quizzes and users:
        attempts = session.scalars(
            select(Attempt)
            .where(Attempt.quiz_id.in_([q.id for q in quizzes]), Attempt.user_id.in_(enrolled))
            .order_by(Attempt.user_id, Attempt.quiz_id, Attempt.number)
        )
        for attempt in attempts:
            key = (attempt.user_id, attempt.quiz_id)
            scores.setdefault(key, []).append(attempt.percent if counts(attempt) else None)
            if attempt.state is AttemptState.FINISHED and attempt.needs_grading:
                waiting.add(key)
            elif attempt.state is AttemptState.IN_PROGRESS:
                under_way.add(key)
    rows = []
    for user in users:
        cells = []
        for quiz in quizzes:
            found = scores.get((user.id, quiz.id), [])
            percent = quiz_grading.overall(quiz.grading_method, found) if found else None
            key = (user.id, quiz.id)
            cells.append(
                GradeCell(percent, marking.passed(quiz, percent), len(found), key in waiting, key in under_way)
            )
        rows.append(GradebookRow(user, cells))
    return Gradebook(quizzes, rows)


def gradebook_csv(book: Gradebook) -> bytes:
    """The gradebook for a spreadsheet: per quiz its grade in percent, pass or fail, and the number of attempts.
    UTF-8 with a BOM (Excel then reads Cyrillic names right); text that a spreadsheet would run as a formula gets
    a quote before it."""
    header = ["username", "last_name", "first_name"]
    for quiz in book.quizzes:
        title = spreadsheet_text(quiz.title)
        header += [f"{title} (%)", f"{title}: pass", f"{title}: attempts"]
    rows = []
    for row in book.rows:
        line = [spreadsheet_text(row.user.username), spreadsheet_text(row.user.last_name)]
        line.append(spreadsheet_text(row.user.first_name))
        for cell in row.cells:
            result = "" if cell.passed is None else ("pass" if cell.passed else "fail")
            line += [number_cell(cell.percent), result, str(cell.attempts)]
        rows.append(line)
    return write_csv(header, rows)


# --- the attempts of a quiz -----------------------------------------------------------------------------------------


def quiz_attempts_list(session: DbSession, quiz: Quiz) -> list[Attempt]:
    """Every attempt of the quiz with its cadet, by cadet name, then attempt number."""
    return list(
        session.scalars(
            select(Attempt)
            .join(User, User.id == Attempt.user_id)
            .where(Attempt.quiz_id == quiz.id)
            .options(joinedload(Attempt.user))
            .order_by(User.last_name, User.first_name, User.id, Attempt.number)
        )
    )


def attempt_of(session: DbSession, quiz: Quiz, attempt_id: int) -> Attempt:
    """An attempt of this quiz, with its answers; NotFound for another quiz's attempt."""
    attempt = session.scalar(
        select(Attempt)
        .where(Attempt.id == attempt_id, Attempt.quiz_id == quiz.id)
        .options(selectinload(Attempt.answers), joinedload(Attempt.user))
    )
    if attempt is None:
        raise NotFound(GradebookReason.NO_ATTEMPT)
    return attempt


def answer_of(session: DbSession, attempt: Attempt, position: int) -> AttemptAnswer:
    """The attempt's answer at `position`; NotFound when it has none there."""
    answer = session.get(AttemptAnswer, (attempt.id, position))
    if answer is None:
        raise NotFound(GradebookReason.NO_ANSWER)
    return answer


# --- statistics ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionStats:
    """One question of a quiz over the attempts that count. A random slot gives a row per question drawn."""

    slot: int | None  # the 1-based number of the fixed slot it fills; None for a question drawn at random
    name: str
    type: QuestionType
    count: int  # graded answers to it
    max_mark: float
    facility: float | None  # 0..1: the mean share of the mark earned
    discrimination: float | None  # -1..1: correlation with the rest of the test

    @property
    def facility_percent(self) -> float | None:
        return None if self.facility is None else round(100 * self.facility, 2)

    @property
    def discrimination_percent(self) -> float | None:
        return None if self.discrimination is None else round(100 * self.discrimination, 2)


@dataclass(frozen=True)
class QuizStatistics:
    attempts: int  # finished attempts that count
    waiting: int  # finished attempts left out because an essay waits for its mark
    average: float | None  # their mean score in percent
    questions: list[QuestionStats]
    distribution: list[int]  # attempts per band of BANDS equal bands of 0..100 %


@dataclass
class _Group:
    name: str
    type: QuestionType
    position: int  # the earliest position it was asked at
    max_mark: float
    fractions: list[float]
    marks: list[float]
    totals: list[float]


def statistics(session: DbSession, quiz: Quiz) -> QuizStatistics:
    """Facility and discrimination per question, and the score distribution, over the finished attempts.

    An attempt with an essay still waiting is left out until it is marked: its total is not known yet. Answers
    are grouped by bank question (not by position: a quiz may shuffle its questions)."""
    slot_of = {s.question_id: n for n, s in enumerate(quiz.slots, start=1) if s.question_id is not None}
    finished = list(
        session.scalars(
            select(Attempt)
            .where(Attempt.quiz_id == quiz.id, Attempt.state == AttemptState.FINISHED)
            .options(selectinload(Attempt.answers))
            .order_by(Attempt.id)
        )
    )
    counted = [a for a in finished if counts(a)]
    groups: dict[tuple[str, int], _Group] = {}
    for attempt in counted:
        total = attempt.mark or 0.0
        for answer in attempt.answers:
            if answer.mark is None or answer.max_mark <= 0:
                continue  # a description: nothing to grade
            data = answer.question_data
            # A question deleted from the bank loses its id: its answers still group by where they were asked.
            key = ("q", answer.question_id) if answer.question_id is not None else ("p", answer.position)
            group = groups.get(key)
            if group is None:
                group = groups[key] = _Group(
                    name=str(data.get("name", "")),
                    type=QuestionType(str(data.get("type"))),
                    position=answer.position,
                    max_mark=answer.max_mark,
                    fractions=[],
                    marks=[],
                    totals=[],
                )
            group.position = min(group.position, answer.position)
            group.fractions.append(answer.mark / answer.max_mark)
            group.marks.append(answer.mark)
            group.totals.append(total)
    keyed = []
    for (source, ident), group in groups.items():
        slot = slot_of.get(ident) if source == "q" else None
        row = QuestionStats(
            slot=slot,
            name=group.name,
            type=group.type,
            count=len(group.marks),
            max_mark=group.max_mark,
            facility=quiz_stats.facility_index(group.fractions, 1.0),
            discrimination=quiz_stats.discrimination_index(group.marks, group.totals),
        )
        # Fixed slots in their order, then the questions drawn at random in the order they were first asked.
        keyed.append(((slot is None, slot or 0, group.position, group.name), row))
    keyed.sort(key=lambda pair: pair[0])
    percents = [p for p in (a.percent for a in counted) if p is not None]
    return QuizStatistics(
        attempts=len(counted),
        waiting=len(finished) - len(counted),
        average=round(math.fsum(percents) / len(percents), 2) if percents else None,
        questions=[row for _key, row in keyed],
        distribution=quiz_stats.score_distribution(percents, BANDS),
    )


def band_labels(bands: int = BANDS) -> list[str]:
    """The bands' labels: "0-10", "10-20", ... "90-100"."""
    step = 100 / bands
    return [f"{i * step:g}\u2013{(i + 1) * step:g}" for i in range(bands)]


# --- overrides ----------------------------------------------------------------------------------------------------


def enrolled_users(session: DbSession, course: Course) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(Enrolment, Enrolment.user_id == User.id)
            .where(Enrolment.course_id == course.id)
            .order_by(User.last_name, User.first_name, User.id)
        )
    )


def overrides_of(session: DbSession, quiz: Quiz) -> list[QuizOverride]:
    return list(
        session.scalars(
            select(QuizOverride)
            .join(User, User.id == QuizOverride.user_id)
            .where(QuizOverride.quiz_id == quiz.id)
            .options(joinedload(QuizOverride.user))
            .order_by(User.last_name, User.first_name, User.id)
        )
    )


def set_override(
    session: DbSession,
    quiz: Quiz,
    user_id: int,
    *,
    extra_minutes: int,
    extra_attempts: int,
    closes_at: datetime | None,
) -> QuizOverride | None:
    """Give an enrolled cadet extra time, extra attempts or a later close (NotFound for anyone else); an override
    that changes nothing is removed. Flushes; the caller commits."""
    user = session.get(User, user_id)
    if user is None or not access.is_enrolled(session, user, quiz.course):
        raise NotFound(GradebookReason.NOT_ENROLLED)
    override = session.get(QuizOverride, (quiz.id, user_id))
    if not (extra_minutes or extra_attempts or closes_at):
        if override is not None:
            session.delete(override)
            session.flush()
        return None
    if override is None:
        override = QuizOverride(quiz_id=quiz.id, user_id=user_id)
        session.add(override)
    override.extra_minutes = extra_minutes
    override.extra_attempts = extra_attempts
    override.closes_at = closes_at
    session.flush()
    return override


def delete_override(session: DbSession, quiz: Quiz, user_id: int) -> bool:
    """Remove a cadet's override; False if there was none. Flushes; the caller commits."""
    override = session.get(QuizOverride, (quiz.id, user_id))
    if override is None:
        return False
    session.delete(override)
    session.flush()
    return True
