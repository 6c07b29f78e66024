"""Moodle XML: reading a file as Moodle 4 exports it, the problems of bad ones (with their line and column, or their
element), refusing DTDs, the writer's round trip, and fuzzing: any input imports or raises QuizFormatError."""

from __future__ import annotations

import base64
import codecs
import copy
import hashlib
import io
import math
import xml.etree.ElementTree as ET
from dataclasses import replace
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lectern.courses.quizzes.formats.moodle_xml import MAX_BYTES, parse_moodle_xml, to_moodle_xml
from lectern.courses.quizzes.questions import (
    Choice,
    EmbeddedFile,
    ImportResult,
    NumericAnswer,
    Pair,
    Problem,
    Question,
    QuestionType,
    QuizFormatError,
    TextAnswer,
)

# What Moodle 4.1 writes for a course's question bank (trimmed of nothing but file attachments), in Russian: two
# categories, every type we import, and a cloze question, which we do not.
MOODLE_EXPORT = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
<!-- question: 0  -->
  <question type="category">
    <category>
      <text>$course$/top/Документы/Паспорта</text>
    </category>
    <info format="moodle_auto_format">
      <text>Проверка паспортов на КПП.</text>
    </info>
    <idnumber></idnumber>
  </question>

<!-- question: 101  -->
  <question type="multichoice">
    <name>
      <text>Паспорт: срок действия</text>
    </name>
    <questiontext format="html">
      <text><![CDATA[<p>Сколько лет действует заграничный паспорт <b>нового образца</b>?</p>]]></text>
    </questiontext>
    <generalfeedback format="html">
      <text><![CDATA[<p>См. приказ &amp; инструкцию.</p>]]></text>
    </generalfeedback>
    <defaultgrade>2.0000000</defaultgrade>
    <penalty>0.3333333</penalty>
    <hidden>0</hidden>
    <idnumber></idnumber>
    <single>true</single>
    <shuffleanswers>true</shuffleanswers>
    <answernumbering>abc</answernumbering>
    <showstandardinstruction>0</showstandardinstruction>
    <correctfeedback format="html">
      <text>Ваш ответ верный.</text>
    </correctfeedback>
    <partiallycorrectfeedback format="html">
      <text>Ваш ответ частично правильный.</text>
    </partiallycorrectfeedback>
    <incorrectfeedback format="html">
      <text>Ваш ответ неправильный.</text>
    </incorrectfeedback>
    <shownumcorrect/>
    <answer fraction="100" format="html">
      <text><![CDATA[<p>10 лет</p>]]></text>
      <feedback format="html">
        <text>Верно.</text>
      </feedback>
    </answer>
    <answer fraction="0" format="html">
      <text><![CDATA[<p>5 лет</p>]]></text>
      <feedback format="html">
        <text>Это старый образец.</text>
      </feedback>
    </answer>
    <answer fraction="0" format="html">
      <text><![CDATA[<p>Бессрочно</p>]]></text>
      <feedback format="html">
        <text></text>
      </feedback>
    </answer>
    <tags>
      <tag><text>паспорт</text>
</tag>
      <tag><text>КПП</text>
</tag>
    </tags>
  </question>

<!-- question: 102  -->
  <question type="multichoice">
    <name>
      <text>MRZ fields</text>
    </name>
    <questiontext format="markdown">
      <text>Which fields does the **MRZ** of a passport hold?</text>
    </questiontext>
    <generalfeedback format="markdown">
      <text></text>
    </generalfeedback>
    <defaultgrade>1.0000000</defaultgrade>
    <penalty>0.3333333</penalty>
    <hidden>0</hidden>
    <idnumber></idnumber>
    <single>false</single>
    <shuffleanswers>false</shuffleanswers>
    <answernumbering>123</answernumbering>
    <answer fraction="33.33333" format="markdown">
      <text>Document number</text>
      <feedback format="markdown"><text></text></feedback>
    </answer>
    <answer fraction="33.33333" format="markdown">
      <text>Date of birth</text>
      <feedback format="markdown"><text></text></feedback>
    </answer>
    <answer fraction="33.33334" format="markdown">
      <text>Check digits</text>
      <feedback format="markdown"><text></text></feedback>
    </answer>
    <answer fraction="-100" format="markdown">
      <text>Home address</text>
      <feedback format="markdown"><text>Not in the MRZ &lt;at all&gt;.</text></feedback>
    </answer>
  </question>

<!-- question: 103  -->
  <question type="truefalse">
    <name>
      <text>Виза в паспорте</text>
    </name>
    <questiontext format="moodle_auto_format">
      <text>Для въезда в страны Шенгенской зоны виза не нужна никому.</text>
    </questiontext>
    <generalfeedback format="moodle_auto_format">
      <text></text>
    </generalfeedback>
    <defaultgrade>1.0000000</defaultgrade>
    <penalty>1.0000000</penalty>
    <hidden>0</hidden>
    <idnumber></idnumber>
    <answer fraction="0" format="moodle_auto_format">
      <text>true</text>
      <feedback format="moodle_auto_format">
        <text>Неверно: многим нужна.</text>
      </feedback>
    </answer>
    <answer fraction="100" format="moodle_auto_format">
      <text>false</text>
      <feedback format="moodle_auto_format">
        <text>Верно.</text>
      </feedback>
    </answer>
  </question>

