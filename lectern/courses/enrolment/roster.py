"""Who takes part in a course, as its editors manage it: enrolment by hand and the course's staff, each logged.

Course roles sit beside site roles: an instructor of a course edits it, an assistant sees everything and grades but
does not edit (`lectern.courses.access`). Course roles go to users of the course's academy whose site role is
instructor or academy administrator. Takes a session and plain values, never the request.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lectern.courses.access import STAFF_SITE_ROLES, check_editor
from lectern.courses.enrolment import cohort_sync
from lectern.courses.enrolment import services as enrolment
from lectern.courses.enrolment.services import EnrolmentReason
from lectern.courses.models import Course, CourseRole, CourseStaff, Enrolment, EnrolmentMethod
from lectern.domain import Conflict, Forbidden, NotFound
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


def held_by_cohort(cohorts: list[Cohort]) -> Conflict:
    """The refusal to unenrol a member of cohorts enrolled in the course (it would not last: the cohort's next
    change enrols them again). Its params: `cohorts`, and their `names` for the message."""
    return Conflict(EnrolmentReason.HELD_BY_COHORT, cohorts=cohorts, names=", ".join(c.name for c in cohorts))


# --- enrolment by hand ---------------------------------------------------------------------------------------------


def enrol_by_hand(session: DbSession, actor: User, course: Course, users: Iterable[User]) -> int:
    """Enrol `users` (method MANUAL; those enrolled already stay as they are); returns how many were added.
    The caller chose them with `enrolment.user_for_enrolment`. Logged as ``course.enrol``."""
    check_editor(session, actor, course)
    users = list(users)
    have = set(
        session.scalars(
            select(Enrolment.user_id).where(
                Enrolment.course_id == course.id, Enrolment.user_id.in_([u.id for u in users])
            )
        )
    )
    added = enrolment.enrol(session, course, users, EnrolmentMethod.MANUAL)
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
        raise held_by_cohort(held)


def unenrol_by_hand(session: DbSession, actor: User, course: Course, user_id: int) -> bool:
    """End one enrolment (however it was made); False if there was none. Conflict (HELD_BY_COHORT) when an enrolled
    cohort holds the user: they would be back with the cohort's next change, so they leave the cohort instead.
    Completions, attempts and grades are kept. Logged as ``course.unenrol``."""
    check_editor(session, actor, course)
    found = session.scalar(
        select(Enrolment)
        .where(Enrolment.course_id == course.id, Enrolment.user_id == user_id)
        .options(joinedload(Enrolment.user))
    )
    if found is None:
        return False
    _not_held(session, course, user_id)
    audit.record(
        session,
        actor,
        "course.unenrol",
        academy_id=course.academy_id,
        target=course.title,
        details={"user": found.user.username},
    )
    session.delete(found)
    access.changed(session, user_id)  # their open lecture sockets are checked again once this commits
    session.flush()
    return True


def leave(session: DbSession, user: User, course: Course) -> None:
    """A cadet leaves a course; Conflict (HELD_BY_COHORT) while a cohort of theirs is enrolled in it."""
    _not_held(session, course, user.id)
    enrolment.unenrol(session, course, user.id)


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
    `actor` edits the course, and (OWN_ROLE) for an instructor's own role. Logged as ``course.staff``.
    """
    check_editor(session, actor, course)
    user = session.get(User, user_id)
    if user is None or user.academy_id != course.academy_id or user.role not in STAFF_SITE_ROLES:
        raise NotFound(EnrolmentReason.NOT_STAFF_CANDIDATE)
    if _own_role_matters(actor, course, user.id):
        raise Forbidden(EnrolmentReason.OWN_ROLE)
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
    """Take away `user_id`'s role in the course; False when they had none; Forbidden as `set_staff`. Logged as
    ``course.staff_remove``."""
    check_editor(session, actor, course)
    row = session.scalar(
        select(CourseStaff)
        .where(CourseStaff.course_id == course.id, CourseStaff.user_id == user_id)
        .options(joinedload(CourseStaff.user))
    )
    if row is None:
        return False
    if _own_role_matters(actor, course, user_id):
        raise Forbidden(EnrolmentReason.OWN_ROLE)
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
