"""Course roles beside site roles: editors give and take away instructor and assistant places; assistants grade but
do not edit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lectern.courses.models import CourseRole, CourseStaff
from lectern.extensions import db
from lectern.platform.models import AuditEntry, Role
from tests.courses.helpers import TEXT_COURSE


@pytest.fixture
def world(make):
    academy = make.academy()
    course = make.course(academy.id, modules=TEXT_COURSE)
    editor = make.user(Role.INSTRUCTOR, academy, last_name="Bērziņš")
    make.staff(course.id, editor.id)
    colleague = make.user(Role.INSTRUCTOR, academy, last_name="Kalniņa")
    admin = make.user(Role.ACADEMY_ADMIN, academy, last_name="Admin")
    cadet = make.user(Role.CADET, academy, last_name="Cadet")
    elsewhere = make.academy()
    foreigner = make.user(Role.INSTRUCTOR, elsewhere, last_name="Asanov")
    return {
        "academy": academy,
        "course": course,
        "editor": editor,
        "colleague": colleague,
        "admin": admin,
        "cadet": cadet,
        "foreigner": foreigner,
    }


def _staff(app, course_id):
    with app.app_context():
        rows = db.session.execute(
            select(CourseStaff.user_id, CourseStaff.role).where(CourseStaff.course_id == course_id)
        )
        return dict(rows.all())


def _page(course):
    return f"/courses/{course.id}/participants"


def test_the_staff_form_offers_instructors_and_administrators_of_the_academy(client, world):
    client.login(world["editor"].username)
    html = client.get(_page(world["course"])).get_data(as_text=True)
    assert "Course staff" in html and "Bērziņš" in html
    assert f'<option value="{world["colleague"].id}">' in html and f'<option value="{world["admin"].id}">' in html
    assert f'<option value="{world["cadet"].id}">' not in html
    assert f'<option value="{world["foreigner"].id}">' not in html


def test_editors_give_change_and_take_away_course_roles(client, app, world):
    course, colleague = world["course"], world["colleague"]
    client.login(world["editor"].username)
    url = f"/courses/{course.id}/staff"
    response = client.submit(url, {"user_id": str(colleague.id), "role": "assistant"}, page=_page(course))
    assert response.status_code == 302
    assert _staff(app, course.id)[colleague.id] is CourseRole.ASSISTANT
    html = client.get(_page(course)).get_data(as_text=True)
    assert "Assistant" in html and "grades, does not edit" in html and "Make instructor" in html
    client.submit(url, {"user_id": str(colleague.id), "role": "instructor"}, page=_page(course))
    assert _staff(app, course.id)[colleague.id] is CourseRole.INSTRUCTOR
    client.submit(url, {"user_id": str(colleague.id), "role": "instructor"}, page=_page(course))  # no change
    client.submit(f"{url}/{colleague.id}/remove", {}, page=_page(course))
    assert colleague.id not in _staff(app, course.id)
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [(e.action, e.actor_id, e.target, e.details) for e in entries] == [
            ("course.staff", world["editor"].id, course.title, {"user": colleague.username, "role": "assistant"}),
            (
                "course.staff",
                world["editor"].id,
                course.title,
                {"user": colleague.username, "role": "instructor", "old": "assistant"},
            ),
            (
                "course.staff_remove",
                world["editor"].id,
                course.title,
                {"user": colleague.username, "role": "instructor"},
            ),
        ]


@pytest.mark.parametrize(
    ("who", "role", "status"),
    [("cadet", "assistant", 404), ("foreigner", "assistant", 404), ("colleague", "owner", 400)],
)
def test_only_academy_instructors_and_known_roles(client, app, world, who, role, status):
    course = world["course"]
    client.login(world["editor"].username)
    data = {"user_id": str(world[who].id), "role": role}
    assert client.submit(f"/courses/{course.id}/staff", data, page=_page(course)).status_code == status
    assert _staff(app, course.id) == {world["editor"].id: CourseRole.INSTRUCTOR}


def test_an_instructor_keeps_their_own_role(client, app, world):
    course, editor = world["course"], world["editor"]
    client.login(editor.username)
    response = client.submit(
        f"/courses/{course.id}/staff/{editor.id}/remove", {}, page=_page(course), follow_redirects=True
    )
    assert "You cannot remove your own role in this course." in response.get_data(as_text=True)
    response = client.submit(
        f"/courses/{course.id}/staff",
        {"user_id": str(editor.id), "role": "assistant"},
        page=_page(course),
        follow_redirects=True,
    )
    assert "You cannot change your own role in this course." in response.get_data(as_text=True)
    assert _staff(app, course.id) == {editor.id: CourseRole.INSTRUCTOR}


def test_an_academy_administrator_may_take_a_role_and_give_it_back(client, app, world):
    course, admin = world["course"], world["admin"]
    client.login(admin.username)
    client.submit(f"/courses/{course.id}/staff", {"user_id": str(admin.id), "role": "instructor"}, page=_page(course))
    assert _staff(app, course.id)[admin.id] is CourseRole.INSTRUCTOR
    client.submit(f"/courses/{course.id}/staff/{admin.id}/remove", {}, page=_page(course))
    assert admin.id not in _staff(app, course.id)


def test_assistants_grade_but_do_not_edit(client, app, make, world):
    course, assistant = world["course"], world["colleague"]
    make.staff(course.id, assistant.id, "assistant")
    quiz_id = make.quiz(course.id, make.bank(course.id)[:1]).id
    client.login(assistant.username)
    # Grading: the gradebook, a quiz's results and its grading queue.
    for url in (
        f"/courses/{course.id}/gradebook",
        f"/courses/{course.id}/gradebook.csv",
        f"/courses/{course.id}/quizzes/{quiz_id}/results",
        f"/courses/{course.id}/quizzes/{quiz_id}/grading",
    ):
        assert client.get(url).status_code == 200, url
    # Editing: the settings, the content, the question bank, course roles and cohorts.
    for url in (f"/courses/{course.id}/settings", f"/courses/{course.id}/content"):
        assert client.get(url).status_code == 403, url
    page = _page(course)
    html = client.get(page).get_data(as_text=True)
    assert "Course staff" in html and "Give the role" not in html and "Enrol a cohort" not in html
    data = {"user_id": str(world["admin"].id), "role": "instructor"}
    assert client.submit(f"/courses/{course.id}/staff", data, page=page).status_code == 403
    remove = f"/courses/{course.id}/staff/{world['editor'].id}/remove"
    assert client.submit(remove, {}, page=page).status_code == 403
    assert world["editor"].id in _staff(app, course.id)


def test_other_instructors_and_cadets_cannot_manage_staff(client, app, make, world):
    course = world["course"]
    outsider = make.user(Role.INSTRUCTOR, world["academy"])
    client.login(outsider.username)
    data = {"user_id": str(outsider.id), "role": "instructor"}
    assert client.submit(f"/courses/{course.id}/staff", data, page="/courses/").status_code == 403
    client.submit("/logout", page="/courses/")
    client.login(world["cadet"].username)
    assert client.submit(f"/courses/{course.id}/staff", data, page="/courses/").status_code == 403
    assert outsider.id not in _staff(app, course.id)
