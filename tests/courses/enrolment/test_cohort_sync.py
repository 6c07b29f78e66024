"""Cohort enrolment: course enrolments follow the cohort's members both ways, and history is never lost."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from lectern.courses.enrolment import cohort_sync
from lectern.courses.enrolment.services import EnrolmentReason
from lectern.courses.models import (
    Course,
    CourseCohort,
    CourseCompletion,
    CourseShare,
    Enrolment,
    EnrolmentMethod,
    LessonCompletion,
    Visibility,
)
from lectern.courses.quizzes.models import Attempt
from lectern.domain import Forbidden, NotFound
from lectern.extensions import db
from lectern.platform.cohorts import services as cohorts
from lectern.platform.models import AuditEntry, Cohort, Role, User
from tests.courses.helpers import TEXT_COURSE, count, lesson_ids

NOW = datetime.now(UTC)


def _enrolments(app, course_id):
    """{user_id: method} of the course's enrolments."""
    with app.app_context():
        rows = db.session.execute(
            select(Enrolment.user_id, Enrolment.method).where(Enrolment.course_id == course_id)
        ).all()
        return dict(rows)


def _enrol(app, course_id, cohort_id, actor_id=None):
    with app.app_context():
        actor = db.session.get(User, actor_id) if actor_id else None
        added = cohort_sync.enrol_cohort(
            db.session, actor, db.session.get(Course, course_id), db.session.get(Cohort, cohort_id)
        )
        db.session.commit()
        return added


def _unenrol(app, course_id, cohort_id, actor_id=None):
    with app.app_context():
        actor = db.session.get(User, actor_id) if actor_id else None
        removed = cohort_sync.unenrol_cohort(
            db.session, actor, db.session.get(Course, course_id), db.session.get(Cohort, cohort_id)
        )
        db.session.commit()
        return removed


def _join(app, cohort_id, *users):
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        cohorts.add_members(db.session, None, cohort, [db.session.get(User, u.id) for u in users])
        db.session.commit()


def _leave(app, cohort_id, *users):
    with app.app_context():
        cohorts.remove_members(db.session, None, db.session.get(Cohort, cohort_id), [u.id for u in users])
        db.session.commit()


@pytest.fixture
def world(make):
    academy = make.academy()
    course = make.course(academy.id, modules=TEXT_COURSE)
    cadets = [make.user(Role.CADET, academy, last_name=f"Cadet {n}") for n in range(3)]
    teacher = make.user(Role.INSTRUCTOR, academy)
    cohort = make.cohort(academy, "Intake 2026", members=[*cadets[:2], teacher])
    return {"academy": academy, "course": course, "cadets": cadets, "teacher": teacher, "cohort": cohort}


def test_enrolling_a_cohort_enrols_its_cadets_only(app, world):
    course, cohort, cadets = world["course"], world["cohort"], world["cadets"]
    assert _enrol(app, course.id, cohort.id) == 2
    assert _enrolments(app, course.id) == {cadets[0].id: EnrolmentMethod.COHORT, cadets[1].id: EnrolmentMethod.COHORT}
    # Again: nothing changes, nothing is logged twice.
    assert _enrol(app, course.id, cohort.id) == 0
    assert count(app, CourseCohort) == 1


def test_members_who_join_later_are_enrolled_and_leavers_unenrolled(app, world):
    course, cohort, cadets = world["course"], world["cohort"], world["cadets"]
    _enrol(app, course.id, cohort.id)
    _join(app, cohort.id, cadets[2])
    assert _enrolments(app, course.id)[cadets[2].id] is EnrolmentMethod.COHORT
    _leave(app, cohort.id, cadets[0])
    assert set(_enrolments(app, course.id)) == {cadets[1].id, cadets[2].id}


def test_leaving_keeps_completions_and_attempts_which_return_on_re_enrolment(app, make, world):
    course, cohort, cadet = world["course"], world["cohort"], world["cadets"][0]
    _enrol(app, course.id, cohort.id)
    quiz = make.quiz(course.id, make.bank(course.id)[:1])
    make.attempt(quiz.id, cadet.id, {0: 0}, at=NOW)  # right: a mark of 1.0
    with app.app_context():
        lesson = lesson_ids(app, course.id)[0]
        db.session.add(LessonCompletion(user_id=cadet.id, lesson_id=lesson, completed_at=NOW))
        db.session.add(CourseCompletion(user_id=cadet.id, course_id=course.id, completed_at=NOW))
        db.session.commit()
    _leave(app, cohort.id, cadet)
    assert cadet.id not in _enrolments(app, course.id)
    assert (count(app, LessonCompletion), count(app, CourseCompletion), count(app, Attempt)) == (1, 1, 1)
    _join(app, cohort.id, cadet)
    assert _enrolments(app, course.id)[cadet.id] is EnrolmentMethod.COHORT
    with app.app_context():
        attempt = db.session.scalar(select(Attempt).where(Attempt.user_id == cadet.id))
        assert attempt is not None and attempt.mark == 1.0
        assert db.session.get(CourseCompletion, (cadet.id, course.id)) is not None


