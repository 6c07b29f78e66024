"""The question bank in the browser: only editors, forged ids refused, the import preview (good and malformed files,
nothing stored before confirm, the valid questions only on request), the GIFT editor, exports, regrading."""

from __future__ import annotations

import base64
import hashlib
import io
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from lectern.courses.models import Course
from lectern.courses.quizzes.bank import services as quiz_bank
from lectern.courses.quizzes.formats.gift import parse_gift
from lectern.courses.quizzes.models import (
    Attempt,
    BankQuestion,
    QuestionCategory,
    Quiz,
    QuizSlot,
)
from lectern.courses.quizzes.questions import from_data
from lectern.extensions import db
from lectern.platform.models import Role
from tests.courses.helpers import count

DATA = Path(__file__).parent / "data" / "quiz"
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def seed(app, course_id: int, gift: str, path: str = "") -> list[int]:
    """Questions in a course's bank, straight through the service; their ids."""
    with app.app_context():
        course = db.session.get(Course, course_id)
        category = quiz_bank.ensure_category(db.session, course, path)
        added = quiz_bank.add_questions(db.session, course, parse_gift(gift).questions, category)
        db.session.commit()
        return [q.id for q in added]


def category_id(app, course_id: int, path: str) -> int:
    with app.app_context():
        found = quiz_bank.ensure_category(db.session, db.session.get(Course, course_id), path).id
        db.session.commit()
        return found


def bank_questions(app, course_id: int) -> list[BankQuestion]:
    with app.app_context():
        found = db.session.scalars(
            select(BankQuestion).where(BankQuestion.course_id == course_id).order_by(BankQuestion.id)
        ).all()
        for item in found:
            db.session.expunge(item)
        return list(found)


def upload(client, course_id: int, name: str, data: bytes, file_format: str = "auto", category: int | None = None):
    url = f"/courses/{course_id}/questions/import"
    form = {"file": (io.BytesIO(data), name), "file_format": file_format}
    if category is None:
        category = category_id(client.application, course_id, "")
    form["category_id"] = str(category)
    return client.submit(url, form, content_type="multipart/form-data")


def hidden(html: str, name: str) -> str:
    match = re.search(rf'<input id="{name}" name="{name}" type="hidden" value="([^"]*)"', html)
    assert match, name
    import html as html_module

    return html_module.unescape(match.group(1))


def confirm(client, course_id: int, preview_html: str, button: str):
    data = {name: hidden(preview_html, name) for name in ("upload", "file_format", "category_id", "filename")}
    data[button] = "y"
    return client.submit(f"/courses/{course_id}/questions/import/confirm", data, page=f"/courses/{course_id}/questions")


@pytest.fixture
def bank(client, make):
    """A course with an instructor signed in."""
    academy = make.academy()
    course = make.course(academy.id, title="Border checks")
    teacher = make.user(Role.INSTRUCTOR, academy)
    make.staff(course.id, teacher.id)
    client.login(teacher.username)
    return course


# --- who may ------------------------------------------------------------------------------------------------------


def _bank_urls(course_id: int, question_id: int, category: int):
    return [
        ("GET", f"/courses/{course_id}/questions", None),
        ("GET", f"/courses/{course_id}/questions?category={category}", None),
        ("GET", f"/courses/{course_id}/questions/new", None),
        ("GET", f"/courses/{course_id}/questions/new?type=single", None),
        ("POST", f"/courses/{course_id}/questions/new", {"category_id": category, "gift": "X{TRUE}", "submit": "y"}),
        ("GET", f"/courses/{course_id}/questions/{question_id}/edit", None),
        ("POST", f"/courses/{course_id}/questions/{question_id}/edit", {"gift": "Hijacked{TRUE}", "submit": "y"}),
        ("POST", f"/courses/{course_id}/questions/{question_id}/move", {"category_id": category}),
        ("POST", f"/courses/{course_id}/questions/move", {"category_id": category, "question_id": question_id}),
        ("POST", f"/courses/{course_id}/questions/{question_id}/delete", {}),
        ("POST", f"/courses/{course_id}/questions/{question_id}/regrade", {}),
        ("POST", f"/courses/{course_id}/questions/categories", {"parent_id": category, "name": "Hijacked"}),
        ("POST", f"/courses/{course_id}/questions/categories/{category}/delete", {}),
        ("GET", f"/courses/{course_id}/questions/import", None),
        ("POST", f"/courses/{course_id}/questions/import/confirm", {"upload": "0" * 64, "file_format": "gift"}),
        ("GET", f"/courses/{course_id}/questions/export.gift", None),
        ("GET", f"/courses/{course_id}/questions/export.xml?category={category}", None),
    ]


