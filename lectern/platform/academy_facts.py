"""What every page of a signed-in user shows of their academy: its name in the header, its timezone for every time
shown, its language when nothing else decides. Read once per process and academy, not with every sign-in check.

The signed-in user is loaded on every request without their academy (`accounts.sessions.load_user`: one entity, not
two); these few facts come from the shared cache (`lectern.platform.cache`), where any change to an academy makes
them stale from the next request on, in every process. Code that needs more of the academy (its slug, its users)
still reads `user.academy`, which loads it then.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from flask import g
from flask_login import current_user

from lectern.extensions import db
from lectern.platform import cache
from lectern.platform.models import Academy

_SIGNED_IN = "lectern_academy_facts"  # g: the signed-in user's, for this request
_UNKNOWN: Any = object()


@dataclass(frozen=True)
class AcademyFacts:
    name: str
    city: str
    timezone: str
    default_language: str


def of(academy_id: int) -> AcademyFacts:
    """The facts of academy `academy_id`, as last committed."""

    def make() -> AcademyFacts:
        academy = db.session.get(Academy, academy_id)
        if academy is None:  # a user always has one (a foreign key); this would be a broken database
            raise LookupError(f"no academy {academy_id}")
        return AcademyFacts(academy.name, academy.city, academy.timezone, academy.default_language)

    return cache.shared(("academy-facts", academy_id), make)


def signed_in() -> AcademyFacts | None:
    """The facts of the signed-in user's academy, looked up once per request; None for a visitor."""
    found = g.get(_SIGNED_IN, _UNKNOWN)
    if found is _UNKNOWN:
        user = current_user._get_current_object()
        found = of(user.academy_id) if user.is_authenticated else None
        setattr(g, _SIGNED_IN, found)
    return cast("AcademyFacts | None", found)
