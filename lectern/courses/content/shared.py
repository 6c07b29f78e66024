"""What the course and lesson pages share between readers, kept by the page cache (lectern.platform.cache): a
course's outline, as plain rows, a lesson's page made of it, and progress bars. For views only: the cache reads the
request's generation. Modules, lessons and quizzes are watched (courses/templating.py), so an edit shows at once.

Nothing here is one reader's own, and nothing decides who sees what: a part made of the outline is kept under the
ids of the lessons it shows, which content/visibility.py chose for its reader (drafts, the guards' answers), so a
reader only ever finds a part with the lessons that exist for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask import get_template_attribute, render_template
from flask_babel import get_locale
from markupsafe import Markup

from lectern.courses.catalogue.services import CourseRow
from lectern.courses.content.markdown import render
from lectern.courses.content.outline import LessonRow, Outline, course_outline, lesson_body_text
from lectern.courses.content.progress import Progress
from lectern.courses.content.viewing import DONE_SHARE
from lectern.courses.content.visibility import OutlineModule
from lectern.courses.models import StoredFile
from lectern.extensions import db
from lectern.platform import cache
from lectern.platform.cache import Fragment


def outline(course_id: int) -> Outline:
    """The course's outline (all its modules and lessons, drafts too), read once per generation."""
    return cache.shared(("course-outline", course_id), lambda: course_outline(db.session, course_id))


def shown_ids(modules: Sequence[OutlineModule]) -> tuple[tuple[int, tuple[int, ...]], ...]:
    """The modules and lessons an outline shows its reader: what a part made of it is kept under."""
    return tuple((m.id, tuple(x.id for x in m.lessons)) for m in modules)


@dataclass(frozen=True)
class LessonReader:
    """What a lesson's page shows differently by reader, besides the lessons that exist for them."""

    enrolled: bool  # their progress, the done form or the video's state
    editing: bool  # the editor's buttons
    done: bool  # they have done this lesson
    panels: bool  # other areas show something on it for them (LESSON_PANELS)


def lesson_page(
    course: CourseRow, lesson: LessonRow, modules: Sequence[OutlineModule], reader: LessonReader
) -> Fragment:
    """A lesson's page (templates/courses/_lesson_page.html: the lesson, the way to the next, the course's outline)
    as every reader of the same kind shown the same lessons sees it, in the request's language. Its holes take each
    reader's own: `panels`, `progress`, `watched`, `csrf` and `done-<lesson id>`."""

    def make() -> Fragment:
        flat = [x for module in modules for x in module.lessons]
        index = [x.id for x in flat].index(lesson.id)
        html = render_template(
            "courses/_lesson_page.html",
            course=course,
            lesson=lesson,
            file=db.session.get(StoredFile, lesson.file_id) if lesson.file_id is not None else None,
            body=render(lesson_body_text(db.session, lesson.id)),
            outline=modules,
            previous=flat[index - 1] if index else None,
            next=flat[index + 1] if index + 1 < len(flat) else None,
            enrolled=reader.enrolled,
            editing=reader.editing,
            done=reader.done,
            panels=reader.panels,
            done_share=DONE_SHARE,
        )
        return Fragment.of(html)

    key = ("lesson-page", course.id, lesson.id, str(get_locale() or ""), reader, shown_ids(modules))
    return cache.shared(key, make)


def progress_bar(found: Progress) -> Markup:
    """A progress bar (courses/_macros.html) in the request's language, made once per process and figures."""

    def make() -> Markup:
        return Markup(get_template_attribute("courses/_macros.html", "progress_bar")(found))  # noqa: S704

    return cache.constant(("progress-bar", str(get_locale() or ""), found), make)
