"""The pure grading engine: every question type with Moodle's semantics, response validation, shuffling,
attempt aggregation and the statistics page's numbers. No Flask, no database."""

from __future__ import annotations

import math
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lectern.courses.quizzes.gradebook.stats import discrimination_index, facility_index, score_distribution
from lectern.courses.quizzes.grading import (
    NOT_A_NUMBER,
    Grade,
    InvalidResponse,
    Order,
    combined_feedback,
    grade,
    manual_grade,
    matching_options,
    matching_stems,
    normalise_response,
    overall,
    parse_number,
    permutation,
    shuffled,
    shuffled_options,
    wildcard_match,
)
from lectern.courses.quizzes.questions import Choice, NumericAnswer, Pair, Question, QuestionType, TextAnswer

QT = QuestionType

SINGLE = Question(
    QT.SINGLE,
    "Which document admits a foreign national?",
    default_mark=2.0,
    choices=(
        Choice("A visa", 1.0, "Right."),
        Choice("A residence permit", 0.5, "Only for residents."),
        Choice("A library card", -0.5, "No."),
    ),
)
MULTIPLE = Question(
    QT.MULTIPLE,
    "Which are security features of a passport?",
    default_mark=4.0,
    choices=(
        Choice("Watermark", 0.5, "Yes, a watermark."),
        Choice("Hologram", 0.5, "Yes, a hologram."),
        Choice("Coffee stain", -0.5, "No."),
        Choice("Staple", -1.0),
    ),
)
THIRDS = Question(
    QT.MULTIPLE,
    "Pick the three",
    choices=(Choice("a", 0.3333333), Choice("b", 0.3333333), Choice("c", 0.3333333), Choice("d", -1.0)),
)
TRUE_FALSE = Question(
    QT.TRUE_FALSE, "The MRZ has two lines on a passport.", correct=True, true_feedback="T!", false_feedback="F!"
)
SHORT = Question(
    QT.SHORT,
    "Name the service",
    answers=(
        TextAnswer("Пограничная служба", 1.0, "Верно."),
        TextAnswer("погран*", 0.5, "Почти."),
        TextAnswer("*", 0.0, "Нет."),
    ),
)
NUMERICAL = Question(
    QT.NUMERICAL,
    "How long?",
    default_mark=3.0,
    numeric=(
        NumericAnswer(10.0, tolerance=0.5, fraction=1.0, feedback="Exactly."),
        NumericAnswer(10.0, tolerance=2.0, fraction=0.5, feedback="Close."),
    ),
)
RANGE = Question(QT.NUMERICAL, "Between?", numeric=(NumericAnswer(0.0, low=2.0, high=4.0),))
MATCHING = Question(
    QT.MATCHING,
    "Match",
    pairs=(
        Pair("Паспорт", "Документ"),
        Pair("Виза", "Разрешение"),
        Pair("ИНН", "Документ"),
        Pair("", "Ордер"),  # a distractor
    ),
)
ESSAY = Question(QT.ESSAY, "Describe a shift", default_mark=5.0)
DESCRIPTION = Question(QT.DESCRIPTION, "Read this first.")


def check(g: Grade, fraction: float, state: str, feedback: tuple[str, ...] = ()) -> None:
    assert (g.fraction, g.state, g.feedback) == (fraction, state, feedback)


# --- single, multiple, true/false ----------------------------------------------------------------------------------


def test_single_choice_earns_the_chosen_fraction_and_clamps_negative_weights():
    check(grade(SINGLE, 0), 1.0, "correct", ("Right.",))
    assert grade(SINGLE, 0).mark == 2.0
    partial = grade(SINGLE, 1)
    check(partial, 0.5, "partial", ("Only for residents.",))
    assert partial.mark == 1.0
    check(grade(SINGLE, 2), 0.0, "wrong", ("No.",))  # -0.5 clamps to 0: a single answer cannot cost marks
    check(grade(SINGLE, None), 0.0, "unanswered")


