"""Model factories for tests.

Each call commits in its own application context and returns a detached object with its columns loaded, so the
test never shares a session (and its identity map) with the requests it makes. Users share one precomputed
password hash: hashing is deliberately slow.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, TypeVar

from flask import Flask

from lectern.extensions import db
from lectern.platform.accounts.services import hash_password
from lectern.platform.models import Academy, Cohort, CohortMember, Role, User

PASSWORD = "correct horse battery"
_HASH = hash_password(PASSWORD)
_seq = itertools.count(1)

T = TypeVar("T")


class Factory:
    def __init__(self, app: Flask) -> None:
        self.app = app

    def save(self, obj: T) -> T:
        with self.app.app_context():
            db.session.add(obj)
            db.session.commit()
            db.session.refresh(obj)
            db.session.expunge(obj)
        return obj

    def academy(self, **kw: Any) -> Academy:
        n = next(_seq)
        values: dict[str, Any] = {
            "slug": f"academy-{n}",
            "name": f"Academy {n}",
            "city": "Rezekne",
            "country": "LV",
            "timezone": "Europe/Riga",
            "default_language": "en",
        }
        values.update(kw)
        return self.save(Academy(**values))

    def user(self, role: Role = Role.CADET, academy: Academy | None = None, **kw: Any) -> User:
        n = next(_seq)
        values: dict[str, Any] = {
            "username": f"user{n}",
            "first_name": "Test",
            "last_name": f"User {n}",
            "email": f"user{n}@example.org",
            "role": role,
            "password_hash": _HASH,
            "academy_id": (academy or self.academy()).id,
        }
        values.update(kw)
        return self.save(User(**values))

    def cohort(self, academy: Academy, name: str | None = None, members: Sequence[User] = (), **kw: Any) -> Cohort:
        """A cohort with these members, added as rows (no enrolment sync: enrol cohorts through the services)."""
        with self.app.app_context():
            item = Cohort(academy_id=academy.id, name=name or f"Cohort {next(_seq)}", description="", **kw)
            db.session.add(item)
            db.session.flush()
            for member in members:
                db.session.add(CohortMember(cohort_id=item.id, user_id=member.id))
            db.session.commit()
            db.session.refresh(item)
            db.session.expunge(item)
        return item

    def course(self, academy_id: int, **kw: Any) -> Any:
        return _course(self, academy_id, **kw)

    def enrol(self, course_id: int, user_id: int) -> None:
        from lectern.courses.models import Enrolment

        self.save(Enrolment(course_id=course_id, user_id=user_id))

    def staff(self, course_id: int, user_id: int, role: str = "instructor") -> None:
        from lectern.courses.models import CourseRole, CourseStaff

        self.save(CourseStaff(course_id=course_id, user_id=user_id, role=CourseRole(role)))


def _course(factory: Factory, academy_id: int, **kw: Any) -> Any:
    """A course with the given columns (and `modules`: a list of (title, [lesson kwargs])) committed at once."""
    from lectern.courses.models import Course, Lesson, LessonKind, Module, Visibility

    modules = kw.pop("modules", [])
    values: dict[str, Any] = {
        "title": f"Course {next(_seq)}",
        "summary": "",
        "language": "en",
        "tags": "",
        "visibility": Visibility.ALL,
        "academy_id": academy_id,
    }
    values.update(kw)
    item = Course(**values)
    for m, (title, lessons) in enumerate(modules, start=1):
        module = Module(title=title, position=m)
        for n, lesson in enumerate(lessons, start=1):
            module.lessons.append(Lesson(position=n, **{"kind": LessonKind.TEXT, "title": f"L{n}", **lesson}))
        item.modules.append(module)
    return factory.save(item)