<!-- question: 0  -->
  <question type="category">
    <category>
      <text>$course$/top/Границы</text>
    </category>
    <info format="html">
      <text></text>
    </info>
    <idnumber></idnumber>
  </question>

<!-- question: 104  -->
  <question type="shortanswer">
    <name>
      <text>Code of Russia</text>
    </name>
    <questiontext format="plain_text">
      <text>The three-letter country code of Russia in an MRZ?</text>
    </questiontext>
    <generalfeedback format="plain_text">
      <text>ICAO Doc 9303.</text>
    </generalfeedback>
    <defaultgrade>1.0000000</defaultgrade>
    <penalty>0.3333333</penalty>
    <hidden>0</hidden>
    <idnumber></idnumber>
    <usecase>1</usecase>
    <answer fraction="100" format="moodle_auto_format">
      <text>RUS</text>
      <feedback format="moodle_auto_format">
        <text>Yes.</text>
      </feedback>
    </answer>
    <answer fraction="50" format="moodle_auto_format">
      <text>RU*</text>
      <feedback format="moodle_auto_format">
        <text>Three letters, please.</text>
      </feedback>
    </answer>
  </question>

<!-- question: 105  -->
  <question type="numerical">
    <name>
      <text>Длина границы</text>
    </name>
    <questiontext format="html">
      <text><![CDATA[<p>Длина сухопутной границы (тыс. км)?</p>]]></text>
    </questiontext>
    <generalfeedback format="html">
      <text></text>
    </generalfeedback>
    <defaultgrade>1.0000000</defaultgrade>
    <penalty>0.3333333</penalty>
    <hidden>0</hidden>
    <idnumber></idnumber>
    <answer fraction="100" format="moodle_auto_format">
      <text>22.1</text>
      <feedback format="html">
        <text>Точно.</text>
      </feedback>
      <tolerance>0.2</tolerance>
    </answer>
    <answer fraction="50" format="moodle_auto_format">
      <text>22</text>
      <feedback format="html">
        <text>Почти.</text>
      </feedback>
      <tolerance>1</tolerance>
    </answer>
    <answer fraction="0" format="moodle_auto_format">
      <text>*</text>
      <feedback format="html">
        <text>Нет.</text>
      </feedback>
      <tolerance>0</tolerance>
    </answer>
    <units>
      <unit>
        <multiplier>1</multiplier>
        <unit_name>тыс. км</unit_name>
      </unit>
    </units>
    <unitgradingtype>0</unitgradingtype>
    <unitpenalty>0.1000000</unitpenalty>
    <showunits>3</showunits>
    <unitsleft>0</unitsleft>
  </question>

<!-- question: 106  -->
  <question type="matching">
    <name>
      <text>Документы и органы</text>
    </name>
    <questiontext format="html">
      <text><![CDATA[<p>Сопоставьте документ и орган, который его выдаёт.</p>]]></text>
    </questiontext>
    <generalfeedback format="html">
      <text></text>
    </generalfeedback>
    <defaultgrade>3.0000000</defaultgrade>
    <penalty>0.3333333</penalty>
    <hidden>0</hidden>
    <idnumber></idnumber>
    <shuffleanswers>true</shuffleanswers>
    <correctfeedback format="html">
      <text>Ваш ответ верный.</text>
    </correctfeedback>
    <subquestion format="html">
      <text><![CDATA[<p>Паспорт</p>]]></text>
      <answer>
        <text>МВД</text>
      </answer>
    </subquestion>
    <subquestion format="html">
      <text><![CDATA[<p>Виза</p>]]></text>
      <answer>
        <text>МИД</text>
      </answer>
    </subquestion>
    <subquestion format="html">
      <text></text>
      <answer>
        <text>ФНС</text>
      </answer>
    </subquestion>
  </question>

<!-- question: 107  -->
  <question type="essay">
    <name>
      <text>Порядок досмотра</text>
    </name>
    <questiontext format="html">
      <text><![CDATA[<p>Опишите порядок досмотра транспортного средства.</p>]]></text>
    </questiontext>
    <generalfeedback format="html">
      <text></text>
    </generalfeedback>
    <defaultgrade>10.0000000</defaultgrade>
    <penalty>0.0000000</penalty>
    <hidden>0</hidden>
    <idnumber></idnumber>
    <responseformat>editor</responseformat>
    <responserequired>1</responserequired>
    <responsefieldlines>15</responsefieldlines>
    <minwordlimit></minwordlimit>
    <maxwordlimit></maxwordlimit>
    <attachments>0</attachments>
    <attachmentsrequired>0</attachmentsrequired>
    <maxbytes>0</maxbytes>
    <filetypeslist></filetypeslist>
    <graderinfo format="html">
      <text></text>
    </graderinfo>
    <responsetemplate format="html">
      <text></text>
    </responsetemplate>
  </question>

