"""The teachers' quiz pages: gradebook and CSV, results, reviewing and marking an attempt, the grading queue,
statistics with its chart, overrides; who may see each, and a constant number of queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from lectern.courses.quizzes.attempts import marking
from lectern.courses.quizzes.models import Attempt, AttemptAnswer, AttemptState, Quiz, QuizOverride, QuizPass
from lectern.extensions import db
from lectern.platform.models import Role, utcnow
from tests.factories import RIGHT as SAMPLE_RIGHT
from tests.statements import count_statements

# SAMPLE_GIFT right answers by position; the essay (6) waits for a mark.
RIGHT: dict[int, Any] = {**SAMPLE_RIGHT, 6: "Проверить фото."}


@pytest.fixture
def world(app: Any, make: Any) -> dict[str, Any]:
    academy, elsewhere = make.academy(), make.academy()
    course = make.course(academy.id, title="Document checks")
    other_course = make.course(academy.id, title="Customs law")
    people = {
        "teacher": make.user(Role.INSTRUCTOR, academy),
        "assistant": make.user(Role.INSTRUCTOR, academy),
        "cadet": make.user(Role.CADET, academy, last_name="Сидоров", first_name="Алексей"),
        "other_teacher": make.user(Role.INSTRUCTOR, academy),
        "admin": make.user(Role.ACADEMY_ADMIN, academy),
        "foreign_admin": make.user(Role.ACADEMY_ADMIN, elsewhere),
    }
    make.staff(course.id, people["teacher"].id)
    make.staff(course.id, people["assistant"].id, "assistant")
    make.staff(other_course.id, people["other_teacher"].id)
    make.enrol(course.id, people["cadet"].id)
    quiz_id = make.quiz(course.id, title="Passports", pass_percent=90.0).id
    other_quiz = make.quiz(other_course.id, title="Tariffs").id
    attempt_id = make.attempt(quiz_id, people["cadet"].id, RIGHT).id
    return {
        **people,
        "course": course,
        "other_course": other_course,
        "quiz_id": quiz_id,
        "other_quiz": other_quiz,
        "attempt_id": attempt_id,
    }


def urls(w: dict[str, Any]) -> dict[str, str]:
    c, q, a = w["course"].id, w["quiz_id"], w["attempt_id"]
    base = f"/courses/{c}/quizzes/{q}"
    return {
        "gradebook": f"/courses/{c}/gradebook",
        "csv": f"/courses/{c}/gradebook.csv",
        "results": f"{base}/results",
        "grade": f"{base}/attempts/{a}/grade",
        "grading": f"{base}/grading",
        "statistics": f"{base}/statistics",
        "overrides": f"{base}/overrides",
    }


def text(response: Any) -> str:
    return response.get_data(as_text=True)


# --- what teachers see --------------------------------------------------------------------------------------------


def test_manual_grading_empties_the_queue_and_changes_grade_and_pass(app: Any, client: Any, world: dict) -> None:
    u = urls(world)
    client.login(world["teacher"].username)
    queue = text(client.get(u["grading"]))
    assert "Проверить фото." in queue and "Describe a passport check." in queue
    row = text(client.get(u["gradebook"])).split("<tbody>")[1]
    assert "Сидоров" in row and ">to mark<" in row and ">pass<" not in row and ">fail<" not in row

    response = client.submit(
        u["grade"], {"position": "6", "mark": "1", "comment": "Хорошо", "back": "queue"}, page=u["grading"]
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(u["grading"])
    assert "Nothing is waiting for a mark." in text(client.get(u["grading"]))
    with app.app_context():
        quiz = db.session.get(Quiz, world["quiz_id"])
        assert marking.quiz_grades(db.session, quiz)[world["cadet"].id] == 100.0
        assert db.session.get(QuizPass, (world["cadet"].id, quiz.id)) is not None
        essay = db.session.get(AttemptAnswer, (world["attempt_id"], 6))
        assert essay.comment == "Хорошо" and essay.graded_by_id == world["teacher"].id
    row = text(client.get(u["gradebook"])).split("<tbody>")[1]
    assert "100%" in row and ">pass<" in row

    # Marked down again: the pass is withdrawn.
    assert client.submit(u["grade"], {"position": "0", "mark": "0"}).status_code == 302
    with app.app_context():
        assert db.session.get(QuizPass, (world["cadet"].id, world["quiz_id"])) is None
    assert ">fail<" in text(client.get(u["gradebook"])).split("<tbody>")[1]


def test_the_attempt_review_shows_question_response_right_answer_and_mark(client: Any, world: dict) -> None:
    u = urls(world)
    client.login(world["teacher"].username)
    page = text(client.get(u["grade"]))
    assert "Сидоров" in page and "Capital of Latvia?" in page
    assert "riga" in page and "<code>Riga</code>" in page  # typed, and the right answer
    assert "3,145" in page and "3.14 ± 0.01" in page
    assert "Mark 1 of 1" in page and "Waiting for a mark" in page
    assert page.count('class="mark-form"') == 7  # every answer may be marked by hand
    assert 'id="answer-6"' in page


@pytest.mark.parametrize(("mark", "ok"), [("0,5", True), ("2", False), ("-1", False), ("half", False)])
def test_a_mark_must_be_a_number_within_the_question(app: Any, client: Any, world: dict, mark: str, ok: bool):
    u = urls(world)
    client.login(world["teacher"].username)
    response = client.submit(u["grade"], {"position": "6", "mark": mark})
    assert response.status_code == (302 if ok else 200)
    if not ok:
        assert 'class="error"' in text(response)
    with app.app_context():
        assert db.session.get(AttemptAnswer, (world["attempt_id"], 6)).mark == (0.5 if ok else None)


def test_a_refused_mark_from_the_queue_is_told_on_the_queue(app: Any, client: Any, world: dict) -> None:
    u = urls(world)
    client.login(world["teacher"].username)
    data = {"position": "6", "mark": "5", "back": "queue"}
    response = client.submit(u["grade"], data, page=u["grading"], follow_redirects=True)
    assert response.request.path == u["grading"]
    assert "The mark was not saved: The mark must be between 0 and 1." in text(response)
    assert "Проверить фото." in text(response)  # still waiting


def test_an_attempt_in_progress_is_not_marked(app: Any, client: Any, make: Any, world: dict) -> None:
    cadet = make.user(Role.CADET)
    make.enrol(world["course"].id, cadet.id)
    attempt_id = make.attempt(world["quiz_id"], cadet.id, {0: 0}, finish=False).id
    url = f"/courses/{world['course'].id}/quizzes/{world['quiz_id']}/attempts/{attempt_id}/grade"
    client.login(world["teacher"].username)
    assert 'class="mark-form"' not in text(client.get(url))
    response = client.submit(url, {"position": "0", "mark": "0"}, page=urls(world)["grade"], follow_redirects=True)
    assert response.status_code == 200 and "still in progress" in text(response)
    with app.app_context():
        assert db.session.get(AttemptAnswer, (attempt_id, 0)).graded_by_id is None


def test_results_list_every_attempt_and_finish_overdue_ones(app: Any, client: Any, make: Any, world: dict) -> None:
    late = make.user(Role.CADET, last_name="Late")
    make.enrol(world["course"].id, late.id)
    attempt_id = make.attempt(world["quiz_id"], late.id, {0: 0}, finish=False).id
    with app.app_context():  # its deadline passed while nobody looked
        attempt = db.session.get(Attempt, attempt_id)
        attempt.deadline = utcnow() - timedelta(hours=1)
        db.session.commit()
    u = urls(world)
    client.login(world["teacher"].username)
    page = text(client.get(u["results"]))
    assert "Сидоров" in page and "Late" in page
    assert f"/attempts/{world['attempt_id']}/grade" in page and f"/attempts/{attempt_id}/grade" in page
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).state is AttemptState.FINISHED


def test_gradebook_csv_download(client: Any, world: dict) -> None:
    client.login(world["teacher"].username)
    response = client.get(urls(world)["csv"])
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "private, no-store"
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    assert "Сидоров,Алексей" in data.decode("utf-8-sig")


def test_statistics_page_draws_the_chart_in_svg(client: Any, world: dict) -> None:
    u = urls(world)
    client.login(world["teacher"].username)
    # The attempt waits for its essay's mark: left out at first.
    page = text(client.get(u["statistics"]))
    assert "<svg" in page and "Left out: answers to mark" in page
    client.submit(u["grade"], {"position": "6", "mark": "1"})
    page = text(client.get(u["statistics"]))
    assert "<svg" in page and page.count('<rect class="bar') == 10
    assert "90–100%: 1 attempt" in page
    assert "Sum" in page and "100%" in page
    assert "<script" not in page.split("<main")[1]


def test_overrides_set_and_remove(app: Any, client: Any, world: dict) -> None:
    u, cadet = urls(world), world["cadet"]
    client.login(world["teacher"].username)
    response = client.submit(u["overrides"], {"user_id": cadet.id, "extra_minutes": "15", "extra_attempts": "1"})
    assert response.status_code == 302
    with app.app_context():
        override = db.session.get(QuizOverride, (world["quiz_id"], cadet.id))
        assert (override.extra_minutes, override.extra_attempts, override.closes_at) == (15, 1, None)
    # Setting it again replaces it; the close is typed in the academy's time (Riga: UTC+2 in January).
    data = {"user_id": cadet.id, "extra_minutes": "0", "closes_at": "2030-01-15T10:00"}
    assert client.submit(u["overrides"], data).status_code == 302
    with app.app_context():
        override = db.session.get(QuizOverride, (world["quiz_id"], cadet.id))
        assert (override.extra_minutes, override.extra_attempts) == (0, 0)
        assert override.closes_at == datetime(2030, 1, 15, 8, 0, tzinfo=UTC)
    page = text(client.get(u["overrides"]))
    assert "Сидоров" in page and "delete_user_id" in page
    # A cadet who is not enrolled is not among the choices.
    response = client.submit(u["overrides"], {"user_id": world["other_teacher"].id, "extra_minutes": "5"})
    assert response.status_code == 200 and 'class="error"' in text(response)
    assert client.submit(u["overrides"], {"delete_user_id": cadet.id, "delete": "1"}).status_code == 302
    with app.app_context():
        assert db.session.scalars(select(QuizOverride)).all() == []


# --- who may see --------------------------------------------------------------------------------------------------

PAGES = ["gradebook", "csv", "results", "grade", "grading", "statistics", "overrides"]


@pytest.mark.parametrize("page", PAGES)
def test_a_cadet_sees_no_teacher_page(client: Any, world: dict, page: str) -> None:
    client.login(world["cadet"].username)
    assert client.get(urls(world)[page]).status_code in (403, 404)
    assert client.post(urls(world)[page], data={}).status_code in (400, 403, 404, 405)


@pytest.mark.parametrize("who", ["other_teacher", "foreign_admin"])
@pytest.mark.parametrize("page", PAGES)
def test_teachers_of_another_course_or_academy_see_nothing(client: Any, world: dict, who: str, page: str) -> None:
    client.login(world[who].username)
    assert client.get(urls(world)[page]).status_code in (403, 404)


@pytest.mark.parametrize("page", PAGES)
def test_the_academy_admin_sees_every_page(client: Any, world: dict, page: str) -> None:
    client.login(world["admin"].username)
    assert client.get(urls(world)[page]).status_code == 200


def test_an_assistant_sees_and_marks_but_sets_no_overrides(app: Any, client: Any, world: dict) -> None:
    u = urls(world)
    client.login(world["assistant"].username)
    for page in ("gradebook", "csv", "results", "grade", "grading", "statistics"):
        assert client.get(u[page]).status_code == 200, page
    assert "Overrides" not in text(client.get(u["results"]))
    assert client.submit(u["grade"], {"position": "6", "mark": "1"}).status_code == 302
    with app.app_context():
        assert db.session.get(AttemptAnswer, (world["attempt_id"], 6)).graded_by_id == world["assistant"].id
    assert client.get(u["overrides"]).status_code == 403
    data = {"user_id": world["cadet"].id, "extra_minutes": "15"}
    assert client.submit(u["overrides"], data, page=u["results"]).status_code == 403


def test_forged_ids_of_another_quiz_or_course_are_not_found(app: Any, client: Any, make: Any, world: dict) -> None:
    c, q = world["course"].id, world["quiz_id"]
    other_c, other_q = world["other_course"].id, world["other_quiz"]
    second_q = make.quiz(c, make.bank(c, "::X:: X? {T}", category="Top/X")).id
    stranger = make.user(Role.CADET)
    make.enrol(other_c, stranger.id)
    foreign_attempt = make.attempt(other_q, stranger.id, {0: 0}).id
    client.login(world["teacher"].username)
    for path in (
        f"/courses/{c}/quizzes/{other_q}/results",  # another course's quiz under this course
        f"/courses/{c}/quizzes/{other_q}/statistics",
        f"/courses/{c}/quizzes/{other_q}/grading",
        f"/courses/{c}/quizzes/{other_q}/overrides",
        f"/courses/{c}/quizzes/{q}/attempts/{foreign_attempt}/grade",  # another course's attempt
        f"/courses/{c}/quizzes/{second_q}/attempts/{world['attempt_id']}/grade",  # this course, another quiz
        f"/courses/{c}/quizzes/999999/results",
        f"/courses/{c}/quizzes/{q}/attempts/999999/grade",
    ):
        assert client.get(path).status_code == 404, path
    response = client.submit(
        f"/courses/{c}/quizzes/{q}/attempts/{foreign_attempt}/grade",
        {"position": "0", "mark": "0"},
        page=urls(world)["grade"],
    )
    assert response.status_code == 404
    response = client.submit(urls(world)["grade"], {"position": "99", "mark": "0"})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(AttemptAnswer, (foreign_attempt, 0)).graded_by_id is None


# --- queries ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["gradebook", "csv", "results"])
def test_reports_run_a_constant_number_of_queries(app: Any, client: Any, make: Any, world: dict, page: str) -> None:
    second = make.quiz(world["course"].id, make.bank(world["course"].id, "::Y:: Y? {T}", category="Top/Y")).id

    def add_cadets(n: int) -> None:
        for _ in range(n):
            cadet = make.user(Role.CADET, make.academy())  # each their own academy: a lazy load would show
            make.enrol(world["course"].id, cadet.id)
            make.attempt(world["quiz_id"], cadet.id, {0: 0, 2: False})
            make.attempt(world["quiz_id"], cadet.id, {0: 1}, finish=False)
            make.attempt(second, cadet.id, {0: True})

    client.login(world["teacher"].username)
    path = urls(world)[page]
    add_cadets(2)
    few = count_statements(app, client, path)
    add_cadets(8)
    assert count_statements(app, client, path) == few


def test_gradebook_narrows_to_a_cohort(client: Any, make: Any, world: dict) -> None:
    course = world["course"]
    other = make.user(Role.CADET, last_name="Омуралиев")
    make.enrol(course.id, other.id)
    home = SimpleNamespace(id=course.academy_id)  # the factory needs only the academy's id
    with_cadet = make.cohort(home, "Intake 2026", members=[world["cadet"]])
    unrelated = make.cohort(make.academy(), "Unrelated intake")
    client.login(world["teacher"].username)
    page = text(client.get(urls(world)["gradebook"]))
    assert "Intake 2026" in page and "Unrelated intake" not in page  # only cohorts with a cadet in the course
    assert "Сидоров" in page and "Омуралиев" in page
    page = text(client.get(f"{urls(world)['gradebook']}?cohort={with_cadet.id}"))
    assert "Сидоров" in page and "Омуралиев" not in page
    csv_text = client.get(f"{urls(world)['csv']}?cohort={with_cadet.id}").get_data().decode("utf-8-sig")
    assert "Сидоров" in csv_text and "Омуралиев" not in csv_text
    # A cohort that is not one of the choices shows everyone.
    page = text(client.get(f"{urls(world)['gradebook']}?cohort={unrelated.id}"))
    assert "Сидоров" in page and "Омуралиев" in page
