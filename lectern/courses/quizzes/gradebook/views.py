"""Grading: the gradebook and its CSV, a quiz's results, reviewing and marking an attempt, the manual grading
queue, quiz statistics, and per-cadet overrides.

Everything here is for those who teach the course (instructors, assistants, administrators); overrides change
the quiz for a cadet and are for its editors only. A quiz or an attempt reached through another course is 404.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from wtforms import SelectChoice

from lectern.courses import access
from lectern.courses.enrolment import cohort_sync
from lectern.courses.models import Course
from lectern.courses.quizzes.attempts import marking
from lectern.courses.quizzes.attempts import services as quiz_attempts
from lectern.courses.quizzes.attempts.marking import MarkReason
from lectern.courses.quizzes.gradebook import services as quiz_reports
from lectern.courses.quizzes.gradebook.forms import DeleteOverrideForm, ManualMarkForm, OverrideForm
from lectern.courses.quizzes.models import Attempt, AttemptAnswer, AttemptState, Quiz
from lectern.courses.requested import editable_course, taught_course
from lectern.domain import Invalid
from lectern.extensions import db
from lectern.i18n import gettext as _
from lectern.platform.cohorts import services as cohorts
from lectern.platform.downloads import csv_download
from lectern.platform.formatting import from_local
from lectern.platform.models import Cohort, utcnow
from lectern.platform.roles import login_required, signed_in_user
from lectern.urls import arg_id

bp = Blueprint("quiz_grades", __name__, url_prefix="/courses")


# --- helpers ------------------------------------------------------------------------------------------------------


def _finish_overdue(quiz: Quiz) -> None:
    """Finish the attempts whose time ran out, so that they show and count with what was saved."""
    quiz_attempts.finish_overdue(db.session, quiz, utcnow())


def _mark_form(answer: AttemptAnswer, back: str = "") -> ManualMarkForm:
    """An empty mark form for one answer, holding its present mark and comment."""
    return ManualMarkForm(
        formdata=None,
        position=str(answer.position),
        back=back,
        mark="" if answer.mark is None else f"{answer.mark:g}",
        comment=answer.comment,
    )


def _save_mark(quiz: Quiz, attempt: Attempt, form: ManualMarkForm) -> bool:
    """Apply a posted mark; False (with the error on the form) when it cannot be. Conflict for an attempt still in
    progress."""
    answer = quiz_reports.answer_of(db.session, attempt, form.position_value or 0)
    try:
        marking.grade_by_hand(db.session, answer, form.mark_value, form.comment.data or "", signed_in_user(), utcnow())
    except Invalid as refused:
        if refused.reason is MarkReason.OUT_OF_RANGE:
            form.mark.errors = [_("The mark must be between 0 and %(max)s.", max=f"{answer.max_mark:g}")]
        else:
            form.mark.errors = [_("This item takes no mark.")]
        return False
    return True


# --- gradebook ----------------------------------------------------------------------------------------------------


def _gradebook(course: Course, cohort: Cohort | None) -> quiz_reports.Gradebook:
    quiz_attempts.finish_overdue(db.session, None, utcnow(), course_ids=[course.id])
    user_ids = cohorts.member_ids(db.session, cohort) if cohort is not None else None
    return quiz_reports.gradebook(db.session, course, user_ids)


@bp.route("/<id:course_id>/gradebook")
@login_required
def gradebook(course_id: int) -> ResponseReturnValue:
    course = taught_course(course_id)
    choices, chosen = cohort_sync.chosen_cohort(db.session, course, arg_id("cohort"))
    book = _gradebook(course, chosen)
    return render_template("courses/quizzes/gradebook.html", course=course, book=book, cohorts=choices, cohort=chosen)


@bp.route("/<id:course_id>/gradebook.csv")
@login_required
def gradebook_csv(course_id: int) -> ResponseReturnValue:
    course = taught_course(course_id)
    _choices, chosen = cohort_sync.chosen_cohort(db.session, course, arg_id("cohort"))
    name = f"course-{course.id}-cohort-{chosen.id}" if chosen else f"course-{course.id}"
    return csv_download(quiz_reports.gradebook_csv(_gradebook(course, chosen)), f"{name}-gradebook.csv")


# --- one quiz -----------------------------------------------------------------------------------------------------


@bp.route("/<id:course_id>/quizzes/<id:quiz_id>/results")
@login_required
def results(course_id: int, quiz_id: int) -> ResponseReturnValue:
    course = taught_course(course_id)
    quiz = quiz_attempts.quiz_of(db.session, course, quiz_id)
    _finish_overdue(quiz)
    return render_template(
        "courses/quizzes/results.html",
        course=course,
        quiz=quiz,
        attempts=quiz_reports.quiz_attempts_list(db.session, quiz),
        editing=access.can_edit(db.session, signed_in_user(), course),
    )


@bp.route("/<id:course_id>/quizzes/<id:quiz_id>/attempts/<id:attempt_id>/grade", methods=["GET", "POST"])
@login_required
def attempt_grade(course_id: int, quiz_id: int, attempt_id: int) -> ResponseReturnValue:
    """The teacher's review of one attempt: every answer with the right one and its mark, each mark changeable."""
    course = taught_course(course_id)
    quiz = quiz_attempts.quiz_of(db.session, course, quiz_id)
    attempt = quiz_reports.attempt_of(db.session, quiz, attempt_id)
    posted: ManualMarkForm | None = None
    here = url_for(".attempt_grade", course_id=course.id, quiz_id=quiz.id, attempt_id=attempt.id)
    if request.method == "POST" and attempt.state is AttemptState.IN_PROGRESS:
        flash(_("This attempt is still in progress: it can be marked once it is finished."), "error")
        return redirect(here)
    if request.method == "POST":
        posted = ManualMarkForm()
        if posted.validate() and _save_mark(quiz, attempt, posted):
            flash(_("Mark saved."), "success")
            if posted.back.data == "queue":
                return redirect(url_for(".grading", course_id=course.id, quiz_id=quiz.id))
            return redirect(f"{here}#answer-{posted.position.data}")
        if posted.back.data == "queue":
            flash(_("The mark was not saved: %(why)s", why=" ".join(_errors(posted))), "error")
            return redirect(url_for(".grading", course_id=course.id, quiz_id=quiz.id))
    forms = {}
    for answer in attempt.answers:
        same = posted is not None and posted.position.data == str(answer.position)
        forms[answer.position] = posted if same and posted is not None else _mark_form(answer)
    return render_template(
        "courses/quizzes/attempt_grade.html",
        course=course,
        quiz=quiz,
        attempt=attempt,
        forms=forms,
        grade=marking.quiz_grades(db.session, quiz, [attempt.user_id]).get(attempt.user_id),
    )