@pytest.mark.parametrize(
    ("chosen", "fraction", "state"),
    [
        ([0, 1], 1.0, "correct"),
        ([0], 0.5, "partial"),
        ([0, 2], 0.0, "wrong"),  # 0.5 - 0.5
        ([0, 1, 2], 0.5, "partial"),  # 0.5 + 0.5 - 0.5: a wrong pick costs what it weighs
        ([2, 3], 0.0, "wrong"),  # -1.5 clamps to 0
        ([0, 1, 2, 3], 0.0, "wrong"),  # 1 - 1.5 clamps to 0: ticking everything does not pay
    ],
)
def test_multiple_choice_sums_the_chosen_fractions_clamped(chosen: list[int], fraction: float, state: str):
    g = grade(MULTIPLE, chosen)
    assert (g.fraction, g.state, g.mark) == (fraction, state, fraction * 4.0)


def test_multiple_choice_feedback_unanswered_and_clamp_above_one():
    check(grade(MULTIPLE, [1, 0, 3]), 0.0, "wrong", ("Yes, a watermark.", "Yes, a hologram."))
    check(grade(MULTIPLE, []), 0.0, "unanswered")
    generous = Question(QT.MULTIPLE, "q", choices=(Choice("a", 1.0), Choice("b", 1.0)))
    assert grade(generous, [0, 1]).fraction == 1.0


def test_thirds_stored_with_seven_decimals_count_as_correct():
    # 3 × 0.3333333 = 0.9999999: Moodle's threshold (> 0.999999) calls that right; the mark keeps its decimals.
    g = grade(THIRDS, [0, 1, 2])
    assert (g.fraction, g.state) == (0.9999999, "correct")
    assert grade(THIRDS, [0, 1]).state == "partial"


def test_true_false():
    check(grade(TRUE_FALSE, True), 1.0, "correct", ("T!",))
    check(grade(TRUE_FALSE, False), 0.0, "wrong", ("F!",))
    check(grade(TRUE_FALSE, "true"), 1.0, "correct", ("T!",))  # an HTML form value
    falsehood = Question(QT.TRUE_FALSE, "q", correct=False)
    assert grade(falsehood, False).fraction == 1.0  # False is an answer, not a blank
    assert grade(Question(QT.TRUE_FALSE, "q"), True).fraction == 0.0  # no key set: nothing is right


# --- short answer -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "fraction", "feedback"),
    [
        ("Пограничная служба", 1.0, "Верно."),
        ("  пограничная   СЛУЖБА ", 1.0, "Верно."),  # case, surrounding and repeated spaces ignored
        ("Пограничник", 0.5, "Почти."),  # the wildcard answer
        ("ПОГРАНЗАСТАВА", 0.5, "Почти."),
        ("Таможня", 0.0, "Нет."),  # the catch-all `*` at 0% still gives its feedback
    ],
)
def test_short_answer_takes_the_best_matching_answer(typed: str, fraction: float, feedback: str):
    g = grade(SHORT, typed)
    assert (g.fraction, g.feedback) == (fraction, (feedback,))


def test_short_answer_best_match_wins_over_order_and_blank_is_unanswered():
    q = Question(QT.SHORT, "q", answers=(TextAnswer("*", 0.2), TextAnswer("visa", 1.0), TextAnswer("vis*", 0.5)))
    assert grade(q, "VISA").fraction == 1.0
    assert grade(q, "visum").fraction == 0.5
    tie = Question(QT.SHORT, "q", answers=(TextAnswer("vis*", 1.0, "first"), TextAnswer("*sa", 1.0, "second")))
    assert grade(tie, "visa").feedback == ("first",)  # equal fractions: the first in the question's order
    assert grade(q, "   ").state == "unanswered"
    assert grade(Question(QT.SHORT, "q"), "anything").state == "wrong"


