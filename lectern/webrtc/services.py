"""Live lectures: who may join and in which part, the calendar, the lecture itself, attendance and chat (scheduling
is scheduling.py's). Session and plain values in, never the request."""

from __future__ import annotations

import enum
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Row, bindparam, exists, or_, select, update
from sqlalchemy.orm import joinedload, selectinload

from lectern.courses import access as course_access
from lectern.courses.models import Course, CourseStaff, Enrolment
from lectern.domain import Conflict, Forbidden, Invalid, NotFound
from lectern.extensions import DbSession
from lectern.platform.accounts import sessions
from lectern.platform.models import Role, User
from lectern.webrtc.models import (
    Attendance,
    ChatMessage,
    Lecture,
    LectureHall,
    LectureInvite,
    LectureRemoval,
    LectureStatus,
)

MAX_CHAT = 1000
MAX_DURATION = 8 * 60
# How long before its start a lecture counts as about to begin: its room opens to the audience and the home pages
# put it first, with its Join button.
JOIN_EARLY = timedelta(minutes=15)
# A participant back within this time of leaving (a dropped link, a reload) continues their last stay: attendance
# does not split into two stays for a short loss of the connection.
REJOIN_GRACE = timedelta(seconds=60)


class LectureReason(enum.StrEnum):
    """Why the lectures' services refuse (the reason of a `lectern.domain` error)."""

    NO_LECTURE = "no_lecture"  # NotFound: no such lecture, or the user has no part in it
    NOT_EDITOR = "not_editor"  # Forbidden: only those who may edit the course schedule, change or cancel
    NOT_STAFF = "not_staff"  # Forbidden: the attendance register is for the lecture's hosts and observers
    MAY_NOT_REMOVE = "may_not_remove"  # Forbidden: removals.py's rules (see there)
    VALUE = "value"  # Invalid: a scheduling value; `field` names it
    CHAT_TEXT = "chat_text"  # Invalid: a chat message empty or too long
    NOT_SCHEDULED = "not_scheduled"  # Conflict: only a lecture that has not started can be changed
    OVER = "over"  # Conflict: the lecture has ended or was cancelled
    NOT_STARTED = "not_started"  # Conflict: a lecture that never went live cannot end


class Part(enum.StrEnum):
    """What a user is in a lecture room."""

    HOST = "host"  # the course's instructors and assistants: publish, give the floor, mute, remove, end
    CADET = "cadet"  # enrolled in the course or an invited one: receive, raise a hand, publish with the floor
    HALL = "hall"  # an invited lecture-hall screen: like a cadet, usually given the floor to answer back
    OBSERVER = "observer"  # administrators of the course's academy: receive only


def part_of(session: DbSession, user: User, lecture: Lecture) -> Part | None:
    """The user's part in the lecture, or None if they may not join it."""
    course = lecture.course
    if course_access.staff_role(session, user, course) is not None:
        return Part.HOST
    if user.role is Role.CLASSROOM:
        return Part.HALL if session.get(LectureHall, (lecture.id, user.id)) is not None else None
    if user.role is Role.GLOBAL_ADMIN or (user.role is Role.ACADEMY_ADMIN and user.academy_id == course.academy_id):
        return Part.OBSERVER
    courses = [lecture.course_id, *(i.course_id for i in lecture.invited_courses)]
    enrolled = session.scalar(
        select(Enrolment.id).where(Enrolment.user_id == user.id, Enrolment.course_id.in_(courses)).limit(1)
    )
    return Part.CADET if enrolled else None


def admission(
    session: DbSession, user_id: int, lecture_id: int, login_session_id: int | None, now: datetime
) -> tuple[Lecture, Part] | None:
    """The lecture and the user's part in it while they may stay in its room, else None: the sign-in their socket
    came with still open, the account active, not removed by a host, and a part in the lecture. Asked whenever
    `lectern.platform.access.access_changed` names the user."""
    user = session.get(User, user_id)
    if user is None or not user.active or not sessions.is_open(session, login_session_id, now):
        return None
    return admission_of(session, user, lecture_id)