<!-- question: 108  -->
  <question type="cloze">
    <name>
      <text>Пропуски</text>
    </name>
    <questiontext format="html">
      <text><![CDATA[<p>Столица России — {1:SHORTANSWER:=Москва}.</p>]]></text>
    </questiontext>
    <generalfeedback format="html">
      <text></text>
    </generalfeedback>
    <penalty>0.3333333</penalty>
    <hidden>0</hidden>
    <idnumber></idnumber>
  </question>

<!-- question: 109  -->
  <question type="description">
    <name>
      <text>Раздел 2</text>
    </name>
    <questiontext format="html">
      <text><![CDATA[<h2>Раздел 2. Транспорт</h2>]]></text>
    </questiontext>
    <generalfeedback format="html">
      <text></text>
    </generalfeedback>
    <defaultgrade>0.0000000</defaultgrade>
    <penalty>0.0000000</penalty>
    <hidden>0</hidden>
    <idnumber></idnumber>
  </question>

</quiz>
"""

PASSPORTS = "Top/Документы/Паспорта"
BORDERS = "Top/Границы"
EXPECTED = [
    Question(
        type=QuestionType.SINGLE,
        name="Паспорт: срок действия",
        text="<p>Сколько лет действует заграничный паспорт <b>нового образца</b>?</p>",
        text_format="html",
        category=PASSPORTS,
        default_mark=2.0,
        general_feedback="<p>См. приказ &amp; инструкцию.</p>",
        choices=(
            Choice("<p>10 лет</p>", 1.0, "Верно."),
            Choice("<p>5 лет</p>", 0.0, "Это старый образец."),
            Choice("<p>Бессрочно</p>", 0.0),
        ),
        tags=("паспорт", "КПП"),
        correct_feedback="Ваш ответ верный.",
        partial_feedback="Ваш ответ частично правильный.",
        incorrect_feedback="Ваш ответ неправильный.",
    ),
    Question(
        type=QuestionType.MULTIPLE,
        name="MRZ fields",
        text="Which fields does the **MRZ** of a passport hold?",
        text_format="markdown",
        category=PASSPORTS,
        shuffle=False,
        choices=(
            Choice("Document number", 0.3333333),
            Choice("Date of birth", 0.3333333),
            Choice("Check digits", 0.3333334),
            Choice("Home address", -1.0, "Not in the MRZ <at all>."),
        ),
    ),
    Question(
        type=QuestionType.TRUE_FALSE,
        name="Виза в паспорте",
        text="Для въезда в страны Шенгенской зоны виза не нужна никому.",
        text_format="moodle",
        category=PASSPORTS,
        correct=False,
        true_feedback="Неверно: многим нужна.",
        false_feedback="Верно.",
    ),
    Question(
        type=QuestionType.SHORT,
        name="Code of Russia",
        text="The three-letter country code of Russia in an MRZ?",
        text_format="plain",
        category=BORDERS,
        general_feedback="ICAO Doc 9303.",
        case_sensitive=True,
        answers=(TextAnswer("RUS", 1.0, "Yes."), TextAnswer("RU*", 0.5, "Three letters, please.")),
    ),
    Question(
        type=QuestionType.NUMERICAL,
        name="Длина границы",
        text="<p>Длина сухопутной границы (тыс. км)?</p>",
        text_format="html",
        category=BORDERS,
        numeric=(
            NumericAnswer(22.1, 0.2, 1.0, "Точно."),
            NumericAnswer(22.0, 1.0, 0.5, "Почти."),
            NumericAnswer(0.0, 0.0, 0.0, "Нет.", -math.inf, math.inf),
        ),
    ),
    Question(
        type=QuestionType.MATCHING,
        name="Документы и органы",
        text="<p>Сопоставьте документ и орган, который его выдаёт.</p>",
        text_format="html",
        category=BORDERS,
        default_mark=3.0,
        pairs=(Pair("<p>Паспорт</p>", "МВД"), Pair("<p>Виза</p>", "МИД"), Pair("", "ФНС")),
        correct_feedback="Ваш ответ верный.",
    ),
    Question(
        type=QuestionType.ESSAY,
        name="Порядок досмотра",
        text="<p>Опишите порядок досмотра транспортного средства.</p>",
        text_format="html",
        category=BORDERS,
        default_mark=10.0,
    ),
    Question(
        type=QuestionType.DESCRIPTION,
        name="Раздел 2",
        text="<h2>Раздел 2. Транспорт</h2>",
        text_format="html",
        category=BORDERS,
        default_mark=0.0,
    ),
]


def test_moodle_export_reads_every_type() -> None:
    result = parse_moodle_xml(MOODLE_EXPORT.encode())
    assert result.questions == EXPECTED
    # The cloze question is the 10th <question> element (categories count: they are elements too).
    assert result.problems == [Problem("question[10] (cloze 'Пропуски')", "unsupported question type 'cloze'")]


def test_text_and_bytes_read_alike() -> None:
    assert parse_moodle_xml(MOODLE_EXPORT) == parse_moodle_xml(codecs.BOM_UTF8 + MOODLE_EXPORT.encode())


def test_declared_legacy_encoding_and_utf16() -> None:
    cp1251 = MOODLE_EXPORT.replace('encoding="UTF-8"', 'encoding="windows-1251"').replace("—", "-")
    assert parse_moodle_xml(cp1251.encode("cp1251")).questions == EXPECTED
    utf16 = MOODLE_EXPORT.replace('encoding="UTF-8"', 'encoding="UTF-16"')
    assert parse_moodle_xml(utf16.encode("utf-16")).questions == EXPECTED
    assert parse_moodle_xml(koi8 := cp1251.replace("windows-1251", "KOI8-R").encode("koi8-r")).questions == EXPECTED
    assert parse_moodle_xml(io.BytesIO(koi8)).questions == EXPECTED  # a file as uploaded, read incrementally


def tree(document: str) -> ET.Element:
    return ET.fromstring(document)  # noqa: S314 - documents this module writes or holds


def quiz(*questions: str) -> str:
    return "<quiz>" + "".join(questions) + "</quiz>"


def question(kind: str, body: str = "", *, name: str = "Passport", text: str = "Which?") -> str:
    return (
        f'<question type="{kind}"><name><text>{name}</text></name>'
        f'<questiontext format="html"><text>{text}</text></questiontext>{body}</question>'
    )


def answer(fraction: str, text: str, extra: str = "") -> str:
    return f'<answer fraction="{fraction}"><text>{text}</text>{extra}</answer>'


TWO = answer("100", "a") + answer("0", "b")
PAIRS = "".join(f"<subquestion><text>{x}</text><answer><text>{x}!</text></answer></subquestion>" for x in "xy")

# (question element, expected problem), each read as the only question of a file.
BAD_QUESTIONS = [
    (question("multichoice", answer("100", "a") + answer("abc", "b")), "answer[2] fraction 'abc' is not a number"),
    (question("multichoice", answer("150", "a") + answer("0", "b")), "answer[1] fraction '150' is outside -100..100"),
    (question("multichoice", answer("100", "a")), "a multichoice question needs at least two answers"),
    (question("multichoice", TWO + "<single>maybe</single>"), "single 'maybe' is not true or false"),
    (question("multichoice", TWO + "<shuffleanswers>2</shuffleanswers>"), "shuffleanswers '2' is not true or false"),
    (question("multichoice", TWO + "<defaultgrade>x</defaultgrade>"), "defaultgrade 'x' is not a number"),
    (question("multichoice", TWO + "<defaultgrade>-1</defaultgrade>"), "defaultgrade '-1' is negative"),
    (question("multichoice", TWO + "<defaultgrade>1e999</defaultgrade>"), "defaultgrade '1e999' is too large"),
    (question("multichoice", TWO, text=""), "the question text is empty"),
    (
        question("multichoice", TWO, text="<p>Hi</p>"),
        "questiontext text holds the element <p>; write HTML escaped or as CDATA",
    ),
    ('<question type="essay"><name><text>Passport</text></name></question>', "the question has no <questiontext>"),
    (
        '<question type="essay"><name><text>Passport</text></name><questiontext format="wiki_like"><text>x</text>'
        "</questiontext></question>",
        "questiontext format 'wiki_like' is unknown",
    ),
    (question("truefalse", answer("100", "true")), "a truefalse question needs one 'true' and one 'false' answer"),
    (
        question("truefalse", answer("100", "да") + answer("0", "нет")),
        "a truefalse question needs one 'true' and one 'false' answer",
    ),
    (question("shortanswer"), "a shortanswer question has no answers"),
    (question("shortanswer", answer("100", "a") + "<usecase>yes</usecase>"), "usecase 'yes' is not true or false"),
    (question("numerical", answer("100", "1,5")), "answer[1] value '1,5' is not a number"),
    (question("numerical", answer("100", "")), "answer[1] value is missing"),
    (
        question("numerical", answer("100", "2", "<tolerance>-1</tolerance>")),
        "answer[1] tolerance must not be negative",
    ),
    (
        question("numerical", answer("100", "2", '<lectern_range low="3" high="1"/>')),
        "answer[1] range low is above high",
    ),
    (question("numerical"), "a numerical question has no answers"),
    (
        question(
            "multichoice", answer("33.33", "a") + answer("33.33", "b") + answer("33.0", "c") + "<single>false</single>"
        ),
        "the positive weights add up to 99.66%, not 100%",
    ),
    (
        question("multichoice", answer("-100", "a") + answer("0", "b") + "<single>false</single>"),
        "no answer is marked right (give the right answers positive weights)",
    ),
    (
        question("multichoice", answer("90", "a") + answer("0", "b")),
        "no answer gives full marks (100%): the best gives 90%",
    ),
    (question("shortanswer", answer("50", "a")), "no answer gives full marks (100%): the best gives 50%"),
    (question("numerical", answer("99.9", "2")), "no answer gives full marks (100%): the best gives 99.9%"),
    (question("matching", PAIRS[: len(PAIRS) // 2]), "a matching question needs at least two subquestions with text"),
    (question("matching", PAIRS + "<subquestion><text>z</text></subquestion>"), "subquestion[3] has no <answer>"),
]


@pytest.mark.parametrize(("element", "expected"), BAD_QUESTIONS)
def test_bad_question_names_its_element(element: str, expected: str) -> None:
    kind = element.split('"')[1]
    result = parse_moodle_xml(quiz(element))
    assert result.questions == []
    assert [str(p) for p in result.problems] == [f"question[1] ({kind} 'Passport'): {expected}"]


def test_moodles_own_rounded_weights_are_accepted() -> None:
    """Moodle writes a third as 33.33333 and a seventh as 14.28571: their sums miss 100% by its rounding only."""
    thirds = "".join(answer("33.33333", x) for x in "abc") + answer("-100", "d") + "<single>false</single>"
    sevenths = "".join(answer("14.28571", x) for x in "abcdefg") + "<single>false</single>"
    sixths = "".join(answer("16.66667", x) for x in "abcdef") + "<single>false</single>"
    result = parse_moodle_xml(
        quiz(question("multichoice", thirds), question("multichoice", sevenths), question("multichoice", sixths))
    )
    assert result.problems == []
    assert [q.type for q in result.questions] == [QuestionType.MULTIPLE] * 3


def test_bad_questions_are_skipped_and_the_others_read() -> None:
    result = parse_moodle_xml(
        quiz(
            question("multichoice", TWO, name="One"),
            question("calculated", name="Two"),
            "<question><name><text>Three</text></name></question>",
            question("ddwtos_v2", name=""),
            question("truefalse", answer("100", "true") + answer("0", "false"), name="Five"),
        )
    )
    assert [q.name for q in result.questions] == ["One", "Five"]
    assert [str(p) for p in result.problems] == [
        "question[2] (calculated 'Two'): unsupported question type 'calculated'",
        "question[3]: the question has no type attribute",
        "question[4] (ddwtos_v2): unknown question type 'ddwtos_v2'",
    ]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "line 1, column 1: malformed XML: no element found"),
        (b"Just some text", "line 1, column 1: malformed XML: syntax error"),
        ("<quiz>\n<question>Паспорт</questio></quiz>", "line 2, column 20: malformed XML: mismatched tag"),
        (b"<quiz>\n<question>", "line 2, column 11: malformed XML: no element found"),
        (b"<quiz>&nbsp;</quiz>", "line 1, column 7: malformed XML: undefined entity"),
        (b"<quiz>\n<!DOCTYPE quiz></quiz>", "line 2, column 3: malformed XML: not well-formed (invalid token)"),
        (b"<html><body/></html>", "file: the root element is <html>, not <quiz>"),
        (
            b'<?xml version="1.0" encoding="shift_jis"?><quiz/>',
            "line 1: the file's encoding is not supported; save the file as UTF-8",
        ),
        (
            b'<?xml version="1.0" encoding="rot13"?><quiz/>',
            "line 1: the file's encoding is not supported; save the file as UTF-8",
        ),
        (
            b"<quiz>\n\n<question>\xff</question></quiz>",
            "line 3, column 11: malformed XML: not well-formed (invalid token)",
        ),
        ("<!ENTITY x 'y'><quiz/>", "line 1, column 1: malformed XML: syntax error"),
        (
            codecs.BOM_UTF32_LE + "<quiz/>".encode("utf-32-le"),
            "line 1, column 2: malformed XML: not well-formed (invalid token)",
        ),
        ("<quiz>\n\ud800</quiz>", "line 2: the text holds an invalid character (a lone surrogate)"),
    ],
)
def test_unreadable_files(data: bytes | str, expected: str) -> None:
    with pytest.raises(QuizFormatError) as raised:
        parse_moodle_xml(data)
    assert [str(p) for p in raised.value.problems] == [expected]


def test_empty_quiz_is_a_problem_not_an_error() -> None:
    assert parse_moodle_xml(b"<quiz></quiz>").problems == [Problem("quiz", "the file has no questions")]


def test_size_limit() -> None:
    with pytest.raises(QuizFormatError, match="larger than 64 MB"):
        parse_moodle_xml(b"<quiz>" + b" " * MAX_BYTES + b"</quiz>")
    with pytest.raises(QuizFormatError, match="larger than 64 MB"):
        parse_moodle_xml(" " * (MAX_BYTES + 1))


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE quiz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<quiz><question type="description"><questiontext><text>&lol3;</text></questiontext></question></quiz>
"""
EXTERNAL = '<!DOCTYPE quiz [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><quiz><question>&xxe;</question></quiz>'


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (BILLION_LAUGHS, 2),
        (BILLION_LAUGHS.encode(), 2),
        (BILLION_LAUGHS.encode("utf-16"), 2),  # a byte search for "<!DOCTYPE" would miss this one
        (EXTERNAL, 1),
        ('<?xml version="1.0"?>\n<!-- <quiz> -->\n<?pi x?>\n<!DOCTYPE quiz SYSTEM "http://x/q.dtd"><quiz/>', 4),
    ],
)
def test_dtds_are_refused(data: bytes | str, line: int) -> None:
    with pytest.raises(QuizFormatError) as raised:
        parse_moodle_xml(data)
    assert [str(p) for p in raised.value.problems] == [
        f"line {line}: DTDs and entity declarations (<!DOCTYPE) are refused"
    ]


