"""A course's question bank and quizzes in and out of a course package (the rows side of `packages.quizzes`).

Takes a session and plain values; writes inside the import's one transaction and never commits.

Import as a new course creates the bank and the quizzes as the package has them. Import as a new version of a
course depends on whether any cadet has attempted one of its quizzes yet:

- no attempt yet: the bank and the quizzes are replaced by the package's, as if imported afresh (overrides of the
  old quizzes go with them);
- attempts exist: they, their grades, the cadets' passes and overrides all point at the existing quizzes and
  questions, so nothing is deleted. Every existing quiz keeps its settings and slots. A package question is
  matched to the bank question of the same category and name (the n-th of that name to the n-th): when its
  content differs, it becomes that question's new version (old attempts keep the version they were asked in, until
  the instructor regrades them); an unmatched one is added. A package quiz whose title no existing quiz has is added
  with its slots; one whose title exists is left out, since the existing quiz is what the attempts were made in.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from sqlalchemy import delete, exists, select

from lectern.courses.models import Course
from lectern.courses.packages.quizzes import (
    NAME_LENGTH,
    SETTINGS,
    Bank,
    QuizEntry,
    SlotEntry,
    ancestors,
    group_random,
)
from lectern.courses.quizzes.models import (
    Attempt,
    BankQuestion,
    QuestionCategory,
    Quiz,
    QuizOverride,
    QuizPass,
    QuizSlot,
    ReviewWhen,
)
from lectern.courses.quizzes.questions import Question, from_data, to_data
from lectern.extensions import DbSession
from lectern.platform.models import utcnow

DEFAULT_NAME_LENGTH = 80  # a question without a name is named after the start of its text, as the bank does


# --- export ------------------------------------------------------------------------------------------------------


def bank_and_quizzes(session: DbSession, course: Course) -> tuple[Bank | None, list[QuizEntry]]:
    """The course's bank (categories by path, questions category by category, each in the order added) and its
    quizzes with slots pointing at the questions' places in that order."""
    categories = list(
        session.scalars(
            select(QuestionCategory).where(QuestionCategory.course_id == course.id).order_by(QuestionCategory.name)
        )
    )
    rows = list(session.scalars(select(BankQuestion).where(BankQuestion.course_id == course.id)))
    path = {c.id: c.name for c in categories}
    rows.sort(key=lambda q: (path[q.category_id], q.id))
    index = {row.id: n for n, row in enumerate(rows)}
    bank = Bank(
        [c.name for c in categories],
        [replace(from_data(row.data), name=row.name, category=path[row.category_id]) for row in rows],
    )
    quizzes = []
    for quiz in session.scalars(select(Quiz).where(Quiz.course_id == course.id).order_by(Quiz.id)):
        entry = QuizEntry(quiz.title)
        for name in SETTINGS:
            value = getattr(quiz, name)
            setattr(entry, name, value.value if isinstance(value, ReviewWhen) else value)
        entry.slots = group_random(
            [
                SlotEntry(slot.mark, question=index[slot.question_id])
                if slot.question_id is not None
                else SlotEntry(slot.mark, category=path.get(slot.category_id or 0, "Top"))
                for slot in quiz.slots
            ]
        )
        quizzes.append(entry)
    return (bank if categories or rows else None), quizzes


# --- import ------------------------------------------------------------------------------------------------------


def has_attempts(session: DbSession, course: Course) -> bool:
    return bool(session.scalar(select(exists().where(Attempt.quiz_id == Quiz.id, Quiz.course_id == course.id))))


def import_quizzes(session: DbSession, course: Course, bank: Bank | None, quizzes: list[QuizEntry]) -> None:
    """Write the package's bank and quizzes into `course` (see the module's docstring for a new version)."""
    if bank is None and not quizzes:
        return
    bank = bank or Bank()
    if course.id is not None and has_attempts(session, course):
        _merge(session, course, bank, quizzes)
        return
    _clear(session, course)
    categories = _categories(session, course, bank, quizzes)
    rows = [_new_question(course, categories[q.category], q) for q in bank.questions]
    session.add_all(rows)
    session.flush()
    for entry in quizzes:
        _add_quiz(session, course, entry, rows, categories)
    session.flush()


