"""Requests take turns to run their Python in a web process: the request gate.

A web instance is one gunicorn `gthread` worker (DESIGN.md section 1): many threads, one interpreter lock. When
several requests run at once, every moment one of them lets the lock go (each SQLite step, each stat, each socket
write) another takes it, and the first waits to get it back: a page pays for dozens of thread switches (kernel time,
cold caches), more the more work it does. With 16 connections on the catalogue, a page cost 3.4 ms of the worker's
CPU against 1.6 ms with one connection. So the HTTP requests of a process take turns: one holds the gate while its
Python runs, and the others wait on the gate (one sleeping thread each), not on the interpreter lock.

What waits on something slow lets the gate go meanwhile (`outside_gate`): hashing a password (scrypt, about 100 ms,
without the interpreter lock, so pages go on beside it on another core), a call to a relay process, rendering
slides. Socket.IO never meets the gate: its middleware wraps this one (a WebSocket's thread stays in the app for the
connection's life). A request whose body is larger than `BODY_LIMIT` (an upload, which the client sends at its own
pace) runs beside the others, as every request did before; a smaller body is read before the request waits for its
turn, so a slow link never holds the gate.

No request waits for its turn longer than `wait_s`: past it, it goes ahead beside the one holding the gate. Something
slow that is not let go here therefore costs the others at most that wait, and an overload is never worse than
without the gate.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

WAIT_S = 1.0
BODY_LIMIT = 64 * 1024

_turn = threading.local()  # .gate: the RequestGate whose turn this thread holds, if any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class RequestGate:
    """WSGI middleware: at most `slots` requests of this process run in the wrapped app at once."""

    def __init__(self, app: WsgiApp, slots: int = 1, wait_s: float = WAIT_S) -> None:
        self.app = app
        self.wait_s = wait_s
        self._slots = threading.BoundedSemaphore(slots)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not _read_small_body(environ):
            return self.app(environ, start_response)
        self._take()
        try:
            # What the app returns is sent after the turn ends: a large file streams to the client outside it.
            return self.app(environ, start_response)
        finally:
            self._leave()

    def _take(self) -> None:
        _turn.gate = self if self._slots.acquire(timeout=self.wait_s) else None

    def _leave(self) -> None:
        if getattr(_turn, "gate", None) is self:
            _turn.gate = None
            self._slots.release()


def _read_small_body(environ: dict[str, Any]) -> bool:
    """Read a body of up to BODY_LIMIT bytes into memory, so that the app reads it without waiting on the client.
    False for a request that should not take turns: a larger body, or one of unknown length."""
    if environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
        return False
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True  # the app refuses it without reading
    if length > BODY_LIMIT:
        return False
    if length > 0:
        environ["wsgi.input"] = io.BytesIO(environ["wsgi.input"].read(length))
    return True


@contextmanager
def outside_gate() -> Iterator[None]:
    """Let the request's turn go while the block waits on something slow (a password's hash, another process), and
    take a turn again after it. Does nothing outside a turn (a test, a job, a Socket.IO event)."""
    gate: RequestGate | None = getattr(_turn, "gate", None)
    if gate is None:
        yield
        return
    gate._leave()
    try:
        yield
    finally:
        gate._take()
