"""The question bank of a course: categories, questions (edited as GIFT), import with a preview, export.

Only the course's editors see it. Imports go in two steps with nothing kept on the server in between: the upload
is parsed and previewed, and the decoded text travels back in a hidden field to be parsed again on confirm.
"""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from wtforms import SelectChoice

from lectern.courses.models import Course
from lectern.courses.quizzes import render as quiz_render
from lectern.courses.quizzes.attempts import marking
from lectern.courses.quizzes.bank import services as quiz_bank
from lectern.courses.quizzes.bank.forms import (
    EXAMPLES,
    QUESTION_TYPE_LABELS,
    CategoryForm,
    MoveForm,
    QuestionForm,
)
from lectern.courses.quizzes.bank.services import BankReason
from lectern.courses.quizzes.formats.gift import parse_gift, to_gift
from lectern.courses.quizzes.models import QuestionCategory
from lectern.courses.quizzes.questions import Problem, Question, QuestionType, QuizFormatError
from lectern.courses.quizzes.responses import matching_options, matching_stems
from lectern.courses.requested import editable_course
from lectern.domain import Conflict, Invalid
from lectern.extensions import db
from lectern.i18n import gettext as _
from lectern.i18n import ngettext, render
from lectern.platform.models import utcnow
from lectern.platform.roles import login_required
from lectern.urls import arg_id, form_ids, search_arg

bp = Blueprint("quiz_bank", __name__, url_prefix="/courses")


@bp.context_processor
def template_helpers() -> dict[str, object]:
    """What the bank's templates use to show a question as its instructors see it."""
    return {
        "qtext": quiz_render.text,
        "qinline": quiz_render.inline,
        "matching_stems": matching_stems,
        "matching_options": matching_options,
        "type_labels": QUESTION_TYPE_LABELS,
    }


# --- helpers ------------------------------------------------------------------------------------------------------


def category_choices(course: Course) -> list[SelectChoice]:
    """Every category, indented as in the tree (a bank with none yet offers "Top": see `quiz_bank.NEW_TOP`)."""
    return [
        SelectChoice(category_id, "\u2003" * path.count("/") + path.rsplit("/", 1)[-1])
        for category_id, path in quiz_bank.category_choices(db.session, course)
    ]


def chosen_category(course: Course, category_id: int) -> QuestionCategory:
    """The category chosen in a posted form (one of `category_choices`); "Top" is made here for a new bank."""
    return quiz_bank.chosen_category(db.session, course, category_id)


def category_arg(course: Course) -> QuestionCategory | None:
    if not request.args.get("category"):
        return None
    category_id = arg_id("category")
    if category_id is None:
        abort(404)
    return quiz_bank.category_of(db.session, course, category_id)


def bank_url(course: Course, category: QuestionCategory | None = None) -> str:
    return url_for("quiz_bank.bank", course_id=course.id, category=category.id if category else None)


def problem_texts(problems: list[Problem]) -> list[str]:
    """The problems of a question file in the reader's language, each after its place in the file."""
    return [f"{render(p.where)}: {render(p.message)}" for p in problems]


def _parse_one(text: str) -> tuple[Question | None, list[str]]:
    """The one question of GIFT `text`, or the messages (with line numbers) that say why there is none."""
    try:
        result = parse_gift(text)
    except QuizFormatError as exc:
        return None, problem_texts(exc.problems)
    if result.problems:
        return None, problem_texts(result.problems)
    if len(result.questions) != 1:
        return None, [
            _(
                "The text holds %(count)d questions: write exactly one (questions are separated by blank lines).",
                count=len(result.questions),
            )
        ]
    return result.questions[0], []


# --- the bank -----------------------------------------------------------------------------------------------------


@bp.route("/<id:course_id>/questions")
@login_required
def bank(course_id: int) -> ResponseReturnValue:
    """The category tree with counts, and the questions of the chosen category (or all), searchable."""
    course = editable_course(course_id)
    category = category_arg(course)
    search = search_arg(200)
    subcategories = request.args.get("sub") == "1"
    found = quiz_bank.questions(db.session, course, category, search=search, subcategories=subcategories)
    move_form = MoveForm()
    move_form.category_id.choices = category_choices(course)
    category_form = CategoryForm()
    category_form.parent_id.choices = move_form.category_id.choices
    if category is not None:
        category_form.parent_id.data = category.id
    return render_template(
        "courses/quizzes/bank.html",
        course=course,
        tree=quiz_bank.category_tree(db.session, course),
        category=category,
        questions=found,
        search=search,
        subcategories=subcategories,
        move_form=move_form,
        category_form=category_form,
    )


