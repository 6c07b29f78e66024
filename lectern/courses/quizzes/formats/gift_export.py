"""Moodle GIFT export: questions from `quiz_model` written as GIFT text that Moodle and `parse_gift` read back.

Written so that `parse_gift(to_gift(qs)).questions == qs` for questions GIFT can express. GIFT has no syntax for
`default_mark`, `shuffle` or `case_sensitive`, nor for general feedback on a description, nor for '->' inside the
left side of a matching pair or anywhere in a short answer's answers and feedback (Moodle reads a block
with '=' and '->' as matching); those are left out or written as they are.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

from lectern.courses.quizzes.questions import Choice, NumericAnswer, Question, QuestionType

# GIFT's [format] markers; questions without one are Markdown here (the platform renders Markdown).
FORMATS = ("markdown", "html", "plain", "moodle")
DEFAULT_FORMAT = "markdown"
BLANK = "_____"

# Backslash first, so that the backslashes the other escapes add are not doubled again.
_ESCAPES = (("\\", "\\\\"), ("#", "\\#"), ("=", "\\="), ("~", "\\~"), ("{", "\\{"), ("}", "\\}"), (":", "\\:"))


def to_gift(questions: Sequence[Question]) -> str:
    """Write `questions` as GIFT: one question per paragraph, `$CATEGORY:` lines where the category changes."""
    chunks: list[str] = []
    category = ""
    for question in questions:
        if question.category != category:
            chunks.append(f"$CATEGORY: {escape(question.category)}".rstrip())
            category = question.category
        chunks.append(_question(question))
    return "".join(chunk + "\n\n" for chunk in chunks)


def escape(text: str) -> str:
    """Escape GIFT's special characters; newlines become `\\n` so a question never contains a blank line."""
    for plain, escaped in _ESCAPES:
        text = text.replace(plain, escaped)
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def starts_with_format(text: str) -> bool:
    """Whether `text` begins with a [format] marker, which the parser would take away."""
    close = text.find("]")
    return text.startswith("[") and close > 0 and text[1:close] in FORMATS


def _text(text: str, text_format: str) -> str:
    """Escaped answer or feedback text, prefixed with the question's marker where the text itself starts with one."""
    return (f"[{text_format}]" if starts_with_format(text) else "") + escape(text)


def _question(q: Question) -> str:
    head = ""
    if q.tags:
        head = "// " + " ".join("[tag:" + tag.replace("]", "\\]") + "]" for tag in q.tags) + "\n"
    marker = f"[{q.text_format}]" if q.text_format != DEFAULT_FORMAT or starts_with_format(q.text) else ""
    text = marker + escape(q.text)
    name = f"::{escape(q.name)}::" if q.name else ""
    if not name and text.startswith("//"):
        name = "::::"  # an empty title, or the line would read as a comment
    if q.type is QuestionType.DESCRIPTION:
        return head + name + text
    block = "{" + _block(q) + "}"
    at = text.find(BLANK)
    if at < 0 or at + len(BLANK) == len(text):
        # A block at the very end is not a fill-in; a blank at the end must stay in the text, so the block follows it.
        return head + name + text + block
    return head + name + text[:at] + block + text[at + len(BLANK) :]


def _block(q: Question) -> str:
    general = f"####{_text(q.general_feedback, q.text_format)}" if q.general_feedback else ""
    if q.type is QuestionType.ESSAY:
        return general
    if q.type is QuestionType.TRUE_FALSE:
        right, wrong = (q.true_feedback, q.false_feedback) if q.correct else (q.false_feedback, q.true_feedback)
        out = "TRUE" if q.correct else "FALSE"
        if wrong or right:
            out += "#" + _text(wrong, q.text_format)
        if right:
            out += "#" + _text(right, q.text_format)
        return out + general
    lines = [_answer_line(q, n) for n in range(_count(q))]
    if general:
        lines.append(general)
    start = "#" if q.type is QuestionType.NUMERICAL else ""
    return start + "\n" + "".join(f"\t{line}\n" for line in lines)


def _count(q: Question) -> int:
    if q.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        return len(q.choices)
    if q.type is QuestionType.SHORT:
        return len(q.answers)
    if q.type is QuestionType.NUMERICAL:
        return len(q.numeric)
    return len(q.pairs)


def _answer_line(q: Question, n: int) -> str:
    fmt = q.text_format
    if q.type is QuestionType.MATCHING:
        pair = q.pairs[n]
        return f"={_text(pair.left, fmt)} -> {escape(pair.right)}"
    if q.type is QuestionType.NUMERICAL:
        return _numeric_line(q.numeric[n], fmt)
    if q.type is QuestionType.SHORT:
        answer = q.answers[n]
        weight = f"%{percent(answer.fraction)}%" if answer.fraction != 1 or answer.text.startswith("%") else ""
        return f"={weight}{_text(answer.text, fmt)}{_feedback(answer.feedback, fmt)}"
    choice = q.choices[n]
    return _choice_prefix(q, n, choice) + _text(choice.text, fmt) + _feedback(choice.feedback, fmt)


def _choice_prefix(q: Question, n: int, choice: Choice) -> str:
    if q.type is QuestionType.SINGLE and choice.fraction == 1:
        # GIFT reads a block with '=' and no '~' as a short answer: keep one '~' when every choice is right.
        last_of_all_right = n == len(q.choices) - 1 and all(c.fraction == 1 for c in q.choices)
        if not last_of_all_right:
            return "="
    if choice.fraction == 0 and not choice.text.startswith("%"):
        return "~"
    # An explicit weight also protects a text that starts with '%' from being read as a weight.
    return f"~%{percent(choice.fraction)}%"


def _numeric_line(answer: NumericAnswer, fmt: str) -> str:
    feedback = _feedback(answer.feedback, fmt)
    if answer.low == -math.inf and answer.high == math.inf:
        return "~#" + _text(answer.feedback, fmt)  # feedback for any other answer
    weight = "" if answer.fraction == 1 else f"%{percent(answer.fraction)}%"
    if answer.low is not None and answer.high is not None:
        return f"={weight}{_number(answer.low)}..{_number(answer.high)}{feedback}"
    return f"={weight}{_number(answer.value)}:{_number(answer.tolerance)}{feedback}"


def _number(value: float) -> str:
    # repr() reads back as the same float; whole numbers are written without ".0" as people write them.
    if math.isfinite(value) and abs(value) < 1e15 and value == int(value):
        return str(int(value))
    return repr(value)


def _feedback(feedback: str, fmt: str) -> str:
    return "#" + _text(feedback, fmt) if feedback else ""


def percent(fraction: float) -> str:
    """`fraction` in percent, written so that the parser (which divides in decimal) reads back the same float."""
    return format(Decimal(repr(fraction)).scaleb(2).normalize(), "f")
