"""What the catalogue's pages share between readers, kept by the page cache (lectern.platform.cache): which courses
a scope of users finds (`listing_scope`), a course's row, its header, summary and tags, and its contents as the
readers shown the same lessons see them. For views only: the cache reads the request's generation. Every value here
is plain (ids, rows, markup), never an ORM object, and nothing here is one reader's own: enrolments, progress and
roles in a course are read for each request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask import get_template_attribute, render_template
from flask_babel import get_locale
from markupsafe import Markup

from lectern.courses import access
from lectern.courses.access import AccessReason
from lectern.courses.catalogue import services as catalogue_services
from lectern.courses.catalogue.services import CourseRow
from lectern.courses.content import progress
from lectern.courses.content import shared as content_shared
from lectern.courses.content.visibility import OutlineModule
from lectern.courses.models import Course
from lectern.domain import NotFound
from lectern.extensions import db
from lectern.platform import cache
from lectern.platform.admin.services import administers
from lectern.platform.cache import Fragment
from lectern.platform.models import User


def listed_ids(user: User) -> frozenset[int]:
    """The ids of the courses `user`'s catalogue lists, found once per scope (`listing_scope`) and generation."""
    scope = catalogue_services.listing_scope(user)
    return cache.shared(("listed-ids", scope), lambda: catalogue_services.listed_ids(db.session, user))


def reachable_course(user: User, course_id: int) -> tuple[Course, bool]:
    """The course if `user` may know it exists, and whether they are enrolled in it; else NotFound
    (`access.get_reachable`: one statement)."""
    return access.get_reachable(db.session, user, course_id)


def course_row(course_id: int) -> CourseRow | None:
    """The course as its pages show it (`CourseRow`), read once per generation; None if there is none."""
    return cache.shared(("course-row", course_id), lambda: catalogue_services.course_row(db.session, course_id))


def course_standing(user: User, course_id: int) -> tuple[CourseRow, progress.Standing]:
    """The course if `user` may know it exists (the rule of `reachable_course`), and where they stand in it
    (enrolled, their done lessons, passes and completion): one statement, for the course and lesson pages; else
    NotFound."""
    course = course_row(course_id)
    if course is None:
        raise NotFound(AccessReason.NO_COURSE)
    standing = progress.standing(db.session, user.id, course.id)
    if not (standing.enrolled or course.id in listed_ids(user)):
        raise NotFound(AccessReason.NO_COURSE)
    return course, standing


def course_roles(user: User, course: CourseRow) -> tuple[bool, bool]:
    """Whether `user` teaches the course and whether they edit it (`access.can_teach`, `access.can_edit`). Those
    two are asked of the course's row only for the users who could hold either: administrators of its academy and
    global administrators, and the instructors and administrators whose course roles count there
    (`access.holds_course_roles`); for anyone else (its cadets) both are False, without reading the course."""
    if not (administers(user, course.academy_id) or access.holds_course_roles(user, course.academy_id)):
        return False, False
    item = db.session.get(Course, course.id)
    if item is None:
        return False, False
    return access.can_teach(db.session, user, item), access.can_edit(db.session, user, item)


@dataclass(frozen=True)
class CourseHeader:
    """The parts of a course's page that are the same for all its readers (templates/courses/_course_shared.html)."""

    head: Markup  # its catalogue path, title, academy, language and draft badge
    summary: Markup  # the summary, Markdown made HTML
    tags: Markup  # its tags, each a search of the catalogue


def course_header(course_id: int) -> CourseHeader:
    """The course's shared parts in the request's language, made once per generation."""

    def make() -> CourseHeader:
        course = db.session.get(Course, course_id)
        if course is None:  # deleted since its page read its row: made again in the next generation
            raise NotFound(AccessReason.NO_COURSE)

        def part(name: str) -> Markup:
            return Markup(get_template_attribute("courses/_course_shared.html", name)(course))  # noqa: S704

        return CourseHeader(part("head"), part("summary"), part("tags"))

    return cache.shared(("course-header", course_id, str(get_locale() or "")), make)


@dataclass(frozen=True)
class Reader:
    """What a course's page shows differently by reader, besides the lessons that exist for them."""

    enrolled: bool  # done marks and counts
    teaching: bool  # links to the lessons without being enrolled, the participants
    editing: bool  # the editor's buttons, publish forms on drafts


def course_page(course_id: int, modules: Sequence[OutlineModule], reader: Reader) -> Fragment:
    """A course's page (templates/courses/_course_page.html: its header, summary, contents and tags) as every
    reader of the same kind shown the same lessons sees it, in the request's language. Its holes take each
    reader's own: `aside` (the side column), `done-<lesson id>`, `badge-<lesson id>`, `module-<module id>` and
    `csrf` (the publish forms')."""

    def make() -> Fragment:
        html = render_template(
            "courses/_course_page.html",
            course_id=course_id,
            shared=course_header(course_id),
            outline=modules,
            enrolled=reader.enrolled,
            teaching=reader.teaching,
            editing=reader.editing,
        )
        return Fragment.of(html)

    key = ("course-page", course_id, str(get_locale() or ""), reader, content_shared.shown_ids(modules))
    return cache.shared(key, make)


def progress_card(course_id: int, found: progress.Progress, completed: bool) -> Fragment:
    """An enrolled reader's progress card on the course's page (templates/courses/_progress_card.html), as every
    reader with the same progress sees it in the request's language, made once per process (nothing in it changes
    but with a deployment); holes: `completed-on` (a date in the reader's timezone) and `csrf`."""

    def make() -> Fragment:
        html = render_template("courses/_progress_card.html", course_id=course_id, progress=found, completed=completed)
        return Fragment.of(html)

    return cache.constant(("progress-card", course_id, str(get_locale() or ""), found, completed), make)
