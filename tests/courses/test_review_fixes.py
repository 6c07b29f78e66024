"""Bad input found in review: each once gave a 500 or lost data; now a clear 4xx, a form error or the right result."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lectern.courses.enrolment.services import enrol
from lectern.courses.models import Course, CourseShare, Enrolment, EnrolmentMethod, Module, Visibility
from lectern.extensions import db
from lectern.platform.models import Role, User
from tests.courses.helpers import count


@pytest.mark.parametrize("path", ["/courses/?page=4611686018427387904", "/admin/users?page=99999999999999999999"])
def test_huge_page_numbers_are_the_last_page_not_an_error(client, make, path):
    client.login(make.user(Role.GLOBAL_ADMIN).username)
    assert client.get(path).status_code == 200


def test_an_unknown_lesson_kind_in_the_address_falls_back_to_text(client, make, app):
    academy = make.academy()
    course = make.course(academy.id, modules=[("M", [])])
    client.login(make.user(Role.GLOBAL_ADMIN, academy).username)
    with app.app_context():
        module_id = db.session.scalar(select(Module.id))
    page = client.get(f"/courses/{course.id}/modules/{module_id}/lessons/new?kind=bogus")
    assert page.status_code == 200 and '<option selected value="text">' in page.get_data(as_text=True)


def test_an_oversized_user_id_in_the_enrol_form_enrols_nobody(client, make, app):
    academy = make.academy()
    course = make.course(academy.id)
    client.login(make.user(Role.ACADEMY_ADMIN, academy).username)
    response = client.submit(
        f"/courses/{course.id}/participants", {"user_ids": ["99999999999999999999"]}, page=f"/courses/{course.id}"
    )
    assert response.status_code == 302
    assert count(app, Enrolment) == 0


@pytest.mark.parametrize("value", ["0001-01-01T00:00", "9999-12-31T23:00"])
def test_dates_out_of_range_are_form_errors(client, make, app, value):
    academy = make.academy()
    course = make.course(academy.id)
    teacher = make.user(Role.INSTRUCTOR, academy)
    make.staff(course.id, teacher.id)
    client.login(teacher.username)
    lecture = client.submit(
        f"/courses/{course.id}/lectures/new", {"title": "T", "starts_at": value, "duration_minutes": "60"}
    )
    assert lecture.status_code == 200 and "Choose a date between 2000 and 2100" in lecture.get_data(as_text=True)
    settings = client.submit(
        f"/courses/{course.id}/settings",
        {"title": "T", "language": "en", "visibility": "all", "category_id": "0", "enrol_opens_at": value},
    )
    assert settings.status_code == 200 and "Choose a date between 2000 and 2100" in settings.get_data(as_text=True)


def test_an_editor_from_another_academy_keeps_the_share_with_their_own(client, make, app):
    rezekne, bishkek, almaty = make.academy(), make.academy(), make.academy()
    course = make.course(rezekne.id, title="Kyoto", visibility=Visibility.SHARED)
    for academy in (bishkek, almaty):
        make.save(CourseShare(course_id=course.id, academy_id=academy.id))
    client.login(make.user(Role.GLOBAL_ADMIN, bishkek).username)
    form = {"title": "Kyoto", "language": "en", "visibility": "shared", "category_id": "0"}
    form["shared_with"] = [str(bishkek.id), str(almaty.id)]
    assert client.submit(f"/courses/{course.id}/settings", form).status_code == 302
    with app.app_context():
        assert {s.academy_id for s in db.session.get(Course, course.id).shares} == {bishkek.id, almaty.id}


def test_enrolling_the_same_cadet_twice_at_once_is_harmless(make, app):
    academy = make.academy()
    course = make.course(academy.id)
    cadet = make.user(Role.CADET, academy)
    with app.app_context():
        row, user = db.session.get(Course, course.id), db.session.get(User, cadet.id)
        # Another request enrolled the cadet between this one's check and its insert:
        db.session.add(Enrolment(course_id=course.id, user_id=cadet.id, method=EnrolmentMethod.SELF))
        db.session.flush()
        assert enrol(db.session, row, [user], EnrolmentMethod.MANUAL) == 0
        db.session.commit()
    assert count(app, Enrolment) == 1
