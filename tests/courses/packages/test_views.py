"""Course packages through the HTTP stack, on both databases: export, import, new versions, refusals, progress."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import stat
import string
import time
import zipfile
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from lectern.courses.content import services as content_services
from lectern.courses.content.storage import DOCUMENT_TYPES, VIDEO_TYPES, Storage
from lectern.courses.models import (
    Course,
    CourseStaff,
    Enrolment,
    ImportJob,
    Lesson,
    LessonCompletion,
    LessonKind,
    Module,
    StoredFile,
    Visibility,
)
from lectern.courses.packages import quizzes as package_quizzes
from lectern.courses.packages import views as package_views
from lectern.courses.packages.format import read_package, write_package
from lectern.courses.packages.problems import MESSAGES, Problem
from lectern.courses.quizzes.models import Attempt, BankQuestion, QuestionCategory, Quiz, QuizSlot, ReviewWhen
from lectern.extensions import db
from lectern.platform.jobs import Job, JobStatus
from lectern.platform.jobs.worker import ThreadedWorker
from lectern.platform.models import Role, User, utcnow
from tests.factories import SAMPLE_GIFT, Factory

MB = 1024 * 1024
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(range(256)) * 64
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" * 20


@pytest.fixture
def app(app_factory: Any) -> Flask:
    """The application with the packages blueprint (registered here until create_app does) and small limits."""
    app = app_factory(LECTERN_JOBS_IMMEDIATE=True, LECTERN_PACKAGE_MAX_BYTES=4 * MB, LECTERN_PACKAGE_MAX_MEMBERS=50)
    if "packages" not in app.blueprints:
        app.register_blueprint(package_views.bp)
    return app  # type: ignore[no-any-return]


@pytest.fixture
def people(make):
    home = make.academy(name="State Border Guard College")
    other = make.academy(name="Border Service Training Centre", timezone="Asia/Bishkek")
    return {
        "teacher": make.user(Role.INSTRUCTOR, home),
        "cadet": make.user(Role.CADET, home),
        "stranger": make.user(Role.INSTRUCTOR, other),
    }


def _stored(store: Storage, data: bytes, name: str, allowed: set[str], user: User) -> StoredFile:
    saved = store.save(io.BytesIO(data), name, allowed, 10 * MB)
    item = StoredFile(
        sha256=saved.sha256,
        size=saved.size,
        content_type=saved.content_type,
        original_name=name,
        uploaded_by_id=user.id,
    )
    db.session.add(item)
    db.session.flush()
    return item


def build_course(app: Flask, teacher: User) -> int:
    """A published course with text, video, link and file lessons in two modules (and one empty module)."""
    with app.app_context():
        store = Storage(app.config["LECTERN_STORAGE"])
        user = db.session.get(User, teacher.id)
        assert user is not None
        fields = content_services.CourseFields(
            "Document security", "Training of **trainers**", "ru", "Passports, ICAO", None, Visibility.ALL, [],
            True, None, None, None, None,
        )  # fmt: skip
        course = content_services.create_course(db.session, user, fields)
        first = content_services.add_module(db.session, course, "Security features")
        content_services.add_lesson(
            db.session, first, kind=LessonKind.TEXT, title="Introduction", body="# Печать\n\nIntaglio."
        )
        video = _stored(store, MP4, "uv inspection.mp4", VIDEO_TYPES, user)
        content_services.add_lesson(db.session, first, kind=LessonKind.VIDEO, title="UV", body="Watch.", file=video)
        content_services.add_lesson(
            db.session, first, kind=LessonKind.LINK, title="ICAO 9303", url="https://www.icao.int/"
        )
        second = content_services.add_module(db.session, course, "Handouts")
        pdf = _stored(store, PDF, "checklist.pdf", DOCUMENT_TYPES, user)
        content_services.add_lesson(db.session, second, kind=LessonKind.FILE, title="Checklist", file=pdf)
        content_services.add_module(db.session, course, "Reading for later")
        db.session.commit()
        return course.id


def snapshot(app: Flask, course_id: int) -> dict[str, Any]:
    """What an export must carry over, with each file's bytes hashed from the store itself."""
    with app.app_context():
        course = db.session.get(Course, course_id)
        assert course is not None
        store = Storage(app.config["LECTERN_STORAGE"])

        def file_of(lesson: Lesson) -> tuple[str, str, str] | None:
            if lesson.file is None:
                return None
            digest = hashlib.sha256(store.path(lesson.file.sha256).read_bytes()).hexdigest()
            return digest, lesson.file.content_type, lesson.file.original_name

        modules = [
            (m.title, [(x.kind, x.title, x.body, x.url, file_of(x)) for x in m.lessons])
            for m in content_services.load_outline(db.session, course)
        ]
        return {
            "title": course.title,
            "summary": course.summary,
            "language": course.language,
            "tags": course.tags,
            "modules": modules,
        }


