"""How the lecture namespace handles an event (namespace.py): the payload parsed, refusals turned into an `error` event
and a failed ack to the sender only, the database session cleaned up; and the names of its rooms and relay lectures.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, cast

from flask_babel import get_locale
from flask_socketio import emit

from lectern import inputs
from lectern.domain import DomainError, Forbidden
from lectern.extensions import db
from lectern.i18n import gettext as _
from lectern.i18n import render
from lectern.webrtc.relay.api import RelayError
from lectern.webrtc.room import signalling
from lectern.webrtc.services import LectureReason

logger = logging.getLogger("lectern.webrtc.room.namespace")
F = TypeVar("F", bound=Callable[..., Any])
_depth = threading.local()


class Refused(Exception):
    """A well-formed message the sender may not send now; the text is shown to them."""


class Final(Refused):
    """A refusal that trying again cannot change (removed, the lecture is over): the ack says `final`, and the
    browser leaves the room with the text instead of showing it as a passing notice."""


def room_of(lecture_id: int) -> str:
    """The Socket.IO room of a lecture."""
    return f"lecture-{lecture_id}"


def relay_id(lecture_id: int, slot: str) -> str:
    """The relay's lecture for a slot: the host's `main` and the floor holder's `floor` publish side by side."""
    return f"{lecture_id}:{slot}"


def hosts_of(lecture_id: int) -> str:
    """The Socket.IO room of those who may remove people from a lecture: they hear of its removals."""
    return f"lecture-{lecture_id}-removals"


@contextmanager
def db_scope() -> Iterator[None]:
    """Remove the session when the outermost handler ends: handler threads are reused. A server-side disconnect
    runs the target's disconnect handler inside ours, on the same session, so only the outermost one removes it."""
    _depth.n = getattr(_depth, "n", 0) + 1
    try:
        yield
    finally:
        _depth.n -= 1
        if _depth.n == 0:
            db.session.remove()


def _refusal(exc: DomainError) -> tuple[str, bool]:
    """What the sender of a message a service refused reads, and whether the refusal is final (see `Final`)."""
    if exc.reason is LectureReason.NO_LECTURE:
        return _("You may not join this lecture."), True
    if exc.reason is LectureReason.OVER:
        return _("This lecture is over."), False
    if exc.reason is LectureReason.CHAT_TEXT:
        return _("This message cannot be sent."), False
    if isinstance(exc, Forbidden):
        return _("not allowed"), False
    return exc.message or _("Something went wrong. Please try again."), False


def _fail(event: str, message: str, *, final: bool = False) -> dict[str, Any]:
    emit("error", {"event": event, "message": message})
    return {"ok": False, "error": message, "final": True} if final else {"ok": False, "error": message}


def handles(event: str) -> Callable[[F], F]:
    """Wrap a handler: parse the payload, turn refusals (the namespace's own and the services' domain errors) into
    an error event and a failed ack, clean up."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def handler(self: Any, data: Any = None, *extra: Any) -> dict[str, Any]:
            with db_scope():
                # The user's language, read now: a refusal below rolls the session back, which expires the user,
                # and translating it then would have to load them again (a refusal during teardown met them
                # detached and failed instead of answering).
                get_locale()
                try:
                    if extra:
                        raise signalling.SignallingError("the message must be one object")
                    # The rule of every HTTP request: text that cannot be stored is refused before anything else.
                    if (problem := inputs.problem_in(data)) is not None:
                        return _fail(event, problem)
                    return cast("dict[str, Any]", fn(self, signalling.parse(event, data)))
                except signalling.SignallingError as exc:
                    return _fail(event, str(exc))
                except Refused as exc:
                    db.session.rollback()
                    return _fail(event, str(exc), final=isinstance(exc, Final))
                except DomainError as exc:
                    db.session.rollback()
                    message, final = _refusal(exc)
                    return _fail(event, message, final=final)
                except RelayError as exc:
                    db.session.rollback()
                    # The relay's reason is for the log; the participant reads a sentence in their language.
                    logger.warning("lecture event %s: the relay refused: %s", event, exc)
                    if exc.text is not None:
                        return _fail(event, render(exc.text))
                    return _fail(event, _("The media connection could not be made. Please try again."))
                except Exception:
                    # Never a stack trace for the user, and the socket stays usable.
                    logger.exception("lecture event %s failed", event)
                    db.session.rollback()
                    return _fail(event, _("Something went wrong. Please try again."))

        return handler  # type: ignore[return-value]

    return wrap