def _errors(form: ManualMarkForm) -> list[str]:
    return [str(e) for field in (form.position, form.mark, form.comment) for e in field.errors]


@bp.route("/<id:course_id>/quizzes/<id:quiz_id>/grading")
@login_required
def grading(course_id: int, quiz_id: int) -> ResponseReturnValue:
    """Answers waiting for a teacher's mark (essays), oldest attempt first, each with its mark form."""
    course = taught_course(course_id)
    quiz = quiz_attempts.quiz_of(db.session, course, quiz_id)
    _finish_overdue(quiz)
    queue = marking.grading_queue(db.session, quiz)
    forms = {(a.attempt_id, a.position): _mark_form(a, back="queue") for a in queue}
    return render_template("courses/quizzes/grading.html", course=course, quiz=quiz, queue=queue, forms=forms)


@bp.route("/<id:course_id>/quizzes/<id:quiz_id>/statistics")
@login_required
def statistics(course_id: int, quiz_id: int) -> ResponseReturnValue:
    course = taught_course(course_id)
    quiz = quiz_attempts.quiz_of(db.session, course, quiz_id)
    _finish_overdue(quiz)
    stats = quiz_reports.statistics(db.session, quiz)
    return render_template(
        "courses/quizzes/statistics.html",
        course=course,
        quiz=quiz,
        stats=stats,
        bands=list(zip(quiz_reports.band_labels(), stats.distribution, strict=True)),
        tallest=max(stats.distribution, default=0) or 1,
    )


@bp.route("/<id:course_id>/quizzes/<id:quiz_id>/overrides", methods=["GET", "POST"])
@login_required
def overrides(course_id: int, quiz_id: int) -> ResponseReturnValue:
    """Per-cadet extra minutes, extra attempts and later close; editors only."""
    course = editable_course(course_id)
    quiz = quiz_attempts.quiz_of(db.session, course, quiz_id)
    cadets = quiz_reports.enrolled_users(db.session, course)
    form = OverrideForm()
    form.user_id.choices = [SelectChoice(u.id, f"{u.last_name}, {u.first_name} ({u.username})") for u in cadets]
    remove = DeleteOverrideForm()
    here = url_for(".overrides", course_id=course.id, quiz_id=quiz.id)
    if request.method == "POST" and "delete_user_id" in request.form:
        if not remove.validate():
            abort(400)
        if quiz_reports.delete_override(db.session, quiz, remove.user_id_value or 0):
            db.session.commit()
            flash(_("The override has been removed."), "info")
        return redirect(here)
    if form.validate_on_submit():
        kept = quiz_reports.set_override(
            db.session,
            quiz,
            form.user_id.data,
            extra_minutes=form.extra_minutes.data or 0,
            extra_attempts=form.extra_attempts.data or 0,
            closes_at=from_local(form.closes_at.data),
        )
        db.session.commit()
        flash(
            _("Override saved.") if kept else _("Nothing to override: the cadet follows the quiz's settings."), "info"
        )
        return redirect(here)
    return render_template(
        "courses/quizzes/overrides.html",
        course=course,
        quiz=quiz,
        form=form,
        remove=remove,
        overrides=quiz_reports.overrides_of(db.session, quiz),
    )
