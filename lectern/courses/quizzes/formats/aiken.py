"""The Aiken quiz format (Moodle's qformat_aiken): single-choice questions in plain text. Pure: no Flask.

A question is its text (one line in the original format; we also accept several), its options, one to a line, each
a capital Latin letter, then ``)`` or ``.``, then (usually) a space and the option's text, and an ``ANSWER: X`` line
naming the right option. Blank lines between questions are optional::

    Which document must a driver show at the border?
    A) A library card
    B. A passport
    ANSWER: B

Every problem names the line it is on and what is wrong there; a question with a problem is skipped and the
others still parse. A question without an ANSWER line is reported at the line where the question starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lectern.courses.quizzes.questions import Choice, ImportResult, Problem, Question, QuestionType, QuizFormatError
from lectern.texts import N_, Text, on_line

NAME_LENGTH = 80  # Moodle names an Aiken question after the start of its text, shortened like this

# A space or a tab after the separator, or the no-break space word processors put there; or, as Moodle also
# accepts, none ("A)Text"): that one is an option only where the next option is due, so that a question text such
# as "U.S. customs rules" stays text.
_OPTION = re.compile(r"([A-Z])[).](\s*)(\S.*)")
_ANSWER_LETTER = re.compile(r"ANSWER:[ \t]*[A-Z]")
# Lines that are meant to be options but break the rules: lower case, no space, another separator, no text.
_NEAR_OPTION = re.compile(r"[A-Za-z]\s*[).:\]]")
# Cyrillic capitals that Russian keyboards type where a Latin option letter was meant (А, В, С look the same).
_CYRILLIC_OPTION = re.compile(r"([А-ЯЁ])[).]")
_ANSWER = re.compile(r"ANSWER:[ \t]*(.*)")
_NEAR_ANSWER = re.compile(r"(?i)answer\s*[:\-]|answer\s+[a-z]\s*$|ответ\s*:")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_OPTION_SHAPE = N_("an option must look like 'A) text'")
_NO_ANSWER_LINE = N_("the question has no ANSWER line")


@dataclass
class _Draft:
    """The question being read: its lines so far, and the first problem found in it."""

    start: int
    text: list[tuple[int, str]] = field(default_factory=list)  # (line number, text)
    options: list[str] = field(default_factory=list)
    problem: Problem | None = None

    def fail(self, line: int, message: Text) -> None:
        # Only the first problem of a question is reported: later ones are often its consequences.
        if self.problem is None:
            self.problem = Problem(on_line(line), message)


def parse_aiken(text: str) -> ImportResult:
    """Read Aiken text into single-choice questions (plain text format, the right option's fraction 1.0).

    Returns the questions that parsed and a Problem for each one that did not. Raises QuizFormatError only for
    input that is not text at all (NUL characters, as in a binary file read as text).
    """
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        at = text.count("\n", 0, text.index("\x00")) + 1
        raise QuizFormatError([Problem(on_line(at), N_("the file is not text (it contains NUL characters)"))])

    result = ImportResult()
    draft: _Draft | None = None
    for number, raw in enumerate(_LINE_BREAK.split(text), start=1):
        line = raw.strip()
        if not line:
            continue
        if draft is None:
            draft = _Draft(start=number)

        answer = _ANSWER.fullmatch(line)
        if answer:
            _finish(draft, number, answer.group(1).strip(), result)
            draft = None
        elif _NEAR_ANSWER.match(line):
            draft.fail(number, N_("the answer line must look like 'ANSWER: B'"))
            _finish(draft, number, "", result)
            draft = None
        elif (option := _OPTION.fullmatch(line)) and (option.group(2) or _due(draft, option.group(1))):
            _add_option(draft, number, option.group(1), option.group(3))
        elif draft.options and (cyrillic := _CYRILLIC_OPTION.match(line)):
            draft.fail(number, _cyrillic_letter(cyrillic.group(1)))
            draft.options.append(line)
        elif draft.options and _NEAR_OPTION.match(line):
            draft.fail(number, _OPTION_SHAPE)
            draft.options.append(line)
        elif draft.options:
            # Text after the options starts the next question: this one ended without its ANSWER line.
            draft.fail(draft.start, _NO_ANSWER_LINE)
            assert draft.problem is not None
            result.problems.append(draft.problem)
            draft = _Draft(start=number, text=[(number, line)])
        else:
            # Before the options, a line like "А. С. Пушкин" is question text; Cyrillic option letters are only
            # suspected when the options then fail to appear (see _option_hint).
            draft.text.append((number, line))

    if draft is not None:
        draft.fail(draft.start, _NO_ANSWER_LINE)
        assert draft.problem is not None
        result.problems.append(draft.problem)
    if not result.questions and not result.problems:
        result.problems.append(Problem(on_line(1), N_("the file has no questions")))
    return result


def _due(draft: _Draft, letter: str) -> bool:
    """Whether `letter` is the next option of a question that has its text."""
    return bool(draft.text) and letter == chr(ord("A") + len(draft.options))


def _add_option(draft: _Draft, number: int, letter: str, text: str) -> None:
    expected = chr(ord("A") + len(draft.options))
    if letter != expected:
        hint = _option_hint(draft)
        if hint is not None:
            draft.fail(*hint)
        draft.fail(number, N_("expected option '%(expected)s', found '%(found)s'", expected=expected, found=letter))
    if not draft.text:
        draft.fail(number, N_("an option comes before the question text"))
    draft.options.append(text.strip())


def _finish(draft: _Draft, number: int, letter: str, result: ImportResult) -> None:
    """Close a question at its ANSWER line: add it to the questions, or its first problem to the problems."""
    if not draft.text and not draft.options:
        draft.fail(number, N_("an ANSWER line without a question"))
    elif not draft.options:
        hint = _option_hint(draft)
        if hint is not None:
            draft.fail(*hint)
        draft.fail(number, N_("the question has no options (an option must look like 'A) text')"))
    elif len(draft.options) < 2:
        draft.fail(number, N_("the question needs at least two options"))
    elif not letter:
        draft.fail(number, N_("the ANSWER line names no option"))
    elif re.fullmatch(r"[А-ЯЁ]", letter):
        draft.fail(number, N_("ANSWER: %(letter)s is a Cyrillic letter; use Latin A-Z", letter=letter))
    elif not re.fullmatch(r"[A-Z]", letter) or ord(letter) - ord("A") >= len(draft.options):
        draft.fail(number, N_("ANSWER: %(letter)s names no option", letter=letter))
    if draft.problem is not None:
        result.problems.append(draft.problem)
        return

    right = ord(letter) - ord("A")
    lines = [line for _, line in draft.text]
    result.add(
        Question(
            type=QuestionType.SINGLE,
            text="\n".join(lines),
            name=_default_name(lines[0]),
            text_format="plain",
            choices=tuple(Choice(option, 1.0 if i == right else 0.0) for i, option in enumerate(draft.options)),
        ),
        on_line(draft.start),
    )


def _cyrillic_letter(letter: str) -> Text:
    return N_("option letter '%(letter)s' is Cyrillic; use Latin A-Z", letter=letter)


def _option_hint(draft: _Draft) -> tuple[int, Text] | None:
    """The first text line that looks like a broken option (a Cyrillic or lower-case letter, another separator),
    when the options are missing: the problem is there, not at the ANSWER line."""
    for number, line in draft.text[1:]:
        cyrillic = _CYRILLIC_OPTION.match(line)
        if cyrillic and line[2:3].isspace():
            return number, _cyrillic_letter(cyrillic.group(1))
        if _NEAR_OPTION.match(line):
            return number, _OPTION_SHAPE
    return None


def aiken_answer_line(text: str) -> int | None:
    """The number of the first line that makes `text` read as Aiken (an ``ANSWER: X`` line right after an option
    line), or None. The importer guesses the format with it, and refuses to read such a file as another format."""
    previous = ""
    for number, raw in enumerate(_LINE_BREAK.split(text), start=1):
        line = raw.strip()
        if not line:
            continue
        if _ANSWER_LETTER.match(line) and _OPTION.fullmatch(previous):
            return number
        previous = line
    return None


def _default_name(first_line: str) -> str:
    name = " ".join(first_line.split())
    if len(name) <= NAME_LENGTH:
        return name
    return name[: NAME_LENGTH - 1].rstrip() + "…"