def test_short_answer_case_sensitive_option():
    q = Question(QT.SHORT, "Country code", answers=(TextAnswer("RUS"),), case_sensitive=True)
    assert grade(q, "RUS").fraction == 1.0
    assert grade(q, "rus").fraction == 0.0
    assert grade(q, " RUS ").fraction == 1.0  # spaces are never significant


def test_composed_and_decomposed_letters_are_the_same():
    q = Question(QT.SHORT, "q", answers=(TextAnswer("й"),))
    assert grade(q, "и\u0306").fraction == 1.0  # и + combining breve, as some keyboards send it


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        ("abc", "abc", True),
        ("abc", "abcd", False),
        ("a*", "a", True),
        ("*c", "abc", True),
        ("a*c", "ac", True),
        ("a*b*c", "aXbYc", True),
        ("a*b*c", "acb", False),
        ("ab*ba", "aba", False),  # prefix and suffix must not share the middle letter
        ("*", "", True),
        ("a\\*b", "a*b", True),  # \* is a literal star, as in Moodle
        ("a\\*b", "aXb", False),
        ("a\\b", "a\\b", True),
    ],
)
def test_wildcards(pattern: str, text: str, matches: bool):
    assert wildcard_match(pattern, text) is matches


def test_wildcards_do_not_backtrack_exponentially():
    start = time.perf_counter()
    assert not wildcard_match("a*" * 40 + "b", "a" * 5000)
    assert time.perf_counter() - start < 1.0


# --- numerical ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "fraction"),
    [
        ("10", 1.0),
        ("10.5", 1.0),  # value + tolerance: edges are inclusive
        ("9.5", 1.0),  # value - tolerance
        ("10,5", 1.0),  # decimal comma
        ("10.5000001", 0.5),  # a hair beyond the tight answer: only the looser one (±2, 50%) takes it
        ("9.4999999", 0.5),
        ("12", 0.5),  # the looser answer's edge
        ("12.0000001", 0.0),  # a hair beyond everything
        ("7.9999999", 0.0),
    ],
)
def test_numerical_tolerance_edges(typed: str, fraction: float):
    assert grade(NUMERICAL, typed).fraction == fraction


def test_numerical_feedback_mark_and_best_answer():
    g = grade(NUMERICAL, "10.2")
    assert (g.fraction, g.mark, g.feedback) == (1.0, 3.0, ("Exactly.",))  # both contain it: the better wins
    assert grade(NUMERICAL, "11").feedback == ("Close.",)
    assert grade(NUMERICAL, "20").feedback == ()


@pytest.mark.parametrize(
    ("typed", "fraction"),
    [("2", 1.0), ("4", 1.0), ("3,14", 1.0), ("1.9999999", 0.0), ("4.0000001", 0.0), ("-3", 0.0)],
)
def test_numerical_ranges_are_inclusive(typed: str, fraction: float):
    assert grade(RANGE, typed).fraction == fraction


def test_numerical_guards_float_error():
    # 0.1 + 0.2 is 0.30000000000000004 as a double; with tolerance 0 "0.3" must still be right.
    assert grade(Question(QT.NUMERICAL, "q", numeric=(NumericAnswer(0.1 + 0.2),)), "0.3").fraction == 1.0
    # |0.9 - 1.1| is 0.20000000000000007 > 0.2 in doubles; 0.9 is on the edge of 1.1 ± 0.2 and must pass.
    edge = Question(QT.NUMERICAL, "q", numeric=(NumericAnswer(1.1, tolerance=0.2),))
    assert grade(edge, "0.9").fraction == 1.0
    assert grade(edge, "1.3").fraction == 1.0
    assert grade(edge, "0.8999999").fraction == 0.0


