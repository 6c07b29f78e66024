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
    """`<id:name>`: a database id. Numbers beyond a 32-bit key are 404s, not an overflow inside the database;
    so are digits other than 0-9 (Python's `\\d` takes "١٢", which int() reads as 12)."""

    regex = r"[0-9]+"

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


def parse_count(raw: object, limit: int) -> int | None:
    """The whole number 0 <= n < `limit` written in `raw` with the digits 0-9 only, or None when it is not one.

    str.isdigit() takes "²" (which int() refuses) and int() takes " 12", "1_2" and "١٢": neither is the rule."""
    if not isinstance(raw, str) or not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(limit)):
        return None
    value = int(raw)
    return value if value < limit else None


def parse_id(raw: object) -> int | None:
    """The database id written in `raw` (a URL or form value), or None when it is not one."""
    value = parse_count(raw, MAX_ID + 1)
    return value if is_id(value) else None


def arg_id(name: str) -> int | None:
    """A database id from the query string (a filter such as `?academy=`); None when missing or not an id."""
    return parse_id(request.args.get(name))


def form_id(name: str) -> int:
    """A database id from the posted form; 400 when it is missing, not a number or out of range."""
    value = parse_id(request.form.get(name))
    if value is None:
        abort(400)
    return value


def form_ids(name: str) -> list[int]:
    """The database ids posted under `name` (a list of ticks), in the order given, once each; what is not an id is
    left out."""
    return list(dict.fromkeys(i for i in map(parse_id, request.form.getlist(name)) if i is not None))


def search_arg(limit: int = 100) -> str:
    """The `?q=` of a search box, trimmed to `limit` characters (text that cannot be stored never gets here:
    lectern.inputs answers it with a 400)."""
    return request.args.get("q", "").strip()[:limit]
