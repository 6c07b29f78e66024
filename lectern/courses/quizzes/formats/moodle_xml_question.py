"""Reading one ``<question>`` element of a Moodle XML file into a `Question` (moodle_xml.py reads the file and
hands each question here). Pure: no Flask. A question with a problem raises BadQuestion, whose message names what
is wrong; the file's reader reports it with the question's `label` and goes on with the next one.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET  # for its tree: the parser is defusedxml's
from contextvars import ContextVar
from dataclasses import replace
from decimal import Context, Decimal

from lectern.courses.quizzes.formats.moodle_xml_export import FORMAT_NAMES, RANGE, WHITESPACE, XML_SPACE
from lectern.courses.quizzes.formats.moodle_xml_files import EmbedError, embed
from lectern.courses.quizzes.questions import (
    Choice,
    EmbeddedFile,
    NumericAnswer,
    Pair,
    Question,
    QuestionType,
    TextAnswer,
)
from lectern.texts import N_, Text

FORMATS = {moodle: ours for ours, moodle in FORMAT_NAMES.items()}
# Moodle question types we do not import: reported as unsupported rather than unknown.
UNSUPPORTED = {
    "cloze", "multianswer", "calculated", "calculatedsimple", "calculatedmulti", "ddwtos", "gapselect",
    "ddimageortext", "ddmarker", "randomsamatch", "random", "ordering", "gapfill", "multichoiceset",
}  # fmt: skip

_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_CONTEXT = re.compile(r"\$[a-z0-9]+\$(?:/|$)")
_DECIMAL = Context(prec=60, traps=[])  # exact for every fraction we write; never raises on odd input


class BadQuestion(Exception):
    """What is wrong with one question: it is skipped and reported. A problem of a file's content for its author to
    fix, not a refusal of the user's request: the import goes on without the question. The sentence names the
    question's XML elements as the file does (`answer[2] fraction`): those stay as written in every language."""

    def __init__(self, message: Text) -> None:
        super().__init__(str(message))
        self.message = message


_TRUE_AND_FALSE = N_("a truefalse question needs one 'true' and one 'false' answer")


def read_category(element: ET.Element) -> str:
    """The path of a category pseudo-question, without Moodle's context prefix: "$course$/top/A" gives "Top/A"."""
    path = _text(element.find("category"), "category").strip(WHITESPACE)
    path = _CONTEXT.sub("", path, count=1) if _CONTEXT.match(path) else path
    first, sep, rest = path.partition("/")
    if first == "top":
        first = "Top"
    return first + sep + rest


def read_question(element: ET.Element, kind: str, category: str) -> Question:
    """The question of a ``<question type="kind">`` element, filed in `category`; BadQuestion for a problem."""
    if not kind:
        raise BadQuestion(N_("the question has no type attribute"))
    if kind in UNSUPPORTED:
        raise BadQuestion(N_("unsupported question type '%(kind)s'", kind=kind))
    reader = _READERS.get(kind)
    if reader is None:
        raise BadQuestion(N_("unknown question type '%(kind)s'", kind=clip(kind)))

    text_element = element.find("questiontext")
    if text_element is None:
        raise BadQuestion(N_("the question has no <questiontext>"))
    moodle_format = text_element.get("format", "html").strip()
    if moodle_format not in FORMATS:
        raise BadQuestion(N_("questiontext format '%(format)s' is unknown", format=clip(moodle_format)))
    text = _text(text_element, "questiontext", required=True)
    if not text:
        raise BadQuestion(N_("the question text is empty"))
    default_mark = _number(_child_text(element, "defaultgrade"), "defaultgrade", 1.0)
    if default_mark < 0:
        raise BadQuestion(
            N_("defaultgrade '%(value)s' is negative", value=clip(_child_text(element, "defaultgrade") or ""))
        )

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
        raise BadQuestion(N_("a multichoice question needs at least two answers"))
    choices = tuple(Choice(*_answer(answer, f"answer[{i}]")) for i, answer in enumerate(answers, start=1))
    single = _flag(element, "single", True)
    return replace(q, type=QuestionType.SINGLE if single else QuestionType.MULTIPLE, choices=choices)


def _truefalse(element: ET.Element, q: Question) -> Question:
    found: dict[str, tuple[float, str]] = {}
    for i, answer in enumerate(element.findall("answer"), start=1):
        text, fraction, feedback = _answer(answer, f"answer[{i}]")
        value = text.strip().lower()
        if value not in ("true", "false") or value in found:
            raise BadQuestion(_TRUE_AND_FALSE)
        found[value] = (fraction, feedback)
    if len(found) != 2:
        raise BadQuestion(_TRUE_AND_FALSE)
    # As in Moodle: the statement is true when the 'true' answer earns the full mark.
    correct = found["true"][0] == 1.0
    true_feedback, false_feedback = found["true"][1], found["false"][1]
    return replace(
        q, type=QuestionType.TRUE_FALSE, correct=correct, true_feedback=true_feedback, false_feedback=false_feedback
    )


