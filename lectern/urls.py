"""URL converters shared by every area."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map


class IdConverter(IntegerConverter):
    """`<id:name>`: a database id. Numbers beyond a 32-bit key are 404s, not an overflow inside the database."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        super().__init__(url_map, min=1, max=2**31 - 1)
