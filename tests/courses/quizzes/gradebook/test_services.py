"""Quiz reports as a service: the gradebook by grading method, its CSV, statistics on a known data set, overrides."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from lectern.courses.models import Course
from lectern.courses.quizzes.attempts import marking
from lectern.courses.quizzes.attempts import services as quiz_attempts
from lectern.courses.quizzes.attempts import settings as attempt_settings
from lectern.courses.quizzes.gradebook import services as quiz_reports
from lectern.courses.quizzes.gradebook.services import GradebookReason
from lectern.courses.quizzes.models import Quiz, QuizOverride
from lectern.domain import NotFound
from lectern.extensions import db
from lectern.platform.models import Role, User, utcnow
from tests.factories import true_or_false

# Four true/false questions, all true: an attempt's score is 25 % per "true".
FOUR = true_or_false(4)
THREE = "\n\n".join(f"::Q{n}:: Statement {n}. {{T}}" for n in range(1, 4))


def right(n: int, of: int = 4) -> list[bool]:
    return [True] * n + [False] * (of - n)


@pytest.fixture
def world(app: Any, make: Any) -> dict[str, Any]:
    academy = make.academy()
    course = make.course(academy.id)
    cadets = [
        make.user(Role.CADET, academy, last_name="Иванов", first_name="Пётр"),
        make.user(Role.CADET, academy, last_name="Abdullaev", first_name="Timur"),
    ]
    for cadet in cadets:
        make.enrol(course.id, cadet.id)
    return {"academy": academy, "course": course, "cadets": cadets, "ids": make.bank(course.id, FOUR)}


def _book(app: Any, course_id: int, **kw: Any) -> quiz_reports.Gradebook:
    with app.app_context():
        return quiz_reports.gradebook(db.session, db.session.get(Course, course_id), **kw)


@pytest.mark.parametrize(
    ("method", "expected", "passed"),
    [("highest", 100.0, True), ("average", 58.3333333, True), ("first", 50.0, True), ("last", 25.0, False)],
)
def test_gradebook_by_each_grading_method(
    app: Any, make: Any, world: dict[str, Any], method: str, expected: float, passed: bool
):
    course, (ivanov, abdullaev) = world["course"], world["cadets"]
    quiz_id = make.quiz(course.id, world["ids"], grading_method=method, pass_percent=50.0).id
    for n in (2, 4, 1):  # 50 %, 100 %, 25 %
        make.attempt(quiz_id, ivanov.id, right(n))
    make.attempt(quiz_id, ivanov.id, right(3), finish=False)  # in progress: counted as an attempt, not as a grade

    book = _book(app, course.id)
    assert [q.id for q in book.quizzes] == [quiz_id]
    assert [r.user.last_name for r in book.rows] == ["Abdullaev", "Иванов"]
    nobody, cell = book.rows[0].cells[0], book.rows[1].cells[0]
    assert nobody == quiz_reports.GradeCell(None, None, 0, False)
    assert cell.percent == pytest.approx(expected)
    assert cell.passed is passed
    assert cell.attempts == 4
    with app.app_context():  # the same figure as the service that records passes
        quiz = db.session.get(Quiz, quiz_id)
        assert marking.quiz_grades(db.session, quiz)[ivanov.id] == pytest.approx(cell.percent)
    assert abdullaev.id not in [r.user.id for r in _book(app, course.id, user_ids=[ivanov.id]).rows]


def test_gradebook_has_every_quiz_and_only_enrolled_cadets(app: Any, make: Any, world: dict[str, Any]) -> None:
    course, (ivanov, _) = world["course"], world["cadets"]
    first = make.quiz(course.id, world["ids"], title="First", pass_percent=None).id
    draft = make.quiz(course.id, world["ids"][:2], title="Draft", published=False).id
    other_course = make.course(world["academy"].id)
    outsider = make.user(Role.CADET, world["academy"])
    make.enrol(other_course.id, outsider.id)
    make.attempt(first, ivanov.id, right(3))

    book = _book(app, course.id)
    assert [q.title for q in book.quizzes] == ["First", "Draft"]
    assert outsider.id not in {r.user.id for r in book.rows}
    row = next(r for r in book.rows if r.user.id == ivanov.id)
    assert row.cells[0] == quiz_reports.GradeCell(75.0, None, 1, False)  # no pass mark: neither pass nor fail
    assert row.cells[1].attempts == 0 and book.quizzes[1].id == draft


def test_gradebook_csv(app: Any, make: Any, world: dict[str, Any]) -> None:
    course, (ivanov, abdullaev) = world["course"], world["cadets"]
    quiz_id = make.quiz(course.id, world["ids"], title="=Final exam", pass_percent=60.0).id
    trap = make.user(Role.CADET, world["academy"], last_name='=HYPERLINK("http://x")', first_name="@SUM(A1)")
    make.enrol(course.id, trap.id)
    make.attempt(quiz_id, ivanov.id, right(3))
    make.attempt(quiz_id, abdullaev.id, right(1))

    data = quiz_reports.gradebook_csv(_book(app, course.id))
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 (Cyrillic) only with the BOM
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == [
        "username",
        "last_name",
        "first_name",
        "'=Final exam (%)",
        "'=Final exam: pass",
        "'=Final exam: attempts",
    ]
    by_name = {r[1]: r for r in rows[1:]}
    assert by_name["Иванов"][2:] == ["Пётр", "75", "pass", "1"]
    assert by_name["Abdullaev"][3:] == ["25", "fail", "1"]
    assert by_name['\'=HYPERLINK("http://x")'][2:] == ["'@SUM(A1)", "", "", "0"]
    assert b"\r\n" in data


# --- statistics ---------------------------------------------------------------------------------------------------

# Four cadets on three true/false questions (1 = right):
#        Q1 Q2 Q3 total
#   A     1  1  1   3
#   B     1  1  0   2
#   C     1  0  0   1
#   D     0  0  1   1
# Facility: Q1 3/4, Q2 2/4, Q3 2/4. Discrimination is the correlation of a question with the rest (total - it):
#   Q1: x = 1 1 1 0, rest = 2 1 0 1: deviations (.25 .25 .25 -.75)(1 0 -1 0), sum of products 0: r = 0
#   Q2: x = 1 1 0 0, rest = 2 1 1 1: sxy = .5, sxx = 1, syy = .75: r = .5 / sqrt(.75) = 0.57735
#   Q3: x = 1 0 0 1, rest = 2 2 1 0: sxy = -.5, sxx = 1, syy = 2.75: r = -.5 / sqrt(2.75) = -0.30151
# Scores 100, 66.67, 33.33, 33.33 %: bands 90-100 once, 60-70 once, 30-40 twice. Mean 58.33 %.
TABLE = [[True, True, True], [True, True, False], [True, False, False], [False, False, True]]
STATS = [("Q1", 0.75, 0.0), ("Q2", 0.5, 0.57735), ("Q3", 0.5, -0.30151)]


def known_quiz(app: Any, make: Any) -> dict[str, Any]:
    academy = make.academy()
    course = make.course(academy.id)
    ids = make.bank(course.id, THREE)
    quiz_id = make.quiz(course.id, ids, title="Known").id
    cadets = []
    for answers in TABLE:
        cadet = make.user(Role.CADET, academy)
        make.enrol(course.id, cadet.id)
        make.attempt(quiz_id, cadet.id, answers)
        cadets.append(cadet)
    late = make.user(Role.CADET, academy)
    make.enrol(course.id, late.id)
    make.attempt(quiz_id, late.id, [False, False, False], finish=False)  # in progress: not counted
    return {"academy": academy, "course": course, "quiz_id": quiz_id, "cadets": cadets}


def test_statistics_on_a_known_data_set(app: Any, make: Any) -> None:
    known = known_quiz(app, make)
    with app.app_context():
        stats = quiz_reports.statistics(db.session, db.session.get(Quiz, known["quiz_id"]))
    assert stats.attempts == 4 and stats.waiting == 0
    assert stats.average == pytest.approx(58.33)
    assert [(q.slot, q.name, q.count) for q in stats.questions] == [(1, "Q1", 4), (2, "Q2", 4), (3, "Q3", 4)]
    for row, (name, facility, discrimination) in zip(stats.questions, STATS, strict=True):
        assert row.name == name
        assert row.facility == pytest.approx(facility)
        assert row.discrimination == pytest.approx(discrimination, abs=1e-5)
    assert stats.distribution == [0, 0, 0, 2, 0, 0, 1, 0, 0, 1]
    assert quiz_reports.band_labels()[0] == "0\u201310" and quiz_reports.band_labels()[-1] == "90\u2013100"


def test_statistics_leave_out_attempts_waiting_for_a_mark(app: Any, make: Any) -> None:
    academy = make.academy()
    course = make.course(academy.id)
    ids = make.bank(course.id, "::Yes:: Yes? {T}\n\n::Essay:: Why? {}")
    quiz_id = make.quiz(course.id, ids).id
    cadet = make.user(Role.CADET, academy)
    make.enrol(course.id, cadet.id)
    now = utcnow()
    with app.app_context():
        quiz, user = db.session.get(Quiz, quiz_id), db.session.get(User, cadet.id)
        attempt = quiz_attempts.start(db.session, quiz, user, now)
        quiz_attempts.save_answer(db.session, attempt.id, user, 1, "Because.", 1, now)
        quiz_attempts.finish(db.session, attempt, now)
        stats = quiz_reports.statistics(db.session, quiz)
        assert (stats.attempts, stats.waiting, stats.questions, stats.average) == (0, 1, [], None)
        marking.grade_by_hand(db.session, attempt.answers[1], 1.0, "", user, now)
        stats = quiz_reports.statistics(db.session, quiz)
        assert (stats.attempts, stats.waiting, stats.average) == (1, 0, 50.0)
        assert [(q.name, q.facility, q.discrimination) for q in stats.questions] == [
            ("Yes", 0.0, None),
            ("Essay", 1.0, None),
        ]


def test_statistics_group_a_random_slot_by_question(app: Any, make: Any) -> None:
    from lectern.courses.quizzes.models import QuestionCategory, QuizSlot

    academy = make.academy()
    course = make.course(academy.id)
    fixed = make.bank(course.id, "::Fixed:: Fixed? {T}")
    make.bank(course.id, "::R1:: One? {T}\n\n::R2:: Two? {T}", category="Top/Pool")
    quiz_id = make.quiz(course.id, fixed).id
    with app.app_context():
        pool = db.session.query(QuestionCategory).filter_by(course_id=course.id, name="Top/Pool").one()
        db.session.add(QuizSlot(quiz_id=quiz_id, position=1, category_id=pool.id, mark=1.0))
        db.session.commit()
    for _ in range(6):
        cadet = make.user(Role.CADET, academy)
        make.enrol(course.id, cadet.id)
        make.attempt(quiz_id, cadet.id, [True, True])
    with app.app_context():
        stats = quiz_reports.statistics(db.session, db.session.get(Quiz, quiz_id))
    assert stats.questions[0].slot == 1 and stats.questions[0].name == "Fixed" and stats.questions[0].count == 6
    drawn = stats.questions[1:]
    assert all(q.slot is None for q in drawn) and sum(q.count for q in drawn) == 6
    assert {q.name for q in drawn} <= {"R1", "R2"}


# --- overrides ----------------------------------------------------------------------------------------------------


def test_overrides_only_for_enrolled_cadets(app: Any, make: Any, world: dict[str, Any]) -> None:
    course, (ivanov, _) = world["course"], world["cadets"]
    quiz_id = make.quiz(course.id, world["ids"], time_limit_minutes=20, attempts_allowed=1).id
    stranger = make.user(Role.CADET, world["academy"])
    with app.app_context():
        quiz = db.session.get(Quiz, quiz_id)
        with pytest.raises(NotFound) as refused:
            quiz_reports.set_override(db.session, quiz, stranger.id, extra_minutes=5, extra_attempts=0, closes_at=None)
        assert refused.value.reason is GradebookReason.NOT_ENROLLED
        quiz_reports.set_override(db.session, quiz, ivanov.id, extra_minutes=10, extra_attempts=2, closes_at=None)
        db.session.commit()
        settings = attempt_settings.settings_for(db.session, quiz, ivanov.id)
        assert settings.time_limit is not None and settings.time_limit.total_seconds() == 30 * 60
        assert settings.attempts_allowed == 3
        assert [o.user_id for o in quiz_reports.overrides_of(db.session, quiz)] == [ivanov.id]
        # An override that changes nothing is no override.
        assert (
            quiz_reports.set_override(db.session, quiz, ivanov.id, extra_minutes=0, extra_attempts=0, closes_at=None)
            is None
        )
        db.session.commit()
        assert db.session.get(QuizOverride, (quiz_id, ivanov.id)) is None
        assert not quiz_reports.delete_override(db.session, quiz, ivanov.id)
