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

from lectern.courses import access
from lectern.courses.content.services import ContentReason, lesson_of, load_outline
from lectern.courses.models import Course, Lesson, Module
from lectern.domain import NotFound
from lectern.extensions import DbSession
from lectern.platform.models import User
from lectern.registry import Slot

LessonGuard = Callable[[DbSession, User, Lesson], bool]

# Asked for each lesson an outline lists too, so a guard should answer from the lesson's own columns where it can
# (its kind, its file) and query only for lessons that may concern it; `session.info` lives as long as the request's
# session, a place to keep what one query found for the rest of the request.
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
    """A module with the lessons that exist for one user: a view for pages, never changed back into the module (its
    `lessons` collection deletes what it loses)."""

    module: Module
    lessons: list[Lesson]

    @property
    def id(self) -> int:
        return self.module.id

    @property
    def title(self) -> str:
        return self.module.title


def visible_outline(
    session: DbSession, user: User, course: Course, guards: Sequence[LessonGuard] = ()
) -> list[OutlineModule]:
    """The course's modules with the lessons that exist for `user`, in order (the outline's two queries, and what
    the guards ask). A module all of whose lessons are hidden is left out too (a "Recordings" module holding only
    drafts); one with no lessons at all is kept, as the course shows it."""
    drafts = sees_drafts(session, user, course)
    outline = []
    for module in load_outline(session, course):
        shown = [
            lesson
            for lesson in module.lessons
            if (drafts or not lesson.draft) and _guarded(session, user, lesson, guards)
        ]
        if shown or not module.lessons:
            outline.append(OutlineModule(module, shown))
    return outline
