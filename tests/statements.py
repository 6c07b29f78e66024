"""Counting the database statements a page runs: the tests that hold a page's statements constant (whatever the
number of courses, lessons or attempts) use this one counter."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from lectern.extensions import db


def count_statements(app: Any, client: Any, path: str) -> int:
    """The statements `client` GET `path` runs (it must answer 200)."""
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def listener(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(seen)