@pytest.mark.parametrize("who", ["cadet", "assistant", "instructor-other-course", "admin-other-academy"])
def test_only_editors_see_or_change_the_bank(client, make, app, who):
    rezekne, bishkek = make.academy(), make.academy()
    course = make.course(rezekne.id)
    other = make.course(rezekne.id)
    user = {
        "cadet": make.user(Role.CADET, rezekne),
        "assistant": make.user(Role.INSTRUCTOR, rezekne),
        "instructor-other-course": make.user(Role.INSTRUCTOR, rezekne),
        "admin-other-academy": make.user(Role.ACADEMY_ADMIN, bishkek),
    }[who]
    if who == "cadet":
        make.enrol(course.id, user.id)
    elif who == "assistant":
        make.staff(course.id, user.id, "assistant")
    elif who == "instructor-other-course":
        make.staff(other.id, user.id)
    [question_id] = seed(app, course.id, "::Kept::Two lines?{TRUE}", "Docs")
    empty = category_id(app, course.id, "Empty")
    client.login(user.username)
    for method, url, data in _bank_urls(course.id, question_id, empty):
        response = client.get(url) if method == "GET" else client.submit(url, data, page=f"/courses/{course.id}")
        assert response.status_code in (403, 404), (who, method, url, response.status_code)
    upload_response = upload(client, course.id, "x.gift", b"X{TRUE}", category=empty)
    assert upload_response.status_code in (403, 404)
    [kept] = bank_questions(app, course.id)
    assert (kept.name, kept.version) == ("Kept", 1)
    assert count(app, BankQuestion) == 1
    assert count(app, QuestionCategory) == 3  # Top, Top/Docs, Top/Empty
    assert "Question bank" not in client.get(f"/courses/{course.id}").get_data(as_text=True)


@pytest.mark.parametrize("who", ["instructor", "academy-admin", "global-admin"])
def test_editors_open_the_bank_from_the_course_page(client, make, app, who):
    rezekne, elsewhere = make.academy(), make.academy()
    course = make.course(rezekne.id)
    editor = {
        "instructor": make.user(Role.INSTRUCTOR, rezekne),
        "academy-admin": make.user(Role.ACADEMY_ADMIN, rezekne),
        "global-admin": make.user(Role.GLOBAL_ADMIN, elsewhere),
    }[who]
    if who == "instructor":
        make.staff(course.id, editor.id)
    seed(app, course.id, "::Passport::Two lines?{TRUE}\n\n::Visa::Which city? {=Riga}", "Docs")
    client.login(editor.username)
    assert f'href="/courses/{course.id}/questions"' in client.get(f"/courses/{course.id}").get_data(as_text=True)
    page = client.get(f"/courses/{course.id}/questions")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Passport" in html and "Visa" in html and "True or false" in html and "Short answer" in html
    assert re.search(r">Docs</a>\s*<span class=\"muted small\">\(2\)</span>", html)


def test_forged_ids_from_another_course_are_not_found(client, make, app, bank):
    other = make.course(bank.academy_id)
    [foreign] = seed(app, other.id, "::Foreign::Q{TRUE}", "Theirs")
    theirs = category_id(app, other.id, "Theirs")
    [mine] = seed(app, bank.id, "::Mine::Q{TRUE}")
    top = category_id(app, bank.id, "")
    page = f"/courses/{bank.id}/questions"
    for url in (
        f"/courses/{bank.id}/questions/{foreign}/edit",
        f"/courses/{bank.id}/questions?category={theirs}",
        f"/courses/{bank.id}/questions/export.gift?category={theirs}",
        f"/courses/{bank.id}/questions/new?type=single&category={theirs}",
        f"/courses/{bank.id}/questions?category=abc",
    ):
        assert client.get(url).status_code == 404, url
    for url, data in (
        (f"/courses/{bank.id}/questions/{foreign}/edit", {"gift": "Hijacked{TRUE}", "submit": "y"}),
        (f"/courses/{bank.id}/questions/{foreign}/delete", {}),
        (f"/courses/{bank.id}/questions/{foreign}/regrade", {}),
        (f"/courses/{bank.id}/questions/{foreign}/move", {"category_id": top}),
        (f"/courses/{bank.id}/questions/move", {"category_id": top, "question_id": [mine, foreign]}),
        (f"/courses/{bank.id}/questions/categories/{theirs}/delete", {}),
        (
            f"/courses/{bank.id}/questions/import/confirm",
            {"upload": "0" * 64, "file_format": "gift", "category_id": theirs},
        ),
    ):
        assert client.submit(url, data, page=page).status_code == 404, url
    # A category of another course is not a choice: the form refuses it before anything is looked up.
    assert (
        client.submit(f"/courses/{bank.id}/questions/{mine}/move", {"category_id": theirs}, page=page).status_code
        == 400
    )
    assert [(q.name, q.category_id) for q in bank_questions(app, other.id)] == [("Foreign", theirs)]
    assert [q.category_id for q in bank_questions(app, bank.id)] == [top]
    assert count(app, QuestionCategory) == 3