def test_doctype_inside_a_question_text_is_only_text() -> None:
    html = "<!DOCTYPE html><p>Hi</p>"
    result = parse_moodle_xml(quiz(question("description", text=f"<![CDATA[{html}]]>")))
    assert [q.text for q in result.questions] == [html]


def test_text_whitespace_is_trimmed_as_moodle_does_unless_preserved() -> None:
    result = parse_moodle_xml(
        quiz(
            question("essay", name="\n  Padded  \n", text="\n   Text\n  "),
            '<question type="essay"><name><text xml:space="preserve"> kept </text></name>'
            "<questiontext><text>x</text></questiontext></question>",
        )
    )
    assert [(q.name, q.text) for q in result.questions] == [("Padded", "Text"), (" kept ", "x")]


def test_moodle_defaults_apply_when_elements_are_missing() -> None:
    (q,) = parse_moodle_xml(
        quiz('<question type="multichoice"><questiontext><text>Q</text></questiontext>' + TWO + "</question>")
    ).questions
    assert q == Question(QuestionType.SINGLE, "Q", text_format="html", choices=(Choice("a", 1.0), Choice("b", 0.0)))


@pytest.mark.parametrize(
    ("path", "category"),
    [
        ("$course$/top/Default for ПС-101", "Top/Default for ПС-101"),
        ("$system$/top", "Top"),
        ("$module$/top/A/B", "Top/A/B"),
        ("$course$/Old style", "Old style"),  # Moodle before 3.5 wrote no "top"
        ("Plain/path", "Plain/path"),
        ("", ""),
    ],
)
def test_category_paths(path: str, category: str) -> None:
    data = quiz(f'<question type="category"><category><text>{path}</text></category></question>', question("essay"))
    assert [q.category for q in parse_moodle_xml(data).questions] == [category]


