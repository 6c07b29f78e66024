"""The report pages and CSV downloads: what they show, who may open them, and how many queries they run."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from lectern.courses.models import Visibility
from lectern.extensions import db
from lectern.platform.models import Role
from tests.reports.conftest import World


def as_user(app: Any, user: Any) -> Any:
    """A fresh client signed in as `user` (a signed-in client is sent away from the login form)."""
    client = app.test_client()
    client.login(user.username)
    return client


def page(client: Any, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return str(response.get_data(as_text=True))


def read_csv(response: Any) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert response.headers["Cache-Control"] == "private, no-store"  # grades and names: personal data
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads Cyrillic right
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def svg(html: str, chart_id: str) -> str:
    match = re.search(rf'<svg[^>]*id="{chart_id}".*?</svg>', html, re.S)
    assert match, chart_id
    return match.group(0)


# --- what the pages show ------------------------------------------------------------------------------------------


def test_course_report_page(client: Any, world: World) -> None:
    client.login(world.teacher.username)
    html = page(client, f"/reports/courses/{world.course.id}")
    for name in ("Асанов", "Berdiev", "Dzhumaev", "Forged stamps", "Live now", "Passports", "Visas"):
        assert name in html
    assert "Eshmatov" not in html and "Called off" not in html and "Later" not in html
    assert "not attempted" in html
    assert "33.3%" in html  # the completion rate
    assert "68.75%" not in html and "68.8%" in html  # the average grade, to one decimal

    completion = svg(html, "completion-chart")
    assert "Completed: 1 (33%)" in completion and "In progress: 1 (33%)" in completion
    assert "Not started: 1 (33%)" in completion
    assert completion.count('<rect class="part"') == 3  # one part each

    quizzes = svg(html, "quiz-chart")
    assert quizzes.count('class="bar"') == 2
    assert 'width="210.0"' in quizzes  # 75 % of the 280 pixels of a full bar
    assert "75% (2 graded)" in quizzes and "75% (1 graded)" in quizzes

    lectures = svg(html, "attendance-chart")
    assert "33 min, 2 of 3 present" in lectures and "20 min, 1 of 3 present" in lectures
    assert 'width="101.1"' in lectures  # 32.5 minutes on the scale of the longest lecture, 90: 280 * 32.5 / 90
    # No inline styles or scripts sneak in with the charts.
    assert " style=" not in html and "<script>" not in html


def test_course_report_cohort_filter(client: Any, world: World) -> None:
    client.login(world.teacher.username)
    html = page(client, f"/reports/courses/{world.course.id}?cohort={world.cohort.id}")
    assert "Асанов" in html and "Berdiev" in html and "Dzhumaev" not in html
    assert f'<option value="{world.cohort.id}" selected>' in html
    assert f'<option value="{world.other_cohort.id}">' in html
    assert f"/reports/courses/{world.course.id}.csv?cohort={world.cohort.id}" in html
    # Another academy's cohort, a cohort with nobody in the course, or nonsense: every cadet, no error.
    elsewhere = world.make.cohort(world.other_academy, "Far away", [world.make.user(Role.CADET, world.other_academy)])
    for value in (str(elsewhere.id), "abc", "-1", "99999999999"):
        html = page(client, f"/reports/courses/{world.course.id}?cohort={value}")
        assert "Dzhumaev" in html and "Асанов" in html
        assert "Far away" not in html


def test_course_report_csv(client: Any, world: World) -> None:
    trap = world.make.user(Role.CADET, world.academy, last_name='=HYPERLINK("http://x")', first_name="@SUM(A1)")
    world.make.enrol(world.course.id, trap.id)
    client.login(world.teacher.username)
    rows = read_csv(client.get(f"/reports/courses/{world.course.id}.csv"))
    header = rows[0]
    assert header[:9] == [
        "username",
        "last_name",
        "first_name",
        "cohorts",
        "status",
        "done",
        "total",
        "progress_percent",
        "completed_at",
    ]
    assert header[9:12] == ["Passports (%)", "Visas (%)", "quiz_average"]
    assert header[12].startswith("Forged stamps ") and header[12].endswith(" (min)")
    assert header[13].startswith("Live now ") and header[14] == "attendance_minutes"
    by_user = {r[0]: r for r in rows[1:]}
    assert len(by_user) == 4
    asanov = by_user[world.asanov.username]
    assert asanov[1:5] == ["Асанов", "Бакыт", "Бишкек-2026", "completed"]
    assert asanov[5:8] == ["4", "4", "100"] and asanov[8]  # completed at
    assert asanov[9:] == ["100", "75", "87.5", "50", "20", "70"]
    berdiev, dzhumaev = by_user[world.berdiev.username], by_user[world.dzhumaev.username]
    assert berdiev[4:] == ["in_progress", "2", "4", "50", "", "50", "", "50", "15", "0", "15"]
    assert dzhumaev[3:] == ["Intake B", "not_started", "0", "4", "0", "", "", "", "", "0", "0", "0"]
    assert by_user[trap.username][1:3] == ['\'=HYPERLINK("http://x")', "'@SUM(A1)"]  # shown, never run

    only = read_csv(client.get(f"/reports/courses/{world.course.id}.csv?cohort={world.cohort.id}"))
    assert {r[0] for r in only[1:]} == {world.asanov.username, world.berdiev.username}


def test_csv_guards_titles_too(client: Any, world: World, app: Any) -> None:
    bank = world.make.bank(world.course.id, "::Q:: Yes? {T}", category="Top/Other")
    quiz_id = world.make.quiz(world.course.id, bank, title="=1+1").id
    world.make.attempt(quiz_id, world.asanov.id, [False])
    client.login(world.teacher.username)
    assert "'=1+1 (%)" in read_csv(client.get(f"/reports/courses/{world.course.id}.csv"))[0]


def test_cohort_report_page_and_csv(client: Any, world: World) -> None:
    admin = world.make.user(Role.ACADEMY_ADMIN, world.academy)
    client.login(admin.username)
    html = page(client, f"/reports/cohorts/{world.cohort.id}")
    for text in ("Бишкек-2026", "Асанов", "Berdiev", "Eshmatov", "Border law", "Document security", "not enrolled"):
        assert text in html
    assert "Dzhumaev" not in html
    completion = svg(html, "completion-chart")
    assert completion.count('class="bar"') == 2 and "50% (1/2)" in completion
    assert 'width="140.0"' in completion
    grades = svg(html, "grade-chart")
    assert "68.8%" in grades and 'class="bar empty"' in grades  # Border law has no quiz
    assert f"/reports/courses/{world.course.id}?cohort={world.cohort.id}" in html

    rows = read_csv(client.get(f"/reports/cohorts/{world.cohort.id}.csv"))
    assert rows[0] == [
        "username",
        "last_name",
        "first_name",
        "course",
        "cohort_course",
        "enrolled",
        "status",
        "progress_percent",
        "completed_at",
        "quiz_average",
        "attendance_minutes",
    ]
    cells = {(r[0], r[3]): r[4:] for r in rows[1:]}
    assert len(cells) == 6  # three members by two courses
    assert cells[(world.asanov.username, "Document security")][:3] == ["yes", "yes", "completed"]
    assert cells[(world.asanov.username, "Document security")][5:] == ["87.5", "70"]
    assert cells[(world.berdiev.username, "Border law")] == ["yes", "no", "", "", "", "", ""]
    assert cells[(world.berdiev.username, "Document security")] == ["yes", "yes", "in_progress", "50", "", "50", "15"]
    assert cells[(world.eshmatov.username, "Border law")][:4] == ["yes", "yes", "completed", "100"]
    assert next(r for r in rows if r[0] == world.asanov.username)[1:3] == ["Асанов", "Бакыт"]


def test_cohort_report_course_choice(client: Any, world: World) -> None:
    shared = world.make.course(world.other_academy.id, title="Anti-smuggling (shared)")
    world.make.enrol(shared.id, world.berdiev.id)
    admin = world.make.user(Role.ACADEMY_ADMIN, world.academy)
    client.login(admin.username)
    html = page(client, f"/reports/cohorts/{world.cohort.id}")
    assert "Anti-smuggling (shared)" in html and "members only" in html and "Bishkek" in html
    # Another academy's course is named but not linked: its report would be a 404 for this administrator.
    assert f"/reports/courses/{shared.id}" not in html
    assert client.get(f"/reports/courses/{shared.id}").status_code == 404
    assert f"/reports/courses/{world.course.id}?cohort={world.cohort.id}" in html
    html = page(client, f"/reports/cohorts/{world.cohort.id}?courses=cohort")
    assert "Anti-smuggling" not in html and "Document security" in html
    assert '<option value="cohort" selected>' in html
    assert f"/reports/cohorts/{world.cohort.id}.csv?courses=cohort" in html
    every = read_csv(client.get(f"/reports/cohorts/{world.cohort.id}.csv"))
    assert {(r[3], r[4]) for r in every[1:]} == {
        ("Anti-smuggling (shared)", "no"),
        ("Border law", "yes"),
        ("Document security", "yes"),
    }
    only = read_csv(client.get(f"/reports/cohorts/{world.cohort.id}.csv?courses=cohort"))
    assert {r[3] for r in only[1:]} == {"Border law", "Document security"}


def test_cohort_page_links_its_report(client: Any, world: World) -> None:
    admin = world.make.user(Role.ACADEMY_ADMIN, world.academy)
    client.login(admin.username)
    html = page(client, f"/admin/cohorts/{world.cohort.id}")
    assert f'href="/reports/cohorts/{world.cohort.id}"' in html


def test_index_lists_what_each_may_report_on(client: Any, world: World, app: Any) -> None:
    elsewhere = world.make.course(world.other_academy.id, title="Foreign course")
    client.login(world.teacher.username)
    html = page(client, "/reports/")
    assert "Document security" in html and "Border law" not in html and "Foreign course" not in html
    assert "/reports/cohorts/" not in html

    admin = world.make.user(Role.ACADEMY_ADMIN, world.academy)
    html = page(as_user(app, admin), "/reports/")
    assert "Document security" in html and "Border law" in html and "Foreign course" not in html
    assert f"/reports/cohorts/{world.cohort.id}" in html and "Elsewhere" not in html

    chief = world.make.user(Role.GLOBAL_ADMIN, world.other_academy)
    html = page(as_user(app, chief), "/reports/")
    assert "Foreign course" in html and "Document security" in html and "Elsewhere" in html
    assert f"/reports/courses/{elsewhere.id}" in html


def test_header_link_and_course_panel(client: Any, world: World, app: Any) -> None:
    client.login(world.teacher.username)
    course_page = page(client, f"/courses/{world.course.id}")
    assert 'href="/reports/"' in course_page
    assert f'href="/reports/courses/{world.course.id}"' in course_page
    course_page = page(as_user(app, world.asanov), f"/courses/{world.course.id}")
    assert 'href="/reports/"' not in course_page and "/reports/courses/" not in course_page


# --- who may open what --------------------------------------------------------------------------------------------


def urls(world: World) -> dict[str, str]:
    return {
        "index": "/reports/",
        "course": f"/reports/courses/{world.course.id}",
        "course_csv": f"/reports/courses/{world.course.id}.csv",
        "cohort": f"/reports/cohorts/{world.cohort.id}",
        "cohort_csv": f"/reports/cohorts/{world.cohort.id}.csv",
    }


# Who, and the status of each of the five pages in the order of `urls`.
CASES = {
    "cadet": (403, 403, 403, 403, 403),
    "lecture hall": (403, 403, 403, 403, 403),
    "the course's instructor": (200, 200, 200, 403, 403),
    "the course's assistant": (200, 200, 200, 403, 403),
    "another instructor": (200, 403, 403, 403, 403),  # the course is in the catalogue: known, not theirs
    "the academy's administrator": (200, 200, 200, 200, 200),
    "another academy's administrator": (200, 404, 404, 404, 404),
    "a global administrator": (200, 200, 200, 200, 200),
}


@pytest.mark.parametrize("who", list(CASES))
def test_who_may_open_each_report(client: Any, world: World, who: str) -> None:
    make = world.make
    user = {
        "cadet": lambda: world.asanov,
        "lecture hall": lambda: make.user(Role.CLASSROOM, world.academy),
        "the course's instructor": lambda: world.teacher,
        "the course's assistant": lambda: _assistant(world),
        "another instructor": lambda: make.user(Role.INSTRUCTOR, world.academy),
        "the academy's administrator": lambda: make.user(Role.ACADEMY_ADMIN, world.academy),
        "another academy's administrator": lambda: make.user(Role.ACADEMY_ADMIN, world.other_academy),
        "a global administrator": lambda: make.user(Role.GLOBAL_ADMIN, world.other_academy),
    }[who]()
    client.login(user.username)
    got = tuple(client.get(url).status_code for url in urls(world).values())
    assert got == CASES[who]


def _assistant(world: World) -> Any:
    # Of the course's academy: course roles go to its instructors and administrators only, and count only for them.
    user = world.make.user(Role.INSTRUCTOR, world.academy)
    world.make.staff(world.course.id, user.id, "assistant")
    return user


def test_an_unlisted_course_is_not_found_for_an_instructor(client: Any, world: World) -> None:
    hidden = world.make.course(world.other_academy.id, visibility=Visibility.DRAFT)
    client.login(world.teacher.username)
    assert client.get(f"/reports/courses/{hidden.id}").status_code == 404
    assert client.get(f"/reports/courses/{hidden.id}.csv").status_code == 404


def test_missing_reports_are_not_found_and_anonymous_users_sign_in(client: Any, world: World) -> None:
    for url in urls(world).values():
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    chief = world.make.user(Role.GLOBAL_ADMIN, world.academy)
    client.login(chief.username)
    for url in ("/reports/courses/999999", "/reports/courses/999999.csv", "/reports/cohorts/999999"):
        assert client.get(url).status_code == 404
    assert client.get("/reports/cohorts/999999.csv").status_code == 404


# --- queries ------------------------------------------------------------------------------------------------------


@contextmanager
def counting(app: Any) -> Iterator[list[str]]:
    statements: list[str] = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def test_query_count_does_not_grow_with_cadets(client: Any, world: World, app: Any) -> None:
    admin = world.make.user(Role.ACADEMY_ADMIN, world.academy)
    client.login(admin.username)
    pages = [
        f"/reports/courses/{world.course.id}",
        f"/reports/courses/{world.course.id}?cohort={world.cohort.id}",
        f"/reports/courses/{world.course.id}.csv",
        f"/reports/cohorts/{world.cohort.id}",
        f"/reports/cohorts/{world.cohort.id}.csv",
        "/reports/",
    ]

    def count() -> list[int]:
        found = []
        for url in pages:
            with counting(app) as statements:
                assert client.get(url).status_code == 200
            found.append(len(statements))
        return found

    few = count()
    for n in range(12):
        world.add_cadet(n, cohort=world.cohort if n % 2 else world.other_cohort)
    assert count() == few