def test_a_cadet_in_two_enrolled_cohorts_stays_until_leaving_both(app, make, world):
    course, first, cadet = world["course"], world["cohort"], world["cadets"][0]
    second = make.cohort(world["academy"], "Language group B", members=[cadet])
    _enrol(app, course.id, first.id)
    _enrol(app, course.id, second.id)
    _leave(app, first.id, cadet)
    assert cadet.id in _enrolments(app, course.id)
    _leave(app, second.id, cadet)
    assert cadet.id not in _enrolments(app, course.id)


def test_unenrolling_one_of_two_cohorts_keeps_those_the_other_holds(app, make, world):
    course, first, cadets = world["course"], world["cohort"], world["cadets"]
    second = make.cohort(world["academy"], "Group B", members=[cadets[0]])
    _enrol(app, course.id, first.id)
    _enrol(app, course.id, second.id)
    assert _unenrol(app, course.id, first.id) == 1  # cadets[1]; cadets[0] is still held by the second cohort
    assert set(_enrolments(app, course.id)) == {cadets[0].id}


def test_enrolments_made_by_hand_or_by_the_cadet_survive_the_cohort(app, make, world):
    course, cohort, cadets = world["course"], world["cohort"], world["cadets"]
    make.enrol(course.id, cadets[0].id)  # by hand, before the cohort
    _enrol(app, course.id, cohort.id)
    assert _enrolments(app, course.id)[cadets[0].id] is EnrolmentMethod.MANUAL
    _leave(app, cohort.id, cadets[0])
    assert _enrolments(app, course.id)[cadets[0].id] is EnrolmentMethod.MANUAL
    _unenrol(app, course.id, cohort.id)
    assert set(_enrolments(app, course.id)) == {cadets[0].id}


def test_deleting_the_cohort_unenrols_its_cadets(app, make, world):
    course, cohort, cadets = world["course"], world["cohort"], world["cadets"]
    other_course = make.course(world["academy"].id)
    _enrol(app, course.id, cohort.id)
    _enrol(app, other_course.id, cohort.id)
    admin = make.user(Role.ACADEMY_ADMIN, world["academy"])
    with app.app_context():
        cohorts.delete_cohort(db.session, db.session.get(User, admin.id), db.session.get(Cohort, cohort.id))
        db.session.commit()
    assert _enrolments(app, course.id) == {} and _enrolments(app, other_course.id) == {}
    assert count(app, CourseCohort) == 0
    assert count(app, User) == len(cadets) + 2  # the users themselves are kept


def test_audit_entries_for_cohort_enrolment(app, make, world):
    course, cohort = world["course"], world["cohort"]
    admin = make.user(Role.ACADEMY_ADMIN, world["academy"])
    _enrol(app, course.id, cohort.id, admin.id)
    _unenrol(app, course.id, cohort.id, admin.id)
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [(e.action, e.actor_id, e.academy_id, e.target) for e in entries] == [
            ("course.cohort_enrol", admin.id, course.academy_id, course.title),
            ("course.cohort_unenrol", admin.id, course.academy_id, course.title),
        ]
        assert entries[0].details == {"cohort": "Intake 2026", "count": 2}
        assert entries[1].details == {"cohort": "Intake 2026", "count": 2}


