"""The demo courses: loaded after the demo academies and users, complete, in both languages, with working media."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any

import av
import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from lectern.courses.content.markdown import render
from lectern.courses.content.progress import course_progress
from lectern.courses.content.services import normalise_tags
from lectern.courses.content.storage import Storage
from lectern.courses.demo import courses as demo
from lectern.courses.demo import package_files
from lectern.courses.demo.catalogue import ATTEMPTS, COURSES
from lectern.courses.models import (
    Category,
    Course,
    CourseRole,
    Enrolment,
    Lesson,
    LessonCompletion,
    LessonKind,
    Module,
    Visibility,
)
from lectern.courses.quizzes.attempts import services as quiz_attempts
from lectern.courses.quizzes.formats.gift import parse_gift
from lectern.courses.quizzes.models import Attempt, AttemptState, BankQuestion, Quiz, QuizPass
from lectern.courses.quizzes.questions import QuestionType
from lectern.extensions import db
from lectern.platform import demo as platform_demo
from lectern.platform.accounts import services as platform_services
from lectern.platform.models import Role, User, utcnow

# The demo packages' manifests, by folder name.
MANIFESTS: dict[str, dict[str, Any]] = {
    slug: json.loads((package_files.FOLDER / slug / "manifest.json").read_text(encoding="utf-8")) for slug in COURSES
}
QUIZZES = [(slug, quiz) for slug, manifest in MANIFESTS.items() for quiz in manifest.get("quizzes", [])]
CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
LATIN = re.compile(r"[a-z]", re.IGNORECASE)
# Hashing is deliberately slow and these tests never sign in: the demo users share one hash.
_HASH = platform_services.hash_password("demo")


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(platform_services, "hash_password", lambda password: _HASH)


def _load(app: Flask) -> Storage:
    storage = Storage(app.config["LECTERN_STORAGE"])
    platform_demo.load(db.session)
    courses = demo.load(db.session, storage)
    db.session.commit()
    assert len(courses) == len(COURSES)
    return storage


def _courses() -> list[Course]:
    return list(
        db.session.scalars(
            select(Course)
            .options(
                selectinload(Course.modules).selectinload(Module.lessons).joinedload(Lesson.file),
                selectinload(Course.staff),
                selectinload(Course.shares),
            )
            .order_by(Course.id)
        )
    )


def _words(markdown: str) -> int:
    return len(re.sub(r"<[^>]+>", " ", str(render(markdown))).split())


def test_courses_modules_and_lessons(app: Flask) -> None:
    with app.app_context():
        _load(app)
        courses = _courses()
        assert len(courses) >= 14
        by_title = {c.title: c for c in courses}
        topics: defaultdict[str, set[str]] = defaultdict(set)
        for slug, manifest in MANIFESTS.items():
            course = by_title[manifest["course"]["title"]]
            assert course.language == manifest["course"]["language"] == slug.rsplit("-", 1)[1]
            topics[slug.rsplit("-", 1)[0]].add(course.language)
        assert len(topics) == 7
        assert all(languages == {"en", "ru"} for languages in topics.values()), topics

        usernames = {u.id: u.username for u in db.session.scalars(select(User))}
        for course in courses:
            assert course.summary and course.category_id is not None
            assert course.tags == normalise_tags(course.tags)
            assert course.tags.startswith(",") and course.tags.endswith(",") and len(course.tag_list) >= 3
            assert 2 <= len(course.modules) <= 4
            assert [m.position for m in course.modules] == list(range(1, len(course.modules) + 1))
            for module in course.modules:
                assert 2 <= len(module.lessons) <= 4
                assert [lesson.position for lesson in module.lessons] == list(range(1, len(module.lessons) + 1))
            instructors = {usernames[s.user_id] for s in course.staff if s.role is CourseRole.INSTRUCTOR}
            assert instructors == {"j.ozols" if course.language == "en" else "l.berzina"}
            if course.visibility is Visibility.SHARED:
                assert course.shares and course.academy_id not in {s.academy_id for s in course.shares}

        owners = {c.academy.slug for c in courses}
        assert owners == {"rezekne", "tashkent"}
        assert {c.visibility for c in courses} <= {Visibility.ALL, Visibility.SHARED}
        assert sum(c.self_enrol for c in courses) > len(courses) // 2
        assert any(c.enrol_key == "KYOTO2026" for c in courses)
        assert any(c.enrol_cap for c in courses)

        categories = list(db.session.scalars(select(Category)))
        assert any(c.parent_id is not None for c in categories)
        assert any(c.parent_id is None for c in categories)


def test_lesson_texts_render_and_are_in_the_course_language(app: Flask) -> None:
    with app.app_context():
        _load(app)
        kinds: set[LessonKind] = set()
        for course in _courses():
            for module in course.modules:
                for lesson in module.lessons:
                    kinds.add(lesson.kind)
                    if lesson.kind is LessonKind.LINK:
                        assert lesson.url and lesson.url.startswith("https://")
                    if lesson.kind is not LessonKind.TEXT:
                        continue
                    assert _words(lesson.body) > 100, lesson.title
                    html = str(render(lesson.body))
                    assert "<h2>" in html and "<strong>" in html, lesson.title
                    letters = CYRILLIC if course.language == "ru" else LATIN
                    others = LATIN if course.language == "ru" else CYRILLIC
                    assert len(letters.findall(lesson.body)) > 3 * len(others.findall(lesson.body)), lesson.title
        assert kinds == set(LessonKind)
        first = MANIFESTS["documents-en"]["modules"][1]["lessons"][1]["body"]
        assert "<table>" in str(render((package_files.FOLDER / "documents-en" / first).read_text(encoding="utf-8")))


def test_media_are_stored_and_play(app: Flask) -> None:
    with app.app_context():
        storage = _load(app)
        lessons = list(db.session.scalars(select(Lesson).where(Lesson.file_id.is_not(None))))
        videos = [x for x in lessons if x.kind is LessonKind.VIDEO]
        files = [x for x in lessons if x.kind is LessonKind.FILE]
        languages = {x.module.course.language for x in videos}
        assert languages == {"en", "ru"}
        assert files

        for lesson in videos:
            assert lesson.file is not None and lesson.file.content_type == "video/webm"
            path = storage.path(lesson.file.sha256)
            assert path.stat().st_size == lesson.file.size
            assert lesson.module.course.title.startswith(("X-ray", "Анализ рентгеновских"))
        video = videos[0].file
        assert video is not None
        with av.open(str(storage.path(video.sha256))) as container:
            stream = container.streams.video[0]
            assert stream.codec_context.name == "vp8"
            decoded = 0
            for frame in container.decode(stream):
                assert (frame.width, frame.height) == (640, 360)
                decoded += 1
        assert decoded >= 6 * 25

        for lesson in files:
            assert lesson.file is not None and lesson.file.content_type == "application/pdf"
            data = storage.path(lesson.file.sha256).read_bytes()
            assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
            assert b"MRZ check digit practice sheet" in data


def test_some_cadets_are_enrolled_with_progress(app: Flask) -> None:
    with app.app_context():
        _load(app)
        cadets = {u.username: u for u in db.session.scalars(select(User).where(User.role == Role.CADET))}
        enrolled = set(db.session.scalars(select(Enrolment.user_id)))
        assert {cadets[name].id for name in ("a.asanov", "f.rahimov", "d.yusupov")} <= enrolled
        assert len(enrolled) < len(cadets)  # others are left to enrol themselves

        asanov = cadets["a.asanov"]
        mine = list(db.session.scalars(select(Enrolment.course_id).where(Enrolment.user_id == asanov.id)))
        progress = course_progress(db.session, asanov.id, mine)
        assert any(0 < p.done < p.total for p in progress.values())
        languages = set(db.session.scalars(select(Course.language).where(Course.id.in_(mine))))
        assert languages == {"ru"}
        done = db.session.scalars(select(LessonCompletion.user_id)).all()
        assert set(done) == {asanov.id}


def test_every_demo_gift_parses_with_every_question_type():
    banks = [slug for slug, manifest in MANIFESTS.items() if "bank" in manifest]
    assert banks == [slug for slug, _ in QUIZZES]
    for slug in banks:
        assert MANIFESTS[slug]["bank"]["files"] == ["quizzes/bank.gift"]
        result = parse_gift((package_files.FOLDER / slug / "quizzes" / "bank.gift").read_text(encoding="utf-8"))
        assert result.problems == [], (slug, result.problems)
        assert 8 <= len(result.questions) <= 12, slug
        types = {q.type for q in result.questions}
        assert types == set(QuestionType) - {QuestionType.DESCRIPTION}, slug
        assert sum(q.type is QuestionType.ESSAY for q in result.questions) == 1
        assert any(c.fraction < 0 for q in result.questions for c in q.choices)  # partial credit, with penalties
        language = MANIFESTS[slug]["course"]["language"]
        letters = CYRILLIC if language == "ru" else LATIN
        others = LATIN if language == "ru" else CYRILLIC
        text = " ".join(q.text for q in result.questions)
        assert len(letters.findall(text)) > 3 * len(others.findall(text)), slug


def test_quizzes_in_both_languages_with_finished_attempts(app: Flask) -> None:
    with app.app_context():
        _load(app)
        quizzes = list(db.session.scalars(select(Quiz).order_by(Quiz.id)))
        assert len(quizzes) == len(QUIZZES)
        languages = [q.course.language for q in quizzes]
        assert languages.count("en") >= 3 and languages.count("ru") >= 3
        for quiz in quizzes:
            assert quiz.published and quiz.time_limit_minutes == 15 and quiz.attempts_allowed in (2, 3)
            assert quiz.grading_method == "highest" and quiz.pass_percent == 60 and quiz.shuffle_answers
            bank = db.session.scalar(select(func.count()).where(BankQuestion.course_id == quiz.course_id))
            assert 8 <= (bank or 0) <= 12
        assert any(q.required_for_completion for q in quizzes)
        random = [q for q in quizzes if any(s.category_id is not None for s in q.slots)]
        assert random and all(sum(s.category_id is not None for s in q.slots) == 3 for q in random)

        attempts = list(db.session.scalars(select(Attempt)))
        assert len(attempts) == sum(len(skills) for _, _, skills in ATTEMPTS)
        assert all(a.state is AttemptState.FINISHED and a.mark is not None for a in attempts)
        assert all(any(x.response is not None for x in a.answers) for a in attempts)
        assert len({a.percent for a in attempts}) > 3  # a spread of grades for the statistics
        assert any(a.needs_grading for a in attempts) and not all(a.needs_grading for a in attempts)
        assert db.session.scalar(select(func.count()).select_from(QuizPass))


def test_a_demo_cadet_can_start_the_demo_quiz(app: Flask) -> None:
    with app.app_context():
        _load(app)
        cadet = db.session.scalar(select(User).where(User.username == "f.rahimov"))
        quiz = next(
            q for q in db.session.scalars(select(Quiz)) if q.course.language == "ru" and q.attempts_allowed == 3
        )
        assert cadet is not None
        assert quiz_attempts.refusal(db.session, quiz, cadet, utcnow()) is None
        attempt = quiz_attempts.start(db.session, quiz, cadet, utcnow())
        assert attempt.number == 3 and len(attempt.answers) == 11


def test_demo_data_command_counts_the_quizzes(app: Flask, runner: Any) -> None:
    result = runner.invoke(args=["lectern", "demo-data"])
    assert result.exit_code == 0, result.output
    assert f"{len(COURSES)} courses, {len(QUIZZES)} quizzes, " in result.output
    again = runner.invoke(args=["lectern", "demo-data", "--if-empty"])
    assert again.exit_code == 0 and "nothing loaded" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Quiz)) == len(QUIZZES)
