"""Importing questions into a course's bank (upload, preview, confirm) and exporting the bank."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage

from lectern.courses.content.storage import UploadReason
from lectern.courses.models import Course
from lectern.courses.quizzes.bank import media as quiz_media
from lectern.courses.quizzes.bank import question_files
from lectern.courses.quizzes.bank import services as quiz_bank
from lectern.courses.quizzes.bank.forms import ImportConfirmForm, ImportQuestionsForm
from lectern.courses.quizzes.bank.views import (
    bank_url,
    category_arg,
    category_choices,
    chosen_category,
    problem_texts,
    template_helpers,
)
from lectern.courses.quizzes.formats.gift import to_gift
from lectern.courses.quizzes.formats.moodle_xml import MAX_BYTES, to_moodle_xml
from lectern.courses.quizzes.models import QuestionCategory
from lectern.courses.quizzes.questions import ImportResult, QuizFormatError
from lectern.courses.requested import editable_course, followed_course, storage
from lectern.domain import Invalid
from lectern.extensions import db
from lectern.i18n import gettext as _
from lectern.i18n import ngettext
from lectern.platform.roles import login_required, signed_in_user
from lectern.urls import parse_id

IMPORT_MAX_BYTES = MAX_BYTES  # a question file: 5,000 questions with their feedback fit many times over
PREVIEW_QUESTIONS = 200  # the preview shows this many questions, and counts the rest


bp = Blueprint("quiz_import", __name__, url_prefix="/courses")
# The import preview shows questions as the bank's pages do, with the same helpers.
bp.context_processor(template_helpers)


def _import_form(course: Course) -> ImportQuestionsForm:
    form = ImportQuestionsForm()
    form.category_id.choices = category_choices(course)
    return form


def _preview(
    course: Course,
    result: ImportResult,
    *,
    upload: str,
    fmt: str,
    category: QuestionCategory,
    filename: str,
    status: int = 200,
) -> ResponseReturnValue:
    confirm = ImportConfirmForm(
        formdata=None, upload=upload, file_format=fmt, category_id=str(category.id), filename=filename
    )
    return render_template(
        "courses/quizzes/import_preview.html",
        course=course,
        result=result,
        shown=result.questions[:PREVIEW_QUESTIONS],
        embedded=len(result.files),
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


def _parse_held(path: Path, fmt: str) -> ImportResult:
    """The held upload parsed in `fmt` (Moodle XML straight from the file, as it is read). QuizFormatError."""
    with path.open("rb") as fh:
        return question_files.parse(fh, fmt)


@bp.route("/<id:course_id>/questions/import", methods=["GET", "POST"])
@login_required
def import_questions(course_id: int) -> ResponseReturnValue:
    """Upload a GIFT, Aiken or Moodle XML file and see every question it holds and every problem in it. The file
    is held on the server until the import is confirmed, so that a large bank does not travel back and forth."""
    course = editable_course(course_id)
    form = _import_form(course)
    if request.method == "GET":
        chosen = category_arg(course)
        if chosen is not None:
            form.category_id.data = chosen.id
    if form.validate_on_submit():
        category = chosen_category(course, form.category_id.data)
        upload = form.file.data
        assert isinstance(upload, FileStorage)  # FileRequired passed
        filename = (upload.filename or "upload")[-200:]
        try:
            held = storage().hold(upload.stream, IMPORT_MAX_BYTES)
        except Invalid as refused:
            if refused.reason is not UploadReason.TOO_LARGE:
                return _refuse_file(course, form, _("%(name)s is empty.", name=filename), 422)
            message = _(
                "%(name)s is too large: question files up to %(mb)d MB are accepted.",
                name=filename,
                mb=IMPORT_MAX_BYTES // 2**20,
            )
            return _refuse_file(course, form, message, 413)
        path = storage().held(held)
        assert path is not None  # just held
        with path.open("rb") as fh:
            head = fh.read(65536)
        if not head.strip() and path.stat().st_size <= len(head):
            return _refuse_file(course, form, _("%(name)s is empty.", name=filename), 422)
        fmt = form.file_format.data
        if fmt not in question_files.FORMATS:
            fmt = question_files.guess_format(filename, head)
        try:
            result = _parse_held(path, fmt)
        except QuizFormatError as exc:
            message = _(
                "%(name)s cannot be read: %(problems)s", name=filename, problems="; ".join(problem_texts(exc.problems))
            )
            return _refuse_file(course, form, message, 422)
        db.session.commit()  # "Top", where the bank had no category yet
        return _preview(course, result, upload=held, fmt=fmt, category=category, filename=filename)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "courses/quizzes/import_form.html", course=course, form=form, max_mb=IMPORT_MAX_BYTES // 2**20
    ), status


@bp.route("/<id:course_id>/questions/import/confirm", methods=["POST"])
@login_required
def import_confirm(course_id: int) -> ResponseReturnValue:
    """Parse the previewed file again and import it: all of it, or, when the file has problems and the editor
    chose so, the valid questions only. Nothing is imported from a file with problems otherwise."""
    course = editable_course(course_id)
    form = ImportConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    category_id = parse_id(form.category_id.data)
    if category_id is None:
        abort(400)
    category = quiz_bank.category_of(db.session, course, category_id)
    fmt = form.file_format.data if form.file_format.data in question_files.FORMATS else question_files.GIFT
    filename = (form.filename.data or "")[:200]
    held = form.upload.data or ""
    path = storage().held(held)
    if path is None:
        flash(_("The preview of %(name)s has expired: upload the file again.", name=filename), "error")
        return redirect(url_for("quiz_import.import_questions", course_id=course.id))
    try:
        result = _parse_held(path, fmt)
    except QuizFormatError as exc:
        flash(
            _("%(name)s cannot be read: %(problems)s", name=filename, problems="; ".join(problem_texts(exc.problems))),
            "error",
        )
        return redirect(url_for("quiz_import.import_questions", course_id=course.id))
    if result.problems and not form.import_valid.data:
        flash(_("The file has problems: fix them, or choose to import the valid questions only."), "error")
        return _preview(course, result, upload=held, fmt=fmt, category=category, filename=filename, status=422)
    if not result.questions:
        flash(_("%(name)s holds no question that can be imported.", name=filename), "error")
        return _preview(course, result, upload=held, fmt=fmt, category=category, filename=filename, status=422)
    media = f"{url_for('quiz_bank.bank', course_id=course.id)}/media"
    try:
        questions = quiz_media.store_embedded(
            db.session,
            course,
            storage(),
            result.questions,
            result.files,
            user_id=signed_in_user().id,
            max_bytes=current_app.config["MAX_CONTENT_LENGTH"],
            url=lambda sha, link: f"{media}/{sha}/{link}",
        )
    except Invalid:  # the reader checked each file's type: only one larger than an upload may be is left
        db.session.rollback()
        flash(
            _(
                "%(name)s embeds a file larger than %(mb)d MB.",
                name=filename,
                mb=current_app.config["MAX_CONTENT_LENGTH"] // 2**20,
            ),
            "error",
        )
        return redirect(url_for("quiz_import.import_questions", course_id=course.id))
    # storable() kept out the questions whose category is too long: a refusal here (422) is a race with an edit.
    added = quiz_bank.add_questions(db.session, course, questions, category)
    db.session.commit()
    path.unlink(missing_ok=True)
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
    found = question_files.export_questions(db.session, course, category)
    stem = f"questions-course-{course.id}" + (f"-category-{category.id}" if category else "")
    if fmt == "xml":
        found, files = quiz_media.embed_served(db.session, course, storage(), found)
        body, mimetype, name = to_moodle_xml(found, files), "application/xml", f"{stem}.xml"
    else:
        body, mimetype, name = to_gift(found), "text/plain", f"{stem}.gift.txt"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/<id:course_id>/questions/media/<sha256>/<path:name>")
@login_required
def media(course_id: int, sha256: str, name: str) -> ResponseReturnValue:
    """A file embedded in the course's questions, to whoever may follow the course (the name is only for the
    browser: the file is found by its content's SHA-256 among the course's files)."""
    course = followed_course(course_id)
    stored = quiz_media.media_of(db.session, course, sha256)
    path = storage().path(sha256)
    if stored is None or not path.exists():
        abort(404)
    response = send_file(
        path,
        mimetype=stored.content_type,
        download_name=stored.original_name,
        conditional=True,
        etag=stored.sha256,
        max_age=3600,
    )
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