def test_a_cohort_joins_only_courses_offered_to_its_academy(app, make, world):
    course, cohort = world["course"], world["cohort"]
    bishkek = make.academy()
    intake = make.cohort(bishkek, "Bishkek intake", members=[make.user(Role.CADET, bishkek)])
    assistant = make.user(Role.INSTRUCTOR, world["academy"])
    make.staff(course.id, assistant.id, "assistant")
    with pytest.raises(Forbidden) as refused:
        _enrol(app, course.id, cohort.id, assistant.id)  # assistants do not enrol
    assert refused.value.reason is EnrolmentReason.NOT_COHORT_MANAGER
    own_only = make.course(world["academy"].id, visibility=Visibility.ACADEMY)
    draft = make.course(world["academy"].id, visibility=Visibility.DRAFT)
    shared_elsewhere = make.course(world["academy"].id, visibility=Visibility.SHARED)
    for closed in (own_only, draft, shared_elsewhere):
        with pytest.raises(NotFound) as not_offered:
            _enrol(app, closed.id, intake.id)
        assert not_offered.value.reason is EnrolmentReason.COHORT_NOT_OFFERED
    assert count(app, CourseCohort) == 0
    # A course offered to every academy, or shared with Bishkek, takes the Bishkek intake.
    shared = make.course(world["academy"].id, visibility=Visibility.SHARED)
    make.save(CourseShare(course_id=shared.id, academy_id=bishkek.id))
    assert _enrol(app, course.id, intake.id) == 1
    assert _enrol(app, shared.id, intake.id) == 1
    assert own_only.id and len(_enrolments(app, shared.id)) == 1


def test_choices_on_each_side(app, make, world):
    academy, course, cohort = world["academy"], world["course"], world["cohort"]
    other = make.course(academy.id, title="Other course")
    elsewhere = make.academy(name="Border Service Training Centre")
    offered = make.course(elsewhere.id, title="Offered to all")
    closed = make.course(elsewhere.id, title="Their own", visibility=Visibility.ACADEMY)
    spare = make.cohort(academy, "Spare")
    foreign = make.cohort(elsewhere, "Foreign intake")
    own_only = make.course(academy.id, title="Own academy only", visibility=Visibility.ACADEMY)
    admin = make.user(Role.ACADEMY_ADMIN, academy)
    _enrol(app, course.id, cohort.id)
    with app.app_context():
        item = db.session.get(Course, course.id)
        # An ALL course takes the cohorts of every academy: its own academy's first.
        assert [c.id for c in cohort_sync.enrollable_cohorts(db.session, item)] == [spare.id, foreign.id]
        own = db.session.get(Course, own_only.id)
        assert [c.id for c in cohort_sync.enrollable_cohorts(db.session, own)] == [cohort.id, spare.id]
        assert cohort_sync.counted_cohorts_of_course(db.session, item)[0][1] == 3
        group = db.session.get(Cohort, cohort.id)
        assert [c.id for c in cohort_sync.courses_of_cohort(db.session, group)] == [course.id]
        choices = {c.id for c in cohort_sync.enrollable_courses(db.session, db.session.get(User, admin.id), group)}
        # Not the enrolled one, not another academy's own course; another academy's course offered to all, yes.
        assert choices == {other.id, offered.id, own_only.id}
        assert closed.id not in choices
        # An instructor may enrol it only in the courses they edit.
        teacher = db.session.get(User, world["teacher"].id)
        assert cohort_sync.enrollable_courses(db.session, teacher, group) == []


# --- the pages ---------------------------------------------------------------------------------------------------


def test_editors_enrol_and_unenrol_a_cohort_on_the_participants_page(client, app, make, world):
    course, cohort, cadets = world["course"], world["cohort"], world["cadets"]
    editor = make.user(Role.INSTRUCTOR, world["academy"])
    make.staff(course.id, editor.id)
    page = f"/courses/{course.id}/participants"
    client.login(editor.username)
    html = client.get(page).get_data(as_text=True)
    assert "Cohorts" in html and "Intake 2026" in html and "No cohort is enrolled." in html
    response = client.submit(f"/courses/{course.id}/cohorts", {"cohort_id": str(cohort.id)}, page=page)
    assert response.status_code == 302 and response.headers["Location"].endswith(page)
    assert set(_enrolments(app, course.id)) == {cadets[0].id, cadets[1].id}
    html = client.get(page).get_data(as_text=True)
    assert "Intake 2026 is enrolled in" in html and "2 cadets newly enrolled." in html
    assert html.count("through a cohort") == 2 and "Unenrol cohort" in html
    client.submit(f"/courses/{course.id}/cohorts/{cohort.id}/remove", {}, page=page)
    assert _enrolments(app, course.id) == {}


def test_the_participants_list_shows_how_each_was_enrolled(client, app, make, world):
    course, cohort, cadets = world["course"], world["cohort"], world["cadets"]
    _enrol(app, course.id, cohort.id)
    make.enrol(course.id, cadets[2].id)
    admin = make.user(Role.ACADEMY_ADMIN, world["academy"])
    client.login(admin.username)
    html = client.get(f"/courses/{course.id}/participants").get_data(as_text=True)
    assert html.count('Cohort <span class="muted small">(Intake 2026)</span>') == 2
    assert html.count("By hand") == 1


