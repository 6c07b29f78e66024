"""The relay's fan-out loop in C (_fanout.c): the types its callers see."""

import socket
from collections.abc import Callable
from typing import Any

def fan_out(
    source: Any,
    subscribers: list[Any],
    kind: str,
    red: bool,
    seq: int,
    ts: int,
    keyframe: bool,
    epoch: int,
    template_for: Callable[[Any], tuple[str, bytes, int]],
    forward: Callable[[Any, Any], None],
    /,
) -> None: ...
def bind(protect_address: int, connected: object, max_packet: int, probe: socket.socket, /) -> bool: ...
def sockaddr(host: str, port: int, /) -> bytes: ...

class History:
    """A track's NACK history: a fixed-size list of (seq, template, payload type, timestamp, stamp_at) or None."""

    def __init__(self, size: int) -> None: ...
    def __len__(self) -> int: ...
    def __getitem__(self, index: int, /) -> tuple[int, bytes, int, int, int] | None: ...
    def __setitem__(self, index: int, value: tuple[int, bytes, int, int, int] | None, /) -> None: ...

class RewriterFields:
    """rtp.py's StreamRewriter's fields, kept in C (its base class where the extension is built)."""

    ssrc: int
    next_seq: int
    next_ts: int
    clock_rate: int
    seq_offset: int | None
    ts_offset: int | None
    last_in_ts: int
    last_out_ts: int

class TrackFields:
    """out_track.py's OutTrack's counters and stream epochs, kept in C (its base class where the extension is built)."""

    packets: int
    octets: int
    epoch: int
    kept_epoch: int
    srtp_errors: int
    last_send: float

class SenderFields:
    """seams.py's DirectRtpSender's per-packet fields, kept in C (its base class where the extension is built)."""

    srtp_handle: int
    errors: int
    unsent_bytes: int
    unsent_packets: int
