"""What the courses area adds to other areas' pages: header links, home-page panels, template helpers."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_login import current_user

from lectern.courses.catalogue import services as catalogue_services
from lectern.courses.content import progress
from lectern.courses.content.markdown import render
from lectern.courses.enrolment import cohort_sync
from lectern.courses.forms import LESSON_KIND_LABELS, VISIBILITY_LABELS
from lectern.courses.models import Category, Course, CourseShare, CourseStaff, Lesson, Module
from lectern.courses.quizzes import render as quiz_render
from lectern.courses.quizzes.authoring.forms import GRADING_METHOD_LABELS
from lectern.courses.quizzes.bank.forms import QUESTION_TYPE_LABELS
from lectern.courses.quizzes.models import Quiz
from lectern.extensions import db
from lectern.i18n import lazy_gettext as _l
from lectern.platform.cache import WATCHED
from lectern.platform.cohorts.views import COHORT_PANELS
from lectern.platform.home import HOME_PANELS, HomePanel
from lectern.platform.models import Academy, Role
from lectern.platform.templating import NAV_LINKS, NavItem, NavLink
from lectern.registry import Slot, registry

# Templates shown in the side column of every course page (the lectures area lists the course's lectures there);
# they see `course` (a `lectern.courses.catalogue.services.CourseRow`), `enrolled`, `teaching` and `editing`.
COURSE_PANELS: Slot[str] = Slot("courses.course_panels")

# Templates shown with a lesson's video on the lesson page (courses/lesson.html): beside the video (#lesson-video)
# on wide screens, below it on narrow ones; below the lesson's text for a lesson with no video. They see `course`,
# `lesson` (a `lectern.courses.content.outline.LessonRow`: its columns but its body), `enrolled` and `editing`, and
# show nothing for lessons that are not theirs. Whether a lesson exists for a user at all is for the guards
# (`lectern.courses.content.visibility.LESSON_GUARDS`).
LESSON_PANELS: Slot[str] = Slot("courses.lesson_panels")


def my_courses() -> list[tuple[Any, progress.Progress]]:
    """The signed-in user's enrolled courses with their progress, for the cadet's home page."""
    courses = catalogue_services.enrolled_courses(db.session, current_user)
    found = progress.course_progress(db.session, current_user.id, [c.id for c in courses])
    return [(c, found[c.id]) for c in courses]


def taught_courses() -> list[Any]:
    return catalogue_services.taught_courses(db.session, current_user)


def cohort_courses(cohort: Any) -> list[Any]:
    """The courses a cohort is enrolled in, for the cohort's page."""
    return cohort_sync.courses_of_cohort(db.session, cohort)


def cohort_course_choices(cohort: Any) -> list[Any]:
    """The courses the signed-in administrator may enrol the cohort in."""
    return cohort_sync.enrollable_courses(db.session, current_user, cohort)


def init_app(app: Flask) -> None:
    """What the courses area adds to the platform's pages, and its template helpers."""
    added = registry(app)
    added.add(NAV_LINKS, NavLink(frozenset(Role), NavItem("courses.catalogue", _l("Courses"))))
    added.add(NAV_LINKS, NavLink(frozenset({Role.GLOBAL_ADMIN}), NavItem("categories.index", _l("Categories"))))
    added.add(HOME_PANELS, HomePanel(Role.CADET, "courses/_panel_learning.html"))
    added.add(HOME_PANELS, HomePanel(Role.INSTRUCTOR, "courses/_panel_teaching.html"))
    added.add(COURSE_PANELS, "courses/quizzes/_course_panel.html")
    added.add(COHORT_PANELS, "courses/_cohort_panel.html")
    # What the shared parts of the catalogue and of course pages are made of (lectern.platform.cache): a change to
    # any of these makes them all stale. Enrolments, progress and passes are never in a shared part.
    for model in (Course, CourseShare, CourseStaff, Category, Academy, Module, Lesson, Quiz):
        added.add(WATCHED, model)
    app.jinja_env.globals.update(
        my_courses=my_courses,
        taught_courses=taught_courses,
        visibility_labels=VISIBILITY_LABELS,
        lesson_kind_labels=LESSON_KIND_LABELS,
        question_type_labels=QUESTION_TYPE_LABELS,
        grading_method_labels=GRADING_METHOD_LABELS,
        cohort_courses=cohort_courses,
        cohort_course_choices=cohort_course_choices,
    )
    app.jinja_env.filters["markdown"] = render
    app.jinja_env.filters["question_text"] = quiz_render.text
    app.jinja_env.filters["question_inline"] = quiz_render.inline

    @app.context_processor
    def course_page() -> dict[str, Any]:
        return {"course_panels": registry().items(COURSE_PANELS), "lesson_panels": registry().items(LESSON_PANELS)}
