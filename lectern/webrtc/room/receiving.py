"""What each socket receives: its receive choice (`receive`) and the relay's view of its link, for the lecture
namespace (a mixin of LectureNamespace: namespace.py holds the rest of the protocol).

A choice changes what the relay sends on the socket's existing subscription (RelayClient.set_receive): no new peer
connection and no renegotiation, so the audio goes on while the video stops or comes back. The seat remembers the
choice per slot and it is applied again to every later subscription of the slot (a reconnection's).
"""

from __future__ import annotations

import logging
from typing import Any

from lectern.webrtc.relay.api import RelayError
from lectern.webrtc.relay.provider import relay
from lectern.webrtc.room import signalling
from lectern.webrtc.room.events import handles, relay_id
from lectern.webrtc.room.state import Seat

logger = logging.getLogger(__name__)


class ReceiveEvents:
    """The `receive` event, the choice applied again after a re-subscription, and the relay's link figures."""

    def _checked(self) -> Seat:  # LectureNamespace's: the sender's seat while it may stay
        raise NotImplementedError

    @handles("receive")
    def on_receive(self, msg: signalling.Receive) -> dict[str, Any]:
        """Choose what this socket receives on a slot: now on its subscription if it has one, and on later ones."""
        seat = self._checked()
        seat.receive[msg.slot] = msg.choice
        peer = seat.peers.get(("subscribe", msg.slot))
        if peer is not None:
            relay().set_receive(relay_id(seat.lecture_id, msg.slot), peer, msg.choice)
        return {"ok": True, "choice": msg.choice}

    def _apply_receive(self, seat: Seat, slot: str) -> None:
        """A new subscription of the slot gets the socket's choice (the relay's default is everything)."""
        choice = seat.receive.get(slot)
        peer = seat.peers.get(("subscribe", slot))
        if choice is not None and peer is not None:
            relay().set_receive(relay_id(seat.lecture_id, slot), peer, choice)

    def _link(self, seat: Seat) -> dict[str, Any] | None:
        """The relay's own view of the socket's main subscription (None without one)."""
        peer = seat.peers.get(("subscribe", "main"))
        if peer is None:
            return None
        try:
            return relay().link(relay_id(seat.lecture_id, "main"), peer)
        except RelayError:
            logger.warning("no link figures for relay peer %s", peer)
            return None
