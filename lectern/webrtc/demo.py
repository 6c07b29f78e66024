"""Demo lectures: one for every demo course with an instructor, the first of them open to join today."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select

from lectern.courses.models import Course, CourseStaff
from lectern.extensions import DbSession
from lectern.platform.models import Role, User
from lectern.webrtc.models import Lecture, LectureHall


def load(session: DbSession, courses: Sequence[Course], now: datetime) -> list[Lecture]:
    """Schedule a lecture per course (English ones by day, Russian ones the day after), the first starting in
    ten minutes so a demo can go live at once; invite every lecture hall to each."""
    halls = session.scalars(select(User).where(User.role == Role.CLASSROOM)).all()
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
