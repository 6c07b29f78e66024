"""Grading quiz answers with Moodle's semantics: pure functions over `quiz_model.Question`, no Flask, no database.

A response is a plain value that the web layer stores as JSON, in one shape per question type: responses.py
describes and checks them.

Indexes always refer to the question's own order, never to the shuffled order a cadet saw: `shuffled()` gives the
display order and its inverse, so a stored answer survives a reload and a review shows what was chosen.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar, cast

from lectern.courses.quizzes.questions import NumericAnswer, Question, QuestionType

# What grading reads of a response's shape (responses.py), under the names this module's users have always used.
from lectern.courses.quizzes.responses import InvalidResponse as InvalidResponse
from lectern.courses.quizzes.responses import Response as Response
from lectern.courses.quizzes.responses import matching_options as matching_options
from lectern.courses.quizzes.responses import matching_stems as matching_stems
from lectern.courses.quizzes.responses import normalise_response as normalise_response
from lectern.texts import N_

T = TypeVar("T")
GradeState = Literal["correct", "partial", "wrong", "unanswered", "needs_grading", "not_graded"]
GradingMethod = Literal["highest", "average", "first", "last"]
GRADING_METHODS: tuple[GradingMethod, ...] = ("highest", "average", "first", "last")

NOT_A_NUMBER = "not_a_number"  # Grade.note for a NUMERICAL answer we cannot read; the web layer words it

# Float error guard for NUMERICAL. A typed decimal parses to the nearest double (relative error ~1e-16), and
# |x - value| adds a few ulps more, so 0.9 vs 1.1 ± 0.2 would miss by 7e-17. We widen every interval by
# 1e-12 of the largest magnitude involved: thousands of ulps, yet a change in the 12th significant digit, far
# finer than anything an instructor means by "a hair beyond the tolerance", still falls outside.
REL_EPS = 1e-12

# Moodle's question_state::graded_state_for_fraction thresholds: fractions are stored with 7 decimals, so
# 0.9999999 (three answers of 33.33333%) counts as right and 0.0000001 as wrong.
_RIGHT = 0.999999
_WRONG = 0.000001


@dataclass(frozen=True)
class Grade:
    """The outcome of grading one response. `feedback` holds the chosen answers' feedback (the general feedback
    is the review page's business); `note` is a code such as NOT_A_NUMBER that the web layer translates."""

    fraction: float
    mark: float
    feedback: tuple[str, ...] = ()
    state: GradeState = "wrong"
    note: str = ""


# --- grading ------------------------------------------------------------------------------------------------------


def _clamp01(x: float) -> float:
    return min(max(x, 0.0), 1.0) if x == x else 0.0  # x != x only for NaN, which must not leak into a mark


def _state(fraction: float) -> GradeState:
    if fraction > _RIGHT:
        return "correct"
    return "wrong" if fraction < _WRONG else "partial"


def combined_feedback(question: Question, state: GradeState) -> str:
    """Moodle's combined feedback for a response graded `state`: the question's text for a right, a partly right or
    a wrong response ("" for the other states, and when the question has none)."""
    return {
        "correct": question.correct_feedback,
        "partial": question.partial_feedback,
        "wrong": question.incorrect_feedback,
    }.get(state, "")


def _graded(question: Question, fraction: float, feedback: Iterable[str] = (), note: str = "") -> Grade:
    fraction = round(_clamp01(fraction), 7)
    mark = round(fraction * question.default_mark, 7)
    return Grade(fraction, mark, tuple(f for f in feedback if f), _state(fraction), note)


def _blank(value: Response) -> bool:
    # Not `not value`: False is an answer to a true/false question and 0 is the first choice.
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, frozenset | dict) and not value


def _canonical_text(text: str, case_sensitive: bool) -> str:
    # NFC: the same letter (й, ё) may arrive composed or decomposed depending on the keyboard and browser.
    text = " ".join(unicodedata.normalize("NFC", text).split())
    return text if case_sensitive else text.casefold()


def _wildcard_parts(pattern: str) -> list[str]:
    """Split at `*`; `\\*` is a literal star (as in Moodle), any other backslash is literal."""
    parts, current, i = [], [], 0
    while i < len(pattern):
        if pattern.startswith("\\*", i):
            current.append("*")
            i += 2
            continue
        if pattern[i] == "*":
            parts.append("".join(current))
            current = []
        else:
            current.append(pattern[i])
        i += 1
    parts.append("".join(current))
    return parts


