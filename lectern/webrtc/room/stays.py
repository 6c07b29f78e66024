"""Attendance as the lecture namespace keeps it: a socket takes its seat in a stay, and leaves it.

A user's sockets in one lecture share a stay while this process holds more than one of them (a second tab, or a
rejoin after a dropped link before the old socket's loss was noticed), and a rejoin soon after leaving continues
the last stay (services.REJOIN_GRACE): a short loss of the connection does not split attendance into two stays.
Taking a seat and leaving one are serialised in this process, so that a stay is never closed under a socket that
has just taken a seat in it.
"""

from __future__ import annotations

import threading

from lectern.extensions import DbSession
from lectern.platform.models import User, utcnow
from lectern.webrtc import services
from lectern.webrtc.models import Lecture
from lectern.webrtc.room.state import Rooms, Seat

# Reentrant: a server-side disconnect runs the closed socket's handler (which leaves its stay) in the caller's thread.
_lock = threading.RLock()


def take_seat(session: DbSession, rooms: Rooms, seat: Seat, lecture: Lecture, user: User) -> None:
    """Seat a socket in its stay (the user's shared or recent one, or a new one), committed."""
    with _lock:
        held = [s.attendance_id for s in rooms.seats_of(lecture.id, user.id) if s.sid != seat.sid]
        stay = services.arrive(session, lecture, user, utcnow(), held)
        session.commit()
        seat.attendance_id = stay.id
        rooms.add(seat)


def leave(session: DbSession, rooms: Rooms, seat: Seat) -> None:
    """A socket that has left its seat leaves its stay (committed), unless another socket here is still in it."""
    with _lock:
        if not any(s.attendance_id == seat.attendance_id for s in rooms.seats_of(seat.lecture_id, seat.user_id)):
            services.depart(session, seat.attendance_id, utcnow())
        session.commit()
