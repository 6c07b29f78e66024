"""The report services on a known data set: completion, grades and present minutes, by course and by cohort."""

from __future__ import annotations

from typing import Any

import pytest

from lectern.courses.enrolment import cohort_sync
from lectern.courses.models import Course
from lectern.extensions import db
from lectern.platform.cohorts import services as cohorts
from lectern.platform.models import Cohort, Role
from lectern.reports import services
from lectern.webrtc import services as lecture_services
from lectern.webrtc.models import Lecture, LectureStatus
from tests.reports.conftest import MINUTE, World, stay


def course_report(world: World, course: Course | None = None, cohort: Cohort | None = None) -> services.CourseReport:
    with world.app.app_context():
        item = db.session.get(Course, (course or world.course).id)
        ids = cohorts.member_ids(db.session, db.session.get(Cohort, cohort.id)) if cohort else None
        return services.course_report(db.session, item, world.now, ids)


def test_course_report_per_cadet(world: World) -> None:
    report = course_report(world)
    rows = {row.user.username: row for row in report.rows}
    assert set(rows) == {world.asanov.username, world.berdiev.username, world.dzhumaev.username}
    asanov, berdiev, dzhumaev = (rows[u.username] for u in (world.asanov, world.berdiev, world.dzhumaev))

    assert (asanov.status, asanov.progress.done, asanov.progress.total, asanov.progress.percent) == (
        services.COMPLETED,
        4,
        4,
        100,
    )
    assert asanov.completed_at is not None
    assert (berdiev.status, berdiev.progress.percent, berdiev.completed_at) == (services.IN_PROGRESS, 50, None)
    assert (dzhumaev.status, dzhumaev.progress.percent, dzhumaev.completed_at) == (services.NOT_STARTED, 0, None)

    assert [cell.percent for cell in asanov.grades] == [100.0, 75.0]
    assert [cell.percent for cell in berdiev.grades] == [50.0, None]  # the second quiz not attempted
    assert [cell.passed for cell in berdiev.grades] == [False, None]
    assert [cell.percent for cell in dzhumaev.grades] == [None, None]
    assert (asanov.quiz_average, berdiev.quiz_average, dzhumaev.quiz_average) == (87.5, 50.0, None)
    assert (asanov.graded, berdiev.graded, dzhumaev.graded) == (2, 1, 0)

    # Lectures: the ended one, then the live one; the scheduled and the cancelled lectures do not count.
    assert [s.lecture.title for s in report.lectures] == ["Forged stamps", "Live now"]
    assert (asanov.minutes, berdiev.minutes, dzhumaev.minutes) == ([50, 20], [15, 0], [0, 0])
    assert (asanov.attendance_minutes, asanov.lectures_attended) == (70, 2)
    assert [c.name for c in asanov.cohorts] == ["Бишкек-2026"]
    assert [c.name for c in dzhumaev.cohorts] == ["Intake B"]


def test_course_report_summary(world: World) -> None:
    report = course_report(world)
    assert (report.enrolled, report.completed, report.completion_rate) == (3, 1, 33.3)
    assert [report.count(s) for s in (services.COMPLETED, services.IN_PROGRESS, services.NOT_STARTED)] == [1, 1, 1]
    assert report.average_grade == 68.75  # the mean of 87.5 and 50: a cadet without grades is left out
    passports, visas = report.quizzes
    assert (passports.average, passports.graded, passports.passed, passports.failed) == (75.0, 2, 1, 1)
    assert (visas.average, visas.graded, visas.passed, visas.failed) == (75.0, 1, 0, 0)
    ended, live = report.lectures
    assert (ended.attended, ended.average_minutes, ended.total_minutes, ended.guest) == (2, 32.5, 65, False)
    assert (live.attended, live.average_minutes, live.total_minutes) == (1, 20.0, 20)
    assert report.attendance_minutes == 85


def test_minutes_match_the_attendance_page(world: World) -> None:
    report = course_report(world)
    with world.app.app_context():
        for summary in report.lectures:
            lecture = db.session.get(Lecture, summary.lecture.id)
            page = {p.user.id: p.minutes for p in lecture_services.attendance(db.session, lecture, world.now)}
            assert {r.user.id: r.minutes[report.lectures.index(summary)] for r in report.rows if r.user.id in page} == (
                page
            )