def _clear(session: DbSession, course: Course) -> None:
    quiz_ids = select(Quiz.id).where(Quiz.course_id == course.id).scalar_subquery()
    session.execute(delete(QuizSlot).where(QuizSlot.quiz_id.in_(quiz_ids)))
    session.execute(delete(QuizOverride).where(QuizOverride.quiz_id.in_(quiz_ids)))
    session.execute(delete(QuizPass).where(QuizPass.quiz_id.in_(quiz_ids)))
    session.execute(delete(Quiz).where(Quiz.course_id == course.id))
    session.execute(delete(BankQuestion).where(BankQuestion.course_id == course.id))
    session.execute(delete(QuestionCategory).where(QuestionCategory.course_id == course.id))
    session.expire_all()  # nothing loaded may still point at the deleted rows


def _categories(
    session: DbSession, course: Course, bank: Bank, quizzes: list[QuizEntry]
) -> dict[str, QuestionCategory]:
    """Every category the bank and the random slots name, with their parents; existing ones are reused."""
    wanted = [*bank.categories, *(q.category for q in bank.questions)]
    wanted += [s.category for quiz in quizzes for s in quiz.slots if s.category is not None]
    paths = list(dict.fromkeys(a for path in wanted for a in ancestors(path)))
    found = {
        c.name: c for c in session.scalars(select(QuestionCategory).where(QuestionCategory.course_id == course.id))
    }
    for path in paths:
        if path not in found:
            found[path] = QuestionCategory(course_id=course.id, name=path)
            session.add(found[path])
    session.flush()
    return found


def _name(question: Question) -> str:
    name = question.name.strip() or " ".join(question.text.split())[:DEFAULT_NAME_LENGTH] or "-"
    return name[:NAME_LENGTH]


def _new_question(course: Course, category: QuestionCategory, question: Question) -> BankQuestion:
    question = replace(question, name=_name(question), category=category.name)
    return BankQuestion(
        course_id=course.id,
        category_id=category.id,
        name=question.name,
        type=question.type,
        data=to_data(question),
        version=1,
    )


def _add_quiz(
    session: DbSession,
    course: Course,
    entry: QuizEntry,
    rows: list[BankQuestion],
    categories: dict[str, QuestionCategory],
) -> Quiz:
    quiz = Quiz(course_id=course.id)
    for name in SETTINGS:
        value = getattr(entry, name)
        setattr(quiz, name, ReviewWhen(value) if name.startswith("review_") else value)
    slots: list[QuizSlot] = []
    for slot in entry.slots:
        for _ in range(slot.count if slot.question is None else 1):
            item = QuizSlot(position=len(slots), mark=slot.mark)
            if slot.question is not None:
                item.question_id = rows[slot.question].id
            else:
                item.category_id = categories[slot.category or "Top"].id
            slots.append(item)
    quiz.slots = slots
    session.add(quiz)
    return quiz


def _content(data: dict[str, object]) -> dict[str, object]:
    """What a question asks, without where the bank files it (its category and name are matched separately)."""
    return {key: value for key, value in to_data(from_data(data)).items() if key not in ("category", "name")}


def _merge(session: DbSession, course: Course, bank: Bank, quizzes: list[QuizEntry]) -> None:
    categories = _categories(session, course, bank, quizzes)
    by_place: defaultdict[tuple[int, str], list[BankQuestion]] = defaultdict(list)
    for row in session.scalars(
        select(BankQuestion).where(BankQuestion.course_id == course.id).order_by(BankQuestion.id)
    ):
        by_place[row.category_id, row.name].append(row)
    rows: list[BankQuestion] = []
    now = utcnow()
    for question in bank.questions:
        category = categories[question.category]
        new = _new_question(course, category, question)
        matches = by_place[category.id, new.name]
        if matches:
            row = matches.pop(0)
            if _content(row.data) != _content(new.data):
                row.data, row.type, row.version, row.updated_at = new.data, new.type, row.version + 1, now
        else:
            row = new
            session.add(row)
        rows.append(row)
    session.flush()
    titles = set(session.scalars(select(Quiz.title).where(Quiz.course_id == course.id)))
    for entry in quizzes:
        if entry.title not in titles:
            _add_quiz(session, course, entry, rows, categories)
    session.flush()
