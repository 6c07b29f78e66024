"""The question bank of a course: categories, questions (edited as GIFT), import with a preview, export.

Only the course's editors see it. Imports go in two steps with nothing kept on the server in between: the upload
is parsed and previewed, and the decoded text travels back in a hidden field to be parsed again on confirm.
"""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required
from werkzeug.datastructures import FileStorage
from wtforms import SelectChoice

from lectern.courses import quiz_attempts, quiz_bank, quiz_render
from lectern.courses.models import Course
from lectern.courses.quiz_forms import (
    EXAMPLES,
    QUESTION_TYPE_LABELS,
    CategoryForm,
    ImportConfirmForm,
    ImportQuestionsForm,
    MoveForm,
    QuestionForm,
)
from lectern.courses.quiz_gift import parse_gift, to_gift
from lectern.courses.quiz_grading import matching_options, matching_stems
from lectern.courses.quiz_model import ImportResult, Problem, Question, QuestionType, QuizFormatError
from lectern.courses.quiz_models import BankQuestion, QuestionCategory
from lectern.courses.quiz_xml import to_moodle_xml
from lectern.courses.views_common import editable_course, or_http
from lectern.extensions import db
from lectern.platform.models import utcnow

bp = Blueprint("quiz_bank", __name__, url_prefix="/courses")

IMPORT_MAX_BYTES = 2 * 2**20  # a question file; far above what a course's bank holds


@bp.context_processor
def _helpers() -> dict[str, object]:
    """What the bank's templates use to show a question as its instructors see it."""
    return {
        "qtext": quiz_render.text,
        "qinline": quiz_render.inline,
        "matching_stems": matching_stems,
        "matching_options": matching_options,
        "type_labels": QUESTION_TYPE_LABELS,
    }


# --- helpers ------------------------------------------------------------------------------------------------------


def _question(course: Course, question_id: int) -> BankQuestion:
    return or_http(lambda: quiz_bank.question_of(db.session, course, question_id))


def _category(course: Course, category_id: int) -> QuestionCategory:
    return or_http(lambda: quiz_bank.category_of(db.session, course, category_id))


def _category_choices(course: Course) -> list[SelectChoice]:
    """Every category, indented as in the tree; "Top" is made when the bank has none yet."""
    found = quiz_bank.categories(db.session, course) or [quiz_bank.ensure_category(db.session, course, "")]
    return [SelectChoice(c.id, "\u2003" * c.name.count("/") + c.name.rsplit("/", 1)[-1]) for c in found]


def _category_arg(course: Course) -> QuestionCategory | None:
    raw = request.args.get("category", "")
    if not raw:
        return None
    if not raw.isdigit() or not 0 < int(raw) < 2**31:
        abort(404)
    return _category(course, int(raw))


def _bank_url(course: Course, category: QuestionCategory | None = None) -> str:
    return url_for("quiz_bank.bank", course_id=course.id, category=category.id if category else None)


def problem_texts(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems]


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
    category = _category_arg(course)
    search = request.args.get("q", "")[:200]
    subcategories = request.args.get("sub") == "1"
    found = quiz_bank.questions(db.session, course, category, search=search, subcategories=subcategories)
    move_form = MoveForm()
    move_form.category_id.choices = _category_choices(course)
    category_form = CategoryForm()
    category_form.parent_id.choices = move_form.category_id.choices
    if category is not None:
        category_form.parent_id.data = category.id
    db.session.commit()  # "Top", where the bank had no category yet
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
    form.parent_id.choices = _category_choices(course)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return redirect(_bank_url(course))
    parent = _category(course, form.parent_id.data)
    try:
        category = quiz_bank.ensure_category(db.session, course, f"{parent.name}/{form.name.data}")
    except quiz_bank.BadCategory:
        db.session.rollback()
        flash(_("The category path is too long: at most 255 characters."), "error")
        return redirect(_bank_url(course, parent))
    db.session.commit()
    flash(_("The category %(name)s is ready.", name=category.name), "success")
    return redirect(_bank_url(course, category))


@bp.route("/<id:course_id>/questions/categories/<id:category_id>/delete", methods=["POST"])
@login_required
def delete_category(course_id: int, category_id: int) -> ResponseReturnValue:
    course = editable_course(course_id)
    category = _category(course, category_id)
    try:
        quiz_bank.delete_category(db.session, category)
    except quiz_bank.CategoryNotEmpty:
        db.session.rollback()
        flash(
            _(
                "The category %(name)s cannot be deleted: it still holds questions or categories, "
                "or a quiz draws questions from it.",
                name=category.name,
            ),
            "error",
        )
        return redirect(_bank_url(course, category))
    db.session.commit()
    flash(_("The category has been deleted."), "info")
    return redirect(_bank_url(course))


