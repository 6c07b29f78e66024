"""Small helpers shared by the courses tests."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import func, select

from lectern.courses.models import Lesson, Module
from lectern.extensions import db
from lectern.platform.models import User
from tests.conftest import Client


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


def signed_in(app: Flask, user: User) -> Client:
    """A test client of `app` signed in as `user`."""
    app.test_client_class = Client
    client: Client = app.test_client()  # type: ignore[assignment]
    assert client.login(user.username).status_code == 302
    return client


def text(client: Client, path: str) -> str:
    """The page at `path` (it must answer 200)."""
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)
