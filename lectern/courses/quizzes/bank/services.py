"""The question bank of a course: categories (paths such as "Top/Documents/MRZ"), versioned questions, imports and
exports. Services only: they take a session and plain values, never `request`; the caller commits.

Category paths are normalised so that the same path from GIFT ("top/Documents", or "Documents" with no root) and
from Moodle XML ("Top/Documents") lands in the same category: segments are trimmed, empty ones dropped, and the
first segment is always "Top".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from lectern.courses.models import Course
from lectern.courses.quizzes.models import BankQuestion, QuestionCategory, Quiz, QuizSlot
from lectern.courses.quizzes.questions import (
    CATEGORY_ROOT,
    Question,
    category_path,
    to_data,
)
from lectern.domain import Conflict, Invalid, NotFound
from lectern.extensions import DbSession

ROOT = CATEGORY_ROOT
normalise_path = category_path  # the bank and the packages spell category paths alike
PATH_LENGTH = 255  # quiz_category.name
NAME_LENGTH = 255  # quiz_question.name
DEFAULT_NAME_LENGTH = 80  # a question without a name is named after the start of its text, as Moodle does


# The category a form offers for a bank that has none yet: "Top", made when something is first filed in it.
NEW_TOP = 0


class BankReason(StrEnum):
    """Why the question bank refuses a change, or cannot find what was asked for."""

    NO_QUESTION = "no_question"  # NotFound: no such question in this course's bank (a forged id)
    NO_CATEGORY = "no_category"  # NotFound: no such category in this course's bank
    QUESTION_IN_USE = "question_in_use"  # Conflict: quizzes hold it (param `quizzes`: their titles)
    CATEGORY_NOT_EMPTY = "category_not_empty"  # Conflict: it holds questions or categories, or a quiz draws on it
    PATH_TOO_LONG = "path_too_long"  # Invalid: longer than PATH_LENGTH once normalised (param `limit`)


# --- categories ---------------------------------------------------------------------------------------------------


def _ancestors(path: str) -> list[str]:
    """ "Top/A/B" gives ["Top", "Top/A", "Top/A/B"]."""
    segments = path.split("/")
    return ["/".join(segments[: n + 1]) for n in range(len(segments))]


def check_path(path: str) -> str:
    """The normalised path, or Invalid (PATH_TOO_LONG) when it cannot be stored."""
    normal = normalise_path(path) or ROOT
    if len(normal) > PATH_LENGTH:
        raise Invalid(BankReason.PATH_TOO_LONG, field="name", limit=PATH_LENGTH)
    return normal


def ensure_category(session: DbSession, course: Course, path: str) -> QuestionCategory:
    """The course's category at `path` (normalised; "" is "Top"), created with its parents when missing."""
    normal = check_path(path)
    existing = {
        c.name: c
        for c in session.scalars(
            select(QuestionCategory).where(
                QuestionCategory.course_id == course.id, QuestionCategory.name.in_(_ancestors(normal))
            )
        )
    }
    category = None
    for name in _ancestors(normal):
        category = existing.get(name)
        if category is None:
            category = QuestionCategory(course_id=course.id, name=name)
            session.add(category)
    session.flush()
    assert category is not None
    return category


def category_of(session: DbSession, course: Course, category_id: int) -> QuestionCategory:
    """The category if it belongs to `course`, else NotFound (a forged id from another course)."""
    category = session.get(QuestionCategory, category_id)
    if category is None or category.course_id != course.id:
        raise NotFound(BankReason.NO_CATEGORY)
    return category


def chosen_category(session: DbSession, course: Course, category_id: int) -> QuestionCategory:
    """The category an editor chose in a form to file something in: one of the course's (NotFound for another's),
    or NEW_TOP, which `category_choices` offers for a bank with no category yet, and which is "Top", made now."""
    if category_id == NEW_TOP and not categories(session, course):
        return ensure_category(session, course, ROOT)
    return category_of(session, course, category_id)


