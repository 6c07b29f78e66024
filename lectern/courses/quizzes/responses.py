"""What a cadet may answer: one canonical shape of response per question type, checked as it arrives from a
browser. Pure: no Flask, no database. Grading (grading.py) reads responses in these shapes:

- SINGLE: the index of the chosen choice (int); MULTIPLE: the chosen indexes (frozenset, a list in JSON);
- TRUE_FALSE: bool; SHORT and ESSAY: the text as typed; NUMERICAL: the number as typed (str);
- MATCHING: {stem index: option index}, stems being `matching_stems(q)` and options `matching_options(q)`;
- DESCRIPTION: None. None is also "not answered" for every type.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import TypeAlias

from lectern.courses.quizzes.questions import Pair, Question, QuestionType
from lectern.texts import N_, Text

Response: TypeAlias = int | str | frozenset[int] | dict[int, int] | None  # bool is an int

# Longer than anything a cadet types; refusing more keeps a hostile client from making us store or scan megabytes.
MAX_SHORT = 1_000
MAX_NUMBER = 100
MAX_ESSAY = 200_000
# int() of a long digit string is slow and, past 4300 digits, a ValueError: no question has a million choices.
_INDEX = re.compile(r"[0-9]{1,6}")


class InvalidResponse(ValueError):
    """A response of the wrong shape for its question (wrong type, index out of range, too long); `message` says
    why, translated where it is shown (`lectern.texts`)."""

    def __init__(self, message: Text) -> None:
        super().__init__(str(message))
        self.message = message


# --- the shapes of responses ------------------------------------------------------------------------------------


def matching_stems(question: Question) -> tuple[Pair, ...]:
    """The left items of a MATCHING question, in the question's order; pairs with a blank left are distractors."""
    return tuple(p for p in question.pairs if p.left.strip())


def matching_options(question: Question) -> tuple[str, ...]:
    """The distinct right texts of a MATCHING question, sorted by code point.

    Sorting (rather than the authored order) keeps the list from lining up with the stems and giving the answer
    away, and code-point order does not depend on locale or Unicode version, so stored indexes stay valid."""
    return tuple(sorted({p.right for p in question.pairs}))


# What `_index` says of a value that is not an index, and of one that is out of range, for each kind of item.
_NOT_AN_INDEX = {
    "choice": N_("a choice must be given by its index"),
    "left item": N_("a left item must be given by its index"),
    "option": N_("an option must be given by its index"),
}
_NO_SUCH = {
    "choice": N_("there is no choice %(index)d"),
    "left item": N_("there is no left item %(index)d"),
    "option": N_("there is no option %(index)d"),
}


def _index(raw: object, size: int, what: str) -> int:
    # bool is an int in Python, but true is not "choice 1".
    if isinstance(raw, str) and _INDEX.fullmatch(raw):
        raw = int(raw)  # JSON object keys and HTML form values arrive as strings
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise InvalidResponse(_NOT_AN_INDEX[what])
    if not 0 <= raw < size:
        raise InvalidResponse(Text(_NO_SUCH[what].msgid, {"index": raw}))
    return raw


def _text(raw: object, limit: int) -> str:
    if not isinstance(raw, str):
        raise InvalidResponse(N_("the answer must be text"))
    if len(raw) > limit:
        raise InvalidResponse(N_("the answer is longer than %(limit)d characters", limit=limit))
    # NUL and lone surrogates cannot be stored (PostgreSQL refuses both in text and JSON): refuse them here.
    if "\x00" in raw:
        raise InvalidResponse(N_("the answer contains a NUL character"))
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidResponse(N_("the answer is not valid Unicode")) from None
    return raw


def normalise_response(question: Question, raw: object) -> Response:
    """Check a raw JSON-ish value from a browser and return the response in its canonical shape.

    Raises InvalidResponse, and nothing else, for a value of the wrong shape. A NUMERICAL answer that is not a
    number is not a wrong shape: it is kept as typed and grades 0. Idempotent: canonical values pass unchanged."""
    if raw is None:
        return None
    kind = question.type
    if kind is QuestionType.SINGLE:
        return _index(raw, len(question.choices), "choice")
    if kind is QuestionType.MULTIPLE:
        if not isinstance(raw, list | tuple | set | frozenset):
            raise InvalidResponse(N_("the answer must be a list of choice indexes"))
        return frozenset(_index(x, len(question.choices), "choice") for x in raw)
    if kind is QuestionType.TRUE_FALSE:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw in ("true", "false"):
            return raw == "true"
        raise InvalidResponse(N_("the answer must be true or false"))
    if kind is QuestionType.SHORT:
        return _text(raw, MAX_SHORT)
    if kind is QuestionType.ESSAY:
        return _text(raw, MAX_ESSAY)
    if kind is QuestionType.NUMERICAL:
        # A JSON number is taken as if typed; repr() round-trips a float and uses only what parse_number reads.
        if isinstance(raw, float) and math.isfinite(raw):
            return repr(raw)
        if isinstance(raw, int) and not isinstance(raw, bool) and abs(raw) < 10**MAX_NUMBER:
            return str(raw)
        return _text(raw, MAX_NUMBER)
    if kind is QuestionType.MATCHING:
        if not isinstance(raw, Mapping):
            raise InvalidResponse(N_("the answer must map left items to options"))
        stems, options = len(matching_stems(question)), len(matching_options(question))
        seen: set[int] = set()
        chosen: dict[int, int] = {}
        for key, value in raw.items():
            stem = _index(key, stems, "left item")
            if stem in seen:
                raise InvalidResponse(N_("left item %(index)d is answered twice", index=stem))
            seen.add(stem)
            if value is not None:  # a cleared drop-down
                chosen[stem] = _index(value, options, "option")
        return dict(sorted(chosen.items()))
    raise InvalidResponse(N_("this item takes no answer"))
