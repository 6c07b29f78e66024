"""Reading Moodle XML question files (Moodle's qformat_xml). Pure: no Flask. The writer is `to_moodle_xml`.

A file is ``<quiz>`` holding ``<question type="...">`` elements: multichoice (``<single>`` true or false),
truefalse, shortanswer, numerical, matching, essay and description questions, and ``type="category"``
pseudo-questions whose path (``$course$/top/Border control``) applies to the questions after them. Other types
(cloze, calculated, drag and drop...) are reported and skipped; the rest still import.

Safety: input over MAX_BYTES is refused, and the XML is read by defusedxml with DTDs forbidden (entity
declarations, the "billion laughs" and external entities, live there; a ``<!DOCTYPE html>`` inside a question's
CDATA is harmless text). The parser reads the encoding from the BOM or the XML declaration (UTF-8, UTF-16 and the
single-byte code pages); it reads the file incrementally, each question dropped once read, so a bank of thousands
of questions takes little more memory than its questions.

A file that is not XML at all raises QuizFormatError naming the line and column; a question with a problem is
reported as a Problem naming its element (``question[3] (multichoice 'Passport')``) and skipped. Texts lose
surrounding whitespace, as in Moodle, unless their ``<text>`` says ``xml:space="preserve"``.
"""

from __future__ import annotations

import io
import math
import re
import xml.etree.ElementTree as ET  # for its tree and errors: the parser is defusedxml's
from contextvars import ContextVar
from dataclasses import replace
from decimal import Context, Decimal
from typing import IO
from xml.parsers import expat  # for its error messages

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, iterparse

from lectern.courses.quizzes.formats.moodle_xml_export import (
    FORMAT_NAMES,
    RANGE,
    WHITESPACE,
    XML_SPACE,
    to_moodle_xml,
)
from lectern.courses.quizzes.formats.moodle_xml_files import EmbedError, embed
from lectern.courses.quizzes.questions import (
    Choice,
    EmbeddedFile,
    ImportResult,
    NumericAnswer,
    Pair,
    Problem,
    Question,
    QuestionType,
    QuizFormatError,
    TextAnswer,
)

__all__ = ["MAX_BYTES", "parse_moodle_xml", "to_moodle_xml"]

MAX_BYTES = 64 * 1024 * 1024  # a bank of 5,000 questions with feedback is a few MB; images add more
FORMATS = {moodle: ours for ours, moodle in FORMAT_NAMES.items()}
# Moodle question types we do not import: reported as unsupported rather than unknown.
UNSUPPORTED = {
    "cloze", "multianswer", "calculated", "calculatedsimple", "calculatedmulti", "ddwtos", "gapselect",
    "ddimageortext", "ddmarker", "randomsamatch", "random", "ordering", "gapfill", "multichoiceset",
}  # fmt: skip

_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_CONTEXT = re.compile(r"\$[a-z0-9]+\$(?:/|$)")
_SURROGATE = re.compile("[\ud800-\udfff]")
_DECIMAL = Context(prec=60, traps=[])  # exact for every fraction we write; never raises on odd input


class _Invalid(Exception):
    """What is wrong with one question: it is skipped and reported."""


def parse_moodle_xml(data: bytes | str | IO[bytes]) -> ImportResult:
    """Read a Moodle XML file (bytes as uploaded, a binary file, or text) into questions and the problems of those
    that failed.

    Raises QuizFormatError when the file cannot be read at all: too large, an encoding the parser does not know, a
    DTD, malformed XML (with the parser's line and column), or a root element other than ``<quiz>``.
    """
    parser = DefusedXMLParser(target=ET.TreeBuilder(), forbid_dtd=True)
    result = ImportResult()
    token = _FILES.set(result.files)
    try:
        _read(_Capped(_source(data)), parser, result)
    except DefusedXmlException:
        line = parser.parser.CurrentLineNumber
        raise QuizFormatError(
            [Problem(f"line {line}", "DTDs and entity declarations (<!DOCTYPE) are refused")]
        ) from None
    except ET.ParseError as error:
        line, column = error.position
        reason = expat.errors.messages.get(error.code, "not well-formed")
        if error.code in _ENCODING_ERRORS:
            raise QuizFormatError([Problem(f"line {line}", _UNSUPPORTED_ENCODING)]) from None
        raise QuizFormatError([Problem(f"line {line}, column {column + 1}", f"malformed XML: {reason}")]) from None
    except (LookupError, ValueError):  # an encoding Python does not know, or a multi-byte one that expat refuses
        raise QuizFormatError([Problem("line 1", _UNSUPPORTED_ENCODING)]) from None
    finally:
        _FILES.reset(token)
    if not result.questions and not result.problems:
        result.problems.append(Problem("quiz", "the file has no questions"))
    return result


