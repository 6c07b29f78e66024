"""What the lecture namespace knows of the sockets in its rooms: plain data, no Flask.

Two halves. The *seats* are this process's: a Socket.IO session belongs to one process (DESIGN.md section 1: one
gunicorn worker per instance), and so does what only that process can act on (the socket's stay, relay peers, receive
choice, the claim and closing event of a socket being closed). The *directory* (directory.py) is what every instance
must see: per lecture and socket, the participant entry. The participant list and the raised hands are read from it,
so that a client of one instance sees the participants of all of them (in Redis with REDIS_URL, else in memory), and
every change of a seat's presence, hand, quality or link is written through to it. The floor and the removals are
kept in the database (Lecture.floor_user_id, removals.py), and the end of a user's access reaches every instance
(access_watch.py).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from lectern.webrtc.room.directory import Directory, DirectoryError, Entry, MemoryDirectory
from lectern.webrtc.services import Part

logger = logging.getLogger(__name__)
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
    # As this process last wrote them to the directory (Rooms.raise_hand, Rooms.report), which is read instead.
    hand: bool = False
    quality: dict[str, float | None] | None = None
    # The relay's view of the socket's main subscription (RelayClient.link), as of its last quality report.
    link: dict[str, Any] | None = None
    # slot -> what the socket chose to receive there (signalling.RECEIVE_CHOICES), applied to every subscription.
    receive: dict[str, str] = field(default_factory=dict)
    # (direction, slot) -> the relay peer id, made here from the sid, never taken from the client.
    peers: dict[tuple[str, str], str] = field(default_factory=dict)
    offers: int = 0  # the relay peers this socket has made (`new_peer_id`)

    def new_peer_id(self, direction: str, slot: str) -> str:
        """A relay peer id for this socket's next publisher or subscriber in `slot`: "sid:direction:slot:n", each
        offer its own (a connection whose relay is gone may still be known to it: the new one must not collide)."""
        self.offers += 1
        return f"{self.sid}:{direction}:{slot}:{self.offers}"


def entry_of(seat: Seat) -> Entry:
    """A seat's directory entry."""
    return Entry(seat.sid, seat.user_id, seat.name, seat.part, seat.hand, seat.quality, seat.link)


