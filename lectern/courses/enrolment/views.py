"""What a course's editors manage beside its participants: the cohorts enrolled in it and its staff.

The forms are on the participants page; enrolling a cohort from the cohort's own page (platform) posts here too,
and goes back there.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from lectern.courses.enrolment import cohort_sync, roster
from lectern.courses.enrolment.services import EnrolmentReason
from lectern.courses.models import Course, CourseCohort, CourseRole
from lectern.courses.requested import editable_course, listed_course
from lectern.domain import Forbidden
from lectern.extensions import db
from lectern.i18n import gettext as _
from lectern.i18n import ngettext
from lectern.platform.cohorts import services as cohorts
from lectern.platform.models import Cohort
from lectern.platform.roles import login_required, signed_in_user
from lectern.urls import form_id

bp = Blueprint("course_admin", __name__, url_prefix="/courses")


def _cohort_by_id(cohort_id: int) -> Cohort:
    """Any cohort: the services decide who may do what with it."""
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None:
        abort(404)
    return cohort


def _back(course: Course, cohort: Cohort | None = None) -> Response:
    """To the cohort's page when the form was there, else to the course's participants."""
    if cohort is not None and request.form.get("back") == "cohort":
        return redirect(url_for("cohorts.cohort", cohort_id=cohort.id))
    return redirect(url_for("courses.participants", course_id=course.id))


def _enrolled_message(cohort: Cohort, course: Course, added: int) -> str:
    return ngettext(
        "%(cohort)s is enrolled in %(course)s: %(num)d cadet newly enrolled.",
        "%(cohort)s is enrolled in %(course)s: %(num)d cadets newly enrolled.",
        added,
        cohort=cohort.name,
        course=course.title,
    )


@bp.route("/<id:course_id>/cohorts", methods=["POST"])
@login_required
def add_cohort(course_id: int) -> ResponseReturnValue:
    """Enrol a cohort of an academy the course is offered to (from the participants page)."""
    course = editable_course(course_id)
    cohort = _cohort_by_id(form_id("cohort_id"))
    added = cohort_sync.enrol_cohort(db.session, signed_in_user(), course, cohort)
    db.session.commit()
    flash(_enrolled_message(cohort, course, added), "success")
    return _back(course)


@bp.route("/cohorts/<id:cohort_id>/enrol", methods=["POST"])
@login_required
def enrol_cohort(cohort_id: int) -> ResponseReturnValue:
    """Enrol the cohort in a course (from the cohort's page: its administrators only)."""
    cohort = cohorts.get_cohort_for(db.session, signed_in_user(), cohort_id)
    # The cohort's administrators enrol it in courses offered to its academy that they do not edit themselves.
    course = listed_course(form_id("course_id"))
    added = cohort_sync.enrol_cohort(db.session, signed_in_user(), course, cohort)
    db.session.commit()
    flash(_enrolled_message(cohort, course, added), "success")
    return redirect(url_for("cohorts.cohort", cohort_id=cohort.id))


@bp.route("/<id:course_id>/cohorts/<id:cohort_id>/remove", methods=["POST"])
@login_required
def remove_cohort(course_id: int, cohort_id: int) -> ResponseReturnValue:
    """Unenrol a cohort: the enrolments it alone gave end, completions and grades are kept. By the course's editors
    or the cohort's administrators (the service checks)."""
    # By the link, not by the course's offer: a course taken back from the cohort's academy still lets it go.
    course, cohort = db.session.get(Course, course_id), _cohort_by_id(cohort_id)
    if course is None or db.session.get(CourseCohort, (course_id, cohort_id)) is None:
        abort(404)
    if not cohort_sync.may_manage(db.session, signed_in_user(), course, cohort):
        listed_course(course_id)  # 404 for a course the user cannot find; unenrol_cohort's 403 for the others
    removed = cohort_sync.unenrol_cohort(db.session, signed_in_user(), course, cohort)
    db.session.commit()
    flash(
        ngettext(
            "%(cohort)s is no longer enrolled in %(course)s: %(num)d cadet unenrolled; their grades are kept.",
            "%(cohort)s is no longer enrolled in %(course)s: %(num)d cadets unenrolled; their grades are kept.",
            removed,
            cohort=cohort.name,
            course=course.title,
        ),
        "info",
    )
    return _back(course, cohort)


@bp.route("/<id:course_id>/staff", methods=["POST"])
@login_required
def add_staff(course_id: int) -> ResponseReturnValue:
    """Give a user of the course's academy a role in the course, or change theirs."""
    course = editable_course(course_id)
    user_id = form_id("user_id")
    role = request.form.get("role", "")
    if role not in CourseRole._value2member_map_:
        abort(400)
    try:
        changed = roster.set_staff(db.session, signed_in_user(), course, user_id, CourseRole(role))
    except Forbidden as refused:
        if refused.reason is not EnrolmentReason.OWN_ROLE:
            raise
        db.session.rollback()
        flash(_("You cannot change your own role in this course."), "error")
        return _back(course)
    db.session.commit()
    if changed:
        flash(_("The course role has been given."), "success")
    return _back(course)


@bp.route("/<id:course_id>/staff/<id:user_id>/remove", methods=["POST"])
@login_required
def remove_staff(course_id: int, user_id: int) -> ResponseReturnValue:
    course = editable_course(course_id)
    try:
        removed = roster.remove_staff(db.session, signed_in_user(), course, user_id)
    except Forbidden as refused:
        if refused.reason is not EnrolmentReason.OWN_ROLE:
            raise
        db.session.rollback()
        flash(_("You cannot remove your own role in this course."), "error")
        return _back(course)
    db.session.commit()
    if removed:
        flash(_("The course role has been taken away."), "info")
    return _back(course)
