"""Fixtures shared by every test: an application on each database backend, clients, and model factories.

Database tests run once on SQLite and once on PostgreSQL: the `database` fixture is parametrised by backend,
and everything that touches the database depends on it through `app`. With pytest-xdist every worker has its
own SQLite file and its own PostgreSQL schema.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import itsdangerous
import jinja2
import jinja2.bccache
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from werkzeug.routing import Rule

from lectern import create_app
from lectern.cli import load_demo_data
from lectern.extensions import db
from lectern.platform.models import Role, User
from tests import factories

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = [b.strip() for b in os.environ.get("LECTERN_TEST_BACKENDS", "sqlite,postgresql").split(",") if b.strip()]
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@dataclass
class Database:
    backend: str
    url: str
    engine_options: dict[str, Any] = field(default_factory=dict)


@sa.event.listens_for(Engine, "connect")
def _sqlite_without_fsync(dbapi_connection: Any, _record: Any) -> None:
    """Test databases need not survive a power cut: SQLite neither syncs to disk nor writes a rollback journal file,
    so each of the many small commits a test makes costs no disk flush. (Runs after the application's own connect
    hook; a server started in a subprocess, as the durability tests start one, keeps SQLite's defaults.)"""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA journal_mode=MEMORY")
        cursor.close()


def _compile_url_builders_once() -> None:
    """Every test makes an application, and making one compiles Python source for a URL builder per route (about
    120 routes, twice each): three quarters of create_app's time. A builder's code depends only on its rule (the
    text, its variables in order, their defaults), never on the application, so compile each once per process.
    The cache changes no result: the same code, bound to each new rule as Werkzeug binds it. Without the private
    method (another Werkzeug) nothing is cached and the suite is only slower."""
    original = getattr(Rule, "_compile_builder", None)
    if original is None:
        return
    built: dict[tuple[Any, ...], Any] = {}

    def compile_builder(self: Rule, append_unknown: bool = True) -> Any:
        defaults = repr(sorted((self.defaults or {}).items()))
        converters = repr(sorted((name, type(c).__qualname__) for name, c in self._converters.items()))
        key = (self.rule, self.subdomain, self.host, tuple(self._trace), defaults, converters, append_unknown)
        if key not in built:
            built[key] = original(self, append_unknown)
        return built[key]

    Rule._compile_builder = compile_builder  # type: ignore[method-assign]


_compile_url_builders_once()


def _pg_reachable(url: str) -> str | None:
    try:
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except sa.exc.OperationalError as exc:
        return str(exc).splitlines()[0]
    return None


_PG_PROBLEM: str | None = None
if "postgresql" in BACKENDS:
    _PG_PROBLEM = _pg_reachable(os.environ.get("TEST_DATABASE_URL", DEFAULT_PG_URL))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without CI, a developer with no PostgreSQL runs the SQLite half and is told so; in CI it fails."""
    if _PG_PROBLEM is None or IN_CI:
        return
    keep, drop = [], []
    for item in items:
        (drop if _backend_of(item.nodeid) == "postgresql" else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _backend_of(nodeid: str) -> str | None:
    match = re.search(r"\[(?:[^\]]*-)?(sqlite|postgresql)(?:-[^\]]*)?\]$", nodeid)
    return match.group(1) if match else None


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    ran: Counter[str] = Counter()
    for outcome in ("passed", "failed", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            if getattr(report, "when", "call") == "call" or outcome == "error":
                ran[_backend_of(report.nodeid) or "no database"] += 1
    terminalreporter.write_sep("-", "tests run per database")
    for name in ("sqlite", "postgresql", "no database"):
        terminalreporter.write_line(f"{name:>12}: {ran.get(name, 0)}")
    if _PG_PROBLEM is not None and not IN_CI:
        terminalreporter.write_line(f"PostgreSQL unreachable, its runs were deselected: {_PG_PROBLEM}")


@pytest.fixture(scope="session", params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """One schema per backend (and per xdist worker), created from the models once per session."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "test.db"
        database = Database("sqlite", f"sqlite:///{path}")
    elif request.param == "postgresql":
        if _PG_PROBLEM is not None:
            pytest.fail(f"PostgreSQL is unreachable and CI is set: {_PG_PROBLEM}", pytrace=False)
        schema = f"lectern_test_{worker}_{os.getpid()}"  # concurrent runs on one server must not collide
        url = os.environ.get("TEST_DATABASE_URL", DEFAULT_PG_URL)
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        # A commit need not wait for its WAL flush in tests (a server crash may lose the last ones; no test makes
        # one). A session setting: the server's and production's settings are unchanged.
        options = f"-csearch_path={schema} -csynchronous_commit=off"
        database = Database("postgresql", url, {"connect_args": {"options": options}})
    else:
        raise pytest.UsageError(f"unknown backend {request.param!r} in LECTERN_TEST_BACKENDS")
    app = _make_app(database, tmp_path_factory.mktemp("instance"))
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    yield database
    if request.param == "postgresql":
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def _make_app(database: Database, instance: Path, **overrides: Any) -> Flask:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "INSTANCE_PATH": str(instance),
        "LECTERN_STORAGE": str(instance / "storage"),
        "SQLALCHEMY_DATABASE_URI": database.url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, **database.engine_options},
        "REDIS_URL": None,
        "RATELIMIT_STORAGE_URI": "memory://",
        "LECTERN_LOGIN_RATE_LIMIT": "1000 per minute",
        "LECTERN_LOGIN_USER_RATE_LIMIT": "1000 per minute",
    }
    config.update(overrides)
    app = create_app(config)
    app.jinja_env.bytecode_cache = _TEMPLATE_CODE
    return app


