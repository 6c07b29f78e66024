"""Building a course in the browser: settings, modules, lessons, uploads."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.datastructures import FileStorage
from wtforms import SelectChoice

from lectern.courses import access, services
from lectern.courses.content.storage import DOCUMENT_TYPES, IMAGE_TYPES, VIDEO_TYPES, UploadError
from lectern.courses.forms import CourseForm, LessonForm, ModuleForm
from lectern.courses.models import Course, Lesson, LessonKind, Module, StoredFile, Visibility
from lectern.courses.views_common import editable_course, from_local, or_http, storage, to_local
from lectern.extensions import db
from lectern.i18n import gettext as _
from lectern.platform.roles import login_required

bp = Blueprint("course_edit", __name__, url_prefix="/courses")

ALLOWED_FOR = {
    LessonKind.FILE: DOCUMENT_TYPES | IMAGE_TYPES,
    LessonKind.VIDEO: VIDEO_TYPES,
}


def _course_form(item: Course | None) -> CourseForm:
    form = CourseForm(obj=item)
    form.category_id.choices = [SelectChoice(0, "—")] + [
        SelectChoice(c.id, "\u2003" * depth + c.name) for c, depth in services.category_tree(db.session)
    ]
    academies = services.catalogue_academies(db.session)
    own = item.academy_id if item is not None else current_user.academy_id
    form.shared_with.choices = [SelectChoice(a.id, a.name) for a in academies if a.id != own]
    if request.method == "GET" and item is not None:
        form.visibility.data = item.visibility.value
        form.tags.data = ", ".join(item.tag_list)
        form.category_id.data = item.category_id or 0
        form.shared_with.data = [s.academy_id for s in item.shares]
        form.enrol_opens_at.data = to_local(item.enrol_opens_at)
        form.enrol_closes_at.data = to_local(item.enrol_closes_at)
    elif request.method == "GET":
        form.language.data = current_user.language or "en"
    return form


def _fields(form: CourseForm) -> services.CourseFields:
    return services.CourseFields(
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
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    if not access.may_create_courses(current_user):
        abort(403)
    form = _course_form(None)
    if form.validate_on_submit():
        course = or_http(lambda: services.create_course(db.session, current_user, _fields(form)))
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
        or_http(lambda: services.update_course(db.session, current_user, item, _fields(form)))
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
    or_http(lambda: services.delete_course(db.session, current_user, item))
    db.session.commit()
    flash(_("The course has been deleted."), "info")
    return redirect(url_for("courses.catalogue"))


@bp.route("/<id:course_id>/content", methods=["GET", "POST"])
@login_required
def content(course_id: int) -> ResponseReturnValue:
    item = editable_course(course_id)
    form = ModuleForm()
    if form.validate_on_submit():
        services.add_module(db.session, item, form.title.data)
        db.session.commit()
        return redirect(url_for("course_edit.content", course_id=item.id))
    return render_template(
        "courses/content.html", course=item, outline=services.load_outline(db.session, item), form=form
    )


def _module(item: Course, module_id: int) -> Module:
    return or_http(lambda: services.module_of(db.session, item, module_id))


def _lesson(item: Course, lesson_id: int) -> Lesson:
    return or_http(lambda: services.lesson_of(db.session, item, lesson_id))


@bp.route("/<id:course_id>/modules/<id:module_id>", methods=["POST"])
@login_required
def module_action(course_id: int, module_id: int) -> ResponseReturnValue:
    item = editable_course(course_id)
    module = _module(item, module_id)
    action = request.form.get("action")
    if action in ("up", "down"):
        services.move_module(db.session, item, module, -1 if action == "up" else 1)
    elif action == "rename":
        title = (request.form.get("title") or "").strip()
        if not title or len(title) > 200:
            flash(_("A module title has 1 to 200 characters."), "error")
        else:
            module.title = title
    elif action == "delete":
        db.session.delete(module)
        flash(_("The module and its lessons have been deleted."), "info")
    else:
        abort(400)
    db.session.commit()
    return redirect(url_for("course_edit.content", course_id=item.id) + f"#module-{module_id}")


@bp.route("/<id:course_id>/lessons/<id:lesson_id>/move", methods=["POST"])
@login_required
def lesson_action(course_id: int, lesson_id: int) -> ResponseReturnValue:
    item = editable_course(course_id)
    lesson = _lesson(item, lesson_id)
    action = request.form.get("action")
    if action in ("up", "down"):
        services.move_lesson(db.session, lesson, -1 if action == "up" else 1)
    elif action == "delete":
        db.session.delete(lesson)
        flash(_("The lesson has been deleted."), "info")
    else:
        abort(400)
    db.session.commit()
    return redirect(url_for("course_edit.content", course_id=item.id) + f"#module-{lesson.module_id}")


def _upload_error(exc: UploadError, filename: str) -> str:
    if exc.reason == UploadError.TOO_LARGE:
        return _("%(name)s is too large: files up to %(mb)d MB are accepted.", name=filename, mb=exc.limit // 2**20)
    if exc.reason == UploadError.EMPTY:
        return _("%(name)s is empty.", name=filename)
    return _("%(name)s is not a file of the kind this lesson takes.", name=filename)


def _store_upload(kind: LessonKind, upload: FileStorage) -> StoredFile:
    name = (upload.filename or "upload")[-255:]
    saved = storage().save(upload.stream, name, ALLOWED_FOR[kind], current_app.config["MAX_CONTENT_LENGTH"])
    stored = services.file_row(saved, name, current_user.id)
    db.session.add(stored)
    db.session.flush()
    return stored


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
        needs_file = kind in ALLOWED_FOR and (lesson is None or lesson.file_id is None or lesson.kind != kind)
        stored = None
        if upload is not None and kind in ALLOWED_FOR:
            try:
                stored = _store_upload(kind, upload)
            except UploadError as exc:
                form.file.errors = [_upload_error(exc, upload.filename or "")]
        elif needs_file:
            form.file.errors = [_("Choose the file for this lesson.")]
        if not form.file.errors:
            url = form.url.data if kind is LessonKind.LINK else None
            if lesson is None:
                lesson = services.add_lesson(
                    db.session,
                    module,
                    kind=kind,
                    title=form.title.data,
                    body=form.body.data or "",
                    url=url,
                    file=stored,
                )
            else:
                lesson.kind, lesson.title, lesson.body, lesson.url = kind, form.title.data, form.body.data or "", url
                if stored is not None:
                    lesson.file_id = stored.id
                elif kind not in ALLOWED_FOR:
                    lesson.file_id = None
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
    return _save_lesson(item, _module(item, module_id), None)


@bp.route("/<id:course_id>/lessons/<id:lesson_id>/edit", methods=["GET", "POST"])
@login_required
def lesson_edit(course_id: int, lesson_id: int) -> ResponseReturnValue:
    item = editable_course(course_id)
    lesson = _lesson(item, lesson_id)
    return _save_lesson(item, lesson.module, lesson)
