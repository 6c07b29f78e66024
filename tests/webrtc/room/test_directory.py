"""The room directory (directory.py) through Rooms (state.py): participants and hands as every web instance sees them,
in memory and in Redis (the same tests on each). Two `Rooms` on one directory stand for two web instances; in Redis
each has a directory of its own, with its own instance id and beat, as two processes would."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from lectern.webrtc.room.directory import Directory, MemoryDirectory, RedisDirectory
from lectern.webrtc.room.state import Rooms, Seat
from lectern.webrtc.services import Part

REDIS_URL = "redis://127.0.0.1:6379/12"
TTL = 0.6  # seconds: a short beat TTL, so that a dead instance goes quickly


def _redis() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:  # Redis is part of the test environment, as PostgreSQL is: never a silent skip
        pytest.fail(f"Redis is unreachable: {exc}", pytrace=False)
    return client


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of this test's own (parallel runs share the Redis database); its keys deleted afterwards."""
    name = f"lectern-test-{uuid.uuid4().hex}:rooms"
    yield name
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{name}:*"))
    if keys:
        client.delete(*keys)


@pytest.fixture(params=["memory", "redis"])
def instance(request: pytest.FixtureRequest, prefix: str) -> Iterator[Callable[[], Rooms]]:
    """Makes the Rooms of one more web instance, all sharing one directory."""
    made: list[Directory] = []
    shared = MemoryDirectory()

    def make() -> Rooms:
        directory: Directory = shared
        if request.param == "redis":
            directory = RedisDirectory(_redis(), prefix, beat_s=0.1, ttl_s=TTL)
        made.append(directory)
        rooms = Rooms(directory)
        if isinstance(directory, RedisDirectory):
            directory.beat()  # the thread's first beat may not have run yet
        return rooms

    yield make
    for directory in made:
        directory.close()


def seat(sid: str, user_id: int, name: str, part: Part = Part.CADET, lecture_id: int = 1) -> Seat:
    return Seat(sid, user_id, name, lecture_id, part, 0, None)


def people(rooms: Rooms, lecture_id: int = 1, floor: int | None = None) -> list[tuple[int, bool]]:
    return [(p["id"], p["hand"]) for p in rooms.participants(lecture_id, floor)]


