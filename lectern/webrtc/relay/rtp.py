"""Pure functions for the relay's wire formats: VP8 keyframe detection, RTP header rewriting, NTP clock maths.

Nothing here does I/O or imports aiortc, so every function is unit-tested on plain bytes and ints.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from lectern.webrtc.relay import compiled

SEQ_MOD = 1 << 16
TS_MOD = 1 << 32
# Seconds between the NTP epoch (1900) and the Unix epoch (1970).
NTP_UNIX_DELTA = 2_208_988_800
RTP_HEADER_SIZE = 12


def seq_add(seq: int, delta: int) -> int:
    """Add `delta` to a 16-bit RTP sequence number, wrapping at 2**16."""
    return (seq + delta) % SEQ_MOD


def ts_add(ts: int, delta: int) -> int:
    """Add `delta` to a 32-bit RTP timestamp, wrapping at 2**32."""
    return (ts + delta) % TS_MOD


def seq_newer(a: int, b: int) -> bool:
    """True when sequence number `a` comes after `b` (RFC 3550 serial-number arithmetic)."""
    return a != b and ((a - b) % SEQ_MOD) < SEQ_MOD // 2


def vp8_is_keyframe_start(payload: bytes) -> bool:
    """Whether an RTP payload holds the first packet of a VP8 keyframe.

    RFC 7741: the payload descriptor (X, N, S, PID and the optional I/L/T/K extension bytes) is followed by the
    VP8 payload header, whose lowest bit P is 0 for a keyframe. That header is only present in the packet that
    starts partition 0, so we require S=1 and PID=0 as well. Truncated or malformed payloads are not keyframes.
    """
    size = len(payload)
    if size < 1:
        return False
    first = payload[0]
    if not first & 0x10 or first & 0x07:  # S bit clear, or not partition 0
        return False
    pos = 1
    if first & 0x80:  # X: an extension byte follows
        if size < 2:
            return False
        ext = payload[1]
        pos = 2
        if ext & 0x80:  # I: PictureID, 7 or 15 bits (M bit says which)
            if size <= pos:
                return False
            pos += 2 if payload[pos] & 0x80 else 1
        if ext & 0x40:  # L: TL0PICIDX
            pos += 1
        if ext & 0x30:  # T or K: TID/Y/KEYIDX byte
            pos += 1
    if size <= pos:
        return False
    return not payload[pos] & 0x01


class _RewriterFields:
    """StreamRewriter's fields where the compiled fan-out is not built (else `_fanout.RewriterFields`, the same
    fields in C, which the fan-out maps and advances without a Python int per value)."""

    __slots__ = ("clock_rate", "last_in_ts", "last_out_ts", "next_seq", "next_ts", "seq_offset", "ssrc", "ts_offset")
    ssrc: int
    next_seq: int
    next_ts: int
    clock_rate: int
    seq_offset: int | None
    ts_offset: int | None
    last_in_ts: int
    last_out_ts: int


if TYPE_CHECKING:
    _Fields = _RewriterFields
else:
    _Fields = _RewriterFields if compiled.fanout is None else compiled.fanout.RewriterFields


class StreamRewriter(_Fields):
    """One outgoing stream's SSRC, sequence number and timestamp state.

    The output is the input shifted by two offsets. Shifting (rather than numbering packets as they go out) maps a
    retransmitted or reordered input packet to the same output number, so the receiver's NACK and jitter logic see
    the publisher's true order. After a gap we chose to make (packets dropped for a slow subscriber, or skipped
    while waiting for a keyframe) `resync` moves the sequence offset so the output stays continuous: the receiver
    must not NACK packets it was never going to get.
    """

    __slots__ = ()

    def __init__(self, ssrc: int, next_seq: int, next_ts: int, clock_rate: int) -> None:
        self.ssrc, self.next_seq, self.next_ts, self.clock_rate = ssrc, next_seq, next_ts, clock_rate
        self.seq_offset = self.ts_offset = None
        self.last_in_ts = self.last_out_ts = 0

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in _RewriterFields.__slots__)
        return f"StreamRewriter({fields})"

    def resync(self, in_seq: int, in_ts: int, elapsed: float | None = None) -> None:
        """Start a continuous run at input packet (`in_seq`, `in_ts`).

        The timestamp offset is kept across gaps in one source: the publisher's clock already advanced by the
        time that passed. `elapsed` (seconds since the last output packet) is given when the source changed
        (a new SSRC), so the output clock moves on by that real time instead of jumping.
        """
        self.seq_offset = (self.next_seq - in_seq) % SEQ_MOD
        if self.ts_offset is None:
            self.ts_offset = (self.next_ts - in_ts) % TS_MOD
        elif elapsed is not None:
            target = ts_add(self.last_out_ts, max(1, int(elapsed * self.clock_rate)))
            self.ts_offset = (target - in_ts) % TS_MOD

    def rewrite(self, in_seq: int, in_ts: int) -> tuple[int, int]:
        """Map an input (sequence number, timestamp) to the output pair; call `resync` first."""
        assert self.seq_offset is not None and self.ts_offset is not None
        out_seq = (in_seq + self.seq_offset) % SEQ_MOD
        out_ts = (in_ts + self.ts_offset) % TS_MOD
        if out_seq == self.next_seq or seq_newer(out_seq, self.next_seq):
            self.next_seq = seq_add(out_seq, 1)
            self.last_in_ts = in_ts
            self.last_out_ts = out_ts
        return out_seq, out_ts

    def out_ts_for(self, in_ts: int) -> int | None:
        """The output timestamp for an input timestamp, or None before the first packet."""
        if self.ts_offset is None:
            return None
        return (in_ts + self.ts_offset) % TS_MOD


_HEADER = struct.Struct("!HIL")
# Byte 1 (marker + payload type) through the SSRC: the fields a relay rewrites, packed in one call.
_HEADER_FROM_BYTE1 = struct.Struct("!BHIL")


def rewrite_header(data: bytes, payload_type: int, seq: int, ts: int, ssrc: int) -> bytes:
    """Return a serialized RTP packet with a new payload type, sequence number, timestamp and SSRC.

    The version, padding, extension, CSRC count and marker bits and everything after the fixed header are kept.
    """
    if len(data) < RTP_HEADER_SIZE:
        raise ValueError("RTP packet shorter than its fixed header")
    out = bytearray(data)
    out[1] = (data[1] & 0x80) | (payload_type & 0x7F)
    _HEADER.pack_into(out, 2, seq, ts, ssrc)
    return bytes(out)


def rewrite_header_into(
    buf: bytearray | memoryview, data: bytes, payload_type: int, seq: int, ts: int, ssrc: int
) -> int:
    """`rewrite_header` without allocating: copy `data` into `buf` (a bytearray or a writable memoryview, such as
    one over the SRTP session's C buffer) and patch the header there in one `pack_into`. Returns the packet's
    length; `buf` must hold at least that many bytes.
    """
    size = len(data)
    if size < RTP_HEADER_SIZE:
        raise ValueError("RTP packet shorter than its fixed header")
    buf[0:size] = data
    _HEADER_FROM_BYTE1.pack_into(buf, 1, (data[1] & 0x80) | (payload_type & 0x7F), seq, ts, ssrc)
    return size


def ntp_to_unix(ntp: int) -> float:
    """Convert a 64-bit NTP timestamp to Unix seconds."""
    return (ntp >> 32) - NTP_UNIX_DELTA + (ntp & 0xFFFFFFFF) / TS_MOD


def unix_to_ntp(seconds: float) -> int:
    """Convert Unix seconds to a 64-bit NTP timestamp."""
    whole = int(seconds)
    frac = int((seconds - whole) * TS_MOD)
    return ((whole + NTP_UNIX_DELTA) << 32) | (frac & 0xFFFFFFFF)


def rtp_header_length(data: bytes) -> int:
    """Length of an RTP packet's header: fixed part, CSRCs and the header extension block if any."""
    if len(data) < RTP_HEADER_SIZE:
        raise ValueError("RTP packet shorter than its fixed header")
    length = RTP_HEADER_SIZE + 4 * (data[0] & 0x0F)
    if data[0] & 0x10:
        if len(data) < length + 4:
            raise ValueError("RTP header extension truncated")
        length += 4 + 4 * int.from_bytes(data[length + 2 : length + 4], "big")
    if len(data) < length:
        raise ValueError("RTP header longer than the packet")
    return length


def rtx_wrap(data: bytes, payload_type: int, seq: int, ssrc: int) -> bytes:
    """Wrap a serialized RTP packet as an RFC 4588 retransmission: own PT/SSRC/sequence, original sequence first.

    A NACK must be answered this way: resending the original packet with its own sequence number is dropped by
    the receiver's SRTP replay protection.
    """
    length = rtp_header_length(data)
    header = rewrite_header(data[:length], payload_type, seq, int.from_bytes(data[4:8], "big"), ssrc)
    return header + data[2:4] + data[length:]


ABS_SEND_TIME_URI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"


def extension_offset(data: bytes, ext_id: int) -> int | None:
    """Where the value of a one-byte-header extension element (RFC 8285, profile 0xBEDE) starts in a serialized
    RTP packet, or None when the packet does not carry it."""
    if len(data) < RTP_HEADER_SIZE or not data[0] & 0x10:
        return None
    pos = RTP_HEADER_SIZE + 4 * (data[0] & 0x0F)
    if len(data) < pos + 4 or data[pos : pos + 2] != b"\xbe\xde":
        return None
    end = min(pos + 4 + 4 * int.from_bytes(data[pos + 2 : pos + 4], "big"), len(data))
    pos += 4
    while pos < end:
        byte = data[pos]
        if byte == 0:  # padding between elements
            pos += 1
            continue
        element, length = byte >> 4, (byte & 0x0F) + 1
        if element == 15:
            return None
        if element == ext_id:
            return pos + 1 if pos + 1 + length <= end else None
        pos += 1 + length
    return None


def abs_send_time(seconds: float) -> bytes:
    """The abs-send-time extension's value for a time in seconds: 24 bits, 6.18 fixed point, wrapping every 64 s."""
    return (int(seconds * (1 << 18)) & 0xFFFFFF).to_bytes(3, "big")


def red_blocks(payload: bytes) -> tuple[list[tuple[int, int, int]], int] | None:
    """The block headers of an RFC 2198 RED payload: [(payload type, offset of its data, length)], redundant
    blocks first and the primary last, and the length of the headers; None if malformed."""
    blocks: list[tuple[int, int]] = []  # (payload type, length; -1 for the primary)
    pos = 0
    while True:
        if pos >= len(payload):
            return None
        byte = payload[pos]
        if not byte & 0x80:  # F clear: the primary block's one-byte header, the last
            blocks.append((byte & 0x7F, -1))
            pos += 1
            break
        if pos + 4 > len(payload):
            return None
        blocks.append((byte & 0x7F, ((payload[pos + 2] & 0x03) << 8) | payload[pos + 3]))
        pos += 4
    found, at = [], pos
    for pt, length in blocks:
        size = len(payload) - at if length < 0 else length
        if size < 0 or at + size > len(payload):
            return None
        found.append((pt, at, size))
        at += size
    return found, pos


def red_primary(payload: bytes) -> bytes | None:
    """The primary (newest) encoding in a RED payload: what a receiver without RED gets; None if malformed."""
    parsed = red_blocks(payload)
    if parsed is None:
        return None
    _pt, at, size = parsed[0][-1]
    return payload[at : at + size]


def red_retag(payload: bytes, payload_type: int) -> bytes | None:
    """A RED payload with every block's payload type set to `payload_type` (the receiver's own number for the
    codec inside); None if malformed."""
    parsed = red_blocks(payload)
    if parsed is None:
        return None
    out = bytearray(payload)
    pos = 0
    while out[pos] & 0x80:
        out[pos] = 0x80 | (payload_type & 0x7F)
        pos += 4
    out[pos] = payload_type & 0x7F
    return bytes(out)
