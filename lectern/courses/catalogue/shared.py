"""What the catalogue's pages share between readers, kept by the page cache (lectern.platform.cache): which courses
a scope of users finds (`listing_scope`), and a course's header, summary and tags. For views only: the cache reads
the request's generation. Every value here is plain (ids, markup), never an ORM object, and nothing here is one
reader's own: enrolments, progress and roles in a course are read for each request.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import get_template_attribute
from flask_babel import get_locale
from markupsafe import Markup

from lectern.courses.access import AccessReason
from lectern.courses.catalogue import services as catalogue_services
from lectern.courses.models import Course
from lectern.domain import NotFound
from lectern.extensions import db
from lectern.platform import cache
from lectern.platform.models import User


def listed_ids(user: User) -> frozenset[int]:
    """The ids of the courses `user`'s catalogue lists, found once per scope (`listing_scope`) and generation."""
    scope = catalogue_services.listing_scope(user)
    return cache.shared(("listed-ids", scope), lambda: catalogue_services.listed_ids(db.session, user))


def reachable_course(user: User, course_id: int) -> tuple[Course, bool]:
    """The course if `user` may know it exists, and whether they are enrolled in it; else NotFound. The same rule
    as `access.get_listed` (listed, or enrolled), with the listed courses from the cache and the enrolment read
    once for the page that needs it too."""
    course = db.session.get(Course, course_id)
    if course is None:
        raise NotFound(AccessReason.NO_COURSE)
    enrolled = catalogue_services.is_enrolled(db.session, user.id, course.id)
    if not (enrolled or course.id in listed_ids(user)):
        raise NotFound(AccessReason.NO_COURSE)
    return course, enrolled


@dataclass(frozen=True)
class CourseHeader:
    """The parts of a course's page that are the same for all its readers (templates/courses/_course_shared.html)."""

    head: Markup  # its catalogue path, title, academy, language and draft badge
    summary: Markup  # the summary, Markdown made HTML
    tags: Markup  # its tags, each a search of the catalogue


def course_header(course: Course) -> CourseHeader:
    """The course's shared parts in the request's language, made once per generation."""

    def make() -> CourseHeader:
        def part(name: str) -> Markup:
            return Markup(get_template_attribute("courses/_course_shared.html", name)(course))  # noqa: S704

        return CourseHeader(part("head"), part("summary"), part("tags"))

    return cache.shared(("course-header", course.id, str(get_locale() or "")), make)
