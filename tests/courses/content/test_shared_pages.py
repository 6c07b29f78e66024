"""The course page and the lesson page, made once for many readers (catalogue/shared.py, content/shared.py): every
reader sees exactly the lessons that exist for them, at once after a change, whoever's request filled the cache,
and each page reads the same few statements whatever the size of the course."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from sqlalchemy import select

from lectern.courses.content.visibility import LESSON_GUARDS
from lectern.courses.models import Lesson, Module
from lectern.courses.quizzes.models import Quiz
from lectern.extensions import db
from lectern.platform.models import Role, User
from lectern.registry import registry
from tests.courses.helpers import lesson_ids, signed_in, text
from tests.factories import Factory
from tests.statements import count_statements


def titles(html: str) -> list[str]:
    """The lesson titles a course page's contents list, in order."""
    contents = html[html.index('<ol class="lessons">') :]
    return re.findall(r'<a href="/courses/\d+/lessons/\d+">([^<]+)</a>', contents)


def side_titles(html: str) -> list[str]:
    """The lesson titles a lesson page's outline lists, in order (the lesson itself too)."""
    outline = html[html.index('<aside class="outline">') :]
    return re.findall(r"(?:<strong aria-current=\"page\">|<a href=\"/courses/\d+/lessons/\d+\">)([^<]+)<", outline)


def site(make: Factory) -> tuple[Any, Any, User, User, User]:
    """An academy, its course of two lessons in one module, the course's instructor, and two of its cadets."""
    academy = make.academy()
    lessons = [{"title": "Passports", "body": "About *passports*"}, {"title": "Visas"}]
    course = make.course(academy.id, modules=[("Basics", lessons)])
    teacher, cadet, classmate = (make.user(role, academy) for role in (Role.INSTRUCTOR, Role.CADET, Role.CADET))
    make.staff(course.id, teacher.id)
    make.enrol(course.id, cadet.id)
    make.enrol(course.id, classmate.id)
    return academy, course, teacher, cadet, classmate


def module_id(app: Flask, course_id: int) -> int:
    with app.app_context():
        found = db.session.scalar(select(Module.id).where(Module.course_id == course_id))
        assert found is not None
        return found


LESSON = {"kind": "text", "body": ""}


def test_lesson_edits_show_at_once_to_a_reader_whose_pages_are_kept(app, make):
    _academy, course, teacher, cadet, _classmate = site(make)
    editor, reader = signed_in(app, teacher), signed_in(app, cadet)
    first, second = lesson_ids(app, course.id)
    course_page, lesson_page = f"/courses/{course.id}", f"/courses/{course.id}/lessons/{second}"

    def pages() -> tuple[list[str], list[str]]:
        return titles(text(reader, course_page)), side_titles(text(reader, lesson_page))

    assert pages() == (["Passports", "Visas"], ["Passports", "Visas"])  # now kept for the cadet's kind of reader
    edit = f"/courses/{course.id}/lessons/{first}/edit"
    assert editor.submit(edit, {**LESSON, "title": "Travel documents", "body": "About *visas*"}).status_code == 302
    assert pages() == (["Travel documents", "Visas"], ["Travel documents", "Visas"])
    first_page = text(reader, f"/courses/{course.id}/lessons/{first}")
    assert "<em>visas</em>" in first_page and "<em>passports</em>" not in first_page  # its text too

    new = f"/courses/{course.id}/modules/{module_id(app, course.id)}/lessons/new"
    assert editor.submit(new, {**LESSON, "title": "Customs declarations"}).status_code == 302
    assert pages() == (["Travel documents", "Visas", "Customs declarations"],) * 2
    assert "Customs declarations →" in text(reader, lesson_page)  # the next lesson now

    move = f"/courses/{course.id}/lessons/{second}/move"
    assert editor.submit(move, {"action": "up"}, page=f"/courses/{course.id}/content").status_code == 302
    assert pages() == (["Visas", "Travel documents", "Customs declarations"],) * 2

    assert editor.submit(new, {**LESSON, "title": "Smuggling routes", "draft": "y"}).status_code == 302
    assert pages() == (["Visas", "Travel documents", "Customs declarations"],) * 2  # a draft: not for the cadet
    draft = lesson_ids(app, course.id)[-1]
    assert reader.get(f"/courses/{course.id}/lessons/{draft}").status_code == 404
    publish = f"/courses/{course.id}/lessons/{draft}/publish"
    assert editor.submit(publish, {"back": "course"}, page=course_page).status_code == 302
    assert pages() == (["Visas", "Travel documents", "Customs declarations", "Smuggling routes"],) * 2
    assert reader.get(f"/courses/{course.id}/lessons/{draft}").status_code == 200

    delete = f"/courses/{course.id}/lessons/{first}/move"
    assert editor.submit(delete, {"action": "delete"}, page=f"/courses/{course.id}/content").status_code == 302
    assert pages() == (["Visas", "Customs declarations", "Smuggling routes"],) * 2
    assert reader.get(f"/courses/{course.id}/lessons/{first}").status_code == 404

    rename = f"/courses/{course.id}/modules/{module_id(app, course.id)}"
    assert editor.submit(rename, {"action": "rename", "title": "Documents"}, page=course_page).status_code == 302
    for page in (course_page, lesson_page):
        html = text(reader, page)
        assert "<h3>Documents</h3>" in html and "Basics" not in html