# --- import -------------------------------------------------------------------------------------------------------


def test_a_good_gift_file_is_previewed_then_imported_on_confirm(client, app, bank):
    response = upload(client, bank.id, "all_types.gift", (DATA / "all_types.gift").read_bytes())
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Import preview: all_types.gift" in html
    assert "Import all 11 questions" in html and "valid questions" not in html
    for name in ("Passport issuer", "Security features", "Capital of Latvia", "Documents", "Profiling", "Cyrillic"):
        assert name in html
    assert "<strong>обязателен</strong>" in html  # rendered Markdown
    assert "-100%" in html and "Any other answer" not in html and "from 40 to 50" in html
    assert count(app, BankQuestion) == 0  # nothing until confirmed
    done = confirm(client, bank.id, html, "import_all")
    assert done.status_code == 302
    questions = bank_questions(app, bank.id)
    assert len(questions) == 11
    with app.app_context():
        tree = [n.category.name for n in quiz_bank.category_tree(db.session, db.session.get(Course, bank.id))]
    assert tree == ["Top", "Top/Documents", "Top/Documents/MRZ", "Top/Geography"]
    assert "11 questions imported from all_types.gift." in client.get(done.location).get_data(as_text=True)


def test_a_malformed_files_problems_are_in_the_instructors_language(client, app, bank, make):
    """The parser's problems are translated, not only their frame: the line and the sentence, in Russian."""
    russian = make.user(Role.INSTRUCTOR, SimpleNamespace(id=bank.academy_id), language="ru")
    make.staff(bank.id, russian.id)
    client = app.test_client()  # a browser of their own
    client.login(russian.username)
    html = upload(client, bank.id, "broken.gift", (DATA / "broken.gift").read_bytes()).get_data(as_text=True)
    assert "строка 3: блок ответов не закрыт" in html
    assert "строка 7: числовой ответ «two» — не число" in html
    assert "answer block" not in html and "is not a number" not in html
    aiken = upload(client, bank.id, "q.txt", "Вопрос\nA) да\nB) нет\nANSWER: Б\n".encode(), "aiken")
    assert "строка 4: ANSWER: Б — кириллическая буква; используйте латинские A-Z" in aiken.get_data(as_text=True)
    xml = upload(client, bank.id, "q.xml", b"<quiz><question type='essay'></question></quiz>", "xml")
    assert "в вопросе нет &lt;questiontext&gt;" in xml.get_data(as_text=True)


def test_a_malformed_gift_file_shows_its_lines_and_imports_only_the_valid_on_request(client, app, bank):
    response = upload(client, bank.id, "broken.gift", (DATA / "broken.gift").read_bytes())
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "line 3: the answer block is never closed" in html
    assert "line 7: numerical answer &#39;two&#39; is not a number" in html
    assert "Import the 2 valid questions" in html and "Import all" not in html
    assert count(app, BankQuestion) == 0
    refused = confirm(client, bank.id, html, "import_all")  # a forged "all" on a file with problems
    assert refused.status_code == 422
    assert "line 3: the answer block is never closed" in refused.get_data(as_text=True)
    assert count(app, BankQuestion) == 0
    assert confirm(client, bank.id, html, "import_valid").status_code == 302
    assert [q.name for q in bank_questions(app, bank.id)] == ["Good one", "Good two"]


@pytest.mark.parametrize(
    ("name", "file_format", "imported", "problem"),
    [
        ("all_types.xml", "auto", 8, None),
        ("broken.xml", "auto", 1, "question[3] (numerical &#39;Bad tolerance&#39;): answer[1] tolerance"),
        ("questions.aiken", "aiken", 2, None),
        ("broken.aiken", "aiken", 1, "line 9: ANSWER: D names no option"),
        ("broken.gift", "gift", 2, "line 3: the answer block is never closed"),
        ("all_types.xml", "aiken", 0, "line 1: "),  # the wrong format chosen: nothing imports
    ],
)
def test_xml_and_aiken_imports(client, app, bank, name, file_format, imported, problem):
    response = upload(client, bank.id, name, (DATA / name).read_bytes(), file_format)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    if problem:
        assert problem in html
        if imported:
            assert confirm(client, bank.id, html, "import_valid").status_code == 302
        else:
            assert "holds no question that can be imported" in html
            assert "Import the" not in html
    else:
        assert confirm(client, bank.id, html, "import_all").status_code == 302
    assert count(app, BankQuestion) == imported


