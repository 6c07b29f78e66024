"""Parts of pages that many readers share, made once and kept in memory, and the generation that makes every one of
them stale the moment what they show changes.

A part that is the same for everyone who may see it (the catalogue's listing for the cadets of one academy in one
language, a course's header) is kept by `shared()` in a bounded LRU of the process, under a key that holds
everything it depends on and the current *generation*. Whatever changes the data such parts are made of (the
models an area adds to `WATCHED`: courses, their sharing, categories, academies...) bumps the generation once its
transaction commits, wherever it was made (a page, a job, the command line), and is not marked by hand: a flush
or a bulk statement that touches a watched model is enough. From the next request on, every key is new: nothing
made before the change is found again. A part is made from data read after the generation was (each statement
sees what was committed before it: PostgreSQL's READ COMMITTED, SQLite's statements outside a write), and the
generation moves only after the commit, so no part is ever kept under a generation newer than its data.

The generation lives where every process of a deployment sees it: in Redis when REDIS_URL is set (several web
instances, their job workers); otherwise in a file of the instance folder, shared by the web process, the job
worker that `make run` starts beside it and the command line (one machine, as the job queue without Redis). It is
read once per request, when a page first needs it. If it cannot be read (Redis down), nothing is cached or served
from the cache for that request; entries also expire after MAX_AGE_S, a bound on what a lost bump could cost.

Only plain values and markup go in here (never ORM objects: they belong to one request's session), and never what
is one user's own (enrolled badges, progress, "continue" links): a page fills those in itself, for instance into
the holes of a shared `Fragment`.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

from flask import Flask, current_app, g, has_app_context
from markupsafe import Markup, escape
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from lectern.registry import Slot, registry

log = logging.getLogger(__name__)

T = TypeVar("T")

# The models whose changes make shared parts stale; the areas whose pages show them add them here.
WATCHED: Slot[type[Any]] = Slot("platform.cache.watched")

SIZE = 4096  # entries per process: a catalogue page for each academy, language and filter, course headers...
MAX_AGE_S = 600.0
REDIS_KEY = "lectern:page-cache:generation"
FILE_NAME = "page-cache.generation"

_EXTENSION = "lectern.cache"
_PENDING = "lectern_cache_changed"  # session.info: the cache whose generation the commit bumps
_GENERATION = "lectern_cache_generation"  # g: the generation read for this request
_MISSING: Any = object()


class Generations(Protocol):
    """Where a deployment keeps its generation."""

    def read(self) -> str | None:
        """The current generation; None when it cannot be read (then nothing is cached)."""

    def bump(self) -> None:
        """Move to a generation never seen before."""


class FileGenerations:
    """The generation as the length of a file that each bump lengthens by one byte: one `stat` per request, and a
    number that only grows (a modification time alone could repeat within the clock's tick). Its inode and time
    are part of it too, so a file removed and made again never gives back a generation seen before."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> str | None:
        try:
            try:
                found = os.stat(self.path)
            except FileNotFoundError:
                self._append(b"")
                found = os.stat(self.path)
        except OSError:
            log.warning("page cache: %s unreadable, pages are made without the cache", self.path, exc_info=True)
            return None
        return f"f{found.st_ino}.{found.st_size}.{found.st_mtime_ns}"

    def bump(self) -> None:
        try:
            self._append(b".")
        except OSError:
            # Other processes keep what they have for at most MAX_AGE_S; this one has emptied its own.
            log.error("page cache: the generation could not be bumped in %s", self.path, exc_info=True)

    def _append(self, data: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "ab") as file:
            file.write(data)


class RedisGenerations:
    """The generation as a counter in Redis, which every web instance and worker reads. A counter that is missing
    (a new deployment, a Redis restarted empty) starts again from a random number, never from one that an
    instance may still hold entries under."""

    def __init__(self, url: str, key: str = REDIS_KEY) -> None:
        import redis  # here only: a deployment without Redis needs no client

        self.key = key
        self.errors: tuple[type[Exception], ...] = (redis.RedisError, OSError)
        self.client = redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)

    def read(self) -> str | None:
        try:
            value = self.client.get(self.key)
            if value is None:
                self.client.set(self.key, secrets.randbits(48), nx=True)
                value = self.client.get(self.key)
        except self.errors:
            log.warning("page cache: Redis unreadable, pages are made without the cache", exc_info=True)
            return None
        return "r" + (value.decode() if isinstance(value, bytes) else str(value))

    def bump(self) -> None:
        try:
            self.client.set(self.key, secrets.randbits(48), nx=True)
            self.client.incr(self.key)
        except self.errors:
            # Other instances keep what they have for at most MAX_AGE_S; this one has emptied its own.
            log.error("page cache: the generation could not be bumped in Redis", exc_info=True)


