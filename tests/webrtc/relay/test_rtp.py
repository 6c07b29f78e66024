"""Pure RTP helpers: VP8 keyframe detection, header rewriting, wraparound, RTX wrapping, NTP maths."""

from __future__ import annotations

import pytest
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import HeaderExtensionsMap, RtpPacket, unwrap_rtx

from lectern.webrtc.relay.rtp import (
    ABS_SEND_TIME_URI,
    StreamRewriter,
    abs_send_time,
    extension_offset,
    ntp_to_unix,
    red_blocks,
    red_primary,
    red_retag,
    rewrite_header,
    rewrite_header_into,
    rtp_header_length,
    rtx_wrap,
    seq_add,
    seq_newer,
    ts_add,
    unix_to_ntp,
    vp8_is_keyframe_start,
)

KEY = 0x10  # VP8 payload header byte with P=0 (keyframe) ... plus version bits
INTER = 0x11  # P=1


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (bytes([0x10, KEY, 0, 0]), True),  # S=1, PID=0, no extension
        (bytes([0x10, INTER, 0, 0]), False),  # interframe
        (bytes([0x00, KEY, 0, 0]), False),  # S=0: continuation of a partition
        (bytes([0x11, KEY, 0, 0]), False),  # PID=1: not the first partition
        (bytes([0x90, 0x80, 0x05, KEY]), True),  # X, I with 7-bit PictureID
        (bytes([0x90, 0x80, 0x85, 0x21, KEY]), True),  # X, I with 15-bit PictureID (M=1)
        (bytes([0x90, 0x80, 0x85, 0x21, INTER]), False),
        (bytes([0x90, 0xC0, 0x05, 0x07, KEY]), True),  # I + L (TL0PICIDX)
        (bytes([0x90, 0xF0, 0x85, 0x21, 0x07, 0x40, KEY]), True),  # I (15-bit) + L + T/K
        (bytes([0x90, 0xF0, 0x85, 0x21, 0x07, 0x40, INTER]), False),
        (bytes([0x90, 0x20, 0x40, KEY]), True),  # K only: one TID/KEYIDX byte
        (bytes([0x90, 0x80, 0x85]), False),  # truncated before the payload header
        (bytes([0x90]), False),
        (bytes([0x10]), False),  # descriptor only
        (b"", False),
    ],
)
def test_vp8_keyframe_start(payload: bytes, expected: bool) -> None:
    assert vp8_is_keyframe_start(payload) is expected


def test_vp8_keyframe_start_on_real_encoder_output() -> None:
    import fractions

    import av
    from aiortc.codecs import get_encoder
    from aiortc.rtcrtpparameters import RTCRtpCodecParameters

    encoder = get_encoder(RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96))
    results = []
    for i in range(3):
        frame = av.VideoFrame(160, 120, "yuv420p")
        for plane in frame.planes:
            plane.update(bytes([(i * 40) & 0xFF]) * plane.buffer_size)
        frame.pts, frame.time_base = i * 3000, fractions.Fraction(1, 90000)
        payloads, _ = encoder.encode(frame, force_keyframe=(i == 2))
        results.append([vp8_is_keyframe_start(p) for p in payloads])
    assert results[0][0] is True  # the first frame is always a keyframe
    assert not any(results[0][1:])  # only its first packet starts it
    assert not any(results[1])  # an interframe
    assert results[2][0] is True  # forced keyframe


def test_sequence_and_timestamp_wraparound() -> None:
    assert seq_add(65535, 1) == 0
    assert seq_add(0, -1) == 65535
    assert ts_add(2**32 - 10, 20) == 10
    assert seq_newer(0, 65535)
    assert not seq_newer(65535, 0)
    assert not seq_newer(5, 5)


def test_rewriter_wraps_and_stays_continuous_across_gaps() -> None:
    rw = StreamRewriter(ssrc=1, next_seq=65534, next_ts=2**32 - 3000, clock_rate=90000)
    rw.resync(in_seq=100, in_ts=5000)
    assert rw.rewrite(100, 5000) == (65534, 2**32 - 3000)
    assert rw.rewrite(101, 8000) == (65535, 0)
    assert rw.rewrite(102, 11000) == (0, 3000)
    # A retransmission of an earlier input maps to the same output and does not move the stream forward.
    assert rw.rewrite(101, 8000) == (65535, 0)
    assert rw.next_seq == 1
    # Packets 103..199 dropped (slow subscriber / keyframe wait): output continues with no gap, while the
    # timestamp keeps the real elapsed media time.
    rw.resync(in_seq=200, in_ts=300000)
    assert rw.rewrite(200, 300000) == (1, (300000 - 5000 + 2**32 - 3000) % 2**32)
    # Input sequence numbers wrapping too.
    rw.resync(in_seq=65535, in_ts=303000)
    assert rw.rewrite(65535, 303000)[0] == 2
    assert rw.rewrite(0, 306000)[0] == 3


def test_rewriter_rebases_timestamps_for_a_new_source() -> None:
    rw = StreamRewriter(ssrc=1, next_seq=10, next_ts=1000, clock_rate=90000)
    rw.resync(in_seq=5, in_ts=50)
    assert rw.rewrite(5, 50) == (10, 1000)
    # New publisher SSRC with an unrelated timestamp base, 0.5 s later.
    rw.resync(in_seq=40000, in_ts=123456789, elapsed=0.5)
    assert rw.rewrite(40000, 123456789) == (11, 1000 + 45000)