_UNSUPPORTED_ENCODING = "the file's encoding is not supported; save the file as UTF-8"
_ENCODING_ERRORS = {expat.errors.codes[expat.errors.XML_ERROR_UNKNOWN_ENCODING],
                    expat.errors.codes[expat.errors.XML_ERROR_INCORRECT_ENCODING]}  # fmt: skip


def _read(source: _Capped, parser: DefusedXMLParser, result: ImportResult) -> None:
    """Parse incrementally: each <question> is read when it ends, then dropped from the tree."""
    root: ET.Element | None = None
    depth, index, category = 0, 0, ""
    for event, element in iterparse(source, ("start", "end"), parser=parser):
        if event == "start":
            depth += 1
            if root is None:
                root = element
                if root.tag != "quiz":
                    raise QuizFormatError([Problem("file", f"the root element is <{_clip(root.tag)}>, not <quiz>")])
            continue
        depth -= 1
        if depth != 1 or root is None:
            continue
        if element.tag == "question":
            index += 1
            kind = element.get("type", "")
            try:
                if kind == "category":
                    category = _category(element)
                else:
                    result.add(_question(element, kind, category), _label(element, index, kind))
            except _Invalid as invalid:
                result.problems.append(Problem(_label(element, index, kind), str(invalid)))
        root.clear()  # what is read is dropped: memory stays flat however many questions follow


def _source(data: bytes | str | IO[bytes]) -> IO[bytes] | IO[str]:
    if isinstance(data, bytes):
        return io.BytesIO(data)
    if isinstance(data, str):
        if surrogate := _SURROGATE.search(data):
            # Only a str built in Python can hold these; they cannot be encoded for the parser.
            line = data.count("\n", 0, surrogate.start()) + 1
            raise QuizFormatError([Problem(f"line {line}", "the text holds an invalid character (a lone surrogate)")])
        return io.StringIO(data.removeprefix("\ufeff"))
    return data


class _Capped:
    """`source`, read at most MAX_BYTES (characters, for text) far: a larger file is refused as it is read."""

    def __init__(self, source: IO[bytes] | IO[str]) -> None:
        self.source, self.count = source, 0

    def read(self, size: int = -1) -> bytes | str:
        chunk = self.source.read(size)
        self.count += len(chunk)
        if self.count > MAX_BYTES:
            raise QuizFormatError([Problem("file", f"the file is larger than {MAX_BYTES // 2**20} MB")])
        return chunk


def _category(element: ET.Element) -> str:
    """The path of a category pseudo-question, without Moodle's context prefix: "$course$/top/A" gives "Top/A"."""
    path = _text(element.find("category"), "category").strip(WHITESPACE)
    path = _CONTEXT.sub("", path, count=1) if _CONTEXT.match(path) else path
    first, sep, rest = path.partition("/")
    if first == "top":
        first = "Top"
    return first + sep + rest


def _question(element: ET.Element, kind: str, category: str) -> Question:
    if not kind:
        raise _Invalid("the question has no type attribute")
    if kind in UNSUPPORTED:
        raise _Invalid(f"unsupported question type '{kind}'")
    reader = _READERS.get(kind)
    if reader is None:
        raise _Invalid(f"unknown question type '{_clip(kind)}'")

    text_element = element.find("questiontext")
    if text_element is None:
        raise _Invalid("the question has no <questiontext>")
    moodle_format = text_element.get("format", "html").strip()
    if moodle_format not in FORMATS:
        raise _Invalid(f"questiontext format '{_clip(moodle_format)}' is unknown")
    text = _text(text_element, "questiontext", required=True)
    if not text:
        raise _Invalid("the question text is empty")
    default_mark = _number(_child_text(element, "defaultgrade"), "defaultgrade", 1.0)
    if default_mark < 0:
        raise _Invalid(f"defaultgrade '{_clip(_child_text(element, 'defaultgrade') or '')}' is negative")

    common = Question(
        type=QuestionType.DESCRIPTION,
        text=text,
        name=_text(element.find("name"), "name"),
        text_format=FORMATS[moodle_format],
        category=category,
        default_mark=default_mark,
        general_feedback=_text(element.find("generalfeedback"), "generalfeedback"),
        shuffle=_flag(element, "shuffleanswers", True),
        tags=tuple(tag for tag in _tags(element) if tag),
        correct_feedback=_text(element.find("correctfeedback"), "correctfeedback"),
        partial_feedback=_text(element.find("partiallycorrectfeedback"), "partiallycorrectfeedback"),
        incorrect_feedback=_text(element.find("incorrectfeedback"), "incorrectfeedback"),
    )
    return reader(element, common)


