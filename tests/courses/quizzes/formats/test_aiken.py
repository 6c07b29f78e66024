"""The Aiken reader, on files written from Moodle's description of the format: single-choice questions, options
"A) text" or "A. text", then "ANSWER: X". Every problem names its line; a bad question does not stop the others."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lectern.courses.quizzes.formats.aiken import aiken_answer_line, parse_aiken
from lectern.courses.quizzes.questions import Choice, ImportResult, Problem, Question, QuestionType, QuizFormatError

# The two examples of Moodle's help page, then a Russian one, with Windows line ends and a BOM as Notepad saves.
DOCUMENTED = (
    "\ufeffWhat is the correct answer to this question?\r\n"
    "A. Is it this one?\r\n"
    "B. Maybe this answer?\r\n"
    "C. Possibly this one?\r\n"
    "D. Must be this one!\r\n"
    "ANSWER: D\r\n"
    "\r\n"
    "Which LMS has the most quiz import formats?\r\n"
    "A) Moodle\r\n"
    "B) ATutor\r\n"
    "C) Claroline\r\n"
    "D) Blackboard\r\n"
    "E) WebCT\r\n"
    "F) Ilias\r\n"
    "ANSWER: A\r\n"
    "\r\n"
    "Какой документ удостоверяет личность при пересечении границы?\r\n"
    "A) Водительское удостоверение\r\n"
    "B) Заграничный паспорт\r\n"
    "C) Студенческий билет\r\n"
    "ANSWER: B\r\n"
)


def test_documented_examples() -> None:
    result = parse_aiken(DOCUMENTED)
    assert result.problems == []
    first, second, third = result.questions
    assert first == Question(
        type=QuestionType.SINGLE,
        text="What is the correct answer to this question?",
        name="What is the correct answer to this question?",
        text_format="plain",
        choices=(
            Choice("Is it this one?", 0.0),
            Choice("Maybe this answer?", 0.0),
            Choice("Possibly this one?", 0.0),
            Choice("Must be this one!", 1.0),
        ),
    )
    assert [c.fraction for c in second.choices] == [1.0, 0, 0, 0, 0, 0]
    assert third.text == "Какой документ удостоверяет личность при пересечении границы?"
    assert [c.text for c in third.choices if c.fraction == 1.0] == ["Заграничный паспорт"]


def test_questions_need_no_blank_line_and_may_span_lines() -> None:
    text = "Line one\n  of the question\nA) x\nB) y\nANSWER: B\nNext\nA. p\nB. q\nANSWER: A\n"
    result = parse_aiken(text)
    assert result.problems == []
    assert [q.text for q in result.questions] == ["Line one\nof the question", "Next"]
    assert result.questions[0].name == "Line one"


def test_long_names_are_shortened() -> None:
    result = parse_aiken("Q" * 200 + "\nA) x\nB) y\nANSWER: A")
    assert len(result.questions[0].name) == 80
    assert result.questions[0].name.endswith("…")
    assert result.questions[0].text == "Q" * 200


# (file, expected problem): lines are counted from 1, blank lines included.
MALFORMED = [
    ("Q\nA) x\nB) y\nANSWER: E\n", "line 4: ANSWER: E names no option"),
    ("Q\nA) x\nB) y\nANSWER: b\n", "line 4: ANSWER: b names no option"),
    ("Q\nA) x\nB) y\nANSWER:\n", "line 4: the ANSWER line names no option"),
    ("Q\nA) x\nB) y\nAnswer: B\n", "line 4: the answer line must look like 'ANSWER: B'"),
    ("Q\nA) x\nb) y\nANSWER: A\n", "line 3: an option must look like 'A) text'"),
    ("Q\nA) x\nB)\nANSWER: A\n", "line 3: an option must look like 'A) text'"),
    ("Q\na) x\nb) y\nANSWER: A\n", "line 2: an option must look like 'A) text'"),
    ("Q\nA: x\nB: y\nANSWER: A\n", "line 2: an option must look like 'A) text'"),
    ("Q\nA) x\nB:  y\nANSWER: A\n", "line 3: an option must look like 'A) text'"),
    ("Q\nA) x\nC) y\nANSWER: A\n", "line 3: expected option 'B', found 'C'"),
    ("Q\nA) x\nANSWER: A\n", "line 3: the question needs at least two options"),
    ("Q\nANSWER: A\n", "line 2: the question has no options (an option must look like 'A) text')"),
    ("\n\nANSWER: A\n", "line 3: an ANSWER line without a question"),
    ("A) x\nB) y\nANSWER: A\n", "line 1: an option comes before the question text"),
    ("Q\nA) x\nB) y\n", "line 1: the question has no ANSWER line"),
    # Cyrillic letters typed for options: С is Cyrillic here, and so are А, Б, В in the second file.
    ("Q\nA) x\nB) y\nС) z\nANSWER: A\n", "line 4: option letter 'С' is Cyrillic; use Latin A-Z"),
    ("Вопрос\nА) да\nБ) нет\nANSWER: А\n", "line 2: option letter 'А' is Cyrillic; use Latin A-Z"),
    ("Вопрос\nА) да\nB) нет\nANSWER: A\n", "line 2: option letter 'А' is Cyrillic; use Latin A-Z"),
    ("Вопрос\nA) да\nB) нет\nANSWER: В\n", "line 4: ANSWER: В is a Cyrillic letter; use Latin A-Z"),
    ("", "line 1: the file has no questions"),
]


@pytest.mark.parametrize(("text", "expected"), MALFORMED)
def test_malformed(text: str, expected: str) -> None:
    result = parse_aiken(text)
    assert result.questions == []
    assert [str(p) for p in result.problems] == [expected]


def test_bad_question_is_skipped_and_the_others_parse() -> None:
    text = (
        "Good one\nA) x\nB) y\nANSWER: A\n\n"  # lines 1-4
        "Bad one\nA) x\nB) y\nC) z\nANSWER: E\n\n"  # lines 6-10
        "No answer\nA) x\nB) y\n\n"  # lines 12-14
        "Last\nA) x\nB) y\nANSWER: B\n"  # lines 16-19
    )
    result = parse_aiken(text)
    assert [q.text for q in result.questions] == ["Good one", "Last"]
    assert result.problems == [
        Problem("line 10", "ANSWER: E names no option"),
        Problem("line 12", "the question has no ANSWER line"),
    ]


def test_only_the_first_problem_of_a_question_is_reported() -> None:
    result = parse_aiken("Q\nA) x\nb) y\nANSWER: Z\n")
    assert [str(p) for p in result.problems] == ["line 3: an option must look like 'A) text'"]


def test_options_without_a_space_as_moodle_accepts() -> None:
    result = parse_aiken("U.S. customs: which form?\nA)CBP 6059B\nB.I-94\nC) DS-160\nANSWER: A\n")
    assert result.problems == []
    assert result.questions[0].text == "U.S. customs: which form?"
    assert [c.text for c in result.questions[0].choices] == ["CBP 6059B", "I-94", "DS-160"]


def test_a_file_reads_as_aiken_by_an_answer_line_after_an_option() -> None:
    assert aiken_answer_line("Q?\n\nA) x\nB)y\n\nANSWER: B\n") == 6
    assert aiken_answer_line("Q{=a ~b}\n\nANSWER: B is a description\n") is None
    assert aiken_answer_line("::Q:: {=ANSWER: B ~x}") is None


def test_initials_in_russian_question_text_are_text() -> None:
    result = parse_aiken("Кто написал эти строки?\nА. С. Пушкин или нет?\nA) Да\nB) Нет\nANSWER: A\n")
    assert result.problems == []
    assert result.questions[0].text == "Кто написал эти строки?\nА. С. Пушкин или нет?"


def test_binary_input_is_refused() -> None:
    with pytest.raises(QuizFormatError) as raised:
        parse_aiken("Q\nA) x\x00\n")
    assert [str(p) for p in raised.value.problems] == ["line 2: the file is not text (it contains NUL characters)"]


# Lines that look like Aiken, so that the fuzzing reaches deep into the reader.
aiken_line = st.one_of(
    st.sampled_from(["ANSWER: A", "ANSWER: B", "ANSWER: Z", "ANSWER:", "Answer: b", "", " ", "Вопрос", "ОТВЕТ: А"]),
    st.builds(
        lambda letter, sep, text: f"{letter}{sep}{text}",
        st.sampled_from("ABCabАБС"),
        st.sampled_from([") ", ". ", ")", ":"]),
        st.text(max_size=8),
    ),
    st.text(max_size=20),
)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), st.lists(aiken_line, max_size=30).map("\n".join)))
def test_any_text_imports_or_raises_our_error(text: str) -> None:
    try:
        result = parse_aiken(text)
    except QuizFormatError as error:
        assert error.problems
        return
    assert isinstance(result, ImportResult)
    for question in result.questions:
        assert question.type is QuestionType.SINGLE
        assert sum(c.fraction for c in question.choices) == 1.0
    for problem in result.problems:
        assert problem.where.startswith("line ")


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1).filter(str.strip),
            st.lists(
                st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1).filter(str.strip),
                min_size=2,
                max_size=6,
            ),
            st.integers(0, 5),
        ),
        max_size=5,
    )
)
def test_well_formed_files_parse_completely(questions: list[tuple[str, list[str], int]]) -> None:
    lines = []
    for text, options, right in questions:
        text = "Q " + text  # a question text that cannot be mistaken for an option or an ANSWER line
        lines += [text, *(f"{chr(65 + i)}) {option}" for i, option in enumerate(options))]
        lines += [f"ANSWER: {chr(65 + min(right, len(options) - 1))}", ""]
    result = parse_aiken("\n".join(lines))
    assert result.problems == [] or not questions
    assert [q.text for q in result.questions] == [("Q " + t).strip() for t, _, _ in questions]
    for question, (_, options, right) in zip(result.questions, questions, strict=True):
        assert [c.text for c in question.choices] == [o.strip() for o in options]
        assert question.choices[min(right, len(options) - 1)].fraction == 1.0