def wildcard_match(pattern: str, text: str) -> bool:
    """Whether `text` matches `pattern` as a whole, `*` matching any run of characters.

    Greedy leftmost search rather than a regex: a pattern like `a*a*a*b` must not backtrack exponentially."""
    parts = _wildcard_parts(pattern)
    if len(parts) == 1:
        return text == parts[0]
    first, *middle, last = parts
    end = len(text) - len(last)
    if end < len(first) or not text.startswith(first) or not text.endswith(last):
        return False
    position = len(first)
    for part in middle:
        found = text.find(part, position, end)
        if found < 0:
            return False
        position = found + len(part)
    return True


_NUMBER = re.compile(
    r"[+-]?(?=[.,]?[0-9])"  # a sign, then at least one digit before any exponent
    r"(?:[0-9]{1,3}(?:[ \u00a0\u202f\u2009][0-9]{3})+|[0-9]+)?"  # digits, maybe grouped by (no-break) spaces
    r"(?:[.,][0-9]*)?"  # one decimal separator: a point, or a comma as Russian users type it
    r"(?:[eE][+-]?[0-9]{1,4})?"  # Moodle accepts exponents too
)


def parse_number(typed: str) -> float | None:
    """Read a number as a cadet types it ("3,14", "-1 234,5", "+2.5e3"); None when it is not one.

    A comma is always the decimal separator, never a thousands separator: "1,234" is 1.234."""
    text = typed.strip().replace("\u2212", "-")  # U+2212 MINUS SIGN, from pasted text
    if not _NUMBER.fullmatch(text):
        return None
    value = float(re.sub(r"[ \u00a0\u202f\u2009]", "", text).replace(",", "."))
    return value if math.isfinite(value) else None


def accepts(answer: NumericAnswer, x: float) -> bool:
    """Whether x is in the answer's range: [low, high] when both are set, else value ± |tolerance|, edges in."""
    if answer.low is not None and answer.high is not None:
        eps = REL_EPS * max(abs(answer.low), abs(answer.high), abs(x))
        return answer.low - eps <= x <= answer.high + eps
    tolerance = abs(answer.tolerance)
    eps = REL_EPS * max(abs(answer.value), abs(x), tolerance)
    return abs(x - answer.value) <= tolerance + eps


def _best(candidates: Iterable[tuple[float, str]]) -> tuple[float, str] | None:
    # The highest fraction wins; on a tie the first in the question's order, as Moodle lists answers.
    best: tuple[float, str] | None = None
    for fraction, feedback in candidates:
        if best is None or fraction > best[0]:
            best = (fraction, feedback)
    return best


def grade(question: Question, response: object) -> Grade:
    """Grade one response (raw or normalised). Raises InvalidResponse for a response of the wrong shape only."""
    value = normalise_response(question, response)
    kind = question.type
    if kind is QuestionType.DESCRIPTION:
        return Grade(0.0, 0.0, (), "not_graded")
    if _blank(value):
        return Grade(0.0, 0.0, (), "unanswered")
    # The casts restate what normalise_response guarantees for each type.
    if kind is QuestionType.SINGLE:
        choice = question.choices[cast(int, value)]
        return _graded(question, choice.fraction, [choice.feedback])
    if kind is QuestionType.MULTIPLE:
        chosen = [question.choices[i] for i in sorted(cast(frozenset[int], value))]
        # Moodle: the sum of the chosen fractions, so wrong choices with negative weights cancel right ones.
        return _graded(question, math.fsum(c.fraction for c in chosen), [c.feedback for c in chosen])
    if kind is QuestionType.TRUE_FALSE:
        feedback = question.true_feedback if value else question.false_feedback
        return _graded(question, 1.0 if value is question.correct else 0.0, [feedback])
    if kind is QuestionType.SHORT:
        typed = _canonical_text(cast(str, value), question.case_sensitive)
        best = _best(
            (a.fraction, a.feedback)
            for a in question.answers
            if wildcard_match(_canonical_text(a.text, question.case_sensitive), typed)
        )
        return _graded(question, best[0], [best[1]]) if best else _graded(question, 0.0)
    if kind is QuestionType.NUMERICAL:
        x = parse_number(cast(str, value))
        if x is None:
            return _graded(question, 0.0, note=NOT_A_NUMBER)
        best = _best((a.fraction, a.feedback) for a in question.numeric if accepts(a, x))
        return _graded(question, best[0], [best[1]]) if best else _graded(question, 0.0)
    if kind is QuestionType.MATCHING:
        answered = cast(dict[int, int], value)
        stems = matching_stems(question)
        option = {text: i for i, text in enumerate(matching_options(question))}
        right = sum(1 for i, pair in enumerate(stems) if answered.get(i) == option[pair.right])
        return _graded(question, right / len(stems))  # stems exist: a non-blank answer names one
    return Grade(0.0, 0.0, (), "needs_grading")  # ESSAY: zero until a teacher marks it