def test_a_quiz_changed_shows_at_once_in_the_course_page_and_the_progress(app, make):
    _academy, course, _teacher, cadet, _classmate = site(make)
    quiz = make.quiz(course.id, title="Entry checks")
    reader = signed_in(app, cadet)
    first, _second = lesson_ids(app, course.id)
    page = f"/courses/{course.id}"
    text(reader, f"/courses/{course.id}/lessons/{first}")  # done
    html = text(reader, page)
    assert "Entry checks" in html and "1 of 2 lessons" in html
    with app.app_context():  # as its editor's settings page saves it
        found = db.session.get(Quiz, quiz.id)
        assert found is not None
        found.title, found.pass_percent, found.required_for_completion = "Border checks", 50.0, True
        db.session.commit()
    html = text(reader, page)
    assert "Border checks" in html and "Entry checks" not in html
    assert "1 of 3 lessons" in html  # the quiz the course now requires counts
    assert "1 of 3 lessons" in text(reader, f"/courses/{course.id}/lessons/{first}")
    with app.app_context():
        found = db.session.get(Quiz, quiz.id)
        assert found is not None
        found.published = False
        db.session.commit()
    html = text(reader, page)
    assert "Border checks" not in html and "1 of 2 lessons" in html


def test_a_guarded_lesson_stays_hidden_from_whom_its_guard_refuses_whoever_filled_the_cache(app, make):
    _academy, course, _teacher, cadet, classmate = site(make)
    first, second = lesson_ids(app, course.id)
    asked: list[type] = []

    def guard(_session: Any, user: User, lesson: Any) -> bool:
        asked.append(type(lesson))
        return not (user.id == cadet.id and lesson.id == second)

    registry(app).add(LESSON_GUARDS, guard)
    refused, allowed = signed_in(app, cadet), signed_in(app, classmate)
    for _ in range(2):  # each in turn after the other has filled the cache
        for reader, sees in ((allowed, True), (refused, False)):
            assert ("Visas" in text(reader, f"/courses/{course.id}")) is sees
            lesson_page = text(reader, f"/courses/{course.id}/lessons/{first}")
            assert ("Visas" in lesson_page) is sees and (f"/lessons/{second}" in lesson_page) is sees
            assert reader.get(f"/courses/{course.id}/lessons/{second}").status_code == (200 if sees else 404)
    assert asked  # asked on every request, with the rows the pages keep and the lessons the routes load


def test_drafts_are_never_shown_to_a_cadet_whoever_filled_the_cache(app, make):
    academy, course, teacher, cadet, _classmate = site(make)
    academy_admin = make.user(Role.ACADEMY_ADMIN, make.academy())  # of another academy: no draft for them either
    with app.app_context():
        lesson = db.session.get(Lesson, lesson_ids(app, course.id)[1])
        assert lesson is not None
        lesson.title, lesson.draft = "Unpublished visas", True
        db.session.commit()
    first, draft = lesson_ids(app, course.id)
    assistant = make.user(Role.INSTRUCTOR, academy)
    make.staff(course.id, assistant.id, role="assistant")
    readers = {
        "teacher": (signed_in(app, teacher), True),
        "cadet": (signed_in(app, cadet), False),
        "assistant": (signed_in(app, assistant), True),
        "another academy's admin": (signed_in(app, academy_admin), False),
    }
    for order in (list(readers), list(reversed(readers))):
        for who in order:
            reader, sees = readers[who]
            course_page = reader.get(f"/courses/{course.id}")
            if who == "another academy's admin":
                assert course_page.status_code == 200  # listed everywhere; not theirs to teach
            html = course_page.get_data(as_text=True)
            assert ("Unpublished visas" in html) is sees, (who, order)
            assert ("Publish" in html) is (who == "teacher"), (who, order)
            opened = reader.get(f"/courses/{course.id}/lessons/{first}")
            if who == "another academy's admin":
                assert opened.status_code == 403  # neither enrolled nor teaching
                continue
            assert ("Unpublished visas" in opened.get_data(as_text=True)) is sees, (who, order)
            assert reader.get(f"/courses/{course.id}/lessons/{draft}").status_code == (200 if sees else 404)


