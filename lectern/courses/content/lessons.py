"""Following a course: the lesson page, its file (with range requests, so video seeks), marking lessons done.

Every route reaches its lesson through `_lesson`: a draft or a guarded lesson (content/visibility.py) is a 404 for
whoever it does not exist for, on its page, its file and what the page posts back alike."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue

from lectern.courses import access
from lectern.courses.access import AccessReason
from lectern.courses.catalogue.shared import reachable_course
from lectern.courses.content import progress, viewing
from lectern.courses.content.markdown import render
from lectern.courses.content.services import ContentReason
from lectern.courses.content.storage import INLINE_TYPES
from lectern.courses.content.visibility import LESSON_GUARDS, visible_lesson, visible_outline
from lectern.courses.models import Course, Lesson, LessonKind
from lectern.courses.requested import storage
from lectern.domain import Conflict, Forbidden
from lectern.extensions import db
from lectern.i18n import gettext as _
from lectern.i18n import ngettext
from lectern.platform import formatting
from lectern.platform.models import utcnow
from lectern.platform.roles import login_required, signed_in_user
from lectern.registry import registry

bp = Blueprint("lessons", __name__, url_prefix="/courses")

# Viewing these completes them (or the cadet marks them done); a video is completed by playing it (viewing.py).
DONE_WHEN_VIEWED = {LessonKind.TEXT, LessonKind.FILE, LessonKind.LINK}


def _lesson(course_id: int, lesson_id: int) -> tuple[Course, Lesson, bool]:
    """The course the user follows, its lesson, and whether the user is enrolled in it, if the lesson exists for
    them (not a draft they may not see, not refused by a guard); else 404, or 403 for a lesson that exists for them
    in a course they do not follow. The lesson is looked at first: one that does not exist for them (another
    lecture's recording) is 404 even in a course they could enrol in, so its address tells them nothing."""
    user = signed_in_user()
    course, enrolled = reachable_course(user, course_id)
    lesson = visible_lesson(db.session, user, course, lesson_id, registry().items(LESSON_GUARDS))
    if not (enrolled or access.can_teach(db.session, user, course)):  # access.can_follow, enrolment read once
        raise Forbidden(AccessReason.NOT_FOLLOWING)
    return course, lesson, enrolled


@bp.route("/<id:course_id>/lessons/<id:lesson_id>")
@login_required
def lesson(course_id: int, lesson_id: int) -> ResponseReturnValue:
    course, item, enrolled = _lesson(course_id, lesson_id)
    user = signed_in_user()
    done = progress.done_lessons(db.session, user.id, course.id) if enrolled else set()
    watched = None
    # Opening a lesson is what the cadet did: it is recorded (and committed) even though this is a GET; once, so
    # that opening it again writes nothing.
    if enrolled and item.kind in DONE_WHEN_VIEWED and item.id not in done:
        progress.mark_done(db.session, user.id, item, utcnow())
        db.session.commit()
        done.add(item.id)
    elif enrolled and item.kind is LessonKind.VIDEO:
        seen = viewing.opened(db.session, user.id, item, utcnow())
        watched = viewing.share(seen, item.file.duration_seconds if item.file else None)
        db.session.commit()
    outline = visible_outline(db.session, user, course, registry().items(LESSON_GUARDS))
    flat = [lesson for module in outline for lesson in module.lessons]
    # The lesson is in its own outline (the same guards let it through), unless a guard changed its mind meanwhile.
    index = next((i for i, x in enumerate(flat) if x.id == item.id), None)
    found = progress.course_progress(db.session, user.id, [course.id])[course.id]
    if enrolled and found.complete and progress.check_course_completion(db.session, user.id, course.id, utcnow()):
        # Met by what changed since the cadet last opened a lesson (a lesson removed): recorded as marking one did.
        db.session.commit()
    return render_template(
        "courses/lesson.html",
        course=course,
        lesson=item,
        body=render(item.body),
        outline=outline,
        previous=flat[index - 1] if index else None,
        next=flat[index + 1] if index is not None and index + 1 < len(flat) else None,
        enrolled=enrolled,
        done=done,
        watched=watched,
        done_share=viewing.DONE_SHARE,
        progress=found,
        editing=access.can_edit(db.session, user, course),
    )


@bp.route("/<id:course_id>/lessons/<id:lesson_id>/file")
@login_required
def lesson_file(course_id: int, lesson_id: int) -> ResponseReturnValue:
    """The lesson's file, with conditional and range requests (206 Partial Content) for seeking."""
    _course, item, _enrolled = _lesson(course_id, lesson_id)
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
    course, item, enrolled = _lesson(course_id, lesson_id)
    user = signed_in_user()
    if not enrolled:
        raise Forbidden(AccessReason.NOT_ENROLLED)  # access.check_enrolled, enrolment read once
    completed = False
    if request.form.get("done", "1") == "1":
        if item.kind is LessonKind.VIDEO:  # a video is done by playing it (played below), not by saying so
            raise Conflict(ContentReason.PLAYED_NOT_MARKED)
        completed = progress.mark_done(db.session, user.id, item, utcnow())
    else:
        progress.mark_undone(db.session, user.id, item)
    db.session.commit()
    if request.accept_mimetypes.best == "application/json":
        return _progress(course.id, completed)
    if completed:
        flash(_("Congratulations: you have completed this course."), "success")
    return redirect(url_for("lessons.lesson", course_id=course.id, lesson_id=item.id))


def _progress(course_id: int, completed: bool) -> dict[str, Any]:
    """The course's progress for the lesson page's script: the bar's figures and label, and whether this request
    completed the course (with the words to say so)."""
    found = progress.course_progress(db.session, signed_in_user().id, [course_id])[course_id]
    label = ngettext("%(done)d of %(num)d lesson", "%(done)d of %(num)d lessons", found.total, done=found.done)
    return {
        "done": found.done,
        "total": found.total,
        "percent": found.percent,
        "completed": completed,
        "label": f"{label} · {formatting.percent(found.percent)}",
        "message": _("Congratulations: you have completed this course.") if completed else None,
    }


@bp.route("/<id:course_id>/lessons/<id:lesson_id>/played", methods=["POST"])
@login_required
def played(course_id: int, lesson_id: int) -> ResponseReturnValue:
    """The video player's report of the parts it has played (see content/viewing.py); answers with the lesson's
    state and the course's progress, so the page shows a completion without a reload."""
    course, item, enrolled = _lesson(course_id, lesson_id)
    if item.kind is not LessonKind.VIDEO or item.file is None:
        abort(404)
    user = signed_in_user()
    if not enrolled:
        raise Forbidden(AccessReason.NOT_ENROLLED)
    try:
        duration = viewing.duration_of(
            item, storage().path(item.file.sha256), request.form.get("duration", 0.0, type=float)
        )
        ranges = viewing.read_ranges(request.form.get("ranges", ""), duration)
    except viewing.BadReport:
        abort(400)
    watched = viewing.report(db.session, user.id, item, ranges, duration, utcnow())
    db.session.commit()
    return {
        "lesson_done": watched.done,
        "watched": round(100 * watched.share),
        "watched_label": _("Played: %(percent)d%%", percent=round(100 * watched.share)),
        **_progress(course.id, watched.completed_course),
    }
