"""Building a quiz in the browser: its settings, and its questions (from the bank, or drawn at random)."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select
from wtforms import SelectChoice

from lectern.courses.quizzes.authoring.forms import AddRandomForm, QuizForm, SlotMarkForm
from lectern.courses.quizzes.models import REVIEW_SETTINGS, BankQuestion, QuestionCategory, Quiz, QuizSlot, ReviewWhen
from lectern.courses.views_common import editable_course, from_local, to_local
from lectern.extensions import db
from lectern.i18n import gettext as _
from lectern.i18n import ngettext
from lectern.platform.roles import login_required
from lectern.urls import form_ids

bp = Blueprint("quiz_edit", __name__, url_prefix="/courses")


def editable_quiz(course_id: int, quiz_id: int) -> Quiz:
    course = editable_course(course_id)
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None or quiz.course_id != course.id:
        abort(404)
    return quiz


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


def _apply(form: QuizForm, quiz: Quiz) -> None:
    quiz.title, quiz.intro, quiz.published = form.title.data or "", form.intro.data or "", bool(form.published.data)
    quiz.opens_at, quiz.closes_at = from_local(form.opens_at.data), from_local(form.closes_at.data)
    quiz.time_limit_minutes = form.time_limit_minutes.data or None
    quiz.attempts_allowed = form.attempts_allowed.data or 0
    quiz.grading_method = form.grading_method.data or "highest"
    quiz.pass_percent = None if form.pass_percent.data is None else float(form.pass_percent.data)
    quiz.required_for_completion = bool(form.required_for_completion.data)
    quiz.shuffle_questions, quiz.shuffle_answers = bool(form.shuffle_questions.data), bool(form.shuffle_answers.data)
    for name in REVIEW_SETTINGS:
        setattr(quiz, name, ReviewWhen(getattr(form, name).data))


@bp.route("/<id:course_id>/quizzes/new", methods=["GET", "POST"])
@login_required
def new(course_id: int) -> ResponseReturnValue:
    course = editable_course(course_id)
    form = QuizForm()
    if form.validate_on_submit():
        quiz = Quiz(course_id=course.id)
        _apply(form, quiz)
        db.session.add(quiz)
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
        _apply(form, quiz)
        db.session.commit()
        flash(_("Quiz saved."), "success")
        return redirect(url_for("quizzes.quiz", course_id=course_id, quiz_id=quiz.id))
    return render_template("courses/quizzes/quiz_form.html", course=quiz.course, quiz=quiz, form=form)


@bp.route("/<id:course_id>/quizzes/<id:quiz_id>/delete", methods=["POST"])
@login_required
def delete(course_id: int, quiz_id: int) -> ResponseReturnValue:
    quiz = editable_quiz(course_id, quiz_id)
    db.session.delete(quiz)
    db.session.commit()
    flash(_("Quiz deleted, with its attempts."), "success")
    return redirect(url_for("courses.course", course_id=course_id))


@bp.route("/<id:course_id>/quizzes/<id:quiz_id>/questions")
@login_required
def questions(course_id: int, quiz_id: int) -> ResponseReturnValue:
    quiz = editable_quiz(course_id, quiz_id)
    categories = list(
        db.session.scalars(
            select(QuestionCategory).where(QuestionCategory.course_id == course_id).order_by(QuestionCategory.name)
        )
    )
    bank = list(
        db.session.scalars(
            select(BankQuestion).where(BankQuestion.course_id == course_id).order_by(BankQuestion.name, BankQuestion.id)
        )
    )
    counts = dict(
        db.session.execute(
            select(BankQuestion.category_id, func.count(BankQuestion.id))
            .where(BankQuestion.course_id == course_id)
            .group_by(BankQuestion.category_id)
        ).all()
    )
    random_form = AddRandomForm()
    random_form.category_id.choices = [SelectChoice(c.id, f"{c.name} ({counts.get(c.id, 0)})") for c in categories]
    used = {s.question_id for s in quiz.slots if s.question_id}
    return render_template(
        "courses/quizzes/questions.html",
        course=quiz.course,
        quiz=quiz,
        bank=bank,
        by_category={c.id: [q for q in bank if q.category_id == c.id] for c in categories},
        categories=categories,
        counts=counts,
        used=used,
        random_form=random_form,
        mark_form=SlotMarkForm(),
        total=sum(s.mark for s in quiz.slots),
    )


def _renumber(quiz: Quiz) -> None:
    for position, slot in enumerate(quiz.slots):
        slot.position = position


@bp.route("/<id:course_id>/quizzes/<id:quiz_id>/questions/add", methods=["POST"])
@login_required
def add_questions(course_id: int, quiz_id: int) -> ResponseReturnValue:
    quiz = editable_quiz(course_id, quiz_id)
    wanted = form_ids("question_id")
    found = set(
        db.session.scalars(
            select(BankQuestion.id).where(BankQuestion.course_id == course_id, BankQuestion.id.in_(wanted))
        )
    )
    if len(found) != len(wanted):
        abort(404)  # a question of another course's bank, or none at all
    start = len(quiz.slots)
    for offset, question_id in enumerate(wanted):
        quiz.slots.append(QuizSlot(position=start + offset, question_id=question_id, mark=1.0))
    db.session.commit()
    if wanted:
        flash(ngettext("%(num)d question added.", "%(num)d questions added.", len(found)), "success")
    else:
        flash(_("Tick the questions to add."), "error")
    return redirect(url_for(".questions", course_id=course_id, quiz_id=quiz_id))


@bp.route("/<id:course_id>/quizzes/<id:quiz_id>/questions/random", methods=["POST"])
@login_required
def add_random(course_id: int, quiz_id: int) -> ResponseReturnValue:
    quiz = editable_quiz(course_id, quiz_id)
    form = AddRandomForm()
    form.category_id.choices = [
        SelectChoice(c.id, c.name)
        for c in db.session.scalars(select(QuestionCategory).where(QuestionCategory.course_id == course_id))
    ]
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return redirect(url_for(".questions", course_id=course_id, quiz_id=quiz_id))
    count = form.count.data or 1
    available = (
        db.session.scalar(select(func.count(BankQuestion.id)).where(BankQuestion.category_id == form.category_id.data))
        or 0
    )
    start = len(quiz.slots)
    for offset in range(count):
        quiz.slots.append(QuizSlot(position=start + offset, category_id=form.category_id.data, mark=1.0))
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


def _slot(quiz: Quiz, slot_id: int) -> QuizSlot:
    slot = next((s for s in quiz.slots if s.id == slot_id), None)
    if slot is None:
        abort(404)
    return slot


@bp.route("/<id:course_id>/quizzes/<id:quiz_id>/slots/<id:slot_id>/move", methods=["POST"])
@login_required
def move_slot(course_id: int, quiz_id: int, slot_id: int) -> ResponseReturnValue:
    quiz = editable_quiz(course_id, quiz_id)
    slot = _slot(quiz, slot_id)
    index = quiz.slots.index(slot)
    other = index + (-1 if request.form.get("direction") == "up" else 1)
    if 0 <= other < len(quiz.slots):
        quiz.slots[index].position, quiz.slots[other].position = other, index
        db.session.commit()
    return redirect(url_for(".questions", course_id=course_id, quiz_id=quiz_id))


@bp.route("/<id:course_id>/quizzes/<id:quiz_id>/slots/<id:slot_id>/remove", methods=["POST"])
@login_required
def remove_slot(course_id: int, quiz_id: int, slot_id: int) -> ResponseReturnValue:
    quiz = editable_quiz(course_id, quiz_id)
    quiz.slots.remove(_slot(quiz, slot_id))
    _renumber(quiz)
    db.session.commit()
    flash(_("Question removed from the quiz (it stays in the bank)."), "success")
    return redirect(url_for(".questions", course_id=course_id, quiz_id=quiz_id))


@bp.route("/<id:course_id>/quizzes/<id:quiz_id>/slots/<id:slot_id>/mark", methods=["POST"])
@login_required
def slot_mark(course_id: int, quiz_id: int, slot_id: int) -> ResponseReturnValue:
    quiz = editable_quiz(course_id, quiz_id)
    slot = _slot(quiz, slot_id)
    form = SlotMarkForm()
    if form.validate_on_submit() and form.mark.data is not None:
        slot.mark = float(form.mark.data)
        db.session.commit()
        flash(_("Mark saved. It applies to attempts started from now on."), "success")
    else:
        flash(_("A mark is a number between 0.01 and 1000."), "error")
    return redirect(url_for(".questions", course_id=course_id, quiz_id=quiz_id))