@bp.route("/<id:course_id>/questions/move", methods=["POST"])
@login_required
def move(course_id: int) -> ResponseReturnValue:
    """Move the ticked questions to another category."""
    course = editable_course(course_id)
    form = MoveForm()
    form.category_id.choices = _category_choices(course)
    if not form.validate_on_submit():
        abort(400)
    target = _category(course, form.category_id.data)
    ids = request.form.getlist("question_id")
    if not all(raw.isdigit() and 0 < int(raw) < 2**31 for raw in ids):
        abort(400)
    items = [_question(course, int(raw)) for raw in ids]  # a forged id from another course is a 404
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
    return redirect(_bank_url(course, target))


# --- one question -------------------------------------------------------------------------------------------------


@bp.route("/<id:course_id>/questions/new", methods=["GET", "POST"])
@login_required
def new_question(course_id: int) -> ResponseReturnValue:
    """Choose a type, then write the question as GIFT, starting from an example of that type."""
    course = editable_course(course_id)
    form = QuestionForm()
    form.category_id.choices = _category_choices(course)
    kind = request.args.get("type", "")
    if request.method == "GET":
        if kind not in {t.value for t in QuestionType}:
            db.session.commit()
            return render_template("courses/quizzes/question_new.html", course=course)
        form.gift.data = str(EXAMPLES[QuestionType(kind)])
        chosen = _category_arg(course)
        if chosen is not None:
            form.category_id.data = chosen.id
    preview: Question | None = None
    errors: list[str] = []
    if form.validate_on_submit():
        category = _category(course, form.category_id.data)
        question, errors = _parse_one(form.gift.data)
        if question is not None and form.submit.data:
            [item] = quiz_bank.add_questions(db.session, course, [replace(question, category="")], category)
            db.session.commit()
            flash(_("The question has been saved."), "success")
            return redirect(url_for("quiz_bank.edit_question", course_id=course.id, question_id=item.id))
        preview = question
    db.session.commit()
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
    item = _question(course, question_id)
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
    move_form.category_id.choices = _category_choices(course)
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
        outdated=quiz_attempts.outdated_count(db.session, item),
        used_in=quiz_bank.quizzes_using(db.session, item),
    ), status


@bp.route("/<id:course_id>/questions/<id:question_id>/move", methods=["POST"])
@login_required
def move_question(course_id: int, question_id: int) -> ResponseReturnValue:
    course = editable_course(course_id)
    item = _question(course, question_id)
    form = MoveForm()
    form.category_id.choices = _category_choices(course)
    if not form.validate_on_submit():
        abort(400)
    target = _category(course, form.category_id.data)
    quiz_bank.move_question(db.session, item, target)
    db.session.commit()
    flash(_("The question is now in %(name)s.", name=target.name), "success")
    return redirect(url_for("quiz_bank.edit_question", course_id=course.id, question_id=item.id))


@bp.route("/<id:course_id>/questions/<id:question_id>/delete", methods=["POST"])
@login_required
def delete_question(course_id: int, question_id: int) -> ResponseReturnValue:
    course = editable_course(course_id)
    item = _question(course, question_id)
    category = item.category
    try:
        quiz_bank.delete_question(db.session, item)
    except quiz_bank.QuestionInUse as exc:
        db.session.rollback()
        flash(
            _(
                "The question cannot be deleted: it is in these quizzes: %(quizzes)s. Take it out of them first.",
                quizzes=", ".join(exc.quizzes),
            ),
            "error",
        )
        return redirect(url_for("quiz_bank.edit_question", course_id=course.id, question_id=item.id))
    db.session.commit()
    flash(_("The question has been deleted."), "info")
    return redirect(_bank_url(course, category))


@bp.route("/<id:course_id>/questions/<id:question_id>/regrade", methods=["POST"])
@login_required
def regrade(course_id: int, question_id: int) -> ResponseReturnValue:
    """Apply the current version to the attempts that were asked an older one, and mark them again."""
    course = editable_course(course_id)
    item = _question(course, question_id)
    done, skipped = quiz_attempts.regrade(db.session, item, utcnow())
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


def _import_form(course: Course) -> ImportQuestionsForm:
    form = ImportQuestionsForm()
    form.category_id.choices = _category_choices(course)
    return form


def _preview(
    course: Course,
    result: ImportResult,
    *,
    text: str,
    fmt: str,
    category: QuestionCategory,
    filename: str,
    status: int = 200,
) -> ResponseReturnValue:
    confirm = ImportConfirmForm(
        formdata=None, text=text, file_format=fmt, category_id=str(category.id), filename=filename
    )
    return render_template(
        "courses/quizzes/import_preview.html",
        course=course,
        result=result,
        problems=problem_texts(result.problems),
        filename=filename,
        category=category,
        form=confirm,
    ), status


def _refuse_file(course: Course, form: ImportQuestionsForm, message: str, status: int) -> ResponseReturnValue:
    form.file.errors = [message]
    return render_template(
        "courses/quizzes/import_form.html", course=course, form=form, max_mb=IMPORT_MAX_BYTES // 2**20
    ), status


