"""Role names as users read them, the signed-in user, and the view decorators that check who is asking."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

import flask_login
from flask import abort
from flask_babel import LazyString
from flask_login import current_user

from lectern.i18n import lazy_gettext as _l
from lectern.platform.models import Role, User

ROLE_LABELS: dict[Role, LazyString] = {
    Role.GLOBAL_ADMIN: _l("Global administrator"),
    Role.ACADEMY_ADMIN: _l("Academy administrator"),
    Role.INSTRUCTOR: _l("Instructor"),
    Role.CADET: _l("Cadet"),
    Role.CLASSROOM: _l("Lecture hall"),
}

F = TypeVar("F", bound=Callable[..., Any])


def login_required(view: F) -> F:
    """Flask-Login's `login_required` with its type kept (Flask-Login ships no type information)."""
    return cast(F, flask_login.login_required(view))


def signed_in_user() -> User:
    """The signed-in user, typed, for code behind `login_required` or `role_required` (Flask-Login's
    `current_user` is an untyped proxy). Anonymous visitors never get here: asking for them is a bug."""
    user = current_user._get_current_object()
    if not isinstance(user, User):
        raise RuntimeError("signed_in_user() called for an anonymous visitor: guard the view with login_required")
    return user


def role_required(*roles: Role) -> Callable[[F], F]:
    """Let signed-in users with one of `roles` through; others get 403, anonymous users the login page."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return login_required(cast(F, wrapped))

    return decorator
