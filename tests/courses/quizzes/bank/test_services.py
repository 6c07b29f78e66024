"""The question bank's services: categories from either format in one tree, imports in one transaction, versioned
edits, refusals (a question in a quiz, a category that is not empty), exports that read back equal."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lectern.courses.models import Course
from lectern.courses.quizzes.bank import question_files
from lectern.courses.quizzes.bank import services as quiz_bank
from lectern.courses.quizzes.bank.services import BankReason
from lectern.courses.quizzes.formats.gift import parse_gift, to_gift
from lectern.courses.quizzes.formats.moodle_xml import parse_moodle_xml, to_moodle_xml
from lectern.courses.quizzes.models import BankQuestion, QuestionCategory, Quiz, QuizSlot
from lectern.courses.quizzes.questions import ImportResult, Question, QuestionType, QuizFormatError, from_data
from lectern.domain import Conflict, Invalid, NotFound
from lectern.extensions import db

DATA = Path(__file__).parent / "data" / "quiz"
NOW = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def parsed(name: str, fmt: str | None = None) -> ImportResult:
    data = read(name)
    fmt = fmt or question_files.guess_format(name, data)
    return question_files.parse(data, fmt)


@pytest.fixture
def course(app, make):
    academy = make.academy()
    course = make.course(academy.id)
    with app.app_context():
        yield db.session.get(Course, course.id)


def other_course(course: Course) -> Course:
    item = Course(title="Other", summary="", language="en", tags="", academy_id=course.academy_id)
    db.session.add(item)
    db.session.flush()
    return item


def question_count() -> int:
    return db.session.scalar(select(func.count()).select_from(BankQuestion)) or 0


def names(course: Course) -> list[str]:
    return [c.name for c in quiz_bank.categories(db.session, course)]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("top/Documents/MRZ", "Top/Documents/MRZ"),
        ("Top/Documents/MRZ", "Top/Documents/MRZ"),
        ("TOP", "Top"),
        ("Documents/ MRZ /", "Top/Documents/MRZ"),
        ("  /Досмотр//Собаки ", "Top/Досмотр/Собаки"),
        ("", ""),
        (" / ", ""),
        ("topic/A", "Top/topic/A"),
    ],
)
def test_paths_are_normalised_to_one_root(path, expected):
    assert quiz_bank.normalise_path(path) == expected


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("bank.gift", b"::a::b{}", "gift"),
        ("bank.TXT", b"<?xml", "gift"),
        ("bank.xml", b"::a", "xml"),
        ("export", b"\xef\xbb\xbf<?xml version='1.0'?><quiz/>", "xml"),
        ("export", b"<quiz></quiz>", "xml"),
        ("export", b"Question?\nA) x\nANSWER: A", "aiken"),
        ("questions.txt", b"Question?\nA)x\nB)y\n\nANSWER: B\n", "aiken"),
        ("bank.gift", b"Question?\r\nA. x\r\nB. y\r\nANSWER: B", "aiken"),
        ("bank.txt", b"::Q::Question? {=ANSWER: A ~B}", "gift"),
        ("aiken.xml", b"Question?\nA) x\nANSWER: A", "xml"),
    ],
)
def test_the_format_is_guessed_from_the_name_then_the_content(name, head, expected):
    assert question_files.guess_format(name, head) == expected


def test_ensure_category_makes_the_parents_once(course):
    mrz = quiz_bank.ensure_category(db.session, course, "top/Documents/MRZ")
    again = quiz_bank.ensure_category(db.session, course, "Documents/MRZ")
    root = quiz_bank.ensure_category(db.session, course, "")
    assert mrz.id == again.id
    assert root.name == "Top"
    assert names(course) == ["Top", "Top/Documents", "Top/Documents/MRZ"]


def test_the_same_path_from_gift_and_xml_lands_in_the_same_category(course):
    top = quiz_bank.ensure_category(db.session, course, "")
    gift = quiz_bank.add_questions(db.session, course, parsed("all_types.gift").questions, top)
    xml = quiz_bank.add_questions(db.session, course, parsed("all_types.xml").questions, top)
    db.session.commit()
    assert names(course) == ["Top", "Top/Documents", "Top/Documents/MRZ", "Top/Geography"]
    by_name = {(q.name, q.id in {x.id for x in xml}): q.category.name for q in gift + xml}
    assert by_name[("MRZ lines", False)] == by_name[("MRZ lines", True)] == "Top/Documents/MRZ"
    assert by_name[("Capital of Latvia", False)] == by_name[("Capital of Latvia", True)] == "Top/Geography"


def test_the_tree_counts_questions_with_and_without_subcategories(course):
    top = quiz_bank.ensure_category(db.session, course, "")
    quiz_bank.add_questions(db.session, course, parsed("all_types.gift").questions, top)
    quiz_bank.add_questions(db.session, course, parsed("questions.aiken", "aiken").questions, top)
    db.session.commit()
    tree = {n.category.name: (n.depth, n.label, n.count, n.total) for n in quiz_bank.category_tree(db.session, course)}
    assert tree == {
        "Top": (0, "Top", 2, 13),
        "Top/Documents": (1, "Documents", 0, 3),
        "Top/Documents/MRZ": (2, "MRZ", 3, 3),
        "Top/Geography": (1, "Geography", 8, 8),
    }


def test_imported_questions_are_stored_named_and_filed(course):
    default = quiz_bank.ensure_category(db.session, course, "Imported/Aiken")
    result = parsed("questions.aiken", "aiken")
    added = quiz_bank.add_questions(db.session, course, result.questions, default)
    db.session.commit()
    assert [q.category.name for q in added] == ["Top/Imported/Aiken"] * 2
    assert added[0].name == "Which document must a driver show at the border?"
    assert added[0].type is QuestionType.SINGLE and added[0].version == 1
    stored = db.session.get(BankQuestion, added[0].id).question
    assert stored == replace(result.questions[0], name=added[0].name, category="Top/Imported/Aiken")


def test_a_long_text_without_a_name_is_named_after_its_start():
    question = Question(QuestionType.ESSAY, "word " * 100)
    name = quiz_bank.default_name(question)
    assert len(name) == quiz_bank.DEFAULT_NAME_LENGTH and name.endswith("…")


def test_a_category_too_long_is_a_problem_of_the_preview_and_adds_nothing(course):
    long_path = "Top/" + "x" * 300
    result = ImportResult(
        questions=[Question(QuestionType.ESSAY, "fine"), Question(QuestionType.ESSAY, "long", category=long_path)]
    )
    kept = question_files.storable(result)
    assert [q.text for q in kept.questions] == ["fine"]
    assert "longer than 255" in str(kept.problems[0]) and str(kept.problems[0]).startswith("question 2")
    top = quiz_bank.ensure_category(db.session, course, "")
    db.session.commit()
    with pytest.raises(Invalid) as too_long:
        quiz_bank.add_questions(db.session, course, result.questions, top)
    assert too_long.value.reason is BankReason.PATH_TOO_LONG
    assert not db.session.new
    db.session.rollback()
    assert question_count() == 0


def test_an_edit_bumps_the_version_and_an_unchanged_save_does_not(course):
    top = quiz_bank.ensure_category(db.session, course, "Docs")
    [item] = quiz_bank.add_questions(db.session, course, parse_gift("::Q::Two lines?{TRUE}").questions, top)
    db.session.commit()
    same = parse_gift("::Q::Two lines?{TRUE}").questions[0]
    assert not quiz_bank.update_question(db.session, item, same, NOW)
    assert (item.version, item.updated_at) == (1, None)
    fixed = parse_gift("::Q fixed::Two lines?{FALSE}").questions[0]
    assert quiz_bank.update_question(db.session, item, fixed, NOW)
    db.session.commit()
    item = db.session.get(BankQuestion, item.id)
    assert (item.version, item.updated_at, item.name) == (2, NOW, "Q fixed")
    assert item.question.correct is False and item.question.category == "Top/Docs"
    changed = parse_gift("::Q fixed::Three lines?{=three =3}").questions[0]
    assert quiz_bank.update_question(db.session, item, changed, NOW)
    assert (item.version, item.type) == (3, QuestionType.SHORT)


def test_an_edit_in_gift_keeps_the_combined_feedback_gift_cannot_write(course):
    top = quiz_bank.ensure_category(db.session, course, "")
    imported = replace(
        parse_gift("::Pick::Which?{=a ~b}").questions[0],
        correct_feedback="Well done.",
        partial_feedback="Almost.",
        incorrect_feedback="Read chapter 2.",
    )
    [item] = quiz_bank.add_questions(db.session, course, [imported], top)
    db.session.commit()
    edited = parse_gift("::Pick::Which one?{=a ~b}").questions[0]
    assert quiz_bank.update_question(db.session, item, edited, NOW)
    db.session.commit()
    kept = db.session.get(BankQuestion, item.id).question
    assert (kept.text, kept.correct_feedback, kept.partial_feedback, kept.incorrect_feedback) == (
        "Which one?",
        "Well done.",
        "Almost.",
        "Read chapter 2.",
    )


def test_a_question_in_a_quiz_cannot_be_deleted(course):
    top = quiz_bank.ensure_category(db.session, course, "")
    used, free = quiz_bank.add_questions(db.session, course, parse_gift("A{TRUE}\n\nB{FALSE}").questions, top)
    quiz = Quiz(course_id=course.id, title="Border quiz")
    quiz.slots.append(QuizSlot(question_id=used.id))
    db.session.add(quiz)
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        quiz_bank.delete_question(db.session, used)
    assert refused.value.reason is BankReason.QUESTION_IN_USE
    assert refused.value.params["quizzes"] == ["Border quiz"]
    quiz_bank.delete_question(db.session, free)
    db.session.commit()
    assert [q.id for q in db.session.scalars(select(BankQuestion))] == [used.id]


def test_moving_files_the_question_elsewhere_without_a_new_version(course):
    a = quiz_bank.ensure_category(db.session, course, "A")
    b = quiz_bank.ensure_category(db.session, course, "B")
    [item] = quiz_bank.add_questions(db.session, course, parse_gift("Q{TRUE}").questions, a)
    db.session.commit()
    quiz_bank.move_question(db.session, item, b)
    db.session.commit()
    item = db.session.get(BankQuestion, item.id)
    assert (item.category_id, item.question.category, item.version) == (b.id, "Top/B", 1)
    elsewhere = quiz_bank.ensure_category(db.session, other_course(course), "A")
    with pytest.raises(NotFound):
        quiz_bank.move_question(db.session, item, elsewhere)


def test_only_an_empty_category_is_deleted(course):
    mrz = quiz_bank.ensure_category(db.session, course, "Documents/MRZ")
    documents = quiz_bank.ensure_category(db.session, course, "Documents")
    drawn = quiz_bank.ensure_category(db.session, course, "Drawn")
    [item] = quiz_bank.add_questions(db.session, course, parse_gift("Q{TRUE}").questions, mrz)
    quiz = Quiz(course_id=course.id, title="Random")
    quiz.slots.append(QuizSlot(category_id=drawn.id))
    db.session.add(quiz)
    db.session.commit()
    for full in (mrz, documents, drawn):
        with pytest.raises(Conflict) as refused:
            quiz_bank.delete_category(db.session, full)
        assert refused.value.reason is BankReason.CATEGORY_NOT_EMPTY
    quiz_bank.delete_question(db.session, item)
    quiz_bank.delete_category(db.session, mrz)
    quiz_bank.delete_category(db.session, documents)
    db.session.commit()
    assert names(course) == ["Top", "Top/Drawn"]


def test_forged_ids_of_another_course_are_not_found(course):
    elsewhere = other_course(course)
    category = quiz_bank.ensure_category(db.session, elsewhere, "")
    [item] = quiz_bank.add_questions(db.session, elsewhere, parse_gift("Q{TRUE}").questions, category)
    db.session.commit()
    with pytest.raises(NotFound) as question:
        quiz_bank.question_of(db.session, course, item.id)
    assert question.value.reason is BankReason.NO_QUESTION
    with pytest.raises(NotFound) as category_refused:
        quiz_bank.category_of(db.session, course, category.id)
    assert category_refused.value.reason is BankReason.NO_CATEGORY
    assert quiz_bank.question_of(db.session, elsewhere, item.id).id == item.id


def test_search_finds_name_or_text_in_any_alphabet(course):
    top = quiz_bank.ensure_category(db.session, course, "")
    quiz_bank.add_questions(db.session, course, parsed("all_types.gift").questions, top)
    db.session.commit()
    geography = quiz_bank.ensure_category(db.session, course, "Geography")
    assert [q.name for q in quiz_bank.questions(db.session, course, search="ОБЯЗАТЕЛЕН")] == ["Cyrillic"]
    assert [q.name for q in quiz_bank.questions(db.session, course, search="capital")] == ["Capital of Latvia"]
    assert len(quiz_bank.questions(db.session, course, geography)) == 8
    assert quiz_bank.questions(db.session, course, top) == []
    assert len(quiz_bank.questions(db.session, course, top, subcategories=True)) == 11


@pytest.mark.parametrize(
    ("write", "read_back", "sources"),
    [
        # GIFT has no default mark, so its round trip starts from files without one.
        (to_gift, parse_gift, [("all_types.gift", None), ("questions.aiken", "aiken")]),
        (to_moodle_xml, parse_moodle_xml, [("all_types.gift", None), ("all_types.xml", None)]),
    ],
)
def test_an_export_imports_back_equal(course, write, read_back, sources):
    top = quiz_bank.ensure_category(db.session, course, "")
    for name, fmt in sources:
        quiz_bank.add_questions(db.session, course, parsed(name, fmt).questions, top)
    db.session.commit()
    exported = question_files.export_questions(db.session, course)
    assert len(exported) == question_count() > 10
    copy = other_course(course)
    again = quiz_bank.add_questions(
        db.session, copy, read_back(write(exported)).questions, quiz_bank.ensure_category(db.session, copy, "")
    )
    db.session.commit()
    assert [from_data(q.data) for q in again] == exported
    assert names(copy) == names(course)


def test_a_category_exports_with_its_subcategories_in_tree_order(course):
    top = quiz_bank.ensure_category(db.session, course, "")
    quiz_bank.add_questions(db.session, course, parsed("all_types.xml").questions, top)
    quiz_bank.add_questions(db.session, course, parsed("all_types.gift").questions, top)
    db.session.commit()
    documents = quiz_bank.ensure_category(db.session, course, "Documents")
    exported = question_files.export_questions(db.session, course, documents)
    assert [q.name for q in exported] == [
        "Passport validity",
        "Security features",
        "MRZ lines",
        "Passport issuer",
        "Security features",
        "MRZ lines",
    ]
    assert {q.category for q in exported} == {"Top/Documents/MRZ"}


def test_files_that_are_not_utf8_text_are_refused_with_the_line():
    with pytest.raises(QuizFormatError) as refused:
        question_files.decode(b"::A::ok{TRUE}\n\n::B::caf\xe9{TRUE}")
    assert str(refused.value) == "line 3: the file is not UTF-8 text; save it as UTF-8"
    with pytest.raises(QuizFormatError, match="NUL"):
        question_files.decode(b"A{TRUE}\x00")
    assert question_files.decode("Да{TRUE}".encode("utf-16")) == "Да{TRUE}"
    assert question_files.decode(b"\xef\xbb\xbfA{TRUE}") == "A{TRUE}"
    with pytest.raises(QuizFormatError):
        question_files.decode(read("latin1.gift"))


def test_malformed_files_report_their_problems():
    gift = parsed("broken.gift")
    assert [q.name for q in gift.questions] == ["Good one", "Good two"]
    assert [p.where for p in gift.problems] == ["line 3", "line 7"]
    xml = parsed("broken.xml")
    assert len(xml.questions) == 1 and len(xml.problems) == 2
    assert parsed("broken.aiken", "aiken").problems[0].where == "line 9"
    with pytest.raises(QuizFormatError, match="line 5, column 5"):
        parsed("malformed.xml")


def test_categories_are_per_course(course):
    elsewhere = other_course(course)
    quiz_bank.ensure_category(db.session, elsewhere, "Secret")
    quiz_bank.ensure_category(db.session, course, "")
    db.session.commit()
    assert names(course) == ["Top"]
    assert db.session.scalar(select(func.count()).select_from(QuestionCategory)) == 3


@pytest.mark.parametrize("kind", list(QuestionType))
def test_every_new_question_example_parses_to_one_question_of_its_type(app, kind):
    from lectern.courses.quizzes.bank.forms import EXAMPLES

    with app.test_request_context():
        result = parse_gift(str(EXAMPLES[kind]))
    assert result.problems == []
    assert [q.type for q in result.questions] == [kind]
