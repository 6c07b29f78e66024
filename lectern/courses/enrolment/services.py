"""Enrolment: who follows a course, enrolled by hand, by themselves (under the course's self-enrolment settings) or
by their cohort (cohort_sync.py); and why an enrolment is refused. Takes a session and plain values, never the
request; the caller commits."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import joinedload

from lectern.courses.content.progress import insert_once
from lectern.courses.models import Course, CourseShare, Enrolment, EnrolmentMethod, Visibility
from lectern.domain import Forbidden, NotFound
from lectern.extensions import DbSession
from lectern.platform import access
from lectern.platform.models import Role, User


class EnrolmentReason(StrEnum):
    """Why an enrolment (or a change to a course's participants or staff) is refused."""

    # Self-enrolment, Forbidden: the views word each for the cadet.
    NOT_ALLOWED = "not_allowed"  # only cadets, and only in published courses
    CLOSED = "closed"  # self-enrolment is off, or its closing date has passed
    NOT_OPEN = "not_open"  # its opening date is still to come
    WRONG_KEY = "wrong_key"
    FULL = "full"  # the course's cap is reached
    # Enrolling and unenrolling others.
    NOT_ENROLLABLE = "not_enrollable"  # NotFound: not a cadet of an academy the course is offered to
    HELD_BY_COHORT = "held_by_cohort"  # Conflict: an enrolled cohort holds the cadet (params cohorts, names)
    COHORT_NOT_OFFERED = "cohort_not_offered"  # NotFound: the course is not offered to the cohort's academy
    NOT_COHORT_MANAGER = "not_cohort_manager"  # Forbidden: neither the course's editor nor the cohort's admin
    # Course staff.
    NOT_STAFF_CANDIDATE = "not_staff_candidate"  # NotFound: not an instructor or administrator of the academy
    OWN_ROLE = "own_role"  # Forbidden: an instructor does not change or remove their own course role


def enrol(session: DbSession, course: Course, users: Iterable[User], method: EnrolmentMethod) -> int:
    """Enrol `users` (already enrolled ones are left as they are); returns how many were added."""
    ids = {u.id for u in users}
    have = set(
        session.scalars(select(Enrolment.user_id).where(Enrolment.course_id == course.id, Enrolment.user_id.in_(ids)))
    )
    added = 0
    for user_id in sorted(ids - have):
        # Two clicks, or two administrators, may enrol the same cadet at once: the second insert does nothing.
        added += insert_once(session, Enrolment, course_id=course.id, user_id=user_id, method=method)
    return added


def enrolment_count(session: DbSession, course: Course) -> int:
    return session.scalar(select(func.count()).where(Enrolment.course_id == course.id)) or 0


def self_enrol(session: DbSession, user: User, course: Course, key: str | None, now: datetime) -> None:
    """Enrol `user` on their own, under the course's self-enrolment settings; Forbidden (an `EnrolmentReason`
    the views word) when they say no."""
    if user.role is not Role.CADET or course.visibility is Visibility.DRAFT:
        raise Forbidden(EnrolmentReason.NOT_ALLOWED)
    if not course.self_enrol:
        raise Forbidden(EnrolmentReason.CLOSED)
    if course.enrol_opens_at and now < course.enrol_opens_at:
        raise Forbidden(EnrolmentReason.NOT_OPEN)
    if course.enrol_closes_at and now > course.enrol_closes_at:
        raise Forbidden(EnrolmentReason.CLOSED)
    if course.enrol_key and (key or "").strip() != course.enrol_key:
        raise Forbidden(EnrolmentReason.WRONG_KEY)
    if course.enrol_cap is not None and enrolment_count(session, course) >= course.enrol_cap:
        raise Forbidden(EnrolmentReason.FULL)
    enrol(session, course, [user], EnrolmentMethod.SELF)


def unenrol(session: DbSession, course: Course, user_id: int) -> None:
    """End an enrolment. Completions stay: the cadet's history is kept if they come back."""
    session.execute(delete(Enrolment).where(Enrolment.course_id == course.id, Enrolment.user_id == user_id))
    access.changed(session, user_id)  # their open lecture sockets are checked again once this commits


def participants(session: DbSession, course: Course) -> list[Enrolment]:
    return list(
        session.scalars(
            select(Enrolment)
            .where(Enrolment.course_id == course.id)
            .options(joinedload(Enrolment.user).joinedload(User.academy))
            .join(User, User.id == Enrolment.user_id)
            .order_by(User.last_name, User.first_name)
        )
    )


def enrollable_users(session: DbSession, course: Course, text: str, limit: int = 20) -> list[User]:
    """Cadets who may be enrolled by hand: of the course's academy and the academies it is offered to."""
    stmt = select(User).where(User.role == Role.CADET, User.active.is_(True))
    if course.visibility is not Visibility.ALL:
        shared = select(CourseShare.academy_id).where(CourseShare.course_id == course.id)
        stmt = stmt.where(or_(User.academy_id == course.academy_id, User.academy_id.in_(shared)))
    if text:
        like = f"%{text.lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(User.username).like(like),
                func.lower(User.first_name).like(like),
                func.lower(User.last_name).like(like),
            )
        )
    enrolled = select(Enrolment.user_id).where(Enrolment.course_id == course.id)
    stmt = stmt.where(User.id.not_in(enrolled)).options(joinedload(User.academy))
    return list(session.scalars(stmt.order_by(User.last_name, User.first_name).limit(limit)))


def user_for_enrolment(session: DbSession, course: Course, user_id: int) -> User:
    """The cadet to enrol by hand, if one of an academy the course is offered to; NotFound otherwise."""
    user = session.get(User, user_id)
    if user is None or user.role is not Role.CADET:
        raise NotFound(EnrolmentReason.NOT_ENROLLABLE)
    if course.visibility is not Visibility.ALL and user.academy_id != course.academy_id:
        shared = {s.academy_id for s in course.shares}
        if user.academy_id not in shared:
            raise NotFound(EnrolmentReason.NOT_ENROLLABLE)
    return user
