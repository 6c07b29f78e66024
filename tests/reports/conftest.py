"""A course with three cadets (one completed, one half-way, one not started), two quizzes, two lectures that
count and two that do not, and two cohorts; and a second course of the first cohort, for its report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from lectern.courses.content import progress
from lectern.courses.models import Course, CourseCohort, Lesson, Module
from lectern.extensions import db
from lectern.platform.models import Academy, Cohort, Role, User, utcnow
from lectern.webrtc.models import Attendance, Lecture, LectureStatus
from tests.factories import true_or_false

# Four true/false questions, all true: an attempt scores 25 % per "true".
FOUR = true_or_false(4)
MINUTE = timedelta(minutes=1)


def right(n: int, of: int = 4) -> list[bool]:
    """Answers to `of` true/false questions (all true) with the first `n` right."""
    return [True] * n + [False] * (of - n)


def do_lessons(app: Any, course_id: int, user_id: int, how_many: int) -> None:
    """Mark the course's first `how_many` lessons done (the course records its completion after the last)."""
    with app.app_context():
        lessons = db.session.scalars(
            select(Lesson).join(Module).where(Module.course_id == course_id).order_by(Module.position, Lesson.position)
        ).all()
        for lesson in lessons[:how_many]:
            progress.mark_done(db.session, user_id, lesson, utcnow())
        db.session.commit()


def stay(make: Any, lecture: Lecture, user: User, joined: datetime, left: datetime | None) -> None:
    make.save(Attendance(lecture_id=lecture.id, user_id=user.id, joined_at=joined, left_at=left))


@dataclass
class World:
    app: Any
    make: Any
    now: datetime  # when the live lecture's figures below hold
    academy: Academy
    other_academy: Academy
    course: Course
    second: Course  # the first cohort's other course
    asanov: User  # completed; 100 % and 75 %; 50 + 20 minutes
    berdiev: User  # half-way; 50 % (a fail) and not attempted; 15 minutes
    dzhumaev: User  # not started; nothing
    eshmatov: User  # the first cohort's member enrolled only in the second course, which he completed
    teacher: User
    cohort: Cohort  # Asanov, Berdiev, Eshmatov; enrolled in both courses
    other_cohort: Cohort  # Dzhumaev
    quizzes: list[int]
    lectures: list[Lecture]  # the two that count: ended, then live

    def add_cadet(self, n: int, *, cohort: Cohort | None = None) -> User:
        """One more enrolled cadet with something of everything: lessons, an attempt, a stay, a cohort."""
        cadet = self.make.user(Role.CADET, self.academy, last_name=f"Extra {n}")
        self.make.enrol(self.course.id, cadet.id)
        do_lessons(self.app, self.course.id, cadet.id, 1 + n % 4)
        self.make.attempt(self.quizzes[n % 2], cadet.id, right(n % 5))
        stay(self.make, self.lectures[0], cadet, self.lectures[0].started_at, self.lectures[0].ended_at)
        if cohort is not None:
            with self.app.app_context():
                from lectern.platform.models import CohortMember

                db.session.add(CohortMember(cohort_id=cohort.id, user_id=cadet.id))
                db.session.commit()
        return cadet


@pytest.fixture
def world(app: Any, make: Any) -> World:
    now = utcnow().replace(microsecond=0)
    t0 = now - timedelta(days=2)
    academy = make.academy(slug="rz", name="Rezekne")
    other_academy = make.academy(slug="bk", name="Bishkek")
    course = make.course(academy.id, title="Document security", modules=[("One", [{}, {}]), ("Two", [{}, {}])])
    second = make.course(academy.id, title="Border law", modules=[("Only", [{}])])
    teacher = make.user(Role.INSTRUCTOR, academy)
    make.staff(course.id, teacher.id)
    asanov = make.user(Role.CADET, academy, last_name="Асанов", first_name="Бакыт")
    berdiev = make.user(Role.CADET, academy, last_name="Berdiev", first_name="Timur")
    dzhumaev = make.user(Role.CADET, academy, last_name="Dzhumaev", first_name="Ulan")
    eshmatov = make.user(Role.CADET, academy, last_name="Eshmatov", first_name="Aziz")
    for cadet in (asanov, berdiev, dzhumaev):
        make.enrol(course.id, cadet.id)
    for cadet in (asanov, eshmatov):
        make.enrol(second.id, cadet.id)
    cohort = make.cohort(academy, "Бишкек-2026", [asanov, berdiev, eshmatov])
    other_cohort = make.cohort(academy, "Intake B", [dzhumaev])
    make.cohort(other_academy, "Elsewhere", [])
    for c in (course, second):
        make.save(CourseCohort(course_id=c.id, cohort_id=cohort.id))

    do_lessons(app, course.id, asanov.id, 4)
    do_lessons(app, course.id, berdiev.id, 2)
    do_lessons(app, second.id, eshmatov.id, 1)

    bank = make.bank(course.id, FOUR)
    quizzes = [
        make.quiz(course.id, bank, title="Passports", pass_percent=60.0).id,
        make.quiz(course.id, bank, title="Visas", pass_percent=None).id,
    ]
    make.attempt(quizzes[0], asanov.id, right(4))
    make.attempt(quizzes[1], asanov.id, right(3))
    make.attempt(quizzes[0], berdiev.id, right(2))

    ended = make.lecture(
        course.id,
        title="Forged stamps",
        starts_at=t0,
        duration_minutes=60,
        status=LectureStatus.ENDED,
        started_at=t0,
        ended_at=t0 + 60 * MINUTE,
    )
    live = make.lecture(
        course.id,
        title="Live now",
        starts_at=now - 30 * MINUTE,
        duration_minutes=90,
        status=LectureStatus.LIVE,
        started_at=now - 30 * MINUTE,
    )
    later = make.lecture(course.id, title="Later", starts_at=now + timedelta(days=3))
    cancelled = make.lecture(course.id, title="Called off", starts_at=t0, status=LectureStatus.CANCELLED)
    # Asanov came early and had two tabs open: 0-30 and 20-50 merge to 50 minutes; Berdiev stayed 15 minutes.
    stay(make, ended, asanov, t0 - 5 * MINUTE, t0 + 30 * MINUTE)
    stay(make, ended, asanov, t0 + 20 * MINUTE, t0 + 50 * MINUTE)
    stay(make, ended, berdiev, t0 + 10 * MINUTE, t0 + 25 * MINUTE)
    stay(make, live, asanov, now - 20 * MINUTE, None)  # still in the room: 20 minutes so far
    stay(make, later, dzhumaev, now, now + MINUTE)  # neither of these lectures counts
    stay(make, cancelled, dzhumaev, t0, t0 + 10 * MINUTE)
    return World(
        app=app,
        make=make,
        now=now,
        academy=academy,
        other_academy=other_academy,
        course=course,
        second=second,
        asanov=asanov,
        berdiev=berdiev,
        dzhumaev=dzhumaev,
        eshmatov=eshmatov,
        teacher=teacher,
        cohort=cohort,
        other_cohort=other_cohort,
        quizzes=quizzes,
        lectures=[ended, live],
    )