def category_choices(session: DbSession, course: Course) -> list[tuple[int, str]]:
    """(id, path) of the categories a form offers, in tree order; a bank that has none yet offers "Top" as NEW_TOP,
    so that showing the form writes nothing (`chosen_category` makes it when the form is sent)."""
    return [(c.id, c.name) for c in categories(session, course)] or [(NEW_TOP, ROOT)]


@dataclass(frozen=True)
class CategoryNode:
    """One line of the category tree: `count` questions in the category itself, `total` with its subcategories."""

    category: QuestionCategory
    depth: int
    label: str
    count: int
    total: int


def sort_key(name: str) -> tuple[str, ...]:
    """How a category path sorts: in tree order, segment by segment, whatever the case."""
    return tuple(s.casefold() for s in name.split("/"))


def categories(session: DbSession, course: Course) -> list[QuestionCategory]:
    """The course's categories in tree order."""
    found = session.scalars(select(QuestionCategory).where(QuestionCategory.course_id == course.id)).all()
    return sorted(found, key=lambda c: sort_key(c.name))


def category_tree(session: DbSession, course: Course) -> list[CategoryNode]:
    """The course's categories in tree order, with their question counts (one query for all the counts)."""
    rows = session.execute(
        select(BankQuestion.category_id, func.count())
        .where(BankQuestion.course_id == course.id)
        .group_by(BankQuestion.category_id)
    )
    counts: dict[int, int] = {category_id: count for category_id, count in rows}
    ordered = categories(session, course)
    totals: Counter[str] = Counter()
    for category in ordered:
        for name in _ancestors(category.name):
            totals[name] += counts.get(category.id, 0)
    return [
        CategoryNode(
            category=c,
            depth=c.name.count("/"),
            label=c.name.rsplit("/", 1)[-1],
            count=counts.get(c.id, 0),
            total=totals[c.name],
        )
        for c in ordered
    ]


def delete_category(session: DbSession, category: QuestionCategory) -> None:
    """Delete an empty category: no questions, no subcategories, no quiz drawing random questions from it."""
    has_questions = session.scalar(select(BankQuestion.id).where(BankQuestion.category_id == category.id).limit(1))
    has_children = session.scalar(
        select(QuestionCategory.id)
        .where(
            QuestionCategory.course_id == category.course_id,
            QuestionCategory.name.startswith(category.name + "/", autoescape=True),
        )
        .limit(1)
    )
    in_quiz = session.scalar(select(QuizSlot.id).where(QuizSlot.category_id == category.id).limit(1))
    if has_questions or has_children or in_quiz:
        raise Conflict(BankReason.CATEGORY_NOT_EMPTY)
    session.delete(category)
    session.flush()


# --- questions ----------------------------------------------------------------------------------------------------


def default_name(question: Question) -> str:
    """The question's name, or the start of its text (one line) when it has none."""
    if question.name.strip():
        return question.name.strip()[:NAME_LENGTH]
    first = " ".join(question.text.split())
    if len(first) > DEFAULT_NAME_LENGTH:
        first = first[: DEFAULT_NAME_LENGTH - 1].rstrip() + "…"
    return first or question.type.value


def _stored(question: Question, category: QuestionCategory) -> Question:
    """The question as the bank keeps it: named, and in the category it is filed in."""
    return replace(question, name=default_name(question), category=category.name)


def question_of(session: DbSession, course: Course, question_id: int) -> BankQuestion:
    """The bank question if it belongs to `course`, else NotFound (a forged id from another course)."""
    found = session.get(BankQuestion, question_id)
    if found is None or found.course_id != course.id:
        raise NotFound(BankReason.NO_QUESTION)
    return found


