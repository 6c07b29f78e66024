"""Who may see, follow, teach and edit a course. Every courses view asks here.

Course roles (`CourseStaff`: instructor, assistant) go to instructors and academy administrators of the course's
academy (`STAFF_SITE_ROLES`, see roster.set_staff). A role counts only while its user still is one: demoted to
cadet, or moved to another academy, the user's rows stay but give no right at all (edit, grade, gradebook, lectures,
the course's reports), on every request, since every check reads the user's current site role and academy here
(`holds_course_roles`, `staff_course_ids`). The rows are kept, not removed, so that an accidental change of role or
academy, put right, gives back exactly what the user had; the course's participants page marks them as without
effect, and its editors may remove them.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select, true
from sqlalchemy.orm import aliased

from lectern.courses.models import Course, CourseRole, CourseShare, CourseStaff, Enrolment, Visibility
from lectern.domain import Forbidden, NotFound
from lectern.extensions import DbSession
from lectern.platform.admin.services import administers
from lectern.platform.models import Role, User

# Site roles that may hold a course role.
STAFF_SITE_ROLES = (Role.INSTRUCTOR, Role.ACADEMY_ADMIN)


class AccessReason(StrEnum):
    """Why a user may not reach a course, or may not do something with it."""

    NO_COURSE = "no_course"  # NotFound: no such course, or one the user may not know exists
    NOT_FOLLOWING = "not_following"  # Forbidden: neither enrolled in it nor teaching it, so no lessons
    NOT_TEACHING = "not_teaching"  # Forbidden: the participants' pages are for those who teach it
    NOT_EDITOR = "not_editor"  # Forbidden: the user may see the course but not edit it
    NOT_ENROLLED = "not_enrolled"  # Forbidden: only its cadets do this (mark a lesson done, take a quiz)
    MAY_NOT_CREATE = "may_not_create"  # Forbidden: only instructors and administrators create courses


def listed_condition(user: User) -> ColumnElement[bool]:
    """SQL condition: courses that appear in `user`'s catalogue."""
    if user.role is Role.GLOBAL_ADMIN:
        return true()
    own_academy = Course.academy_id == user.academy_id
    shared_with_me = exists().where(CourseShare.course_id == Course.id, CourseShare.academy_id == user.academy_id)
    return or_(
        Course.visibility == Visibility.ALL,
        and_(Course.visibility.in_([Visibility.ACADEMY, Visibility.SHARED]), own_academy),
        and_(Course.visibility == Visibility.SHARED, shared_with_me),
        and_(own_academy, true() if user.role is Role.ACADEMY_ADMIN else false()),
        Course.id.in_(staff_course_ids(user)),
    )


def holds_course_roles(user: User, academy_id: int) -> bool:
    """Whether `user`'s course roles in a course of the academy count now (see the module's docstring)."""
    return user.role in STAFF_SITE_ROLES and user.academy_id == academy_id


def staff_course_ids(user: User, role: CourseRole | None = None) -> Select[int]:
    """SQL: the ids of the courses where `user` holds a course role (`role`, if given) that counts now."""
    if user.role not in STAFF_SITE_ROLES:
        return select(CourseStaff.course_id).where(false())
    # Aliased, so that a query over Course using this as a subquery does not correlate it with its own Course.
    course = aliased(Course)
    query = (
        select(CourseStaff.course_id)
        .join(course, course.id == CourseStaff.course_id)
        .where(CourseStaff.user_id == user.id, course.academy_id == user.academy_id)
    )
    return query if role is None else query.where(CourseStaff.role == role)


def staff_role(session: DbSession, user: User, course: Course) -> CourseRole | None:
    """The user's course role in the course, if it counts now."""
    if not holds_course_roles(user, course.academy_id):
        return None
    return session.scalar(
        select(CourseStaff.role).where(CourseStaff.course_id == course.id, CourseStaff.user_id == user.id)
    )


