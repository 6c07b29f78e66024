"""The room's directory: per lecture and socket, the participant entry that every web instance must see (user, name,
part, hand, quality, link, joining order). Plain data and Redis, no Flask.

The participant list and the raised hands are read from it (state.Rooms), so that a client of one instance sees the
participants of all of them. `MemoryDirectory` keeps it in this process (the embedded default: one instance, no
Redis); `RedisDirectory` keeps it in Redis, one hash per lecture, each entry marked with its instance. An instance
beats a key with a short TTL, and the entries of one whose beat expired (killed, cut off) are ignored and deleted by
the next reader; an instance that finds its own beat lapsed (a pause or an outage longer than the TTL) writes its
entries again. `access_watch.rooms` picks one (REDIS_URL).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import redis

from lectern.webrtc.services import Part

logger = logging.getLogger(__name__)
BEAT_S = 1.0  # an instance's beat in Redis
TTL_S = 5.0  # a beat missed this long: the instance is gone, and its entries with it
ROOM_TTL_S = 24 * 3600  # a lecture's hash outlives its last write this long (every instance of it killed)
FIRST_WAIT = 0.5  # seconds a new instance's handlers may wait for its first beat, in all
FIELDS = ("hand", "quality", "link")  # the parts of an entry that change while the socket is seated


@dataclass(frozen=True)
class Entry:
    """One socket as the room's directory lists it to every instance."""

    sid: str
    user_id: int
    name: str
    part: Part
    hand: bool = False
    quality: dict[str, float | None] | None = None
    link: dict[str, Any] | None = None


class DirectoryError(Exception):
    """The directory could not be read."""


class Directory(Protocol):
    """The participant entries of every lecture room, as every instance sees them. Writes never raise (a lost
    write is logged); `entries` raises DirectoryError."""

    def start(self, restore: Callable[[], None]) -> None:
        """Begin; `restore` writes this process's entries again (put `again`) when they may have been lost."""

    def put(self, lecture_id: int, entry: Entry, again: bool = False) -> None:
        """A socket joins (last in joining order), replacing its entry; `again`: it keeps its place if it has one."""

    def update(self, lecture_id: int, sid: str, changes: dict[str, Any]) -> None:
        """Change some FIELDS of a socket's entry, if it has one (a socket that left stays out)."""

    def remove(self, lecture_id: int, sid: str) -> None:
        """A socket leaves."""

    def entries(self, lecture_id: int) -> list[Entry]:
        """The sockets in a lecture, in joining order."""

    def close(self) -> None:
        """Stop (tests: an instance that stops beating)."""


class MemoryDirectory:
    """The directory in this process's memory: one instance, no Redis."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rooms: dict[int, dict[str, Entry]] = {}

    def start(self, restore: Callable[[], None]) -> None:
        pass

    def put(self, lecture_id: int, entry: Entry, again: bool = False) -> None:
        with self._lock:
            room = self._rooms.setdefault(lecture_id, {})
            if not again:
                room.pop(entry.sid, None)
            room[entry.sid] = entry

    def update(self, lecture_id: int, sid: str, changes: dict[str, Any]) -> None:
        with self._lock:
            room = self._rooms.get(lecture_id, {})
            if sid in room:
                room[sid] = dataclasses.replace(room[sid], **changes)

    def remove(self, lecture_id: int, sid: str) -> None:
        with self._lock:
            room = self._rooms.get(lecture_id, {})
            room.pop(sid, None)
            if not room:
                self._rooms.pop(lecture_id, None)

    def entries(self, lecture_id: int) -> list[Entry]:
        with self._lock:
            return list(self._rooms.get(lecture_id, {}).values())

    def close(self) -> None:
        pass


# A lecture's hash: field "#" counts joinings; per socket, field `sid` holds {"i": instance, "u": user, "n": name,
# "p": part} and fields `sid|order`, `sid|hand`, `sid|quality`, `sid|link` the rest (JSON). Each script is atomic.
# ARGV: "1" to write an entry again (keeping its joining order), the TTL in ms, the sid, its entry, then field/value
# pairs.
_PUT = """
local order = ARGV[1] == '1' and redis.call('HGET', KEYS[1], ARGV[3] .. '|order')
if not order then order = redis.call('HINCRBY', KEYS[1], '#', 1) end
redis.call('HSET', KEYS[1], ARGV[3], ARGV[4], ARGV[3] .. '|order', order)
for i = 5, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[3] .. '|' .. ARGV[i], ARGV[i + 1]) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""
# ARGV: the TTL in ms, the sid, then field/value pairs.
_UPDATE = """
if redis.call('HEXISTS', KEYS[1], ARGV[2]) == 0 then return 0 end
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[2] .. '|' .. ARGV[i], ARGV[i + 1]) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
"""
# ARGV: the sids.
_REMOVE = """
for _, sid in ipairs(ARGV) do
  redis.call('HDEL', KEYS[1], sid, sid .. '|order', sid .. '|hand', sid .. '|quality', sid .. '|link')
end
if redis.call('HLEN', KEYS[1]) <= 1 then redis.call('DEL', KEYS[1]) end
return 1
"""


