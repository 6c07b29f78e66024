"""Who takes part in a course, as its editors manage it: enrolment by hand and the course's staff, each logged.

Course roles sit beside site roles: an instructor of a course edits it, an assistant sees everything and grades but
does not edit (`lectern.courses.access`). Course roles go to users of the course's academy whose site role is
instructor or academy administrator. Takes a session and plain values, never the request.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lectern.courses import services
from lectern.courses.access import STAFF_SITE_ROLES, CourseError, Forbidden, NotFound, can_edit
from lectern.courses.enrolment import cohort_sync
from lectern.courses.models import Course, CourseRole, CourseStaff, Enrolment, EnrolmentMethod
from lectern.extensions import DbSession
from lectern.i18n import lazy_gettext as _l
from lectern.platform import access
from lectern.platform.audit import services as audit
from lectern.platform.models import Cohort, Role, User

COURSE_ROLE_LABELS = {
    CourseRole.INSTRUCTOR: _l("Instructor"),
    CourseRole.ASSISTANT: _l("Assistant"),
}
COURSE_ROLE_HINTS = {
    CourseRole.INSTRUCTOR: _l("edits the course and grades"),
    CourseRole.ASSISTANT: _l("grades, does not edit"),
}
METHOD_LABELS = {
    EnrolmentMethod.MANUAL: _l("By hand"),
    EnrolmentMethod.SELF: _l("Self-enrolled"),
    EnrolmentMethod.COHORT: _l("Cohort"),
}


class HeldByCohort(CourseError):
    """The user is a member of cohorts enrolled in the course: unenrolling them alone would not last."""

    def __init__(self, cohorts: list[Cohort]) -> None:
        self.names = ", ".join(c.name for c in cohorts)
        super().__init__(self.names)
        self.cohorts = cohorts


class OwnRole(CourseError):
    """Editors who edit through their course role do not change or remove it themselves (and lock themselves out)."""


def _editor(session: DbSession, actor: User, course: Course) -> None:
    if not can_edit(session, actor, course):
        raise Forbidden()


# --- enrolment by hand ---------------------------------------------------------------------------------------------


def enrol_by_hand(session: DbSession, actor: User, course: Course, users: Iterable[User]) -> int:
    """Enrol `users` (method MANUAL; those enrolled already stay as they are); returns how many were added.
    The caller chose them with `services.user_for_enrolment`. Logged as ``course.enrol``."""
    _editor(session, actor, course)
    users = list(users)
    have = set(
        session.scalars(
            select(Enrolment.user_id).where(
                Enrolment.course_id == course.id, Enrolment.user_id.in_([u.id for u in users])
            )
        )
    )
    added = services.enrol(session, course, users, EnrolmentMethod.MANUAL)
    if added:
        audit.record(
            session,
            actor,
            "course.enrol",
            academy_id=course.academy_id,
            target=course.title,
            details={"usernames": sorted({u.username for u in users if u.id not in have}), "count": added},
        )
    return added


def _not_held(session: DbSession, course: Course, user_id: int) -> None:
    held = cohort_sync.holding_cohorts(session, course, [user_id])[user_id]
    if held:
        raise HeldByCohort(held)


def unenrol_by_hand(session: DbSession, actor: User, course: Course, user_id: int) -> bool:
    """End one enrolment (however it was made); False if there was none. HeldByCohort when an enrolled cohort holds
    the user: they would be back with the cohort's next change, so they leave the cohort instead. Completions,
    attempts and grades are kept. Logged as ``course.unenrol``."""
    _editor(session, actor, course)
    enrolment = session.scalar(
        select(Enrolment)
        .where(Enrolment.course_id == course.id, Enrolment.user_id == user_id)
        .options(joinedload(Enrolment.user))
    )
    if enrolment is None:
        return False
    _not_held(session, course, user_id)
    audit.record(
        session,
        actor,
        "course.unenrol",
        academy_id=course.academy_id,
        target=course.title,
        details={"user": enrolment.user.username},
    )
    session.delete(enrolment)
    access.changed(session, user_id)  # their open lecture sockets are checked again once this commits
    session.flush()
    return True


def leave(session: DbSession, user: User, course: Course) -> None:
    """A cadet leaves a course; HeldByCohort while a cohort of theirs is enrolled in it."""
    _not_held(session, course, user.id)
    services.unenrol(session, course, user.id)


# --- course staff --------------------------------------------------------------------------------------------------


def staff_of(session: DbSession, course: Course) -> list[CourseStaff]:
    """The course's staff with their users, by name."""
    return list(
        session.scalars(
            select(CourseStaff)
            .join(User, User.id == CourseStaff.user_id)
            .where(CourseStaff.course_id == course.id)
            .options(joinedload(CourseStaff.user))
            .order_by(User.last_name, User.first_name, User.id)
        )
    )


def staff_candidates(session: DbSession, course: Course, limit: int = 500) -> list[User]:
    """Active instructors and academy administrators of the course's academy with no role in it yet, by name."""
    staff = select(CourseStaff.user_id).where(CourseStaff.course_id == course.id)
    return list(
        session.scalars(
            select(User)
            .where(
                User.academy_id == course.academy_id,
                User.role.in_(STAFF_SITE_ROLES),
                User.active.is_(True),
                User.id.not_in(staff),
            )
            .order_by(User.last_name, User.first_name, User.id)
            .limit(limit)
        )
    )


def _own_role_matters(actor: User, course: Course, user_id: int) -> bool:
    """True when `actor` would change their own course role and edits the course only through it."""
    administers = actor.role is Role.GLOBAL_ADMIN or (
        actor.role is Role.ACADEMY_ADMIN and actor.academy_id == course.academy_id
    )
    return user_id == actor.id and not administers


def set_staff(session: DbSession, actor: User, course: Course, user_id: int, role: CourseRole) -> bool:
    """Give `user_id` the role in the course (or change theirs); False when they had it already.

    NotFound unless the user is an instructor or academy administrator of the course's academy; Forbidden unless
    `actor` edits the course; OwnRole for an instructor's own role. Logged as ``course.staff``.
    """
    _editor(session, actor, course)
    user = session.get(User, user_id)
    if user is None or user.academy_id != course.academy_id or user.role not in STAFF_SITE_ROLES:
        raise NotFound()
    if _own_role_matters(actor, course, user.id):
        raise OwnRole()
    row = session.get(CourseStaff, (course.id, user.id))
    if row is not None and row.role is role:
        return False
    details: dict[str, object] = {"user": user.username, "role": role.value}
    if row is None:
        session.add(CourseStaff(course_id=course.id, user_id=user.id, role=role))
    else:
        details["old"] = row.role.value
        row.role = role
        access.changed(session, user.id)  # an instructor made assistant may no longer run the lecture
    audit.record(session, actor, "course.staff", academy_id=course.academy_id, target=course.title, details=details)
    session.flush()
    return True


def remove_staff(session: DbSession, actor: User, course: Course, user_id: int) -> bool:
    """Take away `user_id`'s role in the course; False when they had none. Logged as ``course.staff_remove``."""
    _editor(session, actor, course)
    row = session.scalar(
        select(CourseStaff)
        .where(CourseStaff.course_id == course.id, CourseStaff.user_id == user_id)
        .options(joinedload(CourseStaff.user))
    )
    if row is None:
        return False
    if _own_role_matters(actor, course, user_id):
        raise OwnRole()
    audit.record(
        session,
        actor,
        "course.staff_remove",
        academy_id=course.academy_id,
        target=course.title,
        details={"user": row.user.username, "role": row.role.value},
    )
    session.delete(row)
    access.changed(session, user_id)
    session.flush()
    return True
