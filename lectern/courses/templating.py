"""What the courses area adds to other areas' pages: header links, home-page panels, template helpers."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lectern.courses import progress, services
from lectern.courses.forms import LESSON_KIND_LABELS, VISIBILITY_LABELS
from lectern.courses.markdown import render
from lectern.extensions import db
from lectern.platform.home import register_panel
from lectern.platform.models import Role
from lectern.platform.templating import NavItem, register_nav_item

# Templates that higher areas show on a course's page (the lectures area lists the course's lectures there).
_COURSE_PANELS: list[str] = []


def register_course_panel(template: str) -> None:
    """Show `template` in the side column of every course page; it sees `course`, `enrolled` and `teaching`."""
    if template not in _COURSE_PANELS:
        _COURSE_PANELS.append(template)


def my_courses() -> list[tuple[Any, progress.Progress]]:
    """The signed-in user's enrolled courses with their progress, for the cadet's home page."""
    courses = services.enrolled_courses(db.session, current_user)
    found = progress.course_progress(db.session, current_user.id, [c.id for c in courses])
    return [(c, found[c.id]) for c in courses]


def taught_courses() -> list[Any]:
    return services.taught_courses(db.session, current_user)


def register(app: Flask) -> None:
    register_nav_item(set(Role), NavItem("courses.catalogue", _l("Courses")))
    register_nav_item({Role.GLOBAL_ADMIN}, NavItem("categories.index", _l("Categories")))
    register_panel(Role.CADET, "courses/_panel_learning.html")
    register_panel(Role.INSTRUCTOR, "courses/_panel_teaching.html")
    app.jinja_env.globals.update(
        my_courses=my_courses,
        taught_courses=taught_courses,
        visibility_labels=VISIBILITY_LABELS,
        lesson_kind_labels=LESSON_KIND_LABELS,
        course_panels=_COURSE_PANELS,
    )
    app.jinja_env.filters["markdown"] = render
