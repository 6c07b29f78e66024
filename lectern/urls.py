"""What every area reads from a URL or a form the same way: ids, page numbers, search text."""

from __future__ import annotations

from typing import Any

from flask import abort, request
from werkzeug.routing import IntegerConverter, Map

# A page number from the address bar must not overflow the database's OFFSET.
MAX_PAGE = 10_000
# Database ids are 32-bit integers: a bigger number from a URL or a form is an overflow inside the database.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<id:name>`: a database id. Numbers beyond a 32-bit key are 404s, not an overflow inside the database."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        super().__init__(url_map, min=1, max=MAX_ID)


def page_arg() -> int:
    """The `?page=` of a paged list: 1 when missing or not a number, within 1..MAX_PAGE."""
    return min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)


def page_count(total: int, per_page: int) -> int:
    """How many pages a list of `total` items fills (at least one, for the empty list's page)."""
    return max((total + per_page - 1) // per_page, 1)


def is_id(value: int | None) -> bool:
    return value is not None and 0 < value <= MAX_ID


def form_id(name: str) -> int:
    """A database id from the posted form; 400 when it is missing, not a number or out of range."""
    value = request.form.get(name, type=int)
    if not is_id(value):
        abort(400)
    return value  # type: ignore[return-value]


def form_ids(name: str) -> list[int]:
    """The database ids posted under `name` (a list of ticks), in order, once each; what is not one is left out."""
    return sorted({i for i in request.form.getlist(name, type=int) if is_id(i)})


def search_arg(limit: int = 100) -> str:
    """The `?q=` of a search box, trimmed to `limit` characters. A NUL character, which PostgreSQL refuses in text,
    is dropped: a pasted one must not be a server error."""
    return request.args.get("q", "").replace("\x00", "").strip()[:limit]
