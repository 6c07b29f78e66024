"""Lecture sockets whose access has ended close everywhere within a second.

`lectern.platform.access.access_changed` names users whose access may have narrowed: signed out (on one device or
all), password changed, suspended, role or academy changed, or removed from a lecture (removals.py). A socket lives
in one web process (state.py), so every process checks the seats it holds of those users against
`services.admission` and disconnects those no longer admitted; their disconnect handler frees the relay peers and
updates the participant list. With REDIS_URL the user ids reach every web instance over a Redis channel (beside
Flask-SocketIO's own); without it the one process checks its own seats. A socket's own messages read its admission
again too, at most every ADMISSION_INTERVAL seconds (namespace.py), which also covers changes made where no signal
reaches (another process's command line).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import redis
from flask import Flask, current_app, has_app_context
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy.orm import Session

from lectern.extensions import DbSession, db, socketio
from lectern.platform.access import access_changed
from lectern.platform.models import utcnow
from lectern.webrtc import services
from lectern.webrtc.models import Lecture
from lectern.webrtc.room.directory import Directory, MemoryDirectory, RedisDirectory
from lectern.webrtc.room.state import Rooms, Seat

logger = logging.getLogger(__name__)
NAMESPACE = "/lecture"
CLOSE_WAIT = 5.0  # seconds
# Seconds a Redis call may take (to connect, or for an answer) before it fails: a silent Redis must not hold a
# handler. The subscription also pings every HEALTH_CHECK seconds, so that a half-open link is noticed.
REDIS_TIMEOUT = 2.0
HEALTH_CHECK = 30
RETRY_MAX = 30.0  # seconds between attempts to subscribe again, at most
_lock = threading.Lock()


def rooms(app: Flask | None = None) -> Rooms:
    """The seats of `app` (default: the current one), per app: tests make many apps in one process, with reused
    lecture ids. Made on first use, when this process also starts listening for other instances' changes and beating
    in the room directory (in threads, which talk to Redis: never under the lock, which every handler takes)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    with _lock:
        state = app.extensions.get("lectern_rooms")
        if state is None:
            state = app.extensions["lectern_rooms"] = Rooms(_directory(app))
            if app.config["REDIS_URL"]:
                _listen(app)
    return state


def _directory(app: Flask) -> Directory:
    """Where the rooms' participants are listed: in Redis, where every web instance sees them, or (no REDIS_URL: one
    instance) in this process."""
    url = app.config["REDIS_URL"]
    if not url:
        return MemoryDirectory()
    # No retries: a handler waits for one REDIS_TIMEOUT at most, and then the directory waits for a beat.
    return RedisDirectory(_client(url, retry=Retry(NoBackoff(), 0)), app.config["LECTERN_ROOM_KEY"])


def admitted(session: DbSession, seat: Seat, now: datetime) -> Lecture | None:
    """The seat's lecture while its socket may stay in it: admitted as it was seated (the same part: a host made a
    cadet joins again, as a cadet)."""
    found = services.admission(session, seat.user_id, seat.lecture_id, seat.login_session_id, now)
    return found[0] if found is not None and found[1] is seat.part else None


def farewell(session: DbSession, seat: Seat) -> str:
    """The event that tells a socket why it is closed: `removed` by a host, or its `access_ended`."""
    return "removed" if services.is_removed(session, seat.lecture_id, seat.user_id) else "access_ended"


def close(state: Rooms, seat: Seat, event: str) -> None:
    """Tell the socket why, then disconnect it; its disconnect handler frees the seat, the relay peers and updates
    the room."""
    if not state.claim(seat.sid):
        # Another thread is closing it: wait for it (briefly), so that the caller sees the socket gone either way.
        pending = state.closing(seat.sid)
        if pending is not None:
            pending.wait(CLOSE_WAIT)
        return
    socketio.emit(event, {}, to=seat.sid, namespace=NAMESPACE)
    socketio.server.disconnect(seat.sid, namespace=NAMESPACE)


def check(app: Flask, user_ids: Iterable[int]) -> None:
    """Close this process's lecture sockets of these users that are no longer admitted."""
    state = app.extensions.get("lectern_rooms")
    if state is None:
        return
    wanted = set(user_ids)
    seats = [s for s in state.all() if s.user_id in wanted]
    if not seats:
        return
    with app.app_context():
        # A session of its own: the caller may be a Socket.IO handler in the middle of its own.
        with Session(db.engine) as session:
            now = utcnow()
            ending = [(seat, farewell(session, seat)) for seat in seats if admitted(session, seat, now) is None]
        for seat, event in ending:
            close(state, seat, event)


@access_changed.connect
def _changed(_sender: Any, user_ids: frozenset[int], **_kw: Any) -> None:
    """Hand the check over, off the committing thread (its session cannot be used now): to every instance through
    Redis, or to a thread of this process (none where this process holds no seat of theirs)."""
    if not has_app_context():
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    url = app.config["REDIS_URL"]
    if url:
        try:
            _publisher(app, url).publish(_channel(), json.dumps(sorted(user_ids)))
            return
        except redis.RedisError:
            logger.exception("access change not published; checking this instance only")
    state = app.extensions.get("lectern_rooms")
    if state is not None and any(seat.user_id in user_ids for seat in state.all()):
        socketio.start_background_task(check, app, user_ids)


def _channel() -> str:
    # Beside Flask-SocketIO's own channel, so that instances sharing one share this too (and tests stay apart).
    return f"{socketio.server_options.get('channel', 'flask-socketio')}:lectern-access"


def _client(url: str, **options: Any) -> redis.Redis:
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=REDIS_TIMEOUT,
        socket_timeout=REDIS_TIMEOUT,
        health_check_interval=HEALTH_CHECK,
        **options,
    )


def _publisher(app: Flask, url: str) -> redis.Redis:
    client = app.extensions.get("lectern_access_redis")
    if client is None:
        client = app.extensions["lectern_access_redis"] = _client(url)
    return client


def _listen(app: Flask) -> None:
    """Subscribe and listen in a thread of its own; a lost subscription is closed and made again. Each change is
    checked in a task of its own (closing a seat may wait CLOSE_WAIT seconds), so the next is not held up. Until the
    subscription stands, and while it is lost, the seats' own messages still read their admission again
    (namespace.py)."""
    channel, url = _channel(), app.config["REDIS_URL"]

    def run() -> None:
        pubsub: Any = None
        pause = 1.0  # seconds before subscribing again, doubled up to RETRY_MAX while Redis stays away
        while True:
            try:
                if pubsub is None:
                    pubsub = _client(url).pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
                    pubsub.subscribe(channel)
                message = pubsub.get_message(timeout=1.0)
                pause = 1.0
                if message is not None:
                    user_ids = [int(i) for i in json.loads(message["data"])]
                    socketio.start_background_task(check, app, user_ids)
            except redis.RedisError as exc:
                if pause == 1.0:  # once per outage, not once a second
                    logger.exception("access changes: the Redis subscription failed; subscribing again")
                else:
                    logger.debug("access changes: Redis still away: %s", exc)
                if pubsub is not None:
                    pubsub.close()
                pubsub = None
                time.sleep(pause)
                pause = min(pause * 2, RETRY_MAX)
            except (ValueError, TypeError):
                logger.exception("access change not understood")

    threading.Thread(target=run, name="lectern-access-watch", daemon=True).start()
