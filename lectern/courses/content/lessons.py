"""Following a course: the lesson page, its file (with range requests, so video seeks), marking lessons done.

Every route reaches its lesson through `_lesson`: a draft or a guarded lesson (content/visibility.py) is a 404 for
whoever it does not exist for, on its page, its file and what the page posts back alike."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from lectern.courses import access
from lectern.courses.access import AccessReason
from lectern.courses.catalogue.shared import course_roles, course_standing, reachable_course
from lectern.courses.content import progress, shared, viewing
from lectern.courses.content.services import ContentReason
from lectern.courses.content.storage import INLINE_TYPES
from lectern.courses.content.visibility import LESSON_GUARDS, outline_for, visible_lesson
from lectern.courses.models import Course, Lesson, LessonKind, StoredFile
from lectern.courses.requested import storage
from lectern.domain import Conflict, Forbidden, NotFound
from lectern.extensions import db
from lectern.i18n import gettext as _
from lectern.i18n import ngettext
from lectern.platform import formatting
from lectern.platform.forms import csrf_token
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
    """A lesson's page: the lesson and the outline come from the course's outline that the page cache keeps
    (content/shared.py), filtered for the reader as every route's lesson is (`_lesson`: the same 404 and 403); the
    reader's own (enrolment, done lessons, passes, completion) is read in one statement."""
    user = signed_in_user()
    course, standing = course_standing(user, course_id)
    teaching, editing = course_roles(user, course)
    outline = shared.outline(course.id)
    modules = outline_for(db.session, user, outline, registry().items(LESSON_GUARDS), drafts=teaching)
    flat = [lesson for module in modules for lesson in module.lessons]
    index = next((i for i, x in enumerate(flat) if x.id == lesson_id), None)
    if index is None:
        raise NotFound(ContentReason.NO_LESSON)
    enrolled = standing.enrolled
    if not (enrolled or teaching):  # access.can_follow, enrolment read once
        raise Forbidden(AccessReason.NOT_FOLLOWING)
    item = flat[index]
    done = set(standing.done)
    completed = standing.completed_at is not None
    holes: dict[str, str] = {"csrf": csrf_token()} if enrolled or editing else {}
    # Opening a lesson is what the cadet did: it is recorded (and committed) even though this is a GET; once, so
    # that opening it again writes nothing.
    if enrolled and item.kind in DONE_WHEN_VIEWED and item.id not in done:
        completed = progress.mark_done(db.session, user.id, item, utcnow()) or completed
        db.session.commit()
        done.add(item.id)
    elif enrolled and item.kind is LessonKind.VIDEO:
        file = db.session.get(StoredFile, item.file_id) if item.file_id is not None else None
        seen = viewing.opened(db.session, user.id, item, utcnow())
        watched = viewing.share(seen, file.duration_seconds if file else None)
        db.session.commit()
        holes["watched"] = _("Played: %(percent)d%%", percent=round(watched * 100))
    if enrolled:
        found = replace(standing, done=frozenset(done)).progress(outline.counted, outline.required_quizzes)
        holes["progress"] = shared.progress_bar(found)
        # Met by what changed since the cadet last opened a lesson (a lesson removed): recorded as marking one did.
        if (
            found.complete
            and not completed
            and progress.check_course_completion(db.session, user.id, course.id, utcnow())
        ):
            db.session.commit()
    holes.update((f"done-{x.id}", "done") for x in flat if x.id in done)

    def page(panels: Markup) -> Markup:
        reader = shared.LessonReader(enrolled, editing, item.id in done, bool(panels))
        return shared.lesson_page(course, item, modules, reader).fill({**holes, "panels": panels})

    return render_template(
        "courses/lesson.html", course=course, lesson=item, page=page, enrolled=enrolled, editing=editing
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
        raise Forbidden(AccessReason.NOT_ENROLLED)  # only its cadets mark lessons done; enrolment read once
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
