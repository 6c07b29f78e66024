"""The lecture room's signalling protocol: every message a browser may send, and its validation.

Pure functions, no Flask and no network: the Socket.IO namespace (`/lecture`) calls `parse(event, payload)` first
and answers a `SignallingError` with an `error` event, so a malformed message never reaches the relay and never
affects another participant. Messages never name their sender: the server knows who is on the socket, so nobody
can signal for someone else.

Client -> server (every event is acknowledged with a dict: {"ok": true, ...} or {"ok": false, "error": "..."};
a refusal that retrying cannot change (removed, the lecture is over, not invited) adds "final": true, and the
browser then leaves the room):

    join      {"lecture": int}                       -> {"ok", "part", "me", "lecture", "participants", "chat",
                                                         "floor", "hands", "ice_servers", "moderator",
                                                         "removed"}  moderator: may remove people; removed: whom
    start     {}                                     host: the lecture goes live
    end       {}                                     host: the lecture ends for everyone
    publish   {"slot": "main"|"floor", "sdp": str}   -> {"ok", "sdp"}  main: the host; floor: the floor holder
    subscribe {"slot": "main"|"floor", "sdp": str}   -> {"ok", "sdp"}  anyone in the room (recvonly offer;
                                                         an audio-only offer for weak links is allowed)
    ice       {"slot", "direction": "publish"|"subscribe", "candidate": str, "sdpMid": str|null,
               "sdpMLineIndex": int}                 trickled ICE (browsers may also gather before offering)
    unpublish {"slot": "main"|"floor"}               stop publishing
    hand      {"raised": bool}
    floor     {"user": int|null}                     host: give the floor to a participant (null: take it back)
    mute      {"user": int}                          host: ask a participant to turn their microphone off
    remove    {"user": int}                          instructor host: send a participant out of this lecture
    readmit   {"user": int}                          instructor host: let a removed participant back in
    chat      {"text": str}
    quality   {"rtt_ms": number|null, "loss": number|null, "kbps": number|null}  the client's own link
                                                 -> {"ok", "link": {...}|null}  the relay's view of the
                                                         socket's main subscription (RelayClient.link)
    receive   {"slot": "main"|"floor", "choice": "nothing"|"audio"|"slides"|"low"|"everything"}  what this
                                                 socket receives on a slot; kept for its re-subscriptions, changed
                                                 without renegotiation
    slides    {"deck": int} | {"page": int} | {"stop": true}  host: show a deck (a file id) from its first page,
                                                 turn to a page (from 1), or show none -> {"ok", "slides"}
    pointer   {"x": number, "y": number} | {}   host: a dot on the slide (fractions of its width and height from
                                                 its top left corner), or none
    record    {"on": bool}                      host: start or stop recording the lecture -> {"ok", "recording"}

Server -> clients in the lecture's room:

    participants [{"id", "name", "part", "hand", "quality": {...}|null, "floor": bool,
                   "link": {"estimate_kbps", "loss", "rtt_ms", "kbps", "video", "reason"}|null}]
                  quality: the participant's browser's own report; link: the relay's view of their main
                  subscription
    chat         {"id", "user", "name", "text", "at"}
    floor        {"user": int|null}
    live         {"started_at"}
    ended        {}
    muted        {}               to one participant
    removed      {}               to one participant, who is then disconnected
    access_ended {}               to one participant whose access ended (signed out, suspended...), then
                                  disconnected
    removals     [{"id", "name"}] to those who may remove: who is removed from the lecture now
    slides       {"id", "name", "page", "pages", "image": {"large", "small"}, "next": {...}|null} | null
                                  the slides shown now (null: none); the join ack's "slides" too
    pointer      {"x", "y"} | {}  the host's pointer on the slide
    recording    {"on": bool, "since": str|null}  whether the lecture is being recorded (the join ack's
                                  "recording" too): everyone in the room sees it
    error        {"event", "message"}
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

# What a subscriber may choose to receive: "slides" is audio, the slides coming apart (RelayClient.set_receive).
from lectern.webrtc.relay.api import RECEIVE_CHOICES

SLOTS = ("main", "floor")
DIRECTIONS = ("publish", "subscribe")
MAX_SDP = 64 * 1024
MAX_CANDIDATE = 1024
MAX_CHAT = 1000


class SignallingError(Exception):
    """A message that does not follow the protocol; the text says which field is wrong."""


@dataclass(frozen=True)
class Join:
    lecture: int


@dataclass(frozen=True)
class Offer:
    slot: str
    sdp: str


@dataclass(frozen=True)
class Candidate:
    slot: str
    direction: str
    candidate: str
    sdp_mid: str | None
    sdp_mline_index: int


@dataclass(frozen=True)
class Slot:
    slot: str


@dataclass(frozen=True)
class Hand:
    raised: bool


@dataclass(frozen=True)
class Target:
    user: int | None


@dataclass(frozen=True)
class Chat:
    text: str


@dataclass(frozen=True)
class Quality:
    rtt_ms: float | None
    loss: float | None
    kbps: float | None


@dataclass(frozen=True)
class Receive:
    slot: str
    choice: str


@dataclass(frozen=True)
class Slides:
    deck: int | None = None
    page: int | None = None
    stop: bool = False


@dataclass(frozen=True)
class Pointer:
    x: float | None
    y: float | None


@dataclass(frozen=True)
class Record:
    on: bool


@dataclass(frozen=True)
class Empty:
    pass


def _dict(payload: Any, allowed: set[str]) -> dict[str, Any]:
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise SignallingError("the message must be an object")
    unknown = set(payload) - allowed
    if unknown:
        raise SignallingError(f"unknown field {sorted(unknown)[0]!r}")
    return payload


def _int(payload: dict[str, Any], name: str, *, nullable: bool = False) -> int | None:
    value = payload.get(name)
    if value is None and nullable and name in payload:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31:
        raise SignallingError(f"{name!r} must be a whole number")
    return value


def _str(payload: dict[str, Any], name: str, limit: int) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value.strip():
        raise SignallingError(f"{name!r} must be non-empty text")
    if len(value) > limit:
        raise SignallingError(f"{name!r} is too long")
    return value


def _choice(payload: dict[str, Any], name: str, choices: tuple[str, ...]) -> str:
    value = payload.get(name)
    if value not in choices:
        raise SignallingError(f"{name!r} must be one of {', '.join(choices)}")
    return str(value)


def _number(payload: dict[str, Any], name: str, high: float) -> float | None:
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SignallingError(f"{name!r} must be a number")
    if not 0 <= value <= high:
        raise SignallingError(f"{name!r} is out of range")
    return float(value)


def _sdp(payload: dict[str, Any]) -> str:
    sdp = _str(payload, "sdp", MAX_SDP)
    if not sdp.startswith("v=0"):
        raise SignallingError("'sdp' is not a session description")
    return sdp


def _slides(p: dict[str, Any]) -> Slides:
    if len(p) != 1:
        raise SignallingError("give one of 'deck', 'page' or 'stop'")
    if "stop" in p:
        if p["stop"] is not True:
            raise SignallingError("'stop' must be true")
        return Slides(stop=True)
    if "deck" in p:
        return Slides(deck=_int(p, "deck"))
    page = _int(p, "page")
    if not page:
        raise SignallingError("'page' must be 1 or more")
    return Slides(page=page)


def parse(event: str, payload: Any) -> Any:
    """Validate one client message; return its typed form or raise SignallingError."""
    if event == "join":
        p = _dict(payload, {"lecture"})
        return Join(_int(p, "lecture") or 0)
    if event in ("publish", "subscribe"):
        p = _dict(payload, {"slot", "sdp"})
        return Offer(_choice(p, "slot", SLOTS), _sdp(p))
    if event == "ice":
        p = _dict(payload, {"slot", "direction", "candidate", "sdpMid", "sdpMLineIndex"})
        mid = p.get("sdpMid")
        if mid is not None and (not isinstance(mid, str) or len(mid) > 64):
            raise SignallingError("'sdpMid' must be short text or null")
        candidate = _str(p, "candidate", MAX_CANDIDATE)
        if not candidate.removeprefix("a=").startswith("candidate:"):
            raise SignallingError("'candidate' is not an ICE candidate")
        return Candidate(
            _choice(p, "slot", SLOTS),
            _choice(p, "direction", DIRECTIONS),
            candidate,
            mid,
            _int(p, "sdpMLineIndex") or 0,
        )
    if event == "unpublish":
        return Slot(_choice(_dict(payload, {"slot"}), "slot", SLOTS))
    if event == "hand":
        p = _dict(payload, {"raised"})
        if not isinstance(p.get("raised"), bool):
            raise SignallingError("'raised' must be true or false")
        return Hand(p["raised"])
    if event == "floor":
        p = _dict(payload, {"user"})
        if "user" not in p:
            raise SignallingError("'user' is missing")
        return Target(_int(p, "user", nullable=True))
    if event in ("mute", "remove", "readmit"):
        return Target(_int(_dict(payload, {"user"}), "user"))
    if event == "chat":
        return Chat(_str(_dict(payload, {"text"}), "text", MAX_CHAT).strip())
    if event == "quality":
        p = _dict(payload, {"rtt_ms", "loss", "kbps"})
        return Quality(_number(p, "rtt_ms", 60_000), _number(p, "loss", 1.0), _number(p, "kbps", 1_000_000))
    if event == "receive":
        p = _dict(payload, {"slot", "choice"})
        return Receive(_choice(p, "slot", SLOTS), _choice(p, "choice", RECEIVE_CHOICES))
    if event == "slides":
        return _slides(_dict(payload, {"deck", "page", "stop"}))
    if event == "pointer":
        p = _dict(payload, {"x", "y"})
        if not p:
            return Pointer(None, None)
        x, y = _number(p, "x", 1.0), _number(p, "y", 1.0)
        if x is None or y is None:
            raise SignallingError("'x' and 'y' must both be numbers")
        return Pointer(x, y)
    if event == "record":
        p = _dict(payload, {"on"})
        if not isinstance(p.get("on"), bool):
            raise SignallingError("'on' must be true or false")
        return Record(p["on"])
    if event in ("start", "end"):
        _dict(payload, set())
        return Empty()
    raise SignallingError(f"unknown event {event!r}")