class Lru:
    """A bounded, thread-safe map that forgets its least recently used entries first, and entries older than
    `max_age` seconds."""

    def __init__(self, size: int = SIZE, max_age: float = MAX_AGE_S) -> None:
        self.size = size
        self.max_age = max_age
        self._items: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        """The value kept under `key`, or `_MISSING`."""
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return _MISSING
            if time.monotonic() - found[0] > self.max_age:
                del self._items[key]
                return _MISSING
            self._items.move_to_end(key)
            return found[1]

    def put(self, key: Hashable, value: Any) -> None:
        """Keep `value` under `key`, forgetting the least recently used entry beyond `size`."""
        with self._lock:
            self._items[key] = (time.monotonic(), value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


class PageCache:
    """One application's cache: its entries and the store of its generation."""

    def __init__(self, generations: Generations, size: int = SIZE) -> None:
        self.generations = generations
        self.entries = Lru(size)
        self.constants = Lru(size, max_age=float("inf"))

    def bump(self) -> None:
        """The data changed: a new generation for every process, and this one's entries go at once."""
        self.entries.clear()
        self.generations.bump()


_making = threading.Lock()


def page_cache(app: Flask | None = None) -> PageCache:
    """The cache of `app` (the current application by default), made on first use from its configuration."""
    app = app or cast(Flask, current_app._get_current_object())  # type: ignore[attr-defined]
    found = app.extensions.get(_EXTENSION)
    if found is None:
        with _making:
            found = app.extensions.get(_EXTENSION)
            if found is None:
                url = app.config.get("REDIS_URL")
                generations: Generations = (
                    RedisGenerations(url) if url else FileGenerations(Path(app.instance_path) / FILE_NAME)
                )
                found = app.extensions[_EXTENSION] = PageCache(generations)
    return cast(PageCache, found)


def generation() -> str | None:
    """This request's generation (read once per request); None when it cannot be read."""
    found = g.get(_GENERATION, _MISSING)
    if found is _MISSING:
        found = page_cache().generations.read()
        setattr(g, _GENERATION, found)
    return cast("str | None", found)


def shared(key: Hashable, make: Callable[[], T]) -> T:
    """The value under `key` in this generation, made by `make()` if there is none yet. `key` must hold all that
    the value depends on besides the watched data (who may see it, the language, the filters...)."""
    current = generation()
    if current is None:
        return make()
    entries = page_cache().entries
    full = (current, key)
    found = entries.get(full)
    if found is _MISSING:
        found = make()
        entries.put(full, found)
    return cast(T, found)


def constant(key: Hashable, make: Callable[[], T]) -> T:
    """A value that only a new deployment changes (a translated label, an address of the application), made once
    per process and `key`."""
    constants = page_cache().constants
    found = constants.get(key)
    if found is _MISSING:
        found = make()
        constants.put(key, found)
    return cast(T, found)


# --- invalidation -------------------------------------------------------------------------------------------------


def changed(session: Session) -> None:
    """Bump the generation once `session` commits (nothing if it rolls back). Flushes and bulk statements on the
    WATCHED models call this by themselves; a change the database makes some other way calls it by hand."""
    session.info[_PENDING] = page_cache()


def _watched() -> tuple[type[Any], ...]:
    return tuple(registry().items(WATCHED)) if has_app_context() else ()


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: UOWTransaction) -> None:
    # After the flush the session's new, dirty and deleted objects are still those it has just written.
    if _PENDING in session.info:
        return
    watched = _watched()
    if watched and any(isinstance(obj, watched) for obj in _written(session)):
        changed(session)


def _written(session: Session) -> Iterable[object]:
    yield from session.new
    yield from session.dirty
    yield from session.deleted


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    # Bulk INSERT, UPDATE and DELETE statements write without the unit of work.
    if not (state.is_insert or state.is_update or state.is_delete) or _PENDING in state.session.info:
        return
    table = getattr(getattr(state.statement, "table", None), "name", None)
    if table is not None and any(getattr(model, "__tablename__", None) == table for model in _watched()):
        changed(state.session)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    cache = session.info.pop(_PENDING, None)
    if cache is None:
        return
    cache.bump()
    if has_app_context():
        g.pop(_GENERATION, None)  # the rest of this request sees the change too


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)


# --- fragments with holes -----------------------------------------------------------------------------------------

_HOLE = re.compile(r"<!--lectern-hole:([a-z0-9:_-]+)-->")


def hole(name: str) -> Markup:
    """A place in a shared fragment that each request fills with its own markup (`Fragment.fill`). Only a template
    makes one: text from users is escaped (and Markdown sanitised) before it reaches the page, so it cannot."""
    if not _HOLE.fullmatch(f"<!--lectern-hole:{name}-->"):
        raise ValueError(f"not a hole name: {name!r}")
    return Markup(f"<!--lectern-hole:{escape(name)}-->")  # noqa: S704 - checked just above


@dataclass(frozen=True)
class Fragment:
    """Markup made once for many readers, cut at its holes: `parts` alternates markup and hole names."""

    parts: tuple[str, ...]

    @classmethod
    def of(cls, html: str) -> Fragment:
        """The fragment of markup that a template made with `hole()` in it."""
        return cls(tuple(_HOLE.split(html)))

    def fill(self, holes: Mapping[str, str]) -> Markup:
        """The markup with each hole replaced by what `holes` gives it, escaped unless it is Markup (the empty
        string where it gives nothing)."""
        parts = self.parts
        out = list(parts)
        # Most holes of a page are left empty (lessons not done): those cost no call. A page fills every time.
        for i in range(1, len(parts), 2):
            value = holes.get(parts[i])
            out[i] = value if isinstance(value, Markup) else escape(value) if value else ""
        return Markup("".join(out))  # noqa: S704 - markup from templates, and the holes' text escaped