@bp.route("/<id:course_id>/questions/categories", methods=["POST"])
@login_required
def add_category(course_id: int) -> ResponseReturnValue:
    course = editable_course(course_id)
    form = CategoryForm()
    form.parent_id.choices = category_choices(course)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return redirect(bank_url(course))
    parent = chosen_category(course, form.parent_id.data)
    try:
        category = quiz_bank.ensure_category(db.session, course, f"{parent.name}/{form.name.data}")
    except Invalid as refused:
        if refused.reason is not BankReason.PATH_TOO_LONG:
            raise
        db.session.rollback()
        flash(_("The category path is too long: at most 255 characters."), "error")
        return redirect(bank_url(course, parent))
    db.session.commit()
    flash(_("The category %(name)s is ready.", name=category.name), "success")
    return redirect(bank_url(course, category))


@bp.route("/<id:course_id>/questions/categories/<id:category_id>/delete", methods=["POST"])
@login_required
def delete_category(course_id: int, category_id: int) -> ResponseReturnValue:
    course = editable_course(course_id)
    category = quiz_bank.category_of(db.session, course, category_id)
    try:
        quiz_bank.delete_category(db.session, category)
    except Conflict:
        db.session.rollback()
        flash(
            _(
                "The category %(name)s cannot be deleted: it still holds questions or categories, "
                "or a quiz draws questions from it.",
                name=category.name,
            ),
            "error",
        )
        return redirect(bank_url(course, category))
    db.session.commit()
    flash(_("The category has been deleted."), "info")
    return redirect(bank_url(course))


@bp.route("/<id:course_id>/questions/move", methods=["POST"])
@login_required
def move(course_id: int) -> ResponseReturnValue:
    """Move the ticked questions to another category."""
    course = editable_course(course_id)
    form = MoveForm()
    form.category_id.choices = category_choices(course)
    if not form.validate_on_submit():
        abort(400)
    target = chosen_category(course, form.category_id.data)
    # A forged id from another course is a 404.
    items = [quiz_bank.question_of(db.session, course, i) for i in form_ids("question_id")]
    for item in items:
        quiz_bank.move_question(db.session, item, target)
    db.session.commit()
    if items:
        flash(
            ngettext(
                "%(num)d question moved to %(name)s.",
                "%(num)d questions moved to %(name)s.",
                len(items),
                name=target.name,
            ),
            "success",
        )
    else:
        flash(_("Tick the questions to move first."), "info")
    return redirect(bank_url(course, target))


# --- one question -------------------------------------------------------------------------------------------------


@bp.route("/<id:course_id>/questions/new", methods=["GET", "POST"])
@login_required
def new_question(course_id: int) -> ResponseReturnValue:
    """Choose a type, then write the question as GIFT, starting from an example of that type."""
    course = editable_course(course_id)
    form = QuestionForm()
    form.category_id.choices = category_choices(course)
    kind = request.args.get("type", "")
    if request.method == "GET":
        if kind not in {t.value for t in QuestionType}:
            return render_template("courses/quizzes/question_new.html", course=course)
        form.gift.data = str(EXAMPLES[QuestionType(kind)])
        chosen = category_arg(course)
        if chosen is not None:
            form.category_id.data = chosen.id
    preview: Question | None = None
    errors: list[str] = []
    if form.validate_on_submit():
        question, errors = _parse_one(form.gift.data)
        if question is not None and form.submit.data:
            category = chosen_category(course, form.category_id.data)
            [item] = quiz_bank.add_questions(db.session, course, [replace(question, category="")], category)
            db.session.commit()
            flash(_("The question has been saved."), "success")
            return redirect(url_for("quiz_bank.edit_question", course_id=course.id, question_id=item.id))
        preview = question
    status = 422 if request.method == "POST" and (errors or form.errors) else 200
    return render_template(
        "courses/quizzes/question_form.html",
        course=course,
        form=form,
        item=None,
        preview=preview,
        problems=errors,
    ), status


