"""Building a course in the browser: settings, modules, lessons, uploads."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage
from wtforms import SelectChoice

from lectern.courses import access
from lectern.courses.catalogue import services as catalogue
from lectern.courses.content import services as course_content
from lectern.courses.content.services import FILE_TYPES, ContentReason
from lectern.courses.content.storage import UploadReason
from lectern.courses.forms import CourseForm, LessonForm, ModuleForm
from lectern.courses.models import Course, Lesson, LessonKind, Module, StoredFile, Visibility
from lectern.courses.requested import editable_course, storage
from lectern.domain import Invalid
from lectern.extensions import db
from lectern.i18n import gettext as _
from lectern.platform.formatting import from_local, to_local
from lectern.platform.roles import login_required, signed_in_user

bp = Blueprint("course_edit", __name__, url_prefix="/courses")


def _course_form(item: Course | None) -> CourseForm:
    form = CourseForm(obj=item)
    form.category_id.choices = [SelectChoice(0, "—")] + [
        SelectChoice(c.id, "\u2003" * depth + c.name) for c, depth in catalogue.category_tree(db.session)
    ]
    academies = catalogue.catalogue_academies(db.session)
    own = item.academy_id if item is not None else signed_in_user().academy_id
    form.shared_with.choices = [SelectChoice(a.id, a.name) for a in academies if a.id != own]
    if request.method == "GET" and item is not None:
        form.visibility.data = item.visibility.value
        form.tags.data = ", ".join(item.tag_list)
        form.category_id.data = item.category_id or 0
        form.shared_with.data = [s.academy_id for s in item.shares]
        form.enrol_opens_at.data = to_local(item.enrol_opens_at)
        form.enrol_closes_at.data = to_local(item.enrol_closes_at)
    elif request.method == "GET":
        form.language.data = signed_in_user().language or "en"
    return form


def _fields(form: CourseForm) -> course_content.CourseFields:
    return course_content.CourseFields(
        title=form.title.data,
        summary=form.summary.data or "",
        language=form.language.data,
        tags=form.tags.data or "",
        category_id=form.category_id.data or None,
        visibility=Visibility(form.visibility.data),
        shared_with=list(form.shared_with.data or []),
        self_enrol=bool(form.self_enrol.data),
        enrol_key=form.enrol_key.data or None,
        enrol_cap=form.enrol_cap.data,
        enrol_opens_at=from_local(form.enrol_opens_at.data),
        enrol_closes_at=from_local(form.enrol_closes_at.data),
        record_lectures=bool(form.record_lectures.data),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    access.check_may_create(signed_in_user())
    form = _course_form(None)
    if form.validate_on_submit():
        course = course_content.create_course(db.session, signed_in_user(), _fields(form))
        db.session.commit()
        flash(_("The course has been created. Now add its modules and lessons."), "success")
        return redirect(url_for("course_edit.content", course_id=course.id))
    return render_template("courses/course_form.html", form=form, course=None)


@bp.route("/<id:course_id>/settings", methods=["GET", "POST"])
@login_required
def settings(course_id: int) -> ResponseReturnValue:
    item = editable_course(course_id)
    form = _course_form(item)
    if form.validate_on_submit():
        course_content.update_course(db.session, signed_in_user(), item, _fields(form))
        db.session.commit()
        flash(_("The course has been saved."), "success")
        return redirect(url_for("courses.course", course_id=item.id))
    return render_template("courses/course_form.html", form=form, course=item)


@bp.route("/<id:course_id>/delete", methods=["POST"])
@login_required
def delete(course_id: int) -> ResponseReturnValue:
    item = editable_course(course_id)
    if request.form.get("confirm") != item.title:
        flash(_("Type the course title exactly to delete it."), "error")
        return redirect(url_for("course_edit.settings", course_id=item.id))
    course_content.delete_course(db.session, signed_in_user(), item)
    db.session.commit()
    flash(_("The course has been deleted."), "info")
    return redirect(url_for("courses.catalogue"))


@bp.route("/<id:course_id>/content", methods=["GET", "POST"])
@login_required
def content(course_id: int) -> ResponseReturnValue:
    item = editable_course(course_id)
    form = ModuleForm()
    if form.validate_on_submit():
        course_content.add_module(db.session, item, form.title.data)
        db.session.commit()
        return redirect(url_for("course_edit.content", course_id=item.id))
    return render_template(
        "courses/content.html", course=item, outline=course_content.load_outline(db.session, item), form=form
    )


@bp.route("/<id:course_id>/modules/<id:module_id>", methods=["POST"])
@login_required
def module_action(course_id: int, module_id: int) -> ResponseReturnValue:
    item = editable_course(course_id)
    module = course_content.module_of(db.session, item, module_id)
    action = request.form.get("action")
    if action in ("up", "down"):
        course_content.move_module(db.session, item, module, -1 if action == "up" else 1)
    elif action == "rename":
        try:
            course_content.rename_module(db.session, module, request.form.get("title") or "")
        except Invalid as invalid:
            if invalid.reason is not ContentReason.BAD_TITLE:
                raise
            flash(_("A module title has 1 to 200 characters."), "error")
    elif action == "delete":
        course_content.delete_module(db.session, module)
        flash(_("The module and its lessons have been deleted."), "info")
    else:
        abort(400)
    db.session.commit()
    return redirect(url_for("course_edit.content", course_id=item.id) + f"#module-{module_id}")


@bp.route("/<id:course_id>/lessons/<id:lesson_id>/move", methods=["POST"])
@login_required
def lesson_action(course_id: int, lesson_id: int) -> ResponseReturnValue:
    item = editable_course(course_id)
    lesson = course_content.lesson_of(db.session, item, lesson_id)
    action = request.form.get("action")
    if action in ("up", "down"):
        course_content.move_lesson(db.session, lesson, -1 if action == "up" else 1)
    elif action == "delete":
        course_content.delete_lesson(db.session, lesson)
        flash(_("The lesson has been deleted."), "info")
    else:
        abort(400)
    db.session.commit()
    return redirect(url_for("course_edit.content", course_id=item.id) + f"#module-{lesson.module_id}")


def _upload_error(exc: Invalid, filename: str) -> str:
    if exc.reason is UploadReason.TOO_LARGE:
        limit = int(exc.params["limit"])
        return _("%(name)s is too large: files up to %(mb)d MB are accepted.", name=filename, mb=limit // 2**20)
    if exc.reason is UploadReason.EMPTY:
        return _("%(name)s is empty.", name=filename)
    return _("%(name)s is not a file of the kind this lesson takes.", name=filename)


def _store_upload(kind: LessonKind, upload: FileStorage) -> StoredFile:
    return course_content.store_file(
        db.session,
        storage(),
        upload.stream,
        upload.filename or "upload",
        FILE_TYPES[kind],
        current_app.config["MAX_CONTENT_LENGTH"],
        signed_in_user().id,
    )


def _save_lesson(item: Course, module: Module, lesson: Lesson | None) -> ResponseReturnValue:
    form = LessonForm(obj=lesson)
    if request.method == "GET":
        wanted = request.args.get("kind", "text")
        form.kind.data = (
            lesson.kind.value
            if lesson
            else (wanted if wanted in {k.value for k in LessonKind} else LessonKind.TEXT.value)
        )
    if form.validate_on_submit():
        kind = LessonKind(form.kind.data)
        upload = form.file.data if isinstance(form.file.data, FileStorage) and form.file.data.filename else None
        needs_file = kind in FILE_TYPES and (lesson is None or lesson.file_id is None or lesson.kind != kind)
        stored = None
        if upload is not None and kind in FILE_TYPES:
            try:
                stored = _store_upload(kind, upload)
            except Invalid as refused:
                if not isinstance(refused.reason, UploadReason):
                    raise
                form.file.errors = [_upload_error(refused, upload.filename or "")]
        elif needs_file:
            form.file.errors = [_("Choose the file for this lesson.")]
        if not form.file.errors:
            url = form.url.data if kind is LessonKind.LINK else None
            if lesson is None:
                lesson = course_content.add_lesson(
                    db.session,
                    module,
                    kind=kind,
                    title=form.title.data,
                    body=form.body.data or "",
                    url=url,
                    file=stored,
                    draft=bool(form.draft.data),
                )
            else:
                course_content.update_lesson(
                    db.session,
                    lesson,
                    course_content.LessonFields(
                        kind, form.title.data, form.body.data or "", url, draft=bool(form.draft.data)
                    ),
                    stored,
                )
            db.session.commit()
            flash(_("The lesson has been saved."), "success")
            target = url_for("lessons.lesson", course_id=item.id, lesson_id=lesson.id)
            if request.accept_mimetypes.best == "application/json":
                return {"redirect": target}
            return redirect(target)
        db.session.rollback()
    status = 422 if request.method == "POST" else 200
    return render_template("courses/lesson_form.html", form=form, course=item, module=module, lesson=lesson), status


@bp.route("/<id:course_id>/modules/<id:module_id>/lessons/new", methods=["GET", "POST"])
@login_required
def lesson_new(course_id: int, module_id: int) -> ResponseReturnValue:
    item = editable_course(course_id)
    return _save_lesson(item, course_content.module_of(db.session, item, module_id), None)


@bp.route("/<id:course_id>/lessons/<id:lesson_id>/publish", methods=["POST"])
@login_required
def lesson_publish(course_id: int, lesson_id: int) -> ResponseReturnValue:
    """Publish a draft lesson: from now on its course's cadets see it, and their progress counts it. (Lesson edits
    are not in the audit log, which records what is done to users and cohorts; so neither is this.)"""
    item = editable_course(course_id)
    lesson = course_content.lesson_of(db.session, item, lesson_id)
    if course_content.publish_lesson(db.session, lesson):
        db.session.commit()
        flash(_("The lesson has been published: the course's cadets see it now."), "success")
    back = request.form.get("back")  # the page whose button it was: the content editor, the course, the lesson
    if back == "content":
        return redirect(url_for("course_edit.content", course_id=item.id) + f"#module-{lesson.module_id}")
    if back == "course":
        return redirect(url_for("courses.course", course_id=item.id))
    return redirect(url_for("lessons.lesson", course_id=item.id, lesson_id=lesson.id))


@bp.route("/<id:course_id>/lessons/<id:lesson_id>/edit", methods=["GET", "POST"])
@login_required
def lesson_edit(course_id: int, lesson_id: int) -> ResponseReturnValue:
    item = editable_course(course_id)
    lesson = course_content.lesson_of(db.session, item, lesson_id)
    return _save_lesson(item, lesson.module, lesson)
