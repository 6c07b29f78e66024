"""Role names as users read them, and the view decorator that checks a role."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from lectern.platform.models import Role

ROLE_LABELS: dict[Role, LazyString] = {
    Role.GLOBAL_ADMIN: _l("Global administrator"),
    Role.ACADEMY_ADMIN: _l("Academy administrator"),
    Role.INSTRUCTOR: _l("Instructor"),
    Role.CADET: _l("Cadet"),
    Role.CLASSROOM: _l("Lecture hall"),
}

F = TypeVar("F", bound=Callable[..., Any])


def role_required(*roles: Role) -> Callable[[F], F]:
    """Let signed-in users with one of `roles` through; others get 403, anonymous users the login page."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return login_required(wrapped)

    return decorator
