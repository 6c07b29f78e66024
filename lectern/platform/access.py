"""`access_changed`: a user's access may have narrowed, so whatever they hold open must be checked again.

Sent for a sign-out (one device or all), a password change, a suspension, a change of role or academy, and by the
areas above for their own reasons (a lecture's host removing someone). It is sent after the transaction that made
the change has committed, never before: a receiver that reads the database again must see the change. The areas
that hold connections open (the lecture sockets of `lectern.webrtc`) connect to it; this area knows none of them.
"""

from __future__ import annotations

from blinker import Namespace
from sqlalchemy import event
from sqlalchemy.orm import Session

from lectern.extensions import DbSession

_signals = Namespace()
# Sent with sender None and the keyword argument `user_ids` (a frozenset of ints), on the committing thread: a
# receiver must not use the session that has just committed, and should hand slow work to another thread.
access_changed = _signals.signal("access-changed")
_PENDING = "lectern_access_changed"


def changed(session: DbSession, *user_ids: int) -> None:
    """Send `access_changed` for these users once `session` commits (nothing if it rolls back)."""
    session.info.setdefault(_PENDING, set()).update(user_ids)


@event.listens_for(Session, "after_commit")
def _send(session: Session) -> None:
    user_ids = session.info.pop(_PENDING, None)
    if user_ids:
        access_changed.send(None, user_ids=frozenset(user_ids))


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)
