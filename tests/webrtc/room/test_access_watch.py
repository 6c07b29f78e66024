"""A Redis that accepts connections and never answers (a frozen node, a half-open link) must not freeze the web
process: the access watch subscribes in its own thread, and its Redis calls give up after a few seconds."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from lectern.extensions import db
from lectern.platform import access
from lectern.webrtc.room import access_watch
from tests import factories
from tests.webrtc.room.test_namespace import NS, joined

WAIT = access_watch.REDIS_TIMEOUT + 3  # seconds: time out once, and a margin for a loaded machine


@pytest.fixture
def silent_redis() -> Iterator[str]:
    """A listening socket that accepts connections (the kernel does) and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    server.close()


def _within(seconds: float, action: Any) -> float:
    """Seconds `action` took in a thread of its own; fails if it is still running after `seconds`."""
    done = threading.Event()
    start = time.monotonic()

    def run() -> None:
        action()
        done.set()

    threading.Thread(target=run, daemon=True).start()
    assert done.wait(seconds), "still waiting for Redis"
    return time.monotonic() - start


def test_a_silent_redis_holds_up_neither_the_first_join_nor_an_end_of_access(
    app: Flask, world: Any, make: factories.Factory, silent_redis: str
) -> None:
    _lecture, people = world
    app.config["REDIS_URL"] = silent_redis  # (Socket.IO's own queue stays as it was made: none)
    # The first join made this process's rooms and starts listening: it must not wait for the subscription.
    cadet: list[Any] = []
    assert _within(WAIT, lambda: cadet.append(joined(app, world, "cadet"))) < access_watch.REDIS_TIMEOUT
    cadet[0].disconnect(namespace=NS)  # (no check of this instance's seats outlives the test)

    def end_access() -> None:
        with app.app_context():
            access.changed(db.session, people["cadet"].id)
            db.session.commit()  # publishes the change: it times out, and this instance checks its own seats

    _within(WAIT, end_access)
    assert _within(1, lambda: access_watch.rooms(app)) < 1  # no handler waits on the module lock
