"""Building a course: its settings, modules and lessons, and the files they show. Takes a session and plain values,
never the request; the caller commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import IO

from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from lectern.courses.access import check_editor, check_may_create
from lectern.courses.content.storage import DOCUMENT_TYPES, IMAGE_TYPES, VIDEO_TYPES, Saved, Storage
from lectern.courses.models import (
    Category,
    Course,
    CourseRole,
    CourseShare,
    CourseStaff,
    Lesson,
    LessonKind,
    Module,
    StoredFile,
    Visibility,
)
from lectern.domain import Forbidden, Invalid, NotFound
from lectern.extensions import DbSession
from lectern.i18n import gettext as _
from lectern.platform.models import Academy, Role, User, utcnow

TITLE_LENGTH = 200  # module.title, lesson.title


class ContentReason(StrEnum):
    """Why a change to a course's content is refused."""

    NO_CATEGORY = "no_category"  # NotFound: the chosen catalogue category is gone
    NO_MODULE = "no_module"  # NotFound: no such module in this course
    NO_LESSON = "no_lesson"  # NotFound: no such lesson in this course
    BAD_TITLE = "bad_title"  # Invalid: a title of 1 to TITLE_LENGTH characters is needed (field "title")
    PLAYED_NOT_MARKED = "played_not_marked"  # Conflict: a video is done by playing it, not by saying so
    OTHER_ACADEMY = "other_academy"  # Forbidden: only a global administrator creates courses for another academy


def normalise_tags(text: str) -> str:
    """Tags typed as "A, b; c" as the course stores them: ",a,b,c," (lower case, each once, at most 40 characters)."""
    tags = []
    for raw in text.replace(";", ",").split(","):
        tag = " ".join(raw.strip().lower().split())[:40]
        if tag and tag not in tags:
            tags.append(tag)
    return "," + ",".join(tags) + "," if tags else ""


# --- settings -----------------------------------------------------------------------------------------------------


@dataclass
class CourseFields:
    """What the course's settings form sets."""

    title: str
    summary: str
    language: str
    tags: str
    category_id: int | None
    visibility: Visibility
    shared_with: list[int]
    self_enrol: bool
    enrol_key: str | None
    enrol_cap: int | None
    enrol_opens_at: datetime | None
    enrol_closes_at: datetime | None
    record_lectures: bool = False  # every live lecture recorded (lectern.webrtc.room.recording)


def _apply(session: DbSession, course: Course, fields: CourseFields) -> None:
    course.title = fields.title.strip()
    course.summary = fields.summary.strip()
    course.language = fields.language
    course.tags = normalise_tags(fields.tags)
    if fields.category_id is not None and session.get(Category, fields.category_id) is None:
        raise NotFound(ContentReason.NO_CATEGORY)
    course.category_id = fields.category_id
    course.visibility = fields.visibility
    course.self_enrol = fields.self_enrol
    course.record_lectures = fields.record_lectures
    course.enrol_key = fields.enrol_key or None
    course.enrol_cap = fields.enrol_cap
    course.enrol_opens_at = fields.enrol_opens_at
    course.enrol_closes_at = fields.enrol_closes_at
    course.updated_at = utcnow()
    wanted = set(fields.shared_with) - {course.academy_id} if fields.visibility is Visibility.SHARED else set()
    known = set(session.scalars(select(Academy.id).where(Academy.id.in_(wanted))))
    course.shares = [s for s in course.shares if s.academy_id in known]
    have = {s.academy_id for s in course.shares}
    course.shares.extend(CourseShare(academy_id=a) for a in sorted(known - have))


def create_course(session: DbSession, user: User, fields: CourseFields, academy_id: int | None = None) -> Course:
    """A new course in `user`'s academy (a global administrator may name another); an instructor who creates it
    becomes its instructor."""
    check_may_create(user)
    if academy_id is not None and academy_id != user.academy_id and user.role is not Role.GLOBAL_ADMIN:
        raise Forbidden(ContentReason.OTHER_ACADEMY)
    course = Course(academy_id=academy_id or user.academy_id, shares=[], staff=[])
    session.add(course)
    _apply(session, course, fields)
    if user.role is Role.INSTRUCTOR:
        course.staff.append(CourseStaff(user_id=user.id, role=CourseRole.INSTRUCTOR))
    session.flush()
    return course


