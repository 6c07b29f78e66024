"""GIFT import and export: files written as Moodle's GIFT documentation shows them, malformed files with their
line-numbered problems, the round trip, and fuzzing (any text imports or raises QuizFormatError)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lectern.courses.quizzes.formats.gift import parse_gift, to_gift
from lectern.courses.quizzes.questions import (
    Choice,
    ImportResult,
    NumericAnswer,
    Pair,
    Question,
    QuestionType,
    QuizFormatError,
    TextAnswer,
)

T = QuestionType


def one(text: str) -> Question:
    result = parse_gift(text)
    assert result.problems == [], [str(p) for p in result.problems]
    assert len(result.questions) == 1
    return result.questions[0]


def problems(text: str) -> list[str]:
    return [str(p) for p in parse_gift(text).problems]


# --- each type, as the Moodle documentation writes it ---------------------------------------------------------


def test_single_choice() -> None:
    q = one("Who's buried in Grant's tomb?{~Grant ~Jefferson =no one}")
    assert q.type is T.SINGLE
    assert q.text == "Who's buried in Grant's tomb?"
    assert q.choices == (Choice("Grant", 0.0), Choice("Jefferson", 0.0), Choice("no one", 1.0))
    assert (q.name, q.text_format, q.category) == ("", "markdown", "")


def test_single_choice_in_russian_with_feedback_on_several_lines() -> None:
    q = one(
        "::МЧЗ::Какая зона паспорта читается машиной? {\n"
        "  =МЧЗ # Верно: машиночитаемая зона.\n"
        "  ~Фотография # Нет, её сверяют глазами.\n"
        "  ~Подпись\n"
        "}"
    )
    assert q.type is T.SINGLE and q.name == "МЧЗ"
    assert q.choices == (
        Choice("МЧЗ", 1.0, "Верно: машиночитаемая зона."),
        Choice("Фотография", 0.0, "Нет, её сверяют глазами."),
        Choice("Подпись", 0.0, ""),
    )


def test_fill_in_keeps_the_blank() -> None:
    q = one("Grant is {~buried =entombed ~living} in Grant's tomb.")
    assert q.text == "Grant is _____ in Grant's tomb."
    assert q.type is T.SINGLE


def test_block_before_final_punctuation_is_a_fill_in() -> None:
    assert one("Pi is {#3.14159:0.0005}.").text == "Pi is _____."


def test_single_choice_with_partial_credit_stays_single() -> None:
    # The docs' "Difficult question": '=' present, so Moodle makes it single choice with a half-credit answer.
    q = one("Difficult question.{~wrong answer ~%50%half credit answer =full credit answer}")
    assert q.type is T.SINGLE
    assert [c.fraction for c in q.choices] == [0.0, 0.5, 1.0]


def test_multiple_choice_with_weights() -> None:
    q = one(
        "What two people are entombed in Grant's tomb? {\n"
        "   ~%-100%No one\n   ~%50%Grant\n   ~%50%Grant's wife\n   ~%-100%Grant's father\n}"
    )
    assert q.type is T.MULTIPLE
    assert [(c.text, c.fraction) for c in q.choices] == [
        ("No one", -1.0),
        ("Grant", 0.5),
        ("Grant's wife", 0.5),
        ("Grant's father", -1.0),
    ]


def test_multiple_choice_thirds() -> None:
    q = one("Выберите документы.{~%33.33333%Паспорт ~%33.33333%Виза ~%33.33333%Вкладыш ~%-100%Билет}")
    assert q.type is T.MULTIPLE
    assert q.choices[0].fraction == pytest.approx(1 / 3, abs=1e-6)


@pytest.mark.parametrize(
    ("block", "correct", "true_fb", "false_fb"),
    [
        ("{T}", True, "", ""),
        ("{TRUE}", True, "", ""),
        ("{F}", False, "", ""),
        ("{FALSE}", False, "", ""),
        ("{T#Неверно#Верно}", True, "Верно", "Неверно"),
        ("{F#It is false.#Right, false.}", False, "It is false.", "Right, false."),
    ],
)
def test_true_false(block: str, correct: bool, true_fb: str, false_fb: str) -> None:
    q = one("Граница проходит по реке." + block)
    assert q.type is T.TRUE_FALSE
    assert (q.correct, q.true_feedback, q.false_feedback) == (correct, true_fb, false_fb)


def test_short_answer_with_weights_and_feedback() -> None:
    q = one("Столица Франции?{=Париж =%50%Paris#Нужно по-русски =Париж*}")
    assert q.type is T.SHORT
    assert q.answers == (
        TextAnswer("Париж", 1.0),
        TextAnswer("Paris", 0.5, "Нужно по-русски"),
        TextAnswer("Париж*", 1.0),
    )


def test_numerical_with_tolerance() -> None:
    q = one("When was Ulysses S. Grant born?{#1822:5}")
    assert q.type is T.NUMERICAL
    assert q.numeric == (NumericAnswer(1822.0, 5.0),)


def test_numerical_range() -> None:
    q = one("::Число::Назовите число от 1 до 5 {#1..5}")
    assert q.numeric == (NumericAnswer(3.0, 2.0, low=1.0, high=5.0),)


def test_numerical_decimal_comma() -> None:
    assert one("Пи?{#3,14:0,01}").numeric == (NumericAnswer(3.14, 0.01),)


def test_multiple_numerical_answers_with_partial_credit_and_feedback() -> None:
    q = one(
        "When was Ulysses S. Grant born? {#\n"
        "    =1822:0      # Correct! Full credit.\n"
        "    =%50%1822:2  # He was born in 1822. Half credit for being close.\n"
        "    ~#Wrong.\n"
        "}"
    )
    assert q.numeric[:2] == (
        NumericAnswer(1822.0, 0.0, 1.0, "Correct! Full credit."),
        NumericAnswer(1822.0, 2.0, 0.5, "He was born in 1822. Half credit for being close."),
    )
    other = q.numeric[2]
    assert (other.fraction, other.feedback, other.low, other.high) == (0.0, "Wrong.", -math.inf, math.inf)


def test_matching() -> None:
    q = one(
        "Соотнесите страны и столицы. {\n"
        "    =Канада -> Оттава\n    =Италия  -> Рим\n    =Япония  -> Токио\n    = -> Берлин\n"
        "    ####Столицы полезно знать.\n}"
    )
    assert q.type is T.MATCHING
    assert q.pairs == (
        Pair("Канада", "Оттава"),
        Pair("Италия", "Рим"),
        Pair("Япония", "Токио"),
        Pair("", "Берлин"),
    )
    assert q.general_feedback == "Столицы полезно знать."


def test_essay_and_description() -> None:
    result = parse_gift(
        "Опишите порядок досмотра транспортного средства.{}\n\n"
        "Следующие вопросы посвящены документам.\n\n"
        "Write about your duty.{####Graded by the instructor.}\n"
    )
    assert [q.type for q in result.questions] == [T.ESSAY, T.DESCRIPTION, T.ESSAY]
    assert result.questions[1].text == "Следующие вопросы посвящены документам."
    assert result.questions[2].general_feedback == "Graded by the instructor."


def test_general_feedback() -> None:
    q = one("Сколько будет 2+2?{=4#Верно ~5#Нет ####Простая арифметика.}")
    assert q.general_feedback == "Простая арифметика."
    assert q.choices[1] == Choice("5", 0.0, "Нет")


# --- file structure: comments, titles, categories, formats, escapes, tags -------------------------------------


def test_comments_titles_categories_and_line_endings() -> None:
    text = (
        "\ufeff// Банк вопросов пограничной академии\r\n"
        "$CATEGORY: $course$/top/Документы/МЧЗ\r\n\r\n"
        "// [tag:паспорт] [tag:MRZ]\r\n"
        "::Q1::Сколько строк в МЧЗ паспорта?{#2}\r\n\r\n"
        "$CATEGORY: Досмотр\n\n"
        "::Q2:: Собака ищет наркотики.{T}\n"
        "\n\n   \n"
        "// only a comment\n"
    )
    result = parse_gift(text)
    assert result.problems == []
    first, second = result.questions
    assert (first.name, first.category, first.tags) == ("Q1", "top/Документы/МЧЗ", ("паспорт", "MRZ"))
    assert (second.name, second.category, second.text) == ("Q2", "Досмотр", "Собака ищет наркотики.")


def test_comment_lines_inside_a_question_are_ignored() -> None:
    q = one("Question{\n// not an answer\n=a\n~b\n}")
    assert [c.text for c in q.choices] == ["a", "b"]


@pytest.mark.parametrize("fmt", ["markdown", "html", "plain", "moodle"])
def test_formats(fmt: str) -> None:
    q = one(f"::n::[{fmt}]Some *text*{{=[{fmt}]a#[{fmt}]good ~b}}")
    assert (q.text_format, q.text, q.choices[0]) == (fmt, "Some *text*", Choice("a", 1.0, "good"))


def test_unknown_format_marker_stays_in_the_text() -> None:
    assert one("[wiki]Text{T}").text == "[wiki]Text"


def test_escapes() -> None:
    q = one(r"::a\:b::Сколько будет 2\+2 \= ? Ответ \{ в скобках \} \~ \# x\ny C:\\dir\frac{=4\#a#ok\: \= ~5}")
    assert q.name == "a:b"
    assert q.text == "Сколько будет 2\\+2 = ? Ответ { в скобках } ~ # x\ny C:\\dir\\frac"
    assert q.choices[0] == Choice("4#a", 1.0, "ok: =")


# --- malformed files: each problem names the question's line ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Q1{=a ~b}\n\n\n\nQuestion {=a ~b", "line 5: the answer block is never closed"),
        ("Q {=a ~b\nNext {=c ~d}", "line 1: the answer block is never closed"),
        ("Q =a ~b}", "line 1: '}' without an opening '{'"),
        ("Q {=a ~b} and {=c ~d}", "line 1: only one answer block per question (write \\{ and \\} for braces)"),
        ("::Unclosed title {=a ~b}", "line 1: the question title is not closed with '::'"),
        ("::Title::{=a ~b}", "line 1: the question has no text"),
        ("Q {+a ~b}", "line 1: answer '+a' must start with '=' or '~'"),
        ("Q {Paris}", "line 1: answer 'Paris' must start with '=' or '~'"),
        ("Q {a -> b =c -> d}", "line 1: answer 'a -> b' must start with '='"),
        ("\n\n\n\n\n\nQ {#abc}", "line 7: numerical answer 'abc' is not a number"),
        ("Q {#3:abc}", "line 1: numerical tolerance 'abc' is not a number"),
        ("Q {#3:-1}", "line 1: numerical tolerance '-1' is negative"),
        ("Q {#5..1}", "line 1: numerical range '5..1' runs from high to low"),
        ("Q {#}", "line 1: a numerical question needs an answer"),
        ("Q {#=%50%3}", "line 1: no answer gives full marks (100%): the best gives 50%"),
        ("Q {#3 ~oops}", "line 1: in a numerical question '~' only takes feedback ('~#...')"),
        ("Q {~%fifty%a ~b}", "line 1: answer weight 'fifty' is not a number"),
        ("Q {~%150%a ~b}", "line 1: answer weight '150%' is outside -100%..100%"),
        ("Q {=a -> b}", "line 1: matching needs at least 2 pairs"),
        ("Q {=a -> b = -> c}", "line 1: matching needs at least 2 pairs"),
        ("Q {=a -> b =c}", "line 1: matching pair 'c' has no '->'"),
        ("Q {=a -> b =c -> }", "line 1: matching pair 2 has nothing after '->'"),
        ("Q {=a ~}", "line 1: answer 2 is empty"),
        ("Q {=}", "line 1: answer 1 is empty"),
        ("Q {~a}", "line 1: a choice question needs at least 2 answers"),
        ("Q {~a ~b}", "line 1: no answer is marked right (give the right answers positive weights)"),
        ("Q {~%50%a ~%40%b}", "line 1: the positive weights add up to 90%, not 100%"),
        ("Q {=%50%a =%20%b}", "line 1: no answer gives full marks (100%): the best gives 50%"),
        ("Q {~%50%a ~%49.66%b ~c}", "line 1: the positive weights add up to 99.66%, not 100%"),
    ],
)
def test_malformed(text: str, message: str) -> None:
    result = parse_gift(text)
    assert [str(p) for p in result.problems] == [message]


def test_a_bad_question_is_skipped_and_the_others_parse() -> None:
    text = "// bank\nGood one{T}\n\nBad one {=a ~b\n\n// next\nAnother {#abc}\n\nLast one{F}\n"
    result = parse_gift(text)
    assert [q.text for q in result.questions] == ["Good one", "Last one"]
    assert [str(p) for p in result.problems] == [
        "line 4: the answer block is never closed",
        "line 7: numerical answer 'abc' is not a number",
    ]


def test_lowercase_true_is_a_short_answer_as_in_moodle() -> None:
    assert one("Q{=true}").type is T.SHORT


def test_not_text_raises_our_error() -> None:
    with pytest.raises(QuizFormatError):
        parse_gift("Q{T}\x00\x01")
    with pytest.raises(QuizFormatError):
        parse_gift(b"Q{T}")  # type: ignore[arg-type]


def test_empty_input() -> None:
    assert parse_gift("") == ImportResult()
    assert parse_gift("\n\n// nothing\n") == ImportResult()


# --- export and round trip ------------------------------------------------------------------------------------

AWKWARD = "Вопрос {a} ~b =c #d :e \\f \\n %g% -> [html] ____ // x\nвторая строка"

EXAMPLES = [
    Question(T.SINGLE, AWKWARD, "Имя::1", choices=(Choice("=1", 1.0, "#ok"), Choice("~2", -0.5), Choice("%3%"))),
    Question(T.SINGLE, "Все верны", choices=(Choice("a", 1.0), Choice("b", 1.0))),
    Question(T.MULTIPLE, "M", "", "html", choices=(Choice("a", 0.5), Choice("b", 0.5), Choice("c", -1.0, "нет"))),
    Question(T.TRUE_FALSE, "Да?", correct=True, true_feedback="верно", false_feedback="неверно"),
    Question(T.TRUE_FALSE, "Нет?", correct=False, false_feedback="#верно#", general_feedback="общий"),
    Question(T.SHORT, "Слово _____ здесь", answers=(TextAnswer("a*b", 1.0, "x"), TextAnswer("%50%c", 0.5))),
    Question(
        T.NUMERICAL,
        "Число _____",
        numeric=(
            NumericAnswer(3.14159, 0.0005, 1.0, "точно"),
            NumericAnswer(3.0, 2.0, 0.5, low=1.0, high=5.0),
            NumericAnswer(-1e-7, 0.0, 0.25),
            NumericAnswer(0.0, 0.0, 0.0, "мимо", -math.inf, math.inf),
        ),
    ),
    Question(T.MATCHING, "Пары", pairs=(Pair("a-", "> b"), Pair("c:", "d -> e"), Pair("", "f")), category="A/Б"),
    Question(T.ESSAY, "[html] Эссе", general_feedback="[plain]оценит преподаватель"),
    Question(T.DESCRIPTION, "// Описание", text_format="plain", tags=("тег", "a]b")),
    Question(T.DESCRIPTION, "$CATEGORY: not one", category=""),
]


@pytest.mark.parametrize("question", EXAMPLES, ids=lambda q: q.type.value)
def test_round_trip_each_type(question: Question) -> None:
    assert parse_gift(to_gift([question])) == ImportResult([question])


def test_round_trip_a_whole_bank() -> None:
    assert parse_gift(to_gift(EXAMPLES)) == ImportResult(list(EXAMPLES))


def test_export_reads_like_the_documentation() -> None:
    q = Question(T.SINGLE, "Grant is _____ in Grant's tomb.", "Q1", choices=(Choice("buried"), Choice("entombed", 1)))
    assert to_gift([q]) == "::Q1::Grant is {\n\t~buried\n\t=entombed\n} in Grant's tomb.\n\n"
    tf = Question(T.TRUE_FALSE, "1+1=2", correct=True, category="Math")
    assert to_gift([tf]) == "$CATEGORY: Math\n\n1+1\\=2{TRUE}\n\n"


# --- properties -----------------------------------------------------------------------------------------------

GIFT_CHARS = "{}~=#:%->[]\\/$_.,0123456789 \n\tTFaz:Я"
gift_like = st.lists(
    st.one_of(
        st.sampled_from(
            [*"{}~=#%", "####", "::", "%50%", "->", "..", "\\", "\n", "\n\n", "//", "$CATEGORY:", "[html]", "TRUE"]
        ),
        st.text(GIFT_CHARS, max_size=5),
    ),
    max_size=40,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), gift_like))
def test_any_text_imports_or_raises_our_error(text: str) -> None:
    try:
        result = parse_gift(text)
    except QuizFormatError:
        return
    assert isinstance(result, ImportResult)
    for problem in result.problems:
        assert problem.where.startswith("line ") and problem.message


def _clean(text: str) -> bool:
    return text == text.strip() and "\r" not in text and "\x00" not in text


AWKWARD_CHARS = st.sampled_from([*"{}~=#:%-[]\\/$_ \nabcXYZжЁ→*.", "->", "[html]", "####", "\\n", "_____"])
awkward = st.lists(AWKWARD_CHARS, min_size=1, max_size=12).map("".join).filter(lambda s: _clean(s) and bool(s))
# GIFT cannot write '->' inside a matching left side or a short-answer block (see quiz_gift_export).
no_arrow = awkward.filter(lambda s: "->" not in s)
optional = st.one_of(st.just(""), awkward)
fmt = st.sampled_from(["markdown", "html", "plain", "moodle"])
tags = st.lists(st.text("abcЯя 1", min_size=1, max_size=5).filter(_clean).filter(bool), max_size=2).map(tuple)
category = st.one_of(st.just(""), no_arrow.filter(lambda s: not s.startswith("$")))
weights = st.sampled_from([0, 10, 25, 33.33333, 50, 75, 90, -25, -50, -100]).map(lambda w: w / 100)
numbers = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False)


@st.composite
def questions(draw: st.DrawFn) -> Question:
    kind = draw(st.sampled_from(list(QuestionType)))
    fields: dict[str, object] = {}
    if kind is T.SINGLE:
        rest = draw(st.lists(st.builds(Choice, awkward, weights, optional), min_size=1, max_size=4))
        right = draw(st.builds(Choice, awkward, st.just(1.0), optional))
        fields["choices"] = tuple(draw(st.permutations([right, *rest])))
    elif kind is T.MULTIPLE:
        shares = draw(st.sampled_from([[1.0], [0.5, 0.5], [0.25] * 4, [0.3333333] * 3, [0.7, 0.3]]))
        wrong = draw(st.lists(st.sampled_from([0.0, -0.5, -1.0]), max_size=3))
        texts = draw(st.lists(awkward, min_size=len(shares) + len(wrong), max_size=len(shares) + len(wrong)))
        fbs = draw(st.lists(optional, min_size=len(texts), max_size=len(texts)))
        choices = [Choice(t, f, fb) for t, f, fb in zip(texts, shares + wrong, fbs, strict=True)]
        if len(choices) < 2:
            choices.append(Choice("x", 0.0))
        fields["choices"] = tuple(draw(st.permutations(choices)))
    elif kind is T.TRUE_FALSE:
        fields.update(correct=draw(st.booleans()), true_feedback=draw(optional), false_feedback=draw(optional))
    elif kind is T.SHORT:
        no_arrow_fb = st.one_of(st.just(""), no_arrow)
        more = draw(st.lists(st.builds(TextAnswer, no_arrow, weights, no_arrow_fb), max_size=3))
        fields["answers"] = (draw(st.builds(TextAnswer, no_arrow, st.just(1.0), no_arrow_fb)), *more)
    elif kind is T.NUMERICAL:
        answers = []
        for fraction in [1.0, *draw(st.lists(weights, max_size=2))]:
            value, other = draw(numbers), draw(numbers)
            if draw(st.booleans()):
                low, high = min(value, other), max(value, other)
                answers.append(NumericAnswer((low + high) / 2, (high - low) / 2, fraction, draw(optional), low, high))
            else:
                answers.append(NumericAnswer(value, abs(other), fraction, draw(optional)))
        if draw(st.booleans()):
            answers.append(NumericAnswer(0.0, 0.0, 0.0, draw(optional), -math.inf, math.inf))
        fields["numeric"] = tuple(answers)
    elif kind is T.MATCHING:
        real = draw(st.lists(st.builds(Pair, no_arrow, awkward), min_size=2, max_size=4))
        extra = draw(st.lists(st.builds(Pair, st.just(""), awkward), max_size=1))
        fields["pairs"] = (*real, *extra)
    if kind is not T.DESCRIPTION:
        fields["general_feedback"] = draw(optional)
    return Question(
        kind,
        draw(awkward),
        draw(optional),
        draw(fmt),
        draw(category),
        tags=draw(tags),
        **fields,  # type: ignore[arg-type]
    )


@settings(max_examples=200, deadline=None)
@given(questions())
def test_round_trip_property(question: Question) -> None:
    assert parse_gift(to_gift([question])).questions == [question]


@settings(max_examples=50, deadline=None)
@given(st.lists(questions(), max_size=5))
def test_round_trip_property_for_banks(bank: list[Question]) -> None:
    assert parse_gift(to_gift(bank)) == ImportResult(bank)