class RedisDirectory:
    """The directory in Redis under `prefix` (`client`: a redis.Redis whose calls time out), shared by every
    instance. A reading costs two round trips (the lecture's hash, then the beats of the other instances in it), and
    a third to delete the entries of a dead instance, once.

    A silent Redis must not hold the handlers: after a failed call, and until a beat succeeds again, the directory is
    left alone (writes are skipped, readings fail at once: Rooms lists this instance's own seats), and the beat that
    finds Redis back writes this instance's entries again.
    """

    def __init__(self, client: Any, prefix: str, beat_s: float = BEAT_S, ttl_s: float = TTL_S) -> None:
        self.client, self.prefix, self.beat_s, self.ttl_s = client, prefix, beat_s, ttl_s
        self.instance = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self._put, self._update = client.register_script(_PUT), client.register_script(_UPDATE)
        self._remove = client.register_script(_REMOVE)
        self._stop, self._first = threading.Event(), threading.Event()  # the first beat was tried
        self._made = time.monotonic()
        self._up = False  # the last beat or call reached Redis
        self._lost = False  # a write was lost or skipped: write this instance's entries again at the next beat
        self._unremoved: set[tuple[int, str]] = set()  # removals lost or skipped: made at the next beat
        self._restore: Callable[[], None] = lambda: None

    def _key(self, lecture_id: int) -> str:
        return f"{self.prefix}:lecture:{lecture_id}"

    def _beat_key(self, instance: str) -> str:
        return f"{self.prefix}:instance:{instance}"

    def start(self, restore: Callable[[], None]) -> None:
        self._restore = restore
        threading.Thread(target=self._run, name="lectern-room-beat", daemon=True).start()

    def _run(self) -> None:
        while True:
            self.beat()
            if self._stop.wait(self.beat_s):
                return

    def beat(self) -> None:
        """Say this instance is alive; when its last beat had lapsed (the first, or a pause or outage longer than the
        TTL, after which others may have deleted its entries) or a write was lost, write its entries again."""
        try:
            was = self.client.set(self._beat_key(self.instance), 1, px=int(self.ttl_s * 1000), get=True)
            for lecture_id, sid in list(self._unremoved):
                self._remove(keys=[self._key(lecture_id)], args=[sid])
                self._unremoved.discard((lecture_id, sid))
            if was is None or self._lost or not self._up:
                if self._first.is_set() and not self._up:
                    logger.warning("room directory: Redis is back; writing this instance's entries again")
                self._lost, self._up = False, True
                self._restore()
        except redis.RedisError:
            self._away()
            self._lost = True
        finally:
            self._first.set()

    def _away(self) -> None:
        if self._up or not self._first.is_set():
            logger.exception("room directory: Redis unreachable; each instance lists its own sockets until it is back")
        self._up = False

    def _reachable(self) -> bool:
        """Whether to call Redis now; a new instance waits briefly for its first beat (a healthy Redis answers it
        at once), never longer than FIRST_WAIT in all."""
        if not self._first.is_set():
            self._first.wait(max(0.0, self._made + FIRST_WAIT - time.monotonic()))
        return self._up

    def _write(self, script: Any, lecture_id: int, args: list[Any]) -> bool:
        if self._reachable():
            try:
                script(keys=[self._key(lecture_id)], args=args)
                return True
            except redis.RedisError:
                self._away()
        self._lost = True
        return False

    def put(self, lecture_id: int, entry: Entry, again: bool = False) -> None:
        static = json.dumps({"i": self.instance, "u": entry.user_id, "n": entry.name, "p": entry.part.value})
        args: list[Any] = ["1" if again else "", ROOM_TTL_S * 1000, entry.sid, static]
        for name in FIELDS:
            args += [name, json.dumps(getattr(entry, name))]
        self._write(self._put, lecture_id, args)

    def update(self, lecture_id: int, sid: str, changes: dict[str, Any]) -> None:
        args: list[Any] = [ROOM_TTL_S * 1000, sid]
        for name, value in changes.items():
            args += [name, json.dumps(value)]
        self._write(self._update, lecture_id, args)

    def remove(self, lecture_id: int, sid: str) -> None:
        if not self._write(self._remove, lecture_id, [sid]):
            self._unremoved.add((lecture_id, sid))

    def entries(self, lecture_id: int) -> list[Entry]:
        if not self._reachable():
            raise DirectoryError("Redis is unreachable")
        key = self._key(lecture_id)
        try:
            found: dict[str, dict[str, Any]] = {}
            for name, value in self.client.hgetall(key).items():
                sid, _, attr = _text(name).partition("|")
                if sid != "#":
                    found.setdefault(sid, {})[attr] = json.loads(value)
            found = {sid: fields for sid, fields in found.items() if "" in fields and "order" in fields}
            others = sorted({f[""]["i"] for f in found.values()} - {self.instance})
            beats = self.client.mget([self._beat_key(i) for i in others]) if others else []
            dead = {i for i, beat in zip(others, beats, strict=True) if beat is None}
            if dead:
                gone = [sid for sid, f in found.items() if f[""]["i"] in dead]
                self._remove(keys=[key], args=gone)
                found = {sid: f for sid, f in found.items() if f[""]["i"] not in dead}
        except redis.RedisError as exc:
            self._away()
            raise DirectoryError(str(exc)) from exc
        ordered = sorted(found.items(), key=lambda item: int(item[1]["order"]))
        return [
            Entry(sid, f[""]["u"], f[""]["n"], Part(f[""]["p"]), bool(f.get("hand")), f.get("quality"), f.get("link"))
            for sid, f in ordered
        ]

    def close(self) -> None:
        self._stop.set()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
