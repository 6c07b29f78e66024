"""Completion: lessons done, module and course progress, the course's completion rule.

The rule: every lesson done and every quiz that the course requires passed. Progress counts both. Draft lessons
count for no one (content/visibility.py): neither in the total nor, done before they went back to draft, as done.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Integer, bindparam, cast, func, literal_column, null, select, union_all
from sqlalchemy.dialects import postgresql, sqlite

from lectern.courses.models import Course, CourseCompletion, Enrolment, Lesson, LessonCompletion, Module
from lectern.courses.quizzes.models import Quiz, QuizPass
from lectern.extensions import DbSession


class _InCourse(Protocol):
    @property
    def course_id(self) -> int: ...


class CourseLesson(Protocol):
    """What marking a lesson needs of it: its id and its module's course (a Lesson, or a content.outline.LessonRow
    that a page has from its outline)."""

    @property
    def id(self) -> int: ...

    @property
    def module(self) -> _InCourse: ...


@dataclass(frozen=True)
class Progress:
    done: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.done >= self.total


@dataclass(frozen=True)
class Standing:
    """Where one user stands in one course: whether they are enrolled, the lessons they have done and the quizzes
    they have passed in it, and when they completed it."""

    enrolled: bool
    done: frozenset[int]
    passed: frozenset[int]
    completed_at: datetime | None

    def progress(self, counted: Collection[int], required: Collection[int]) -> Progress:
        """The user's progress in the course whose counted lessons (not drafts) and required quizzes are those:
        the figures `course_progress` reads (a test holds them equal), from what the page has read already."""
        done = sum(1 for lesson_id in self.done if lesson_id in counted)
        passed = sum(1 for quiz_id in self.passed if quiz_id in required)
        return Progress(done + passed, len(counted) + len(required))


def _standing() -> Any:
    course, user = bindparam("course", type_=Integer), bindparam("user", type_=Integer)
    no_id, no_time = cast(null(), Integer), cast(null(), CourseCompletion.completed_at.type)
    return union_all(
        select(literal_column("'e'"), no_id, no_time).where(Enrolment.course_id == course, Enrolment.user_id == user),
        select(literal_column("'c'"), no_id, CourseCompletion.completed_at).where(
            CourseCompletion.course_id == course, CourseCompletion.user_id == user
        ),
        select(literal_column("'l'"), LessonCompletion.lesson_id, no_time)
        .join(Lesson, Lesson.id == LessonCompletion.lesson_id)
        .join(Module, Module.id == Lesson.module_id)
        .where(Module.course_id == course, LessonCompletion.user_id == user),
        select(literal_column("'q'"), QuizPass.quiz_id, no_time)
        .join(Quiz, Quiz.id == QuizPass.quiz_id)
        .where(Quiz.course_id == course, QuizPass.user_id == user),
    )


_STANDING = _standing()  # built once: SQLAlchemy reuses its compiled form


def standing(session: DbSession, user_id: int, course_id: int) -> Standing:
    """Where the user stands in the course (`Standing`), in one statement: what the course and lesson pages show of
    the reader's own."""
    enrolled, completed_at = False, None
    done: set[int] = set()
    passed: set[int] = set()
    for what, item_id, at in session.connection().execute(_STANDING, {"course": course_id, "user": user_id}):
        if what == "e":
            enrolled = True
        elif what == "c":
            completed_at = at
        elif what == "l":
            done.add(item_id)
        else:
            passed.add(item_id)
    return Standing(enrolled, frozenset(done), frozenset(passed), completed_at)


def done_lessons(session: DbSession, user_id: int, course_id: int) -> set[int]:
    return set(
        session.scalars(
            select(LessonCompletion.lesson_id)
            .join(Lesson, Lesson.id == LessonCompletion.lesson_id)
            .join(Module, Module.id == Lesson.module_id)
            .where(LessonCompletion.user_id == user_id, Module.course_id == course_id)
        )
    )


def course_progress(session: DbSession, user_id: int, course_ids: Sequence[int]) -> dict[int, Progress]:
    """Progress of one user in several courses, in four queries (in one for a single course: every course and
    lesson page shows it)."""
    if len(course_ids) == 1:
        lessons, done_lessons, quizzes, passed = session.execute(
            _ONE_COURSE, {"course": course_ids[0], "user": user_id}
        ).one()
        return {course_ids[0]: Progress(done_lessons + passed, lessons + quizzes)}
    totals = dict(
        session.execute(
            select(Module.course_id, func.count(Lesson.id))
            .join(Lesson, Lesson.module_id == Module.id)
            .where(Module.course_id.in_(course_ids), _counted())
            .group_by(Module.course_id)
        ).all()
    )
    done = dict(
        session.execute(
            select(Module.course_id, func.count(LessonCompletion.lesson_id))
            .join(Lesson, Lesson.module_id == Module.id)
            .join(LessonCompletion, LessonCompletion.lesson_id == Lesson.id)
            .where(Module.course_id.in_(course_ids), _counted(), LessonCompletion.user_id == user_id)
            .group_by(Module.course_id)
        ).all()
    )
    quiz_totals = dict(
        session.execute(
            select(Quiz.course_id, func.count(Quiz.id))
            .where(Quiz.course_id.in_(course_ids), _required())
            .group_by(Quiz.course_id)
        ).all()
    )
    quiz_done = dict(
        session.execute(
            select(Quiz.course_id, func.count(QuizPass.quiz_id))
            .join(QuizPass, QuizPass.quiz_id == Quiz.id)
            .where(Quiz.course_id.in_(course_ids), _required(), QuizPass.user_id == user_id)
            .group_by(Quiz.course_id)
        ).all()
    )
    return {
        cid: Progress(done.get(cid, 0) + quiz_done.get(cid, 0), totals.get(cid, 0) + quiz_totals.get(cid, 0))
        for cid in course_ids
    }


