"""Catalogue, course editing and enrolment. Takes a session and plain values, never the request."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from lectern.courses.access import (
    Forbidden,
    NotFound,
    can_edit,
    listed_condition,
    may_create_courses,
    staff_course_ids,
)
from lectern.courses.content.progress import insert_once
from lectern.courses.content.storage import Saved
from lectern.courses.models import (
    Category,
    Course,
    CourseRole,
    CourseShare,
    CourseStaff,
    Enrolment,
    EnrolmentMethod,
    Lesson,
    LessonKind,
    Module,
    StoredFile,
    Visibility,
)
from lectern.extensions import DbSession
from lectern.platform import access
from lectern.platform.models import Academy, Role, User, utcnow


class EnrolmentRefused(Exception):
    """Self-enrolment is not possible; `reason` says why (closed, not_open, full, wrong_key, not_allowed)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def normalise_tags(text: str) -> str:
    tags = []
    for raw in text.replace(";", ",").split(","):
        tag = " ".join(raw.strip().lower().split())[:40]
        if tag and tag not in tags:
            tags.append(tag)
    return "," + ",".join(tags) + "," if tags else ""


# --- catalogue ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueQuery:
    text: str = ""
    academy_id: int | None = None
    language: str | None = None
    category_id: int | None = None
    prefer_language: str | None = None  # listed first: a Russian-speaking cadet sees the Russian courses first


@dataclass
class CataloguePage:
    courses: list[Course]
    total: int
    enrolled_ids: set[int]


def categories(session: DbSession) -> list[Category]:
    return list(session.scalars(select(Category).order_by(Category.parent_id.nulls_first(), Category.position)))