def _shortanswer(element: ET.Element, q: Question) -> Question:
    answers = tuple(TextAnswer(*_answer(a, f"answer[{i}]")) for i, a in enumerate(element.findall("answer"), 1))
    if not answers:
        raise BadQuestion(N_("a shortanswer question has no answers"))
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
            raise BadQuestion(N_("%(element)s tolerance must not be negative", element=what))
        span = answer.find(RANGE)
        if span is not None:
            low = _number(span.get("low"), f"{what} range low", None, infinite=True)
            high = _number(span.get("high"), f"{what} range high", None, infinite=True)
            if low > high:
                raise BadQuestion(N_("%(element)s range low is above high", element=what))
            value = _number(span.get("value"), f"{what} range value", value)
            tolerance = _number(span.get("tolerance"), f"{what} range tolerance", tolerance)
        numeric.append(NumericAnswer(value, tolerance, fraction, feedback, low, high))
    if not numeric:
        raise BadQuestion(N_("a numerical question has no answers"))
    return replace(q, type=QuestionType.NUMERICAL, numeric=tuple(numeric))


def _matching(element: ET.Element, q: Question) -> Question:
    pairs = []
    for i, sub in enumerate(element.findall("subquestion"), start=1):
        what = f"subquestion[{i}]"
        left = _text(sub, what)
        answer = sub.find("answer")
        if answer is None:
            raise BadQuestion(N_("%(element)s has no <answer>", element=what))
        right = _text(answer, f"{what} answer")
        if left or right:  # Moodle skips blank subquestions too
            pairs.append(Pair(left, right))
    if sum(1 for pair in pairs if pair.left) < 2:
        raise BadQuestion(N_("a matching question needs at least two subquestions with text"))
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
        raise BadQuestion(N_("%(element)s fraction '%(value)s' is outside -100..100", element=what, value=clip(raw)))
    # In decimal, so that the percentages we write come back as the very same floats.
    share = float(_DECIMAL.divide(Decimal(raw), 100)) if raw else 0.0
    return _text(answer, what), share, _text(answer.find("feedback"), f"{what} feedback")


def _text(element: ET.Element | None, what: str, *, required: bool = False) -> str:
    """The ``<text>`` child of `element`, trimmed unless it says xml:space="preserve"; "" when absent."""
    child = element.find("text") if element is not None else None
    if child is None:
        if required:
            raise BadQuestion(N_("%(element)s has no <text>", element=what))
        return ""
    if len(child):
        raise BadQuestion(
            N_(
                "%(element)s text holds the element <%(tag)s>; write HTML escaped or as CDATA",
                element=what,
                tag=clip(child[0].tag),
            )
        )
    value = child.text or ""
    value = value if child.get(XML_SPACE) == "preserve" else value.strip(WHITESPACE)
    return _embed(element, value, what) if "@@PLUGINFILE@@" in value else value


# The embedded files of the question being read go here (ImportResult.files), by SHA-256.
EMBEDDED_FILES: ContextVar[dict[str, EmbeddedFile]] = ContextVar("embedded_files")


def _embed(element: ET.Element | None, value: str, what: str) -> str:
    try:
        return embed(element.findall("file") if element is not None else [], value, what, EMBEDDED_FILES.get())
    except EmbedError as error:
        raise BadQuestion(error.message) from None


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
            raise BadQuestion(N_("%(element)s is missing", element=what))
        return default
    if infinite and value in ("inf", "-inf"):
        return float(value)
    if not _NUMBER.fullmatch(value):
        raise BadQuestion(N_("%(element)s '%(value)s' is not a number", element=what, value=clip(value)))
    result = float(value)
    if not math.isfinite(result):
        raise BadQuestion(N_("%(element)s '%(value)s' is too large", element=what, value=clip(value)))
    return result


def _flag(element: ET.Element, tag: str, default: bool) -> bool:
    raw = (_child_text(element, tag) or "").strip(WHITESPACE).lower()
    if not raw:
        return default
    if raw in ("1", "true"):
        return True
    if raw in ("0", "false"):
        return False
    raise BadQuestion(N_("%(element)s '%(value)s' is not true or false", element=tag, value=clip(raw)))


def label(element: ET.Element, index: int, kind: str) -> str:
    """Where a question is, for its problems: ``question[3] (multichoice 'Passport')``; an XPath-like index among
    the <question> elements (categories included), so that it can be found in any editor."""
    if not kind:
        return f"question[{index}]"
    try:
        name = " ".join(_text(element.find("name"), "name").split())
    except BadQuestion:
        name = ""  # a name holding markup: its own problem says so
    return f"question[{index}] ({clip(kind)} '{clip(name)}')" if name else f"question[{index}] ({clip(kind)})"


def clip(value: str, limit: int = 40) -> str:
    """`value` cut to `limit` characters (with an ellipsis), to quote what a file holds in a problem."""
    return value if len(value) <= limit else value[: limit - 1] + "…"