def counts(app: Flask) -> dict[str, int]:
    """Rows in every table but the imports' and jobs' own (a failed job is recorded: that is the point of it)."""
    with app.app_context():
        return {
            table.name: db.session.scalar(select(func.count()).select_from(table)) or 0
            for table in db.metadata.sorted_tables
            if table.name not in (ImportJob.__tablename__, Job.__tablename__)
        }


def export(client: Any, course_id: int) -> bytes:
    with client.get(f"/courses/{course_id}/export") as response:
        assert response.status_code == 200
        assert response.mimetype == "application/zip"
        assert "attachment" in response.headers["Content-Disposition"]
        return response.get_data()  # type: ignore[no-any-return]


def upload(client: Any, data: bytes, target: int = 0, name: str = "course.zip", **kwargs: Any) -> Any:
    form = {"package": (io.BytesIO(data), name), "target": str(target)}
    return client.submit("/courses/import", form, page="/courses/import", **kwargs)


def import_json(client: Any, data: bytes, target: int = 0) -> dict[str, Any]:
    """Import through the XHR contract; returns the finished job's JSON state."""
    response = upload(client, data, target, headers={"Accept": "application/json, text/html;q=0.9"})
    assert response.status_code == 200, response.get_data(as_text=True)
    job_url = response.get_json()["redirect"]
    return {**client.get(job_url + ".json").get_json(), "json_url": job_url + ".json"}


# --- export and import -------------------------------------------------------------------------------------------


def test_export_then_import_gives_the_same_course(client, app, people):
    course_id = build_course(app, people["teacher"])
    client.login(people["teacher"].username)
    data = export(client, course_id)
    assert zipfile.ZipFile(io.BytesIO(data)).namelist()[0] == "manifest.json"

    job = import_json(client, data)
    assert job["status"] == "done", job
    new_id = int(job["redirect"].rsplit("/", 1)[1])
    assert new_id != course_id
    assert snapshot(app, new_id) == snapshot(app, course_id)
    with app.app_context():
        imported = db.session.get(Course, new_id)
        assert imported is not None
        assert imported.visibility is Visibility.DRAFT  # nothing is published unreviewed
        assert imported.version == 1
        staff = db.session.scalars(select(CourseStaff).where(CourseStaff.course_id == new_id)).all()
        assert [(s.user_id, s.role.value) for s in staff] == [(people["teacher"].id, "instructor")]
    # The new course exports to the same package but for its visibility.
    with read_package(io.BytesIO(data)) as first, read_package(io.BytesIO(export(client, new_id))) as second:
        assert (first.course.visibility, second.course.visibility) == ("all", "draft")
        second.course.visibility = "all"
        assert second == first


