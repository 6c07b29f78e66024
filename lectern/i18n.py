"""Flask-Babel's message functions with their types kept (Flask-Babel ships no type information), so that strict
mypy sees a `str` where a translated sentence is returned. Babel extracts by these names (babel.cfg)."""

from __future__ import annotations

from typing import Any, cast

import flask_babel
from flask_babel import LazyString

from lectern.texts import Text


def gettext(string: str, **variables: Any) -> str:
    """The sentence in the request's language."""
    return cast(str, flask_babel.gettext(string, **variables))


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """The singular or plural sentence for `num`, in the request's language."""
    return cast(str, flask_babel.ngettext(singular, plural, num, **variables))


def lazy_gettext(string: str, **variables: Any) -> LazyString:
    """A sentence translated when it is shown (module-level labels, form labels)."""
    return cast(LazyString, flask_babel.lazy_gettext(string, **variables))


def render(text: Text | str) -> str:
    """A Text (`lectern.texts`) in the request's language, its Text parameters translated too; a str as it is."""
    return text.in_language(flask_babel.gettext) if isinstance(text, Text) else text
