"""Helpers the courses views share: domain errors to HTTP errors, and the storage of this application."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from flask import abort, current_app
from flask_babel import get_timezone
from flask_login import current_user

from lectern.courses import access
from lectern.courses.content.storage import Storage
from lectern.courses.models import Course
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


def local_zone() -> ZoneInfo:
    # Flask-Babel hands out pytz zones, whose replace(tzinfo=...) gives the city's 19th-century local mean time.
    return ZoneInfo(str(get_timezone()))


def from_local(value: datetime | None) -> datetime | None:
    """A date and time typed in the user's academy timezone, as an aware instant."""
    return value.replace(tzinfo=local_zone()) if value else None


def to_local(value: datetime | None) -> datetime | None:
    """The reverse of `from_local`, for filling a form."""
    return value.astimezone(local_zone()).replace(tzinfo=None) if value else None