def _multichoice(element: ET.Element, q: Question) -> Question:
    answers = element.findall("answer")
    if len(answers) < 2:
        raise _Invalid("a multichoice question needs at least two answers")
    choices = tuple(Choice(*_answer(answer, f"answer[{i}]")) for i, answer in enumerate(answers, start=1))
    single = _flag(element, "single", True)
    return replace(q, type=QuestionType.SINGLE if single else QuestionType.MULTIPLE, choices=choices)


def _truefalse(element: ET.Element, q: Question) -> Question:
    found: dict[str, tuple[float, str]] = {}
    for i, answer in enumerate(element.findall("answer"), start=1):
        text, fraction, feedback = _answer(answer, f"answer[{i}]")
        value = text.strip().lower()
        if value not in ("true", "false") or value in found:
            raise _Invalid("a truefalse question needs one 'true' and one 'false' answer")
        found[value] = (fraction, feedback)
    if len(found) != 2:
        raise _Invalid("a truefalse question needs one 'true' and one 'false' answer")
    # As in Moodle: the statement is true when the 'true' answer earns the full mark.
    correct = found["true"][0] == 1.0
    true_feedback, false_feedback = found["true"][1], found["false"][1]
    return replace(
        q, type=QuestionType.TRUE_FALSE, correct=correct, true_feedback=true_feedback, false_feedback=false_feedback
    )


def _shortanswer(element: ET.Element, q: Question) -> Question:
    answers = tuple(TextAnswer(*_answer(a, f"answer[{i}]")) for i, a in enumerate(element.findall("answer"), 1))
    if not answers:
        raise _Invalid("a shortanswer question has no answers")
    return replace(q, type=QuestionType.SHORT, answers=answers, case_sensitive=_flag(element, "usecase", False))


def _numerical(element: ET.Element, q: Question) -> Question:
    numeric = []
    for i, answer in enumerate(element.findall("answer"), start=1):
        what = f"answer[{i}]"
        text, fraction, feedback = _answer(answer, what)
        low: float | None = None
        high: float | None = None
        if text == "*":
            # Moodle's "any other number" (usually 0%, with feedback): the whole line, as the GIFT reader has it.
            value, tolerance, low, high = 0.0, 0.0, -math.inf, math.inf
        else:
            value = _number(text, f"{what} value", None)
            tolerance = _number(_child_text(answer, "tolerance"), f"{what} tolerance", 0.0)
        if tolerance < 0:
            raise _Invalid(f"{what} tolerance must not be negative")
        span = answer.find(RANGE)
        if span is not None:
            low = _number(span.get("low"), f"{what} range low", None, infinite=True)
            high = _number(span.get("high"), f"{what} range high", None, infinite=True)
            if low > high:
                raise _Invalid(f"{what} range low is above high")
            value = _number(span.get("value"), f"{what} range value", value)
            tolerance = _number(span.get("tolerance"), f"{what} range tolerance", tolerance)
        numeric.append(NumericAnswer(value, tolerance, fraction, feedback, low, high))
    if not numeric:
        raise _Invalid("a numerical question has no answers")
    return replace(q, type=QuestionType.NUMERICAL, numeric=tuple(numeric))


def _matching(element: ET.Element, q: Question) -> Question:
    pairs = []
    for i, sub in enumerate(element.findall("subquestion"), start=1):
        what = f"subquestion[{i}]"
        left = _text(sub, what)
        answer = sub.find("answer")
        if answer is None:
            raise _Invalid(f"{what} has no <answer>")
        right = _text(answer, f"{what} answer")
        if left or right:  # Moodle skips blank subquestions too
            pairs.append(Pair(left, right))
    if sum(1 for pair in pairs if pair.left) < 2:
        raise _Invalid("a matching question needs at least two subquestions with text")
    return replace(q, type=QuestionType.MATCHING, pairs=tuple(pairs))


