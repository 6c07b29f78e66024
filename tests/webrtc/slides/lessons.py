"""A PDF (or any file) put in a course as a file lesson, as an editor would."""

from __future__ import annotations

import io

from flask import Flask

from lectern.courses.content import services as content
from lectern.courses.content.storage import DOCUMENT_TYPES, Storage
from lectern.courses.models import LessonKind, Module
from lectern.extensions import db


def add_file_lesson(app: Flask, course_id: int, data: bytes, name: str) -> int:
    """A file lesson in a new module of the course; returns the stored file's id."""
    with app.app_context():
        stored = content.store_file(
            db.session, Storage(app.config["LECTERN_STORAGE"]), io.BytesIO(data), name, DOCUMENT_TYPES, 10**8, None
        )
        module = Module(course_id=course_id, title=f"Module for {name}", position=1)
        db.session.add(module)
        db.session.flush()
        content.add_lesson(db.session, module, kind=LessonKind.FILE, title=name, file=stored)
        db.session.commit()
        return stored.id