def test_an_aiken_file_is_recognised_by_its_content_and_never_read_as_gift(client, app, bank):
    data = (DATA / "questions.aiken").read_bytes()
    html = upload(client, bank.id, "questions.txt", data).get_data(as_text=True)  # the format left at "auto"
    assert "2 questions can be imported" in html
    assert "0 problems" in html
    assert confirm(client, bank.id, html, "import_all").status_code == 302
    assert {q.type for q in bank_questions(app, bank.id)} == {"single"}
    refused = upload(client, bank.id, "questions.txt", data, "gift")
    assert refused.status_code == 422
    assert "questions.txt cannot be read: line 5: the file reads as Aiken" in refused.get_data(as_text=True)
    assert count(app, BankQuestion) == 2


def test_an_import_goes_to_the_chosen_category_when_the_file_names_none(client, app, bank):
    target = category_id(app, bank.id, "Aiken/Imported")
    html = upload(client, bank.id, "q.txt", (DATA / "questions.aiken").read_bytes(), "aiken", target)
    confirm(client, bank.id, html.get_data(as_text=True), "import_all")
    assert {q.category_id for q in bank_questions(app, bank.id)} == {target}


@pytest.mark.parametrize(
    ("name", "data", "status", "message"),
    [
        ("huge.gift", b"// padding\n" * (6 * 2**20 + 1), 413, "huge.gift is too large: question files up to 64 MB"),
        (
            "latin1.gift",
            (DATA / "latin1.gift").read_bytes(),
            422,
            "latin1.gift cannot be read: line 1: the file is not UTF-8",
        ),
        ("malformed.xml", (DATA / "malformed.xml").read_bytes(), 422, "malformed.xml cannot be read: line 5, column 5"),
        ("binary.xml", b"\xff\xfe\x00\x00<\x00q", 422, "binary.xml cannot be read: line 1, column 2: malformed XML"),
        ("nul.aiken", b"Q?\nA) x\x00\nANSWER: A", 422, "nul.aiken cannot be read: line 2"),
        ("empty.gift", b"  \n", 422, "empty.gift is empty"),
    ],
)
def test_unreadable_files_are_refused_naming_the_file(client, app, bank, name, data, status, message):
    response = upload(client, bank.id, name, data, "aiken" if name.endswith(".aiken") else "auto")
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert count(app, BankQuestion) == 0


def test_no_file_is_a_form_error(client, app, bank):
    url = f"/courses/{bank.id}/questions/import"
    response = client.submit(url, {"file_format": "auto", "category_id": category_id(app, bank.id, "")})
    assert response.status_code == 422
    assert "Choose the file to import." in response.get_data(as_text=True)


def test_a_large_file_survives_the_round_trip_through_the_preview(client, app, bank):
    """The decoded text travels back in a hidden field: near the upload limit, it still fits the form."""
    text = ("// Комментарий: паспорта и визы\n" * 30_000) + "\n::Last::Верно?{TRUE}\n"
    data = text.encode("utf-8")
    assert 1.5 * 2**20 < len(data) < 2 * 2**20
    html = upload(client, bank.id, "big.gift", data).get_data(as_text=True)
    assert "Import all 1 questions" in html or "Import the 1 question" in html
    assert confirm(client, bank.id, html, "import_all").status_code == 302
    assert [q.name for q in bank_questions(app, bank.id)] == ["Last"]


# --- one question -------------------------------------------------------------------------------------------------


def test_new_question_starts_from_an_example_of_the_chosen_type(client, app, bank):
    chooser = client.get(f"/courses/{bank.id}/questions/new").get_data(as_text=True)
    assert "Numerical" in chooser and "Matching" in chooser
    docs = category_id(app, bank.id, "Docs")
    page = client.get(f"/courses/{bank.id}/questions/new?type=numerical&category={docs}").get_data(as_text=True)
    assert "=44:0" in page and f'<option selected value="{docs}">' in page
    url = f"/courses/{bank.id}/questions/new"
    preview = client.submit(url, {"category_id": docs, "gift": "::Pi::Pi? {#3.14:0.01}", "preview": "y"})
    assert preview.status_code == 200 and "3.14 ± 0.01" in preview.get_data(as_text=True)
    assert count(app, BankQuestion) == 0
    saved = client.submit(
        url, {"category_id": docs, "gift": "$CATEGORY: Elsewhere\n::Pi::Pi? {#3.14:0.01}", "submit": "y"}
    )
    assert saved.status_code == 302
    [item] = bank_questions(app, bank.id)
    assert (item.name, item.category_id, item.question.category) == ("Pi", docs, "Top/Docs")
    assert saved.location.endswith(f"/questions/{item.id}/edit")