def test_numerical_json_numbers_are_taken_as_typed():
    assert normalise_response(NUMERICAL, 10.25) == "10.25"
    assert normalise_response(NUMERICAL, 10) == "10"
    assert normalise_response(NUMERICAL, 1e-05) == "1e-05"
    assert grade(NUMERICAL, 10).fraction == 1.0


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("3,14", 3.14),
        ("3.14", 3.14),
        ("  -2,5 ", -2.5),
        ("+7", 7.0),
        ("\u22127", -7.0),  # a pasted minus sign
        ("1 234 567,89", 1234567.89),
        ("1\u00a0234", 1234.0),  # no-break space, as Russian typography groups digits
        ("1,234", 1.234),  # a comma is decimal, never a thousands separator
        (",5", 0.5),
        ("5.", 5.0),
        ("1.5e3", 1500.0),
        ("2E-2", 0.02),
    ],
)
def test_parse_number_reads_what_cadets_type(typed: str, value: float):
    assert parse_number(typed) == pytest.approx(value)


@pytest.mark.parametrize(
    "typed",
    ["", "abc", "1.2.3", "1,234.5", "12 34", "1  234", "- 5", "1_000", "٣", "nan", "inf", "0x10", "1e99999", ".", "e5"],
)
def test_parse_number_refuses_the_rest(typed: str):
    assert parse_number(typed) is None


def test_not_a_number_grades_zero_with_a_note():
    g = grade(NUMERICAL, "ten")
    assert (g.fraction, g.state, g.note) == (0.0, "wrong", NOT_A_NUMBER)
    assert grade(NUMERICAL, "  ").state == "unanswered"


# --- matching -----------------------------------------------------------------------------------------------------


def test_matching_stems_and_options():
    assert [p.left for p in matching_stems(MATCHING)] == ["Паспорт", "Виза", "ИНН"]
    # Distinct right texts by code point (Д < О < Р), the distractor included.
    assert matching_options(MATCHING) == ("Документ", "Ордер", "Разрешение")


def test_matching_grades_correct_pairs_over_left_items():
    # Документ = 0, Ордер = 1, Разрешение = 2
    check(grade(MATCHING, {0: 0, 1: 2, 2: 0}), 1.0, "correct")
    check(grade(MATCHING, {"0": 0, "1": 2, "2": 1}), 0.6666667, "partial")  # JSON keys are strings
    check(grade(MATCHING, {0: 0, 1: None}), 0.3333333, "partial")  # unanswered stems count as wrong
    check(grade(MATCHING, {0: 1, 1: 1, 2: 1}), 0.0, "wrong")  # the distractor is never right
    check(grade(MATCHING, {}), 0.0, "unanswered")
    check(grade(MATCHING, {0: None}), 0.0, "unanswered")


# --- essay and description ----------------------------------------------------------------------------------------


def test_essay_waits_for_a_teacher():
    check(grade(ESSAY, "We checked 40 lorries."), 0.0, "needs_grading")
    check(grade(ESSAY, " \n "), 0.0, "unanswered")
    g = manual_grade(ESSAY, 2.5)
    assert (g.fraction, g.mark, g.state) == (0.5, 2.5, "partial")
    assert manual_grade(ESSAY, 5).state == "correct"
    assert manual_grade(ESSAY, 0).state == "wrong"
    # The mark is kept as given, not recomputed from the rounded fraction 0.2333333.
    assert manual_grade(Question(QT.ESSAY, "q", default_mark=3.0), 0.7).mark == 0.7


@pytest.mark.parametrize("mark", [-0.1, 5.01, math.nan, math.inf, True, "3", None])
def test_manual_grade_refuses_marks_out_of_range(mark: Any):
    with pytest.raises(InvalidResponse):
        manual_grade(ESSAY, mark)


def test_description_is_not_graded():
    check(grade(DESCRIPTION, None), 0.0, "not_graded")
    with pytest.raises(InvalidResponse):
        grade(DESCRIPTION, "hello")
    with pytest.raises(InvalidResponse):
        manual_grade(DESCRIPTION, 0)