def test_cohort_filter_keeps_only_its_members(world: World) -> None:
    report = course_report(world, cohort=world.cohort)
    assert {r.user.id for r in report.rows} == {world.asanov.id, world.berdiev.id}  # Eshmatov is not enrolled
    assert (report.enrolled, report.completed, report.completion_rate) == (2, 1, 50.0)
    assert [(s.attended, s.total_minutes) for s in report.lectures] == [(2, 65), (1, 20)]
    assert [s.graded for s in report.quizzes] == [2, 1]
    only = course_report(world, cohort=world.other_cohort)
    assert [r.user.id for r in only.rows] == [world.dzhumaev.id]


def test_cohort_choices(world: World) -> None:
    with world.app.app_context():
        names = [c.name for c in cohort_sync.participant_cohorts(db.session, db.session.get(Course, world.course.id))]
    # Enrolled in the course, or with a member enrolled in it; another academy's empty cohort is not.
    assert names == ["Intake B", "Бишкек-2026"] or names == ["Бишкек-2026", "Intake B"]
    assert len(names) == 2


def test_a_lecture_the_course_was_invited_to_counts(world: World) -> None:
    host = world.make.course(world.other_academy.id, title="Visiting course")
    guest = world.make.lecture(
        host.id,
        title="Guest lecture",
        starts_at=world.now - 5 * 60 * MINUTE,
        duration_minutes=60,
        status=LectureStatus.ENDED,
        started_at=world.now - 5 * 60 * MINUTE,
        ended_at=world.now - 4 * 60 * MINUTE,
        invited_courses=[world.course.id],
    )
    stay(world.make, guest, world.dzhumaev, guest.started_at, guest.started_at + 40 * MINUTE)
    report = course_report(world)
    summary = next(s for s in report.lectures if s.lecture.id == guest.id)
    assert (summary.guest, summary.attended, summary.total_minutes) == (True, 1, 40)
    assert next(r for r in report.rows if r.user.id == world.dzhumaev.id).attendance_minutes == 40


def test_an_empty_course(world: World) -> None:
    empty = world.make.course(world.academy.id, title="Empty")
    report = course_report(world, empty)
    assert (report.rows, report.quizzes, report.lectures) == ([], [], [])
    assert (report.enrolled, report.completion_rate, report.average_grade, report.attendance_minutes) == (
        0,
        None,
        None,
        0,
    )


def test_cohort_report_across_two_courses(world: World) -> None:
    with world.app.app_context():
        report = services.cohort_report(db.session, db.session.get(Cohort, world.cohort.id), world.now)
    assert [(c.report.course.title, c.linked) for c in report.courses] == [
        ("Border law", True),
        ("Document security", True),
    ]
    law, security = (c.report for c in report.courses)
    assert (security.enrolled, security.completed, security.completion_rate) == (2, 1, 50.0)
    assert (security.average_grade, security.attendance_minutes, len(security.lectures)) == (68.75, 85, 2)
    assert (law.enrolled, law.completed, law.completion_rate, law.average_grade) == (2, 1, 50.0, None)
    assert (law.attendance_minutes, len(law.lectures)) == (0, 0)

    rows = {row.user.id: row.cells for row in report.rows}
    assert set(rows) == {world.asanov.id, world.berdiev.id, world.eshmatov.id}  # Dzhumaev is not a member
    a_law, a_security = rows[world.asanov.id]
    assert a_law is not None and a_security is not None
    assert (a_law.status, a_law.progress.percent, a_law.quiz_average) == (services.NOT_STARTED, 0, None)
    assert (a_security.status, a_security.progress.percent) == (services.COMPLETED, 100)
    assert (a_security.quiz_average, a_security.attendance_minutes) == (87.5, 70)
    b_law, b_security = rows[world.berdiev.id]
    assert b_law is None  # not enrolled
    assert b_security is not None and (b_security.status, b_security.quiz_average, b_security.attendance_minutes) == (
        services.IN_PROGRESS,
        50.0,
        15,
    )
    e_law, e_security = rows[world.eshmatov.id]
    assert e_security is None
    assert e_law is not None and e_law.status == services.COMPLETED and e_law.completed_at is not None