def test_a_cadet_held_by_a_cohort_is_not_unenrolled_by_hand(client, app, make, world):
    course, cohort, cadet = world["course"], world["cohort"], world["cadets"][0]
    _enrol(app, course.id, cohort.id)
    admin = make.user(Role.ACADEMY_ADMIN, world["academy"])
    client.login(admin.username)
    page = f"/courses/{course.id}/participants"
    response = client.submit(f"{page}/{cadet.id}/remove", {}, page=page, follow_redirects=True)
    assert "enrolled through the cohort Intake 2026" in response.get_data(as_text=True)
    assert cadet.id in _enrolments(app, course.id)
    # Nor may the cadet leave on their own: the cohort would bring them back.
    client.submit("/logout", page="/courses/")
    client.login(cadet.username)
    response = client.submit(f"/courses/{course.id}/leave", {}, page="/courses/", follow_redirects=True)
    assert "You are enrolled through your cohort (Intake 2026)" in response.get_data(as_text=True)
    assert cadet.id in _enrolments(app, course.id)
    # Once out of the cohort, the enrolment is gone anyway.
    _leave(app, cohort.id, cadet)
    assert cadet.id not in _enrolments(app, course.id)


def test_hand_enrolment_is_logged(client, app, make, world):
    course, cadet = world["course"], world["cadets"][2]
    editor = make.user(Role.INSTRUCTOR, world["academy"])
    make.staff(course.id, editor.id)
    client.login(editor.username)
    page = f"/courses/{course.id}/participants"
    client.submit(page, {"user_ids": [str(cadet.id)]})
    client.submit(f"{page}/{cadet.id}/remove", {}, page=page)
    assert _enrolments(app, course.id) == {}
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [(e.action, e.actor_id, e.target) for e in entries] == [
            ("course.enrol", editor.id, course.title),
            ("course.unenrol", editor.id, course.title),
        ]
        assert entries[0].details == {"usernames": [cadet.username], "count": 1}
        assert entries[1].details == {"user": cadet.username}


def test_cohort_forms_refuse_other_academies_and_non_editors(client, app, make, world):
    cohort = world["cohort"]
    course = make.course(world["academy"].id, visibility=Visibility.ACADEMY)  # not offered to other academies
    elsewhere = make.academy()
    foreign = make.cohort(elsewhere, "Elsewhere", members=[make.user(Role.CADET, elsewhere)])
    editor = make.user(Role.INSTRUCTOR, world["academy"])
    make.staff(course.id, editor.id)
    assistant = make.user(Role.INSTRUCTOR, world["academy"])
    make.staff(course.id, assistant.id, "assistant")
    page = f"/courses/{course.id}/participants"
    client.login(editor.username)
    assert client.submit(f"/courses/{course.id}/cohorts", {"cohort_id": str(foreign.id)}, page=page).status_code == 404
    assert client.submit(f"/courses/{course.id}/cohorts", {"cohort_id": "x"}, page=page).status_code == 400
    # An instructor may not use the cohort page's form: that is for the cohort's administrators.
    url = f"/courses/cohorts/{cohort.id}/enrol"
    assert client.submit(url, {"course_id": str(course.id)}, page=page).status_code == 404
    client.submit("/logout", page="/courses/")
    client.login(assistant.username)
    html = client.get(page).get_data(as_text=True)
    assert "Intake 2026" not in html  # no enrol form for assistants
    assert client.submit(f"/courses/{course.id}/cohorts", {"cohort_id": str(cohort.id)}, page=page).status_code == 403
    assert _enrolments(app, course.id) == {} and count(app, CourseCohort) == 0


def test_administrators_enrol_a_cohort_from_its_page(client, app, make, world):
    course, cohort = world["course"], world["cohort"]
    admin = make.user(Role.ACADEMY_ADMIN, world["academy"])
    client.login(admin.username)
    page = f"/admin/cohorts/{cohort.id}"
    html = client.get(page).get_data(as_text=True)
    assert "The cohort is not enrolled in any course." in html and course.title in html
    response = client.submit(f"/courses/cohorts/{cohort.id}/enrol", {"course_id": str(course.id)}, page=page)
    assert response.status_code == 302 and response.headers["Location"].endswith(page)
    assert len(_enrolments(app, course.id)) == 2
    html = client.get(page).get_data(as_text=True)
    assert "Unenrol cohort" in html
    response = client.submit(
        f"/courses/{course.id}/cohorts/{cohort.id}/remove", {"back": "cohort"}, page=page, follow_redirects=True
    )
    assert "is no longer enrolled in" in response.get_data(as_text=True)
    assert response.request.path == page
    assert _enrolments(app, course.id) == {}