@pytest.mark.parametrize(
    ("url", "offers_top"),
    [
        ("/questions", True),
        ("/questions/new", False),
        ("/questions/new?type=single", True),
        ("/questions/import", True),
    ],
)
def test_opening_an_empty_bank_writes_nothing(client, app, bank, url, offers_top):
    """A GET never commits: the "Top" that the forms offer a new bank is made by the first form sent."""
    page = client.get(f"/courses/{bank.id}{url}")
    assert page.status_code == 200
    assert (">Top</option>" in page.get_data(as_text=True)) is offers_top
    assert count(app, QuestionCategory) == 0


def test_the_first_question_of_a_new_bank_goes_to_top(client, app, bank):
    url = f"/courses/{bank.id}/questions/new"
    preview = client.submit(url, {"category_id": quiz_bank.NEW_TOP, "gift": "::Pi::Pi? {#3.14:0.01}", "preview": "y"})
    assert preview.status_code == 200 and count(app, QuestionCategory) == 0  # a preview writes nothing
    saved = client.submit(url, {"category_id": quiz_bank.NEW_TOP, "gift": "::Pi::Pi? {#3.14:0.01}", "submit": "y"})
    assert saved.status_code == 302
    [item] = bank_questions(app, bank.id)
    assert (item.category_id, item.question.category) == (category_id(app, bank.id, ""), "Top")
    assert count(app, QuestionCategory) == 1
    again = client.submit(url, {"category_id": quiz_bank.NEW_TOP, "gift": "::E::E{TRUE}", "submit": "y"})
    assert again.status_code == 422  # "Top" exists now: the form offers it by its id, and the old choice is gone
    assert count(app, BankQuestion) == 1


def test_the_first_category_of_a_new_bank_goes_under_top(client, app, bank):
    made = client.submit(
        f"/courses/{bank.id}/questions/categories",
        {"parent_id": quiz_bank.NEW_TOP, "name": "Documents"},
        page=f"/courses/{bank.id}/questions",
    )
    assert made.status_code == 302
    with app.app_context():
        names = db.session.scalars(select(QuestionCategory.name).order_by(QuestionCategory.name)).all()
    assert names == ["Top", "Top/Documents"]


def test_the_gift_editor_shows_errors_with_their_lines_and_saves_a_new_version(client, app, bank):
    [question_id] = seed(app, bank.id, "::Lines::How many lines has the MRZ? {=2 ~3}", "Docs")
    url = f"/courses/{bank.id}/questions/{question_id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert "::Lines::How many lines has the MRZ?{\n\t=2\n\t~3\n}" in page and "version 1" in page
    assert '<span class="badge ok">correct</span>' in page  # the preview marks the right answer
    broken = client.submit(url, {"gift": "::Lines::How many?\n{=2 ~3", "submit": "y"})
    assert broken.status_code == 422
    assert "line 1: the answer block is never closed" in broken.get_data(as_text=True)
    two = client.submit(url, {"gift": "A{TRUE}\n\nB{FALSE}", "submit": "y"})
    assert two.status_code == 422
    assert "The text holds 2 questions: write exactly one" in two.get_data(as_text=True)
    empty = client.submit(url, {"gift": "   ", "submit": "y"})
    assert empty.status_code == 422 and "Write the question." in empty.get_data(as_text=True)
    preview = client.submit(url, {"gift": "::Lines::How many lines? {=two =2}", "preview": "y"})
    assert preview.status_code == 200 and "Accepted answers" in preview.get_data(as_text=True)
    [item] = bank_questions(app, bank.id)
    assert (item.version, item.name) == (1, "Lines")
    assert client.submit(url, {"gift": "::Lines::How many lines? {=two =2}", "submit": "y"}).status_code == 302
    [item] = bank_questions(app, bank.id)
    assert (item.version, item.type.value, item.question.category) == (2, "short", "Top/Docs")
    assert item.updated_at is not None
    again = client.submit(url, {"gift": client_text(client, url), "submit": "y"}, follow_redirects=True)
    assert "Nothing has changed." in again.get_data(as_text=True)
    assert bank_questions(app, bank.id)[0].version == 2


