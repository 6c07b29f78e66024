"""Catalogue, course content and uploads, packages, enrolment (cohorts too), quizzes, grading and the gradebook.
Imports the platform area only."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the courses area: its pages, what it adds to the platform's pages and to the users CSV import, and
    its receivers of the cohort membership signals."""
    from lectern.courses import templating
    from lectern.courses.catalogue import categories
    from lectern.courses.catalogue import views as catalogue
    from lectern.courses.content import editing, lessons
    from lectern.courses.enrolment import cohort_sync
    from lectern.courses.enrolment import views as enrolment
    from lectern.courses.enrolment.user_import import CourseLinks
    from lectern.courses.packages import jobs
    from lectern.courses.packages import views as packages
    from lectern.courses.quizzes import templating as quiz_templating
    from lectern.courses.quizzes.attempts import views as attempts
    from lectern.courses.quizzes.authoring import views as authoring
    from lectern.courses.quizzes.bank import import_views
    from lectern.courses.quizzes.bank import views as bank
    from lectern.courses.quizzes.gradebook import views as gradebook
    from lectern.platform.user_import.services import COURSE_LINKS
    from lectern.registry import registry

    for blueprint in (
        catalogue.bp,
        enrolment.bp,
        editing.bp,
        lessons.bp,
        categories.bp,
        packages.bp,
        bank.bp,
        import_views.bp,
        attempts.bp,
        authoring.bp,
        gradebook.bp,
    ):
        app.register_blueprint(blueprint)
    templating.init_app(app)
    quiz_templating.init_app(app)
    registry(app).add(COURSE_LINKS, CourseLinks())
    cohort_sync.connect_signals()
    jobs.init_app(app)  # the import task
