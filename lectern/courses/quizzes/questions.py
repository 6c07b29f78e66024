"""Quiz questions as plain data: what the importers (GIFT, Aiken, Moodle XML) produce, the exporters write and
the grader marks. No Flask, no database: the quizzes issue stores these in tables and builds pages on them.

Fractions follow Moodle: each answer carries the share of the question's mark it earns, from -1.0 to 1.0
(negative weights penalise wrong choices in multiple-answer questions).
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from lectern.texts import N_, Text


class QuestionType(enum.StrEnum):
    SINGLE = "single"  # one choice is right (or best); Moodle "multichoice", single
    MULTIPLE = "multiple"  # several choices, partial credit, negative weights; Moodle "multichoice", multiple
    TRUE_FALSE = "truefalse"
    SHORT = "short"  # typed answer: several accepted answers with weights, case option, * wildcard
    NUMERICAL = "numerical"  # a number within a tolerance or a range
    MATCHING = "matching"  # pairs: each left item to its right item
    ESSAY = "essay"  # graded by hand
    DESCRIPTION = "description"  # text only, no answer, no mark


@dataclass(frozen=True)
class Choice:
    """An answer of a SINGLE or MULTIPLE question."""

    text: str
    fraction: float = 0.0
    feedback: str = ""


@dataclass(frozen=True)
class TextAnswer:
    """An accepted answer of a SHORT question. `*` in `text` matches any run of characters (as in Moodle)."""

    text: str
    fraction: float = 1.0
    feedback: str = ""


@dataclass(frozen=True)
class NumericAnswer:
    """An accepted answer of a NUMERICAL question: `value` within ± `tolerance` (absolute), or, when `low` and
    `high` are set, anything in [low, high]."""

    value: float
    tolerance: float = 0.0
    fraction: float = 1.0
    feedback: str = ""
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Pair:
    """A MATCHING pair. A pair with an empty `left` adds a distractor to the right-hand options (as GIFT allows)."""

    left: str
    right: str


@dataclass(frozen=True)
class Question:
    type: QuestionType
    text: str
    name: str = ""
    text_format: str = "markdown"  # markdown, html, plain, moodle (GIFT's [format] markers map here)
    category: str = ""  # a path "Top/Document security/MRZ", from GIFT's $CATEGORY or XML's <category>
    default_mark: float = 1.0
    general_feedback: str = ""
    shuffle: bool = True
    choices: tuple[Choice, ...] = ()
    answers: tuple[TextAnswer, ...] = ()
    case_sensitive: bool = False
    numeric: tuple[NumericAnswer, ...] = ()
    pairs: tuple[Pair, ...] = ()
    correct: bool | None = None  # TRUE_FALSE
    true_feedback: str = ""  # TRUE_FALSE: shown to whoever answered true
    false_feedback: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)
    # Moodle's combined feedback: shown for a right, a partly right and a wrong response, whatever was chosen.
    correct_feedback: str = ""
    partial_feedback: str = ""
    incorrect_feedback: str = ""


CATEGORY_ROOT = "Top"


def category_path(path: str) -> str:
    """The one spelling of a category path, whatever the file wrote: GIFT's "top/Documents/ MRZ", XML's
    "Top/Documents/MRZ" and a bare "Documents/MRZ" all give "Top/Documents/MRZ"; an empty path gives ""."""
    segments = [s.strip() for s in (path or "").split("/")]
    segments = [s for s in segments if s]
    if not segments:
        return ""
    if segments[0].casefold() == CATEGORY_ROOT.casefold():
        segments[0] = CATEGORY_ROOT
    else:
        segments.insert(0, CATEGORY_ROOT)
    return "/".join(segments)


@dataclass(frozen=True)
class Problem:
    """What is wrong in an imported file: `where` is a line (GIFT, Aiken) or a question's place in the file (XML);
    both are sentences the view translates (`lectern.texts`)."""

    where: Text | str  # a str: a place named as the file names it (question[3], in XML), the same in every language
    message: Text

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


# Moodle keeps a fraction with 7 decimals (33.33333% is 0.3333333), so three such answers add up to 0.9999999:
# weights within this of 100% reach full marks, as the grader counts them (quiz_grading's "right" threshold).
# Enough for the rounding of twenty answers; 99.66% is far outside.
WEIGHT_TOLERANCE = 1e-6


def _percent(fraction: float) -> str:
    return f"{round(fraction * 100, 5):g}"


def weight_problem(question: Question) -> Text | None:
    """What is wrong with the answer weights of `question`, whichever format it came from, or None.

    As Moodle: a multiple-answer question's right choices add up to 100%; a single-choice, short-answer or
    numerical question has an answer worth 100%. Otherwise no response can ever earn full marks."""
    if question.type is QuestionType.MULTIPLE:
        positive = math.fsum(c.fraction for c in question.choices if c.fraction > 0)
        if positive == 0:
            return N_("no answer is marked right (give the right answers positive weights)")
        if abs(positive - 1) > WEIGHT_TOLERANCE:
            return N_("the positive weights add up to %(percent)s%%, not 100%%", percent=_percent(positive))
        return None
    fractions = {
        QuestionType.SINGLE: [c.fraction for c in question.choices],
        QuestionType.SHORT: [a.fraction for a in question.answers],
        QuestionType.NUMERICAL: [n.fraction for n in question.numeric],
    }.get(question.type)
    if fractions and abs(max(fractions) - 1) > WEIGHT_TOLERANCE:
        return N_("no answer gives full marks (100%%): the best gives %(percent)s%%", percent=_percent(max(fractions)))
    return None


# A file embedded in an imported question (Moodle XML's <file encoding="base64">) is referred to in the question's
# texts as "@@PLUGINFILE@@/<sha256>/<name as written in the link>": the reader writes these, the bank replaces them
# with the served address when it stores the file, and the writer turns them back into Moodle's own references.
EMBEDDED = re.compile(r"@@PLUGINFILE@@/([0-9a-f]{64})/([^\s\"'<>()]+)")


@dataclass(frozen=True)
class EmbeddedFile:
    """The bytes of an embedded file, and its name in the file."""

    name: str
    data: bytes


def map_texts(question: Question, change: Callable[[str], str]) -> Question:
    """`question` with `change` applied to every text it holds (question text, answers, pairs, every feedback)."""
    return replace(
        question,
        text=change(question.text),
        general_feedback=change(question.general_feedback),
        choices=tuple(replace(c, text=change(c.text), feedback=change(c.feedback)) for c in question.choices),
        answers=tuple(replace(a, feedback=change(a.feedback)) for a in question.answers),
        numeric=tuple(replace(n, feedback=change(n.feedback)) for n in question.numeric),
        pairs=tuple(replace(p, left=change(p.left)) for p in question.pairs),
        true_feedback=change(question.true_feedback),
        false_feedback=change(question.false_feedback),
        correct_feedback=change(question.correct_feedback),
        partial_feedback=change(question.partial_feedback),
        incorrect_feedback=change(question.incorrect_feedback),
    )


@dataclass
class ImportResult:
    """The questions that parsed, and the problems of those that did not: the preview shows both, and nothing is
    imported from a file with problems unless the instructor chooses to import the valid questions."""

    questions: list[Question] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: dict[str, EmbeddedFile] = field(default_factory=dict)  # by SHA-256, as EMBEDDED refers to them

    def add(self, question: Question, where: Text | str) -> None:
        """Keep a question a reader parsed at `where`, or report it when its weights break the rules that every
        format shares (`weight_problem`)."""
        problem = weight_problem(question)
        if problem is None:
            self.questions.append(question)
        else:
            self.problems.append(Problem(where, problem))


class QuizFormatError(Exception):
    """A file that cannot be read at all (not text, not XML); importers report everything else as Problems."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