def _essay(element: ET.Element, q: Question) -> Question:
    return replace(q, type=QuestionType.ESSAY)


def _description(element: ET.Element, q: Question) -> Question:
    return q


_READERS = {
    "multichoice": _multichoice,
    "truefalse": _truefalse,
    "shortanswer": _shortanswer,
    "numerical": _numerical,
    "matching": _matching,
    "essay": _essay,
    "description": _description,
}


def _answer(answer: ET.Element, what: str) -> tuple[str, float, str]:
    """An <answer>'s text, fraction (Moodle's percent as a share: "50" gives 0.5) and feedback."""
    raw = answer.get("fraction", "0").strip(WHITESPACE)
    percent = _number(raw, f"{what} fraction", 0.0)
    if not -100 <= percent <= 100:
        raise _Invalid(f"{what} fraction '{_clip(raw)}' is outside -100..100")
    # In decimal, so that the percentages we write come back as the very same floats.
    share = float(_DECIMAL.divide(Decimal(raw), 100)) if raw else 0.0
    return _text(answer, what), share, _text(answer.find("feedback"), f"{what} feedback")


def _text(element: ET.Element | None, what: str, *, required: bool = False) -> str:
    """The ``<text>`` child of `element`, trimmed unless it says xml:space="preserve"; "" when absent."""
    child = element.find("text") if element is not None else None
    if child is None:
        if required:
            raise _Invalid(f"{what} has no <text>")
        return ""
    if len(child):
        raise _Invalid(f"{what} text holds the element <{_clip(child[0].tag)}>; write HTML escaped or as CDATA")
    value = child.text or ""
    value = value if child.get(XML_SPACE) == "preserve" else value.strip(WHITESPACE)
    return _embed(element, value, what) if "@@PLUGINFILE@@" in value else value


# The embedded files of the question being read go here (ImportResult.files), by SHA-256.
_FILES: ContextVar[dict[str, EmbeddedFile]] = ContextVar("embedded_files")


def _embed(element: ET.Element | None, value: str, what: str) -> str:
    try:
        return embed(element.findall("file") if element is not None else [], value, what, _FILES.get())
    except EmbedError as error:
        raise _Invalid(str(error)) from None


def _tags(element: ET.Element) -> list[str]:
    tags = element.find("tags")
    if tags is None:
        return []
    return [_text(tag, f"tag[{i}]") for i, tag in enumerate(tags.findall("tag"), start=1)]


def _child_text(element: ET.Element, tag: str) -> str | None:
    child = element.find(tag)
    return None if child is None else (child.text or "")


def _number(raw: str | None, what: str, default: float | None, *, infinite: bool = False) -> float:
    """A number written the way Moodle writes them; `default` when absent or empty (None: required).
    `infinite` also accepts "inf" and "-inf", which only our range element uses."""
    value = (raw or "").strip(WHITESPACE)
    if not value:
        if default is None:
            raise _Invalid(f"{what} is missing")
        return default
    if infinite and value in ("inf", "-inf"):
        return float(value)
    if not _NUMBER.fullmatch(value):
        raise _Invalid(f"{what} '{_clip(value)}' is not a number")
    result = float(value)
    if not math.isfinite(result):
        raise _Invalid(f"{what} '{_clip(value)}' is too large")
    return result


def _flag(element: ET.Element, tag: str, default: bool) -> bool:
    raw = (_child_text(element, tag) or "").strip(WHITESPACE).lower()
    if not raw:
        return default
    if raw in ("1", "true"):
        return True
    if raw in ("0", "false"):
        return False
    raise _Invalid(f"{tag} '{_clip(raw)}' is not true or false")


def _label(element: ET.Element, index: int, kind: str) -> str:
    """Where a question is, for its problems: ``question[3] (multichoice 'Passport')``; an XPath-like index among
    the <question> elements (categories included), so that it can be found in any editor."""
    if not kind:
        return f"question[{index}]"
    try:
        name = " ".join(_text(element.find("name"), "name").split())
    except _Invalid:
        name = ""  # a name holding markup: its own problem says so
    return f"question[{index}] ({_clip(kind)} '{_clip(name)}')" if name else f"question[{index}] ({_clip(kind)})"


def _clip(value: str, limit: int = 40) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"