def _administers(user: User, course: Course) -> bool:
    return administers(user, course.academy_id)


def can_edit(session: DbSession, user: User, course: Course) -> bool:
    """Instructors of the course, administrators of its academy, global administrators."""
    return _administers(user, course) or staff_role(session, user, course) is CourseRole.INSTRUCTOR


def can_teach(session: DbSession, user: User, course: Course) -> bool:
    """Editors and assistants: they see every lesson and every participant's progress."""
    return _administers(user, course) or staff_role(session, user, course) is not None


def is_enrolled(session: DbSession, user: User, course: Course) -> bool:
    return bool(
        session.scalar(select(Enrolment.id).where(Enrolment.course_id == course.id, Enrolment.user_id == user.id))
    )


def can_follow(session: DbSession, user: User, course: Course) -> bool:
    """May open the course's lessons and files."""
    return is_enrolled(session, user, course) or can_teach(session, user, course)


def may_create_courses(user: User) -> bool:
    return user.role in (Role.INSTRUCTOR, Role.ACADEMY_ADMIN, Role.GLOBAL_ADMIN)


def check_may_create(user: User) -> None:
    """Forbidden unless `user` may create courses."""
    if not may_create_courses(user):
        raise Forbidden(AccessReason.MAY_NOT_CREATE)


def reachable(user: User) -> Select[Course, bool, bool]:
    """SQL: the courses with whether `user`'s catalogue lists them and whether `user` is enrolled in them, to be
    narrowed to one course (and joined to what the page reads with it): the rule of `get_listed` in the same
    statement as the course, where it was one statement for the course, one for the rule and one for the
    enrolment."""
    enrolled = exists().where(Enrolment.course_id == Course.id, Enrolment.user_id == user.id)
    return select(Course, listed_condition(user).label("listed"), enrolled.label("enrolled"))


def check_reachable(course: Course | None, listed: bool, enrolled: bool) -> Course:
    """A row of `reachable`: the course if the user may know it exists (listed, or enrolled), else NotFound."""
    if course is None or not (listed or enrolled):
        raise NotFound(AccessReason.NO_COURSE)
    return course


def get_reachable(session: DbSession, user: User, course_id: int) -> tuple[Course, bool]:
    """The course if `user` may know it exists (listed, enrolled or teaching), and whether they are enrolled in it;
    else NotFound. One statement."""
    row = session.execute(reachable(user).where(Course.id == course_id)).one_or_none()
    if row is None:
        raise NotFound(AccessReason.NO_COURSE)
    return check_reachable(row[0], bool(row[1]), bool(row[2])), bool(row[2])


def get_listed(session: DbSession, user: User, course_id: int) -> Course:
    """The course if `user` may know it exists (listed, enrolled or teaching), else NotFound."""
    return get_reachable(session, user, course_id)[0]


def get_followed(session: DbSession, user: User, course_id: int) -> Course:
    """The course if `user` may open its lessons and files (enrolled, or teaching it); NotFound or Forbidden."""
    course = get_listed(session, user, course_id)
    if not can_follow(session, user, course):
        raise Forbidden(AccessReason.NOT_FOLLOWING)
    return course


def get_taught(session: DbSession, user: User, course_id: int) -> Course:
    """The course if `user` teaches it (edits it, or assists); NotFound or Forbidden."""
    course = get_listed(session, user, course_id)
    if not can_teach(session, user, course):
        raise Forbidden(AccessReason.NOT_TEACHING)
    return course


def get_editable(session: DbSession, user: User, course_id: int) -> Course:
    """The course if `user` may edit it; NotFound or Forbidden."""
    course = get_listed(session, user, course_id)
    check_editor(session, user, course)
    return course


def check_editor(session: DbSession, user: User, course: Course) -> None:
    """Forbidden unless `user` may edit the course."""
    if not can_edit(session, user, course):
        raise Forbidden(AccessReason.NOT_EDITOR)
