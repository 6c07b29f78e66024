"""Small helpers shared by the courses tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from lectern.courses.models import Lesson, Module
from lectern.extensions import db


def lesson_ids(app: Any, course_id: int) -> list[int]:
    """The course's lessons in reading order."""
    with app.app_context():
        return list(
            db.session.scalars(
                select(Lesson.id)
                .join(Module, Module.id == Lesson.module_id)
                .where(Module.course_id == course_id)
                .order_by(Module.position, Lesson.position)
            )
        )


def count(app: Any, model: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


TEXT_COURSE = [("Module one", [{"title": "Passports", "body": "# Passports"}, {"title": "Visas", "body": "Visas"}])]
