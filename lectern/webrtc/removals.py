"""Removals from a lecture: who may send whom out, stored in the database until a host lets them back in.

A removal sends `access_changed` for the removed user once it commits; the lecture namespace closes their sockets
on every web instance (`lectern.webrtc.room.access_watch`) and refuses them until the removal is undone.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from lectern.courses import access as course_access
from lectern.domain import Forbidden
from lectern.extensions import DbSession
from lectern.platform import access
from lectern.platform.models import User
from lectern.webrtc.models import Lecture, LectureRemoval
from lectern.webrtc.services import LectureReason, Part, is_removed, part_of


def may_remove(session: DbSession, user: User, lecture: Lecture) -> bool:
    """Those who run the lecture may send people out: its hosts who may also edit the course (an assistant, who
    only assists, may not)."""
    return part_of(session, user, lecture) is Part.HOST and course_access.can_edit(session, user, lecture.course)


def _protected(session: DbSession, user: User, lecture: Lecture) -> bool:
    """Nobody removes the lecture's owner, the course's instructors (or its academy's administrators) or an
    administrator."""
    return (
        user.role.is_admin or user.id == lecture.created_by_id or course_access.can_edit(session, user, lecture.course)
    )


def remove(session: DbSession, actor: User, lecture: Lecture, user_id: int, now: datetime) -> None:
    """`actor` sends `user_id` out of the lecture until a host lets them back; their open sockets are closed once
    the caller commits (access_changed). Only someone with a part in the lecture: anyone else is refused as an
    unknown id is, so that no host learns the names of people outside it."""
    user = session.get(User, user_id)
    if not may_remove(session, actor, lecture) or user is None or user.id == actor.id:
        raise Forbidden(LectureReason.MAY_NOT_REMOVE)
    if part_of(session, user, lecture) is None:
        raise Forbidden(LectureReason.MAY_NOT_REMOVE)
    if _protected(session, user, lecture):
        raise Forbidden(LectureReason.MAY_NOT_REMOVE)
    if not is_removed(session, lecture.id, user.id):
        session.add(LectureRemoval(lecture_id=lecture.id, user_id=user.id, removed_by_id=actor.id, removed_at=now))
        session.flush()
    access.changed(session, user.id)


def readmit(session: DbSession, actor: User, lecture: Lecture, user_id: int) -> None:
    """Undo a removal: the user may join the lecture again."""
    if not may_remove(session, actor, lecture):
        raise Forbidden(LectureReason.MAY_NOT_REMOVE)
    session.execute(
        delete(LectureRemoval).where(LectureRemoval.lecture_id == lecture.id, LectureRemoval.user_id == user_id)
    )


def removed(session: DbSession, lecture: Lecture) -> list[User]:
    """The people removed from the lecture, by name, in one query."""
    return list(
        session.scalars(
            select(User)
            .join(LectureRemoval, LectureRemoval.user_id == User.id)
            .where(LectureRemoval.lecture_id == lecture.id)
            .order_by(User.last_name, User.first_name, User.id)
        )
    )
