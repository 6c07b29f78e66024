"""What a user finds: the catalogue (search, filters, one page of courses), the category tree that global
administrators keep, and the user's own courses. Takes a session and plain values, never the request."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, case, func, or_, select
from sqlalchemy.orm import joinedload, load_only

from lectern.courses.access import listed_condition, staff_course_ids
from lectern.courses.models import Category, Course, CourseRole, CourseStaff, Enrolment, Visibility
from lectern.domain import Conflict, NotFound
from lectern.extensions import DbSession
from lectern.platform.models import Academy, Role, User


class CatalogueReason(StrEnum):
    """Why a change to the category tree is refused."""

    NO_CATEGORY = "no_category"  # NotFound
    CATEGORY_IN_USE = "category_in_use"  # Conflict: it still holds courses or subcategories


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


@dataclass(frozen=True)
class Filters:
    """What the catalogue's filters offer, as plain values (the same for every reader; kept by the page cache)."""

    academies: tuple[tuple[int, str], ...]  # (id, name), by name
    categories: tuple[tuple[int, str, int], ...]  # (id, name, depth), in tree order

    @property
    def academy_ids(self) -> frozenset[int]:
        return frozenset(a for a, _name in self.academies)

    @property
    def category_ids(self) -> frozenset[int]:
        return frozenset(c for c, _name, _depth in self.categories)


# --- categories ---------------------------------------------------------------------------------------------------


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


def category_of(session: DbSession, category_id: int) -> Category:
    """The category, else NotFound."""
    category = session.get(Category, category_id)
    if category is None:
        raise NotFound(CatalogueReason.NO_CATEGORY)
    return category


def course_counts(session: DbSession) -> dict[int | None, int]:
    """How many courses each category holds (None: those in no category)."""
    return {
        category_id: count
        for category_id, count in session.execute(
            select(Course.category_id, func.count()).group_by(Course.category_id)
        ).all()
    }


def save_category(
    session: DbSession, category: Category | None, *, name: str, parent_id: int | None, position: int
) -> Category:
    """Add a category (`category` None) or change one. The form offers as parents only the categories outside
    `category`'s own subtree (`descendants`), so the tree stays a tree."""
    if category is None:
        category = Category()
        session.add(category)
    category.name = name.strip()
    category.parent_id = parent_id
    category.position = position
    session.flush()
    return category


def delete_category(session: DbSession, category: Category) -> None:
    """Delete an empty category; Conflict while it holds courses or subcategories."""
    in_use = session.scalar(select(func.count()).where(Course.category_id == category.id))
    has_children = session.scalar(select(func.count()).where(Category.parent_id == category.id))
    if in_use or has_children:
        raise Conflict(CatalogueReason.CATEGORY_IN_USE)
    session.delete(category)
    session.flush()


# --- the catalogue ------------------------------------------------------------------------------------------------


def _preferred_first(language: str | None) -> list[Any]:
    return [case((Course.language == language, 0), else_=1)] if language else []


def listing_scope(user: User) -> tuple[Role, int, int | None]:
    """Who finds the same courses as `user` in the catalogue: `access.listed_condition` reads the user's role and
    academy, and the user's own id only for an instructor (the courses they teach; the academy's administrators
    see all of its courses anyway). Users of one scope may share one cached listing."""
    return user.role, user.academy_id, user.id if user.role is Role.INSTRUCTOR else None


def listed_ids(session: DbSession, user: User) -> frozenset[int]:
    """The ids of every course `user`'s catalogue lists, in one query."""
    return frozenset(session.scalars(select(Course.id).where(listed_condition(user))))


def filters(session: DbSession) -> Filters:
    """The academies and the category tree the catalogue filters by, in two queries."""
    academies = tuple((a.id, a.name) for a in catalogue_academies(session))
    return Filters(academies, tuple((c.id, c.name, depth) for c, depth in category_tree(session)))


def catalogue(session: DbSession, user: User, query: CatalogueQuery, page: int, per_page: int = 20) -> CataloguePage:
    """One page of the courses `user` may find (with their academy and category, and only the columns a card
    shows), in two queries whatever their number (three with a category: its subtree)."""
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
    shown = (
        Course.id,
        Course.academy_id,
        Course.category_id,
        Course.title,
        Course.summary,
        Course.language,
        Course.tags,
    )
    courses = list(
        session.scalars(
            stmt.options(load_only(*shown), joinedload(Course.academy), joinedload(Course.category))
            .order_by(*_preferred_first(query.prefer_language), Course.title, Course.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    return CataloguePage(courses, total)


# Built once, and run without the ORM: each page of the catalogue runs it.
_ENROLLED = select(Enrolment.course_id).where(Enrolment.user_id == bindparam("user_id"))


def enrolled_among(session: DbSession, user_id: int, course_ids: Sequence[int]) -> set[int]:
    """Which of these courses the user is enrolled in: one query (none for no courses), for all the user's
    enrolments, which are few, in the session's transaction."""
    if not course_ids:
        return set()
    mine = session.connection().execute(_ENROLLED, {"user_id": user_id}).scalars()
    return set(course_ids).intersection(mine)


@dataclass(frozen=True)
class CourseRow:
    """A course as its page and its lessons' pages show it (besides the header: catalogue/shared.py), and as the
    panels other areas add there see it: plain values, which the page cache keeps between requests."""

    id: int
    academy_id: int
    title: str
    language: str
    visibility: Visibility
    self_enrol: bool
    enrol_key: str | None
    enrol_closes_at: datetime | None


_COURSE_ROW = select(
    Course.id,
    Course.academy_id,
    Course.title,
    Course.language,
    Course.visibility,
    Course.self_enrol,
    Course.enrol_key,
    Course.enrol_closes_at,
).where(Course.id == bindparam("course_id"))


def course_row(session: DbSession, course_id: int) -> CourseRow | None:
    """The course as its pages show it (`CourseRow`), or None if there is none."""
    found = session.connection().execute(_COURSE_ROW, {"course_id": course_id}).first()
    return CourseRow(*found) if found is not None else None


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
