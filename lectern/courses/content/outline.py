"""A course's outline as the course and lesson pages show it: its modules, lessons and quizzes as plain rows, which
the page cache keeps between requests (content/shared.py), read in two statements whatever the course's size. Who
sees which lessons is content/visibility.py's; a lesson's own page reads its text here too."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, bindparam, select

from lectern.courses.models import Lesson, LessonKind, Module
from lectern.courses.quizzes.models import Quiz
from lectern.extensions import DbSession


@dataclass(frozen=True)
class ModuleRow:
    """A module as pages show it: plain values, which the page cache keeps between requests."""

    id: int
    course_id: int
    title: str


@dataclass(frozen=True)
class LessonRow:
    """A lesson as an outline shows it and the guards (content/visibility.py) read it: its own columns but its body,
    and its module's. Plain values, which the page cache keeps between requests."""

    id: int
    module: ModuleRow
    kind: LessonKind
    title: str
    draft: bool
    url: str | None
    file_id: int | None


@dataclass(frozen=True)
class QuizRow:
    """A quiz as a course's page lists it: plain values, which the page cache keeps between requests."""

    id: int
    title: str
    published: bool
    required_for_completion: bool
    pass_percent: float | None

    @property
    def required(self) -> bool:
        """Whether the course's completion rule counts it (progress.py's rule: published, with a pass mark, marked
        as required)."""
        return self.required_for_completion and self.published and self.pass_percent is not None


@dataclass(frozen=True)
class Outline:
    """A course's content as it is for everyone: its modules in order, each with all its lessons in order (drafts
    too: who sees what is content/visibility.py's), and its quizzes in order (unpublished ones too)."""

    modules: tuple[tuple[ModuleRow, tuple[LessonRow, ...]], ...]
    quizzes: tuple[QuizRow, ...]

    @property
    def counted(self) -> frozenset[int]:
        """The lessons progress counts: those that are not drafts (progress.py)."""
        return frozenset(x.id for _module, lessons in self.modules for x in lessons if not x.draft)

    @property
    def required_quizzes(self) -> frozenset[int]:
        """The quizzes progress counts: those the course's completion rule requires (progress.py)."""
        return frozenset(q.id for q in self.quizzes if q.required)

    def listed_quizzes(self, editing: bool) -> tuple[QuizRow, ...]:
        """The quizzes a course's page lists: all of them for its editors, the published ones for others."""
        return self.quizzes if editing else tuple(q for q in self.quizzes if q.published)


def _outline_rows() -> Any:
    course = bindparam("course", type_=Integer)
    return (
        select(
            Module.id,
            Module.title,
            Lesson.id,
            Lesson.kind,
            Lesson.title,
            Lesson.draft,
            Lesson.url,
            Lesson.file_id,
        )
        .outerjoin(Lesson, Lesson.module_id == Module.id)
        .where(Module.course_id == course)
        .order_by(Module.position, Module.id, Lesson.position, Lesson.id)
    )


_OUTLINE_ROWS = _outline_rows()  # built once, as the next: SQLAlchemy reuses their compiled form
_QUIZ_ROWS = (
    select(Quiz.id, Quiz.title, Quiz.published, Quiz.required_for_completion, Quiz.pass_percent)
    .where(Quiz.course_id == bindparam("course", type_=Integer))
    .order_by(Quiz.created_at, Quiz.id)
)


def course_outline(session: DbSession, course_id: int) -> Outline:
    """The course's outline (`Outline`), in two statements whatever its size."""
    modules: dict[int, tuple[ModuleRow, list[LessonRow]]] = {}
    rows = session.connection().execute(_OUTLINE_ROWS, {"course": course_id})
    for module_id, module_title, lesson_id, kind, title, draft, url, file_id in rows:
        found = modules.get(module_id)
        if found is None:
            found = modules[module_id] = (ModuleRow(module_id, course_id, module_title), [])
        if lesson_id is not None:
            found[1].append(LessonRow(lesson_id, found[0], kind, title, bool(draft), url, file_id))
    lessons = tuple((module, tuple(found)) for module, found in modules.values())
    quizzes = session.connection().execute(_QUIZ_ROWS, {"course": course_id})
    return Outline(lessons, tuple(QuizRow(q[0], q[1], bool(q[2]), bool(q[3]), q[4]) for q in quizzes))


def lesson_body_text(session: DbSession, lesson_id: int) -> str:
    """The lesson's text (Markdown), or nothing if there is no such lesson."""
    return session.scalar(select(Lesson.body).where(Lesson.id == lesson_id)) or ""
