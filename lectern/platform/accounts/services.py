"""A user's own account: passwords, signing in, profile and language. Takes a session and plain values, never the
request. What administrators do to other users' accounts is `lectern.platform.admin.services`."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from lectern.domain import Invalid
from lectern.extensions import DbSession
from lectern.gate import outside_gate
from lectern.platform.accounts import sessions
from lectern.platform.models import User, utcnow

# A hash of nothing anyone knows: checked against when the username is unknown, so that an unknown username takes
# as long to refuse as a wrong password and timing does not tell which accounts exist.
_DUMMY_HASH = generate_password_hash("lectern-timing-equaliser")


class AccountReason(StrEnum):
    """Why an account service refused."""

    # The current password given to change it is not the user's (a reason code, not a secret).
    WRONG_PASSWORD = "wrong_password"  # noqa: S105


def hash_password(password: str) -> str:
    """Hash with Werkzeug's current default (scrypt)."""
    with outside_gate():  # about 100 ms without the interpreter lock: other requests go on meanwhile
        return generate_password_hash(password)


def _matches(password_hash: str, password: str) -> bool:
    with outside_gate():
        return check_password_hash(password_hash, password)


def authenticate(session: DbSession, username: str, password: str) -> User | None:
    """Return the active user with these credentials, or None, in about the same time whatever the reason."""
    user: User | None = session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    if user is None:
        _matches(_DUMMY_HASH, password)
        return None
    if not _matches(user.password_hash, password) or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


def change_password(session: DbSession, user: User, current: str, new: str) -> None:
    """The user changes their own password: their other sign-ins end, the one they changed it from stays.
    Invalid (field "current") when `current` is not their password."""
    if not _matches(user.password_hash, current):
        raise Invalid(AccountReason.WRONG_PASSWORD, field="current")
    set_password(session, user, new, keep_current=True)


def set_password(session: DbSession, user: User, new: str, keep_current: bool = False) -> None:
    """Set a new password and end every sign-in of the user (but the current one, with `keep_current`)."""
    user.password_hash = hash_password(new)
    user.session_version += 1
    sessions.end_all(session, user, keep_current=keep_current)


def update_profile(user: User, *, first_name: str, last_name: str, language: str | None) -> None:
    """The user edits their own name and interface language (None: as their browser asks)."""
    user.first_name = first_name.strip()
    user.last_name = last_name.strip()
    user.language = language or None


def set_language(user: User, language: str) -> None:
    """Keep the language the user chose in the header's switcher in their profile."""
    user.language = language