def client_text(client, url: str) -> str:
    import html as html_module

    page = client.get(url).get_data(as_text=True)
    match = re.search(r"<textarea[^>]*>\n?(.*?)</textarea>", page, re.S)
    assert match
    return html_module.unescape(match.group(1))


def test_delete_is_refused_while_a_quiz_uses_the_question(client, app, bank):
    used, free = seed(app, bank.id, "::Used::A{TRUE}\n\n::Free::B{FALSE}")
    with app.app_context():
        quiz = Quiz(course_id=bank.id, title="Entry test")
        quiz.slots.append(QuizSlot(question_id=used))
        db.session.add(quiz)
        db.session.commit()
    page = f"/courses/{bank.id}/questions"
    refused = client.submit(f"/courses/{bank.id}/questions/{used}/delete", {}, page=page, follow_redirects=True)
    assert "it is in these quizzes: Entry test" in refused.get_data(as_text=True)
    done = client.submit(f"/courses/{bank.id}/questions/{free}/delete", {}, page=page)
    assert done.status_code == 302
    assert [q.id for q in bank_questions(app, bank.id)] == [used]


def test_questions_move_between_categories_and_empty_categories_go(client, app, bank):
    ids = seed(app, bank.id, "::A::A{TRUE}\n\n::B::B{TRUE}\n\n::C::C{TRUE}", "Old")
    page = f"/courses/{bank.id}/questions"
    made = client.submit(
        f"/courses/{bank.id}/questions/categories", {"parent_id": category_id(app, bank.id, ""), "name": "New"}
    )
    assert made.status_code == 302
    new = category_id(app, bank.id, "New")
    moved = client.submit(f"/courses/{bank.id}/questions/move", {"category_id": new, "question_id": ids[:2]}, page=page)
    assert moved.status_code == 302
    assert [q.category_id for q in bank_questions(app, bank.id)] == [new, new, category_id(app, bank.id, "Old")]
    old = category_id(app, bank.id, "Old")
    full = client.submit(f"/courses/{bank.id}/questions/categories/{old}/delete", {}, page=page, follow_redirects=True)
    assert "cannot be deleted" in full.get_data(as_text=True)
    client.submit(f"/courses/{bank.id}/questions/{ids[2]}/move", {"category_id": new}, page=page)
    assert client.submit(f"/courses/{bank.id}/questions/categories/{old}/delete", {}, page=page).status_code == 302
    with app.app_context():
        assert db.session.get(QuestionCategory, old) is None
    slash = client.submit(
        f"/courses/{bank.id}/questions/categories", {"parent_id": new, "name": "a/b"}, follow_redirects=True
    )
    assert "cannot contain" in slash.get_data(as_text=True)


def test_search_and_category_filter(client, app, bank):
    seed(app, bank.id, "::Паспорт::Срок действия?{TRUE}", "Docs")
    seed(app, bank.id, "::Visa::Schengen visa?{TRUE}", "Docs/Visas")
    docs = category_id(app, bank.id, "Docs")
    only = client.get(f"/courses/{bank.id}/questions?category={docs}").get_data(as_text=True)
    assert "Паспорт" in only and "Schengen" not in only and ">Visa</a>" not in only
    both = client.get(f"/courses/{bank.id}/questions?category={docs}&sub=1").get_data(as_text=True)
    assert "Паспорт" in both and ">Visa</a>" in both
    found = client.get(f"/courses/{bank.id}/questions?q=СРОК").get_data(as_text=True)
    assert "Паспорт" in found and ">Visa</a>" not in found


# --- export -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "mimetype", "upload_name"), [("gift", "text/plain", "bank.gift"), ("xml", "application/xml", "bank.xml")]
)
def test_an_export_downloads_and_imports_back_equal(client, make, app, bank, fmt, mimetype, upload_name):
    html = upload(client, bank.id, "all_types.gift", (DATA / "all_types.gift").read_bytes()).get_data(as_text=True)
    confirm(client, bank.id, html, "import_all")
    response = client.get(f"/courses/{bank.id}/questions/export.{fmt}")
    assert response.status_code == 200 and response.mimetype == mimetype
    assert f"questions-course-{bank.id}" in response.headers["Content-Disposition"]
    copy = make.course(bank.academy_id)
    with app.app_context():
        from lectern.courses.models import CourseStaff

        staff = db.session.scalar(select(CourseStaff).where(CourseStaff.course_id == bank.id))
        make.staff(copy.id, staff.user_id)
    preview = upload(client, copy.id, upload_name, response.data).get_data(as_text=True)
    assert confirm(client, copy.id, preview, "import_all").status_code == 302
    original = [from_data(q.data) for q in bank_questions(app, bank.id)]
    imported = [from_data(q.data) for q in bank_questions(app, copy.id)]
    assert sorted(imported, key=repr) == sorted(original, key=repr)
    documents = category_id(app, bank.id, "Documents")
    part = client.get(f"/courses/{bank.id}/questions/export.{fmt}?category={documents}")
    assert b"Passport issuer" in part.data and b"Capital of Latvia" not in part.data


