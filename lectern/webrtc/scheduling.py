"""Scheduling lectures: who may schedule, change and cancel them, and which values they may give. Session and
plain values in, never the request."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lectern.courses import access as course_access
from lectern.courses.models import Course
from lectern.domain import Conflict, Forbidden, Invalid
from lectern.extensions import DbSession
from lectern.platform.models import Role, User
from lectern.platform.rules import FIRST_YEAR, LAST_YEAR
from lectern.webrtc.models import Lecture, LectureHall, LectureInvite, LectureStatus
from lectern.webrtc.services import MAX_DURATION, LectureReason, get_lecture


def get_editable(session: DbSession, user: User, lecture_id: int) -> Lecture:
    """A lecture the user may change or cancel: one of a course they may edit."""
    lecture, _part = get_lecture(session, user, lecture_id)
    if not course_access.can_edit(session, user, lecture.course):
        raise Forbidden(LectureReason.NOT_EDITOR)
    return lecture


@dataclass
class LectureFields:
    title: str
    description: str
    starts_at: datetime
    duration_minutes: int
    invited_course_ids: list[int]
    hall_ids: list[int]


def invitable_courses(session: DbSession, user: User, course: Course) -> Sequence[Course]:
    """Other courses whose cadets `user` may invite: the courses they may find in the catalogue."""
    return session.scalars(
        select(Course)
        .where(course_access.listed_condition(user), Course.id != course.id)
        .options(joinedload(Course.academy))
        .order_by(Course.title)
    ).all()


def lecture_halls(session: DbSession) -> Sequence[User]:
    """Every active lecture-hall account: lectures go from one academy to the halls of the others."""
    return session.scalars(
        select(User)
        .where(User.role == Role.CLASSROOM, User.active.is_(True))
        .options(joinedload(User.academy))
        .order_by(User.last_name)
    ).all()


def _apply(session: DbSession, user: User, lecture: Lecture, fields: LectureFields) -> None:
    if not fields.title.strip():
        raise Invalid(LectureReason.VALUE, field="title")
    if not 5 <= fields.duration_minutes <= MAX_DURATION:
        raise Invalid(LectureReason.VALUE, field="duration_minutes")
    if fields.starts_at.tzinfo is None or not FIRST_YEAR <= fields.starts_at.year <= LAST_YEAR:
        raise Invalid(LectureReason.VALUE, field="starts_at")
    allowed_courses = {c.id for c in invitable_courses(session, user, lecture.course)}
    if not set(fields.invited_course_ids) <= allowed_courses:
        raise Invalid(LectureReason.VALUE, field="invited_courses")
    halls = {u.id for u in lecture_halls(session)}
    if not set(fields.hall_ids) <= halls:
        raise Invalid(LectureReason.VALUE, field="halls")
    lecture.title = fields.title.strip()
    lecture.description = fields.description.strip()
    lecture.starts_at = fields.starts_at
    lecture.duration_minutes = fields.duration_minutes
    lecture.invited_courses = [LectureInvite(course_id=c) for c in sorted(set(fields.invited_course_ids))]
    lecture.invited_halls = [LectureHall(user_id=u) for u in sorted(set(fields.hall_ids))]


def schedule(session: DbSession, user: User, course: Course, fields: LectureFields) -> Lecture:
    """Schedule a lecture of `course`; only its instructors (and its academy's administrators) may."""
    if not course_access.can_edit(session, user, course):
        raise Forbidden(LectureReason.NOT_EDITOR)
    lecture = Lecture(course=course, created_by_id=user.id, invited_courses=[], invited_halls=[])
    with session.no_autoflush:  # a half-filled lecture must not be written by the checks' own queries
        _apply(session, user, lecture, fields)
    session.add(lecture)
    session.flush()
    return lecture


def reschedule(session: DbSession, user: User, lecture: Lecture, fields: LectureFields) -> Lecture:
    if not course_access.can_edit(session, user, lecture.course):
        raise Forbidden(LectureReason.NOT_EDITOR)
    if lecture.status is not LectureStatus.SCHEDULED:
        raise Conflict(LectureReason.NOT_SCHEDULED)
    # The old invitations go before the new ones are added: same primary keys.
    lecture.invited_courses.clear()
    lecture.invited_halls.clear()
    session.flush()
    _apply(session, user, lecture, fields)
    session.flush()
    return lecture


def cancel(session: DbSession, user: User, lecture: Lecture) -> None:
    if not course_access.can_edit(session, user, lecture.course):
        raise Forbidden(LectureReason.NOT_EDITOR)
    if lecture.status is LectureStatus.SCHEDULED:
        lecture.status = LectureStatus.CANCELLED
