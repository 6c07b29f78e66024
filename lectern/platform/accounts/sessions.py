"""Sign-ins kept on the server, one `LoginSession` row per signed-in browser. Takes a session, never the request.

The session cookie and the remember-me cookie carry only the sign-in's random token (User.get_id), and every
request finds its row again with one indexed lookup. Deleting the row ends the sign-in everywhere at once: a copied
cookie is worth nothing after a sign-out, a password change or a suspension.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, bindparam, delete, select

from lectern.extensions import DbSession
from lectern.platform import access
from lectern.platform.models import LoginSession, User

TOKEN_BYTES = 32


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _attach(user: User, token: str, login_session_id: int) -> User:
    user.login_token = token
    user.login_session_id = login_session_id
    return user


def start(session: DbSession, user: User, now: datetime, lifetime: timedelta) -> str:
    """Open a sign-in of `user` lasting `lifetime` and return its token (also set on `user`, for Flask-Login).
    The user's expired sign-ins are cleared away on the way."""
    session.execute(delete(LoginSession).where(LoginSession.user_id == user.id, LoginSession.expires_at <= now))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = LoginSession(user_id=user.id, token_hash=_digest(token), created_at=now, expires_at=now + lifetime)
    session.add(row)
    session.flush()
    _attach(user, token, row.id)
    return token


# Every request runs this: built once (SQLAlchemy then reuses its compiled form without building it again). One
# entity: what pages show of the academy comes from `lectern.platform.academy_facts`, kept between requests.
_OPEN_SIGN_IN = (
    select(User, LoginSession.id)
    .join(LoginSession, LoginSession.user_id == User.id)
    .where(LoginSession.token_hash == bindparam("digest"), LoginSession.expires_at > bindparam("now"))
    .where(User.active.is_(True))
)


@dataclass(frozen=True)
class SignIn:
    """The sign-in a request's cookie names (its token), not yet looked up: for a hot path that checks it inside its
    own statement (`is_open_for`) instead of loading the user first."""

    token: str

    @property
    def digest(self) -> str:
        return _digest(self.token)


def is_open_for(user_id: ColumnElement[int]) -> ColumnElement[bool]:
    """Whether the sign-in whose digest is bound as "digest" is open now ("now") and is `user_id`'s, an active user:
    what `load_user` asks, as a condition on a row of another statement."""
    return (
        select(LoginSession.id)
        .join(User, User.id == LoginSession.user_id)
        .where(
            LoginSession.token_hash == bindparam("digest"),
            LoginSession.expires_at > bindparam("now", type_=LoginSession.expires_at.type),
            LoginSession.user_id == user_id,
            User.active.is_(True),
        )
        .exists()
    )


def load_user(session: DbSession, token: str, now: datetime) -> User | None:
    """The user of an open sign-in, in one query; None if the sign-in was ended, has expired, or its user is
    suspended."""
    if not token or len(token) > 100:
        return None
    row = session.execute(_OPEN_SIGN_IN, {"digest": _digest(token), "now": now}).first()
    return None if row is None else _attach(row[0], token, row[1])


def is_open(session: DbSession, login_session_id: int | None, now: datetime) -> bool:
    """Whether this sign-in still stands (for connections that outlive a request, such as lecture sockets)."""
    if login_session_id is None:
        return False
    found = session.scalar(
        select(LoginSession.id).where(LoginSession.id == login_session_id, LoginSession.expires_at > now)
    )
    return found is not None


def end(session: DbSession, user: User) -> None:
    """End the sign-in `user` was loaded through (signing out on this device)."""
    if user.login_session_id is not None:
        session.execute(delete(LoginSession).where(LoginSession.id == user.login_session_id))
    access.changed(session, user.id)


def end_all(session: DbSession, user: User, keep_current: bool = False) -> None:
    """End every sign-in of `user`, or every other one than the current (`keep_current`)."""
    stmt = delete(LoginSession).where(LoginSession.user_id == user.id)
    if keep_current and user.login_session_id is not None:
        stmt = stmt.where(LoginSession.id != user.login_session_id)
    session.execute(stmt)
    access.changed(session, user.id)
