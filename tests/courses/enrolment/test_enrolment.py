"""Enrolment: by hand, by the cadet (key, cap, dates), and leaving; "My courses" with progress."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lectern.courses.models import CourseShare, Enrolment, EnrolmentMethod, Visibility
from lectern.extensions import db
from lectern.platform.models import Role
from tests.courses.helpers import TEXT_COURSE, count, lesson_ids

NOW = datetime.now(UTC)


def _enrolled(app, course_id):
    with app.app_context():
        return set(db.session.scalars(select(Enrolment.user_id).where(Enrolment.course_id == course_id)))


@pytest.mark.parametrize(
    ("settings", "key", "ok", "message"),
    [
        ({"self_enrol": True}, "", True, "You are enrolled"),
        ({"self_enrol": False}, "", False, "Enrolment in this course is closed"),
        ({"self_enrol": True, "enrol_key": "KYOTO2026"}, "KYOTO2026", True, "You are enrolled"),
        ({"self_enrol": True, "enrol_key": "KYOTO2026"}, "kyoto", False, "enrolment key is not right"),
        ({"self_enrol": True, "enrol_opens_at": NOW + timedelta(days=1)}, "", False, "has not opened yet"),
        ({"self_enrol": True, "enrol_closes_at": NOW - timedelta(days=1)}, "", False, "is closed"),
        ({"self_enrol": True, "enrol_cap": 1}, "", False, "This course is full"),
        ({"self_enrol": True, "visibility": Visibility.DRAFT}, "", False, None),
    ],
)
def test_self_enrolment(client, make, app, settings, key, ok, message):
    academy = make.academy()
    course = make.course(academy.id, modules=TEXT_COURSE, **settings)
    if settings.get("enrol_cap"):
        make.enrol(course.id, make.user(Role.CADET, academy).id)
    cadet = make.user(Role.CADET, academy)
    client.login(cadet.username)
    response = client.submit(f"/courses/{course.id}/enrol", {"key": key}, page="/courses/", follow_redirects=True)
    assert (cadet.id in _enrolled(app, course.id)) is ok
    if message is None:
        assert response.status_code == 404  # a draft is not even listed
    else:
        assert message in response.get_data(as_text=True)
    if ok:
        with app.app_context():
            enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == cadet.id))
            assert enrolment.method is EnrolmentMethod.SELF


def test_enrolling_twice_is_harmless(client, make, app):
    academy = make.academy()
    course = make.course(academy.id, self_enrol=True)
    cadet = make.user(Role.CADET, academy)
    client.login(cadet.username)
    for _ in range(2):
        client.submit(f"/courses/{course.id}/enrol", {}, page="/courses/")
    assert count(app, Enrolment) == 1


def test_cadets_of_a_shared_academy_self_enrol_but_others_cannot_see_it(client, make, app):
    rezekne, bishkek, almaty = make.academy(), make.academy(), make.academy()
    course = make.course(rezekne.id, visibility=Visibility.SHARED, self_enrol=True)
    make.save(CourseShare(course_id=course.id, academy_id=bishkek.id))
    client.login(make.user(Role.CADET, bishkek).username)
    assert client.submit(f"/courses/{course.id}/enrol", {}, page="/courses/").status_code == 302
    client.submit("/logout", page="/courses/")
    client.login(make.user(Role.CADET, almaty).username)
    assert client.submit(f"/courses/{course.id}/enrol", {}, page="/courses/").status_code == 404
    assert count(app, Enrolment) == 1


def test_instructors_enrol_cadets_by_hand_within_the_offered_academies(client, make, app):
    rezekne, bishkek, almaty = make.academy(), make.academy(), make.academy()
    course = make.course(rezekne.id, visibility=Visibility.SHARED)
    make.save(CourseShare(course_id=course.id, academy_id=bishkek.id))
    teacher = make.user(Role.INSTRUCTOR, rezekne)
    make.staff(course.id, teacher.id)
    local = make.user(Role.CADET, rezekne, last_name="Ozola")
    shared = make.user(Role.CADET, bishkek, last_name="Асанов")
    outsider = make.user(Role.CADET, almaty, last_name="Омаров")
    client.login(teacher.username)
    page = client.get(f"/courses/{course.id}/participants").get_data(as_text=True)
    assert "Ozola" in page and "Асанов" in page and "Омаров" not in page
    response = client.submit(
        f"/courses/{course.id}/participants", {"user_ids": [str(local.id), str(shared.id)]}, follow_redirects=True
    )
    assert "2 cadets enrolled." in response.get_data(as_text=True)
    assert _enrolled(app, course.id) == {local.id, shared.id}
    # A forged id from an academy the course is not offered to is refused, and nothing is enrolled.
    refused = client.submit(
        f"/courses/{course.id}/participants", {"user_ids": [str(outsider.id)]}, page=f"/courses/{course.id}"
    )
    assert refused.status_code == 404
    assert _enrolled(app, course.id) == {local.id, shared.id}
    # Unenrol one: their completions stay.
    client.submit(f"/courses/{course.id}/participants/{local.id}/remove", {}, page=f"/courses/{course.id}")
    assert _enrolled(app, course.id) == {shared.id}


@pytest.mark.parametrize("who", ["cadet", "assistant", "other-instructor"])
def test_who_cannot_enrol_others(client, make, app, who):
    academy = make.academy()
    course = make.course(academy.id)
    target = make.user(Role.CADET, academy)
    actor = make.user(Role.CADET if who == "cadet" else Role.INSTRUCTOR, academy)
    if who == "cadet":
        make.enrol(course.id, actor.id)
    if who == "assistant":
        make.staff(course.id, actor.id, "assistant")
    client.login(actor.username)
    response = client.submit(f"/courses/{course.id}/participants", {"user_ids": [str(target.id)]}, page="/courses/")
    assert response.status_code == 403
    assert target.id not in _enrolled(app, course.id)
    if who == "assistant":  # assistants see the participants and their progress, without the enrol form
        page = client.get(f"/courses/{course.id}/participants")
        assert page.status_code == 200 and "Enrol cadets" not in page.get_data(as_text=True)
    else:
        assert client.get(f"/courses/{course.id}/participants").status_code == 403


def test_my_courses_shows_progress(client, make, app):
    academy = make.academy()
    course = make.course(academy.id, title="Assistance to vulnerable migrants", modules=TEXT_COURSE)
    other = make.course(academy.id, title="Revised Kyoto Convention", modules=TEXT_COURSE)
    cadet = make.user(Role.CADET, academy)
    make.enrol(course.id, cadet.id)
    make.enrol(other.id, cadet.id)
    client.login(cadet.username)
    client.get(f"/courses/{course.id}/lessons/{lesson_ids(app, course.id)[0]}")
    for page in ("/courses/mine", "/learning"):
        html = client.get(page).get_data(as_text=True)
        assert "Assistance to vulnerable migrants" in html and "Revised Kyoto Convention" in html
        assert "1 of 2 lessons · 50%" in html and "0 of 2 lessons · 0%" in html


def test_instructor_home_lists_taught_courses(client, make):
    academy = make.academy()
    course = make.course(academy.id, title="X-ray image analysis")
    teacher = make.user(Role.INSTRUCTOR, academy)
    make.staff(course.id, teacher.id)
    client.login(teacher.username)
    html = client.get("/teaching").get_data(as_text=True)
    assert "Courses I teach" in html and "X-ray image analysis" in html


def test_insert_once_tells_a_new_row_from_a_conflict(app, make):
    # Both databases: psycopg reports no row count for ON CONFLICT DO NOTHING unless it is asked to keep it.
    from lectern.courses.content.progress import insert_once

    academy = make.academy()
    course = make.course(academy.id)
    cadet = make.user(Role.CADET, academy)
    with app.app_context():
        values = {"course_id": course.id, "user_id": cadet.id, "method": EnrolmentMethod.MANUAL}
        assert insert_once(db.session, Enrolment, **values) is True
        assert insert_once(db.session, Enrolment, **values) is False
        db.session.commit()
    assert _enrolled(app, course.id) == {cadet.id}
