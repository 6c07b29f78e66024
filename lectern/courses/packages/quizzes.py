"""The quizzes of a course package: its question bank as GIFT and its quizzes in the manifest. Pure: no Flask, no
database. `packages.format` reads them around this; `packages.quiz_service` turns them into rows.

The manifest carries two keys for them, both optional::

    "bank": {"files": ["quizzes/bank.gift"],
             "categories": ["Top", "Top/Documents"],
             "questions": [{"mark": 1.0, "shuffle": true, "case_sensitive": false}, ...]},
    "quizzes": [{"title": "...", "intro": "...", "published": true, "opens_at": "2026-05-01T09:00:00Z",
                 "closes_at": null, "time_limit_minutes": 15, "attempts_allowed": 3, "grading_method": "highest",
                 "shuffle_questions": false, "shuffle_answers": true, "pass_percent": 60.0,
                 "required_for_completion": true, "review_correctness": "after_attempt",
                 "review_marks": "after_attempt", "review_feedback": "after_attempt",
                 "review_general_feedback": "after_attempt", "review_correct": "after_close",
                 "slots": [{"question": 0, "mark": 1.0}, {"random": "Top/Documents", "count": 3, "mark": 1.0}]}]

- The bank is one GIFT file, ``quizzes/bank.gift``, with a ``$CATEGORY:`` line before each category's questions
  (a hand-made package may split it into several files under ``quizzes/``; they are read in the order listed).
  Questions are numbered from 0 across the files in that order: a slot's ``question`` is that number.
- ``categories`` lists every category of the bank, empty ones too (questions' categories are created anyway).
- ``questions`` holds, question by question, what GIFT has no syntax for: the default mark, whether the answers
  are shuffled and whether a short answer is case-sensitive. Left out, the defaults apply; given, it lists every
  question of the bank.
- A random slot draws one question from its category per attempt; ``count`` such slots in a row are one entry.
- Dates are ISO 8601 with a timezone. Every quiz field but ``title`` and ``slots`` may be left out (the defaults
  of a new quiz apply).

What GIFT cannot write (a '->' inside a short answer or on the left of a matching pair, general feedback of a
description) does not survive an export: quizzes/formats/gift_export.py describes those limits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from lectern.courses.packages.checks import MISSING, ManifestChecks
from lectern.courses.quizzes import questions as quiz_model
from lectern.courses.quizzes.formats.gift import parse_gift
from lectern.courses.quizzes.formats.gift_export import to_gift
from lectern.courses.quizzes.grading import GRADING_METHODS
from lectern.courses.quizzes.questions import Question, QuizFormatError
from lectern.texts import as_data

BANK_FILE = "quizzes/bank.gift"
FOLDER = "quizzes"
REVIEW_CHOICES = ("never", "after_attempt", "after_close")  # the values of quiz_models.ReviewWhen
CATEGORY_LENGTH = 255  # quiz_category.name
NAME_LENGTH = 255  # quiz_question.name
MAX_SLOTS = 500
MAX_MARK = 1000.0

BANK_FIELDS = {"files": True, "categories": False, "questions": False}
EXTRA_FIELDS = {"mark": False, "shuffle": False, "case_sensitive": False}
QUIZ_FIELDS = {
    "title": True,
    "intro": False,
    "published": False,
    "opens_at": False,
    "closes_at": False,
    "time_limit_minutes": False,
    "attempts_allowed": False,
    "grading_method": False,
    "shuffle_questions": False,
    "shuffle_answers": False,
    "pass_percent": False,
    "required_for_completion": False,
    "review_correctness": False,
    "review_marks": False,
    "review_feedback": False,
    "review_general_feedback": False,
    "review_correct": False,
    "slots": True,
}
SLOT_FIELDS = {"question": False, "random": False, "count": False, "mark": False}


@dataclass
class SlotEntry:
    """A quiz slot: bank question number `question`, or `count` questions drawn at random from `category`."""

    mark: float = 1.0
    question: int | None = None
    category: str | None = None
    count: int = 1


@dataclass
class QuizEntry:
    """A quiz's settings, as the `Quiz` columns of the same names hold them (review values are ReviewWhen's)."""

    title: str
    intro: str = ""
    published: bool = False
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    time_limit_minutes: int | None = None
    attempts_allowed: int = 0
    grading_method: str = "highest"
    shuffle_questions: bool = False
    shuffle_answers: bool = True
    pass_percent: float | None = None
    required_for_completion: bool = False
    review_correctness: str = "after_attempt"
    review_marks: str = "after_attempt"
    review_feedback: str = "after_attempt"
    review_general_feedback: str = "after_attempt"
    review_correct: str = "after_close"
    slots: list[SlotEntry] = field(default_factory=list)


# The settings copied between QuizEntry and the Quiz model, in manifest order.
SETTINGS = tuple(name for name in QUIZ_FIELDS if name != "slots")
REVIEW_KEYS = tuple(name for name in SETTINGS if name.startswith("review_"))


@dataclass
class Bank:
    """A course's question bank: its categories (paths "Top/..."), and its questions in export order, each with
    its category, name and the settings GIFT cannot write."""

    categories: list[str] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)


def category_path(path: str) -> str:
    """ "top/Documents/ MRZ" and "Documents/MRZ" give "Top/Documents/MRZ"; "" gives "Top" (the bank's rule)."""
    return quiz_model.category_path(path) or quiz_model.CATEGORY_ROOT


def ancestors(path: str) -> list[str]:
    """ "Top/A/B" gives ["Top", "Top/A", "Top/A/B"]."""
    segments = path.split("/")
    return ["/".join(segments[: n + 1]) for n in range(len(segments))]


# --- writing -----------------------------------------------------------------------------------------------------


def _date(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def bank_manifest(bank: Bank) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The manifest's "bank" entry and the GIFT files it names (path: text); (None, {}) for an empty bank."""
    if not bank.questions and not bank.categories:
        return None, {}
    extras = [
        {"mark": q.default_mark, "shuffle": q.shuffle, "case_sensitive": q.case_sensitive} for q in bank.questions
    ]
    entry: dict[str, Any] = {"files": [BANK_FILE], "categories": list(bank.categories), "questions": extras}
    return entry, {BANK_FILE: to_gift(bank.questions)}


def quiz_manifest(quiz: QuizEntry) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(quiz, name) for name in SETTINGS}
    data["opens_at"], data["closes_at"] = _date(quiz.opens_at), _date(quiz.closes_at)
    slots: list[dict[str, Any]] = []
    for slot in quiz.slots:
        if slot.question is not None:
            slots.append({"question": slot.question, "mark": slot.mark})
        else:
            slots.append({"random": slot.category, "count": slot.count, "mark": slot.mark})
    data["slots"] = slots
    return data


def group_random(slots: list[SlotEntry]) -> list[SlotEntry]:
    """Consecutive random slots of one category and mark as one entry with their count."""
    grouped: list[SlotEntry] = []
    for slot in slots:
        last = grouped[-1] if grouped else None
        if (
            slot.question is None
            and last is not None
            and last.question is None
            and (last.category, last.mark) == (slot.category, slot.mark)
        ):
            last.count += slot.count
        else:
            grouped.append(replace(slot))
    return grouped


# --- reading -----------------------------------------------------------------------------------------------------

Add = Callable[..., None]  # add(code, file, where, **params)


@dataclass
class QuizChecker(ManifestChecks):
    """Checks the manifest's "bank" and "quizzes" (with `add` reporting as the manifest checker does) and, once the
    bank's GIFT files are read, the questions and the slots that point at them."""

    files: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    extras: list[tuple[str, dict[str, Any]]] | None = None
    quizzes: list[QuizEntry] = field(default_factory=list)
    slot_places: list[tuple[str, SlotEntry]] = field(default_factory=list)

    # -- the manifest

    def check(self, bank: Any, quizzes: Any) -> None:
        if bank is not MISSING and (obj := self.object(bank, "bank", BANK_FIELDS)) is not None:
            for n, path in enumerate(self.list_field(obj, "files", "bank") or []):
                if (found := self.member(path, f"bank.files[{n}]", FOLDER)) is not None and found not in self.files:
                    self.files.append(found)
            for n, path in enumerate(self.list_field(obj, "categories", "bank") or []):
                if (text := self.check_text(path, f"bank.categories[{n}]", CATEGORY_LENGTH)) is not None:
                    self.categories.append(category_path(text))
            if "questions" in obj:
                extras = self.list_field(obj, "questions", "bank")
                self.extras = []
                for n, raw in enumerate(extras or []):
                    where = f"bank.questions[{n}]"
                    if (item := self.object(raw, where, EXTRA_FIELDS)) is not None:
                        self.extras.append((where, item))
        if quizzes is MISSING:
            return
        if not isinstance(quizzes, list):
            self.add("wrong_type", "quizzes", expected="list")
            return
        for n, raw in enumerate(quizzes):
            if (quiz := self._quiz(raw, f"quizzes[{n}]")) is not None:
                self.quizzes.append(quiz)

    def _quiz(self, raw: Any, where: str) -> QuizEntry | None:
        if (obj := self.object(raw, where, QUIZ_FIELDS)) is None:
            return None
        quiz = QuizEntry("")
        if "title" in obj:
            quiz.title = self.check_text(obj["title"], f"{where}.title", 200) or ""
        if "intro" in obj:
            quiz.intro = self.check_text(obj["intro"], f"{where}.intro", 20000, empty=True) or ""
        for key in ("published", "shuffle_questions", "shuffle_answers", "required_for_completion"):
            setattr(quiz, key, self.boolean(obj, key, where, getattr(quiz, key)))
        quiz.opens_at = self.timestamp(obj, "opens_at", where)
        quiz.closes_at = self.timestamp(obj, "closes_at", where)
        if (minutes := self.number(obj, "time_limit_minutes", where, 1, 100_000, whole=True)) is not None:
            quiz.time_limit_minutes = int(minutes)
        quiz.attempts_allowed = int(self.number(obj, "attempts_allowed", where, 0, 1000, whole=True) or 0)
        quiz.grading_method = self.choice(obj, "grading_method", where, GRADING_METHODS, "highest")
        quiz.pass_percent = self.number(obj, "pass_percent", where, 0, 100)
        for key in REVIEW_KEYS:
            setattr(quiz, key, self.choice(obj, key, where, REVIEW_CHOICES, getattr(quiz, key)))
        # A package from before these two options: they follow the marks and the feedback, as they did then.
        if "review_correctness" not in obj:
            quiz.review_correctness = quiz.review_marks
        if "review_general_feedback" not in obj:
            quiz.review_general_feedback = quiz.review_feedback
        slots = self.list_field(obj, "slots", where) or []
        if len(slots) > MAX_SLOTS:
            self.add("too_long", f"{where}.slots", limit=MAX_SLOTS)
            slots = []
        for n, item in enumerate(slots):
            if (slot := self._slot(item, f"{where}.slots[{n}]")) is not None:
                quiz.slots.append(slot)
        if sum(s.count for s in quiz.slots) > MAX_SLOTS:
            self.add("too_long", f"{where}.slots", limit=MAX_SLOTS)
        return quiz

    def _slot(self, raw: Any, where: str) -> SlotEntry | None:
        if (obj := self.object(raw, where, SLOT_FIELDS)) is None:
            return None
        slot = SlotEntry()
        mark = self.number(obj, "mark", where, 0, MAX_MARK)
        slot.mark = 1.0 if mark is None else mark
        if ("question" in obj) == ("random" in obj):
            self.add("one_of", where, first="question", second="random")
            return None
        if "question" in obj:
            if "count" in obj:
                self.add("not_for_slot", f"{where}.count", name="count")
            number = self.number(obj, "question", where, 0, 10**9, whole=True)
            if number is None:
                if obj["question"] is None:
                    self.add("wrong_type", f"{where}.question", expected="integer")
                return None
            slot.question = int(number)
            self.slot_places.append((f"{where}.question", slot))
            return slot
        if (path := self.check_text(obj["random"], f"{where}.random", CATEGORY_LENGTH)) is None:
            return None
        slot.category = category_path(path)
        self.slot_places.append((f"{where}.random", slot))
        if "count" in obj:
            slot.count = int(self.number(obj, "count", where, 1, MAX_SLOTS, whole=True) or 1)
        return slot

    # -- the GIFT files, once read

    def bank(self, texts: dict[str, str], report: Add) -> Bank | None:
        """The bank from the GIFT `texts` (path: text, the files that could be read), reporting each GIFT problem
        by file and line (`report(code, file, where, **params)`); then the slots are checked against it.
        None when the package names no bank."""
        bank = Bank(list(dict.fromkeys(self.categories)))
        clean = True
        for path in self.files:
            if path not in texts:
                clean = False
                continue
            try:
                result = parse_gift(texts[path])
            except QuizFormatError as exc:
                result_problems, questions = exc.problems, []
            else:
                result_problems, questions = result.problems, result.questions
            for problem in result_problems:
                report("gift", path, "", at=as_data(problem.where), message=as_data(problem.message))
                clean = False
            for question in questions:
                q = replace(question, category=category_path(question.category))
                if len(q.category) > CATEGORY_LENGTH:
                    report("too_long", path, f"question {len(bank.questions)}: $CATEGORY", limit=CATEGORY_LENGTH)
                    clean = False
                bank.questions.append(q)
        if self.extras is not None and clean:
            if len(self.extras) != len(bank.questions):
                self.add("count_mismatch", "bank.questions", found=len(self.extras), expected=len(bank.questions))
            else:
                for n, (where, extra) in enumerate(self.extras):
                    bank.questions[n] = self._extra(bank.questions[n], extra, where)
        known = set(bank.categories) | {q.category for q in bank.questions}
        for at, slot in self.slot_places:
            if slot.question is not None and clean and slot.question >= len(bank.questions):
                self.add("no_question", at, index=slot.question, count=len(bank.questions))
            elif slot.category is not None and slot.category not in known:
                self.add("unknown_category", at, path=slot.category)
        if not self.files and not self.categories:
            return None
        return bank

    def _extra(self, question: Question, extra: dict[str, Any], where: str) -> Question:
        mark = self.number(extra, "mark", where, 0, MAX_MARK)
        return replace(
            question,
            default_mark=question.default_mark if mark is None else mark,
            shuffle=self.boolean(extra, "shuffle", where, question.shuffle),
            case_sensitive=self.boolean(extra, "case_sensitive", where, question.case_sensitive),
        )
