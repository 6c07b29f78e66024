"""Input that no view can use, refused once, before any view runs: text that cannot be stored, JSON too deep.

PostgreSQL refuses a NUL character in text, and a lone surrogate (which JSON's "\\ud800" escape makes) is not
UTF-8 at all: a field holding either would fail deep inside a view, a form or the database. Every query string,
form, uploaded file name, path parameter and JSON body is checked here, and Socket.IO events use the same rule."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Flask, request
from werkzeug.exceptions import RequestEntityTooLarge

from lectern.errors import BadInput
from lectern.i18n import gettext as _

# Deeper than any answer or message we take (a matching answer is two levels), far below Python's recursion limit.
MAX_JSON_DEPTH = 16
# The longest answer (an essay of 200,000 characters) written with JSON's six-character escapes, and some room.
MAX_JSON_BYTES = 2 * 2**20


def storable(text: str) -> bool:
    """Whether `text` can be stored: no NUL character and no lone surrogate."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shown(name: str) -> str:
    """A field name fit to be shown in a message, even when the bad character is in the name itself."""
    return name.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")[:60]


class TooDeep(ValueError):
    """Data nested more than MAX_JSON_DEPTH levels deep."""


def unstorable_field(value: Any, name: str = "") -> str | None:
    """The name (dotted for nested JSON) of the first text in `value` that cannot be stored; None when all can.

    `value` is a string or what JSON decodes to; a key that cannot be stored counts as its own field. Raises
    TooDeep for data nested deeper than MAX_JSON_DEPTH."""
    for path, text in _texts(value, name, 0):
        if not storable(text):
            return path
    return None


def _texts(value: Any, path: str, depth: int) -> Iterator[tuple[str, str]]:
    if depth > MAX_JSON_DEPTH:
        raise TooDeep()
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            yield inner, str(key)
            yield from _texts(item, inner, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _texts(item, f"{path}.{index}" if path else str(index), depth + 1)


def too_deep_message() -> str:
    return _("The data is nested more than %(depth)d levels deep.", depth=MAX_JSON_DEPTH)


def unstorable_message(field: str) -> str:
    """What the sender is told about a field whose text cannot be stored."""
    return _(
        "The field “%(name)s” contains a character that cannot be saved (a NUL character or a broken "
        "Unicode character). Remove it and send again.",
        name=shown(field),
    )


def problem_in(value: Any) -> str | None:
    """What is wrong with `value` (a string or decoded JSON) as the sender is told it, or None when it can be
    stored. The rule of every request, for channels that are not requests (Socket.IO events)."""
    try:
        field = unstorable_field(value)
    except TooDeep:
        return too_deep_message()
    return None if field is None else unstorable_message(field)


def _request_fields() -> Iterator[tuple[str, str]]:
    """Every (field name, text) of the request, the names themselves included."""
    for key, value in (request.view_args or {}).items():
        yield key, str(value)
    for source in (request.args, request.form):
        for key, text in source.items(multi=True):
            yield key, key
            yield key, text
    for key, upload in request.files.items(multi=True):
        yield key, key
        yield key, upload.filename or ""


def check_request() -> None:
    """Answer 400 (naming the field) for text that cannot be stored anywhere in the request, and 400 or 413 for a
    JSON body nested too deep or too large, before any view parses it (json.loads recurses: a RecursionError)."""
    if request.is_json:
        # Browsers send a length with every JSON body; one sent without (chunked) is bounded by MAX_CONTENT_LENGTH.
        if (request.content_length or 0) > MAX_JSON_BYTES:
            raise RequestEntityTooLarge()
        try:
            data = request.get_json(silent=True)  # parsed once: the view gets this same object from the cache
        except RecursionError:
            raise BadInput(too_deep_message()) from None
        if (problem := problem_in(data)) is not None:
            raise BadInput(problem)
    for name, text in _request_fields():
        if not storable(text):
            raise BadInput(unstorable_message(name))


def init_app(app: Flask) -> None:
    app.before_request(check_request)