def update_course(session: DbSession, user: User, course: Course, fields: CourseFields) -> Course:
    """Save the course's settings; Forbidden unless `user` edits it."""
    check_editor(session, user, course)
    _apply(session, course, fields)
    session.flush()
    return course


def load_outline(session: DbSession, course: Course) -> list[Module]:
    """The course's modules with their lessons and files, in two queries."""
    return list(
        session.scalars(
            select(Module)
            .where(Module.course_id == course.id)
            .options(selectinload(Module.lessons).joinedload(Lesson.file))
            .order_by(Module.position, Module.id)
        )
    )


def delete_course(session: DbSession, user: User, course: Course) -> None:
    """Delete the course with everything in it; Forbidden unless `user` edits it."""
    check_editor(session, user, course)
    session.delete(course)
    session.flush()


# --- modules and lessons ------------------------------------------------------------------------------------------


def add_module(session: DbSession, course: Course, title: str) -> Module:
    """A new module at the end of the course."""
    last = session.scalar(select(func.max(Module.position)).where(Module.course_id == course.id))
    module = Module(course_id=course.id, title=title.strip(), position=(last or 0) + 1)
    session.add(module)
    session.flush()
    return module


def module_of(session: DbSession, course: Course, module_id: int) -> Module:
    module = session.get(Module, module_id)
    if module is None or module.course_id != course.id:
        raise NotFound(ContentReason.NO_MODULE)
    return module


def lesson_of(session: DbSession, course: Course, lesson_id: int) -> Lesson:
    lesson = session.get(Lesson, lesson_id)
    if lesson is None or lesson.module.course_id != course.id:
        raise NotFound(ContentReason.NO_LESSON)
    return lesson


def _swap(items: Sequence[Module | Lesson], index: int, direction: int) -> None:
    other = index + direction
    if 0 <= index < len(items) and 0 <= other < len(items):
        # Renumber first, so that equal positions (after an import or a delete) still move.
        for n, item in enumerate(items):
            item.position = n + 1
        items[index].position, items[other].position = items[other].position, items[index].position


def move_module(session: DbSession, course: Course, module: Module, direction: int) -> None:
    modules = load_outline(session, course)
    _swap(modules, [m.id for m in modules].index(module.id), direction)
    session.flush()


def move_lesson(session: DbSession, lesson: Lesson, direction: int) -> None:
    lessons = list(lesson.module.lessons)
    _swap(lessons, [x.id for x in lessons].index(lesson.id), direction)
    session.flush()


def add_lesson(
    session: DbSession,
    module: Module,
    *,
    kind: LessonKind,
    title: str,
    body: str = "",
    url: str | None = None,
    file: StoredFile | None = None,
    draft: bool = False,
) -> Lesson:
    """A new lesson at the end of the module; a `draft` one exists only for those who teach the course."""
    last = session.scalar(select(func.max(Lesson.position)).where(Lesson.module_id == module.id))
    lesson = Lesson(
        module_id=module.id,
        kind=kind,
        title=title.strip(),
        body=body,
        url=url,
        file_id=file.id if file else None,
        position=(last or 0) + 1,
        draft=draft,
    )
    session.add(lesson)
    session.flush()
    return lesson