# -- writing -------------------------------------------------------------------------------------------------------


def test_export_round_trips_the_moodle_file() -> None:
    written = to_moodle_xml(EXPECTED)
    assert parse_moodle_xml(written).questions == EXPECTED
    assert parse_moodle_xml(written.encode()).problems == []


def test_export_looks_like_moodle() -> None:
    written = to_moodle_xml(EXPECTED)
    root = tree(written)
    kinds = [q.get("type") for q in root.iterfind("question")]
    assert kinds == [
        *("category", "multichoice", "multichoice", "truefalse"),
        *("category", "shortanswer", "numerical", "matching", "essay", "description"),
    ]
    paths = [q.findtext("category/text") for q in root.iterfind("question[@type='category']")]
    assert paths == ["$course$/top/Документы/Паспорта", "$course$/top/Границы"]
    first = root.find("question[@type='multichoice']")
    assert first is not None
    assert first.find("questiontext").get("format") == "html"  # type: ignore[union-attr]
    assert [a.get("fraction") for a in first.iterfind("answer")] == ["100", "0", "0"]
    assert first.findtext("single") == "true"
    numerical = root.find("question[@type='numerical']")
    assert numerical is not None
    assert [a.findtext("text") for a in numerical.iterfind("answer")] == ["22.1", "22.0", "*"]
    assert 'xml:space="preserve"' not in written  # only texts with surrounding whitespace need it


