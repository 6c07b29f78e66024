"""The lecture room's side of a service of several relays (remote.py `RoutingRelayClient`): the regions a seat's
peers are placed by, and what a relay that is gone means to the sockets whose peers were on it.

A relay process killed mid-lecture: the routing client finds it gone within a second and sends `peer_lost` for each
of this instance's peers on it. The socket forgets that peer and hears `relay-lost` (its direction and slot): the
page offers again at once (static/js/lecture/session.js), without reloading, and is placed on a live relay. The room,
its chat, floor and attendance never depended on the relay and go on.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app
from flask_login import current_user

from lectern.extensions import db, socketio
from lectern.webrtc.models import Lecture
from lectern.webrtc.relay.api import peer_lost
from lectern.webrtc.relay.provider import region_of
from lectern.webrtc.room.access_watch import rooms
from lectern.webrtc.room.state import Seat

logger = logging.getLogger(__name__)


def regions(seat: Seat) -> tuple[str, str]:
    """The relay regions of the seat's lecture (its course's academy: where its origin goes) and of its user's
    academy (where the user receives it), provider.region_of."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    lecture = db.session.get(Lecture, seat.lecture_id)
    home = lecture.course.academy if lecture is not None else None
    own = current_user.academy if current_user.is_authenticated else None
    return (
        region_of(app, home.slug if home else None, home.country if home else None),
        region_of(app, own.slug if own else None, own.country if own else None),
    )


@peer_lost.connect
def _lost(app: Flask, lecture_id: str, peer_id: str, **_kw: Any) -> None:
    """A peer's relay is gone: the socket forgets the peer and is told to offer again."""
    sid, direction, slot = ([*peer_id.split(":"), "", ""])[:3]  # Seat.new_peer_id's format
    seat = rooms(app).get(sid)
    if seat is None or seat.peers.get((direction, slot)) != peer_id:
        return
    rooms(app).detach_peer(seat, (direction, slot))
    logger.info("lecture %s: %s's relay is gone; it offers again", lecture_id, peer_id)
    socketio.emit("relay-lost", {"direction": direction, "slot": slot}, to=sid, namespace="/lecture")