@bp.route("/<id:course_id>/questions/import", methods=["GET", "POST"])
@login_required
def import_questions(course_id: int) -> ResponseReturnValue:
    """Upload a GIFT, Aiken or Moodle XML file and see every question it holds and every problem in it."""
    course = editable_course(course_id)
    form = _import_form(course)
    if request.method == "GET":
        chosen = _category_arg(course)
        if chosen is not None:
            form.category_id.data = chosen.id
    if form.validate_on_submit():
        category = _category(course, form.category_id.data)
        upload = form.file.data
        assert isinstance(upload, FileStorage)  # FileRequired passed
        filename = (upload.filename or "upload")[-200:]
        data = upload.stream.read(IMPORT_MAX_BYTES + 1)
        if len(data) > IMPORT_MAX_BYTES:
            message = _(
                "%(name)s is too large: question files up to %(mb)d MB are accepted.",
                name=filename,
                mb=IMPORT_MAX_BYTES // 2**20,
            )
            return _refuse_file(course, form, message, 413)
        if not data.strip():
            return _refuse_file(course, form, _("%(name)s is empty.", name=filename), 422)
        fmt = form.file_format.data
        if fmt not in quiz_bank.FORMATS:
            fmt = quiz_bank.guess_format(filename, data)
        try:
            text = quiz_bank.decode(data, fmt)
            result = quiz_bank.parse(text, fmt)
        except QuizFormatError as exc:
            message = _(
                "%(name)s cannot be read: %(problems)s", name=filename, problems="; ".join(problem_texts(exc.problems))
            )
            return _refuse_file(course, form, message, 422)
        db.session.commit()
        return _preview(course, result, text=text, fmt=fmt, category=category, filename=filename)
    db.session.commit()
    status = 422 if request.method == "POST" else 200
    return render_template(
        "courses/quizzes/import_form.html", course=course, form=form, max_mb=IMPORT_MAX_BYTES // 2**20
    ), status


@bp.route("/<id:course_id>/questions/import/confirm", methods=["POST"])
@login_required
def import_confirm(course_id: int) -> ResponseReturnValue:
    """Parse the previewed text again and import it: all of it, or, when the file has problems and the editor
    chose so, the valid questions only. Nothing is imported from a file with problems otherwise."""
    course = editable_course(course_id)
    form = ImportConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    raw_category = form.category_id.data or ""
    if not raw_category.isdigit() or not 0 < int(raw_category) < 2**31:
        abort(400)
    category = _category(course, int(raw_category))
    fmt = form.file_format.data if form.file_format.data in quiz_bank.FORMATS else quiz_bank.GIFT
    filename = (form.filename.data or "")[:200]
    text = form.text.data or ""
    if len(text.encode("utf-8", "surrogatepass")) > 2 * IMPORT_MAX_BYTES:
        abort(413)
    try:
        result = quiz_bank.parse(text, fmt)
    except QuizFormatError as exc:
        flash(
            _("%(name)s cannot be read: %(problems)s", name=filename, problems="; ".join(problem_texts(exc.problems))),
            "error",
        )
        return redirect(url_for("quiz_bank.import_questions", course_id=course.id))
    if result.problems and not form.import_valid.data:
        flash(_("The file has problems: fix them, or choose to import the valid questions only."), "error")
        return _preview(course, result, text=text, fmt=fmt, category=category, filename=filename, status=422)
    if not result.questions:
        flash(_("%(name)s holds no question that can be imported.", name=filename), "error")
        return _preview(course, result, text=text, fmt=fmt, category=category, filename=filename, status=422)
    try:
        added = quiz_bank.add_questions(db.session, course, result.questions, category)
    except quiz_bank.BadCategory:  # storable() keeps these out; a race with another edit is all that is left
        db.session.rollback()
        abort(422)
    db.session.commit()
    flash(
        ngettext(
            "%(num)d question imported from %(name)s.",
            "%(num)d questions imported from %(name)s.",
            len(added),
            name=filename,
        ),
        "success",
    )
    return redirect(_bank_url(course, category))


@bp.route("/<id:course_id>/questions/export.<any(gift, xml):fmt>")
@login_required
def export(course_id: int, fmt: str) -> ResponseReturnValue:
    """The whole bank, or a category with its subcategories, as GIFT or Moodle XML."""
    course = editable_course(course_id)
    category = _category_arg(course)
    found = quiz_bank.export_questions(db.session, course, category)
    stem = f"questions-course-{course.id}" + (f"-category-{category.id}" if category else "")
    if fmt == "xml":
        body, mimetype, name = to_moodle_xml(found), "application/xml", f"{stem}.xml"
    else:
        body, mimetype, name = to_gift(found), "text/plain", f"{stem}.gift.txt"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