def admission_of(session: DbSession, user: User, lecture_id: int) -> tuple[Lecture, Part] | None:
    """`admission` for a user whose sign-in and account this request has proved already (the user loader of a
    lecture socket's message): the lecture, with what `part_of` reads, not removed, and a part in it."""
    lecture = session.get(
        Lecture, lecture_id, options=[joinedload(Lecture.course), selectinload(Lecture.invited_courses)]
    )
    if lecture is None or is_removed(session, lecture_id, user.id):
        return None
    part = part_of(session, user, lecture)
    return None if part is None else (lecture, part)


def is_removed(session: DbSession, lecture_id: int, user_id: int) -> bool:
    return session.get(LectureRemoval, (lecture_id, user_id)) is not None


def get_lecture(session: DbSession, user: User, lecture_id: int) -> tuple[Lecture, Part]:
    """The lecture and the user's part in it; NotFound when there is none or they have no part in it."""
    lecture = session.get(Lecture, lecture_id)
    if lecture is None:
        raise NotFound(LectureReason.NO_LECTURE)
    part = part_of(session, user, lecture)
    if part is None:
        raise NotFound(LectureReason.NO_LECTURE)
    return lecture, part


def get_for_register(session: DbSession, user: User, lecture_id: int) -> Lecture:
    """A lecture whose attendance register the user may read: its hosts and observers may."""
    lecture, part = get_lecture(session, user, lecture_id)
    if part not in (Part.HOST, Part.OBSERVER):
        raise Forbidden(LectureReason.NOT_STAFF)
    return lecture


# --- the calendar ------------------------------------------------------------------------------------------------


def ends_at(lecture: Lecture) -> datetime:
    return lecture.starts_at + timedelta(minutes=lecture.duration_minutes)


def joinable(lecture: Lecture, now: datetime) -> bool:
    """Whether the lecture is live or about to begin (within JOIN_EARLY of its start, not yet over)."""
    if lecture.status is LectureStatus.LIVE:
        return True
    return lecture.status is LectureStatus.SCHEDULED and lecture.starts_at - JOIN_EARLY <= now < ends_at(lecture)


def _attendable(user: User) -> object:
    """SQL condition: lectures `user` may join (without administrators' observer rights)."""
    my_courses = select(Enrolment.course_id).where(Enrolment.user_id == user.id)
    return or_(
        Lecture.course_id.in_(my_courses),
        exists().where(LectureInvite.lecture_id == Lecture.id, LectureInvite.course_id.in_(my_courses)),
        exists().where(LectureHall.lecture_id == Lecture.id, LectureHall.user_id == user.id),
        Lecture.course_id.in_(course_access.staff_course_ids(user)),
    )


def upcoming(session: DbSession, user: User, now: datetime, limit: int = 20) -> list[Lecture]:
    """Live and future lectures of the user, soonest first, with their courses, in one query."""
    return list(
        session.scalars(
            select(Lecture)
            .where(
                _attendable(user),  # type: ignore[arg-type]
                Lecture.status.in_([LectureStatus.SCHEDULED, LectureStatus.LIVE]),
                Lecture.starts_at > now - timedelta(minutes=MAX_DURATION),
            )
            .options(joinedload(Lecture.course).joinedload(Course.academy))
            .order_by(Lecture.starts_at)
            .limit(limit)
        )
    )


def for_calendar(session: DbSession, user: User, since: datetime) -> list[Lecture]:
    """Every lecture of the user from `since` on, cancelled ones included (calendars should drop them)."""
    return list(
        session.scalars(
            select(Lecture)
            .where(_attendable(user), Lecture.starts_at >= since)  # type: ignore[arg-type]
            .options(joinedload(Lecture.course))
            .order_by(Lecture.starts_at)
        )
    )


