"""Scheduling lectures, the lecture room page, attendance, and the calendar feed."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from icalendar import Calendar, Event
from itsdangerous import BadSignature, URLSafeSerializer
from wtforms import SelectChoice

from lectern.courses import access as course_access
from lectern.courses.requested import editable_course
from lectern.domain import Invalid
from lectern.extensions import db
from lectern.i18n import gettext as _
from lectern.platform.downloads import csv_download
from lectern.platform.formatting import from_local, local_zone, to_local
from lectern.platform.models import User, utcnow
from lectern.platform.roles import login_required, signed_in_user
from lectern.platform.spreadsheet import csv_bytes, text_cell
from lectern.webrtc import scheduling, services
from lectern.webrtc.forms import LectureForm
from lectern.webrtc.models import Lecture, LectureStatus
from lectern.webrtc.recordings import services as recordings
from lectern.webrtc.relay.provider import ice_servers, ice_transport_policy

bp = Blueprint("lectures", __name__)


def _form(lecture: Lecture | None, course_id: int) -> LectureForm:
    form = LectureForm(obj=lecture)
    course = lecture.course if lecture else editable_course(course_id)
    form.invited_courses.choices = [
        SelectChoice(c.id, f"{c.title} ({c.academy.name})")
        for c in scheduling.invitable_courses(db.session, signed_in_user(), course)
    ]
    form.halls.choices = [
        SelectChoice(u.id, f"{u.full_name} ({u.academy.name})") for u in scheduling.lecture_halls(db.session)
    ]
    if request.method == "GET" and lecture is not None:
        form.starts_at.data = to_local(lecture.starts_at)
        form.invited_courses.data = [i.course_id for i in lecture.invited_courses]
        form.halls.data = [h.user_id for h in lecture.invited_halls]
    return form


def _fields(form: LectureForm) -> scheduling.LectureFields:
    return scheduling.LectureFields(
        title=form.title.data or "",
        description=form.description.data or "",
        starts_at=from_local(form.starts_at.data),
        duration_minutes=form.duration_minutes.data or 0,
        invited_course_ids=list(form.invited_courses.data or []),
        hall_ids=list(form.halls.data or []),
    )


@bp.route("/courses/<id:course_id>/lectures/new", methods=["GET", "POST"])
@login_required
def new(course_id: int) -> ResponseReturnValue:
    course = editable_course(course_id)
    form = _form(None, course.id)
    if request.method == "GET":
        soon = (utcnow() + timedelta(days=1)).astimezone(local_zone()).replace(minute=0, second=0, microsecond=0)
        form.starts_at.data = soon.replace(tzinfo=None)
    if form.validate_on_submit():
        try:
            lecture = scheduling.schedule(db.session, signed_in_user(), course, _fields(form))
        except Invalid as exc:
            getattr(form, exc.field or "title", form.title).errors = [_("This value is not allowed.")]
        else:
            db.session.commit()
            flash(_("The lecture has been scheduled."), "success")
            return redirect(url_for("lectures.details", lecture_id=lecture.id))
    return render_template("webrtc/lecture_form.html", form=form, course=course, lecture=None)


@bp.route("/lectures/<id:lecture_id>/edit", methods=["GET", "POST"])
@login_required
def edit(lecture_id: int) -> ResponseReturnValue:
    user = signed_in_user()
    lecture = scheduling.get_editable(db.session, user, lecture_id)
    if lecture.status is not LectureStatus.SCHEDULED:
        flash(_("Only a lecture that has not started can be changed."), "error")
        return redirect(url_for("lectures.details", lecture_id=lecture.id))
    form = _form(lecture, lecture.course_id)
    if form.validate_on_submit():
        try:
            scheduling.reschedule(db.session, user, lecture, _fields(form))
        except Invalid as exc:
            db.session.rollback()
            getattr(form, exc.field or "title", form.title).errors = [_("This value is not allowed.")]
        else:
            db.session.commit()
            flash(_("The lecture has been saved."), "success")
            return redirect(url_for("lectures.details", lecture_id=lecture.id))
    return render_template("webrtc/lecture_form.html", form=form, course=lecture.course, lecture=lecture)


@bp.route("/lectures/<id:lecture_id>/cancel", methods=["POST"])
@login_required
def cancel(lecture_id: int) -> ResponseReturnValue:
    user = signed_in_user()
    lecture = scheduling.get_editable(db.session, user, lecture_id)
    scheduling.cancel(db.session, user, lecture)
    db.session.commit()
    flash(_("The lecture has been cancelled."), "info")
    return redirect(url_for("courses.course", course_id=lecture.course_id))


@bp.route("/lectures/<id:lecture_id>")
@login_required
def details(lecture_id: int) -> ResponseReturnValue:
    user = signed_in_user()
    lecture, part = services.get_lecture(db.session, user, lecture_id)
    return render_template(
        "webrtc/lecture.html",
        lecture=lecture,
        part=part,
        ends_at=services.ends_at(lecture),
        editing=course_access.can_edit(db.session, user, lecture.course),
        recordings=recordings.of_lecture(db.session, lecture, part),
        recording_now=recordings.active(db.session, lecture),
        follows_course=course_access.can_follow(db.session, user, lecture.course),
    )


@bp.route("/lectures/<id:lecture_id>/room")
@login_required
def room(lecture_id: int) -> ResponseReturnValue:
    """The live lecture room (its script talks to the /lecture Socket.IO namespace)."""
    user = signed_in_user()
    lecture, part = services.get_lecture(db.session, user, lecture_id)
    if lecture.status in (LectureStatus.ENDED, LectureStatus.CANCELLED):
        flash(_("This lecture is over."), "info")
        return redirect(url_for("lectures.details", lecture_id=lecture.id))
    return render_template(
        "webrtc/room.html",
        lecture=lecture,
        part=part,
        timezone=local_zone().key,  # the chat's times, formatted by the page's script
        ice_servers=json.dumps(ice_servers(current_app, user.id)),
        ice_transport_policy=ice_transport_policy(current_app),
    )


@bp.route("/lectures/<id:lecture_id>/attendance")
@login_required
def attendance(lecture_id: int) -> ResponseReturnValue:
    lecture = services.get_for_register(db.session, signed_in_user(), lecture_id)
    rows = services.register(db.session, lecture, utcnow())
    if request.args.get("format") == "csv":
        data = csv_bytes(
            ["username", "last_name", "first_name", "academy", "first_joined", "last_left", "minutes", "present"],
            (
                [
                    row.user.username,
                    text_cell(row.user.last_name),
                    text_cell(row.user.first_name),
                    row.user.academy_id,
                    row.first_joined.isoformat() if row.first_joined else "",
                    row.last_left.isoformat() if row.last_left else "",
                    row.minutes,
                    "no" if row.absent else "yes",
                ]
                for row in rows
            ),
        )
        return csv_download(data, f"lecture-{lecture.id}-attendance.csv")
    return render_template("webrtc/attendance.html", lecture=lecture, rows=rows)


# --- calendar feed -------------------------------------------------------------------------------------------


def _feed_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="lectern-calendar")


def feed_token(user: User) -> str:
    """A calendar application cannot sign in: the feed's address carries a token for this user. Changing the
    password (session_version) withdraws it."""
    return str(_feed_serializer().dumps([user.id, user.session_version]))


@bp.route("/lectures/calendar")
@login_required
def calendar_page() -> ResponseReturnValue:
    user = signed_in_user()
    url = url_for("lectures.calendar_feed", token=feed_token(user), _external=True)
    lectures = services.upcoming(db.session, user, utcnow(), limit=50)
    return render_template("webrtc/calendar.html", feed_url=url, lectures=lectures)


@bp.route("/lectures/calendar.ics")
def calendar_feed() -> ResponseReturnValue:
    try:
        user_id, version = _feed_serializer().loads(request.args.get("token", ""))
    except (BadSignature, ValueError, TypeError):
        abort(404)
    user = services.feed_owner(db.session, user_id, version)
    cal = Calendar()
    cal.add("prodid", "-//Lectern//lectures//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Lectern")
    host = request.host.split(":")[0]
    for lecture in services.for_calendar(db.session, user, utcnow() - timedelta(days=30)):
        event = Event()
        event.add("uid", f"lecture-{lecture.id}@{host}")
        event.add("summary", f"{lecture.title} · {lecture.course.title}")
        event.add("dtstart", lecture.starts_at)
        event.add("dtend", services.ends_at(lecture))
        event.add("dtstamp", lecture.created_at or datetime.now(ZoneInfo("UTC")))
        event.add("url", url_for("lectures.details", lecture_id=lecture.id, _external=True))
        if lecture.description:
            event.add("description", lecture.description)
        if lecture.status is LectureStatus.CANCELLED:
            event.add("status", "CANCELLED")
        cal.add_component(event)
    return Response(cal.to_ical(), mimetype="text/calendar", headers={"Cache-Control": "private, max-age=300"})


def home_lectures() -> tuple[list[Lecture], list[Lecture]]:
    """For the home pages: the signed-in user's live or imminent lectures (shown first, to join), and the later
    ones. Read once per request, however many panels ask."""
    if "home_lectures" not in g:
        now = utcnow()
        lectures = services.upcoming(db.session, signed_in_user(), now, limit=10)
        g.home_lectures = (
            [x for x in lectures if services.joinable(x, now)],
            [x for x in lectures if not services.joinable(x, now)],
        )
    return cast("tuple[list[Lecture], list[Lecture]]", g.home_lectures)
