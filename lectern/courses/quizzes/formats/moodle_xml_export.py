"""Writing questions as Moodle XML, and the vocabulary the reader (`moodle_xml.py`) shares. Pure.

The output is what Moodle's own export looks like (one ``<question>`` per question, a ``type="category"``
pseudo-question wherever the category changes), so Moodle imports it; `parse_moodle_xml` reads it back to equal
questions. Three choices make that round trip exact:

- Surrounding whitespace: readers trim texts, as Moodle does, so a text that starts or ends with whitespace is
  written with ``xml:space="preserve"`` (the XML way of saying "keep it"), which our reader honours. A carriage
  return is written as ``&#13;`` because XML parsers turn a literal one into a line feed.
- Numbers are written in their shortest exact form (``repr``); fractions as percentages computed in decimal, so
  that dividing by 100 on the way back gives the same float.
- A numerical answer with a range [low, high] (which Moodle lacks) is written as the midpoint with a tolerance of
  half the range, which Moodle grades the same, plus a ``<lectern_range>`` element (Moodle ignores unknown
  elements) that keeps the exact low, high, value and tolerance. The range (-inf, inf), which the GIFT reader
  makes of "any other answer", is Moodle's ``*`` answer.

Characters XML 1.0 cannot hold (most C0 controls, lone surrogates, U+FFFE, U+FFFF) are dropped, and a true/false
question whose `correct` is None is written as false: those are the only values that do not come back equal.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from decimal import Decimal
from urllib.parse import unquote

from lectern.courses.quizzes.questions import EMBEDDED, EmbeddedFile, Question, QuestionType

# Our text formats and Moodle's names for them.
FORMAT_NAMES = {"markdown": "markdown", "html": "html", "plain": "plain_text", "moodle": "moodle_auto_format"}
TYPE_NAMES = {
    QuestionType.SINGLE: "multichoice",
    QuestionType.MULTIPLE: "multichoice",
    QuestionType.TRUE_FALSE: "truefalse",
    QuestionType.SHORT: "shortanswer",
    QuestionType.NUMERICAL: "numerical",
    QuestionType.MATCHING: "matching",
    QuestionType.ESSAY: "essay",
    QuestionType.DESCRIPTION: "description",
}
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"  # how ElementTree names xml:space
WHITESPACE = " \t\r\n"  # XML's whitespace: what readers trim, and nothing else (not NBSP)
RANGE = "lectern_range"
# Moodle's combined feedback elements and the Question fields that hold them.
COMBINED_FEEDBACK = {
    "correctfeedback": "correct_feedback",
    "partiallycorrectfeedback": "partial_feedback",
    "incorrectfeedback": "incorrect_feedback",
}
# The types whose Moodle editor has combined feedback: Moodle exports the elements for them, empty or not.
COMBINED_TYPES = {QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.MATCHING}
CONTEXT = "$course$"  # Moodle's category paths start with the context they belong to

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def to_moodle_xml(questions: Iterable[Question], files: Mapping[str, EmbeddedFile] | None = None) -> str:
    """Write `questions` as a Moodle XML document (a str; encode it as UTF-8, which its declaration states).

    A text's references to embedded files (quiz_model.EMBEDDED) become Moodle's ``@@PLUGINFILE@@/name``, with the
    file from `files` (by SHA-256) written beside the text as ``<file encoding="base64">``, as Moodle does.

    Raises ValueError for a question whose text_format is not one of markdown, html, plain, moodle, and for a
    numeric range with exactly one infinite end (neither Moodle nor our reader has a way to say it).
    """
    token = _FILES.set(files or {})
    try:
        return _document(questions)
    finally:
        _FILES.reset(token)


_FILES: ContextVar[Mapping[str, EmbeddedFile]] = ContextVar("embedded_files")


def _document(questions: Iterable[Question]) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>"]
    category = ""
    for number, question in enumerate(questions, start=1):
        if question.category != category:
            category = question.category
            out += [
                '  <question type="category">',
                "    <category>",
                f"      {_text(category_path(category))}",
                "    </category>",
                "  </question>",
            ]
        out.append(f"<!-- question: {number} -->")
        out += ["  " + line for line in _question(question)]
    out.append("</quiz>")
    return "\n".join(out) + "\n"


def category_path(category: str) -> str:
    """Our category ("Top/Border control/MRZ") as Moodle writes it ("$course$/top/Border control/MRZ").

    An empty category is written as an empty path, which our reader takes back to "no category".
    """
    if not category:
        return ""
    first, sep, rest = category.partition("/")
    if first.lower() == "top":
        first = "top"  # Moodle matches its root category by this exact name
    return f"{CONTEXT}/{first}{sep}{rest}"


def number(value: float) -> str:
    return repr(float(value))


def percent(fraction: float) -> str:
    """A fraction (0.5) as Moodle's percentage ("50"), exactly: see the module docstring."""
    value = (Decimal(repr(float(fraction))) * 100).normalize()
    return format(value, "f")


