"""Building a quiz in the browser: its settings, and its questions (from the bank, or drawn at random)."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from wtforms import SelectChoice

from lectern.courses.quizzes.attempts import services as quiz_attempts
from lectern.courses.quizzes.authoring import services as authoring
from lectern.courses.quizzes.authoring.forms import AddRandomForm, QuizForm, SlotMarkForm
from lectern.courses.quizzes.models import REVIEW_SETTINGS, Quiz, ReviewWhen
from lectern.courses.requested import editable_course
from lectern.extensions import db
from lectern.i18n import gettext as _
from lectern.i18n import ngettext
from lectern.platform.formatting import from_local, to_local
from lectern.platform.roles import login_required
from lectern.urls import form_ids

bp = Blueprint("quiz_edit", __name__, url_prefix="/courses")


def editable_quiz(course_id: int, quiz_id: int) -> Quiz:
    """The quiz, if the signed-in user may edit its course; 404 for a quiz of another course."""
    return quiz_attempts.quiz_of(db.session, editable_course(course_id), quiz_id)


def _fill(form: QuizForm, quiz: Quiz) -> None:
    form.title.data, form.intro.data, form.published.data = quiz.title, quiz.intro, quiz.published
    form.opens_at.data, form.closes_at.data = to_local(quiz.opens_at), to_local(quiz.closes_at)
    form.time_limit_minutes.data, form.attempts_allowed.data = quiz.time_limit_minutes, quiz.attempts_allowed
    form.grading_method.data = quiz.grading_method
    form.pass_percent.data = None if quiz.pass_percent is None else Decimal(str(quiz.pass_percent))
    form.required_for_completion.data = quiz.required_for_completion
    form.shuffle_questions.data, form.shuffle_answers.data = quiz.shuffle_questions, quiz.shuffle_answers
    for name in REVIEW_SETTINGS:
        getattr(form, name).data = getattr(quiz, name).value


def _settings(form: QuizForm) -> authoring.QuizSettings:
    return authoring.QuizSettings(
        title=form.title.data or "",
        intro=form.intro.data or "",
        published=bool(form.published.data),
        opens_at=from_local(form.opens_at.data),
        closes_at=from_local(form.closes_at.data),
        time_limit_minutes=form.time_limit_minutes.data or None,
        attempts_allowed=form.attempts_allowed.data or 0,
        grading_method=form.grading_method.data or "highest",
        pass_percent=None if form.pass_percent.data is None else float(form.pass_percent.data),
        required_for_completion=bool(form.required_for_completion.data),
        shuffle_questions=bool(form.shuffle_questions.data),
        shuffle_answers=bool(form.shuffle_answers.data),
        review={name: ReviewWhen(getattr(form, name).data) for name in REVIEW_SETTINGS},
    )


@bp.route("/<id:course_id>/quizzes/new", methods=["GET", "POST"])
@login_required
def new(course_id: int) -> ResponseReturnValue:
    course = editable_course(course_id)
    form = QuizForm()
    if form.validate_on_submit():
        quiz = authoring.create_quiz(db.session, course, _settings(form))
        db.session.commit()
        flash(_("Quiz created. Now add its questions."), "success")
        return redirect(url_for(".questions", course_id=course.id, quiz_id=quiz.id))
    return render_template("courses/quizzes/quiz_form.html", course=course, quiz=None, form=form)


@bp.route("/<id:course_id>/quizzes/<id:quiz_id>/settings", methods=["GET", "POST"])
@login_required
def settings(course_id: int, quiz_id: int) -> ResponseReturnValue:
    quiz = editable_quiz(course_id, quiz_id)
    form = QuizForm()
    if request.method == "GET":
        _fill(form, quiz)
    if form.validate_on_submit():
        authoring.update_quiz(db.session, quiz, _settings(form))
        db.session.commit()
        flash(_("Quiz saved."), "success")
        return redirect(url_for("quizzes.quiz", course_id=course_id, quiz_id=quiz.id))
    return render_template("courses/quizzes/quiz_form.html", course=quiz.course, quiz=quiz, form=form)


@bp.route("/<id:course_id>/quizzes/<id:quiz_id>/delete", methods=["POST"])
@login_required
def delete(course_id: int, quiz_id: int) -> ResponseReturnValue:
    quiz = editable_quiz(course_id, quiz_id)
    authoring.delete_quiz(db.session, quiz)
    db.session.commit()
    flash(_("Quiz deleted, with its attempts."), "success")
    return redirect(url_for("courses.course", course_id=course_id))


@bp.route("/<id:course_id>/quizzes/<id:quiz_id>/questions")
@login_required
def questions(course_id: int, quiz_id: int) -> ResponseReturnValue:
    quiz = editable_quiz(course_id, quiz_id)
    bank = authoring.bank_view(db.session, quiz.course)
    random_form = AddRandomForm()
    random_form.category_id.choices = [
        SelectChoice(c.id, f"{c.name} ({bank.counts.get(c.id, 0)})") for c in bank.categories
    ]
    used = {s.question_id for s in quiz.slots if s.question_id}
    return render_template(
        "courses/quizzes/questions.html",
        course=quiz.course,
        quiz=quiz,
        bank=bank.questions,
        by_category={c.id: bank.in_category(c.id) for c in bank.categories},
        categories=bank.categories,
        counts=bank.counts,
        used=used,
        random_form=random_form,
        mark_form=SlotMarkForm(),
        total=sum(s.mark for s in quiz.slots),
    )


@bp.route("/<id:course_id>/quizzes/<id:quiz_id>/questions/add", methods=["POST"])
@login_required
def add_questions(course_id: int, quiz_id: int) -> ResponseReturnValue:
    quiz = editable_quiz(course_id, quiz_id)
    wanted = form_ids("question_id")
    added = authoring.add_questions(db.session, quiz, wanted)
    db.session.commit()
    if wanted:
        flash(ngettext("%(num)d question added.", "%(num)d questions added.", added), "success")
    else:
        flash(_("Tick the questions to add."), "error")
    return redirect(url_for(".questions", course_id=course_id, quiz_id=quiz_id))


@bp.route("/<id:course_id>/quizzes/<id:quiz_id>/questions/random", methods=["POST"])
@login_required
def add_random(course_id: int, quiz_id: int) -> ResponseReturnValue:
    quiz = editable_quiz(course_id, quiz_id)
    form = AddRandomForm()
    form.category_id.choices = [SelectChoice(c.id, c.name) for c in authoring.categories_of(db.session, quiz.course)]
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return redirect(url_for(".questions", course_id=course_id, quiz_id=quiz_id))
    count = form.count.data or 1
    available = authoring.add_random(db.session, quiz, form.category_id.data, count)
    db.session.commit()
    flash(ngettext("%(num)d random question added.", "%(num)d random questions added.", count), "success")
    if available < count:
        flash(
            _(
                "The category has only %(available)d questions: attempts will have fewer questions than slots.",
                available=available,
            ),
            "warning",
        )
    return redirect(url_for(".questions", course_id=course_id, quiz_id=quiz_id))


@bp.route("/<id:course_id>/quizzes/<id:quiz_id>/slots/<id:slot_id>/move", methods=["POST"])
@login_required
def move_slot(course_id: int, quiz_id: int, slot_id: int) -> ResponseReturnValue:
    quiz = editable_quiz(course_id, quiz_id)
    slot = authoring.slot_of(quiz, slot_id)
    authoring.move_slot(db.session, quiz, slot, -1 if request.form.get("direction") == "up" else 1)
    db.session.commit()
    return redirect(url_for(".questions", course_id=course_id, quiz_id=quiz_id))


@bp.route("/<id:course_id>/quizzes/<id:quiz_id>/slots/<id:slot_id>/remove", methods=["POST"])
@login_required
def remove_slot(course_id: int, quiz_id: int, slot_id: int) -> ResponseReturnValue:
    quiz = editable_quiz(course_id, quiz_id)
    authoring.remove_slot(db.session, quiz, authoring.slot_of(quiz, slot_id))
    db.session.commit()
    flash(_("Question removed from the quiz (it stays in the bank)."), "success")
    return redirect(url_for(".questions", course_id=course_id, quiz_id=quiz_id))


@bp.route("/<id:course_id>/quizzes/<id:quiz_id>/slots/<id:slot_id>/mark", methods=["POST"])
@login_required
def slot_mark(course_id: int, quiz_id: int, slot_id: int) -> ResponseReturnValue:
    quiz = editable_quiz(course_id, quiz_id)
    slot = authoring.slot_of(quiz, slot_id)
    form = SlotMarkForm()
    if form.validate_on_submit() and form.mark.data is not None:
        authoring.set_mark(db.session, slot, float(form.mark.data))
        db.session.commit()
        flash(_("Mark saved. It applies to attempts started from now on."), "success")
    else:
        flash(_("A mark is a number between 0.01 and 1000."), "error")
    return redirect(url_for(".questions", course_id=course_id, quiz_id=quiz_id))