# --- storage as JSON ----------------------------------------------------------------------------------------------
# The bank keeps each question as one JSON document, and every attempt keeps a copy of the version it was asked in.
# JSON has no infinity (PostgreSQL refuses Python's "Infinity"), so an open end of a numeric range is stored as null.

_SIMPLE = ("name", "text_format", "category", "default_mark", "general_feedback", "shuffle", "case_sensitive")


def _finite(x: float | None) -> float | None:
    return None if x is None or x in (float("inf"), float("-inf")) else x


def to_data(question: Question) -> dict[str, object]:
    """A JSON-ready dict of `question`; `from_data` reads it back equal."""
    data: dict[str, object] = {"type": question.type.value, "text": question.text}
    data.update({key: getattr(question, key) for key in _SIMPLE})
    data["choices"] = [[c.text, c.fraction, c.feedback] for c in question.choices]
    data["answers"] = [[a.text, a.fraction, a.feedback] for a in question.answers]
    data["numeric"] = [
        [n.value, n.tolerance, n.fraction, n.feedback, n.low is not None, _finite(n.low), _finite(n.high)]
        for n in question.numeric
    ]
    data["pairs"] = [[p.left, p.right] for p in question.pairs]
    data["correct"] = question.correct
    data["true_feedback"], data["false_feedback"] = question.true_feedback, question.false_feedback
    data["tags"] = list(question.tags)
    combined = [question.correct_feedback, question.partial_feedback, question.incorrect_feedback]
    if any(combined):  # absent otherwise, so that questions stored before it compare equal
        data["combined_feedback"] = combined
    return data


