"""Following a course: the lesson page, its file (with range requests, so video seeks), marking lessons done."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from lectern.courses import access, progress, services
from lectern.courses.markdown import render
from lectern.courses.models import LessonKind
from lectern.courses.storage import INLINE_TYPES
from lectern.courses.views_common import followed_course, or_http, storage
from lectern.extensions import db
from lectern.platform.models import utcnow

bp = Blueprint("lessons", __name__, url_prefix="/courses")

# Viewing these completes them; a video is completed when it has been watched to the end (or by the cadet).
DONE_WHEN_VIEWED = {LessonKind.TEXT, LessonKind.FILE, LessonKind.LINK}


@bp.route("/<id:course_id>/lessons/<id:lesson_id>")
@login_required
def lesson(course_id: int, lesson_id: int) -> ResponseReturnValue:
    course = followed_course(course_id)
    item = or_http(lambda: services.lesson_of(db.session, course, lesson_id))
    enrolled = access.is_enrolled(db.session, current_user, course)
    if enrolled and item.kind in DONE_WHEN_VIEWED:
        progress.mark_done(db.session, current_user.id, item, utcnow())
        db.session.commit()
    outline = services.load_outline(db.session, course)
    flat = [lesson for module in outline for lesson in module.lessons]
    index = next(i for i, x in enumerate(flat) if x.id == item.id)
    done = progress.done_lessons(db.session, current_user.id, course.id) if enrolled else set()
    return render_template(
        "courses/lesson.html",
        course=course,
        lesson=item,
        body=render(item.body),
        outline=outline,
        previous=flat[index - 1] if index > 0 else None,
        next=flat[index + 1] if index + 1 < len(flat) else None,
        enrolled=enrolled,
        done=done,
        progress=progress.course_progress(db.session, current_user.id, [course.id])[course.id],
        editing=access.can_edit(db.session, current_user, course),
    )


@bp.route("/<id:course_id>/lessons/<id:lesson_id>/file")
@login_required
def lesson_file(course_id: int, lesson_id: int) -> ResponseReturnValue:
    """The lesson's file, with conditional and range requests (206 Partial Content) for seeking."""
    course = followed_course(course_id)
    item = or_http(lambda: services.lesson_of(db.session, course, lesson_id))
    if item.file is None:
        abort(404)
    path = storage().path(item.file.sha256)
    if not path.exists():
        abort(404)
    response = send_file(
        path,
        mimetype=item.file.content_type,
        as_attachment=item.file.content_type not in INLINE_TYPES or request.args.get("download") == "1",
        download_name=item.file.original_name,
        conditional=True,
        etag=item.file.sha256,
        max_age=3600,
    )
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.route("/<id:course_id>/lessons/<id:lesson_id>/done", methods=["POST"])
@login_required
def mark(course_id: int, lesson_id: int) -> ResponseReturnValue:
    """Mark a lesson done or not done (the cadet's own choice, or the video player at the end)."""
    course = followed_course(course_id)
    item = or_http(lambda: services.lesson_of(db.session, course, lesson_id))
    if not access.is_enrolled(db.session, current_user, course):
        abort(403)
    completed = False
    if request.form.get("done", "1") == "1":
        completed = progress.mark_done(db.session, current_user.id, item, utcnow())
    else:
        progress.mark_undone(db.session, current_user.id, item)
    db.session.commit()
    if request.accept_mimetypes.best == "application/json":
        found = progress.course_progress(db.session, current_user.id, [course.id])[course.id]
        label = ngettext("%(done)d of %(num)d lesson", "%(done)d of %(num)d lessons", found.total, done=found.done)
        return {
            "done": found.done,
            "total": found.total,
            "percent": found.percent,
            "completed": completed,
            "label": f"{label} · {found.percent}%",
        }
    if completed:
        flash(_("Congratulations: you have completed this course."), "success")
    return redirect(url_for("lessons.lesson", course_id=course.id, lesson_id=item.id))
