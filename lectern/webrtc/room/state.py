"""What the lecture namespace remembers about its open sockets, per web process: plain data, no Flask.

Socket.IO sessions belong to one process (DESIGN.md section 1: one gunicorn worker per instance), so this state is
kept in memory. With several instances behind Redis, each instance knows only its own sockets: chat and room
broadcasts cross instances through the message queue, the participant list does not. Removals are kept in the
database (removals.py), and the end of a user's access reaches every instance (access_watch.py).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from lectern.webrtc.services import Part

QUALITY_INTERVAL = 1.0  # seconds between participant-list broadcasts caused by quality reports
# Seconds between two readings of a seat's admission by its own messages: an ended access closes the socket within
# a second anyway (access_watch.py); this catches what no signal reports, without a dozen queries per message.
ADMISSION_INTERVAL = 2.0


@dataclass
class Seat:
    """One socket in one lecture room."""

    sid: str
    user_id: int
    name: str
    lecture_id: int
    part: Part
    attendance_id: int
    login_session_id: int | None  # the sign-in the socket came with: ending it closes the socket
    moderator: bool = False  # hears the lecture's removals (removals.may_remove)
    # The user's site role and academy when the admission was last read, and when (time.monotonic()).
    standing: tuple[object, ...] = ()
    checked_at: float = field(default_factory=time.monotonic)
    hand: bool = False
    quality: dict[str, float | None] | None = None
    # The relay's view of the socket's main subscription (RelayClient.link), as of its last quality report.
    link: dict[str, Any] | None = None
    # slot -> what the socket chose to receive there (signalling.RECEIVE_CHOICES), applied to every subscription.
    receive: dict[str, str] = field(default_factory=dict)
    # (direction, slot) -> the relay peer id, made here from the sid, never taken from the client.
    peers: dict[tuple[str, str], str] = field(default_factory=dict)

    def peer_id(self, direction: str, slot: str) -> str:
        """The relay peer id of this socket's publisher or subscriber in `slot`."""
        return f"{self.sid}:{direction}:{slot}"


class Rooms:
    """Every seat of this process, and the quality-broadcast clock.

    Handlers run on many threads at once (async_mode="threading"), hence the lock.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seats: dict[str, Seat] = {}
        self._closing: dict[str, threading.Event] = {}
        self._quality_sent: dict[int, float] = {}

    def add(self, seat: Seat) -> None:
        """Seat a socket (replacing what it had)."""
        with self._lock:
            self._seats[seat.sid] = seat

    def admission_due(self, seat: Seat, standing: tuple[object, ...]) -> bool:
        """True when the seat's admission is to be read again: ADMISSION_INTERVAL seconds after the last reading,
        or at once when the user's site role or academy (`standing`, as the message's user loader read it) differ
        from then. The clock restarts."""
        now = time.monotonic()
        with self._lock:
            if now - seat.checked_at < ADMISSION_INTERVAL and seat.standing == standing:
                return False
            seat.checked_at, seat.standing = now, standing
            return True

    def attach_peer(self, seat: Seat, key: tuple[str, str], peer: str) -> bool:
        """Record a relay peer the seat's socket made, if the seat is still held; False if it was closed meanwhile
        (the relay answered after a removal or sign-out): then the caller leaves the peer at once."""
        with self._lock:
            if self._seats.get(seat.sid) is not seat:
                return False
            seat.peers[key] = peer
            return True

    def detach_peer(self, seat: Seat, key: tuple[str, str]) -> str | None:
        """Forget one relay peer of a seat; returns it, for the caller to leave."""
        with self._lock:
            return seat.peers.pop(key, None)

    def take_peers(self, seat: Seat) -> dict[tuple[str, str], str]:
        """Forget every relay peer of a seat (one that is closing); returns them, for the caller to leave."""
        with self._lock:
            peers = dict(seat.peers)
            seat.peers.clear()
            return peers

    def get(self, sid: str) -> Seat | None:
        """The seat of a socket, if it has joined a lecture."""
        with self._lock:
            return self._seats.get(sid)

    def pop(self, sid: str) -> Seat | None:
        """Forget a socket; returns its seat so the caller can close what it held."""
        with self._lock:
            return self._seats.pop(sid, None)

    def closed(self, sid: str) -> None:
        """A socket's disconnect handler has finished (its seat freed, the room told): wake those waiting on
        `closing`."""
        with self._lock:
            event = self._closing.pop(sid, None)
        if event is not None:
            event.set()

    def claim(self, sid: str) -> bool:
        """True once for a seated socket about to be closed: two checks at once must not close it twice (the
        second may wait on `closing`)."""
        with self._lock:
            if sid not in self._seats or sid in self._closing:
                return False
            self._closing[sid] = threading.Event()
            return True

    def closing(self, sid: str) -> threading.Event | None:
        """The event set when a socket that is being closed has left its seat and the room has heard of it."""
        with self._lock:
            return self._closing.get(sid)

    def all(self) -> list[Seat]:
        """Every seat of this process."""
        with self._lock:
            return list(self._seats.values())

    def seats(self, lecture_id: int) -> list[Seat]:
        """The seats in one lecture, in joining order."""
        with self._lock:
            return [s for s in self._seats.values() if s.lecture_id == lecture_id]

    def seats_of(self, lecture_id: int, user_id: int) -> list[Seat]:
        """The sockets (tabs) of one user in one lecture."""
        return [s for s in self.seats(lecture_id) if s.user_id == user_id]

    def quality_due(self, lecture_id: int) -> bool:
        """True at most once a second per lecture: quality reports must not flood the room with lists."""
        now = time.monotonic()
        with self._lock:
            if now - self._quality_sent.get(lecture_id, -QUALITY_INTERVAL) < QUALITY_INTERVAL:
                return False
            self._quality_sent[lecture_id] = now
            return True

    def participants(self, lecture_id: int, floor_user_id: int | None) -> list[dict[str, Any]]:
        """The room's participant list: one entry per user (several tabs count once)."""
        people: dict[int, dict[str, Any]] = {}
        for seat in self.seats(lecture_id):
            entry = people.get(seat.user_id)
            if entry is None:
                people[seat.user_id] = {
                    "id": seat.user_id,
                    "name": seat.name,
                    "part": seat.part.value,
                    "hand": seat.hand,
                    "quality": seat.quality,
                    "floor": seat.user_id == floor_user_id,
                    "link": seat.link,
                }
            else:
                entry["hand"] = entry["hand"] or seat.hand
                entry["quality"] = seat.quality or entry["quality"]
                entry["link"] = seat.link or entry["link"]
        order = {Part.HOST: 0, Part.HALL: 1, Part.CADET: 2, Part.OBSERVER: 3}
        return sorted(people.values(), key=lambda p: (order[Part(p["part"])], p["name"]))

    def hands(self, lecture_id: int) -> list[int]:
        """Users with a raised hand, in joining order."""
        raised: list[int] = []
        for seat in self.seats(lecture_id):
            if seat.hand and seat.user_id not in raised:
                raised.append(seat.user_id)
        return raised