# --- normalise_response -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "raw"),
    [
        (SINGLE, 3),
        (SINGLE, -1),
        (SINGLE, True),  # bool is an int in Python, but not a choice
        (SINGLE, 1.0),
        (SINGLE, "x"),
        (SINGLE, "9" * 5000),  # past int()'s digit limit
        (SINGLE, [0]),
        (MULTIPLE, 0),
        (MULTIPLE, [0, 9]),
        (MULTIPLE, "0,1"),
        (MULTIPLE, {"0": True}),
        (TRUE_FALSE, 1),
        (TRUE_FALSE, "yes"),
        (SHORT, 5),
        (SHORT, "x" * 1001),
        (SHORT, "a\x00b"),  # PostgreSQL cannot store NUL
        (SHORT, "\ud800"),  # a lone surrogate, which json.loads lets through
        (NUMERICAL, True),
        (NUMERICAL, math.nan),
        (NUMERICAL, [1]),
        (NUMERICAL, 10**200),
        (MATCHING, [0, 1]),
        (MATCHING, {"0": 7}),
        (MATCHING, {"9": 0}),
        (MATCHING, {0: 1, "0": 1}),  # the same stem twice
        (MATCHING, {"0": "x"}),
        (ESSAY, {}),
        (DESCRIPTION, "x"),
    ],
)
def test_normalise_refuses_wrong_shapes(question: Question, raw: Any):
    with pytest.raises(InvalidResponse) as caught:
        normalise_response(question, raw)
    assert caught.value.message


def test_normalise_gives_canonical_values():
    assert normalise_response(SINGLE, "1") == 1
    assert normalise_response(MULTIPLE, [1, "0", 1]) == frozenset({0, 1})
    assert normalise_response(MATCHING, {"2": "0", "0": 1, "1": None}) == {0: 1, 2: 0}
    assert normalise_response(SHORT, " as typed ") == " as typed "
    assert normalise_response(TRUE_FALSE, "false") is False
    for q in (SINGLE, MULTIPLE, TRUE_FALSE, SHORT, NUMERICAL, MATCHING, ESSAY, DESCRIPTION):
        assert normalise_response(q, None) is None


# --- shuffling ----------------------------------------------------------------------------------------------------


def test_shuffling_is_deterministic_and_invertible():
    q = Question(QT.SINGLE, "q", choices=tuple(Choice(str(i)) for i in range(8)))
    order = shuffled(q, "attempt-17:3")
    assert order == shuffled(q, "attempt-17:3")  # a reload shows the same order
    assert sorted(order.order) == list(range(8))
    assert [order.inverse[i] for i in order.order] == list(range(8))
    assert [order.order[p] for p in order.inverse] == list(range(8))
    assert [c.text for c in order.apply(q.choices)] == [str(i) for i in order.order]
    assert len({shuffled(q, seed).order for seed in range(20)}) > 10  # seeds really shuffle


def test_shuffle_order_is_pinned():
    # Attempts are reviewed long after they began: the order for a seed must never change across releases.
    assert permutation(6, "attempt-1:1", "choices").order == (2, 5, 0, 1, 3, 4)


def test_shuffle_respects_the_question_setting():
    q = Question(QT.MULTIPLE, "q", shuffle=False, choices=tuple(Choice(str(i)) for i in range(5)))
    assert shuffled(q, 42) == Order((0, 1, 2, 3, 4))
    assert shuffled(TRUE_FALSE, 42) == Order(())
    assert shuffled(ESSAY, 42) == Order(())


def test_matching_shuffles_stems_by_setting_and_options_always():
    fixed = Question(QT.MATCHING, "q", shuffle=False, pairs=MATCHING.pairs)
    assert shuffled(fixed, 1).order == (0, 1, 2)
    assert sorted(shuffled(MATCHING, 1).order) == [0, 1, 2]
    option_orders = {shuffled_options(fixed, seed).order for seed in range(20)}
    assert len(option_orders) > 1  # Moodle shuffles the options whatever the question says
    assert all(sorted(o) == [0, 1, 2] for o in option_orders)


# --- attempts -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "expected"), [("highest", 8.0), ("average", 6.0), ("first", 4.0), ("last", 6.0)])
def test_overall_grading_methods_skip_unfinished_attempts(method: str, expected: float):
    assert overall(method, [None, 4.0, None, 8.0, 6.0, None]) == expected