def test_export_escapes_and_preserves() -> None:
    awkward = Question(
        QuestionType.SHORT,
        text=" <b>&amp;</b> ]]> \r\n",
        name="Паспорт & <виза>",
        answers=(TextAnswer("a\rb", 1.0, "\t"), TextAnswer("c", 0.07)),
        category="Top/a & <b>",
        text_format="moodle",
        tags=("x y", " pad "),
    )
    written = to_moodle_xml([awkward])
    assert "&lt;b&gt;&amp;amp;&lt;/b&gt; ]]&gt;" in written
    assert parse_moodle_xml(written).questions == [awkward]


def test_export_keeps_numeric_ranges_and_writes_them_for_moodle() -> None:
    ranged = NumericAnswer(3.0, 0.0, 1.0, "", low=1.0, high=5.0)
    q = Question(QuestionType.NUMERICAL, "How many?", numeric=(ranged,))
    written = to_moodle_xml([q])
    element = tree(written).find("question/answer")
    assert element is not None
    assert (element.findtext("text"), element.findtext("tolerance")) == ("3.0", "2.0")  # what Moodle grades
    assert parse_moodle_xml(written).questions == [q]


def test_export_refuses_unknown_formats() -> None:
    with pytest.raises(ValueError, match="text_format"):
        to_moodle_xml([Question(QuestionType.ESSAY, "x", text_format="wiki")])


