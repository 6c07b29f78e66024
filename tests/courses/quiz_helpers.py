"""Building quizzes for tests: a bank from GIFT text, and a quiz over it."""

from __future__ import annotations

from typing import Any

from flask import Flask

from lectern.courses.quizzes.formats.gift import parse_gift
from lectern.courses.quizzes.models import BankQuestion, QuestionCategory, Quiz, QuizSlot
from lectern.courses.quizzes.questions import to_data
from lectern.extensions import db

# One question of each graded type, then an essay; marks 1 each. Correct answers: 4, [a, b], true, Riga,
# 3.14 +- 0.01, (one->1, two->2), any essay.
SAMPLE_GIFT = """::Sum:: 2 + 2 = ? {=4 ~3 ~5}

::Pick:: Which are letters? {~%50%a ~%50%b ~%-100%1}

::Sky:: The sky is blue. {T}

::Capital:: Capital of Latvia? {=Riga =Рига}

::Pi:: Pi to two decimals? {#3.14:0.01}

::Match:: Match the numbers. {=one -> 1 =two -> 2}

::Essay:: Describe a passport check. {}
"""


def make_bank(app: Flask, course_id: int, gift: str = SAMPLE_GIFT, category: str = "Top/Default") -> list[int]:
    """Add the GIFT questions to the course's bank in `category`; their ids in file order."""
    result = parse_gift(gift)
    assert not result.problems, result.problems
    with app.app_context():
        cat = db.session.query(QuestionCategory).filter_by(course_id=course_id, name=category).one_or_none()
        if cat is None:
            cat = QuestionCategory(course_id=course_id, name=category)
            db.session.add(cat)
            db.session.flush()
        rows = [
            BankQuestion(course_id=course_id, category_id=cat.id, name=q.name, type=q.type, data=to_data(q))
            for q in result.questions
        ]
        db.session.add_all(rows)
        db.session.commit()
        return [r.id for r in rows]


def make_quiz(app: Flask, course_id: int, question_ids: list[int], **settings: Any) -> int:
    """A published quiz with one slot (mark 1) per question; `settings` are Quiz columns."""
    with app.app_context():
        values: dict[str, Any] = {"course_id": course_id, "title": "Quiz", "published": True, "shuffle_answers": False}
        values.update(settings)
        quiz = Quiz(**values)
        quiz.slots = [QuizSlot(position=i, question_id=qid, mark=1.0) for i, qid in enumerate(question_ids)]
        db.session.add(quiz)
        db.session.commit()
        return quiz.id
