"""URL converters shared by every area."""

from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.routing import IntegerConverter, Map

# A page number from the address bar must not overflow the database's OFFSET.
MAX_PAGE = 10_000


class IdConverter(IntegerConverter):
    """`<id:name>`: a database id. Numbers beyond a 32-bit key are 404s, not an overflow inside the database."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        super().__init__(url_map, min=1, max=2**31 - 1)


def page_arg() -> int:
    """The `?page=` of a paged list: 1 when missing or not a number, within 1..MAX_PAGE."""
    return min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
