"""Importing questions into a course's bank (upload, preview, confirm) and exporting the bank."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required
from werkzeug.datastructures import FileStorage

from lectern.courses import quiz_bank
from lectern.courses.models import Course
from lectern.courses.quiz_bank_views import (
    bank_url,
    bp,
    category_arg,
    category_choices,
    category_in,
    problem_texts,
)
from lectern.courses.quiz_forms import ImportConfirmForm, ImportQuestionsForm
from lectern.courses.quiz_gift import to_gift
from lectern.courses.quiz_model import ImportResult, QuizFormatError
from lectern.courses.quiz_models import QuestionCategory
from lectern.courses.quiz_xml import to_moodle_xml
from lectern.courses.views_common import editable_course
from lectern.extensions import db
from lectern.urls import parse_id

IMPORT_MAX_BYTES = 2 * 2**20  # a question file; far above what a course's bank holds


def _import_form(course: Course) -> ImportQuestionsForm:
    form = ImportQuestionsForm()
    form.category_id.choices = category_choices(course)
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
        chosen = category_arg(course)
        if chosen is not None:
            form.category_id.data = chosen.id
    if form.validate_on_submit():
        category = category_in(course, form.category_id.data)
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
    category_id = parse_id(form.category_id.data)
    if category_id is None:
        abort(400)
    category = category_in(course, category_id)
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
    return redirect(bank_url(course, category))


@bp.route("/<id:course_id>/questions/export.<any(gift, xml):fmt>")
@login_required
def export(course_id: int, fmt: str) -> ResponseReturnValue:
    """The whole bank, or a category with its subcategories, as GIFT or Moodle XML."""
    course = editable_course(course_id)
    category = category_arg(course)
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
