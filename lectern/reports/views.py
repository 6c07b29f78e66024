"""Report pages and their CSV exports: the index, a course's report (narrowed to a cohort if asked) and a cohort's
report. Who may read which is `reports.access`; cadets and lecture halls get 403 on every one of them."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from lectern.courses.enrolment import cohort_sync
from lectern.courses.models import Course
from lectern.courses.quizzes.attempts import services as quiz_attempts
from lectern.extensions import db
from lectern.platform.admin.services import administers
from lectern.platform.cohorts import services as platform_cohorts
from lectern.platform.downloads import csv_download
from lectern.platform.models import Cohort, Role, utcnow
from lectern.platform.roles import role_required
from lectern.reports import access, exports, figures, services
from lectern.urls import arg_id

bp = Blueprint("reports", __name__, url_prefix="/reports")

REPORTERS = access.REPORTERS
ADMINS = (Role.GLOBAL_ADMIN, Role.ACADEMY_ADMIN)


@bp.route("/")
@role_required(*REPORTERS)
def index() -> ResponseReturnValue:
    return render_template(
        "reports/index.html",
        courses=access.reportable_courses(db.session, current_user),
        cohorts=platform_cohorts.visible_cohorts(db.session, current_user),
        rate=services.rate,
    )


# --- a course -----------------------------------------------------------------------------------------------------


def _course_report(course_id: int) -> tuple[services.CourseReport, list[Cohort], Cohort | None]:
    """The course's report, narrowed to the cohort of `?cohort=` if it is one of the course's choices (anything
    else shows every cadet); with the choices and the chosen one."""
    course: Course = access.course_for_report(db.session, current_user, course_id)
    choices, chosen = cohort_sync.chosen_cohort(db.session, course, arg_id("cohort"))
    user_ids = platform_cohorts.member_ids(db.session, chosen) if chosen else None
    now = utcnow()
    quiz_attempts.finish_overdue(db.session, None, now, course_ids=[course.id])
    return services.course_report(db.session, course, now, user_ids), choices, chosen


@bp.route("/courses/<id:course_id>")
@role_required(*REPORTERS)
def course(course_id: int) -> ResponseReturnValue:
    report, choices, chosen = _course_report(course_id)
    return render_template(
        "reports/course.html",
        report=report,
        course=report.course,
        choices=choices,
        chosen=chosen,
        several_academies=len({c.academy_id for c in choices}) > 1,
        completion=figures.completion(report),
        quiz_chart=figures.quiz_averages(report),
        attendance_chart=figures.attendance(report),
        whole=figures.whole,
    )


@bp.route("/courses/<id:course_id>.csv")
@role_required(*REPORTERS)
def course_csv(course_id: int) -> ResponseReturnValue:
    report, _choices, chosen = _course_report(course_id)
    name = f"course-{course_id}" + (f"-cohort-{chosen.id}" if chosen else "") + "-report.csv"
    return csv_download(exports.course_csv(report), name)


# --- a cohort -----------------------------------------------------------------------------------------------------


def _cohort_report(cohort_id: int) -> tuple[services.CohortReport, bool]:
    """The cohort's report over every course its members take, or (`?courses=cohort`) only over those the cohort
    is enrolled in; with whether it is the latter."""
    cohort: Cohort = access.cohort_for_report(db.session, current_user, cohort_id)
    only_linked = request.args.get("courses") == "cohort"
    courses = services.cohort_courses(db.session, cohort, members_courses=not only_linked)
    now = utcnow()
    quiz_attempts.finish_overdue(db.session, None, now, course_ids=[c.id for c, _linked in courses])
    return services.cohort_report(db.session, cohort, now, courses), only_linked


@bp.route("/cohorts/<id:cohort_id>")
@role_required(*ADMINS)
def cohort(cohort_id: int) -> ResponseReturnValue:
    report, only_linked = _cohort_report(cohort_id)
    return render_template(
        "reports/cohort.html",
        report=report,
        cohort=report.cohort,
        only_linked=only_linked,
        # A course of another academy, taken by members on their own, is not this administrator's to open.
        openable={c.report.course.id for c in report.courses if administers(current_user, c.report.course.academy_id)},
        completion_chart=figures.cohort_completion(report),
        grade_chart=figures.cohort_grades(report),
    )


@bp.route("/cohorts/<id:cohort_id>.csv")
@role_required(*ADMINS)
def cohort_csv(cohort_id: int) -> ResponseReturnValue:
    report, only_linked = _cohort_report(cohort_id)
    name = f"cohort-{cohort_id}" + ("-cohort-courses" if only_linked else "") + "-report.csv"
    return csv_download(exports.cohort_csv(report), name)
