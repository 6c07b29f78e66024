"""The relay as the web side knows it: `RelayClient`, its options and its one error.

The web side (the lecture namespace, the views, the services) imports this module and `provider.py` only: neither
imports aiortc, directly or through anything else, so a web process that serves no lecture never loads aiortc, PyAV
or aioice (DESIGN.md section 4). The relay itself (sfu.py, forward.py, seams.py) and its in-process client
(inprocess.py) are loaded when the first lecture needs a relay.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from blinker import Namespace

from lectern.texts import Text

# Sent (sender: the app) with `lecture_id` and `peer_id` when a peer's relay is gone (a relay process killed): its
# browser is to offer again, and is placed on a live relay (remote.py, room/failover.py).
peer_lost = Namespace().signal("relay-peer-lost")

# What a subscriber may ask to receive: nothing; audio only; audio with the slides (no video: the slides come over
# HTTP); at most the low version of the video; everything its link carries.
RECEIVE_CHOICES = ("nothing", "audio", "slides", "low", "everything")


# How a relay's refusal for want of room begins (sfu.py): a service of several relays then tries another (remote.py).
FULL = "the relay is full"


class RelayError(Exception):
    """A request the relay refuses: bad SDP, unknown lecture or peer, a second publisher, no room. The message is
    the relay's own, for the log; `text`, where there is one, is the sentence a participant reads (translated where
    it is shown, lectern.texts)."""

    def __init__(self, message: str, text: Text | None = None) -> None:
        super().__init__(message)
        self.text = text


@dataclass(frozen=True)
class IceServer:
    """A STUN or TURN server for the relay's own peer connections (aiortc's `RTCIceServer`, as plain values)."""

    urls: str | list[str]
    username: str | None = None
    credential: str | None = None


class IceServerLike(Protocol):
    """What the relay reads of an ICE server when it makes a peer connection: an `IceServer`, or one whose TURN
    credential is minted afresh (lectern.webrtc.turn.RefreshingTurnServer)."""

    @property
    def urls(self) -> str | list[str]: ...

    @property
    def username(self) -> str | None: ...

    @property
    def credential(self) -> str | None: ...


@dataclass(frozen=True)
class RelayOptions:
    """Relay configuration. `ice_servers` come only from here: never aiortc's default public STUN server."""

    ice_servers: tuple[IceServerLike, ...] = ()
    # Host candidates on 127.0.0.1 only (aioice leaves loopback out); for tests and benchmarks.
    loopback_only: bool = False
    queue_size: int = 256
    history_size: int = 512
    keyframe_interval: float = 0.5
    # Each subscriber gets the version of the video its link carries (adapt.py); off, everyone gets the best one
    # the publisher sends (their receive choice still applies).
    adapt: bool = True
    # How long closing waits for one peer connection (they close concurrently) before it goes on without it.
    close_timeout: float = 5.0
    # The subscribers the relay takes at most (a publisher is always taken): beyond it a subscriber is refused with
    # a notice, never let in to starve everyone's frames. None: no limit.
    capacity: int | None = None
    # The secret the relay processes share with the web side and with each other: an edge signs its requests for
    # a lecture's feeds to the origin with it (pipe.py).
    secret: str = field(default="", repr=False)
    # The folder recordings are written under (record.py); empty: this relay does not record.
    recordings: str = ""


class RelayClient(Protocol):
    """What signalling needs from a relay. Browsers always offer; the relay answers (see sfu.py)."""

    def open_lecture(self, lecture_id: str, region: str = "") -> None:
        """Create the lecture's room on the relay (idempotent). `region`, the lecture's (its academy's): where a
        service of several relays places its origin (remote.py)."""

    def close_lecture(self, lecture_id: str) -> None:
        """Disconnect everyone in the lecture."""

    def publish(self, lecture_id: str, peer_id: str, offer_sdp: str, region: str = "") -> str:
        """Publisher's offer in, relay's answer out. Raises RelayError on bad SDP or a second publisher."""

    def subscribe(self, lecture_id: str, peer_id: str, offer_sdp: str, region: str = "") -> str:
        """Subscriber's (recvonly) offer in, relay's answer out. Raises RelayError on bad SDP. `region`, the
        subscriber's (its academy's): a service of several relays places it on a relay near it (remote.py)."""

    def add_ice_candidate(
        self, lecture_id: str, peer_id: str, candidate: str, sdp_mid: str | None = None, sdp_mline_index: int = 0
    ) -> None:
        """A trickled ICE candidate from the browser."""

    def leave(self, lecture_id: str, peer_id: str) -> None:
        """Remove a peer from the lecture."""

    def set_receive(self, lecture_id: str, peer_id: str, choice: str) -> None:
        """What a subscriber asks to receive, one of RECEIVE_CHOICES; applied without renegotiation, its audio
        uninterrupted. Raises RelayError for an unknown lecture, subscriber or choice."""

    def link(self, lecture_id: str, peer_id: str) -> dict[str, Any] | None:
        """The relay's own view of a subscriber's link, None for an unknown one: estimate_kbps, loss (0..1),
        rtt_ms, jitter_ms (None until known), kbps (what it is sent now), video ("high", "low", "paused" or "off"),
        reason ("link", "choice" or None: why the video is below what was asked) and choice."""

    def record(self, lecture_id: str, key: str | None) -> dict[str, Any] | None:
        """Record the lecture into the folder `key` under the relay's recordings folder (a name such as
        "lecture-7/rec-3"), or with None stop recording it; the stopped recording's figures (packets, errors)."""

    def stats(self, lecture_id: str) -> dict[str, Any]:
        """Plain-dict counters per publisher track and per subscriber."""

    def shutdown(self) -> None:
        """Close every peer connection and release the relay."""
