"""Question files and the bank: reading an uploaded GIFT, Aiken or Moodle XML file into the questions the bank can
store (the rest become problems), and the bank's questions ready to be written as a file. The formats themselves
are quizzes/formats/; the bank, services.py.
"""

from __future__ import annotations

import codecs
from dataclasses import replace
from typing import IO

from lectern.courses.models import Course
from lectern.courses.quizzes.bank import services as bank
from lectern.courses.quizzes.formats.aiken import aiken_answer_line, parse_aiken
from lectern.courses.quizzes.formats.gift import parse_gift
from lectern.courses.quizzes.formats.moodle_xml import parse_moodle_xml
from lectern.courses.quizzes.models import QuestionCategory
from lectern.courses.quizzes.questions import ImportResult, Problem, Question, QuizFormatError
from lectern.domain import Invalid
from lectern.extensions import DbSession
from lectern.texts import N_, on_line

GIFT, AIKEN, XML = "gift", "aiken", "xml"
FORMATS = (GIFT, AIKEN, XML)


def storable(result: ImportResult) -> ImportResult:
    """`result` with the questions the bank cannot store (a category path too long) moved to its problems."""
    kept = ImportResult(problems=list(result.problems), files=result.files)
    for number, question in enumerate(result.questions, 1):
        try:
            bank.check_path(question.category)
        except Invalid:
            where = N_("question %(number)d (%(name)s)", number=number, name=bank.default_name(question)[:40])
            too_long = N_("the category path is longer than %(limit)d characters", limit=bank.PATH_LENGTH)
            kept.problems.append(Problem(where, too_long))
        else:
            kept.questions.append(question)
    return kept


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
        raise QuizFormatError([Problem(on_line(line), N_("the file is not UTF-8 text; save it as UTF-8"))]) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise QuizFormatError([Problem(on_line(line), N_("the file is not text (it contains NUL characters)"))])
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
            aiken = N_("the file reads as Aiken: import it in the Aiken format")
            raise QuizFormatError([Problem(on_line(line), aiken)])
        result = parse_gift(text)
    return storable(result)


def export_questions(session: DbSession, course: Course, category: QuestionCategory | None = None) -> list[Question]:
    """The questions of a category and its subcategories (or of the whole bank), in tree order, as plain data
    ready for `to_gift` or `to_moodle_xml`."""
    found = bank.questions(session, course, category, subcategories=True)
    found.sort(key=lambda q: (bank.sort_key(q.category.name), q.id))
    return [replace(q.question, category=q.category.name) for q in found]
