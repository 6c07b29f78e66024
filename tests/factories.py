"""Model factories for tests.

Each call commits in its own application context and returns a detached object with its columns loaded, so the
test never shares a session (and its identity map) with the requests it makes. Users share one precomputed
password hash: hashing is deliberately slow.
"""

from __future__ import annotations

import itertools
from typing import Any, TypeVar

from flask import Flask

from lectern.extensions import db
from lectern.platform.models import Academy, Role, User
from lectern.platform.services import hash_password

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