def test_another_academy_administrator_enrols_only_their_cohort_in_courses_offered_to_them(client, app, make, world):
    course, cohort = world["course"], world["cohort"]  # the course is offered to every academy
    elsewhere = make.academy()
    outsider = make.user(Role.ACADEMY_ADMIN, elsewhere)
    their_course = make.course(elsewhere.id)
    closed = make.course(world["academy"].id, visibility=Visibility.ACADEMY)
    client.login(outsider.username)
    url = f"/courses/cohorts/{cohort.id}/enrol"
    assert client.submit(url, {"course_id": str(their_course.id)}, page="/courses/").status_code == 404
    theirs = make.cohort(elsewhere, "Theirs", members=[make.user(Role.CADET, elsewhere)])
    url = f"/courses/cohorts/{theirs.id}/enrol"
    # Not into a course kept to our academy...
    assert client.submit(url, {"course_id": str(closed.id)}, page="/courses/").status_code == 404
    assert count(app, CourseCohort) == 0
    # ...but into ours, offered to all: a Bishkek administrator enrols the Bishkek intake in a Rezekne course.
    assert client.submit(url, {"course_id": str(course.id)}, page="/courses/").status_code == 302
    assert list(_enrolments(app, course.id).values()) == [EnrolmentMethod.COHORT]
    # They may not unenrol our cohort from our course, only their own.
    _enrol(app, course.id, cohort.id)
    remove = f"/courses/{course.id}/cohorts/{cohort.id}/remove"
    assert client.submit(remove, {"back": "cohort"}, page="/courses/").status_code == 403
    remove = f"/courses/{course.id}/cohorts/{theirs.id}/remove"
    assert client.submit(remove, {"back": "cohort"}, page="/courses/").status_code == 302
    assert count(app, CourseCohort) == 1 and len(_enrolments(app, course.id)) == 2
    # Both academies' administrators read it in their log.
    with app.app_context():
        logged = db.session.execute(
            select(AuditEntry.action, AuditEntry.academy_id).where(AuditEntry.details["cohort"].as_string() == "Theirs")
        ).all()
    academies = {world["academy"].id, elsewhere.id}
    assert sorted(logged) == sorted(
        [(action, a) for action in ("course.cohort_enrol", "course.cohort_unenrol") for a in academies]
    )


def test_a_cohort_stays_removable_after_its_academy_loses_the_course(client, app, make, world):
    course = world["course"]  # offered to every academy
    elsewhere = make.academy()
    their_admin = make.user(Role.ACADEMY_ADMIN, elsewhere)
    editor = make.user(Role.INSTRUCTOR, world["academy"])
    make.staff(course.id, editor.id)
    theirs = make.cohort(elsewhere, "Theirs", members=[make.user(Role.CADET, elsewhere)])
    other = make.cohort(elsewhere, "Other", members=[make.user(Role.CADET, elsewhere)])
    _enrol(app, course.id, theirs.id)
    _enrol(app, course.id, other.id)
    with app.app_context():
        db.session.get(Course, course.id).visibility = Visibility.ACADEMY  # the course is kept to its academy now
        db.session.commit()
    # The cohort's own administrator still lets it go, and so does the course's editor...
    client.login(their_admin.username)
    remove = f"/courses/{course.id}/cohorts/{theirs.id}/remove"
    assert client.submit(remove, {"back": "cohort"}, page="/courses/").status_code == 302
    client.submit("/logout", page="/courses/")
    client.login(editor.username)
    page = f"/courses/{course.id}/participants"
    assert client.submit(f"/courses/{course.id}/cohorts/{other.id}/remove", {}, page=page).status_code == 302
    assert count(app, CourseCohort) == 0 and _enrolments(app, course.id) == {}
    # ...but it cannot come back in, and a link that is not there is a 404.
    assert client.submit(f"/courses/{course.id}/cohorts", {"cohort_id": str(theirs.id)}, page=page).status_code == 404
    assert client.submit(f"/courses/{course.id}/cohorts/{theirs.id}/remove", {}, page=page).status_code == 404
