"""Course packages in and out of the database: export a course; import a package as a new course or a new version.

Takes a session and plain values, never the request. An import's database writes are one transaction that the
caller commits, or rolls back on any exception. Media go into the content-addressed store before it: should the
transaction fail they stay there unreferenced, which is harmless (the same bytes uploaded later are found in place).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import IO, cast

from sqlalchemy import or_, select

from lectern.courses import access
from lectern.courses.content import services as content_services
from lectern.courses.content.storage import DOCUMENT_TYPES, IMAGE_TYPES, VIDEO_TYPES, Saved, Storage
from lectern.courses.models import (
    Course,
    CourseRole,
    Lesson,
    LessonKind,
    Module,
    StoredFile,
    Visibility,
)
from lectern.courses.packages import quiz_service as package_quiz_service
from lectern.courses.packages.format import (
    CourseInfo,
    LessonEntry,
    Media,
    ModuleEntry,
    Package,
    write_package,
)
from lectern.courses.packages.problems import PackageError, PackageReason, Problem
from lectern.domain import Conflict, Forbidden, Invalid
from lectern.extensions import DbSession
from lectern.platform.models import Role, User, utcnow

log = logging.getLogger(__name__)

MEDIA_TYPES = VIDEO_TYPES | DOCUMENT_TYPES | IMAGE_TYPES
Progress = Callable[[int], None]  # told a percentage


class ExportError(Conflict):
    """A file of the course is missing from the store, so the package would be incomplete; `name` is its name."""

    def __init__(self, name: str) -> None:
        super().__init__(PackageReason.MISSING_FILE, name=name)
        self.name = name


# --- export ------------------------------------------------------------------------------------------------------


def _media_name(stored: StoredFile) -> str:
    """A safe file name for the package, keeping the uploaded name readable (and its suffix, which sniff uses)."""
    name = re.sub(r"[\x00-\x1f\x7f/\\]+", "_", stored.original_name).strip(". ") or "file"
    return name[-100:]


def package_of(session: DbSession, course: Course, storage: Storage) -> Package:
    """The package describing `course`: its settings, modules, lessons and their files in the store, its question
    bank and its quizzes."""
    info = CourseInfo(course.title, course.summary, course.language, course.tag_list, course.visibility.value)
    package = Package(info)
    by_sha: dict[str, str] = {}
    for module in content_services.load_outline(session, course):
        entry = ModuleEntry(module.title)
        for lesson in module.lessons:
            path = None
            if (stored := lesson.file) is not None and lesson.kind in (LessonKind.FILE, LessonKind.VIDEO):
                if not storage.path(stored.sha256).exists():
                    raise ExportError(stored.original_name)
                path = by_sha.get(stored.sha256)
                if path is None:
                    path = f"media/{_media_name(stored)}"
                    if path in package.media:  # another file had the same name
                        path = f"media/{stored.sha256[:8]}-{_media_name(stored)}"
                    by_sha[stored.sha256] = path
                    source = storage.path(stored.sha256)
                    package.media[path] = Media(path, stored.sha256, stored.size, stored.content_type, source)
            url = lesson.url if lesson.kind is LessonKind.LINK else None
            entry.lessons.append(LessonEntry(lesson.kind.value, lesson.title, lesson.body or "", url, path))
        package.modules.append(entry)
    package.bank, package.quizzes = package_quiz_service.bank_and_quizzes(session, course)
    return package


def export_course(session: DbSession, course: Course, storage: Storage, out: IO[bytes] | Path) -> None:
    """Write `course` as a package (a zip) to `out`. Raises ExportError if a file is missing from the store."""
    write_package(package_of(session, course, storage), out)


def export_filename(course: Course) -> str:
    name = re.sub(r"[^\w -]+", "", course.title).strip()[:80].strip()
    return f"{name or 'course'}.zip"


# --- import ------------------------------------------------------------------------------------------------------


class _Counting:
    """A stream that tells how many bytes have been read through it, for the progress of large media."""

    def __init__(self, stream: IO[bytes], seen: Callable[[int], None]) -> None:
        self.stream, self.seen = stream, seen

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.seen(len(data))
        return data


def store_media(package: Package, storage: Storage, progress: Progress | None = None) -> dict[str, Saved]:
    """Copy the package's media into the store (the long part of an import), telling `progress` how far."""
    total, done = max(1, sum(m.size for m in package.media.values())), 0
    saved: dict[str, Saved] = {}

    def seen(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(min(100, 100 * done // total))

    for path, media in package.media.items():
        with media.open() as fh:
            try:
                stream = cast(IO[bytes], _Counting(fh, seen))
                saved[path] = storage.save(stream, path, MEDIA_TYPES, max(media.size, 1))
            except Invalid:
                # The reader checked size and type already; bytes that changed since are a damaged package.
                raise PackageError([Problem("corrupt", path)]) from None
    return saved


def _fields(info: CourseInfo) -> content_services.CourseFields:
    return content_services.CourseFields(
        title=info.title,
        summary=info.summary,
        language=info.language,
        tags=", ".join(info.tags),
        category_id=None,
        visibility=Visibility.DRAFT,  # nothing is published before someone has looked at it here
        shared_with=[],
        self_enrol=False,
        enrol_key=None,
        enrol_cap=None,
        enrol_opens_at=None,
        enrol_closes_at=None,
    )


def import_package(
    session: DbSession,
    actor: User,
    package: Package,
    storage: Storage,
    target_course: Course | None = None,
    progress: Progress | None = None,
    academy_id: int | None = None,
) -> Course:
    """Create a course from `package`, or make it the new version of `target_course`; the caller commits.

    A new course is a draft in `actor`'s academy (a global administrator may name another, `academy_id`), taught by
    `actor` if an instructor. A new version replaces the target's modules and lessons and bumps its version; its
    settings, staff and enrolments stay. A lesson whose title is unchanged at the same module and lesson position is
    updated in place, so the cadets' completions of it are kept. The question bank and quizzes are written by
    `package_quiz_service.import_quizzes`, which keeps the quizzes cadets have attempted. `progress` hears about the
    storing of media only: it runs before the first database write.
    """
    if target_course is None and not access.may_create_courses(actor):
        raise Forbidden(access.AccessReason.MAY_NOT_CREATE)
    if target_course is not None and not access.can_edit(session, actor, target_course):
        raise Forbidden(access.AccessReason.NOT_EDITOR)
    saved = store_media(package, storage, progress)
    files: dict[str, StoredFile] = {}

    def stored_file(path: str) -> StoredFile:
        if path not in files:
            s = saved[path]
            name = path.rsplit("/", 1)[-1][-255:]
            files[path] = content_services.file_row(s, name, actor.id)
        return files[path]

    if target_course is None:
        course = content_services.create_course(session, actor, _fields(package.course), academy_id)
        old: list[Module] = []
    else:
        course = target_course
        old = content_services.load_outline(session, course)
        course.title, course.summary = package.course.title, package.course.summary
        course.language, course.tags = (
            package.course.language,
            content_services.normalise_tags(", ".join(package.course.tags)),
        )
        course.version += 1
        course.updated_at = utcnow()
    modules = []
    for m, entry in enumerate(package.modules):
        module = old[m] if m < len(old) else Module(course_id=course.id)
        module.title, module.position = entry.title, m + 1
        previous, lessons = list(module.lessons) if m < len(old) else [], []
        for n, item in enumerate(entry.lessons):
            same = n < len(previous) and previous[n].title == item.title
            lesson = previous[n] if same else Lesson()
            lesson.kind, lesson.title, lesson.body, lesson.url = LessonKind(item.kind), item.title, item.body, item.url
            lesson.position = n + 1
            if item.file is None:
                lesson.file = None
            elif lesson.file is None or lesson.file.sha256 != saved[item.file].sha256:
                lesson.file = stored_file(item.file)
            lessons.append(lesson)
        module.lessons = lessons  # lessons left out are orphans: deleted, with their completions (ON DELETE CASCADE)
        modules.append(module)
    course.modules = modules
    session.flush()
    package_quiz_service.import_quizzes(session, course, package.bank, package.quizzes)
    return course


# --- import jobs -------------------------------------------------------------------------------------------------


def editable_courses(session: DbSession, user: User) -> list[Course]:
    """The courses `user` may edit (access.can_edit), to offer as targets of a new version."""
    stmt = select(Course).order_by(Course.title, Course.id)
    if user.role is not Role.GLOBAL_ADMIN:
        instructor = Course.id.in_(access.staff_course_ids(user, CourseRole.INSTRUCTOR))
        own = Course.academy_id == user.academy_id if user.role is Role.ACADEMY_ADMIN else None
        stmt = stmt.where(or_(instructor, own) if own is not None else instructor)
    return list(session.scalars(stmt))