def test_done_marks_and_progress_are_each_readers_own(app, make):
    _academy, course, _teacher, cadet, classmate = site(make)
    first, second = lesson_ids(app, course.id)
    mine, theirs = signed_in(app, cadet), signed_in(app, classmate)
    text(mine, f"/courses/{course.id}/lessons/{first}")  # done by opening it
    for _ in range(2):
        mine_page, their_page = text(mine, f"/courses/{course.id}"), text(theirs, f"/courses/{course.id}")
        assert mine_page.count('<li class="done">') == 1 and "1 of 2 done" in mine_page
        assert "1 of 2 lessons" in mine_page and ">Done</span>" in mine_page
        assert their_page.count('<li class="done">') == 0 and "0 of 2 done" in their_page
        assert "0 of 2 lessons" in their_page and ">Done</span>" not in their_page
    side = text(theirs, f"/courses/{course.id}/lessons/{second}")  # the lesson page of the same kind of reader
    assert re.findall(r'<li class="done">.*\n\s*(?:<strong aria-current="page">|<a [^>]+>)([^<]+)<', side) == ["Visas"]
    assert "1 of 2 lessons" in side
    side = text(mine, f"/courses/{course.id}/lessons/{second}")
    assert side.count('<li class="done">') == 2 and "2 of 2 lessons" in side


def test_the_lesson_page_follows_a_language_switch(app, make):
    _academy, course, _teacher, cadet, _classmate = site(make)
    first, _second = lesson_ids(app, course.id)
    reader = signed_in(app, cadet)
    page = f"/courses/{course.id}/lessons/{first}"
    html = text(reader, page)
    assert 'aria-label="Contents"' in html and "Mark as not done" in html
    reader.submit("/language", {"language": "ru"}, page="/courses/")
    html = text(reader, page)
    assert 'aria-label="Содержание"' in html and "Mark as not done" not in html
    course_page = text(reader, f"/courses/{course.id}")
    assert "выполнено 1 из 2" in course_page and ">Выполнено</span>" in course_page
    reader.submit("/language", {"language": "en"}, page="/courses/")
    assert 'aria-label="Contents"' in text(reader, page)


def test_the_course_and_lesson_pages_read_as_many_statements_for_a_large_course_as_for_a_small_one(app, make):
    academy = make.academy()
    small = make.course(academy.id, modules=[("One", [{"title": "Only"}])])
    large = make.course(
        academy.id, modules=[(f"Module {m}", [{"title": f"Lesson {m}.{n}"} for n in range(6)]) for m in range(5)]
    )
    cadet, teacher = make.user(Role.CADET, academy), make.user(Role.INSTRUCTOR, academy)
    for course in (small, large):
        make.enrol(course.id, cadet.id)
        make.staff(course.id, teacher.id)
        make.quiz(course.id, title="Check", pass_percent=50.0, required_for_completion=True)
    counts: dict[str, list[int]] = {}
    for who in (cadet, teacher):
        reader = signed_in(app, who)
        for course in (small, large):
            lessons = lesson_ids(app, course.id)
            text(reader, f"/courses/{course.id}/lessons/{lessons[0]}")  # one done, for the cadet
            for path in (f"/courses/{course.id}", f"/courses/{course.id}/lessons/{lessons[-1]}"):
                text(reader, path)  # the first request after a change fills the cache; the second finds it
                counts.setdefault(f"{who.role.value} {path.count('/')}", []).append(count_statements(app, reader, path))
    for page, found in counts.items():
        assert found[0] == found[1], (page, found)
    # The signed-in user, the reader's standing in the course (enrolment, done lessons, passes, completion), and
    # for the course page the lectures' panel; a teacher's course once more, for the rights it gives them.
    assert counts["cadet 2"][0] <= 3 and counts["cadet 4"][0] <= 2
    assert counts["instructor 2"][0] <= 6 and counts["instructor 4"][0] <= 5
