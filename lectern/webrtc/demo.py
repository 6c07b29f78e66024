"""Demo lectures: one for every demo course with an instructor, the first of them open to join today."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select

from lectern.courses.models import Course, CourseStaff, Enrolment
from lectern.extensions import DbSession
from lectern.platform.models import Role, User
from lectern.webrtc.models import Lecture, LectureHall


def load(session: DbSession, courses: Sequence[Course], now: datetime) -> list[Lecture]:
    """Schedule a lecture per course, two a day, the first starting in ten minutes so a demo can go live at once;
    invite every lecture hall to each."""
    halls = session.scalars(select(User).where(User.role == Role.CLASSROOM)).all()
    # The courses with cadets come first, so the lecture that opens in ten minutes has an audience.
    audience = dict(session.execute(select(Enrolment.course_id, func.count()).group_by(Enrolment.course_id)).all())
    courses = sorted(courses, key=lambda c: -audience.get(c.id, 0))
    lectures = []
    start = now.replace(second=0, microsecond=0) + timedelta(minutes=10)
    for n, course in enumerate(courses):
        host = session.scalar(select(CourseStaff.user_id).where(CourseStaff.course_id == course.id).limit(1))
        if host is None:
            continue
        lecture = Lecture(
            course_id=course.id,
            title=("Live lecture: " if course.language == "en" else "Лекция: ") + course.title,
            description="",
            starts_at=start + timedelta(days=n // 2, hours=(n % 2) * 3),
            duration_minutes=90,
            created_by_id=host,
        )
        lecture.invited_halls = [LectureHall(user_id=h.id) for h in halls]
        session.add(lecture)
        lectures.append(lecture)
    session.flush()
    return lectures