def _packet(seq: int = 1000, ts: int = 123456, ssrc: int = 0xDEADBEEF, marker: int = 1) -> bytes:
    packet = RtpPacket(payload_type=96, marker=marker, sequence_number=seq, timestamp=ts, ssrc=ssrc, payload=b"abc")
    return packet.serialize()


def test_rewrite_header_changes_only_the_addressing() -> None:
    data = _packet()
    out = RtpPacket.parse(rewrite_header(data, payload_type=100, seq=65535, ts=2**32 - 1, ssrc=42))
    assert (out.payload_type, out.sequence_number, out.timestamp, out.ssrc) == (100, 65535, 2**32 - 1, 42)
    assert out.marker == 1 and out.payload == b"abc"
    assert RtpPacket.parse(rewrite_header(_packet(marker=0), 100, 1, 1, 1)).marker == 0
    with pytest.raises(ValueError):
        rewrite_header(b"\x80\x60", 1, 1, 1, 1)


@pytest.mark.parametrize("marker", [0, 1])
def test_rewrite_header_into_matches_rewrite_header(marker: int) -> None:
    data = _packet(marker=marker)
    buf = bytearray(b"\xff" * 64)  # reused, dirty and larger than the packet
    size = rewrite_header_into(buf, data, 100, 65535, 2**32 - 1, 42)
    assert size == len(data)
    assert bytes(buf[:size]) == rewrite_header(data, 100, 65535, 2**32 - 1, 42)
    assert buf[size:] == b"\xff" * (64 - size)  # nothing written past the packet
    view = memoryview(bytearray(64))
    assert bytes(view[: rewrite_header_into(view, data, 127, 1, 2, 3)]) == rewrite_header(data, 127, 1, 2, 3)
    with pytest.raises(ValueError):
        rewrite_header_into(buf, b"\x80\x60", 1, 1, 1, 1)


def test_rtx_wrap_round_trips_through_aiortc() -> None:
    from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
    from aiortc.rtp import HeaderExtensionsMap

    ext_map = HeaderExtensionsMap()
    mid = RTCRtpHeaderExtensionParameters(id=1, uri="urn:ietf:params:rtp-hdrext:sdes:mid")
    ext_map.configure(RTCRtpParameters(headerExtensions=[mid]))
    original = RtpPacket(payload_type=96, sequence_number=777, timestamp=9000, ssrc=5, payload=b"payload")
    original.extensions.mid = "1"
    data = original.serialize(ext_map)
    assert rtp_header_length(data) == len(data) - len(b"payload")
    rtx = RtpPacket.parse(rtx_wrap(data, payload_type=97, seq=30, ssrc=6), ext_map)
    assert (rtx.payload_type, rtx.sequence_number, rtx.ssrc, rtx.timestamp) == (97, 30, 6, 9000)
    restored = unwrap_rtx(rtx, payload_type=96, ssrc=5)
    assert (restored.sequence_number, restored.payload, restored.extensions.mid) == (777, b"payload", "1")


def test_ntp_round_trip() -> None:
    assert abs(ntp_to_unix(unix_to_ntp(1_700_000_000.25)) - 1_700_000_000.25) < 1e-6
    assert unix_to_ntp(0.0) >> 32 == 2_208_988_800


def test_extension_offset_finds_a_one_byte_header_element() -> None:
    ext_map = HeaderExtensionsMap()
    ext_map.configure(
        RTCRtpParameters(
            headerExtensions=[
                RTCRtpHeaderExtensionParameters(id=1, uri="urn:ietf:params:rtp-hdrext:sdes:mid"),
                RTCRtpHeaderExtensionParameters(id=3, uri=ABS_SEND_TIME_URI),
            ]
        )
    )
    packet = RtpPacket(payload_type=96, sequence_number=7, timestamp=9, ssrc=1234, payload=b"\x90\x80abc")
    packet.extensions.mid = "1"
    packet.extensions.abs_send_time = 0x123456
    data = packet.serialize(ext_map)
    at = extension_offset(data, 3)
    assert at is not None and data[at : at + 3] == bytes.fromhex("123456")
    assert extension_offset(data, 5) is None
    assert extension_offset(data[:12], 3) is None  # no extension block
    # The relay stamps its own time there: 6.18 fixed point seconds, wrapping every 64 s.
    assert abs_send_time(1.5) == (int(1.5 * 2**18)).to_bytes(3, "big")
    assert abs_send_time(64.0 + 1.5) == abs_send_time(1.5)


def test_red_payloads_are_read_and_retagged() -> None:
    """RFC 2198: one redundant block (PT 111, 20 ms earlier, 3 bytes) then the primary (PT 111)."""
    red = bytes([0x80 | 111, (960 >> 6) & 0xFF, ((960 & 0x3F) << 2) | 0, 3, 111]) + b"old" + b"newest"
    assert red_blocks(red) == ([(111, 5, 3), (111, 8, 6)], 5)
    assert red_primary(red) == b"newest"
    retagged = red_retag(red, 109)
    assert retagged is not None and retagged[0] == 0x80 | 109 and retagged[4] == 109
    assert red_primary(retagged) == b"newest"
    # Only a primary block: the whole rest is the primary.
    assert red_primary(bytes([111]) + b"solo") == b"solo"
    for broken in (b"", bytes([0x80 | 111, 0, 0]), bytes([0x80 | 111, 0, 0, 9, 111]) + b"ab"):
        assert red_blocks(broken) is None and red_primary(broken) is None
