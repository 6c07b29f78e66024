"""Building a course: who may, and what happens to what they send."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from lectern.courses.models import Course, CourseRole, CourseStaff, Lesson, LessonKind, Module, Visibility
from lectern.extensions import db
from lectern.platform.models import Role
from tests.courses.helpers import TEXT_COURSE, count, lesson_ids

COURSE_FORM = {
    "title": "Identification and profiling at border checks",
    "summary": "First-line checks: **behaviour** indicators.",
    "language": "en",
    "tags": "Profiling, behaviour,  first line ,profiling",
    "category_id": "0",
    "visibility": "shared",
    "self_enrol": "y",
    "enrol_key": "",
    "enrol_cap": "",
    "enrol_opens_at": "",
    "enrol_closes_at": "",
}


def test_an_instructor_creates_a_course_and_becomes_its_instructor(client, make, app):
    rezekne = make.academy()
    bishkek = make.academy()
    teacher = make.user(Role.INSTRUCTOR, rezekne)
    client.login(teacher.username)
    response = client.submit("/courses/new", {**COURSE_FORM, "shared_with": [str(bishkek.id)]})
    assert response.status_code == 302
    with app.app_context():
        course = db.session.scalar(select(Course))
        assert course.academy_id == rezekne.id
        assert course.tags == ",profiling,behaviour,first line,"
        assert [s.academy_id for s in course.shares] == [bishkek.id]
        staff = db.session.scalar(select(CourseStaff))
        assert (staff.user_id, staff.role) == (teacher.id, CourseRole.INSTRUCTOR)


def test_cadets_and_classrooms_cannot_create_courses(client, make, app):
    for role in (Role.CADET, Role.CLASSROOM):
        user = make.user(role)
        client.login(user.username)
        assert client.get("/courses/new").status_code == 403
        assert client.submit("/courses/new", COURSE_FORM, page="/courses/").status_code == 403
        client.submit("/logout", page="/courses/")
    assert count(app, Course) == 0


def _editing_urls(course_id, module_id, lesson_id):
    """Every page and action that changes a course, with a plausible form."""
    return [
        ("GET", f"/courses/{course_id}/settings", None),
        ("POST", f"/courses/{course_id}/settings", {**COURSE_FORM, "title": "Hijacked"}),
        ("GET", f"/courses/{course_id}/content", None),
        ("POST", f"/courses/{course_id}/content", {"title": "Hijacked module"}),
        ("POST", f"/courses/{course_id}/modules/{module_id}", {"action": "rename", "title": "Hijacked"}),
        ("POST", f"/courses/{course_id}/modules/{module_id}", {"action": "delete"}),
        ("GET", f"/courses/{course_id}/modules/{module_id}/lessons/new", None),
        ("POST", f"/courses/{course_id}/modules/{module_id}/lessons/new", {"kind": "text", "title": "Hijacked"}),
        ("GET", f"/courses/{course_id}/lessons/{lesson_id}/edit", None),
        ("POST", f"/courses/{course_id}/lessons/{lesson_id}/edit", {"kind": "text", "title": "Hijacked"}),
        ("POST", f"/courses/{course_id}/lessons/{lesson_id}/move", {"action": "delete"}),
        ("POST", f"/courses/{course_id}/delete", {"confirm": "Kyoto"}),
        ("POST", f"/courses/{course_id}/participants/1/remove", {}),
    ]


@pytest.mark.parametrize(
    "who", ["cadet-enrolled", "assistant", "instructor-same-academy", "instructor-other-academy", "admin-other"]
)
def test_only_the_course_instructors_and_its_academy_admins_edit(client, make, app, who):
    rezekne, bishkek = make.academy(), make.academy()
    course = make.course(rezekne.id, title="Kyoto", modules=TEXT_COURSE)
    users = {
        "cadet-enrolled": make.user(Role.CADET, rezekne),
        "assistant": make.user(Role.INSTRUCTOR, rezekne),
        "instructor-same-academy": make.user(Role.INSTRUCTOR, rezekne),
        "instructor-other-academy": make.user(Role.INSTRUCTOR, bishkek),
        "admin-other": make.user(Role.ACADEMY_ADMIN, bishkek),
    }
    make.enrol(course.id, users["cadet-enrolled"].id)
    make.staff(course.id, users["assistant"].id, "assistant")
    client.login(users[who].username)
    [lesson_id, _] = lesson_ids(app, course.id)
    with app.app_context():
        module_id = db.session.scalar(select(Module.id))
    for method, url, data in _editing_urls(course.id, module_id, lesson_id):
        response = client.get(url) if method == "GET" else client.submit(url, data, page=f"/courses/{course.id}")
        assert response.status_code == 403, (who, method, url, response.status_code)
    with app.app_context():
        assert db.session.get(Course, course.id).title == "Kyoto"
        assert [m.title for m in db.session.scalars(select(Module))] == ["Module one"]
        assert sorted(x.title for x in db.session.scalars(select(Lesson))) == ["Passports", "Visas"]


@pytest.mark.parametrize("who", ["instructor", "academy-admin", "global-admin"])
def test_editors_build_modules_and_lessons(client, make, app, who):
    rezekne, elsewhere = make.academy(), make.academy()
    course = make.course(rezekne.id, title="Kyoto")
    editor = {
        "instructor": make.user(Role.INSTRUCTOR, rezekne),
        "academy-admin": make.user(Role.ACADEMY_ADMIN, rezekne),
        "global-admin": make.user(Role.GLOBAL_ADMIN, elsewhere),
    }[who]
    if who == "instructor":
        make.staff(course.id, editor.id)
    client.login(editor.username)
    for title in ("General Annex", "Specific Annexes"):
        assert client.submit(f"/courses/{course.id}/content", {"title": title}).status_code == 302
    with app.app_context():
        first, second = db.session.scalars(select(Module).order_by(Module.position)).all()
        first_id, second_id = first.id, second.id
    for title in ("Standards", "Transitional standards", "Recommended practices"):
        response = client.submit(
            f"/courses/{course.id}/modules/{first_id}/lessons/new", {"kind": "text", "title": title, "body": "*x*"}
        )
        assert response.status_code == 302
    link = client.submit(
        f"/courses/{course.id}/modules/{second_id}/lessons/new",
        {"kind": "link", "title": "WCO page", "url": "https://www.wcoomd.org/"},
    )
    assert link.status_code == 302
    ids = lesson_ids(app, course.id)
    # Move the last lesson of module one up, then module two above module one.
    client.submit(f"/courses/{course.id}/lessons/{ids[2]}/move", {"action": "up"}, page=f"/courses/{course.id}/content")
    client.submit(f"/courses/{course.id}/modules/{second_id}", {"action": "up"}, page=f"/courses/{course.id}/content")
    client.submit(
        f"/courses/{course.id}/modules/{first_id}",
        {"action": "rename", "title": "Общее приложение"},
        page=f"/courses/{course.id}/content",
    )
    with app.app_context():
        modules = db.session.scalars(select(Module).order_by(Module.position)).all()
        assert [m.title for m in modules] == ["Specific Annexes", "Общее приложение"]
        assert [x.title for x in modules[1].lessons] == ["Standards", "Recommended practices", "Transitional standards"]
        assert modules[0].lessons[0].kind is LessonKind.LINK
    client.submit(f"/courses/{course.id}/lessons/{ids[0]}/move", {"action": "delete"}, page=f"/courses/{course.id}")
    assert len(lesson_ids(app, course.id)) == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "text", "title": ""}, "This field is required"),
        ({"kind": "text", "title": "x" * 201}, "Field cannot be longer than 200 characters"),
        ({"kind": "sound", "title": "T"}, "Not a valid choice"),
        ({"kind": "link", "title": "T", "url": ""}, "needs the address"),
        ({"kind": "link", "title": "T", "url": "javascript:alert(1)"}, "starts with http"),
        ({"kind": "link", "title": "T", "url": "https://"}, "Invalid URL"),
        ({"kind": "link", "title": "T", "url": "ftp://files.example.org/x"}, "starts with http"),
        ({"kind": "video", "title": "T"}, "Choose the file for this lesson"),
        ({"kind": "file", "title": "T"}, "Choose the file for this lesson"),
    ],
)
def test_bad_lessons_are_form_errors_and_save_nothing(client, make, app, data, message):
    rezekne = make.academy()
    course = make.course(rezekne.id, modules=[("M", [])])
    client.login(make.user(Role.GLOBAL_ADMIN, rezekne).username)
    with app.app_context():
        module_id = db.session.scalar(select(Module.id))
    response = client.submit(f"/courses/{course.id}/modules/{module_id}/lessons/new", data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(app, Lesson) == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "This field is required"),
        ("title", "x" * 201, "Field cannot be longer than 200 characters"),
        ("visibility", "secret", "Not a valid choice"),
        ("language", "xx", "Not a valid choice"),
        ("category_id", "abc", "could not coerce"),
        ("enrol_cap", "-3", "Number must be between 1 and 100000"),
        ("enrol_cap", "many", "Not a valid integer value"),
        ("enrol_opens_at", "yesterday", "Not a valid datetime value"),
        ("shared_with", "999999", "is not a valid choice for this field"),
    ],
)
def test_bad_course_settings_are_form_errors(client, make, app, field, value, message):
    client.login(make.user(Role.INSTRUCTOR).username)
    response = client.submit("/courses/new", {**COURSE_FORM, field: value})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert count(app, Course) == 0


def test_enrolment_must_close_after_it_opens(client, make, app):
    client.login(make.user(Role.INSTRUCTOR).username)
    data = {**COURSE_FORM, "enrol_opens_at": "2026-12-01T09:00", "enrol_closes_at": "2026-11-01T09:00"}
    assert "must close after it opens" in client.submit("/courses/new", data).get_data(as_text=True)


def test_enrolment_dates_are_read_in_the_academy_timezone(client, make, app):
    bishkek = make.academy(timezone="Asia/Bishkek")
    client.login(make.user(Role.INSTRUCTOR, bishkek).username)
    client.submit("/courses/new", {**COURSE_FORM, "enrol_opens_at": "2026-12-01T09:00"})
    with app.app_context():
        # 09:00 in Bishkek (UTC+6) is 03:00 UTC.
        assert db.session.scalar(select(Course)).enrol_opens_at == datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def test_deleting_a_course_needs_its_title(client, make, app):
    rezekne = make.academy()
    course = make.course(rezekne.id, title="Kyoto", modules=TEXT_COURSE)
    client.login(make.user(Role.ACADEMY_ADMIN, rezekne).username)
    client.submit(f"/courses/{course.id}/delete", {"confirm": "kyoto"}, page=f"/courses/{course.id}/settings")
    assert count(app, Course) == 1
    client.submit(f"/courses/{course.id}/delete", {"confirm": "Kyoto"}, page=f"/courses/{course.id}/settings")
    assert count(app, Course) == 0 and count(app, Lesson) == 0


def test_visibility_shared_without_academies_is_own_academy_only(client, make, app):
    client.login(make.user(Role.INSTRUCTOR).username)
    client.submit("/courses/new", {**COURSE_FORM, "visibility": "shared"})
    with app.app_context():
        course = db.session.scalar(select(Course))
        assert course.visibility is Visibility.SHARED and course.shares == []