def questions(
    session: DbSession,
    course: Course,
    category: QuestionCategory | None = None,
    *,
    search: str = "",
    subcategories: bool = False,
) -> list[BankQuestion]:
    """The course's questions, in a category (and its subcategories) or all, whose name or text holds `search`.

    The text is inside the JSON document, which SQLite and PostgreSQL search differently, so the search is done
    here, case-insensitively in every alphabet."""
    query = (
        select(BankQuestion)
        .where(BankQuestion.course_id == course.id)
        .options(selectinload(BankQuestion.category))
        .order_by(BankQuestion.name, BankQuestion.id)
    )
    if category is not None:
        if subcategories:
            query = query.join(QuestionCategory, QuestionCategory.id == BankQuestion.category_id).where(
                (QuestionCategory.id == category.id)
                | QuestionCategory.name.startswith(category.name + "/", autoescape=True)
            )
        else:
            query = query.where(BankQuestion.category_id == category.id)
    found = list(session.scalars(query))
    needle = search.strip().casefold()
    if needle:
        found = [q for q in found if needle in q.name.casefold() or needle in str(q.data.get("text", "")).casefold()]
    return found


def add_questions(
    session: DbSession, course: Course, new: Sequence[Question], default_category: QuestionCategory
) -> list[BankQuestion]:
    """Add imported questions to the bank: each in its own category (created when missing), or in
    `default_category` when it has none. Every category is checked before anything is added, so a bad one
    leaves the session as it was; the caller commits (one transaction per import)."""
    paths = [normalise_path(q.category) for q in new]
    for path in paths:
        if path:
            check_path(path)
    cache: dict[str, QuestionCategory] = {default_category.name: default_category}
    added = []
    for question, path in zip(new, paths, strict=True):
        path = path or default_category.name
        if path not in cache:
            cache[path] = ensure_category(session, course, path)
        category = cache[path]
        stored = _stored(question, category)
        item = BankQuestion(
            course_id=course.id,
            category_id=category.id,
            name=stored.name,
            type=stored.type,
            data=to_data(stored),
            version=1,
        )
        session.add(item)
        added.append(item)
    session.flush()
    return added


def update_question(session: DbSession, item: BankQuestion, new: Question, now: datetime) -> bool:
    """Replace the question's content with `new` (it stays in its category). A change bumps `version`, so the
    attempts asked in the older version can be found and regraded; returns whether anything changed.

    The editor speaks GIFT, which cannot write Moodle's combined feedback: an edit that brings none keeps the
    question's own, so that saving a typo fix does not lose what an import brought."""
    old = item.question
    if not (new.correct_feedback or new.partial_feedback or new.incorrect_feedback):
        new = replace(
            new,
            correct_feedback=old.correct_feedback,
            partial_feedback=old.partial_feedback,
            incorrect_feedback=old.incorrect_feedback,
        )
    stored = _stored(new, item.category)
    data = to_data(stored)
    if data == item.data:
        return False
    item.data = data
    item.name = stored.name
    item.type = stored.type
    item.version += 1
    item.updated_at = now
    session.flush()
    return True


def quizzes_using(session: DbSession, item: BankQuestion) -> list[str]:
    """Titles of the quizzes that have this question in a slot."""
    return list(
        session.scalars(
            select(Quiz.title).join(QuizSlot, QuizSlot.quiz_id == Quiz.id).where(QuizSlot.question_id == item.id)
        ).unique()
    )


def delete_question(session: DbSession, item: BankQuestion) -> None:
    """Delete a question that no quiz uses; Conflict (QUESTION_IN_USE) otherwise. Attempts keep their copy of it."""
    if using := quizzes_using(session, item):
        raise Conflict(BankReason.QUESTION_IN_USE, quizzes=using)
    session.delete(item)
    session.flush()


def move_question(session: DbSession, item: BankQuestion, category: QuestionCategory) -> None:
    """File the question in another category of its course. The content is unchanged, so is its version."""
    if category.course_id != item.course_id:
        raise NotFound(BankReason.NO_CATEGORY)
    item.category_id = category.id
    item.category = category
    item.data = {**item.data, "category": category.name}
    session.flush()
