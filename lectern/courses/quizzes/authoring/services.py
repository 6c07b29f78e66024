"""Building a quiz: its settings, and its questions (slots holding a question of the course's bank, or drawing one
at random from a category). Takes a session and plain values, never the request; the caller commits.

A slot's question and mark apply to attempts started afterwards: an attempt keeps a copy of what it was asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select

from lectern.courses.models import Course
from lectern.courses.quizzes.models import REVIEW_SETTINGS, BankQuestion, QuestionCategory, Quiz, QuizSlot, ReviewWhen
from lectern.domain import NotFound
from lectern.extensions import DbSession


class AuthoringReason(StrEnum):
    """What a quiz's editor asked for that is not there (NotFound)."""

    NO_SLOT = "no_slot"  # no such slot in this quiz
    NOT_IN_BANK = "not_in_bank"  # a question or category of another course's bank (a forged id), or none at all


@dataclass(frozen=True)
class QuizSettings:
    """What the quiz's settings form sets."""

    title: str
    intro: str
    published: bool
    opens_at: datetime | None
    closes_at: datetime | None
    time_limit_minutes: int | None
    attempts_allowed: int  # 0: unlimited
    grading_method: str  # quiz_grading.GRADING_METHODS
    pass_percent: float | None
    required_for_completion: bool
    shuffle_questions: bool
    shuffle_answers: bool
    review: dict[str, ReviewWhen]  # each of REVIEW_SETTINGS


def _apply(quiz: Quiz, settings: QuizSettings) -> None:
    quiz.title, quiz.intro, quiz.published = settings.title, settings.intro, settings.published
    quiz.opens_at, quiz.closes_at = settings.opens_at, settings.closes_at
    quiz.time_limit_minutes, quiz.attempts_allowed = settings.time_limit_minutes, settings.attempts_allowed
    quiz.grading_method, quiz.pass_percent = settings.grading_method, settings.pass_percent
    quiz.required_for_completion = settings.required_for_completion
    quiz.shuffle_questions, quiz.shuffle_answers = settings.shuffle_questions, settings.shuffle_answers
    for name in REVIEW_SETTINGS:
        setattr(quiz, name, settings.review[name])


def create_quiz(session: DbSession, course: Course, settings: QuizSettings) -> Quiz:
    """A new quiz of the course, with no questions yet."""
    quiz = Quiz(course_id=course.id)
    _apply(quiz, settings)
    session.add(quiz)
    session.flush()
    return quiz


def update_quiz(session: DbSession, quiz: Quiz, settings: QuizSettings) -> None:
    _apply(quiz, settings)
    session.flush()


def delete_quiz(session: DbSession, quiz: Quiz) -> None:
    """Delete the quiz with its attempts (the cadets' grades in it go too)."""
    session.delete(quiz)
    session.flush()


# --- questions ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BankView:
    """The course's bank as the quiz's question page offers it."""

    categories: list[QuestionCategory]  # by name
    questions: list[BankQuestion]  # by name
    counts: dict[int, int]  # questions in each category, by its id

    def in_category(self, category_id: int) -> list[BankQuestion]:
        return [q for q in self.questions if q.category_id == category_id]


def bank_view(session: DbSession, course: Course) -> BankView:
    """The course's categories, questions and per-category counts, in three queries."""
    categories = list(
        session.scalars(
            select(QuestionCategory).where(QuestionCategory.course_id == course.id).order_by(QuestionCategory.name)
        )
    )
    questions = list(
        session.scalars(
            select(BankQuestion).where(BankQuestion.course_id == course.id).order_by(BankQuestion.name, BankQuestion.id)
        )
    )
    counts = {
        category_id: count
        for category_id, count in session.execute(
            select(BankQuestion.category_id, func.count(BankQuestion.id))
            .where(BankQuestion.course_id == course.id)
            .group_by(BankQuestion.category_id)
        ).all()
    }
    return BankView(categories, questions, counts)


def categories_of(session: DbSession, course: Course) -> list[QuestionCategory]:
    """The categories a random slot may draw from: the course's."""
    return list(session.scalars(select(QuestionCategory).where(QuestionCategory.course_id == course.id)))


def add_questions(session: DbSession, quiz: Quiz, question_ids: Sequence[int]) -> int:
    """Slots for these questions of the course's bank (mark 1) at the end of the quiz; how many were added.
    NotFound, adding nothing, when one is not in the course's bank."""
    found = set(
        session.scalars(
            select(BankQuestion.id).where(BankQuestion.course_id == quiz.course_id, BankQuestion.id.in_(question_ids))
        )
    )
    if len(found) != len(question_ids):
        raise NotFound(AuthoringReason.NOT_IN_BANK)
    start = len(quiz.slots)
    for offset, question_id in enumerate(question_ids):
        quiz.slots.append(QuizSlot(position=start + offset, question_id=question_id, mark=1.0))
    session.flush()
    return len(found)


def add_random(session: DbSession, quiz: Quiz, category_id: int, count: int) -> int:
    """`count` slots (mark 1) at the end of the quiz, each drawing a question at random from the course's category;
    returns how many questions the category holds (fewer than `count`: attempts get fewer questions)."""
    category = session.get(QuestionCategory, category_id)
    if category is None or category.course_id != quiz.course_id:
        raise NotFound(AuthoringReason.NOT_IN_BANK)
    available = session.scalar(select(func.count(BankQuestion.id)).where(BankQuestion.category_id == category.id))
    start = len(quiz.slots)
    for offset in range(count):
        quiz.slots.append(QuizSlot(position=start + offset, category_id=category.id, mark=1.0))
    session.flush()
    return available or 0


def slot_of(quiz: Quiz, slot_id: int) -> QuizSlot:
    """The quiz's slot; NotFound for another quiz's."""
    slot = next((s for s in quiz.slots if s.id == slot_id), None)
    if slot is None:
        raise NotFound(AuthoringReason.NO_SLOT)
    return slot


def move_slot(session: DbSession, quiz: Quiz, slot: QuizSlot, direction: int) -> None:
    """Swap the slot with the one before (-1) or after (1); nothing at either end."""
    index = quiz.slots.index(slot)
    other = index + direction
    if 0 <= other < len(quiz.slots):
        quiz.slots[index].position, quiz.slots[other].position = other, index
        session.flush()


def remove_slot(session: DbSession, quiz: Quiz, slot: QuizSlot) -> None:
    """Take the slot out of the quiz (its question stays in the bank) and close the gap."""
    quiz.slots.remove(slot)
    for position, kept in enumerate(quiz.slots):
        kept.position = position
    session.flush()


def set_mark(session: DbSession, slot: QuizSlot, mark: float) -> None:
    slot.mark = mark
    session.flush()