def _bound(x: object, default: float) -> float:
    return default if x is None else float(x)  # type: ignore[arg-type]


def from_data(data: dict[str, object]) -> Question:
    """The question stored by `to_data`."""
    get = data.get
    combined: list[object] = get("combined_feedback") or ["", "", ""]  # type: ignore[assignment]
    numeric = tuple(
        NumericAnswer(
            value=float(value),
            tolerance=float(tolerance),
            fraction=float(fraction),
            feedback=str(feedback),
            low=_bound(low, float("-inf")) if ranged else None,
            high=_bound(high, float("inf")) if ranged else None,
        )
        for value, tolerance, fraction, feedback, ranged, low, high in get("numeric", [])  # type: ignore[attr-defined]
    )
    return Question(
        type=QuestionType(str(get("type"))),
        text=str(get("text", "")),
        name=str(get("name", "")),
        text_format=str(get("text_format", "markdown")),
        category=str(get("category", "")),
        default_mark=float(get("default_mark", 1.0)),  # type: ignore[arg-type]
        general_feedback=str(get("general_feedback", "")),
        shuffle=bool(get("shuffle", True)),
        choices=tuple(Choice(str(t), float(f), str(fb)) for t, f, fb in get("choices", [])),  # type: ignore[attr-defined]
        answers=tuple(TextAnswer(str(t), float(f), str(fb)) for t, f, fb in get("answers", [])),  # type: ignore[attr-defined]
        case_sensitive=bool(get("case_sensitive", False)),
        numeric=numeric,
        pairs=tuple(Pair(str(left), str(right)) for left, right in get("pairs", [])),  # type: ignore[attr-defined]
        correct=None if get("correct") is None else bool(get("correct")),
        true_feedback=str(get("true_feedback", "")),
        false_feedback=str(get("false_feedback", "")),
        tags=tuple(str(t) for t in get("tags", [])),  # type: ignore[attr-defined]
        correct_feedback=str(combined[0]),
        partial_feedback=str(combined[1]),
        incorrect_feedback=str(combined[2]),
    )


def same_shape(old: Question, new: Question) -> bool:
    """Whether responses stored against `old` mean the same against `new` (a corrected question can be
    regraded): the same type and the same number of choices, stems and options, which responses index."""
    from lectern.courses.quizzes.responses import matching_options, matching_stems

    return (
        old.type is new.type
        and len(old.choices) == len(new.choices)
        and len(matching_stems(old)) == len(matching_stems(new))
        and len(matching_options(old)) == len(matching_options(new))
    )