# --- regrading ----------------------------------------------------------------------------------------------------


def test_after_an_edit_the_attempts_of_the_older_version_can_be_regraded(client, make, app, bank):
    [question_id] = seed(app, bank.id, "::Colour::What colour is a Latvian passport? {=Green ~Burgundy}")
    cadet = make.user(Role.CADET)
    make.enrol(bank.id, cadet.id)
    quiz = make.quiz(bank.id, [question_id], title="Documents")
    attempt = make.attempt(quiz.id, cadet.id, {0: 1}, at=T0)  # Burgundy: wrong in version 1
    assert attempt.mark == 0.0
    attempt_id = attempt.id
    url = f"/courses/{bank.id}/questions/{question_id}/edit"
    assert "Regrade" not in client.get(url).get_data(as_text=True)
    fixed = "::Colour::What colour is a Latvian passport? {~Green =Burgundy}"
    assert client.submit(url, {"gift": fixed, "submit": "y"}).status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Regrade 1 attempt" in page
    done = client.submit(f"/courses/{bank.id}/questions/{question_id}/regrade", {}, page=url, follow_redirects=True)
    assert "1 attempt regraded." in done.get_data(as_text=True)
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert (attempt.answers[0].version, attempt.answers[0].mark, attempt.mark) == (2, 1.0, 1.0)
    assert "Regrade" not in client.get(url).get_data(as_text=True)


def test_a_bank_of_5000_questions_exported_imports_back_unchanged(client, app, bank, make):
    """Thousands of questions, in either format: the file is read incrementally, held on the server between preview
    and import (not sent back through the page), and imported in one transaction."""
    kinds = parse_gift((DATA / "all_types.gift").read_text()).questions
    many = [replace(kinds[n % len(kinds)], name=f"Q{n:04d}", category=f"Top/Part {n % 7}") for n in range(5000)]
    with app.app_context():
        source = db.session.get(Course, bank.id)
        quiz_bank.add_questions(db.session, source, many, quiz_bank.ensure_category(db.session, source, ""))
        db.session.commit()
        academy_id, teacher_id = source.academy_id, source.staff[0].user_id
    for fmt in ("gift", "xml"):
        exported = client.get(f"/courses/{bank.id}/questions/export.{fmt}").get_data()
        assert len(exported) > 2 * 2**20 or fmt == "gift"  # beyond the old limit of 2 MB
        # Into another course of the same instructor, so that nothing matches by accident.
        target = make.course(academy_id, title=f"Copy as {fmt}")
        make.staff(target.id, teacher_id)
        preview = upload(client, target.id, f"bank.{fmt}", exported)
        html = preview.get_data(as_text=True)
        assert preview.status_code == 200, html[-2000:]
        assert "5000 questions can be imported" in html and "0 problems" in html
        assert "The first 200 of 5000 questions are shown here" in html
        assert len(html) < 2**20  # the page does not carry the file back
        assert confirm(client, target.id, html, "import_all").status_code == 302
        assert client.get(f"/courses/{target.id}/questions/export.{fmt}").get_data() == exported


COMBINED = """<quiz><question type="multichoice"><name><text>Visa</text></name>
<questiontext format="html"><text>Which?</text></questiontext>
<single>false</single>
<correctfeedback format="html"><text>Все верно.</text></correctfeedback>
<partiallycorrectfeedback format="html"><text>Частично.</text></partiallycorrectfeedback>
<incorrectfeedback format="html"><text>Неверно.</text></incorrectfeedback>
<answer fraction="50"><text>a</text></answer><answer fraction="50"><text>b</text></answer>
<answer fraction="-100"><text>c</text></answer></question></quiz>"""