def feed_owner(session: DbSession, user_id: int, session_version: int) -> User:
    """The user a calendar feed's token names, while it holds: the account active and its password not changed
    since (`session_version`); NotFound otherwise."""
    user = session.get(User, user_id)
    if user is None or not user.active or user.session_version != session_version:
        raise NotFound()
    return user


# Built once, and run without the ORM: every course page lists its course's lectures (most list none).
_COURSE_LECTURES = (
    select(Lecture.id, Lecture.title, Lecture.starts_at, Lecture.status)
    .where(Lecture.course_id == bindparam("course_id"))
    .order_by(Lecture.starts_at.desc())
)


def course_lectures(session: DbSession, course_id: int) -> Sequence[Row[int, str, datetime, LectureStatus]]:
    """The course's lectures, the latest first, as its page lists them: id, title, starts_at and status."""
    return session.connection().execute(_COURSE_LECTURES, {"course_id": course_id}).all()


# --- the lecture itself ------------------------------------------------------------------------------------------


def _refuse_if_over(lecture: Lecture) -> None:
    if lecture.status in (LectureStatus.ENDED, LectureStatus.CANCELLED):
        raise Conflict(LectureReason.OVER)


def start(session: DbSession, lecture: Lecture, now: datetime) -> None:
    """The lecture goes live (a live one stays so); Conflict once it is over."""
    _refuse_if_over(lecture)
    if lecture.status is LectureStatus.SCHEDULED:
        lecture.status = LectureStatus.LIVE
        lecture.started_at = now


def end(session: DbSession, lecture: Lecture, now: datetime) -> None:
    """End the lecture: everyone still in the room leaves now. Conflict unless it is live."""
    _refuse_if_over(lecture)
    if lecture.status is not LectureStatus.LIVE:
        raise Conflict(LectureReason.NOT_STARTED)
    lecture.status = LectureStatus.ENDED
    lecture.ended_at = now
    lecture.floor_user_id = None
    session.execute(
        update(Attendance).where(Attendance.lecture_id == lecture.id, Attendance.left_at.is_(None)).values(left_at=now)
    )


def arrive(session: DbSession, lecture: Lecture, user: User, now: datetime, held: Collection[int] = ()) -> Attendance:
    """The stay a joining participant is in: one of theirs still open that `held` names (a stay this process's
    other sockets of the user are in: a second tab, or a rejoin before the old socket's loss was noticed), else
    their last stay if they left it less than REJOIN_GRACE ago (it goes on, open again), else a new one."""
    of_user = (Attendance.lecture_id == lecture.id, Attendance.user_id == user.id)
    if held:
        shared = session.scalars(
            select(Attendance).where(*of_user, Attendance.id.in_(held), Attendance.left_at.is_(None)).limit(1)
        ).first()
        if shared is not None:
            return shared
    recent = session.scalars(
        select(Attendance)
        .where(*of_user, Attendance.left_at >= now - REJOIN_GRACE)
        .order_by(Attendance.left_at.desc(), Attendance.id.desc())
        .limit(1)
    ).first()
    if recent is not None:
        recent.left_at = None
        session.flush()
        return recent
    stay = Attendance(lecture_id=lecture.id, user_id=user.id, joined_at=now)
    session.add(stay)
    session.flush()
    return stay


def depart(session: DbSession, attendance_id: int, now: datetime) -> None:
    session.execute(
        update(Attendance).where(Attendance.id == attendance_id, Attendance.left_at.is_(None)).values(left_at=now)
    )


@dataclass(frozen=True)
class Presence:
    """One participant's attendance; `first_joined` None: expected (enrolled or invited) but never joined."""

    user: User
    first_joined: datetime | None
    last_left: datetime | None
    minutes: int

    @property
    def absent(self) -> bool:
        return self.first_joined is None