def test_import_page_and_job_page(client, app, people):
    course_id = build_course(app, people["teacher"])
    client.login(people["teacher"].username)
    page = client.get(f"/courses/import?course={course_id}").get_data(as_text=True)
    assert 'class="js-upload"' in page and "upload-progress" in page and "<script>" not in page
    assert f'<option selected value="{course_id}">' in page
    response = upload(client, export(client, course_id), follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The course has been imported." in page
    assert "has been created as a draft" in page


def test_import_as_new_version_keeps_enrolments_and_completions_of_unchanged_lessons(client, app, people, make):
    course_id = build_course(app, people["teacher"])
    cadet = people["cadet"]
    make.save(Enrolment(course_id=course_id, user_id=cadet.id))
    with app.app_context():
        outline = content_services.load_outline(db.session, db.session.get(Course, course_id))
        before = {(m.position, x.position): x.id for m in outline for x in m.lessons}
        for lesson_id in before.values():
            db.session.add(LessonCompletion(user_id=cadet.id, lesson_id=lesson_id, completed_at=utcnow()))
        db.session.commit()
    client.login(people["teacher"].username)
    with read_package(io.BytesIO(export(client, course_id))) as package:
        package.course.title = "Document security, 2nd edition"
        package.modules[0].lessons[1].title = "UV and IR inspection"  # changed: its completions go
        package.modules[1].lessons.append(package.modules[0].lessons.pop(2))  # moved: a new lesson
        package.modules.pop()  # the empty module goes
        out = io.BytesIO()
        write_package(package, out)

    job = import_json(client, out.getvalue(), target=course_id)
    assert job["status"] == "done", job
    assert job["redirect"].endswith(f"/courses/{course_id}")
    with app.app_context():
        course = db.session.get(Course, course_id)
        assert course is not None
        assert (course.title, course.version, course.visibility) == (
            "Document security, 2nd edition",
            2,
            Visibility.ALL,
        )
        after = {
            (m.position, x.position): x for m in content_services.load_outline(db.session, course) for x in m.lessons
        }
        assert [(k, x.title) for k, x in sorted(after.items())] == [
            ((1, 1), "Introduction"),
            ((1, 2), "UV and IR inspection"),
            ((2, 1), "Checklist"),
            ((2, 2), "ICAO 9303"),
        ]
        kept = {before[(1, 1)], before[(2, 1)]}
        assert {after[(1, 1)].id, after[(2, 1)].id} == kept  # updated in place
        done = set(db.session.scalars(select(LessonCompletion.lesson_id).where(LessonCompletion.user_id == cadet.id)))
        assert done == kept
        assert db.session.scalar(select(func.count()).where(Enrolment.course_id == course_id)) == 1
        assert db.session.scalar(select(func.count()).select_from(Module).where(Module.course_id == course_id)) == 2


# --- quizzes -----------------------------------------------------------------------------------------------------

QUIZ_GIFT = (
    SAMPLE_GIFT
    + """
::Visa:: A Schengen C visa allows a stay of at most how many days in any 180? {#90}
"""
)


def build_quizzes(make: Factory, course_id: int) -> dict[str, int]:
    """A bank in three categories (one empty) and two quizzes: every setting set, fixed and random slots."""
    app = make.app
    ids = make.bank(course_id, QUIZ_GIFT, category="Top/Documents")
    more = make.bank(course_id, "::Stamp:: An entry stamp is put on a free page. {T}", category="Top/Customs")
    with app.app_context():
        db.session.add(QuestionCategory(course_id=course_id, name="Top"))
        db.session.add(QuestionCategory(course_id=course_id, name="Top/Empty"))
        row = db.session.get(BankQuestion, ids[1])
        assert row is not None
        row.data = {**row.data, "default_mark": 2.5, "shuffle": False}
        db.session.commit()
        documents = db.session.scalar(select(QuestionCategory.id).where(QuestionCategory.name == "Top/Documents"))
    final = make.quiz(
        course_id,
        [ids[0], more[0], ids[3]],
        title="Final test",
        intro="Read *carefully*.",
        opens_at=datetime(2026, 5, 4, 9, 0, tzinfo=UTC),
        closes_at=datetime(2036, 5, 30, 18, 30, tzinfo=UTC),
        time_limit_minutes=15,
        attempts_allowed=3,
        grading_method="average",
        shuffle_questions=True,
        shuffle_answers=True,
        pass_percent=60.0,
        required_for_completion=True,
        review_marks=ReviewWhen.AFTER_CLOSE,
        review_feedback=ReviewWhen.NEVER,
        review_correct=ReviewWhen.AFTER_ATTEMPT,
    ).id
    practice = make.quiz(course_id, [ids[2]], title="Practice", published=False).id
    with app.app_context():
        quiz = db.session.get(Quiz, final)
        assert quiz is not None
        quiz.slots[1].mark = 2.0
        quiz.slots += [QuizSlot(position=3 + n, category_id=documents, mark=0.5) for n in range(3)]
        db.session.commit()
    return {"final": final, "practice": practice}


def quiz_snapshot(app: Flask, course_id: int) -> dict[str, Any]:
    """The bank and quizzes of a course, by paths and names rather than ids."""
    with app.app_context():
        categories = {
            c.id: c.name
            for c in db.session.scalars(select(QuestionCategory).where(QuestionCategory.course_id == course_id))
        }
        questions = {
            q.id: (categories[q.category_id], q.name, q.type, {**q.data, "category": "", "name": ""})
            for q in db.session.scalars(select(BankQuestion).where(BankQuestion.course_id == course_id))
        }
        quizzes = []
        for quiz in db.session.scalars(select(Quiz).where(Quiz.course_id == course_id).order_by(Quiz.id)):
            settings = {name: getattr(quiz, name) for name in package_quizzes.SETTINGS}
            slots = [
                (s.position, s.mark, questions[s.question_id][:2] if s.question_id else categories[s.category_id or 0])
                for s in quiz.slots
            ]
            quizzes.append((settings, slots))
        return {"categories": sorted(categories.values()), "questions": sorted(questions.values()), "quizzes": quizzes}


def test_export_then_import_carries_the_bank_and_quizzes(client, app, make, people):
    course_id = build_course(app, people["teacher"])
    build_quizzes(make, course_id)
    client.login(people["teacher"].username)
    data = export(client, course_id)
    assert "quizzes/bank.gift" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    job = import_json(client, data)
    assert job["status"] == "done", job
    new_id = int(job["redirect"].rsplit("/", 1)[1])
    original, copy = quiz_snapshot(app, course_id), quiz_snapshot(app, new_id)
    assert copy == original
    assert original["categories"] == ["Top", "Top/Customs", "Top/Documents", "Top/Empty"]
    assert len(original["questions"]) == 9 and len(original["quizzes"]) == 2
    assert [s[2] for s in original["quizzes"][0][1]][-3:] == ["Top/Documents"] * 3
    assert original["quizzes"][0][0]["required_for_completion"] is True
    # The copy exports to the same bank and quizzes.
    with read_package(io.BytesIO(data)) as first, read_package(io.BytesIO(export(client, new_id))) as second:
        assert (second.bank, second.quizzes) == (first.bank, first.quizzes)


def test_malformed_gift_in_a_package_is_reported_by_line_and_imports_nothing(client, app, make, people):
    course_id = build_course(app, people["teacher"])
    build_quizzes(make, course_id)
    client.login(people["teacher"].username)
    source = zipfile.ZipFile(io.BytesIO(export(client, course_id)))
    gift = source.read("quizzes/bank.gift").decode()
    lines = gift.split("\n")
    broken = next(n for n, line in enumerate(lines) if line.startswith("::Sum::"))
    close = next(n for n in range(broken, len(lines)) if lines[n] == "}")
    lines[close] = ""  # the block is never closed
    members = {name: source.read(name) for name in source.namelist()}
    members["quizzes/bank.gift"] = "\n".join(lines)
    before = counts(app)
    job = import_json(client, _zip(members))
    assert job["status"] == "failed"
    assert len(job["problems"]) == 1
    assert job["problems"][0].startswith(f"quizzes/bank.gift: line {broken + 1}: "), job["problems"]
    assert counts(app) == before
    # The job keeps the parser's problem as a sentence to translate: a reader in Russian reads it in Russian.
    with app.app_context():
        db.session.get(User, people["teacher"].id).language = "ru"
        db.session.commit()
    job = client.get(job["json_url"]).get_json()
    assert job["problems"] == [f"quizzes/bank.gift: строка {broken + 1}: блок ответов не закрыт"], job["problems"]


def test_new_version_without_attempts_replaces_the_bank_and_quizzes(client, app, make, people):
    course_id = build_course(app, people["teacher"])
    build_quizzes(make, course_id)
    client.login(people["teacher"].username)
    with read_package(io.BytesIO(export(client, course_id))) as package:
        assert package.bank is not None
        package.bank.questions = package.bank.questions[:2]
        package.quizzes = [package_quizzes.QuizEntry("Only", slots=[package_quizzes.SlotEntry(1.0, question=1)])]
        out = io.BytesIO()
        write_package(package, out)
    job = import_json(client, out.getvalue(), target=course_id)
    assert job["status"] == "done", job
    got = quiz_snapshot(app, course_id)
    assert len(got["questions"]) == 2
    assert [(q[0]["title"], len(q[1])) for q in got["quizzes"]] == [("Only", 1)]


def test_new_version_with_attempts_keeps_them_and_versions_changed_questions(client, app, people, make):
    course_id = build_course(app, people["teacher"])
    quizzes = build_quizzes(make, course_id)
    cadet = people["cadet"]
    make.save(Enrolment(course_id=course_id, user_id=cadet.id))
    attempt_id = make.attempt(quizzes["final"], cadet.id, finish=False).id
    before_slots = quiz_snapshot(app, course_id)["quizzes"]
    client.login(people["teacher"].username)
    with read_package(io.BytesIO(export(client, course_id))) as package:
        assert package.bank is not None
        sky = next(n for n, q in enumerate(package.bank.questions) if q.name == "Sky")
        package.bank.questions[sky] = replace(package.bank.questions[sky], text="The sky is green.", correct=False)
        package.bank.questions.append(replace(package.bank.questions[0], name="New one"))
        package.quizzes.append(package_quizzes.QuizEntry("Added", slots=[package_quizzes.SlotEntry(1.0, question=9)]))
        package.quizzes[0].time_limit_minutes = 99  # ignored: the quiz has attempts
        out = io.BytesIO()
        write_package(package, out)
    job = import_json(client, out.getvalue(), target=course_id)
    assert job["status"] == "done", job
    with app.app_context():
        assert db.session.get(Attempt, attempt_id) is not None
        rows = {q.name: q for q in db.session.scalars(select(BankQuestion).where(BankQuestion.course_id == course_id))}
        assert rows["Sky"].version == 2 and rows["Sky"].data["correct"] is False
        assert rows["Sum"].version == 1 and "New one" in rows
        assert len(rows) == 10
    got = quiz_snapshot(app, course_id)
    assert got["quizzes"][:2] == before_slots
    assert got["quizzes"][0][0]["time_limit_minutes"] == 15
    assert got["quizzes"][2][0]["title"] == "Added" and got["quizzes"][2][1] == [(0, 1.0, ("Top/Customs", "New one"))]


def test_the_import_runs_in_the_job_worker_and_the_page_follows_it(client, app, people):
    """A real worker (Huey's consumer, in threads) on the SQLite queue in the instance folder."""
    app.config["LECTERN_JOBS_IMMEDIATE"] = False
    course_id = build_course(app, people["teacher"])
    client.login(people["teacher"].username)
    response = upload(client, export(client, course_id), headers={"Accept": "application/json"})
    job_url = response.get_json()["redirect"]
    page = client.get(job_url).get_data(as_text=True)
    assert "js/import.js" in page  # nothing runs it yet: queued
    assert client.get(job_url + ".json").get_json() == {"status": "queued", "progress": 0, "problems": []}
    deadline, seen = time.monotonic() + 30, []
    with ThreadedWorker(app, max_delay=0.05):
        while time.monotonic() < deadline:
            state = client.get(job_url + ".json").get_json()
            seen.append(state["progress"])
            if state["status"] in ("done", "failed"):
                break
            time.sleep(0.02)
    assert state["status"] == "done", state
    assert seen == sorted(seen) and seen[-1] == 100
    new_id = int(state["redirect"].rsplit("/", 1)[1])
    assert snapshot(app, new_id) == snapshot(app, course_id)
    with app.app_context():
        item = db.session.scalars(select(ImportJob)).one()
        job = db.session.get(Job, item.job_id)
        assert job is not None and (job.status, job.attempts, job.result) == (JobStatus.DONE, 1, new_id)
        assert job.user_id == people["teacher"].id and job.academy_id == people["teacher"].academy_id
    assert not (Storage(app.config["LECTERN_STORAGE"]).root / "imports" / f"job-{item.id}.zip").exists()


def test_a_running_job_page_polls_with_its_own_script(client, app, people, make):
    job = make.save(ImportJob(user_id=people["teacher"].id, academy_id=people["teacher"].academy_id, filename="x.zip"))
    client.login(people["teacher"].username)
    page = client.get(f"/courses/import/{job.id}").get_data(as_text=True)
    assert f'data-poll-url="/courses/import/{job.id}.json"' in page
    assert re.search(r'<script src="/static/js/import\.js\?v=[0-9a-f]{12}" defer></script>', page)
    assert client.get(f"/courses/import/{job.id}.json").get_json() == {
        "status": "queued",
        "progress": 0,
        "problems": [],
    }


# --- bad packages ------------------------------------------------------------------------------------------------


def _zip(members: dict[str, bytes | str], link: str | None = None, stored: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            if name == link:
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, data)
    return buffer.getvalue()


def _manifest(lessons: list[dict[str, Any]] | None = None, **top: Any) -> str:
    lessons = lessons if lessons is not None else [{"kind": "text", "title": "Intro", "body": "lessons/01.md"}]
    data = {
        "format": "lectern-course",
        "version": 1,
        "course": {"title": "Risk analysis in customs clearance", "language": "en"},
        "modules": [{"title": "One", "lessons": lessons}],
    }
    return json.dumps(data | top)


VIDEO_LESSON = [{"kind": "video", "title": "V", "file": "media/v.mp4"}]
BAD_PACKAGES = {
    "damaged zip": (
        _zip({"manifest.json": _manifest(), "lessons/01.md": "x" * 5000}, stored=True).replace(b"x" * 99, b"y" * 99, 1),
        "lessons/01.md: damaged, cannot be unpacked",
    ),
    "missing manifest": (_zip({"lessons/01.md": "# Hello"}), "manifest.json: missing: a package starts with"),
    "invalid JSON": (
        _zip({"manifest.json": '{"format": "lectern-course",\n "version": 1,,}'}),
        "manifest.json: not valid JSON: Expecting property name enclosed in double quotes (line 2, column 15)",
    ),
    "unknown field": (
        _zip({"manifest.json": _manifest([{"kind": "text", "title": "T", "colour": "red"}])}),
        "manifest.json: modules[0].lessons[0]: unknown field “colour”",
    ),
    "missing file": (
        _zip({"manifest.json": _manifest()}),
        "manifest.json: modules[0].lessons[0].body: refers to “lessons/01.md”, which is not in the package",
    ),
    "../ path": (
        _zip({"manifest.json": _manifest(), "lessons/01.md": "x", "../../evil.sh": "rm -rf /"}),
        "../../evil.sh: path “../../evil.sh” leads out of the package",
    ),
    "absolute path": (
        _zip({"manifest.json": _manifest([{"kind": "text", "title": "T", "body": "/etc/passwd"}])}),
        "manifest.json: modules[0].lessons[0].body: path “/etc/passwd” leads out of the package",
    ),
    "symlink": (
        _zip({"manifest.json": _manifest(), "lessons/01.md": "/etc/passwd"}, link="lessons/01.md"),
        "lessons/01.md: is a symbolic link",
    ),
    "too many members": (
        _zip({"manifest.json": _manifest(), **{f"lessons/{n:02d}.md": "x" for n in range(60)}}),
        "holds 61 files, more than the 50 allowed",
    ),
    "total size": (
        _zip({"manifest.json": _manifest(), **{f"media/{n}": os.urandom(MB) for n in range(5)}}),
        "unpacks to more than 4 MB",
    ),
    "ratio bomb": (
        _zip({"manifest.json": _manifest(VIDEO_LESSON), "media/v.mp4": bytes(3 * MB)}),
        "media/v.mp4: compressed more than 200 to 1: refused as a possible zip bomb",
    ),
    "ratio bomb of small members": (
        _zip({"manifest.json": _manifest(), **{f"media/{n}.bin": bytes(MB - 1) for n in range(3)}}),
        "course.zip: unpacks to 3 MB from 3 kB, more than 200 to 1 for the whole archive",
    ),
    "not UTF-8": (
        _zip({"manifest.json": _manifest(), "lessons/01.md": b"Gr\xfc\xdfe"}),
        "lessons/01.md: not UTF-8 text (byte 0xfc at position 2)",
    ),
    "media not matching its kind": (
        _zip({"manifest.json": _manifest(VIDEO_LESSON), "media/v.mp4": PDF}),
        "media/v.mp4: is not an MP4 or WebM video, but modules[0].lessons[0] is a video lesson",
    ),
}


@pytest.mark.parametrize("case", BAD_PACKAGES)
def test_bad_packages_are_refused_with_their_problem_and_change_nothing(client, app, people, case):
    data, message = BAD_PACKAGES[case]
    build_course(app, people["teacher"])
    client.login(people["teacher"].username)
    before = counts(app)
    response = upload(client, data, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code in (200, 422)
    assert message in page.replace("&#34;", '"').replace("&#39;", "'"), page
    assert counts(app) == before


def test_a_file_that_is_not_a_zip_gets_a_clear_message_never_a_500(client, app, people):
    client.login(people["teacher"].username)
    before = counts(app)
    response = upload(client, b"%PDF-1.4 a handout", name="handout.pdf")
    assert response.status_code == 422
    assert "handout.pdf is not a zip file." in response.get_data(as_text=True)
    xhr = upload(client, b"", name="empty.zip", headers={"Accept": "application/json, text/html;q=0.9"})
    assert xhr.status_code == 422 and xhr.mimetype == "text/html"  # the form, to replace the page's <main>
    assert counts(app) == before
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ImportJob)) == 0


