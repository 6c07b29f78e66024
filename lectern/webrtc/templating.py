"""What the lectures area adds to other areas' pages: upcoming lectures on home and course pages, a header link."""

from __future__ import annotations

from typing import Any

from flask import Flask

from lectern.courses.templating import COURSE_PANELS
from lectern.extensions import db
from lectern.i18n import lazy_gettext as _l
from lectern.platform.home import HOME_PANELS, HomePanel
from lectern.platform.models import Role, utcnow
from lectern.platform.templating import NAV_LINKS, NavItem, NavLink
from lectern.registry import registry
from lectern.webrtc import services
from lectern.webrtc.models import LectureStatus
from lectern.webrtc.views import home_lectures


def init_app(app: Flask) -> None:
    """What the lectures area adds to the platform's and the courses' pages, and its template helpers."""
    added = registry(app)
    attendees = (Role.CADET, Role.INSTRUCTOR, Role.CLASSROOM)
    for role in attendees:
        added.add(HOME_PANELS, HomePanel(role, "webrtc/_now.html"), first=True)
        added.add(HOME_PANELS, HomePanel(role, "webrtc/_upcoming.html"))
    added.add(COURSE_PANELS, "webrtc/_course_lectures.html")
    added.add(NAV_LINKS, NavLink(frozenset(attendees), NavItem("lectures.calendar_page", _l("Lectures"))))

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