def attendance(session: DbSession, lecture: Lecture, now: datetime) -> list[Presence]:
    """Each participant's present minutes: their stays merged (two tabs count once) and clipped to the time the
    lecture was live."""
    stays = session.scalars(
        select(Attendance)
        .where(Attendance.lecture_id == lecture.id)
        .options(joinedload(Attendance.user))
        .order_by(Attendance.user_id, Attendance.joined_at)
    ).all()
    opened = lecture.started_at or lecture.starts_at
    closed = lecture.ended_at or now
    by_user: dict[int, list[Attendance]] = {}
    for stay in stays:
        by_user.setdefault(stay.user_id, []).append(stay)
    result = []
    for user_stays in by_user.values():
        intervals = sorted((max(s.joined_at, opened), min(s.left_at or closed, closed)) for s in user_stays)
        total = timedelta()
        current_start, current_end = None, None
        for begin, finish in intervals:
            if finish <= begin:
                continue
            if current_end is None or begin > current_end:
                if current_end is not None and current_start is not None:
                    total += current_end - current_start
                current_start, current_end = begin, finish
            else:
                current_end = max(current_end, finish)
        if current_end is not None and current_start is not None:
            total += current_end - current_start
        left = [s.left_at for s in user_stays]
        result.append(
            Presence(
                user=user_stays[0].user,
                first_joined=user_stays[0].joined_at,
                last_left=None if None in left else max(x for x in left if x is not None),
                minutes=int(total.total_seconds() // 60),
            )
        )
    return sorted(result, key=lambda p: (p.user.last_name, p.user.first_name))


def expected(session: DbSession, lecture: Lecture) -> list[User]:
    """Who was expected in the lecture's audience: the active cadets enrolled in its course or in an invited one,
    and the invited lecture halls (those who would join as cadets or halls; its hosts and observers are not
    counted)."""
    courses = [lecture.course_id, *(i.course_id for i in lecture.invited_courses)]
    staff = select(CourseStaff.user_id).where(CourseStaff.course_id == lecture.course_id)
    enrolled = select(Enrolment.user_id).where(Enrolment.course_id.in_(courses))
    halls = select(LectureHall.user_id).where(LectureHall.lecture_id == lecture.id)
    audience = or_(
        User.id.in_(enrolled) & User.role.not_in([Role.GLOBAL_ADMIN, Role.ACADEMY_ADMIN, Role.CLASSROOM]),
        User.id.in_(halls) & (User.role == Role.CLASSROOM),
    )
    return list(session.scalars(select(User).where(audience, User.active.is_(True), User.id.not_in(staff))))


def register(session: DbSession, lecture: Lecture, now: datetime) -> list[Presence]:
    """The lecture's attendance register: everyone who joined (as `attendance`), and everyone expected who never
    did, marked absent; by name."""
    present = attendance(session, lecture, now)
    came = {p.user.id for p in present}
    absent = [Presence(u, None, None, 0) for u in expected(session, lecture) if u.id not in came]
    return sorted(present + absent, key=lambda p: (p.user.last_name, p.user.first_name, p.user.id))


def say(session: DbSession, lecture: Lecture, user: User, text: str, now: datetime) -> ChatMessage:
    body = " ".join(text.split()) if "\n" not in text else text.strip()
    if not body or len(body) > MAX_CHAT:
        raise Invalid(LectureReason.CHAT_TEXT, field="text")
    message = ChatMessage(lecture_id=lecture.id, user_id=user.id, body=body, created_at=now)
    session.add(message)
    session.flush()
    return message


def chat_history(session: DbSession, lecture: Lecture, limit: int = 200) -> list[ChatMessage]:
    rows = session.scalars(
        select(ChatMessage)
        .where(ChatMessage.lecture_id == lecture.id)
        .options(joinedload(ChatMessage.user))
        .order_by(ChatMessage.id.desc())
        .limit(limit)
    ).all()
    return list(reversed(rows))
