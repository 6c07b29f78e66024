"""Helpers the courses views share: domain errors to HTTP errors, and the storage of this application."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import abort, current_app
from flask_login import current_user

from lectern.courses import access
from lectern.courses.models import Course
from lectern.courses.storage import Storage
from lectern.extensions import db

T = TypeVar("T")


def or_http(fn: Callable[[], T]) -> T:
    """Run a service call; NotFound becomes 404 and Forbidden 403."""
    try:
        return fn()
    except access.NotFound:
        abort(404)
    except access.Forbidden:
        abort(403)


def listed_course(course_id: int) -> Course:
    return or_http(lambda: access.get_listed(db.session, current_user, course_id))


def editable_course(course_id: int) -> Course:
    return or_http(lambda: access.get_editable(db.session, current_user, course_id))


def followed_course(course_id: int) -> Course:
    """The course, if the user may open its lessons (enrolled, or teaching it)."""
    course = listed_course(course_id)
    if not access.can_follow(db.session, current_user, course):
        abort(403)
    return course


def storage() -> Storage:
    return Storage(current_app.config["LECTERN_STORAGE"])