def test_cohort_report_takes_the_courses_members_take_on_their_own(world: World) -> None:
    shared = world.make.course(world.other_academy.id, title="Anti-smuggling (shared)")
    world.make.enrol(shared.id, world.berdiev.id)
    with world.app.app_context():
        cohort = db.session.get(Cohort, world.cohort.id)
        courses = services.cohort_courses(db.session, cohort)
        assert [(c.title, linked) for c, linked in courses] == [
            ("Anti-smuggling (shared)", False),
            ("Border law", True),
            ("Document security", True),
        ]
        only = services.cohort_courses(db.session, cohort, members_courses=False)
        assert [c.title for c, _linked in only] == ["Border law", "Document security"]
        report = services.cohort_report(db.session, cohort, world.now)
        narrow = services.cohort_report(db.session, cohort, world.now, only)
    first = report.courses[0]
    assert (first.report.course.title, first.linked, first.report.enrolled) == ("Anti-smuggling (shared)", False, 1)
    cells = {row.user.id: row.cells[0] for row in report.rows}
    assert cells[world.asanov.id] is None and cells[world.eshmatov.id] is None
    berdiev = cells[world.berdiev.id]
    assert berdiev is not None and berdiev.status == services.NOT_STARTED
    assert [c.report.course.title for c in narrow.courses] == ["Border law", "Document security"]


def test_cohort_report_of_a_cohort_not_enrolled_anywhere(world: World) -> None:
    with world.app.app_context():
        cohort = db.session.get(Cohort, world.other_cohort.id)
        report = services.cohort_report(db.session, cohort, world.now)
        narrow = services.cohort_report(
            db.session, cohort, world.now, services.cohort_courses(db.session, cohort, members_courses=False)
        )
    # Its one member takes the course on his own: it is in the report, not as the cohort's.
    assert [(c.report.course.title, c.linked, c.report.enrolled, c.report.completed) for c in report.courses] == [
        ("Document security", False, 1, 0)
    ]
    assert narrow.courses == []
    assert [(r.user.id, r.cells) for r in narrow.rows] == [(world.dzhumaev.id, [])]


def test_overdue_attempts_are_finished_and_counted(world: World) -> None:
    from datetime import timedelta

    from lectern.courses.quizzes.attempts import services as quiz_attempts
    from lectern.courses.quizzes.models import Attempt, AttemptState

    answered = world.make.attempt(world.quizzes[1], world.dzhumaev.id, [True] * 4, finish=False, at=world.now)
    with world.app.app_context():
        attempt = db.session.get(Attempt, answered.id)
        attempt.deadline = world.now - timedelta(minutes=5)
        db.session.commit()
        later = world.now + timedelta(minutes=1)
        assert quiz_attempts.finish_overdue(db.session, None, later, course_ids=[world.course.id, world.second.id]) == 1
        assert quiz_attempts.finish_overdue(db.session, None, later, course_ids=[world.course.id]) == 0
        assert db.session.get(Attempt, attempt.id).state is AttemptState.FINISHED
    row = next(r for r in course_report(world).rows if r.user.id == world.dzhumaev.id)
    assert [c.percent for c in row.grades] == [None, 100.0]


@pytest.mark.parametrize(
    ("values", "expected"), [([], None), ([None], None), ([1.0, None, 2.0], 1.5), ([1.0, 1.0, 2.0], 1.33)]
)
def test_mean(values: list[float | None], expected: float | None) -> None:
    assert services.mean(values) == expected


def test_rate() -> None:
    assert (services.rate(1, 3), services.rate(0, 0), services.rate(2, 2)) == (33.3, None, 100.0)


def test_non_cadet_members_are_listed_even_if_not_enrolled(world: World, make: Any) -> None:
    instructor = make.user(Role.INSTRUCTOR, world.academy)
    with world.app.app_context():
        from lectern.platform.models import CohortMember

        db.session.add(CohortMember(cohort_id=world.cohort.id, user_id=instructor.id))
        db.session.commit()
        report = services.cohort_report(db.session, db.session.get(Cohort, world.cohort.id), world.now)
    cells = next(r.cells for r in report.rows if r.user.id == instructor.id)
    assert cells == [None, None]
