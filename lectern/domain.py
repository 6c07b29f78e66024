"""The one family of domain errors. Services raise them; one app-wide handler (`lectern.errors`) turns them into
404, 403, 422 and 409 pages or JSON, and the lecture namespace into an `error` event.

Each error carries a reason, a member of an area's `Reason` enum (what went wrong, for code and tests to tell cases
apart), its parameters (the field, the line, the limit), and optionally the sentence the user reads (translated by
the raiser, or lazily). No Flask here: pure modules and services raise these too.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar


class Reason(StrEnum):
    """Reasons that any area may give. Areas define their own `StrEnum`s beside their services."""

    NOT_FOUND = "not_found"  # no such object, or the user may not know that it exists
    FORBIDDEN = "forbidden"  # the user knows the object but may not do this
    INVALID = "invalid"  # a value is wrong; `field` says which
    CONFLICT = "conflict"  # the object's state does not allow this now (a duplicate, a finished attempt)


class DomainError(Exception):
    """Base of the family. `status` is the HTTP status the app-wide handler answers with."""

    status: ClassVar[int] = 400
    default_reason: ClassVar[StrEnum] = Reason.INVALID

    def __init__(self, reason: StrEnum | None = None, message: str | None = None, **params: Any) -> None:
        self.reason: StrEnum = reason if reason is not None else self.default_reason
        self.message = message
        self.params = params
        super().__init__(message if message is not None else str(self.reason))

    @property
    def field(self) -> str | None:
        """The form field or column at fault, where there is one."""
        value = self.params.get("field")
        return str(value) if value is not None else None


class NotFound(DomainError):
    """No such object, or the user may not know that it exists: 404."""

    status = 404
    default_reason = Reason.NOT_FOUND


class Forbidden(DomainError):
    """The user may know the object but may not do this: 403."""

    status = 403
    default_reason = Reason.FORBIDDEN


class Invalid(DomainError):
    """A value the user gave is wrong (`field` names it): 422."""

    status = 422
    default_reason = Reason.INVALID


class Conflict(DomainError):
    """The request is valid but the state of things does not allow it now: 409."""

    status = 409
    default_reason = Reason.CONFLICT