def until(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := check()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return result


def test_add_update_remove(instance: Callable[[], Rooms]) -> None:
    rooms = instance()
    host, cadet = seat("s1", 1, "Host", Part.HOST), seat("s2", 2, "Aibek")
    rooms.add(host)
    rooms.add(cadet)
    rooms.add(seat("s9", 9, "Elsewhere", lecture_id=2))
    assert people(rooms) == [(1, False), (2, False)]
    rooms.raise_hand(cadet, True)
    rooms.report(cadet, {"rtt_ms": 80.5, "loss": 0.02, "kbps": None}, {"state": "good"})
    listed = rooms.participants(1, floor_user_id=2)
    assert listed[1] == {
        "id": 2,
        "name": "Aibek",
        "part": "cadet",
        "hand": True,
        "quality": {"rtt_ms": 80.5, "loss": 0.02, "kbps": None},
        "floor": True,
        "link": {"state": "good"},
    }
    assert listed[0]["part"] == "host" and listed[0]["floor"] is False
    assert rooms.hands(1) == [2]
    assert rooms.pop("s2") is cadet
    assert people(rooms) == [(1, False)] and rooms.hands(1) == []
    rooms.raise_hand(cadet, True)  # a socket that left stays out
    assert people(rooms) == [(1, False)]
    assert people(rooms, 2) == [(9, False)]


def test_order_and_hands(instance: Callable[[], Rooms]) -> None:
    rooms = instance()
    seats = [seat("a", 3, "Zarina"), seat("b", 1, "Host", Part.HOST), seat("c", 2, "Bakyt"), seat("d", 4, "Olga")]
    for s in seats:
        rooms.add(s)
    # The list: by part, then by name; the hands: in joining order, whenever they were raised.
    assert [p["id"] for p in rooms.participants(1, None)] == [1, 2, 4, 3]
    for s in (seats[3], seats[2], seats[0]):
        rooms.raise_hand(s, True)
    assert rooms.hands(1) == [3, 2, 4]
    rooms.raise_hand(seats[2], False)
    assert rooms.hands(1) == [3, 4]
    # Joining again puts a socket last.
    rooms.pop("a")
    rooms.add(seat("a", 3, "Zarina"))
    rooms.raise_hand(seats[2], True)
    assert rooms.hands(1) == [2, 4]


def test_several_tabs_of_one_user_count_once(instance: Callable[[], Rooms]) -> None:
    rooms = instance()
    first, second = seat("t1", 2, "Aibek"), seat("t2", 2, "Aibek")
    rooms.add(seat("h", 1, "Host", Part.HOST))
    rooms.add(first)
    rooms.add(second)
    assert people(rooms) == [(1, False), (2, False)]
    rooms.raise_hand(second, True)
    assert people(rooms) == [(1, False), (2, True)] and rooms.hands(1) == [2]
    rooms.raise_hand(first, True)
    assert rooms.sockets_of(1, 2) == ["t1", "t2"]
    rooms.answer_hands(1, 2)  # the floor answers both tabs' hands
    assert people(rooms) == [(1, False), (2, False)] and rooms.hands(1) == []
    rooms.pop("t1")
    assert people(rooms) == [(1, False), (2, False)]
    rooms.pop("t2")
    assert people(rooms) == [(1, False)] and rooms.sockets_of(1, 2) == []


def test_every_instance_sees_every_socket(instance: Callable[[], Rooms]) -> None:
    a, b = instance(), instance()
    cadet = seat("on-a", 2, "Aibek")
    a.add(cadet)
    b.add(seat("on-b", 1, "Host", Part.HOST))
    assert people(a) == people(b) == [(1, False), (2, False)]
    a.raise_hand(cadet, True)
    assert b.hands(1) == [2] and people(b) == [(1, False), (2, True)]
    b.answer_hands(1, 2)  # the floor given on B lowers the hand held on A
    assert a.hands(1) == [] and a.get("on-a") is cadet
    assert b.sockets_of(1, 2) == ["on-a"] and b.seats_of(1, 2) == []  # the seat itself stays on A
    a.pop("on-a")
    assert people(b) == [(1, False)]


def test_a_dead_instance_disappears_after_its_beat_expires(prefix: str) -> None:
    ttl = 1.5
    dying, living = (RedisDirectory(_redis(), prefix, beat_s=0.1, ttl_s=ttl) for _ in range(2))
    a, b = Rooms(dying), Rooms(living)
    dying.beat()
    living.beat()
    cadet = seat("on-a", 2, "Aibek")
    a.add(cadet)
    a.raise_hand(cadet, True)
    b.add(seat("on-b", 1, "Host", Part.HOST))
    assert people(b) == [(1, False), (2, True)]
    dying.close()  # killed: no more beats, and nothing cleaned up
    time.sleep(0.3)
    assert people(b) == [(1, False), (2, True)]  # not before its beat expires
    assert until(lambda: people(b) == [(1, False)], ttl * 3)
    assert b.hands(1) == []
    fields = [f.decode() for f in _redis().hkeys(f"{prefix}:lecture:1")]
    assert not [f for f in fields if f.startswith("on-a")], fields  # deleted, not only ignored
    b.pop("on-b")
    living.close()
    assert not _redis().exists(f"{prefix}:lecture:1")


def test_an_instance_whose_beat_lapsed_writes_its_entries_again(prefix: str) -> None:
    """A pause or an outage longer than the TTL: other instances may have deleted its entries meanwhile."""
    directory = RedisDirectory(_redis(), prefix, beat_s=0.1, ttl_s=TTL)
    rooms = Rooms(directory)
    try:
        directory.beat()
        cadet = seat("s", 2, "Aibek")
        rooms.add(cadet)
        rooms.raise_hand(cadet, True)
        _redis().delete(f"{prefix}:lecture:1", f"{prefix}:instance:{directory.instance}")
        assert until(lambda: rooms.hands(1) == [2])
    finally:
        directory.close()


def test_an_unreadable_directory_lists_this_instance(caplog: pytest.LogCaptureFixture) -> None:
    silent = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    directory = RedisDirectory(silent, "lectern-test:rooms", beat_s=60)
    rooms = Rooms(directory)
    try:
        cadet = seat("s", 2, "Aibek")
        rooms.add(cadet)  # the lost write is logged, never raised: the socket joins all the same
        rooms.raise_hand(cadet, True)
        assert people(rooms) == [(2, True)] and rooms.hands(1) == [2]
        assert rooms.pop("s") is cadet
        assert "Redis unreachable; each instance lists its own sockets" in caplog.text
    finally:
        directory.close()
