"""The relay's API on the wire, shared by the relay process (service.py) and the web side (remote.py). Pure: no
aiortc, no Flask.

A request is `POST /v1/<call>` with a JSON object of the call's arguments (the `RelayClient` method of that name).
It is signed with the secret the web side and the relay share (LECTERN_RELAY_SECRET): HMAC-SHA256 over the method,
the path, the time and the body's SHA-256, sent as `X-Lectern-Time` (Unix seconds) and `X-Lectern-Signature` (hex).
The relay refuses an unsigned request, a wrong signature and one signed more than MAX_AGE_S away from its own clock
(a replayed or delayed request), with 401. The answer is `{"result": ...}`, or `{"error": "...", "text": ...}` with
422 for a request the relay refuses (RelayError: its message, and the participant's sentence as lectern.texts data).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Protocol

PREFIX = "/v1/"
TIME_HEADER = "X-Lectern-Time"
SIGNATURE_HEADER = "X-Lectern-Signature"
MAX_AGE_S = 30.0  # a request signed further than this from the relay's clock is refused

# The calls, with the names of their arguments (all JSON strings or integers) and whether each is required.
CALLS: dict[str, tuple[tuple[str, bool], ...]] = {
    "open_lecture": (("lecture_id", True),),
    "close_lecture": (("lecture_id", True),),
    "publish": (("lecture_id", True), ("peer_id", True), ("offer_sdp", True)),
    "subscribe": (("lecture_id", True), ("peer_id", True), ("offer_sdp", True)),
    "add_ice_candidate": (
        ("lecture_id", True),
        ("peer_id", True),
        ("candidate", True),
        ("sdp_mid", False),
        ("sdp_mline_index", False),
    ),
    "leave": (("lecture_id", True), ("peer_id", True)),
    "set_receive": (("lecture_id", True), ("peer_id", True), ("choice", True)),
    "link": (("lecture_id", True), ("peer_id", True)),
    "stats": (("lecture_id", True),),
    # `key` null: stop recording.
    "record": (("lecture_id", True), ("key", False)),
    # Between relays (pipe.py): an edge's offer for one of a lecture's feeds, and the web side telling a relay to
    # carry a lecture as an edge of its origin.
    "feed": (("lecture_id", True), ("peer_id", True), ("offer_sdp", True), ("feed", True)),
    "pull": (("lecture_id", True), ("origin_url", True), ("edge_id", True)),
}


class Headers(Protocol):
    """A request's headers, looked up by name (an email.message.Message looks them up case-insensitively)."""

    def get(self, name: str, /) -> str | None: ...


class SignatureError(Exception):
    """An unsigned, wrongly signed or expired request: the relay answers 401 and does nothing."""


def signature(secret: str, method: str, path: str, stamp: str, body: bytes) -> str:
    message = "\n".join((method.upper(), path, stamp, hashlib.sha256(body).hexdigest())).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, method: str, path: str, body: bytes, now: float) -> dict[str, str]:
    """The headers that sign a request made at `now` (Unix seconds)."""
    stamp = str(int(now))
    return {TIME_HEADER: stamp, SIGNATURE_HEADER: signature(secret, method, path, stamp, body)}


def verify(secret: str, method: str, path: str, body: bytes, headers: Headers, now: float) -> None:
    """Raise SignatureError unless `headers` sign this request with `secret`, within MAX_AGE_S of `now`."""
    stamp, given = headers.get(TIME_HEADER), headers.get(SIGNATURE_HEADER)
    if not stamp or not given:
        raise SignatureError("unsigned request")
    try:
        signed_at = int(stamp)
    except ValueError:
        raise SignatureError("the request's time is not a number") from None
    if abs(now - signed_at) > MAX_AGE_S:
        raise SignatureError("the request's signature has expired")
    if not hmac.compare_digest(signature(secret, method, path, stamp, body), given):
        raise SignatureError("wrong signature")


def arguments(call: str, data: object) -> dict[str, object]:
    """The arguments of `call` in a request's JSON body, checked: ValueError names what is wrong."""
    if call not in CALLS:
        raise ValueError(f"unknown call {call!r}")
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    names = dict(CALLS[call])
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise ValueError(f"unknown arguments: {', '.join(unknown)}")
    missing = sorted(name for name, required in names.items() if required and name not in data)
    if missing:
        raise ValueError(f"missing arguments: {', '.join(missing)}")
    for name, value in data.items():
        wanted = int if name == "sdp_mline_index" else str
        if value is not None and (not isinstance(value, wanted) or isinstance(value, bool)):
            raise ValueError(f"{name} must be {'an integer' if wanted is int else 'a string'}")
        if value is None and names[name]:
            raise ValueError(f"{name} must not be null")
    return dict(data)