class _CompiledTemplates(jinja2.BytecodeCache):
    """Jinja's compiled templates, kept in memory for the whole process.

    Each test makes its own application, whose Jinja environment compiled every template it rendered again: on
    each test's first requests most of the time went to parsing base.html and the page's templates. Jinja keys
    the cache by template and checks the source's checksum; all the applications come from one create_app, so
    their environments compile a template to the same code."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if (code := self._code.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_TEMPLATE_CODE = _CompiledTemplates()


def _clear(app: Flask) -> None:
    """Empty every table, dependants first, and start the ids again at 1 on both backends (SQLite reuses the ids
    of an emptied table by itself).

    On PostgreSQL, DELETE and resetting the sequences, in one server-side block, take a few milliseconds where
    TRUNCATE ... RESTART IDENTITY took half a second: TRUNCATE makes new files for every table and index."""
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            tables = list(reversed(db.metadata.sorted_tables))
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(_pg_clear_block(tables, conn.dialect))
            else:
                for table in tables:
                    conn.execute(table.delete())
        db.engine.dispose()


def _pg_clear_block(tables: list[sa.Table], dialect: sa.Dialect) -> str:
    """One PL/pgSQL block: DELETE from each table in this order, then every id sequence back to 1."""

    def sql(clause: Any) -> str:
        return str(clause.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))

    def restart(table: sa.Table, column: sa.Column[Any]) -> str:
        name = sa.literal(dialect.identifier_preparer.quote(table.name), sa.String())
        sequence = sa.func.pg_get_serial_sequence(name, sa.literal(column.name, sa.String()))
        return f"PERFORM {sql(sa.func.setval(sequence, 1, False))};"

    deletes = [f"{sql(t.delete())};" for t in tables]
    restarts = [restart(t, t.autoincrement_column) for t in tables if t.autoincrement_column is not None]
    return "DO $$ BEGIN " + " ".join(deletes + restarts) + " END $$"


@pytest.fixture
def app_factory(database: Database, tmp_path: Path) -> Iterator[Any]:
    """Make an application with extra configuration (rate limits, Redis) on the test's database."""
    made: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        app = _make_app(database, tmp_path / f"instance{len(made)}", **overrides)
        made.append(app)
        return app

    yield make
    ours = [a for a in made if a.config["SQLALCHEMY_DATABASE_URI"] == database.url]
    if ours:
        _clear(ours[0])
    for app in made:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(app_factory: Any) -> Flask:
    return app_factory()  # type: ignore[no-any-return]