class Rooms:
    """Every seat of this process, the room directory every instance shares, and the quality-broadcast clock.

    Handlers run on many threads at once (async_mode="threading"), hence the lock. A socket's writes to the directory
    are serialised (one lock per stripe of sockets), so that they reach it in the order its seat changed here.
    """

    def __init__(self, directory: Directory | None = None) -> None:
        self._lock = threading.Lock()
        self._stripes = [threading.Lock() for _ in range(64)]
        self._seats: dict[str, Seat] = {}
        self._closing: dict[str, threading.Event] = {}
        self._quality_sent: dict[int, float] = {}
        self.directory: Directory = directory if directory is not None else MemoryDirectory()
        self.directory.start(self._restore)

    def _stripe(self, sid: str) -> threading.Lock:
        return self._stripes[hash(sid) % len(self._stripes)]

    def _restore(self) -> None:
        """Write this process's entries again (the directory may have lost them, or changes to them)."""
        for seat in self.all():
            with self._stripe(seat.sid):
                if self.get(seat.sid) is seat:
                    self.directory.put(seat.lecture_id, entry_of(seat), again=True)

    def add(self, seat: Seat) -> None:
        """Seat a socket (replacing what it had), and list it in the room's directory."""
        with self._stripe(seat.sid):
            with self._lock:
                old = self._seats.get(seat.sid)
                self._seats[seat.sid] = seat
            if old is not None and old.lecture_id != seat.lecture_id:
                self.directory.remove(old.lecture_id, old.sid)
            self.directory.put(seat.lecture_id, entry_of(seat))

    def raise_hand(self, seat: Seat, raised: bool) -> None:
        """Raise or lower a seat's hand, for every instance to see."""
        self._change(seat.lecture_id, seat.sid, {"hand": raised})

    def report(self, seat: Seat, quality: dict[str, float | None], link: dict[str, Any] | None) -> None:
        """A seat's link quality (the browser's own figures and the relay's view), for every instance to see."""
        self._change(seat.lecture_id, seat.sid, {"quality": quality, "link": link})

    def answer_hands(self, lecture_id: int, user_id: int) -> None:
        """The floor answers a user's raised hand: lowered on each of their sockets, whichever instance holds it."""
        sids = {e.sid for e in self._entries(lecture_id) if e.user_id == user_id and e.hand}
        for sid in sids | {s.sid for s in self.seats_of(lecture_id, user_id) if s.hand}:
            self._change(lecture_id, sid, {"hand": False})

    def _change(self, lecture_id: int, sid: str, changes: dict[str, Any]) -> None:
        with self._stripe(sid):
            seat = self.get(sid)
            if seat is not None and seat.lecture_id == lecture_id:
                for name, value in changes.items():
                    setattr(seat, name, value)
            self.directory.update(lecture_id, sid, changes)

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
        """Forget a socket, in the directory too; returns its seat so the caller can close what it held."""
        with self._stripe(sid):
            with self._lock:
                seat = self._seats.pop(sid, None)
            if seat is not None:
                self.directory.remove(seat.lecture_id, sid)
            return seat

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
        """This process's seats in one lecture, in joining order."""
        with self._lock:
            return [s for s in self._seats.values() if s.lecture_id == lecture_id]

    def seats_of(self, lecture_id: int, user_id: int) -> list[Seat]:
        """This process's sockets (tabs) of one user in one lecture."""
        return [s for s in self.seats(lecture_id) if s.user_id == user_id]

    def sockets_of(self, lecture_id: int, user_id: int) -> list[str]:
        """The sockets of one user in one lecture, on every instance."""
        return [e.sid for e in self._entries(lecture_id) if e.user_id == user_id]

    def quality_due(self, lecture_id: int) -> bool:
        """True at most once a second per lecture: quality reports must not flood the room with lists."""
        now = time.monotonic()
        with self._lock:
            if now - self._quality_sent.get(lecture_id, -QUALITY_INTERVAL) < QUALITY_INTERVAL:
                return False
            self._quality_sent[lecture_id] = now
            return True

    def _entries(self, lecture_id: int) -> list[Entry]:
        """The directory's entries of a lecture; where it cannot be read, this process's own seats."""
        try:
            return self.directory.entries(lecture_id)
        except DirectoryError as exc:  # the directory logs its outages, once each
            logger.debug("lecture %s listed from this instance only: %s", lecture_id, exc)
            return [entry_of(seat) for seat in self.seats(lecture_id)]

    def participants(self, lecture_id: int, floor_user_id: int | None) -> list[dict[str, Any]]:
        """The room's participant list, every instance's sockets: one entry per user (several tabs count once)."""
        people: dict[int, dict[str, Any]] = {}
        for socket_entry in self._entries(lecture_id):
            entry = people.get(socket_entry.user_id)
            if entry is None:
                people[socket_entry.user_id] = {
                    "id": socket_entry.user_id,
                    "name": socket_entry.name,
                    "part": socket_entry.part.value,
                    "hand": socket_entry.hand,
                    "quality": socket_entry.quality,
                    "floor": socket_entry.user_id == floor_user_id,
                    "link": socket_entry.link,
                }
            else:
                entry["hand"] = entry["hand"] or socket_entry.hand
                entry["quality"] = socket_entry.quality or entry["quality"]
                entry["link"] = socket_entry.link or entry["link"]
        order = {Part.HOST: 0, Part.HALL: 1, Part.CADET: 2, Part.OBSERVER: 3}
        return sorted(people.values(), key=lambda p: (order[Part(p["part"])], p["name"]))

    def hands(self, lecture_id: int) -> list[int]:
        """Users with a raised hand, on every instance, in joining order."""
        raised: list[int] = []
        for entry in self._entries(lecture_id):
            if entry.hand and entry.user_id not in raised:
                raised.append(entry.user_id)
        return raised