def test_overall_edge_cases():
    assert overall("highest", []) is None
    assert overall("average", [None, None]) is None
    assert overall("average", [1.0, 1.0, 2.0]) == 1.3333333
    with pytest.raises(ValueError, match="grading method"):
        overall("median", [1.0])


# --- statistics ---------------------------------------------------------------------------------------------------


def test_facility_index():
    assert facility_index([1.0, 0.0, 1.0, 0.0], 1.0) == 0.5
    # Marks out of 2 -> fractions 0.5, 0.25, 0, 0.25 -> mean 1.0 / 4 = 0.25
    assert facility_index([1.0, 0.5, 0.0, 0.5], 2.0) == 0.25
    assert facility_index([], 1.0) is None
    assert facility_index([0.0], 0.0) is None


def test_discrimination_index_on_a_hand_computed_dataset():
    # Four attempts. Question marks q = [1, 0, 1, 0]; test totals t = [5, 2, 4, 3].
    # Rest of the test r = t - q = [4, 2, 3, 3].
    # mean q = 0.5, mean r = 3; deviations dq = [.5, -.5, .5, -.5], dr = [1, -1, 0, 0].
    # Σ dq·dr = .5 + .5 + 0 + 0 = 1;  Σ dq² = 4 × .25 = 1;  Σ dr² = 1 + 1 = 2.
    # r = 1 / √(1 × 2) = 0.70710678...
    assert discrimination_index([1, 0, 1, 0], [5, 2, 4, 3]) == pytest.approx(1 / math.sqrt(2))
    # Against the whole total instead it would be 2 / √5 ≈ 0.894: the question must not correlate with itself.
    assert discrimination_index([1, 0, 1, 0], [5, 2, 4, 3]) != pytest.approx(2 / math.sqrt(5))
    # Those who did well elsewhere failed here: a negative index flags a suspect question.
    # q = [0, 1], t = [3, 1] -> r = [3, 0]: perfectly opposed, -1.
    assert discrimination_index([0, 1], [3, 1]) == pytest.approx(-1.0)


def test_discrimination_index_undefined_cases():
    assert discrimination_index([], []) is None
    assert discrimination_index([1.0], [3.0]) is None  # one attempt
    assert discrimination_index([1.0, 1.0, 1.0], [2.0, 3.0, 4.0]) is None  # everyone got the question right
    # The rest is 1.0 for both, though 1.3 - 0.3 is 0.9999999999999998 in doubles: still no variance.
    assert discrimination_index([0.3, 1.3], [1.3, 2.3]) is None
    with pytest.raises(ValueError, match="same attempts"):
        discrimination_index([1.0], [1.0, 2.0])


def test_score_distribution():
    # Bands of 10: [0,10) [10,20) ... [90,100]; 100 goes in the last band, float noise below 70 goes to 70.
    scores = [0, 9.99, 10, 55, 69.99999999999999, 70, 100, 100, -5, 120]
    assert score_distribution(scores) == [3, 1, 0, 0, 0, 1, 0, 2, 0, 3]
    assert score_distribution([25, 50, 75, 100], bins=4) == [0, 1, 1, 2]
    assert score_distribution([]) == [0] * 10
    with pytest.raises(ValueError, match="bin"):
        score_distribution([1], bins=0)
    with pytest.raises(ValueError, match="percentage"):
        score_distribution([math.nan])


# --- properties -------------------------------------------------------------------------------------------------

