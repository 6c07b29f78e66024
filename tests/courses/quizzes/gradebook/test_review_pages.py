"""What the gradebook says of an unfinished attempt, and the cadet's review of an attempt: one card per question,
showing what the quiz's review options allow (whether correct, marks, specific and general feedback, the right
answer), each option set in the quiz's settings form."""

from __future__ import annotations

import re
from typing import Any

import pytest

from lectern.courses.quizzes.models import Quiz, ReviewWhen
from lectern.extensions import db
from lectern.platform.models import Role


@pytest.fixture
def world(app: Any, make: Any) -> dict[str, Any]:
    academy = make.academy()
    course = make.course(academy.id, title="Document checks")
    teacher = make.user(Role.INSTRUCTOR, academy)
    cadet = make.user(Role.CADET, academy, last_name="Сидоров", first_name="Алексей")
    other = make.user(Role.CADET, academy, last_name="Абдуллаев", first_name="Бахтияр")
    make.staff(course.id, teacher.id)
    make.enrol(course.id, cadet.id)
    make.enrol(course.id, other.id)
    bank = make.bank(course.id)
    return {"course": course, "teacher": teacher, "cadet": cadet, "other": other, "bank": bank}


def _cells(page: str, name: str) -> str:
    row = next(r for r in re.findall(r"<tr>(.*?)</tr>", page, re.S) if name in r)
    return re.sub(r"\s+", " ", row)


def test_the_gradebook_says_in_progress_for_an_unfinished_attempt(
    app: Any, make: Any, client: Any, world: dict
) -> None:
    course = world["course"]
    quiz_id = make.quiz(course.id, world["bank"], title="Passports").id
    make.attempt(quiz_id, world["cadet"].id, {0: 0}, finish=False)
    client.login(world["teacher"].username)

    for url in (f"/courses/{course.id}/gradebook", f"/reports/courses/{course.id}"):
        page = client.get(url).get_data(as_text=True)
        row = _cells(page, "Сидоров")
        assert "in progress" in row and '<span class="muted">–</span>' not in row, url
        assert "in progress" not in _cells(page, "Абдуллаев"), url


# Two questions with specific and general feedback; the cadet answers the first wrongly, the second rightly.
FEEDBACK_GIFT = """::Sum:: 2 + 2 = ? {=4#Yes, four. ~3#Count again. ~5#Too many. ####Addition is counting on.}

::Capital:: Capital of Latvia? {=Riga#Right, Riga. ####Riga lies on the Daugava.}
"""
EVERYTHING = ("Count again.", "Addition is counting on.", "Riga lies on the Daugava.", "Mark 0 of 1", "Incorrect")


def _review(make: Any, client: Any, world: dict, **review: str) -> str:
    course = world["course"]
    ids = make.bank(course.id, FEEDBACK_GIFT, category="Top/Feedback")
    settings = {name: ReviewWhen(value) for name, value in review.items()}
    quiz_id = make.quiz(course.id, ids, title="Sums", **settings).id
    attempt_id = make.attempt(quiz_id, world["cadet"].id, {0: 1, 1: "Riga"}).id  # the choices in file order: 3 is 2nd
    client.login(world["cadet"].username)
    return client.get(f"/courses/{course.id}/quizzes/attempts/{attempt_id}/review").get_data(as_text=True)


def _cards(page: str) -> list[str]:
    return re.findall(r'<article class="card review-card[^"]*"(.*?)</article>', page, re.S)


def test_the_review_shows_one_card_per_question_with_what_the_options_allow(app, make, client, world) -> None:
    page = _review(make, client, world)  # the defaults: everything right after the attempt, as in Moodle

    cards = _cards(page)
    assert len(cards) == 2
    sums, capital = cards
    for shown in ("Count again.", "Addition is counting on.", "Mark 0 of 1", "Incorrect"):
        assert shown in sums, shown
    assert re.search(r'class="[^"]*\bright\b[^"]*">.*?4', sums, re.S), "the right choice is not shown"
    assert "Riga lies on the Daugava." in capital and "Right answer:" in capital and "Mark 1 of 1" in capital


@pytest.mark.parametrize(
    ("option", "hides"),
    [
        ("review_correctness", ("Incorrect",)),
        ("review_marks", ("Mark 0 of 1",)),
        ("review_feedback", ("Count again.",)),
        ("review_general_feedback", ("Addition is counting on.", "Riga lies on the Daugava.")),
        ("review_correct", ("Right answer:",)),
    ],
)
def test_each_review_option_hides_its_part(app, make, client, world, option: str, hides: tuple[str, ...]) -> None:
    page = _review(make, client, world, **{option: "never"})

    assert len(_cards(page)) == 2
    for hidden in hides:
        assert hidden not in page, hidden
    for shown in {*EVERYTHING, "Right answer:"} - set(hides):
        assert shown in page, shown


def test_the_settings_form_sets_every_review_option(app, make, client, world) -> None:
    course = world["course"]
    quiz_id = make.quiz(course.id, world["bank"], title="Passports").id
    settings = f"/courses/{course.id}/quizzes/{quiz_id}/settings"
    client.login(world["teacher"].username)
    form = client.get(settings).get_data(as_text=True)
    for label in ("whether each answer is correct", "their marks", "the feedback on their answers"):
        assert label in form
    assert "general feedback" in form and "the right answers" in form

    values = {
        "review_correctness": "after_close",
        "review_marks": "never",
        "review_feedback": "after_close",
        "review_general_feedback": "never",
        "review_correct": "after_attempt",
    }
    saved = client.submit(settings, {"title": "Passports", "grading_method": "highest", **values}, page=settings)

    assert saved.status_code == 302, saved.get_data(as_text=True)
    with app.app_context():
        quiz = db.session.get(Quiz, quiz_id)
        assert {name: getattr(quiz, name).value for name in values} == values
