"""Course roles follow the holder's current site role and academy: an instructor demoted to cadet, or moved to
another academy, keeps the row but loses every right it gave, at the next request of the same session; put back,
the row counts again (lectern/courses/access.py)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from lectern.courses.models import Course, CourseStaff, Enrolment
from lectern.extensions import db
from lectern.platform.models import Role, User
from tests import factories
from tests.conftest import Client
from tests.courses.helpers import TEXT_COURSE

CHANGES = {
    "demoted to cadet": lambda user, elsewhere: setattr(user, "role", Role.CADET),
    "moved to another academy": lambda user, elsewhere: setattr(user, "academy_id", elsewhere),
}


@pytest.fixture
def world(make: factories.Factory) -> dict[str, Any]:
    academy, elsewhere = make.academy(), make.academy()
    course = make.course(academy.id, modules=TEXT_COURSE)
    instructor = make.user(Role.INSTRUCTOR, academy)
    assistant = make.user(Role.INSTRUCTOR, academy)
    cadet = make.user(Role.CADET, academy)
    make.staff(course.id, instructor.id)
    make.staff(course.id, assistant.id, "assistant")
    make.enrol(course.id, cadet.id)
    admin = make.user(Role.ACADEMY_ADMIN, academy)
    return {"course": course, "instructor": instructor, "assistant": assistant, "cadet": cadet, "admin": admin,
            "elsewhere": elsewhere.id}  # fmt: skip


def _change(app: Flask, user_id: int, change: Any, elsewhere: int) -> None:
    with app.app_context():
        user = db.session.get(User, user_id)
        change(user, elsewhere)
        db.session.commit()


def _restore(app: Flask, user: User) -> None:
    with app.app_context():
        row = db.session.get(User, user.id)
        row.role, row.academy_id = user.role, user.academy_id
        db.session.commit()


def _title(app: Flask, course_id: int) -> str:
    with app.app_context():
        return db.session.scalar(select(Course.title).where(Course.id == course_id)) or ""


def _enrolled(app: Flask, course_id: int, user_id: int) -> bool:
    with app.app_context():
        return bool(
            db.session.scalar(
                select(Enrolment.id).where(Enrolment.course_id == course_id, Enrolment.user_id == user_id)
            )
        )


def _settings(course: Course, title: str) -> dict[str, str]:
    return {"title": title, "summary": "", "language": "en", "tags": "", "visibility": "all"}


@pytest.mark.parametrize("change", list(CHANGES))
def test_an_instructor_demoted_or_moved_loses_the_course_at_the_next_request(
    app: Flask, client: Client, world: dict[str, Any], change: str
) -> None:
    course, instructor, cadet = world["course"], world["instructor"], world["cadet"]
    client.login(instructor.username)
    settings_url = f"/courses/{course.id}/settings"
    # Before: the same session edits, downloads the gradebook and may remove participants.
    assert client.get(settings_url).status_code == 200
    assert client.get(f"/courses/{course.id}/gradebook.csv").status_code == 200
    page = f"/courses/{course.id}/participants"
    token = client.csrf_token(page)

    _change(app, instructor.id, CHANGES[change], world["elsewhere"])

    assert client.get(settings_url).status_code in (403, 404)
    response = client.post(settings_url, data={**_settings(course, "Taken over"), "csrf_token": token})
    assert response.status_code in (403, 404)
    assert _title(app, course.id) == course.title
    assert client.get(f"/courses/{course.id}/gradebook").status_code in (403, 404)
    assert client.get(f"/courses/{course.id}/gradebook.csv").status_code in (403, 404)
    removal = client.post(f"/courses/{course.id}/participants/{cadet.id}/remove", data={"csrf_token": token})
    assert removal.status_code in (403, 404)
    assert _enrolled(app, course.id, cadet.id)
    assert f'href="/courses/{course.id}/settings"' not in client.get("/").get_data(as_text=True)

    # The row was kept, not removed: put right, the same session has the course back.
    with app.app_context():
        assert db.session.get(CourseStaff, (course.id, instructor.id)) is not None
    _restore(app, instructor)
    assert client.get(settings_url).status_code == 200
    assert client.get(f"/courses/{course.id}/gradebook.csv").status_code == 200


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_demoted_or_moved_assistant_no_longer_sees_the_gradebook(
    app: Flask, client: Client, world: dict[str, Any], change: str
) -> None:
    course, assistant = world["course"], world["assistant"]
    client.login(assistant.username)
    assert client.get(f"/courses/{course.id}/gradebook.csv").status_code == 200
    _change(app, assistant.id, CHANGES[change], world["elsewhere"])
    assert client.get(f"/courses/{course.id}/gradebook.csv").status_code in (403, 404)
    assert client.get(f"/reports/courses/{course.id}").status_code in (403, 404)


def test_the_participants_page_marks_roles_without_effect(app: Flask, client: Client, world: dict[str, Any]) -> None:
    course, instructor, assistant = world["course"], world["instructor"], world["assistant"]
    _change(app, assistant.id, CHANGES["demoted to cadet"], world["elsewhere"])
    client.login(world["admin"].username)
    html = client.get(f"/courses/{course.id}/participants").get_data(as_text=True)
    note = "No effect while they are not an instructor or administrator of this academy"
    assert html.count(note) == 1
    marked = next(item for item in html.split("<li>") if note in item)
    assert assistant.username in marked and instructor.username not in marked
    # An editor may still remove the row.
    response = client.submit(
        f"/courses/{course.id}/staff/{assistant.id}/remove", {}, page=f"/courses/{course.id}/participants"
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(CourseStaff, (course.id, assistant.id)) is None
