"""Transitional: the names packages/views.py still imports from here. What views share now lives in
`lectern.courses.requested` (the course a request names, the file store) and `lectern.courses.forms` (times typed
in the user's timezone). Remove this module once packages/views.py imports from there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from lectern.courses.requested import editable_course, storage

__all__ = ["editable_course", "or_http", "storage"]

T = TypeVar("T")


def or_http(fn: Callable[[], T]) -> T:
    """Run a service call. Its domain errors need no translating any more: the app-wide handler answers them."""
    return fn()
