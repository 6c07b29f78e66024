"""What the gradebook says of an unfinished attempt, and the cadet's review of an attempt: one card per question,
showing what the quiz's review options allow (whether correct, marks, specific and general feedback, the right
answer), each option set in the quiz's settings form."""

from __future__ import annotations

import re
from typing import Any

import pytest

from lectern.extensions import db
from lectern.platform.models import Role
from tests.courses.quiz_helpers import make_bank, make_quiz
from tests.courses.test_quiz_grading_views import RIGHT, take


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
    bank = make_bank(app, course.id)
    return {"course": course, "teacher": teacher, "cadet": cadet, "other": other, "bank": bank}


def _cells(page: str, name: str) -> str:
    row = next(r for r in re.findall(r"<tr>(.*?)</tr>", page, re.S) if name in r)
    return re.sub(r"\s+", " ", row)


def test_the_gradebook_says_in_progress_for_an_unfinished_attempt(app: Any, client: Any, world: dict) -> None:
    course = world["course"]
    quiz_id = make_quiz(app, course.id, world["bank"], title="Passports")
    take(app, quiz_id, world["cadet"].id, {0: 0}, finish=False)
    client.login(world["teacher"].username)

    for url in (f"/courses/{course.id}/gradebook", f"/reports/courses/{course.id}"):
        page = client.get(url).get_data(as_text=True)
        row = _cells(page, "Сидоров")
        assert "in progress" in row and '<span class="muted">–</span>' not in row, url
        assert "in progress" not in _cells(page, "Абдуллаев"), url
