"""Files embedded in a course's questions (images and sounds of imported Moodle XML questions): stored as uploads
are, linked to the course, served at an address of the course, and embedded again when the bank is exported.

Services only: they take a session and plain values; the caller commits (one transaction per import).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable

from sqlalchemy import select

from lectern.courses.content.storage import MEDIA_TYPES, Storage
from lectern.courses.models import Course, StoredFile
from lectern.courses.quizzes.models import QuestionMedia
from lectern.courses.quizzes.questions import EMBEDDED, EmbeddedFile, Question, map_texts
from lectern.extensions import DbSession

# The address a stored file is served at (quiz_bank_views.media), as the texts hold it.
SERVED = re.compile(r"/courses/[0-9]+/questions/media/([0-9a-f]{64})/([^\s\"'<>()]+)")


def _shas(questions: Iterable[Question]) -> set[str]:
    found: set[str] = set()

    def collect(text: str) -> str:
        found.update(match.group(1) for match in EMBEDDED.finditer(text))
        return text

    for question in questions:
        map_texts(question, collect)
    return found


def store_embedded(
    session: DbSession,
    course: Course,
    storage: Storage,
    questions: list[Question],
    files: dict[str, EmbeddedFile],
    *,
    user_id: int,
    max_bytes: int,
    url: Callable[[str, str], str],
) -> list[Question]:
    """Store the embedded files that `questions` refer to, each checked by its content as an upload is (an image, a
    sound or a video), link them to the course, and return the questions with each reference replaced by
    `url(sha256, link)`. Invalid (`storage.UploadReason`) for a file the store refuses."""
    shas = sorted(_shas(questions) & files.keys())
    existing = {f.sha256: f for f in session.scalars(select(StoredFile).where(StoredFile.sha256.in_(shas)))}
    linked = set(
        session.scalars(
            select(QuestionMedia.file_id).where(
                QuestionMedia.course_id == course.id, QuestionMedia.file_id.in_([f.id for f in existing.values()])
            )
        )
    )
    for sha in shas:
        file = files[sha]
        saved = storage.save(io.BytesIO(file.data), file.name, MEDIA_TYPES, max_bytes)
        stored = existing.get(sha)
        if stored is None:
            stored = StoredFile(
                sha256=saved.sha256,
                size=saved.size,
                content_type=saved.content_type,
                original_name=file.name[:255],
                uploaded_by_id=user_id,
            )
            session.add(stored)
            session.flush()
        if stored.id not in linked:
            session.add(QuestionMedia(course_id=course.id, file_id=stored.id))
            linked.add(stored.id)
    session.flush()
    return [map_texts(q, lambda text: EMBEDDED.sub(lambda m: url(m.group(1), m.group(2)), text)) for q in questions]


def embed_served(
    session: DbSession, course: Course, storage: Storage, questions: list[Question]
) -> tuple[list[Question], dict[str, EmbeddedFile]]:
    """For an export: the questions with the addresses of the course's embedded files turned back into references
    to the files (quiz_model.EMBEDDED), and those files' bytes, for `to_moodle_xml` to embed."""
    media = {
        f.sha256: f
        for f in session.scalars(
            select(StoredFile)
            .join(QuestionMedia, QuestionMedia.file_id == StoredFile.id)
            .where(QuestionMedia.course_id == course.id)
        )
    }
    files: dict[str, EmbeddedFile] = {}

    def unserve(match: re.Match[str]) -> str:
        sha, link = match.groups()
        stored = media.get(sha)
        path = storage.path(sha)
        if stored is None or not path.exists():
            return match.group(0)  # not this course's, or gone from the store: the address stays as it was
        if sha not in files:
            files[sha] = EmbeddedFile(stored.original_name, path.read_bytes())
        return f"@@PLUGINFILE@@/{sha}/{link}"

    return [map_texts(q, lambda text: SERVED.sub(unserve, text)) for q in questions], files


def media_of(session: DbSession, course: Course, sha256: str) -> StoredFile | None:
    """The course's embedded file with this SHA-256, or None (another course's, or none)."""
    return session.scalar(
        select(StoredFile)
        .join(QuestionMedia, QuestionMedia.file_id == StoredFile.id)
        .where(QuestionMedia.course_id == course.id, StoredFile.sha256 == sha256)
        .limit(1)
    )
