"""The lesson page (lectern/courses/content/lessons.py): opening a lesson records it once, and the page reads the
course, the enrolment and the reader's progress once each."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import delete, event

from lectern.courses.models import CourseCompletion, Lesson
from lectern.extensions import db
from lectern.platform.models import Role
from tests.conftest import Client
from tests.courses.helpers import TEXT_COURSE, count, lesson_ids


def _statements(app: Flask, client: Client, path: str) -> list[str]:
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def listener(*args: Any) -> None:
        seen.append(" ".join(args[2].split()).upper())

    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return seen


def _writes(statements: list[str]) -> list[str]:
    return [s for s in statements if s.startswith(("INSERT", "UPDATE", "DELETE"))]


def test_opening_a_done_lesson_again_writes_nothing(client, app, make):
    academy = make.academy()
    course = make.course(academy.id, modules=TEXT_COURSE)
    cadet = make.user(Role.CADET, academy)
    make.enrol(course.id, cadet.id)
    client.login(cadet.username)
    first, _ = lesson_ids(app, course.id)
    path = f"/courses/{course.id}/lessons/{first}"
    assert _writes(_statements(app, client, path))  # the first opening records the lesson as done
    again = _statements(app, client, path)
    assert _writes(again) == []
    assert len(again) <= 13  # it read 23 statements and wrote one, each time, before
    assert "Mark as not done" in client.get(path).get_data(as_text=True)


def test_a_course_whose_rule_is_met_meanwhile_is_completed_at_the_next_opening(client, app, make):
    academy = make.academy()
    course = make.course(academy.id, modules=TEXT_COURSE)
    cadet = make.user(Role.CADET, academy)
    make.enrol(course.id, cadet.id)
    client.login(cadet.username)
    first, second = lesson_ids(app, course.id)
    client.get(f"/courses/{course.id}/lessons/{first}")
    assert count(app, CourseCompletion) == 0
    with app.app_context():  # the lesson the cadet had not done is removed: every lesson left is done
        db.session.execute(delete(Lesson).where(Lesson.id == second))
        db.session.commit()
    client.get(f"/courses/{course.id}/lessons/{first}")
    assert count(app, CourseCompletion) == 1
