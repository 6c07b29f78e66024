"""The checks every part of a package's manifest goes through (the course and lessons in packages/manifest.py, the
bank and quizzes in packages/quizzes.py): JSON types, fields, text the database can store, numbers, choices, dates
and paths to members."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast


class _Missing:
    pass


MISSING: Any = _Missing()  # a field the manifest leaves out (null is a value, and a wrong one where text is due)


def path_problem(name: str) -> str | None:
    """Why `name` may not be a path inside a package (a problem code), or None if it may."""
    if "\\" in name or name.startswith("/") or re.match(r"[A-Za-z]:", name) or ".." in name.split("/"):
        return "path_escapes"
    if any(part in ("", ".") for part in name.removesuffix("/").split("/")) or any(ord(c) < 32 for c in name):
        return "bad_path"
    return None


@dataclass
class ManifestChecks:
    """`add(code, where, **params)` records a problem; `members` are the package's readable files and `refused` the
    ones already reported (a reference to those is not reported twice)."""

    add: Callable[..., None]
    members: set[str] | dict[str, Any]
    refused: set[str]

    def typed(self, value: Any, where: str, kind: type, name: str) -> Any:
        """`value` if it is a `kind`; None, reported, if it is something else (null included); None if missing."""
        if value is MISSING:
            return None
        if not isinstance(value, kind):
            self.add("wrong_type", where, expected=name)
            return None
        return value

    def object(self, value: Any, where: str, fields: dict[str, bool]) -> dict[str, Any] | None:
        if (obj := self.typed(value, where, dict, "object")) is None:
            return None
        for key in obj:
            if key not in fields:
                self.add("unknown_field", where, name=str(key)[:100])
        for key, required in fields.items():
            if required and key not in obj:
                self.add("missing_field", where, name=key)
        return cast("dict[str, Any]", obj)

    def check_text(self, value: Any, at: str, max_len: int, empty: bool = False) -> str | None:
        """`value` stripped, if it is text that the database can store within `max_len` characters."""
        if not isinstance(value, str):
            self.add("wrong_type", at, expected="text")
            return None
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            self.add("bad_chars", at)  # unpaired surrogates, which JSON escapes allow
            return None
        if "\x00" in value:
            self.add("bad_chars", at)  # PostgreSQL text cannot hold NUL
        elif not empty and not value.strip():
            self.add("empty", at)
        elif len(value) > max_len:
            self.add("too_long", at, limit=max_len)
        else:
            return value.strip()
        return None

    def member(self, value: Any, at: str, folder: str) -> str | None:
        """A path to another member of the package: safe, in its folder, and present (unless already reported)."""
        if (path := self.check_text(value, at, 1000)) is None:
            return None
        if code := path_problem(path):
            self.add(code, at, path=path)
        elif not path.startswith(folder + "/"):
            self.add("wrong_folder", at, path=path, folder=folder)
        elif path not in self.members:
            if path not in self.refused:
                self.add("missing_file", at, path=path)
        else:
            return path
        return None

    def list_field(self, obj: dict[str, Any], key: str, where: str) -> list[Any] | None:
        """obj[key] if it is a list; None, reported, if it is something else; None if missing."""
        if key not in obj:
            return None
        if not isinstance(obj[key], list):
            self.add("wrong_type", f"{where}.{key}", expected="list")
            return None
        return cast("list[Any]", obj[key])

    def boolean(self, obj: dict[str, Any], key: str, where: str, default: bool) -> bool:
        """obj[key] if it is true or false; `default` when missing, or reported when something else."""
        value = obj.get(key, default)
        if not isinstance(value, bool):
            self.add("wrong_type", f"{where}.{key}", expected="bool")
            return default
        return value

    def number(
        self, obj: dict[str, Any], key: str, where: str, low: float, high: float, *, whole: bool = False
    ) -> float | None:
        """obj[key] if it is a number within [low, high] (a whole one if `whole`); None when null or missing."""
        value = obj.get(key)
        if value is None:
            return None
        wrong = isinstance(value, bool) or not isinstance(value, int | float)
        if not wrong and whole and not isinstance(value, int):
            wrong = not (isinstance(value, float) and math.isfinite(value) and value.is_integer())
        if wrong:
            self.add("wrong_type", f"{where}.{key}", expected="integer" if whole else "number")
            return None
        if not (math.isfinite(value) and low <= value <= high):
            self.add("out_of_range", f"{where}.{key}", low=_shown(low), high=_shown(high))
            return None
        return float(value)

    def choice(self, obj: dict[str, Any], key: str, where: str, choices: tuple[str, ...], default: str) -> str:
        """obj[key] if it is one of `choices`; `default` when missing, or reported when something else."""
        if key not in obj:
            return default
        value = obj[key]
        if not isinstance(value, str) or value not in choices:
            self.add("bad_choice", f"{where}.{key}", value=str(value)[:100], choices=", ".join(choices))
            return default
        return value

    def timestamp(self, obj: dict[str, Any], key: str, where: str) -> datetime | None:
        """obj[key] as an aware UTC instant, if it is ISO 8601 text with a timezone; None when null or missing."""
        value = obj.get(key)
        if value is None:
            return None
        try:
            if not isinstance(value, str):
                raise ValueError
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                raise ValueError
            return parsed.astimezone(UTC)
        except (ValueError, OverflowError):
            self.add("bad_date", f"{where}.{key}", value=str(value)[:100])
            return None


def _shown(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
