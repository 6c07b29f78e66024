"""The question bank of a course: categories (paths such as "Top/Documents/MRZ"), versioned questions, imports and
exports. Services only: they take a session and plain values, never `request`; the caller commits.

Category paths are normalised so that the same path from GIFT ("top/Documents", or "Documents" with no root) and
from Moodle XML ("Top/Documents") lands in the same category: segments are trimmed, empty ones dropped, and the
first segment is always "Top".
"""

from __future__ import annotations

import codecs
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import IO

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from lectern.courses.access import CourseError, NotFound
from lectern.courses.models import Course
from lectern.courses.quizzes.formats.aiken import aiken_answer_line, parse_aiken
from lectern.courses.quizzes.formats.gift import parse_gift
from lectern.courses.quizzes.formats.moodle_xml import parse_moodle_xml
from lectern.courses.quizzes.models import BankQuestion, QuestionCategory, Quiz, QuizSlot
from lectern.courses.quizzes.questions import (
    CATEGORY_ROOT,
    ImportResult,
    Problem,
    Question,
    QuizFormatError,
    category_path,
    to_data,
)
from lectern.extensions import DbSession

ROOT = CATEGORY_ROOT
normalise_path = category_path  # the bank and the packages spell category paths alike
PATH_LENGTH = 255  # quiz_category.name
NAME_LENGTH = 255  # quiz_question.name
DEFAULT_NAME_LENGTH = 80  # a question without a name is named after the start of its text, as Moodle does


class BankError(CourseError):
    """Base of the question bank's domain errors; the message is for the user (views translate by type)."""


class QuestionInUse(BankError):
    """The question is in a quiz: deleting it would change that quiz."""

    def __init__(self, quizzes: list[str]) -> None:
        super().__init__(", ".join(quizzes))
        self.quizzes = quizzes


class CategoryNotEmpty(BankError):
    """The category still holds questions or subcategories, or a quiz draws random questions from it."""


class BadCategory(BankError):
    """A category path that cannot be stored (too long once normalised)."""


# --- categories ---------------------------------------------------------------------------------------------------


def _ancestors(path: str) -> list[str]:
    """ "Top/A/B" gives ["Top", "Top/A", "Top/A/B"]."""
    segments = path.split("/")
    return ["/".join(segments[: n + 1]) for n in range(len(segments))]


def check_path(path: str) -> str:
    """The normalised path, or BadCategory when it cannot be stored."""
    normal = normalise_path(path) or ROOT
    if len(normal) > PATH_LENGTH:
        raise BadCategory(f"the category path is longer than {PATH_LENGTH} characters")
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
        raise NotFound()
    return category


@dataclass(frozen=True)
class CategoryNode:
    """One line of the category tree: `count` questions in the category itself, `total` with its subcategories."""

    category: QuestionCategory
    depth: int
    label: str
    count: int
    total: int


def _sort_key(name: str) -> tuple[str, ...]:
    return tuple(s.casefold() for s in name.split("/"))


def categories(session: DbSession, course: Course) -> list[QuestionCategory]:
    """The course's categories in tree order."""
    found = session.scalars(select(QuestionCategory).where(QuestionCategory.course_id == course.id)).all()
    return sorted(found, key=lambda c: _sort_key(c.name))


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
        raise CategoryNotEmpty(category.name)
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
        raise NotFound()
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


def storable(result: ImportResult) -> ImportResult:
    """`result` with the questions the bank cannot store (a category path too long) moved to its problems."""
    kept = ImportResult(problems=list(result.problems), files=result.files)
    for number, question in enumerate(result.questions, 1):
        try:
            check_path(question.category)
        except BadCategory as bad:
            kept.problems.append(Problem(f"question {number} ({default_name(question)[:40]})", str(bad)))
        else:
            kept.questions.append(question)
    return kept


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
    """Delete a question that no quiz uses; QuestionInUse otherwise. Attempts keep their copy of it."""
    if using := quizzes_using(session, item):
        raise QuestionInUse(using)
    session.delete(item)
    session.flush()


def move_question(session: DbSession, item: BankQuestion, category: QuestionCategory) -> None:
    """File the question in another category of its course. The content is unchanged, so is its version."""
    if category.course_id != item.course_id:
        raise NotFound()
    item.category_id = category.id
    item.category = category
    item.data = {**item.data, "category": category.name}
    session.flush()


# --- import and export --------------------------------------------------------------------------------------------

GIFT, AIKEN, XML = "gift", "aiken", "xml"
FORMATS = (GIFT, AIKEN, XML)


def guess_format(filename: str, data: bytes) -> str:
    """Moodle XML for .xml; Aiken for a file that reads as Aiken (its files end in .txt, as GIFT's often do); GIFT
    for .gift and .txt; Moodle XML for a file that starts like XML; GIFT otherwise."""
    lower = filename.lower()
    if lower.endswith(".xml"):
        return XML
    if aiken_answer_line(data[:65536].decode("utf-8", "replace")) is not None:  # Aiken's first question is there
        return AIKEN
    if lower.endswith((".gift", ".txt")):
        return GIFT
    head = data[:200].lstrip(codecs.BOM_UTF8).lstrip()
    return XML if head.startswith((b"<?xml", b"<quiz")) else GIFT


def decode(data: bytes) -> str:
    """A GIFT or Aiken file as text: UTF-8 (or UTF-16 with a BOM). Raises QuizFormatError naming the line of the
    first bad byte. (Moodle XML is decoded by its parser, as the file's declaration says.)"""
    encoding = "utf-16" if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig"
    try:
        text = data.decode(encoding).removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise QuizFormatError([Problem(f"line {line}", "the file is not UTF-8 text; save it as UTF-8")]) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise QuizFormatError([Problem(f"line {line}", "the file is not text (it contains NUL characters)")])
    return text


def parse(data: bytes | str | IO[bytes], fmt: str) -> ImportResult:
    """Parse an uploaded file (its bytes, the open file, or its text) in `fmt`, keeping only what the bank can
    store. Moodle XML is read incrementally from an open file. Raises QuizFormatError."""
    if fmt == XML:
        return storable(parse_moodle_xml(data))
    if not isinstance(data, str | bytes):
        data = data.read()
    text = data if isinstance(data, str) else decode(data)
    if fmt == AIKEN:
        result = parse_aiken(text)
    else:
        # Read as GIFT, Aiken becomes description questions showing "ANSWER: B": never import that silently.
        if (line := aiken_answer_line(text)) is not None:
            raise QuizFormatError([Problem(f"line {line}", "the file reads as Aiken: import it in the Aiken format")])
        result = parse_gift(text)
    return storable(result)


def export_questions(session: DbSession, course: Course, category: QuestionCategory | None = None) -> list[Question]:
    """The questions of a category and its subcategories (or of the whole bank), in tree order, as plain data
    ready for `to_gift` or `to_moodle_xml`."""
    found = questions(session, course, category, subcategories=True)
    found.sort(key=lambda q: (_sort_key(q.category.name), q.id))
    return [replace(q.question, category=q.category.name) for q in found]