def test_export_goes_back_to_no_category() -> None:
    qs = [Question(QuestionType.ESSAY, "a", category="Top/A"), Question(QuestionType.ESSAY, "b")]
    assert parse_moodle_xml(to_moodle_xml(qs)).questions == qs


# -- properties ----------------------------------------------------------------------------------------------------

# Everything XML 1.0 can hold, plus the pieces that break naive writers.
XML_CHARS = st.characters(
    blacklist_categories=("Cs",),
    blacklist_characters=[chr(c) for c in range(32) if chr(c) not in "\t\n\r"] + ["\ufffe", "\uffff"],
)
AWKWARD = st.sampled_from(["<", ">", "&", "&amp;", "]]>", "<![CDATA[", "\r\n", "\r", " ", "\t", "Паспорт", "'\"", "*"])
TEXT = st.lists(st.one_of(AWKWARD, st.text(XML_CHARS, max_size=6)), max_size=5).map("".join)
SOME_TEXT = TEXT.filter(bool)
FRACTION = st.floats(-1, 1)
FINITE = st.floats(allow_nan=False, allow_infinity=False)


def _numeric() -> st.SearchStrategy[NumericAnswer]:
    ranges = st.one_of(
        st.just((None, None)),
        st.just((-math.inf, math.inf)),
        st.tuples(FINITE, FINITE).map(sorted).map(tuple),
    )
    return st.builds(
        lambda value, tolerance, fraction, feedback, span: NumericAnswer(value, tolerance, fraction, feedback, *span),
        FINITE,
        st.floats(min_value=0, allow_infinity=False),
        FRACTION,
        TEXT,
        ranges,
    )


def _pairs() -> st.SearchStrategy[tuple[Pair, ...]]:
    pair = st.builds(Pair, TEXT, TEXT).filter(lambda p: bool(p.left or p.right))
    return st.lists(pair, max_size=5).map(tuple).filter(lambda ps: sum(1 for p in ps if p.left) >= 2)


AnswerT = TypeVar("AnswerT", Choice, TextAnswer, NumericAnswer)


def _full_marks(answers: list[AnswerT], *, several: bool = False) -> list[AnswerT]:
    """`answers` with weights that every importer accepts: one worth 100%, or (`several`) positive weights that add
    up to 100%, however odd the floats."""
    positive = math.fsum(a.fraction for a in answers if a.fraction > 0)
    if several and positive > 0:
        return [replace(a, fraction=a.fraction / positive) if a.fraction > 0 else a for a in answers]
    return [replace(answers[0], fraction=1.0), *answers[1:]]


@st.composite
def questions(draw: st.DrawFn) -> Question:
    kind = draw(st.sampled_from(list(QuestionType)))
    specific: dict[str, object] = {}
    if kind in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        choices = draw(st.lists(st.builds(Choice, TEXT, FRACTION, TEXT), min_size=2, max_size=5))
        specific["choices"] = tuple(_full_marks(choices, several=kind is QuestionType.MULTIPLE))
    elif kind is QuestionType.TRUE_FALSE:
        specific.update(correct=draw(st.booleans()), true_feedback=draw(TEXT), false_feedback=draw(TEXT))
    elif kind is QuestionType.SHORT:
        answers = draw(st.lists(st.builds(TextAnswer, TEXT, FRACTION, TEXT), min_size=1, max_size=4))
        specific["answers"] = tuple(_full_marks(answers))
        specific["case_sensitive"] = draw(st.booleans())
    elif kind is QuestionType.NUMERICAL:
        specific["numeric"] = tuple(_full_marks(draw(st.lists(_numeric(), min_size=1, max_size=3))))
    elif kind is QuestionType.MATCHING:
        specific["pairs"] = draw(_pairs())
    return Question(
        type=kind,
        text=draw(SOME_TEXT),
        name=draw(TEXT),
        text_format=draw(st.sampled_from(["markdown", "html", "plain", "moodle"])),
        category=draw(st.sampled_from(["", "Top", "Top/Документы/Паспорта", "Legacy & <old>", "Top/a/b"])),
        default_mark=draw(st.floats(min_value=0, allow_infinity=False)),
        general_feedback=draw(TEXT),
        shuffle=draw(st.booleans()),
        tags=tuple(draw(st.lists(SOME_TEXT, max_size=3))),
        correct_feedback=draw(TEXT),
        partial_feedback=draw(TEXT),
        incorrect_feedback=draw(TEXT),
        **specific,  # type: ignore[arg-type]
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.lists(questions(), max_size=4))
def test_round_trip(qs: list[Question]) -> None:
    result = parse_moodle_xml(to_moodle_xml(qs).encode())
    assert result.problems == ([] if qs else [Problem("quiz", "the file has no questions")])
    assert result.questions == qs