def add_video_lesson(
    session: DbSession,
    course: Course,
    title: str,
    file: StoredFile,
    body: str = "",
    draft: bool = True,
    module: Module | str | None = None,
) -> Lesson:
    """A video lesson showing `file` (a video already in the store), at the end of `module`: a module of the course,
    or the one with that title, or with None the one titled "Recordings" in the course's language; a module named
    but missing is made at the end of the course. A draft until an editor publishes it, unless `draft` is False.
    Invalid (BAD_TITLE, field "title") for an empty title; a longer one than a lesson keeps is shortened."""
    title = " ".join(title.split())
    if not title:
        raise Invalid(ContentReason.BAD_TITLE, field="title", limit=TITLE_LENGTH)
    if len(title) > TITLE_LENGTH:
        title = title[: TITLE_LENGTH - 1].rstrip() + "\u2026"
    if isinstance(module, Module):
        if module.course_id != course.id:
            raise NotFound(ContentReason.NO_MODULE)
        target = module
    else:
        if module is None:
            # The course's cadets read the module's title, whoever's request (or job) makes it.
            with force_locale(course.language):
                module = _("Recordings")
        name = module.strip()[:TITLE_LENGTH]
        if not name:
            raise Invalid(ContentReason.BAD_TITLE, field="module", limit=TITLE_LENGTH)
        found = session.scalar(
            select(Module)
            .where(Module.course_id == course.id, Module.title == name)
            .order_by(Module.position, Module.id)
            .limit(1)
        )
        target = found if found is not None else add_module(session, course, name)
    return add_lesson(session, target, kind=LessonKind.VIDEO, title=title, body=body, file=file, draft=draft)


def publish_lesson(session: DbSession, lesson: Lesson) -> bool:
    """Make a draft lesson exist for the course's cadets; False if it was not a draft."""
    if not lesson.draft:
        return False
    lesson.draft = False
    session.flush()
    return True


def file_row(saved: Saved, name: str, uploader_id: int | None) -> StoredFile:
    """The row that records a file put in the store (by an upload, an import or the demo data)."""
    return StoredFile(
        sha256=saved.sha256,
        size=saved.size,
        content_type=saved.content_type,
        original_name=name[-255:],
        uploaded_by_id=uploader_id,
    )


def rename_module(session: DbSession, module: Module, title: str) -> None:
    """Give the module a new title; Invalid (field "title") unless it has 1 to TITLE_LENGTH characters."""
    title = title.strip()
    if not title or len(title) > TITLE_LENGTH:
        raise Invalid(ContentReason.BAD_TITLE, field="title", limit=TITLE_LENGTH)
    module.title = title
    session.flush()


def delete_module(session: DbSession, module: Module) -> None:
    """Delete the module with its lessons (and the cadets' completions of them)."""
    session.delete(module)
    session.flush()


def delete_lesson(session: DbSession, lesson: Lesson) -> None:
    session.delete(lesson)
    session.flush()


# Lessons of these kinds show a file from the store, of these content types (checked by the file's bytes).
FILE_TYPES: dict[LessonKind, set[str]] = {
    LessonKind.FILE: DOCUMENT_TYPES | IMAGE_TYPES,
    LessonKind.VIDEO: VIDEO_TYPES,
}


@dataclass(frozen=True)
class LessonFields:
    kind: LessonKind
    title: str
    body: str
    url: str | None  # a LINK lesson's address
    draft: bool = False  # only those who teach the course see it


def update_lesson(session: DbSession, lesson: Lesson, fields: LessonFields, file: StoredFile | None) -> None:
    """Save an edited lesson. `file` replaces its file; a lesson that became a kind without a file loses it."""
    lesson.kind, lesson.title, lesson.body, lesson.url = fields.kind, fields.title, fields.body, fields.url
    lesson.draft = fields.draft
    if file is not None:
        lesson.file_id = file.id
    elif fields.kind not in FILE_TYPES:
        lesson.file_id = None
    session.flush()


def store_file(
    session: DbSession,
    storage: Storage,
    stream: IO[bytes],
    name: str,
    allowed: set[str],
    max_bytes: int,
    uploader_id: int | None,
) -> StoredFile:
    """Put an upload in the store and record it; Invalid (`storage.UploadReason`) for a file the store refuses."""
    name = name[-255:]
    stored = file_row(storage.save(stream, name, allowed, max_bytes), name, uploader_id)
    session.add(stored)
    session.flush()
    return stored