def test_every_problem_code_has_a_translation_that_formats(app):
    with app.test_request_context():
        for code, english in MESSAGES.items():
            if code == "other":  # stored text, shown as it is
                continue
            names = {name for _, name, _, _ in string.Formatter().parse(english) if name}
            problem = Problem(code, "f", "w", dict.fromkeys(names, "x"))
            assert code in package_views.PROBLEM_TEXTS, code
            text = package_views.problem_text(problem)
            assert text.startswith("f: w: ") and "%(" not in text, text
        assert package_views.problem_text(Problem.from_json("an old message")) == "an old message"


# --- who may ----------------------------------------------------------------------------------------------------


def test_a_cadet_can_neither_export_nor_import(client, app, people):
    course_id = build_course(app, people["teacher"])
    client.login(people["cadet"].username)
    assert client.get(f"/courses/{course_id}/export").status_code == 403
    assert client.get("/courses/import").status_code == 403
    before = counts(app)
    assert upload(client, b"PK\x05\x06" + bytes(18)).status_code == 403
    assert counts(app) == before


def test_another_academys_instructor_cannot_export_or_replace_the_course(client, app, people):
    course_id = build_course(app, people["teacher"])
    client.login(people["teacher"].username)
    data = export(client, course_id)
    client = app.test_client()  # another browser
    client.login(people["stranger"].username)
    assert client.get(f"/courses/{course_id}/export").status_code in (403, 404)
    page = client.get("/courses/import").get_data(as_text=True)
    assert f'value="{course_id}"' not in page  # not offered as a target
    before = counts(app)
    assert upload(client, data, target=course_id).status_code == 422  # nor accepted when forced
    assert counts(app) == before


def test_only_the_owner_sees_an_import_job(client, app, people):
    course_id = build_course(app, people["teacher"])
    client.login(people["teacher"].username)
    job_url = upload(client, export(client, course_id), headers={"Accept": "application/json"}).get_json()["redirect"]
    assert client.get(job_url).status_code == 200
    client = app.test_client()  # another browser
    client.login(people["stranger"].username)
    assert client.get(job_url).status_code == 404
    assert client.get(job_url + ".json").status_code == 404
    assert client.get("/courses/import/999999").status_code == 404


def test_export_with_a_file_missing_from_the_store_is_refused_politely(client, app, people):
    course_id = build_course(app, people["teacher"])
    with app.app_context():
        sha = db.session.scalar(select(StoredFile.sha256).where(StoredFile.original_name == "checklist.pdf"))
        assert sha is not None
        Storage(app.config["LECTERN_STORAGE"]).path(sha).unlink()
    client.login(people["teacher"].username)
    response = client.get(f"/courses/{course_id}/export", follow_redirects=True)
    assert response.status_code == 200
    assert "its file checklist.pdf is missing" in response.get_data(as_text=True)
