"""The course a request names, as the signed-in user may reach it, and the application's file store: what every
courses view (and the lectures' views of a course) starts from.

A course the user may not know exists is a 404, one they know but may not use so is a 403: the services raise
`lectern.domain` errors and the app-wide handler answers them.
"""

from __future__ import annotations

from flask import current_app

from lectern.courses import access
from lectern.courses.content.storage import Storage
from lectern.courses.models import Course
from lectern.extensions import db
from lectern.platform.roles import signed_in_user


def listed_course(course_id: int) -> Course:
    """The course, if the user may know it exists (listed, enrolled or teaching)."""
    return access.get_listed(db.session, signed_in_user(), course_id)


def followed_course(course_id: int) -> Course:
    """The course, if the user may open its lessons (enrolled, or teaching it)."""
    return access.get_followed(db.session, signed_in_user(), course_id)


def taught_course(course_id: int) -> Course:
    """The course, if the user teaches it (its participants, progress and grades)."""
    return access.get_taught(db.session, signed_in_user(), course_id)


def editable_course(course_id: int) -> Course:
    """The course, if the user may edit it."""
    return access.get_editable(db.session, signed_in_user(), course_id)


def storage() -> Storage:
    """The application's file store (LECTERN_STORAGE)."""
    return Storage(current_app.config["LECTERN_STORAGE"])
