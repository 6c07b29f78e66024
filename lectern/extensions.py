"""Flask extensions, created unbound; `create_app` binds them to an application."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session

# Named constraints, so that Alembic migrations are the same on SQLite and PostgreSQL and can be dropped by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

# Models subclass `Model`. Flask-SQLAlchemy builds `db.Model` at run time, which type checkers cannot follow; to
# them the declarative base it derives from is the same thing.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model

# What services take: a plain session, or Flask-SQLAlchemy's request-scoped `db.session`.
DbSession: TypeAlias = Session | scoped_session[Any]
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address)
socketio = SocketIO()


@event.listens_for(Engine, "connect")
def _sqlite_like_postgresql(dbapi_connection: Any, _record: Any) -> None:
    """Make SQLite behave like PostgreSQL where users would notice: foreign keys enforced, and lower() that knows
    Cyrillic and Latvian letters (SQLite's own folds ASCII only, so a search for "асанов" would miss "Асанов")."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def _lower(value: str | None) -> str | None:
    return value.lower() if isinstance(value, str) else value


_T = TypeVar("_T", int, str)
IN_CHUNK = 1000  # values per IN (...): far below SQLite's bound on parameters


def in_chunks(values: Iterable[_T]) -> Iterator[list[_T]]:
    """The distinct values, sorted, in lists short enough for one IN (...) each."""
    ordered = sorted(set(values))
    for start in range(0, len(ordered), IN_CHUNK):
        yield ordered[start : start + IN_CHUNK]
