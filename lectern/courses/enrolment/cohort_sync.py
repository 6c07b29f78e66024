"""Cohort enrolment: a cohort enrolled in a course keeps the course's enrolments in step with its members.

Members who are cadets are enrolled with method COHORT when the cohort is enrolled and whenever they join it later.
When a member leaves (or the cohort is unenrolled or deleted), the enrolment ends unless another enrolled cohort
still holds them; an enrolment made another way (by hand, by the cadet) is never touched. Ending an enrolment keeps
the cadet's completions, attempts and grades: they are the cadet's history, and return with a new enrolment.

The platform area sends the membership signals (`platform/cohorts/services.py`); the receivers below are connected by
`connect_signals`, which the courses area's `init_app` calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, false, func, or_, select, true
from sqlalchemy.orm import contains_eager, joinedload

from lectern.courses.access import can_edit, staff_course_ids
from lectern.courses.content.progress import insert_once
from lectern.courses.enrolment.services import EnrolmentReason
from lectern.courses.models import (
    Course,
    CourseCohort,
    CourseRole,
    CourseShare,
    Enrolment,
    EnrolmentMethod,
    Visibility,
)
from lectern.domain import Forbidden, NotFound
from lectern.extensions import DbSession
from lectern.platform import access
from lectern.platform.admin.services import administers
from lectern.platform.audit import services as audit
from lectern.platform.cohorts import services as cohorts
from lectern.platform.models import Academy, Cohort, CohortMember, Role, User


def offered_condition(course: Course) -> ColumnElement[bool]:
    """SQL condition on Cohort: cohorts of the academies whose cadets the course is offered to (its own academy,
    the academies it is shared with, every academy for an ALL course), as for enrolling a cadet by hand."""
    own = Cohort.academy_id == course.academy_id
    if course.visibility is Visibility.ALL:
        return true()
    if course.visibility is Visibility.SHARED:
        shared = select(CourseShare.academy_id).where(CourseShare.course_id == course.id)
        return or_(own, Cohort.academy_id.in_(shared))
    return own


def _offered(session: DbSession, course: Course, cohort: Cohort) -> bool:
    return bool(session.scalar(select(Cohort.id).where(Cohort.id == cohort.id, offered_condition(course))))


def may_manage(session: DbSession, actor: User | None, course: Course, cohort: Cohort) -> bool:
    """Whether `actor` may enrol the cohort in the course or unenrol it: the course's editors or the cohort's
    administrators (a Bishkek administrator enrols the Bishkek intake in a Rezekne course shared with Bishkek).
    Actor None is the command line or the demo data."""
    return actor is None or can_edit(session, actor, course) or administers(actor, cohort.academy_id)


def enrol_cohort(session: DbSession, actor: User | None, course: Course, cohort: Cohort) -> int:
    """Enrol the cohort in the course (again: nothing changes); returns how many cadets were newly enrolled.

    NotFound for a cohort of an academy the course is not offered to, Forbidden when `actor` may not manage it
    (`may_manage`). Logged as ``course.cohort_enrol``.
    """
    if not _offered(session, course, cohort):
        raise NotFound(EnrolmentReason.COHORT_NOT_OFFERED)
    if not may_manage(session, actor, course, cohort):
        raise Forbidden(EnrolmentReason.NOT_COHORT_MANAGER)
    if not insert_once(session, CourseCohort, course_id=course.id, cohort_id=cohort.id):
        return 0  # enrolled already (perhaps by another administrator at the same moment)
    added = _enrol(session, [course.id], cohorts.member_ids(session, cohort))
    _record(session, actor, "course.cohort_enrol", course, cohort, added)
    return added


def unenrol_cohort(session: DbSession, actor: User | None, course: Course, cohort: Cohort) -> int:
    """End the cohort's enrolment in the course; returns how many cadets lost their enrolment (those the cohort
    alone held). Completions, attempts and grades are kept. Logged as ``course.cohort_unenrol``.

    Whether the course is still offered to the cohort's academy does not matter: a course taken back from an
    academy must not keep its cohort (and the cohort's new members) for good."""
    if not may_manage(session, actor, course, cohort):
        raise Forbidden(EnrolmentReason.NOT_COHORT_MANAGER)
    link = (CourseCohort.course_id == course.id, CourseCohort.cohort_id == cohort.id)
    result = session.execute(delete(CourseCohort).where(*link))
    if not result.rowcount:  # type: ignore[attr-defined]
        return 0
    session.flush()
    removed = _unenrol(session, [course.id], cohorts.member_ids(session, cohort))
    _record(session, actor, "course.cohort_unenrol", course, cohort, removed)
    return removed


def _record(session: DbSession, actor: User | None, action: str, course: Course, cohort: Cohort, count: int) -> None:
    """Log it for the course's academy and, when the cohort is another academy's, for that one too: each academy's
    administrators read the entries of their own academy only."""
    for academy_id in dict.fromkeys((course.academy_id, cohort.academy_id)):
        details = {"cohort": cohort.name, "count": count}
        audit.record(session, actor, action, academy_id=academy_id, target=course.title, details=details)


def counted_cohorts_of_course(session: DbSession, course: Course) -> list[tuple[Cohort, int]]:
    """The cohorts enrolled in the course, by name, each with its number of members."""
    counts = select(CohortMember.cohort_id, func.count().label("n")).group_by(CohortMember.cohort_id).subquery("n")
    rows = session.execute(
        select(Cohort, func.coalesce(counts.c.n, 0))
        .join(CourseCohort, CourseCohort.cohort_id == Cohort.id)
        .outerjoin(counts, counts.c.cohort_id == Cohort.id)
        .where(CourseCohort.course_id == course.id)
        .options(joinedload(Cohort.academy))  # the participants page names another academy's cohort
        .order_by(Cohort.name, Cohort.id)
    )
    return [(cohort, n) for cohort, n in rows]


def enrollable_cohorts(session: DbSession, course: Course) -> list[Cohort]:
    """Cohorts of the academies the course is offered to, not enrolled in it yet: the course's own academy
    first, then by academy and name."""
    enrolled = select(CourseCohort.cohort_id).where(CourseCohort.course_id == course.id)
    return list(
        session.scalars(
            select(Cohort)
            .join(Academy, Academy.id == Cohort.academy_id)
            .where(offered_condition(course), Cohort.id.not_in(enrolled))
            .options(contains_eager(Cohort.academy))
            .order_by((Cohort.academy_id != course.academy_id), Academy.name, Cohort.name, Cohort.id)
        )
    )


def participant_cohorts(session: DbSession, course: Course) -> list[Cohort]:
    """The cohorts a course's gradebook or report may be narrowed to: those enrolled in the course and those with a
    member enrolled in it, of any academy, by name (one query)."""
    linked = select(CourseCohort.cohort_id).where(CourseCohort.course_id == course.id)
    with_members = (
        select(CohortMember.cohort_id)
        .join(Enrolment, Enrolment.user_id == CohortMember.user_id)
        .where(Enrolment.course_id == course.id)
    )
    return list(
        session.scalars(
            select(Cohort)
            .where(or_(Cohort.id.in_(linked), Cohort.id.in_(with_members)))
            .options(joinedload(Cohort.academy))
            .order_by(Cohort.name, Cohort.id)
        )
    )


def chosen_cohort(session: DbSession, course: Course, cohort_id: int | None) -> tuple[list[Cohort], Cohort | None]:
    """The course's cohort choices and the one `cohort_id` names, if it is one of them (anything else: none)."""
    choices = participant_cohorts(session, course)
    return choices, next((c for c in choices if c.id == cohort_id), None)


def courses_of_cohort(session: DbSession, cohort: Cohort) -> list[Course]:
    return list(
        session.scalars(
            select(Course)
            .join(CourseCohort, CourseCohort.course_id == Course.id)
            .where(CourseCohort.cohort_id == cohort.id)
            .options(joinedload(Course.academy))  # the cohort's page names another academy's course
            .order_by(Course.title, Course.id)
        )
    )


def enrollable_courses(session: DbSession, actor: User, cohort: Cohort) -> list[Course]:
    """Courses offered to the cohort's academy, not enrolled in yet, that `actor` may enrol it in: all of them for
    the cohort's administrators, those `actor` edits otherwise. By title."""
    offered = or_(
        Course.academy_id == cohort.academy_id,
        Course.visibility == Visibility.ALL,
        and_(
            Course.visibility == Visibility.SHARED,
            exists().where(CourseShare.course_id == Course.id, CourseShare.academy_id == cohort.academy_id),
        ),
    )
    teaches = staff_course_ids(actor, CourseRole.INSTRUCTOR)
    enrolled = select(CourseCohort.course_id).where(CourseCohort.cohort_id == cohort.id)
    return list(
        session.scalars(
            select(Course)
            .where(
                offered,
                Course.id.not_in(enrolled),
                or_(true() if administers(actor, cohort.academy_id) else false(), Course.id.in_(teaches)),
            )
            .options(joinedload(Course.academy))
            .order_by(Course.title, Course.id)
        )
    )


def holding_cohorts(session: DbSession, course: Course, user_ids: Sequence[int]) -> dict[int, list[Cohort]]:
    """For each user, the cohorts enrolled in the course that they are members of (what keeps them enrolled)."""
    found: dict[int, list[Cohort]] = {i: [] for i in user_ids}
    if not user_ids:
        return found
    rows = session.execute(
        select(CohortMember.user_id, Cohort)
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .join(CourseCohort, CourseCohort.cohort_id == Cohort.id)
        .where(CourseCohort.course_id == course.id, CohortMember.user_id.in_(user_ids))
        .order_by(Cohort.name)
    )
    for user_id, cohort in rows:
        found[user_id].append(cohort)
    return found


def _enrol(session: DbSession, course_ids: Sequence[int], user_ids: Sequence[int]) -> int:
    if not course_ids or not user_ids:
        return 0
    cadets = session.scalars(select(User.id).where(User.id.in_(user_ids), User.role == Role.CADET)).all()
    have = {
        (course_id, user_id)
        for course_id, user_id in session.execute(
            select(Enrolment.course_id, Enrolment.user_id).where(
                Enrolment.course_id.in_(course_ids), Enrolment.user_id.in_(cadets)
            )
        )
    }
    added = 0
    for course_id in course_ids:
        for user_id in sorted(cadets):
            if (course_id, user_id) not in have:  # two requests at once: the second insert does nothing
                added += insert_once(
                    session, Enrolment, course_id=course_id, user_id=user_id, method=EnrolmentMethod.COHORT
                )
    return added


def _unenrol(session: DbSession, course_ids: Sequence[int], user_ids: Sequence[int]) -> int:
    """End the COHORT enrolments of `user_ids` in `course_ids` that no enrolled cohort still gives them."""
    if not course_ids or not user_ids:
        return 0
    # The course links are already gone for an unenrolled cohort, and the memberships for a leaver: what is left
    # is exactly what still holds each cadet.
    still_held = {
        (course_id, user_id)
        for course_id, user_id in session.execute(
            select(CourseCohort.course_id, CohortMember.user_id)
            .join(CohortMember, CohortMember.cohort_id == CourseCohort.cohort_id)
            .where(CourseCohort.course_id.in_(course_ids), CohortMember.user_id.in_(user_ids))
        )
    }
    removed = 0
    for course_id in course_ids:
        ending = [u for u in user_ids if (course_id, u) not in still_held]
        if ending:
            result = session.execute(
                delete(Enrolment).where(
                    Enrolment.course_id == course_id,
                    Enrolment.user_id.in_(ending),
                    Enrolment.method == EnrolmentMethod.COHORT,
                )
            )
            removed += result.rowcount  # type: ignore[attr-defined]
            access.changed(session, *ending)  # their open lecture sockets are checked again once this commits
    session.flush()
    return removed


def _course_ids(session: DbSession, cohort: Cohort) -> list[int]:
    return list(session.scalars(select(CourseCohort.course_id).where(CourseCohort.cohort_id == cohort.id)))


def _joined(cohort: Cohort, *, session: DbSession, user_ids: Sequence[int], **_: Any) -> None:
    _enrol(session, _course_ids(session, cohort), user_ids)


def _left(cohort: Cohort, *, session: DbSession, user_ids: Sequence[int], **_: Any) -> None:
    _unenrol(session, _course_ids(session, cohort), user_ids)


def connect_signals() -> None:
    """Keep enrolments in step with cohort membership (idempotent: blinker connects a receiver once)."""
    cohorts.members_joined.connect(_joined)
    cohorts.members_left.connect(_left)
