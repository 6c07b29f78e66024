"""Scheduling lectures, who may join, attendance minutes, the calendar feed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from lectern.extensions import db
from lectern.platform.models import Role
from lectern.webrtc import services
from lectern.webrtc.models import Attendance, Lecture, LectureHall, LectureInvite, LectureStatus
from tests.courses.helpers import count

T0 = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


@pytest.fixture
def world(make):
    rezekne = make.academy(slug="rz", timezone="Europe/Riga")
    bishkek = make.academy(slug="bk", timezone="Asia/Bishkek")
    course = make.course(rezekne.id, title="Document security")
    other = make.course(bishkek.id, title="Border checks")
    teacher = make.user(Role.INSTRUCTOR, rezekne, language="en")
    make.staff(course.id, teacher.id)
    return rezekne, bishkek, course, other, teacher


FORM = {"title": "Passports: live", "description": "Bring a **loupe**", "starts_at": "2026-12-01T10:00"}


def test_an_instructor_schedules_in_academy_time_and_invites(client, make, app, world):
    _rezekne, bishkek, course, other, teacher = world
    hall = make.user(Role.CLASSROOM, bishkek)
    client.login(teacher.username)
    response = client.submit(
        f"/courses/{course.id}/lectures/new",
        {**FORM, "duration_minutes": "90", "invited_courses": [str(other.id)], "halls": [str(hall.id)]},
    )
    assert response.status_code == 302
    with app.app_context():
        lecture = db.session.scalar(select(Lecture))
        assert lecture.starts_at == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # 10:00 in Riga (UTC+2)
        assert [i.course_id for i in lecture.invited_courses] == [other.id]
        assert [h.user_id for h in lecture.invited_halls] == [hall.id]
    page = client.get(f"/courses/{course.id}").get_data(as_text=True)
    assert "Passports: live" in page and "Schedule a lecture" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "This field is required"),
        ("duration_minutes", "2", "Number must be between 5 and 480"),
        ("duration_minutes", "abc", "Not a valid integer value"),
        ("starts_at", "tomorrow", "Not a valid datetime value"),
        ("invited_courses", "999999", "is not a valid choice"),
        ("halls", "999999", "is not a valid choice"),
    ],
)
def test_bad_schedules_are_form_errors(client, app, world, field, value, message):
    *_, course, _other, teacher = world
    client.login(teacher.username)
    response = client.submit(f"/courses/{course.id}/lectures/new", {**FORM, "duration_minutes": "90", field: value})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert count(app, Lecture) == 0


@pytest.mark.parametrize("role", [Role.CADET, Role.CLASSROOM, Role.INSTRUCTOR])
def test_only_editors_schedule(client, make, app, world, role):
    rezekne, _, course, _, _ = world
    user = make.user(role, rezekne)
    if role is Role.CADET:
        make.enrol(course.id, user.id)
    client.login(user.username)
    assert client.get(f"/courses/{course.id}/lectures/new").status_code in (403, 404)
    response = client.submit(f"/courses/{course.id}/lectures/new", {**FORM, "duration_minutes": "60"}, page="/courses/")
    assert response.status_code in (403, 404)
    assert count(app, Lecture) == 0


def _lecture(make, course_id, **kw):
    return make.lecture(course_id, **{"title": "Live", "starts_at": T0, "duration_minutes": 60, **kw})


def test_who_may_join(make, app, world):
    rezekne, bishkek, course, other, teacher = world
    lecture = _lecture(make, course.id)
    make.save(LectureInvite(lecture_id=lecture.id, course_id=other.id))
    enrolled, invited, outsider = (make.user(Role.CADET, bishkek) for _ in range(3))
    make.enrol(course.id, enrolled.id)
    make.enrol(other.id, invited.id)
    hall, other_hall = make.user(Role.CLASSROOM, bishkek), make.user(Role.CLASSROOM, bishkek)
    make.save(LectureHall(lecture_id=lecture.id, user_id=hall.id))
    own_admin, foreign_admin = make.user(Role.ACADEMY_ADMIN, rezekne), make.user(Role.ACADEMY_ADMIN, bishkek)
    expected = {
        teacher.id: services.Part.HOST,
        enrolled.id: services.Part.CADET,
        invited.id: services.Part.CADET,
        outsider.id: None,
        hall.id: services.Part.HALL,
        other_hall.id: None,
        own_admin.id: services.Part.OBSERVER,
        foreign_admin.id: None,
    }
    with app.app_context():
        from lectern.platform.models import User

        row = db.session.get(Lecture, lecture.id)
        for user_id, part in expected.items():
            assert services.part_of(db.session, db.session.get(User, user_id), row) is part, user_id


def test_lecture_pages_refuse_outsiders(client, make, app, world):
    _, bishkek, course, _, _teacher = world
    lecture = _lecture(make, course.id, status=LectureStatus.LIVE, started_at=T0)
    outsider = make.user(Role.CADET, bishkek)
    client.login(outsider.username)
    for path in ("", "/room", "/attendance", "/edit"):
        assert client.get(f"/lectures/{lecture.id}{path}").status_code == 404
    assert client.submit(f"/lectures/{lecture.id}/cancel", {}, page="/courses/").status_code == 404


def test_cadets_cannot_see_attendance_or_change_lectures(client, make, app, world):
    _, bishkek, course, _, _ = world
    lecture = _lecture(make, course.id, starts_at=datetime.now(UTC) + timedelta(days=2))
    cadet = make.user(Role.CADET, bishkek)
    make.enrol(course.id, cadet.id)
    client.login(cadet.username)
    assert client.get(f"/lectures/{lecture.id}").status_code == 200
    assert client.get(f"/lectures/{lecture.id}/attendance").status_code == 403
    assert client.get(f"/lectures/{lecture.id}/edit").status_code == 403
    assert client.submit(f"/lectures/{lecture.id}/cancel", {}, page="/courses/").status_code == 403
    # The cadet's home page lists it.
    assert "Live" in client.get("/learning").get_data(as_text=True)


def test_present_minutes_merge_stays_and_clip_to_the_lecture(make, app, world):
    _, bishkek, course, _, _ = world
    lecture = _lecture(make, course.id, status=LectureStatus.ENDED, started_at=T0, ended_at=T0 + timedelta(minutes=60))
    a, b = make.user(Role.CADET, bishkek, last_name="A"), make.user(Role.CADET, bishkek, last_name="B")
    m = timedelta(minutes=1)
    for user, joined, left in [
        (a, T0 - 10 * m, T0 + 20 * m),  # came early: counted from the start
        (a, T0 + 15 * m, T0 + 30 * m),  # a second tab overlapping the first: counted once
        (a, T0 + 40 * m, None),  # never left: counted to the end
        (b, T0 + 5 * m, T0 + 6 * m),
    ]:
        make.save(Attendance(lecture_id=lecture.id, user_id=user.id, joined_at=joined, left_at=left))
    with app.app_context():
        rows = services.attendance(db.session, db.session.get(Lecture, lecture.id), T0 + 200 * m)
    assert [(r.user.last_name, r.minutes) for r in rows] == [("A", 30 + 20), ("B", 1)]


def test_attendance_page_and_csv(client, make, app, world):
    _, bishkek, course, _, teacher = world
    lecture = _lecture(make, course.id, status=LectureStatus.ENDED, started_at=T0, ended_at=T0 + timedelta(hours=1))
    cadet = make.user(Role.CADET, bishkek, last_name="Асанов")
    make.save(Attendance(lecture_id=lecture.id, user_id=cadet.id, joined_at=T0, left_at=T0 + timedelta(minutes=45)))
    client.login(teacher.username)
    assert "Асанов" in client.get(f"/lectures/{lecture.id}/attendance").get_data(as_text=True)
    csv_text = client.get(f"/lectures/{lecture.id}/attendance?format=csv").get_data(as_text=True)
    assert csv_text.splitlines()[1].endswith(",45,yes") and cadet.username in csv_text


def test_calendar_feed(client, make, app, world):
    _, bishkek, course, _, _ = world
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    lecture = _lecture(make, course.id, title="MRZ check digits", starts_at=soon)
    _lecture(make, course.id, title="Cancelled one", starts_at=soon, status=LectureStatus.CANCELLED)
    _lecture(make, make.course(bishkek.id).id, title="Not mine", starts_at=soon)
    cadet = make.user(Role.CADET, bishkek)
    make.enrol(course.id, cadet.id)
    client.login(cadet.username)
    page = client.get("/lectures/calendar").get_data(as_text=True)
    url = page.split('class="feed-url"')[0].rsplit('value="', 1)[1].split('"')[0]
    client.submit("/logout", page="/lectures/calendar")
    feed = client.get(url.replace("http://localhost", "").replace("&amp;", "&"))
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    events = {str(e["summary"]): e for e in Calendar.from_ical(feed.data).walk("VEVENT")}
    assert set(events) == {"MRZ check digits · " + course.title, "Cancelled one · " + course.title}
    assert events["MRZ check digits · " + course.title].decoded("dtstart") == soon
    assert str(events["Cancelled one · " + course.title]["status"]) == "CANCELLED"
    assert f"lecture-{lecture.id}@" in str(events["MRZ check digits · " + course.title]["uid"])
    # A forged or withdrawn token gives nothing.
    assert client.get("/lectures/calendar.ics?token=forged").status_code == 404
    with app.app_context():
        from lectern.platform.accounts.services import set_password
        from lectern.platform.models import User

        set_password(db.session, db.session.get(User, cadet.id), "a new password here")
        db.session.commit()
    assert client.get(url.replace("http://localhost", "").replace("&amp;", "&")).status_code == 404


def test_demo_data_schedules_lectures_with_halls_invited(app, runner):
    assert runner.invoke(args=["lectern", "demo-data"]).exit_code == 0
    with app.app_context():
        lectures = db.session.scalars(select(Lecture).order_by(Lecture.starts_at)).all()
        assert len(lectures) >= 7
        first = lectures[0]
        assert first.starts_at - datetime.now(UTC) < timedelta(minutes=15)
        assert first.invited_halls and first.status is LectureStatus.SCHEDULED
        # Its course has cadets, who can join it.
        from lectern.courses.models import Enrolment

        assert db.session.scalars(select(Enrolment).where(Enrolment.course_id == first.course_id)).first()


def test_the_register_lists_who_never_joined_and_dates_the_times(client, make, app, world):
    _, bishkek, course, other, teacher = world
    lecture = _lecture(make, course.id, status=LectureStatus.ENDED, started_at=T0, ended_at=T0 + timedelta(hours=1))
    make.save(LectureInvite(lecture_id=lecture.id, course_id=other.id))
    came = make.user(Role.CADET, bishkek, last_name="Asanov")
    stayed_home = make.user(Role.CADET, bishkek, last_name="Bekova")
    invited = make.user(Role.CADET, bishkek, last_name="Omarov")
    suspended = make.user(Role.CADET, bishkek, last_name="Suspended", active=False)
    hall = make.user(Role.CLASSROOM, bishkek, last_name="Hall B-12")
    not_invited_hall = make.user(Role.CLASSROOM, bishkek, last_name="Hall C-3")
    for user in (came, stayed_home, suspended, not_invited_hall):
        make.enrol(course.id, user.id)
    make.enrol(other.id, invited.id)
    make.save(LectureHall(lecture_id=lecture.id, user_id=hall.id))
    make.save(Attendance(lecture_id=lecture.id, user_id=came.id, joined_at=T0, left_at=T0 + timedelta(minutes=45)))
    client.login(teacher.username)

    page = client.get(f"/lectures/{lecture.id}/attendance").get_data(as_text=True)

    rows = re.findall(r"<tr>(.*?)</tr>", page, re.S)
    names = [re.search(r"<td>([^,<]+),", row).group(1) for row in rows if "<td>" in row]
    assert names == ["Asanov", "Bekova", "Hall B-12", "Omarov"]  # the teacher, the suspended, the uninvited: not
    asanov, bekova = rows[1], rows[2]
    assert "Absent" not in asanov and re.search(r"\b(20)?26\b", asanov), "the join time has no date"
    assert "Absent" in bekova and "Absent" in rows[3] and "Absent" in rows[4]
    csv_lines = client.get(f"/lectures/{lecture.id}/attendance?format=csv").get_data(as_text=True).splitlines()
    assert csv_lines[0].endswith(",minutes,present")
    assert [line.split(",")[1] for line in csv_lines[1:]] == names
    assert csv_lines[1].endswith(",45,yes") and csv_lines[2].endswith(",,,0,no")


def test_the_course_page_lists_its_lectures_as_they_change(client, make, app, world):
    """The course page's list of lectures is kept between readers (the page cache) and follows every change: a
    lecture scheduled, going live, cancelled."""
    _rezekne, _bishkek, course, _other, teacher = world
    cadet = make.user(Role.CADET, _rezekne)
    make.enrol(course.id, cadet.id)
    client.login(cadet.username)
    page = f"/courses/{course.id}"
    assert "Passports: live" not in client.get(page).get_data(as_text=True)
    lecture = make.lecture(course.id, title="Passports: live", created_by_id=teacher.id)
    assert "Passports: live" in client.get(page).get_data(as_text=True)
    with app.app_context():
        services.start(db.session, db.session.get(Lecture, lecture.id), T0)
        db.session.commit()
    assert re.search(
        r"Passports: live</a>\s*<span[^>]*>[^<]*</span>\s*<span class=\"badge live\">",
        client.get(page).get_data(as_text=True),
    )
    with app.app_context():
        db.session.get(Lecture, lecture.id).status = LectureStatus.CANCELLED
        db.session.commit()
    assert "Passports: live" not in client.get(page).get_data(as_text=True)