def test_moodles_combined_feedback_is_kept_shown_and_exported_again(client, app, bank):
    html = upload(client, bank.id, "combined.xml", COMBINED.encode()).get_data(as_text=True)
    for label, text in (("right", "Все верно."), ("partly right", "Частично."), ("wrong", "Неверно.")):
        assert f"For a {label} response: {text}" in html
    assert confirm(client, bank.id, html, "import_all").status_code == 302
    (stored,) = bank_questions(app, bank.id)
    question = from_data(stored.data)
    assert (question.correct_feedback, question.partial_feedback, question.incorrect_feedback) == (
        "Все верно.",
        "Частично.",
        "Неверно.",
    )
    exported = client.get(f"/courses/{bank.id}/questions/export.xml").get_data(as_text=True)
    assert '<partiallycorrectfeedback format="html">\n      <text>Частично.</text>' in exported


PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + bytes(20)
MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(20)


def _file(name: str, data: bytes) -> str:
    return f'<file name="{name}" path="/" encoding="base64">{base64.b64encode(data).decode()}</file>'


EMBEDDING = f"""<quiz><question type="truefalse"><name><text>Stamp</text></name>
<questiontext format="html"><text><![CDATA[<p>Is this stamp valid? <img src="@@PLUGINFILE@@/entry%20stamp.png"></p>]]>
</text>{_file("entry stamp.png", PNG)}</questiontext>
<generalfeedback format="html"><text><![CDATA[<audio controls src="@@PLUGINFILE@@/why.mp3"></audio>]]></text>
{_file("why.mp3", MP3)}</generalfeedback>
<answer fraction="100"><text>true</text></answer><answer fraction="0"><text>false</text></answer></question></quiz>"""


def test_embedded_images_and_sounds_are_stored_served_and_exported_again(client, app, bank, make):
    html = upload(client, bank.id, "stamps.xml", EMBEDDING.encode()).get_data(as_text=True)
    assert "The file embeds 2 images and sounds" in html
    assert confirm(client, bank.id, html, "import_all").status_code == 302
    (stored,) = bank_questions(app, bank.id)
    question = from_data(stored.data)
    png, mp3 = hashlib.sha256(PNG).hexdigest(), hashlib.sha256(MP3).hexdigest()
    image_url = f"/courses/{bank.id}/questions/media/{png}/entry%20stamp.png"
    assert f'<img src="{image_url}">' in question.text
    assert f'src="/courses/{bank.id}/questions/media/{mp3}/why.mp3"' in question.general_feedback
    with client.get(image_url) as served:
        assert (served.status_code, served.mimetype, served.get_data()) == (200, "image/png", PNG)
    exported = client.get(f"/courses/{bank.id}/questions/export.xml").get_data(as_text=True)
    assert "@@PLUGINFILE@@/entry%20stamp.png" in exported and _file("entry stamp.png", PNG) in exported
    assert _file("why.mp3", MP3) in exported
    # Another course's instructor cannot fetch the file by its address, even with the hash.
    elsewhere = make.academy(name="Other")
    outsider_course = make.course(elsewhere.id, title="Other")
    outsider = make.user(Role.INSTRUCTOR, elsewhere, username="outsider")
    make.staff(outsider_course.id, outsider.id)
    other = app.test_client()
    other.login("outsider")
    assert other.get(image_url).status_code in (403, 404)
    assert other.get(f"/courses/{outsider_course.id}/questions/media/{png}/x.png").status_code == 404


def test_an_embedded_program_is_refused_in_the_preview(client, app, bank):
    data = EMBEDDING.replace(base64.b64encode(PNG).decode(), base64.b64encode(b"MZ\x90\x00 program").decode())
    html = upload(client, bank.id, "stamps.xml", data.encode()).get_data(as_text=True)
    assert (
        "question[1] (truefalse &#39;Stamp&#39;): questiontext file &#39;entry stamp.png&#39; is not an image" in html
    )
    assert count(app, BankQuestion) == 0


def test_two_previews_of_one_file_are_held_apart(client, app, bank):
    # Two tabs (or two editors) preview the same file: importing from the first leaves the second's upload held.
    data = b"::One:: Is a visa a permit to enter?{T}\n\n::Two:: Is a stamp a visa?{F}\n"
    first = upload(client, bank.id, "bank.gift", data).get_data(as_text=True)
    second = upload(client, bank.id, "bank.gift", data).get_data(as_text=True)
    assert hidden(first, "upload") != hidden(second, "upload")
    assert confirm(client, bank.id, first, "import_all").status_code == 302
    again = confirm(client, bank.id, second, "import_all")
    assert again.status_code == 302
    assert "has expired" not in client.get(again.headers["Location"]).get_data(as_text=True)
    assert len(bank_questions(app, bank.id)) == 4