class Client(FlaskClient):
    """A test client that fills in the CSRF token the way a browser does: from a page with a form on it.

    Flask-WTF's token stays valid as long as the session's CSRF secret does (WTF_CSRF_TIME_LIMIT is None), so a
    page is read for it once per secret, not before every POST: again only when the session has a new secret (a
    sign-in clears the session) or none yet."""

    _TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
    _token: tuple[str, str] | None = None  # (the session's CSRF secret, a form token made from it)

    def open(self, *args: Any, **kwargs: Any) -> Any:
        response = super().open(*args, **kwargs)
        # Werkzeug closes a large request body (spooled to a temporary file) only when following redirects.
        if response.request is not None:
            response.request.input_stream.close()
        return response

    def csrf_token(self, page: str = "/login") -> str:
        """A CSRF token for this session: the one read before if the session's secret is unchanged, else the one
        in the form on `page` (or on the sign-in page, where `page` has no form)."""
        secret = self._csrf_secret()
        if secret is not None and self._token is not None and self._token[0] == secret:
            return self._token[1]
        html = self.get(page).get_data(as_text=True)
        match = self._TOKEN.search(html)
        if match is None:
            html = self.get("/login").get_data(as_text=True)
            match = self._TOKEN.search(html)
        assert match, "no CSRF token found"
        secret = self._csrf_secret()
        self._token = None if secret is None else (secret, match.group(1))
        return match.group(1)

    def _csrf_secret(self) -> str | None:
        """The CSRF secret in the session cookie (Flask's signed-cookie session), or None."""
        app: Flask = self.application  # type: ignore[assignment]
        cookie = self.get_cookie(app.config["SESSION_COOKIE_NAME"])
        serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
        if cookie is None or serializer is None:
            return None
        try:
            session = serializer.loads(cookie.value)
        except itsdangerous.BadSignature:
            return None
        secret = session.get(app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
        return secret if isinstance(secret, str) else None

    def submit(self, url: str, data: dict[str, Any] | None = None, *, page: str | None = None, **kwargs: Any) -> Any:
        """POST `data` to `url` as the form on `page` (default: `url` itself) would."""
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token(page or url))
        return self.post(url, data=data, **kwargs)

    def login(self, username: str, password: str = factories.PASSWORD, **kwargs: Any) -> Any:
        return self.submit("/login", {"username": username, "password": password}, **kwargs)


@pytest.fixture
def client(app: Flask) -> Client:
    app.test_client_class = Client
    return app.test_client()  # type: ignore[return-value]


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def make(app: Flask) -> factories.Factory:
    return factories.Factory(app)


@dataclass
class DemoSite:
    """An application holding the demo data (`flask lectern demo-data`), loaded once per test module."""

    app: Flask
    passwords: dict[str, str]  # username -> password of every demo user
    by_role: dict[Role, list[str]]  # the demo users of each site role

    def client(self, username: str | None = None) -> Client:
        """A client signed in as the demo user `username` (anonymous for None)."""
        self.app.test_client_class = Client
        client: Client = self.app.test_client()  # type: ignore[assignment]
        if username is not None:
            response = client.login(username, self.passwords[username])
            assert response.status_code == 302, f"{username} could not sign in"
        return client


@pytest.fixture(scope="module")
def demo_site(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSite]:
    """The demo data, loaded once for the module's tests (they must leave it usable for one another). The users'
    languages are cleared, so each request picks its language with Accept-Language."""
    app = _make_app(database, tmp_path_factory.mktemp("demo"), PROPAGATE_EXCEPTIONS=False)  # the crawl counts 500s
    with app.app_context():
        credentials, _courses, _lectures = load_demo_data()
        db.session.execute(sa.update(User).values(language=None))
        db.session.commit()
    by_role: dict[Role, list[str]] = {role: [] for role in Role}
    for credential in credentials:
        by_role[credential.role].append(credential.username)
    yield DemoSite(app, {c.username: c.password for c in credentials}, by_role)
    _clear(app)
