"""What the lectures area adds to other areas' pages: upcoming lectures on home and course pages, a header link."""

from __future__ import annotations

from typing import Any

from flask import Flask

from lectern.courses.templating import register_course_panel
from lectern.extensions import db
from lectern.i18n import lazy_gettext as _l
from lectern.platform.home import register_panel
from lectern.platform.models import Role, utcnow
from lectern.platform.templating import NavItem, register_nav_item
from lectern.webrtc import services
from lectern.webrtc.models import LectureStatus
from lectern.webrtc.views import home_lectures


def register(app: Flask) -> None:
    for role in (Role.CADET, Role.INSTRUCTOR, Role.CLASSROOM):
        register_panel(role, "webrtc/_now.html", first=True)
        register_panel(role, "webrtc/_upcoming.html")
    register_course_panel("webrtc/_course_lectures.html")
    register_nav_item({Role.CADET, Role.INSTRUCTOR, Role.CLASSROOM}, NavItem("lectures.calendar_page", _l("Lectures")))

    def course_lectures(course: Any) -> list[Any]:
        return services.course_lectures(db.session, course)

    app.jinja_env.globals.update(
        home_lectures=home_lectures,
        lecture_joinable=lambda lecture: services.joinable(lecture, utcnow()),
        course_lectures=course_lectures,
        LectureStatus=LectureStatus,
        lecture_ends_at=services.ends_at,
        now_utc=utcnow,
    )