texts = st.text(max_size=12)
fractions = st.sampled_from([1.0, 0.5, 0.0, -0.5, -1.0, 1 / 3, 0.3333333]) | st.floats(-1, 1)
finite = st.floats(-1e12, 1e12, allow_nan=False)
numeric_answers = st.builds(
    NumericAnswer,
    value=finite,
    tolerance=st.floats(-10, 10) | st.just(0.0),
    fraction=fractions,
    feedback=texts,
    low=st.none() | finite,
    high=st.none() | finite,
)
questions = st.builds(
    Question,
    type=st.sampled_from(list(QuestionType)),
    text=st.just("q"),
    default_mark=st.floats(0, 100),
    shuffle=st.booleans(),
    choices=st.lists(st.builds(Choice, texts, fractions, texts), max_size=6).map(tuple),
    answers=st.lists(
        st.builds(TextAnswer, st.text(alphabet="aBй* \\\t", max_size=8), fractions, texts), max_size=4
    ).map(tuple),
    case_sensitive=st.booleans(),
    numeric=st.lists(numeric_answers, max_size=4).map(tuple),
    pairs=st.lists(st.builds(Pair, st.sampled_from(["", " ", "a", "b", "c"]), texts), max_size=5).map(tuple),
    correct=st.none() | st.booleans(),
)
typed = st.text(alphabet=st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=40)
numbers_typed = (
    finite.map(repr) | finite.map(lambda x: repr(x).replace(".", ",")) | st.from_regex(r"\A[+-]?[0-9 ,.eE]{0,12}\Z")
)


def valid_responses(q: Question) -> st.SearchStrategy[Any]:
    """Every response normalise_response accepts for `q`, in canonical or raw JSON form."""
    n = len(q.choices)
    indexes = st.integers(0, max(n - 1, 0)) if n else st.nothing()
    by_type: dict[QuestionType, st.SearchStrategy[Any]] = {
        QT.SINGLE: indexes,
        QT.MULTIPLE: st.frozensets(indexes) | st.lists(indexes.map(str)),
        QT.TRUE_FALSE: st.booleans(),
        QT.SHORT: typed | st.sampled_from([a.text for a in q.answers] or [""]),
        QT.NUMERICAL: numbers_typed | typed | finite,
        QT.ESSAY: typed,
        QT.DESCRIPTION: st.nothing(),
    }
    stems, options = len(matching_stems(q)), len(matching_options(q))
    by_type[QT.MATCHING] = (
        st.dictionaries(st.integers(0, stems - 1), st.none() | st.integers(0, options - 1))
        if stems and options
        else st.just({})
    )
    return st.none() | by_type[q.type]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_grade_never_raises_and_stays_in_range(data: st.DataObject):
    q = data.draw(questions)
    response = data.draw(valid_responses(q))
    g = grade(q, response)
    assert 0.0 <= g.fraction <= 1.0
    assert g.state in {"correct", "partial", "wrong", "unanswered", "needs_grading", "not_graded"}
    assert g.mark == round(g.fraction * q.default_mark, 7)
    assert grade(q, normalise_response(q, response)) == g  # normalising is idempotent


json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.integers(-2, 8).map(str),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=3) | st.integers(0, 5).map(str), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(questions, json_like)
def test_normalise_raises_only_invalid_response(q: Question, raw: Any):
    try:
        value = normalise_response(q, raw)
    except InvalidResponse:
        return
    assert normalise_response(q, value) == value
    assert 0.0 <= grade(q, value).fraction <= 1.0


@given(st.integers(0, 30), st.integers() | st.text())
def test_permutations_are_permutations(size: int, seed: int | str):
    order = permutation(size, seed)
    assert sorted(order.order) == list(range(size))
    assert [order.order[p] for p in order.inverse] == list(range(size))


def test_combined_feedback_follows_the_grade() -> None:
    q = Question(
        QuestionType.MULTIPLE,
        "Which?",
        choices=(Choice("a", 0.5), Choice("b", 0.5), Choice("c", -1.0)),
        correct_feedback="right",
        partial_feedback="partly",
        incorrect_feedback="wrong",
    )
    states = {frozenset({0, 1}): "right", frozenset({0}): "partly", frozenset({2}): "wrong"}
    for response, expected in states.items():
        assert combined_feedback(q, grade(q, response).state) == expected
    assert combined_feedback(q, "unanswered") == ""