def category_tree(session: DbSession) -> list[tuple[Category, int]]:
    """All categories in tree order with their depth, from one query."""
    items = categories(session)
    children: dict[int | None, list[Category]] = {}
    for c in items:
        children.setdefault(c.parent_id, []).append(c)
    out: list[tuple[Category, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for c in sorted(children.get(parent, []), key=lambda c: (c.position, c.name)):
            out.append((c, depth))
            walk(c.id, depth + 1)

    walk(None, 0)
    return out


def descendants(session: DbSession, category_id: int) -> set[int]:
    """The category and every category below it."""
    found = {category_id}
    rows = session.execute(select(Category.id, Category.parent_id)).all()
    changed = True
    while changed:
        changed = False
        for cid, parent in rows:
            if parent in found and cid not in found:
                found.add(cid)
                changed = True
    return found


def _preferred_first(language: str | None) -> list[Any]:
    return [case((Course.language == language, 0), else_=1)] if language else []


def catalogue(session: DbSession, user: User, query: CatalogueQuery, page: int, per_page: int = 20) -> CataloguePage:
    """One page of the courses `user` may find, in a fixed number of queries whatever their number."""
    stmt = select(Course).where(listed_condition(user))
    if query.text:
        like = f"%{query.text.lower()}%"
        stmt = stmt.where(
            or_(func.lower(Course.title).like(like), func.lower(Course.summary).like(like), Course.tags.like(like))
        )
    if query.academy_id is not None:
        stmt = stmt.where(Course.academy_id == query.academy_id)
    if query.language:
        stmt = stmt.where(Course.language == query.language)
    if query.category_id is not None:
        stmt = stmt.where(Course.category_id.in_(descendants(session, query.category_id)))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    courses = list(
        session.scalars(
            stmt.options(joinedload(Course.academy), joinedload(Course.category))
            .order_by(*_preferred_first(query.prefer_language), Course.title, Course.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    ids = [c.id for c in courses]
    enrolled = set(
        session.scalars(select(Enrolment.course_id).where(Enrolment.user_id == user.id, Enrolment.course_id.in_(ids)))
    )
    return CataloguePage(courses, total, enrolled)


def catalogue_academies(session: DbSession) -> Sequence[Academy]:
    return session.scalars(select(Academy).order_by(Academy.name)).all()


def taught_courses(session: DbSession, user: User) -> list[tuple[Course, CourseRole]]:
    rows = session.execute(
        select(Course, CourseStaff.role)
        .join(CourseStaff, CourseStaff.course_id == Course.id)
        .where(CourseStaff.user_id == user.id, Course.id.in_(staff_course_ids(user)))
        .order_by(Course.title)
    ).all()
    return [(course, role) for course, role in rows]


# --- editing -----------------------------------------------------------------------------------------------------


@dataclass
class CourseFields:
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


def _apply(session: DbSession, course: Course, fields: CourseFields) -> None:
    course.title = fields.title.strip()
    course.summary = fields.summary.strip()
    course.language = fields.language
    course.tags = normalise_tags(fields.tags)
    if fields.category_id is not None and session.get(Category, fields.category_id) is None:
        raise NotFound()
    course.category_id = fields.category_id
    course.visibility = fields.visibility
    course.self_enrol = fields.self_enrol
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
    if not may_create_courses(user):
        raise Forbidden()
    if academy_id is not None and academy_id != user.academy_id and user.role is not Role.GLOBAL_ADMIN:
        raise Forbidden()
    course = Course(academy_id=academy_id or user.academy_id, shares=[], staff=[])
    session.add(course)
    _apply(session, course, fields)
    if user.role is Role.INSTRUCTOR:
        course.staff.append(CourseStaff(user_id=user.id, role=CourseRole.INSTRUCTOR))
    session.flush()
    return course


def update_course(session: DbSession, user: User, course: Course, fields: CourseFields) -> Course:
    if not can_edit(session, user, course):
        raise Forbidden()
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


def add_module(session: DbSession, course: Course, title: str) -> Module:
    last = session.scalar(select(func.max(Module.position)).where(Module.course_id == course.id))
    module = Module(course_id=course.id, title=title.strip(), position=(last or 0) + 1)
    session.add(module)
    session.flush()
    return module


def module_of(session: DbSession, course: Course, module_id: int) -> Module:
    module = session.get(Module, module_id)
    if module is None or module.course_id != course.id:
        raise NotFound()
    return module


def lesson_of(session: DbSession, course: Course, lesson_id: int) -> Lesson:
    lesson = session.get(Lesson, lesson_id)
    if lesson is None or lesson.module.course_id != course.id:
        raise NotFound()
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
) -> Lesson:
    last = session.scalar(select(func.max(Lesson.position)).where(Lesson.module_id == module.id))
    lesson = Lesson(
        module_id=module.id,
        kind=kind,
        title=title.strip(),
        body=body,
        url=url,
        file_id=file.id if file else None,
        position=(last or 0) + 1,
    )
    session.add(lesson)
    session.flush()
    return lesson


def file_row(saved: Saved, name: str, uploader_id: int | None) -> StoredFile:
    """The row that records a file put in the store (by an upload, an import or the demo data)."""
    return StoredFile(
        sha256=saved.sha256,
        size=saved.size,
        content_type=saved.content_type,
        original_name=name[-255:],
        uploaded_by_id=uploader_id,
    )


def delete_course(session: DbSession, user: User, course: Course) -> None:
    if not can_edit(session, user, course):
        raise Forbidden()
    session.delete(course)
    session.flush()


# --- enrolment ---------------------------------------------------------------------------------------------------


def enrol(session: DbSession, course: Course, users: Iterable[User], method: EnrolmentMethod) -> int:
    """Enrol `users` (already enrolled ones are left as they are); returns how many were added."""
    ids = {u.id for u in users}
    have = set(
        session.scalars(select(Enrolment.user_id).where(Enrolment.course_id == course.id, Enrolment.user_id.in_(ids)))
    )
    added = 0
    for user_id in sorted(ids - have):
        # Two clicks, or two administrators, may enrol the same cadet at once: the second insert does nothing.
        added += insert_once(session, Enrolment, course_id=course.id, user_id=user_id, method=method)
    return added


def enrolment_count(session: DbSession, course: Course) -> int:
    return session.scalar(select(func.count()).where(Enrolment.course_id == course.id)) or 0


def self_enrol(session: DbSession, user: User, course: Course, key: str | None, now: datetime) -> None:
    """Enrol `user` on their own, under the course's self-enrolment settings."""
    if user.role is not Role.CADET or course.visibility is Visibility.DRAFT:
        raise EnrolmentRefused("not_allowed")
    if not course.self_enrol:
        raise EnrolmentRefused("closed")
    if course.enrol_opens_at and now < course.enrol_opens_at:
        raise EnrolmentRefused("not_open")
    if course.enrol_closes_at and now > course.enrol_closes_at:
        raise EnrolmentRefused("closed")
    if course.enrol_key and (key or "").strip() != course.enrol_key:
        raise EnrolmentRefused("wrong_key")
    if course.enrol_cap is not None and enrolment_count(session, course) >= course.enrol_cap:
        raise EnrolmentRefused("full")
    enrol(session, course, [user], EnrolmentMethod.SELF)


def unenrol(session: DbSession, course: Course, user_id: int) -> None:
    """End an enrolment. Completions stay: the cadet's history is kept if they come back."""
    session.execute(delete(Enrolment).where(Enrolment.course_id == course.id, Enrolment.user_id == user_id))
    access.changed(session, user_id)  # their open lecture sockets are checked again once this commits


def participants(session: DbSession, course: Course) -> list[Enrolment]:
    return list(
        session.scalars(
            select(Enrolment)
            .where(Enrolment.course_id == course.id)
            .options(joinedload(Enrolment.user).joinedload(User.academy))
            .join(User, User.id == Enrolment.user_id)
            .order_by(User.last_name, User.first_name)
        )
    )


def enrollable_users(session: DbSession, course: Course, text: str, limit: int = 20) -> list[User]:
    """Cadets who may be enrolled by hand: of the course's academy and the academies it is offered to."""
    stmt = select(User).where(User.role == Role.CADET, User.active.is_(True))
    if course.visibility is not Visibility.ALL:
        shared = select(CourseShare.academy_id).where(CourseShare.course_id == course.id)
        stmt = stmt.where(or_(User.academy_id == course.academy_id, User.academy_id.in_(shared)))
    if text:
        like = f"%{text.lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(User.username).like(like),
                func.lower(User.first_name).like(like),
                func.lower(User.last_name).like(like),
            )
        )
    enrolled = select(Enrolment.user_id).where(Enrolment.course_id == course.id)
    stmt = stmt.where(User.id.not_in(enrolled)).options(joinedload(User.academy))
    return list(session.scalars(stmt.order_by(User.last_name, User.first_name).limit(limit)))


def user_for_enrolment(session: DbSession, course: Course, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or user.role is not Role.CADET:
        raise NotFound()
    if course.visibility is not Visibility.ALL and user.academy_id != course.academy_id:
        shared = {s.academy_id for s in course.shares}
        if user.academy_id not in shared:
            raise NotFound()
    return user


def enrolled_courses(session: DbSession, user: User) -> list[Course]:
    return list(
        session.scalars(
            select(Course)
            .join(Enrolment, Enrolment.course_id == Course.id)
            .where(Enrolment.user_id == user.id)
            .options(joinedload(Course.academy), joinedload(Course.category))
            .order_by(Course.title)
        )
    )