def manual_grade(question: Question, mark: float) -> Grade:
    """A teacher's mark (essays, or overriding an automatic grade), from 0 to the question's default mark."""
    if question.type is QuestionType.DESCRIPTION:
        raise InvalidResponse(N_("a description is not graded"))
    if isinstance(mark, bool) or not isinstance(mark, int | float) or not math.isfinite(mark):
        raise InvalidResponse(N_("the mark must be a number"))
    if not 0 <= mark <= question.default_mark:
        raise InvalidResponse(N_("the mark must be between 0 and %(most)s", most=f"{question.default_mark:g}"))
    fraction = round(mark / question.default_mark, 7) if question.default_mark > 0 else 0.0
    # The mark is kept as given: recomputing it from the rounded fraction would turn 0.7 of 3 into 0.6999999.
    return Grade(fraction, round(float(mark), 7), (), _state(fraction))


# --- shuffling --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Order:
    """A display order: `order[position]` is the original index shown there; `inverse[index]` its position."""

    order: tuple[int, ...]

    @property
    def inverse(self) -> tuple[int, ...]:
        """Original index -> display position."""
        positions = [0] * len(self.order)
        for position, index in enumerate(self.order):
            positions[index] = position
        return tuple(positions)

    def apply(self, items: Sequence[T]) -> list[T]:
        """The items in display order."""
        return [items[i] for i in self.order]


def permutation(size: int, seed: int | str, salt: str = "") -> Order:
    """A deterministic permutation of range(size) for `seed` (e.g. f"{attempt_id}:{slot}").

    Sorting by SHA-256 rather than random.shuffle: the order must be the same after a Python upgrade, since a
    cadet may reload an attempt, or review it, long after it began. The seeds 5 and "5" give the same order."""

    def key(i: int) -> bytes:
        return hashlib.sha256(f"{salt}\x1f{seed}\x1f{i}".encode("utf-8", "surrogatepass")).digest()

    return Order(tuple(sorted(range(size), key=key)))


def shuffled(question: Question, seed: int | str) -> Order:
    """The display order of a question's choices (SINGLE, MULTIPLE) or stems (MATCHING) for one attempt, shuffled
    when `question.shuffle` is set. Other types have nothing to order (an empty Order)."""
    if question.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        size, salt = len(question.choices), "choices"
    elif question.type is QuestionType.MATCHING:
        size, salt = len(matching_stems(question)), "stems"
    else:
        size, salt = 0, ""
    return permutation(size, seed, salt) if question.shuffle else Order(tuple(range(size)))


def shuffled_options(question: Question, seed: int | str) -> Order:
    """The display order of a MATCHING question's options: always shuffled, as Moodle does whatever the
    question's shuffle setting (which orders the stems)."""
    return permutation(len(matching_options(question)), seed, "options")


# --- attempts -----------------------------------------------------------------------------------------------------


def overall(method: str, scores: Sequence[float | None]) -> float | None:
    """A cadet's quiz grade from their attempts' scores, oldest first; None marks an unfinished attempt, which
    does not count (as in Moodle). None when no attempt is finished."""
    if method not in GRADING_METHODS:
        raise ValueError(f"unknown grading method {method!r}")
    finished = [s for s in scores if s is not None]
    if not finished:
        return None
    if method == "highest":
        return max(finished)
    if method == "average":
        return round(math.fsum(finished) / len(finished), 7)
    return finished[0] if method == "first" else finished[-1]
