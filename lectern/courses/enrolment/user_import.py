"""The courses side of the users CSV import: `courseN` names a course by its title (any case), and `roleN` makes the
user a cadet enrolled in it (method MANUAL) or one of its staff (instructor, assistant).

Staff roles: in the courses of the row's academy that the administrator may edit. Enrolment: in those, and in the
courses other academies offer to the row's academy (shared with it, or with all) when the administrator administers
the row's academy: the same rule as for enrolling a cohort.

The platform area must not import this area, so it asks through `user_import.CourseLinks`; the courses area's
`init_app` adds this implementation to the registry's `COURSE_LINKS`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence

from sqlalchemy import and_, exists, or_, select

from lectern.courses.access import can_edit
from lectern.courses.content.progress import insert_once
from lectern.courses.enrolment import services as enrolment_services
from lectern.courses.models import Course, CourseRole, CourseShare, CourseStaff, EnrolmentMethod, Visibility
from lectern.extensions import DbSession
from lectern.platform.admin.services import administers
from lectern.platform.models import User
from lectern.platform.user_import.services import CourseRef, name_key

ROLES = frozenset({"cadet", "instructor", "assistant"})
CADET_ONLY = frozenset({"cadet"})


class CourseLinks:
    def find(
        self, session: DbSession, actor: User, academy_id: int, names: Collection[str]
    ) -> Mapping[str, Sequence[CourseRef]]:
        wanted = {name_key(n) for n in names}
        found: dict[str, list[CourseRef]] = defaultdict(list)
        administrator = administers(actor, academy_id)
        offered = or_(
            Course.academy_id == academy_id,
            Course.visibility == Visibility.ALL,
            and_(
                Course.visibility == Visibility.SHARED,
                exists().where(CourseShare.course_id == Course.id, CourseShare.academy_id == academy_id),
            ),
        )
        # Titles are compared in Python (name_key: any case, spaces collapsed), the same rule as for cohorts. A title
        # the academy's own course has means that course, even if another academy offers one of the same title.
        foreign: dict[str, list[CourseRef]] = defaultdict(list)
        for course in session.scalars(select(Course).where(offered).order_by(Course.id)):
            key = name_key(course.title)
            if key not in wanted:
                continue
            if course.academy_id == academy_id:
                if can_edit(session, actor, course):
                    found[key].append(CourseRef(course.id, course.title, course.academy_id, ROLES))
            elif administrator or can_edit(session, actor, course):
                # A course of another academy offered to this one: its cadets are enrolled, as a cohort would be;
                # its staff come from its own academy.
                foreign[key].append(CourseRef(course.id, course.title, course.academy_id, CADET_ONLY))
        for key, refs in foreign.items():
            if key not in found:
                found[key] = refs
        return found

    def apply(self, session: DbSession, actor: User, links: Sequence[tuple[User, CourseRef, str]]) -> None:
        grouped: dict[tuple[int, str], list[User]] = defaultdict(list)
        for user, ref, role in links:
            grouped[(ref.id, role)].append(user)
        for (course_id, role), users in grouped.items():
            course = session.get(Course, course_id)
            if course is None:  # found in this transaction a moment ago
                raise LookupError(course_id)
            if role == "cadet":
                enrolment_services.enrol(session, course, users, EnrolmentMethod.MANUAL)
            else:
                for user in users:
                    insert_once(session, CourseStaff, course_id=course.id, user_id=user.id, role=CourseRole(role))
        session.flush()