def _question(q: Question) -> list[str]:
    if q.text_format not in FORMAT_NAMES:
        raise ValueError(f"text_format {q.text_format!r} is not one of {', '.join(FORMAT_NAMES)}")
    fmt = FORMAT_NAMES[q.text_format]
    lines = [
        f'<question type="{TYPE_NAMES[q.type]}">',
        *_wrapped("name", q.name),
        *_wrapped("questiontext", q.text, fmt),
        *_wrapped("generalfeedback", q.general_feedback, fmt),
        f"  <defaultgrade>{number(q.default_mark)}</defaultgrade>",
        "  <penalty>0.3333333</penalty>",
        "  <hidden>0</hidden>",
        # Moodle reads <shuffleanswers> only for choice and matching questions; writing it for every type keeps
        # the setting through a round trip.
        f"  <shuffleanswers>{_bool(q.shuffle)}</shuffleanswers>",
    ]
    lines += ["  " + line for line in _body(q, fmt)]
    for moodle, ours in COMBINED_FEEDBACK.items():
        if q.type in COMBINED_TYPES or getattr(q, ours):
            lines += _wrapped(moodle, getattr(q, ours), fmt)
    if q.tags:
        lines.append("  <tags>")
        lines += [f"    <tag>{_text(tag)}</tag>" for tag in q.tags]
        lines.append("  </tags>")
    lines.append("</question>")
    return lines


def _body(q: Question, fmt: str) -> list[str]:
    """The elements particular to the question's type."""
    if q.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        lines = [f"<single>{_bool(q.type is QuestionType.SINGLE)}</single>", "<answernumbering>abc</answernumbering>"]
        for choice in q.choices:
            lines += _answer(choice.fraction, choice.text, choice.feedback, fmt)
        return lines
    if q.type is QuestionType.TRUE_FALSE:
        return [
            *_answer(1.0 if q.correct else 0.0, "true", q.true_feedback, fmt),
            *_answer(0.0 if q.correct else 1.0, "false", q.false_feedback, fmt),
        ]
    if q.type is QuestionType.SHORT:
        lines = [f"<usecase>{int(q.case_sensitive)}</usecase>"]
        for answer in q.answers:
            lines += _answer(answer.fraction, answer.text, answer.feedback, fmt)
        return lines
    if q.type is QuestionType.NUMERICAL:
        lines = []
        for a in q.numeric:
            text, tolerance, extra = number(a.value), number(a.tolerance), []
            if a.low is not None and a.high is not None:
                if a.low == -math.inf and a.high == math.inf:
                    text, tolerance = "*", "0"  # Moodle's "any other number"
                elif math.isfinite(a.low) and math.isfinite(a.high):
                    text, tolerance = number(a.low / 2 + a.high / 2), number(a.high / 2 - a.low / 2)
                else:
                    raise ValueError(f"a numeric range with one infinite end cannot be written: {a}")
                extra = [
                    f'<{RANGE} low="{number(a.low)}" high="{number(a.high)}" value="{number(a.value)}"'
                    f' tolerance="{number(a.tolerance)}"/>'
                ]
            extra.insert(0, f"<tolerance>{tolerance}</tolerance>")
            lines += _answer(a.fraction, text, a.feedback, fmt, extra)
        return [
            *lines,
            "<unitgradingtype>0</unitgradingtype>",
            "<unitpenalty>0.1</unitpenalty>",
            "<showunits>3</showunits>",
        ]
    if q.type is QuestionType.MATCHING:
        lines = []
        for pair in q.pairs:
            lines += [
                f'<subquestion format="{fmt}">',
                f"  {_text(pair.left)}",
                f"  <answer>{_text(pair.right)}</answer>",
                "</subquestion>",
            ]
        return lines
    if q.type is QuestionType.ESSAY:
        return [
            "<responseformat>editor</responseformat>",
            "<responserequired>1</responserequired>",
            "<responsefieldlines>15</responsefieldlines>",
            "<attachments>0</attachments>",
        ]
    return []  # DESCRIPTION: text only


def _answer(fraction: float, text: str, feedback: str, fmt: str, extra: list[str] | None = None) -> list[str]:
    return [
        f'<answer fraction="{percent(fraction)}" format="{fmt}">',
        f"  {_text(text)}",
        *_wrapped("feedback", feedback, fmt),
        *["  " + line for line in extra or []],
        "</answer>",
    ]


def _wrapped(tag: str, value: str, fmt: str | None = None) -> list[str]:
    """``<tag format="..."><text>value</text></tag>``, over three lines as Moodle writes it."""
    attribute = f' format="{fmt}"' if fmt else ""
    return [f"  <{tag}{attribute}>", f"    {_text(value)}", f"  </{tag}>"]


def _text(value: str) -> str:
    """A ``<text>`` element, followed by the ``<file>`` elements of the files its value refers to."""
    value = _NOT_XML.sub("", value)
    embedded: dict[str, EmbeddedFile] = {}
    if "@@PLUGINFILE@@" in value:

        def unlink(match: re.Match[str]) -> str:
            sha, link = match.groups()
            if (file := _FILES.get().get(sha)) is not None:
                embedded[link] = file
            return f"@@PLUGINFILE@@/{link}"

        value = EMBEDDED.sub(unlink, value)
    files = "".join(
        f'<file name="{_attribute(unquote(link).rsplit("/", 1)[-1])}" path="/{_attribute(_folder(link))}" '
        f'encoding="base64">{base64.b64encode(file.data).decode("ascii")}</file>'
        for link, file in embedded.items()
    )
    return _text_element(value) + files


def _folder(link: str) -> str:
    folder = unquote(link).rpartition("/")[0]
    return folder + "/" if folder else ""


def _attribute(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


def _text_element(value: str) -> str:
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    if value != value.strip(WHITESPACE):
        return f'<text xml:space="preserve">{escaped}</text>'
    return f"<text>{escaped}</text>"


def _bool(value: bool) -> str:
    return "true" if value else "false"
