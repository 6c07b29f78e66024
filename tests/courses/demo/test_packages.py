"""The demo courses as course packages: folders that the package reader takes whole, and that the demo's import
and a later export agree on."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from lectern.cli import load_demo_data
from lectern.courses.content.storage import Storage
from lectern.courses.demo import package_files
from lectern.courses.demo.catalogue import COURSES
from lectern.courses.models import Course
from lectern.courses.packages import service as package_service
from lectern.courses.packages.format import Package
from lectern.courses.packages.quizzes import SETTINGS
from lectern.courses.quizzes.questions import to_data
from lectern.extensions import db
from lectern.platform.accounts import services as accounts

_HASH = accounts.hash_password("demo")


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "hash_password", lambda password: _HASH)


def _named(manifest: dict[str, Any]) -> set[str]:
    """The files a manifest names."""
    lessons = [lesson for module in manifest["modules"] for lesson in module["lessons"]]
    named = {lesson[key] for lesson in lessons for key in ("body", "file") if key in lesson}
    return {"manifest.json", *named, *manifest.get("bank", {}).get("files", [])}


def test_each_demo_course_is_a_package_folder_that_reads_whole() -> None:
    assert sorted(p.name for p in package_files.FOLDER.iterdir()) == sorted(COURSES)
    for slug in COURSES:
        root = package_files.FOLDER / slug
        files = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
        manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
        assert files == _named(manifest), slug  # nothing missing, nothing left over
        with package_files.read(slug) as package:
            assert package.course.title == manifest["course"]["title"]
            assert all(lesson.body for module in package.modules for lesson in module.lessons), slug


def _content(package: Package) -> dict[str, Any]:
    """What a package says of a course, in terms that do not depend on the order of its bank."""
    questions = package.bank.questions if package.bank else []
    place = [(q.category, q.name) for q in questions]
    info = package.course
    sha = {path: media.sha256 for path, media in package.media.items()}
    return {
        # Tags come back normalised (lower case), as the course form keeps them.
        "course": (info.title, info.summary, info.language, sorted(t.lower() for t in info.tags), info.visibility),
        "modules": [
            (m.title, [(x.kind, x.title, x.body, x.url, sha.get(x.file or "")) for x in m.lessons])
            for m in package.modules
        ],
        "bank": sorted(json.dumps(to_data(q), sort_keys=True) for q in questions),
        "quizzes": [
            (
                {name: getattr(quiz, name) for name in SETTINGS},
                [(s.mark, place[s.question] if s.question is not None else s.category, s.count) for s in quiz.slots],
            )
            for quiz in package.quizzes
        ],
    }


def test_the_imported_demo_courses_export_as_their_packages(app: Flask) -> None:
    with app.app_context():
        _credentials, courses, _lectures = load_demo_data()
        storage = Storage(app.config["LECTERN_STORAGE"])
        by_title = {c.title: c for c in db.session.scalars(select(Course))}
        assert len(courses) == len(COURSES) == len(by_title)
        for slug in COURSES:
            with package_files.read(slug) as package:
                expected = _content(package)
                course = by_title[package.course.title]
            assert _content(package_service.package_of(db.session, course, storage)) == expected, slug
