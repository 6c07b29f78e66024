"""Moodle GIFT import (and, through `quiz_gift_export`, export): a pure function from text to `quiz_model` data.

Follows Moodle's GIFT format (question/format/gift): questions are paragraphs separated by blank lines; `//` lines
are comments (a comment may carry `[tag:...]`); `$CATEGORY: path` sets the category of the questions after it;
`::title::` names a question; `[markdown]`, `[html]`, `[plain]` or `[moodle]` sets a text's format; one `{...}`
block holds the answers, and a block in the middle of the text leaves a blank "_____" there. `\\~ \\= \\# \\{ \\}
\\: \\\\` stand for the characters themselves and `\\n` for a new line.

Where Moodle silently guesses (bare text before the first answer, an unclosed title, two answer blocks), this
parser reports a problem instead: an instructor sees it in the preview and fixes the file.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from decimal import Decimal

from lectern.courses.quizzes.formats.gift_export import BLANK, DEFAULT_FORMAT, FORMATS, to_gift
from lectern.courses.quizzes.questions import (
    Choice,
    ImportResult,
    NumericAnswer,
    Pair,
    Problem,
    Question,
    QuestionType,
    QuizFormatError,
    TextAnswer,
)
from lectern.texts import N_, Text, on_line

__all__ = ["parse_gift", "to_gift"]

# In the "live" copy of a text an escaped character becomes this, so that it never matches GIFT syntax.
_MASK = "\x00"
_ESCAPES = {"\\": "\\", ":": ":", "#": "#", "=": "=", "{": "{", "}": "}", "~": "~", "n": "\n"}
# A decimal comma is accepted too: Russian-speaking instructors write 3,14.
_NUMBER = re.compile(r"[-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?")
_TAG = re.compile(r"\[tag:((?:\\\]|[^\]<>\x00-\x1f])+)\]")
# Moodle exports categories as "$course$/top/..."; the context means nothing outside Moodle.
_CONTEXT = re.compile(r"^\$(?:system|coursecategory|course|module)\$/?")
_CATEGORY = "$CATEGORY:"
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}


class _Bad(Exception):
    """One question is wrong: its message becomes a Problem and parsing goes on with the next question."""

    def __init__(self, message: Text) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class _Span:
    """A piece of GIFT text twice over: `plain` with escapes resolved, `live` (same length) with escaped
    characters masked. Syntax is searched for in `live`, text is taken from `plain`."""

    plain: str
    live: str

    @classmethod
    def decode(cls, raw: str) -> _Span:
        if "\\" not in raw:
            return cls(raw, raw)  # nothing escaped: the common case, and a bank of thousands reads fast
        plain: list[str] = []
        live: list[str] = []
        i = 0
        while i < len(raw):
            if raw[i] == "\\" and raw[i + 1 : i + 2] in _ESCAPES:
                plain.append(_ESCAPES[raw[i + 1]])
                live.append(_MASK)
                i += 2
            else:  # a backslash before anything else (LaTeX's \frac) stays, as in Moodle
                plain.append(raw[i])
                live.append(raw[i])
                i += 1
        return cls("".join(plain), "".join(live))

    def __getitem__(self, key: slice) -> _Span:
        return _Span(self.plain[key], self.live[key])

    def __add__(self, other: _Span) -> _Span:
        return _Span(self.plain + other.plain, self.live + other.live)

    def strip(self) -> _Span:
        start = len(self.live) - len(self.live.lstrip())
        return self[start : max(start, len(self.live.rstrip()))]

    def text(self) -> str:
        return self.plain.strip()

    def cut(self, sep: str) -> tuple[_Span, _Span | None]:
        """Split at the first live `sep`: what comes before, and what comes after (None when there is none)."""
        at = self.live.find(sep)
        return (self, None) if at < 0 else (self[:at], self[at + len(sep) :])

    def split_at(self, marks: str) -> tuple[_Span, list[tuple[str, _Span]]]:
        """Split before each live character of `marks`: the text before the first, then (mark, text) pairs."""
        cuts = [i for i, ch in enumerate(self.live) if ch in marks]
        ends = [*cuts[1:], len(self.live)] if cuts else []
        head = self[: cuts[0]] if cuts else self
        return head, [(self.live[at], self[at + 1 : end]) for at, end in zip(cuts, ends, strict=True)]


def parse_gift(text: str) -> ImportResult:
    """Parse GIFT `text` into questions, with a line-numbered Problem for each question that cannot be read.

    A bad question is skipped and the others still parse. Raises QuizFormatError only for input that is not text.
    """
    if not isinstance(text, str) or _MASK in text:
        raise QuizFormatError([Problem(on_line(1), N_("the file is not a text file"))])
    result = ImportResult()
    category = ""
    for block in _paragraphs(text):
        content = [(no, line) for no, line in block if not line.strip().startswith("//")]
        if content and content[0][1].strip().startswith(_CATEGORY):
            category = _category(content.pop(0)[1].strip()[len(_CATEGORY) :])
        if not content:
            continue
        comments = " ".join(line for _, line in block if line.strip().startswith("//"))
        tags = tuple(tag.replace("\\]", "]").strip() for tag in _TAG.findall(comments))
        raw = "\n".join(line for _, line in content)
        try:
            result.add(_question(_Span.decode(raw).strip(), category, tags), on_line(content[0][0]))
        except _Bad as bad:
            result.problems.append(Problem(on_line(content[0][0]), bad.message))
    return result


def _paragraphs(text: str) -> list[list[tuple[int, str]]]:
    """Numbered lines grouped into paragraphs: a line of nothing but spaces ends a question."""
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[list[tuple[int, str]]] = [[]]
    for no, line in enumerate(lines, 1):
        if line.strip():
            blocks[-1].append((no, line))
        elif blocks[-1]:
            blocks.append([])
    return [block for block in blocks if block]


def _category(raw: str) -> str:
    return _CONTEXT.sub("", _Span.decode(raw).text()).strip()


def _question(q: _Span, category: str, tags: tuple[str, ...]) -> Question:
    name = ""
    if q.live.startswith("::"):
        end = q.live.find("::", 2)
        if end < 0:
            raise _Bad(N_("the question title is not closed with '::'"))
        name = q[2:end].text()
        q = q[end + 2 :].strip()
    start, close = q.live.find("{"), q.live.find("}")
    if start < 0 and close < 0:
        text_format, text = _with_format(q, DEFAULT_FORMAT)
        if not text:
            raise _Bad(N_("the question has no text"))
        return Question(QuestionType.DESCRIPTION, text, name, text_format, category, tags=tags)
    if start >= 0 and (close < 0 or "{" in q.live[start + 1 : close]):
        raise _Bad(N_("the answer block is never closed"))
    if start < 0 or close < start:
        raise _Bad(N_("'}' without an opening '{'"))
    rest = q[close + 1 :]
    if "{" in rest.live or "}" in rest.live:
        raise _Bad(N_("only one answer block per question (write \\{ and \\} for braces)"))
    # Moodle: a block that ends the question is not a fill-in; one in the middle leaves a blank behind.
    blank = _Span(BLANK, BLANK) if rest.live.strip() else _Span("", "")
    text_format, text = _with_format(q[:start] + blank + rest, DEFAULT_FORMAT)
    if not text:
        raise _Bad(N_("the question has no text"))
    block = q[start + 1 : close]
    general = ""
    at = block.live.rfind("####")
    if at >= 0:
        general = _strip_format(block[at + 4 :])
        block = block[:at]
    block = block.strip()
    base = Question(QuestionType.ESSAY, text, name, text_format, category, general_feedback=general, tags=tags)
    live = block.live
    if not live:
        return base
    if live.startswith("#"):
        return _numerical(base, block[1:])
    if "~" in live:
        return _choice(base, block)
    if "=" in live and "->" in live:
        return _matching(base, block)
    flag = _TRUE_FALSE.get(block.cut("#")[0].live.strip())
    if flag is not None:
        return _true_false(base, block, flag)
    return _short(base, block)


def _with_format(span: _Span, default: str) -> tuple[str, str]:
    """A text's [format] marker (or `default`) and the text without it."""
    span = span.strip()
    close = span.live.find("]")
    if span.live.startswith("[") and close > 0 and span.plain[1:close] in FORMATS:
        return span.plain[1:close], span[close + 1 :].text()
    return default, span.text()