def check_reads_or_refuses(data: bytes | str) -> None:
    try:
        result = parse_moodle_xml(data)
    except QuizFormatError as error:
        assert error.problems
        return
    assert isinstance(result, ImportResult)
    assert all(p.where.startswith(("question[", "quiz")) for p in result.problems)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(), st.text(), st.text().map(lambda t: f"<quiz>{t}</quiz>")))
def test_any_input_reads_or_raises_our_error(data: bytes | str) -> None:
    check_reads_or_refuses(data)


ATTRIBUTES = st.sampled_from(["type", "format", "fraction", "{http://www.w3.org/XML/1998/namespace}space"])
VALUES = st.one_of(
    st.sampled_from(["category", "multichoice", "truefalse", "numerical", "matching", "cloze", "", "-0", "1e308"]),
    st.sampled_from(["html", "plain_text", "markdown", "moodle_auto_format", "preserve", "nan", "-100", "100.5"]),
    st.text(max_size=6),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_near_valid_documents_read_or_raise_our_error(data: st.DataObject) -> None:
    """Moodle's file with elements dropped, duplicated, moved, emptied, or with odd attribute values and texts."""
    root = tree(MOODLE_EXPORT)
    for _ in range(data.draw(st.integers(1, 8))):
        elements = list(root.iter())
        parents = {child: parent for parent in elements for child in parent}
        target = data.draw(st.sampled_from(elements))
        action = data.draw(st.sampled_from(["drop", "duplicate", "attribute", "text", "empty", "move"]))
        parent = parents.get(target)
        if action == "drop" and parent is not None:
            parent.remove(target)
        elif action == "duplicate" and parent is not None:
            parent.insert(list(parent).index(target), copy.deepcopy(target))
        elif action == "attribute":
            target.set(data.draw(ATTRIBUTES), data.draw(VALUES))
        elif action == "text":
            target.text = data.draw(st.one_of(VALUES, TEXT))
        elif action == "empty":
            target.clear()
        elif action == "move" and parent is not None:
            inside = set(target.iter())  # never into itself: that would make a cycle
            destination = data.draw(st.sampled_from([e for e in root.iter() if e not in inside]))
            parent.remove(target)
            destination.append(target)
    document = ET.tostring(root, encoding="unicode")
    if data.draw(st.booleans()):  # and sometimes a cut, as of an upload that stopped half-way
        document = document[: data.draw(st.integers(0, len(document)))]
    check_reads_or_refuses(document)


PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + bytes(20)
MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(20)


def embedded(name: str, data: bytes, path: str = "/") -> str:
    return f'<file name="{name}" path="{path}" encoding="base64">{base64.b64encode(data).decode()}</file>'


def test_embedded_images_and_sounds_are_read_by_content_and_written_again() -> None:
    text = '<![CDATA[<p><img src="@@PLUGINFILE@@/pass%20port.png"></p>]]>'
    body = (
        answer("100", "a", f"<feedback><text>&lt;audio src=\"@@PLUGINFILE@@/sub/a.mp3\"&gt;</text>"
               f"{embedded('a.mp3', MP3, '/sub/')}</feedback>")
        + answer("0", "b")
    )  # fmt: skip
    element = question("multichoice", body, text=text).replace(
        "</questiontext>", embedded("pass port.png", PNG) + "</questiontext>"
    )
    result = parse_moodle_xml(quiz(element))
    assert result.problems == []
    png, mp3 = hashlib.sha256(PNG).hexdigest(), hashlib.sha256(MP3).hexdigest()
    (read,) = result.questions
    assert read.text == f'<p><img src="@@PLUGINFILE@@/{png}/pass%20port.png"></p>'
    assert read.choices[0].feedback == f'<audio src="@@PLUGINFILE@@/{mp3}/sub/a.mp3">'
    assert result.files == {png: EmbeddedFile("pass port.png", PNG), mp3: EmbeddedFile("a.mp3", MP3)}
    written = to_moodle_xml(result.questions, result.files)
    assert "@@PLUGINFILE@@/pass%20port.png" in written and embedded("pass port.png", PNG) in written
    assert embedded("a.mp3", MP3, "/sub/") in written
    again = parse_moodle_xml(written)
    assert (again.questions, again.files) == (result.questions, result.files)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (embedded("x.png", b"MZ\x90\x00 a program"), "questiontext file 'x.png' is not an image, sound or video"),
        (embedded("x.png", PNG).replace('base64">', 'base64">*'), "questiontext file 'x.png' is not valid base64"),
        ("", "questiontext refers to the file 'x.png', which is not embedded in it"),
    ],
)
def test_embedded_files_that_cannot_be_kept_are_problems_of_their_question(files: str, expected: str) -> None:
    element = question("description", text='&lt;img src="@@PLUGINFILE@@/x.png"&gt;')
    result = parse_moodle_xml(quiz(element.replace("</questiontext>", files + "</questiontext>")))
    assert result.questions == []
    assert result.problems[0].message.startswith(expected)
