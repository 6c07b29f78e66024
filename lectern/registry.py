"""How a lower area shows a higher area's data without importing it: one registry per application.

The lower area declares a `Slot` where its page or its logic takes contributions (the home page's panels, a course
page's side column, the header's links, the users CSV's course columns); each higher area adds to it in its
`init_app`. Because the registry lives in `app.extensions`, every application (tests make many) has its own, and
nothing is kept in module-level lists. Events go through Blinker signals instead (a cohort's members changing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from flask import Flask, current_app

T = TypeVar("T")
_KEY = "lectern.registry"


@dataclass(frozen=True)
class Slot(Generic[T]):
    """A named place that takes contributions of type `T`, declared by the area that owns it."""

    name: str


class Registry:
    """The contributions of one application, by slot, in the order they were added."""

    def __init__(self) -> None:
        self._items: dict[str, list[Any]] = {}

    def add(self, slot: Slot[T], item: T, *, first: bool = False) -> None:
        """Contribute `item` (once, however often asked); `first` puts it before what was added earlier."""
        items = self._items.setdefault(slot.name, [])
        if item not in items:
            items.insert(0 if first else len(items), item)

    def items(self, slot: Slot[T]) -> list[T]:
        """What was contributed to `slot`, in order."""
        return cast("list[T]", list(self._items.get(slot.name, ())))


def init_app(app: Flask) -> None:
    app.extensions[_KEY] = Registry()


def registry(app: Flask | None = None) -> Registry:
    """The registry of `app`, or of the current application."""
    return cast(Registry, (app or current_app).extensions[_KEY])