def _strip_format(span: _Span | None) -> str:
    # Answers and feedback may carry their own marker; the model keeps one format per question.
    return "" if span is None else _with_format(span, DEFAULT_FORMAT)[1]


def _short_quote(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def _number(raw: str) -> float | None:
    raw = raw.strip()
    if not _NUMBER.fullmatch(raw):
        return None
    value = float(raw.replace(",", "."))
    return value if math.isfinite(value) else None


def _need_number(raw: str, problem: Text) -> float:
    """`raw` as a number; `problem`, given the value, when it is not one."""
    value = _number(raw)
    if value is None:
        raise _Bad(Text(problem.msgid, {"value": _short_quote(raw.strip())}))
    return value


def _weight(span: _Span, default: float) -> tuple[float, _Span]:
    """A leading `%50%` weight as a fraction (or `default`), and the rest of the answer."""
    span = span.strip()
    close = span.live.find("%", 1)
    if not span.live.startswith("%") or close < 0:
        return default, span
    raw = span.plain[1:close].strip()
    if not -100 <= _need_number(raw, N_("answer weight '%(value)s' is not a number")) <= 100:
        raise _Bad(N_("answer weight '%(value)s%%' is outside -100%%..100%%", value=_short_quote(raw)))
    # Divided in decimal, so that "33.33333" gives the float nearest 0.3333333 and the exporter can write it back.
    return float(Decimal(raw.replace(",", ".")) / 100), span[close + 1 :]


def _answer(body: _Span, n: int) -> tuple[str, str]:
    """An answer's text and its `#feedback`."""
    text_span, feedback = body.cut("#")
    text = _strip_format(text_span)
    if not text:
        raise _Bad(N_("answer %(number)d is empty", number=n))
    return text, _strip_format(feedback)


def _no_head(head: _Span, problem: Text) -> None:
    """Text before the first answer: Moodle would guess what it means; we ask the instructor (`problem`, given the
    text)."""
    if head.live.strip():
        raise _Bad(Text(problem.msgid, {"answer": _short_quote(head.text())}))


def _choice(base: Question, block: _Span) -> Question:
    head, parts = block.split_at("~=")
    _no_head(head, N_("answer '%(answer)s' must start with '=' or '~'"))
    choices = []
    for n, (mark, part) in enumerate(parts, 1):
        # As in Moodle, '=' always means 100%: a weight is only read after '~'.
        fraction, body = (1.0, part) if mark == "=" else _weight(part, 0.0)
        text, feedback = _answer(body, n)
        choices.append(Choice(text, fraction, feedback))
    if len(choices) < 2:
        raise _Bad(N_("a choice question needs at least 2 answers"))
    # The weights are checked by ImportResult.add, alike for every format.
    kind = QuestionType.SINGLE if any(mark == "=" for mark, _ in parts) else QuestionType.MULTIPLE
    return replace(base, type=kind, choices=tuple(choices))


def _short(base: Question, block: _Span) -> Question:
    head, parts = block.split_at("=")
    _no_head(head, N_("answer '%(answer)s' must start with '=' or '~'"))
    answers = []
    for n, (_, part) in enumerate(parts, 1):
        fraction, body = _weight(part, 1.0)
        text, feedback = _answer(body, n)
        answers.append(TextAnswer(text, fraction, feedback))
    return replace(base, type=QuestionType.SHORT, answers=tuple(answers))


def _true_false(base: Question, block: _Span, correct: bool) -> Question:
    # {T#feedback for a wrong answer#feedback for a right one}
    _, rest = block.cut("#")
    wrong_span, right_span = rest.cut("#") if rest is not None else (None, None)
    wrong, right = _strip_format(wrong_span), _strip_format(right_span)
    true_feedback, false_feedback = (right, wrong) if correct else (wrong, right)
    return replace(
        base,
        type=QuestionType.TRUE_FALSE,
        correct=correct,
        true_feedback=true_feedback,
        false_feedback=false_feedback,
    )


def _numerical(base: Question, block: _Span) -> Question:
    block, other = block.cut("~")
    head, parts = block.split_at("=")
    items = ([head] if head.live.strip() else []) + [part for _, part in parts]
    if not items:
        raise _Bad(N_("a numerical question needs an answer"))
    answers = [_numeric_answer(item) for item in items]
    if other is not None:
        before, feedback = other.cut("#")
        if before.live.strip():
            raise _Bad(N_("in a numerical question '~' only takes feedback ('~#...')"))
        # "Any other answer": matches everything, earns nothing, shows its feedback (Moodle's '*' answer).
        answers.append(NumericAnswer(0.0, 0.0, 0.0, _strip_format(feedback), -math.inf, math.inf))
    return replace(base, type=QuestionType.NUMERICAL, numeric=tuple(answers))


def _numeric_answer(item: _Span) -> NumericAnswer:
    fraction, body = _weight(item, 1.0)
    value_span, feedback_span = body.cut("#")
    feedback = _strip_format(feedback_span)
    value_span = value_span.strip()
    live, plain = value_span.live, value_span.plain
    dots, colon = live.find(".."), live.find(":")
    if dots > 0:
        low = _need_number(plain[:dots], _NOT_A_NUMBER)
        high = _need_number(plain[dots + 2 :], _NOT_A_NUMBER)
        if low > high:
            raise _Bad(N_("numerical range '%(value)s' runs from high to low", value=_short_quote(value_span.text())))
        return NumericAnswer((low + high) / 2, (high - low) / 2, fraction, feedback, low, high)
    if colon > 0:
        tolerance = _need_number(plain[colon + 1 :], N_("numerical tolerance '%(value)s' is not a number"))
        if tolerance < 0:
            raise _Bad(
                N_("numerical tolerance '%(value)s' is negative", value=_short_quote(plain[colon + 1 :].strip()))
            )
        return NumericAnswer(_need_number(plain[:colon], _NOT_A_NUMBER), tolerance, fraction, feedback)
    return NumericAnswer(_need_number(plain, _NOT_A_NUMBER), 0.0, fraction, feedback)


_NOT_A_NUMBER = N_("numerical answer '%(value)s' is not a number")


def _matching(base: Question, block: _Span) -> Question:
    head, parts = block.split_at("=")
    _no_head(head, N_("answer '%(answer)s' must start with '='"))
    pairs = []
    for n, (_, part) in enumerate(parts, 1):
        left, right = part.cut("->")
        if right is None:
            raise _Bad(N_("matching pair '%(pair)s' has no '->'", pair=_short_quote(part.text())))
        if not right.text():
            raise _Bad(N_("matching pair %(number)d has nothing after '->'", number=n))
        pairs.append(Pair(_strip_format(left), right.text()))
    # Moodle wants 3; 2 still make a question, fewer do not. A pair with no left side is only a distractor.
    if sum(1 for pair in pairs if pair.left) < 2:
        raise _Bad(N_("matching needs at least 2 pairs"))
    return replace(base, type=QuestionType.MATCHING, pairs=tuple(pairs))