@bp.route("/<id:course_id>/questions/<id:question_id>/edit", methods=["GET", "POST"])
@login_required
def edit_question(course_id: int, question_id: int) -> ResponseReturnValue:
    """Edit the question as GIFT: re-parsed on save, errors shown with their line numbers, a preview."""
    course = editable_course(course_id)
    item = quiz_bank.question_of(db.session, course, question_id)
    form = QuestionForm()
    del form.category_id  # moving is its own action, below the editor
    preview: Question | None = item.question
    errors: list[str] = []
    if request.method == "GET":
        form.gift.data = to_gift([replace(item.question, category="")]).strip()
    if form.validate_on_submit():
        question, errors = _parse_one(form.gift.data)
        preview = question
        if question is not None and form.submit.data:
            if quiz_bank.update_question(db.session, item, question, utcnow()):
                db.session.commit()
                flash(_("The question has been saved as version %(version)d.", version=item.version), "success")
            else:
                flash(_("Nothing has changed."), "info")
            return redirect(url_for("quiz_bank.edit_question", course_id=course.id, question_id=item.id))
    elif request.method == "POST":
        preview = None
    move_form = MoveForm()
    move_form.category_id.choices = category_choices(course)
    move_form.category_id.data = item.category_id
    move_form.category_id.label.text = _("Move to")
    status = 422 if request.method == "POST" and (errors or form.errors) else 200
    return render_template(
        "courses/quizzes/question_form.html",
        course=course,
        form=form,
        item=item,
        preview=preview,
        problems=errors,
        move_form=move_form,
        outdated=marking.outdated_count(db.session, item),
        used_in=quiz_bank.quizzes_using(db.session, item),
    ), status


@bp.route("/<id:course_id>/questions/<id:question_id>/move", methods=["POST"])
@login_required
def move_question(course_id: int, question_id: int) -> ResponseReturnValue:
    course = editable_course(course_id)
    item = quiz_bank.question_of(db.session, course, question_id)
    form = MoveForm()
    form.category_id.choices = category_choices(course)
    if not form.validate_on_submit():
        abort(400)
    target = chosen_category(course, form.category_id.data)
    quiz_bank.move_question(db.session, item, target)
    db.session.commit()
    flash(_("The question is now in %(name)s.", name=target.name), "success")
    return redirect(url_for("quiz_bank.edit_question", course_id=course.id, question_id=item.id))


@bp.route("/<id:course_id>/questions/<id:question_id>/delete", methods=["POST"])
@login_required
def delete_question(course_id: int, question_id: int) -> ResponseReturnValue:
    course = editable_course(course_id)
    item = quiz_bank.question_of(db.session, course, question_id)
    category = item.category
    try:
        quiz_bank.delete_question(db.session, item)
    except Conflict as in_use:
        db.session.rollback()
        flash(
            _(
                "The question cannot be deleted: it is in these quizzes: %(quizzes)s. Take it out of them first.",
                quizzes=", ".join(in_use.params["quizzes"]),
            ),
            "error",
        )
        return redirect(url_for("quiz_bank.edit_question", course_id=course.id, question_id=item.id))
    db.session.commit()
    flash(_("The question has been deleted."), "info")
    return redirect(bank_url(course, category))


@bp.route("/<id:course_id>/questions/<id:question_id>/regrade", methods=["POST"])
@login_required
def regrade(course_id: int, question_id: int) -> ResponseReturnValue:
    """Apply the current version to the attempts that were asked an older one, and mark them again."""
    course = editable_course(course_id)
    item = quiz_bank.question_of(db.session, course, question_id)
    done, skipped = marking.regrade(db.session, item, utcnow())
    db.session.commit()
    flash(ngettext("%(num)d attempt regraded.", "%(num)d attempts regraded.", done), "success")
    if skipped:
        flash(
            ngettext(
                "%(num)d attempt was not regraded: the edit changed the number of choices or items it answered.",
                "%(num)d attempts were not regraded: the edit changed the number of choices or items they answered.",
                skipped,
            ),
            "error",
        )
    return redirect(url_for("quiz_bank.edit_question", course_id=course.id, question_id=item.id))


# --- import and export --------------------------------------------------------------------------------------------
