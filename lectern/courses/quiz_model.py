"""Quiz questions as plain data: what the importers (GIFT, Aiken, Moodle XML) produce, the exporters write and
the grader marks. No Flask, no database: the quizzes issue stores these in tables and builds pages on them.

Fractions follow Moodle: each answer carries the share of the question's mark it earns, from -1.0 to 1.0
(negative weights penalise wrong choices in multiple-answer questions).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


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


@dataclass(frozen=True)
class Problem:
    """What is wrong in an imported file: `where` is a line number (GIFT, Aiken) or an element path (XML)."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class ImportResult:
    """The questions that parsed, and the problems of those that did not: the preview shows both, and nothing is
    imported from a file with problems unless the instructor chooses to import the valid questions."""

    questions: list[Question] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class QuizFormatError(Exception):
    """A file that cannot be read at all (not text, not XML); importers report everything else as Problems."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems
