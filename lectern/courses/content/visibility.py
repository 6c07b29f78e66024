"""Which lessons of a course exist for a user: drafts, and the guards other areas add (LESSON_GUARDS).

A draft lesson is seen by those who teach the course: its instructors and assistants and the academy's
administrators, as Moodle shows hidden activities to editing and non-editing teachers. For a cadet it does not
exist: not listed, a 404 on its page and its file, not counted in progress (content/progress.py leaves drafts out
of every count, for everyone).

A higher area that knows more about some lessons than the courses area does (the lectures area: a recorded lecture
is for those who could attend it) contributes a guard. Every guard is asked, for every user (editors included: a
guard lets them through itself), on every request of a lesson's page, its file and what the page posts back, and
for each lesson the lesson page lists; one that answers False makes the lesson not exist for that user, exactly as
a draft does for a cadet.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, cast

from lectern.courses import access
from lectern.courses.content.outline import LessonRow, ModuleRow, Outline, course_outline
from lectern.courses.content.services import ContentReason, lesson_of
from lectern.courses.models import Course, Lesson, LessonKind
from lectern.domain import NotFound
from lectern.extensions import DbSession
from lectern.platform.models import User
from lectern.registry import Slot


class GuardedModule(Protocol):
    """What a guard may read of a lesson's module."""

    @property
    def id(self) -> int: ...

    @property
    def course_id(self) -> int: ...


class GuardedLesson(Protocol):
    """What a guard may read of a lesson: its columns but its body, and its module's id and course. A guard is
    handed a `Lesson` (its page, its file, what the page posts back) or a `LessonRow` (an outline, kept by the page
    cache between requests), and must answer the same for both."""

    @property
    def id(self) -> int: ...

    @property
    def kind(self) -> LessonKind: ...

    @property
    def title(self) -> str: ...

    @property
    def draft(self) -> bool: ...

    @property
    def url(self) -> str | None: ...

    @property
    def file_id(self) -> int | None: ...

    @property
    def module(self) -> GuardedModule: ...


# Declared on `Lesson` (the guards contributed so far are), though each is handed any `GuardedLesson`.
LessonGuard = Callable[[DbSession, User, Lesson], bool]

# Asked for each lesson an outline lists too, so a guard should answer from the lesson's own columns where it can
# (its kind, its file_id) and query only for lessons that may concern it; `session.info` lives as long as the
# request's session, a place to keep what one query found for the rest of the request. What a guard may read of the
# lesson is `GuardedLesson`'s.
LESSON_GUARDS: Slot[LessonGuard] = Slot("courses.lesson_guards")


def sees_drafts(session: DbSession, user: User, course: Course) -> bool:
    """Whether `user` sees the course's draft lessons: those who teach it (editors, assistants, administrators)."""
    return access.can_teach(session, user, course)


def _guarded(session: DbSession, user: User, lesson: Lesson, guards: Sequence[LessonGuard]) -> bool:
    return all(guard(session, user, lesson) for guard in guards)


def visible_lesson(
    session: DbSession, user: User, course: Course, lesson_id: int, guards: Sequence[LessonGuard] = ()
) -> Lesson:
    """The course's lesson if it exists for `user`; NotFound (NO_LESSON) if it is not the course's, is a draft they
    may not see, or a guard refuses it."""
    lesson = lesson_of(session, course, lesson_id)
    if lesson.draft and not sees_drafts(session, user, course):
        raise NotFound(ContentReason.NO_LESSON)
    if not _guarded(session, user, lesson, guards):
        raise NotFound(ContentReason.NO_LESSON)
    return lesson


@dataclass(frozen=True)
class OutlineModule:
    """A module with the lessons that exist for one user, in order."""

    module: ModuleRow
    lessons: list[LessonRow]

    @property
    def id(self) -> int:
        return self.module.id

    @property
    def title(self) -> str:
        return self.module.title


def visible_outline(
    session: DbSession, user: User, course: Course, guards: Sequence[LessonGuard] = ()
) -> list[OutlineModule]:
    """The course's modules with the lessons that exist for `user`, in order (`outline_for`, with the course's
    outline read now and drafts for those who teach it)."""
    return outline_for(session, user, course_outline(session, course.id), guards, sees_drafts(session, user, course))


def outline_for(
    session: DbSession, user: User, outline: Outline, guards: Sequence[LessonGuard], drafts: bool
) -> list[OutlineModule]:
    """The modules of a course's `outline` (pages pass the one the page cache keeps) with the lessons that exist
    for `user`, in order: drafts if `drafts` (`sees_drafts`), and what the guards let through. A module all of
    whose lessons are hidden is left out too (a "Recordings" module holding only drafts); one with no lessons at
    all is kept, as the course shows it."""
    # A LessonRow has every column a guard may read (GuardedLesson), as a Lesson does.
    asked = cast("Sequence[Callable[[DbSession, User, GuardedLesson], bool]]", guards)
    shown_outline = []
    for module, lessons in outline.modules:
        shown = [lesson for lesson in lessons if drafts or not lesson.draft]
        for guard in asked:
            shown = [lesson for lesson in shown if guard(session, user, lesson)]
        if shown or not lessons:
            shown_outline.append(OutlineModule(module, shown))
    return shown_outline
