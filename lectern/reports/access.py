"""Who may read which report. Every report view asks here.

- A course's report: those who teach it (its instructors and assistants) and the administrators of its academy
  (global administrators: every course), as `courses.access.can_teach` says.
- A cohort's report: the administrators of its academy and global administrators.
- Cadets and lecture halls get no report at all (Forbidden). An administrator asking for another academy's course
  or cohort is told it does not exist (NotFound); an instructor gets what the course pages give: NotFound for a
  course they cannot find in the catalogue, Forbidden for one they can but do not teach.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.orm import joinedload

from lectern.courses import access as course_access
from lectern.courses.models import Course, CourseCompletion, Enrolment
from lectern.domain import Forbidden, NotFound  # the app-wide handler answers them with 404 and 403
from lectern.extensions import DbSession
from lectern.platform.cohorts import services as cohorts
from lectern.platform.models import Cohort, Role, User

REPORTERS = (Role.GLOBAL_ADMIN, Role.ACADEMY_ADMIN, Role.INSTRUCTOR)


def course_for_report(session: DbSession, user: User, course_id: int) -> Course:
    """The course if `user` may read its report; NotFound or Forbidden otherwise (see the module's rules)."""
    if user.role not in REPORTERS:
        raise Forbidden()
    course = session.get(Course, course_id)
    if course is None:
        raise NotFound()
    if course_access.can_teach(session, user, course):
        return course
    if user.role.is_admin:
        raise NotFound()  # another academy's course: its report is none of this administrator's business
    course_access.get_listed(session, user, course_id)  # NotFound for a course they cannot find
    raise Forbidden()


def cohort_for_report(session: DbSession, user: User, cohort_id: int) -> Cohort:
    """The cohort if `user` administers its academy; Forbidden for those who administer nothing."""
    if not user.role.is_admin:
        raise Forbidden()
    return cohorts.get_cohort_for(session, user, cohort_id)  # NotFound for another academy's cohort


def reportable_courses(session: DbSession, user: User) -> list[tuple[Course, int, int]]:
    """The courses whose report `user` may read, by title, each with its enrolled and completed counts (one
    query)."""
    staff = Course.id.in_(course_access.staff_course_ids(user))
    condition: ColumnElement[bool]
    if user.role is Role.GLOBAL_ADMIN:
        condition = true()
    elif user.role is Role.ACADEMY_ADMIN:
        condition = or_(Course.academy_id == user.academy_id, staff)
    elif user.role is Role.INSTRUCTOR:
        condition = staff
    else:
        return []
    enrolled = select(Enrolment.course_id, func.count().label("n")).group_by(Enrolment.course_id).subquery("enrolled")
    # A completion counts while its cadet is still enrolled: the same rows as the course report.
    completed = (
        select(CourseCompletion.course_id, func.count().label("n"))
        .join(
            Enrolment,
            and_(Enrolment.course_id == CourseCompletion.course_id, Enrolment.user_id == CourseCompletion.user_id),
        )
        .group_by(CourseCompletion.course_id)
        .subquery("completed")
    )
    rows = session.execute(
        select(Course, func.coalesce(enrolled.c.n, 0), func.coalesce(completed.c.n, 0))
        .outerjoin(enrolled, enrolled.c.course_id == Course.id)
        .outerjoin(completed, completed.c.course_id == Course.id)
        .where(condition)
        .options(joinedload(Course.academy))
        .order_by(Course.title, Course.id)
    )
    return [(course, int(n), int(done)) for course, n, done in rows]