def _counted() -> Any:
    """The lessons progress counts: those that are not drafts."""
    return Lesson.draft.is_(False)


def _required() -> Any:
    """The quizzes a course's completion rule counts: published, with a pass mark, marked as required (as
    content.outline.QuizRow.required says of a quiz a page keeps)."""
    return Quiz.required_for_completion.is_(True) & Quiz.published.is_(True) & Quiz.pass_percent.is_not(None)


def _one_course() -> Any:
    """course_progress's four counts for one course (`course`) and one user (`user`), as one statement."""
    course, user = bindparam("course", type_=Integer), bindparam("user", type_=Integer)
    lessons = select(func.count(Lesson.id)).join(Module, Lesson.module_id == Module.id)
    lessons = lessons.where(Module.course_id == course, _counted())
    done = lessons.join(LessonCompletion, LessonCompletion.lesson_id == Lesson.id)
    done = done.where(LessonCompletion.user_id == user)
    quizzes = select(func.count(Quiz.id)).where(Quiz.course_id == course, _required())
    passed = quizzes.join(QuizPass, QuizPass.quiz_id == Quiz.id).where(QuizPass.user_id == user)
    return select(*(q.scalar_subquery() for q in (lessons, done, quizzes, passed)))


_ONE_COURSE = _one_course()  # built once: SQLAlchemy reuses its compiled form


def mark_done(session: DbSession, user_id: int, lesson: CourseLesson, now: datetime) -> bool:
    """Record that the user did `lesson` (once); returns True if this completed the course."""
    # Two tabs (or a double click) may record the same lesson at once: the second insert must not fail.
    insert_once(session, LessonCompletion, user_id=user_id, lesson_id=lesson.id, completed_at=now)
    return check_course_completion(session, user_id, lesson.module.course_id, now)


def check_course_completion(session: DbSession, user_id: int, course_id: int, now: datetime) -> bool:
    """Record the course's completion if its rule is met now; True if this completed it."""
    if session.get(CourseCompletion, (user_id, course_id)) is not None:
        return False
    if course_progress(session, user_id, [course_id])[course_id].complete:
        return insert_once(session, CourseCompletion, user_id=user_id, course_id=course_id, completed_at=now)
    return False


def insert_once(session: DbSession, model: type[Any], **values: Any) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING on SQLite and PostgreSQL; True if the row was new."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    # psycopg reports no row count for INSERT ... ON CONFLICT unless asked to keep it (-1 would read as "new").
    statement = insert(model).values(**values).on_conflict_do_nothing().execution_options(preserve_rowcount=True)
    result = session.execute(statement)
    return bool(getattr(result, "rowcount", 0))


def mark_undone(session: DbSession, user_id: int, lesson: Lesson) -> None:
    done = session.get(LessonCompletion, (user_id, lesson.id))
    if done is not None:
        session.delete(done)
    completion = session.get(CourseCompletion, (user_id, lesson.module.course_id))
    if completion is not None:
        session.delete(completion)
    session.flush()


def completed_at(session: DbSession, user_id: int, course: Course) -> datetime | None:
    row = session.get(CourseCompletion, (user_id, course.id))
    return row.completed_at if row else None


def participants_progress(session: DbSession, course_id: int, user_ids: Sequence[int]) -> dict[int, Progress]:
    """Progress of several users in one course, in two queries."""
    total = (
        session.scalar(
            select(func.count(Lesson.id))
            .join(Module, Module.id == Lesson.module_id)
            .where(Module.course_id == course_id, _counted())
        )
        or 0
    )
    done = dict(
        session.execute(
            select(LessonCompletion.user_id, func.count(LessonCompletion.lesson_id))
            .join(Lesson, Lesson.id == LessonCompletion.lesson_id)
            .join(Module, Module.id == Lesson.module_id)
            .where(Module.course_id == course_id, _counted(), LessonCompletion.user_id.in_(user_ids))
            .group_by(LessonCompletion.user_id)
        ).all()
    )
    total += session.scalar(select(func.count(Quiz.id)).where(Quiz.course_id == course_id, _required())) or 0
    passed = dict(
        session.execute(
            select(QuizPass.user_id, func.count(QuizPass.quiz_id))
            .join(Quiz, Quiz.id == QuizPass.quiz_id)
            .where(Quiz.course_id == course_id, _required(), QuizPass.user_id.in_(user_ids))
            .group_by(QuizPass.user_id)
        ).all()
    )
    return {uid: Progress(done.get(uid, 0) + passed.get(uid, 0), total) for uid in user_ids}
