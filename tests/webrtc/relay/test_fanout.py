"""The compiled fan-out (lectern/webrtc/relay/_fanout.c) does what the Python path does, packet for packet.

Each scenario is played twice on worlds built the same way: once with `forward.FAN_OUT` (the C loop for steady
tracks, the Python path for the rest) and once with the Python loop alone. The subscribers are real enough for the
direct send path: a real aioice `StunProtocol` socket per subscriber, a real SRTP session, a real sink socket that
receives what was sent. Both runs must put the same packets on the wire (decrypted; the relay's abs-send-time stamp,
a clock reading, compared for presence and closeness only) and leave the same state behind: sequence and timestamp
mapping, NACK history, counters, queues, keyframe gates.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import pickle
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pylibsrtp
import pytest
from aioice.candidate import Candidate
from aioice.ice import CandidatePair, StunProtocol
from aiortc.rtcdtlstransport import State
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import HeaderExtensionsMap, RtpPacket

from lectern.webrtc.relay import _fanout, forward, out_track, seams
from lectern.webrtc.relay.forward import AUDIO_CODEC, RED_CODEC, VIDEO_CODEC, Source
from lectern.webrtc.relay.out_track import OutTrack
from lectern.webrtc.relay.rtp import ABS_SEND_TIME_URI, StreamRewriter, extension_offset
from lectern.webrtc.relay.subscriber import Subscriber

KEY = bytes(range(30))  # every subscriber's SRTP key in both worlds: the same plaintext gives the same ciphertext
MID_URI = "urn:ietf:params:rtp-hdrext:sdes:mid"


class _FakeDtls:
    """What DirectRtpSender reads of an RTCDtlsTransport (tests/webrtc/relay/test_seams.py checks the real one)."""

    def __init__(self, pair: CandidatePair) -> None:
        self._state = State.CONNECTED
        self._tx_srtp = pylibsrtp.Session(pylibsrtp.Policy(key=KEY, ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND))
        self.transport = SimpleNamespace(_connection=SimpleNamespace(_nominated={1: pair}))
        setattr(self, "_RTCDtlsTransport__tx_bytes", 0)  # noqa: B010
        setattr(self, "_RTCDtlsTransport__tx_packets", 0)  # noqa: B010

    def _get_stats(self) -> dict[str, int]:
        """What aiortc's getStats reads: the byte and packet counters."""
        return {
            "packets": vars(self)["_RTCDtlsTransport__tx_packets"],
            "bytes": vars(self)["_RTCDtlsTransport__tx_bytes"],
        }


@dataclass
class Seat:
    """One subscriber of a world, with the socket its packets reach."""

    sub: Subscriber
    sink: socket.socket
    dtls: _FakeDtls | None
    udp: asyncio.DatagramTransport | None


def _ext_map(with_abs: bool) -> tuple[tuple[tuple[str, int], ...], HeaderExtensionsMap]:
    exts = [RTCRtpHeaderExtensionParameters(id=1, uri=MID_URI)]
    if with_abs:
        exts.append(RTCRtpHeaderExtensionParameters(id=3, uri=ABS_SEND_TIME_URI))
    ext_map = HeaderExtensionsMap()
    ext_map.configure(RTCRtpParameters(headerExtensions=exts))
    return tuple(sorted((e.uri, e.id) for e in exts)), ext_map


def _track(kind: str, index: int, with_abs: bool, pts: dict[str, int]) -> OutTrack:
    ext_key, ext_map = _ext_map(with_abs)
    return OutTrack(
        kind=kind,
        sender=SimpleNamespace(),  # type: ignore[arg-type]  # only the Python queue path's writer would use it
        mid="0" if kind == "audio" else "1",
        pt_by_mime=pts,
        ext_key=ext_key,
        ext_map=ext_map,
        # A clock of 1 Hz: the time since a track's last packet, which moves its clock on at a new publisher and
        # differs between the runs by microseconds, rounds to nothing.
        rewriter=StreamRewriter(ssrc=1000 + index, next_seq=100 * index, next_ts=7 * index, clock_rate=1),
        history=seams.packet_history(64),
        waiting_keyframe=kind == "video",
        abs_id=3 if with_abs else None,
        rtx_pt=97,
        rtx_ssrc=2000 + index,
        rtx_seq=5,
    )


async def _seat(index: int, kind: str, *, direct: bool = True, with_abs: bool = False, **options: Any) -> Seat:
    """A subscriber with one track of `kind`, its direct path over a real UDP socket to a sink of its own."""
    loop = asyncio.get_running_loop()
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    sink.setblocking(False)
    pts = options.pop("pts", {VIDEO_CODEC: 96} if kind == "video" else {AUDIO_CODEC: 111, RED_CODEC: 63})
    out = _track(kind, index, with_abs, pts)
    sub = Subscriber(peer_id=f"s{index}", pc=None, queue_size=1000)  # type: ignore[arg-type]
    sub.tracks[kind] = out
    sub.ready = options.pop("ready", True)
    out.red = options.pop("red", False)
    dtls = udp = None
    if direct:
        udp, protocol = await loop.create_datagram_endpoint(
            lambda: StunProtocol(SimpleNamespace(protocol_lost=lambda _: None)),  # type: ignore[arg-type]
            local_addr=("127.0.0.1", 0),
        )
        remote = Candidate("1", 1, "udp", 1, "127.0.0.1", sink.getsockname()[1], "host")
        dtls = _FakeDtls(CandidatePair(protocol, remote))
        out.direct = seams.DirectRtpSender(dtls)  # type: ignore[arg-type]
    for name, value in options.items():
        setattr(out, name, value)
    return Seat(sub, sink, dtls, udp)


def _source(kind: str, seats: list[Seat]) -> Source:
    codecs = {96: VIDEO_CODEC} if kind == "video" else {111: AUDIO_CODEC, 63: RED_CODEC}
    return Source(
        kind=kind,
        receiver=None,  # type: ignore[arg-type]  # only a keyframe request would use it; none is made here
        codec_by_pt=codecs,
        apt_by_rtx_pt={},
        clock_rate=90000 if kind == "video" else 48000,
        keyframe_interval=30.0,
        subscribers=[seat.sub for seat in seats],
    )


def _video(seq: int, ts: int, key: bool = False, start: bool = True, size: int = 900) -> RtpPacket:
    descriptor = b"\x10" if start else b"\x00"
    header = b"\x00" if key else b"\x01"  # the VP8 payload header's P bit: 0 for a keyframe
    payload = descriptor + header + bytes((seq * 7 + i) & 0xFF for i in range(size))
    return RtpPacket(payload_type=96, marker=0, sequence_number=seq, timestamp=ts, ssrc=4242, payload=payload)


def _red(seq: int, ts: int) -> RtpPacket:
    """RED around Opus: one redundant block (20 ms back, 5 bytes) and the primary (12 bytes)."""
    redundant, primary = b"r" * 5, bytes(range(12))
    header = struct.pack("!BHB", 0x80 | 111, 960 << 2, len(redundant)) + bytes([111])
    payload = header + redundant + primary
    return RtpPacket(payload_type=63, marker=0, sequence_number=seq, timestamp=ts, ssrc=77, payload=payload)


def _received(seat: Seat) -> list[bytes]:
    """What the seat's sink got, decrypted, each stamp (abs-send-time) checked then zeroed."""
    rx = pylibsrtp.Session(pylibsrtp.Policy(key=KEY, ssrc_type=pylibsrtp.Policy.SSRC_ANY_INBOUND))
    found = []
    while True:
        try:
            wire = seat.sink.recv(4096)
        except BlockingIOError:
            return found
        plain = bytearray(rx.unprotect(wire))
        at = extension_offset(bytes(plain), 3)
        if at is not None:
            stamp = int.from_bytes(plain[at : at + 3], "big")
            now = int(time.monotonic() * (1 << 18)) & 0xFFFFFF
            assert (now - stamp) % (1 << 24) < 5 * (1 << 18), "a send time stamped more than 5 s ago"
            plain[at : at + 3] = b"\0\0\0"
        found.append(bytes(plain))


def _state(seats: list[Seat], first_epoch: int) -> list[dict[str, Any]]:
    """Everything the fan-out may touch, per subscriber and track, comparable across worlds (stream epochs count
    from `first_epoch`, the first one the world's run could take)."""

    def epoch(value: int) -> int:
        return value - first_epoch if value > 0 else value

    states = []
    for seat in seats:
        sub = seat.sub
        tracks = {}
        for kind, out in sub.tracks.items():
            rw = out.rewriter
            tracks[kind] = {
                "rewriter": (rw.seq_offset, rw.ts_offset, rw.next_seq, rw.last_in_ts, rw.last_out_ts),
                "history": list(out.history),
                "counts": (out.packets, out.octets, out.skipped_for_keyframe, out.srtp_errors),
                "gates": (out.waiting_keyframe, out.need_resync, epoch(out.kept_epoch), epoch(out.epoch)),
                "source": None if out.source is None else (out.source.kind, out.source.clock_rate),
                "pending": out.pending is not None,
                "direct errors": None if out.direct is None else out.direct.errors,
                "sent": out.last_send > 0,
            }
        dtls = {} if seat.dtls is None else seat.dtls._get_stats()  # what getStats sees (the fan-out settles it)
        states.append(
            {
                "tracks": tracks,
                "queue": [(*entry[1:6], epoch(entry[6]), entry[7]) for entry in sub.queue],
                "dropped": (sub.dropped, sub.overflows),
                "tx": (dtls.get("packets"), dtls.get("bytes")),
            }
        )
    return states


def _play(scenario: Callable[[], Any], fast: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any, int]:
    """Run a scenario with the compiled fan-out or without; returns what was received, the state, and how many
    packets went out through DirectRtpSender.send (the Python path's direct send)."""
    sends = 0
    original = seams.DirectRtpSender.send

    def counting(self: seams.DirectRtpSender, *args: Any) -> bool:
        nonlocal sends
        sends += 1
        return original(self, *args)

    with monkeypatch.context() as patch:
        patch.setattr(forward, "FAN_OUT", forward.FAN_OUT if fast else None)
        patch.setattr(seams.DirectRtpSender, "send", counting)

        async def run() -> tuple[Any, Any]:
            first_epoch = next(forward._epochs)
            seats = await scenario()
            await asyncio.sleep(0.05)  # anything asyncio queued goes out
            try:
                return [_received(seat) for seat in seats], _state(seats, first_epoch)
            finally:
                for seat in seats:
                    seat.sink.close()
                    if seat.udp is not None:
                        seat.udp.close()

        received, state = asyncio.run(run())
    return received, state, sends


async def _video_lecture() -> list[Seat]:
    """A video source and subscribers in every case the fan-out meets."""
    seats = [
        await _seat(0, "video"),  # steady after the keyframe
        await _seat(1, "video"),  # the same layout: shares the template
        await _seat(2, "video", with_abs=True),  # its own layout, stamped with the send time
        await _seat(3, "video", ready=False),  # not connected yet
        await _seat(4, "video", direct=False),  # no direct path: the queue
        await _seat(5, "video", pts={}),  # no payload type for VP8: nothing sent
        await _seat(6, "video"),  # moves to this source at its keyframe
        await _seat(7, "video"),  # fed by another source
        await _seat(8, "video"),  # something queued ahead: the queue keeps the order
    ]
    source = _source("video", seats)
    other = _source("video", [])
    for seat in seats:
        seat.sub.tracks["video"].source = source
    seats[6].sub.tracks["video"].source, seats[6].sub.tracks["video"].pending = other, source
    seats[7].sub.tracks["video"].source = other
    packets = [
        _video(10, 3000),  # before any keyframe: every video track waits
        _video(11, 3000, start=False),
        _video(12, 6000, key=True),
        _video(13, 6000, start=False, size=1400),
        _video(14, 9000),
        _video(16, 12000),  # 15 is late
        _video(15, 9000, start=False),  # a reordered packet: mapped, but the next expected stays at 17
        _video(17, 12000, start=False, size=40),
    ]
    for index, packet in enumerate(packets):
        if index == 4:
            seats[8].sub.queue.append((seats[8].sub.tracks["video"], b"\x80" * 20, VIDEO_CODEC, 1, 1, False, 0, -1))
        source.on_rtp(packet)
    source.on_rtp(_video(18, 15000, key=True))  # a new publisher: a new stream, every track resyncs
    source.on_rtp(RtpPacket(payload_type=96, sequence_number=500, timestamp=1, ssrc=999, payload=b"\x10\x00key"))
    source.on_rtp(RtpPacket(payload_type=96, sequence_number=501, timestamp=1, ssrc=999, payload=b"\x00\x00more"))
    return seats


async def _red_lecture() -> list[Seat]:
    """RED audio: sent as RED to a subscriber that takes it, unwrapped to Opus for the others."""
    seats = [
        await _seat(0, "audio", red=True),
        await _seat(1, "audio"),
        await _seat(2, "audio", red=True, with_abs=True),
        await _seat(3, "audio", pts={AUDIO_CODEC: 109}),  # its own Opus number, no RED
    ]
    source = _source("audio", seats)
    for seat in seats:
        seat.sub.tracks["audio"].source = source
    for seq in range(60000, 60000 + 12):  # across the sequence numbers' wrap
        source.on_rtp(_red(seq % (1 << 16), seq * 960))
    return seats


@pytest.fixture
def compiled() -> Iterator[None]:
    assert forward.FAN_OUT is not None, "the compiled fan-out is not built: `make install` builds it"
    yield


@pytest.mark.parametrize("scenario", [_video_lecture, _red_lecture], ids=["video", "red audio"])
def test_the_compiled_fan_out_sends_and_records_what_the_python_path_does(
    compiled: None, scenario: Callable[[], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    fast_received, fast_state, fast_sends = _play(scenario, True, monkeypatch)
    slow_received, slow_state, slow_sends = _play(scenario, False, monkeypatch)
    assert any(fast_received), "nothing was sent"
    assert fast_received == slow_received
    assert fast_state == slow_state
    # The compiled loop really sent the steady tracks' packets: the Python path sent fewer.
    assert fast_sends < slow_sends / 2, (fast_sends, slow_sends)


_PYTHON_ONLY_RUN = """
import base64, pickle, sys
import pytest
from lectern.webrtc.relay import compiled, forward, out_track, rtp, seams
from tests.webrtc.relay import test_fanout as t
assert compiled.fanout is None and forward.FAN_OUT is None
bases = (rtp.StreamRewriter.__mro__[1], out_track.OutTrack.__mro__[1], seams.DirectRtpSender.__mro__[1])
assert bases == (rtp._RewriterFields, out_track._TrackFields, seams._SenderFields), bases
assert type(seams.packet_history(4)) is list
scenario = t._video_lecture if sys.argv[1] == "video" else t._red_lecture
received, state, _sends = t._play(scenario, False, pytest.MonkeyPatch())
sys.stdout.write(base64.b64encode(pickle.dumps((received, state))).decode())
"""


@pytest.mark.parametrize("scenario", [_video_lecture, _red_lecture], ids=["video", "red audio"])
def test_the_relay_without_its_compiled_part_sends_and_records_the_same(
    compiled: None, scenario: Callable[[], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`LECTERN_RELAY_FAN_OUT=python` (or no extension built): the Python loop on objects whose fields are Python
    slots and whose history is a list, in a process of its own, gives what the compiled relay gives."""
    kind = "video" if scenario is _video_lecture else "red"
    env = {**os.environ, "LECTERN_RELAY_FAN_OUT": "python"}
    command = [sys.executable, "-c", _PYTHON_ONLY_RUN, kind]
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    python_received, python_state = pickle.loads(base64.b64decode(run.stdout))  # noqa: S301  # our own child's
    fast_received, fast_state, _sends = _play(scenario, True, monkeypatch)
    assert any(fast_received)
    assert fast_received == python_received
    assert fast_state == python_state


def test_the_video_scenario_covers_each_case(compiled: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cases `_video_lecture` sets up really happen (so the comparison above is about something)."""
    received, state, _sends = _play(_video_lecture, True, monkeypatch)
    counts = [len(r) for r in received]
    # From the first keyframe on: seven packets of the first stream, two of the new publisher's.
    assert counts[0] == counts[1] == counts[2] == counts[6] == 9
    assert counts[3] == counts[4] == counts[5] == counts[7] == 0  # not ready, queued, no payload type, not fed
    assert len(state[4]["queue"]) == 11  # no direct path: every packet waits for the writer (and its gate)
    assert counts[8] == 2 and len(state[8]["queue"]) == 1 + 7  # sent until something was queued ahead
    video = state[0]["tracks"]["video"]
    assert video["counts"][0] == 9 and video["counts"][2] == 2  # sent; skipped while waiting for the keyframe
    assert video["rewriter"][2] == 9  # the next sequence number: the reordered packet did not move it back
    assert received[2][0] != received[0][0]  # the stamped layout differs from the plain one
    assert state[6]["tracks"]["video"]["pending"] is False  # it moved to this source at the keyframe


@pytest.mark.parametrize("reason", ["not connected", "send_rtp overridden", "socket backed up", "new pair"])
def test_the_compiled_fan_out_sends_directly_only_where_direct_rtp_sender_would(compiled: None, reason: str) -> None:
    """The fan-out reads DirectRtpSender.writable's conditions from the objects' fields: a DTLS transport not
    connected, an override of its `_send_rtp` (instrumentation), a socket asyncio is still emptying: the packet goes
    to the subscriber's queue (aiortc's path), not to the socket. A new nominated pair: sent there."""

    async def run() -> tuple[int, int, int]:
        seat = await _seat(0, "video", waiting_keyframe=False)
        other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        other.bind(("127.0.0.1", 0))
        other.setblocking(False)
        source = _source("video", [seat])
        out = seat.sub.tracks["video"]
        out.source = source
        source.on_rtp(_video(1, 100, key=True))  # steady from here
        assert seat.dtls is not None and seat.udp is not None and out.direct is not None
        fields = vars(seat.udp)
        if reason == "not connected":
            seat.dtls._state = State.CLOSED
        elif reason == "send_rtp overridden":
            setattr(seat.dtls, "_send_rtp", None)  # noqa: B010
        elif reason == "socket backed up":
            fields["_buffer_size"] += 1  # what asyncio counts while datagrams wait for the socket
        else:
            nominated = seat.dtls.transport._connection._nominated
            remote = Candidate("1", 1, "udp", 1, "127.0.0.1", other.getsockname()[1], "host")
            nominated[1] = CandidatePair(nominated[1].protocol, remote)
        source.on_rtp(_video(2, 100, start=False))
        if reason == "socket backed up":
            fields["_buffer_size"] -= 1
        await asyncio.sleep(0.05)
        try:
            moved = 0
            while True:
                try:
                    other.recv(4096)
                    moved += 1
                except BlockingIOError:
                    break
            return len(_received(seat)), len(seat.sub.queue), moved
        finally:
            other.close()
            seat.sink.close()
            seat.udp.close()

    sent, queued, moved = asyncio.run(run())
    if reason == "new pair":
        assert (sent, queued, moved) == (1, 0, 1)
    else:
        assert (sent, queued, moved) == (1, 1, 0)


@pytest.mark.parametrize("case", ["address unusable", "no socket of asyncio's own", "socket closed"])
def test_a_datagram_the_socket_refuses_goes_through_asyncio(compiled: None, case: str) -> None:
    """When the pair's socket will not take the datagram, asyncio's own `sendto` gets it (it queues it, or tells
    the protocol), as it would on aiortc's path: here the address the fan-out holds is unusable, or the transport
    has no socket the fan-out can use (another event loop's transport); asyncio's `sendto` works."""

    async def run() -> list[bytes]:
        seat = await _seat(0, "video", waiting_keyframe=False)
        source = _source("video", [seat])
        seat.sub.tracks["video"].source = source
        direct = seat.sub.tracks["video"].direct
        assert direct is not None and direct.writable(100)
        if case == "address unusable":
            direct._sockaddr = b"\0" * 4  # too short for a struct sockaddr: sendto fails with EINVAL
        elif case == "socket closed":  # its descriptor, read from the object, is -1
            closed = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            closed.close()
            direct._socket = closed
        else:
            direct._socket = None
        source.on_rtp(_video(1, 100, key=True))
        source.on_rtp(_video(2, 100, start=False))
        await asyncio.sleep(0.05)
        try:
            return _received(seat)
        finally:
            seat.sink.close()
            assert seat.udp is not None
            seat.udp.close()

    assert len(asyncio.run(run())) == 2


def test_a_packet_libsrtp_refuses_is_counted_and_dropped(compiled: None) -> None:
    async def run() -> tuple[int, int, int]:
        seat = await _seat(0, "video")
        source = _source("video", [seat])
        out = seat.sub.tracks["video"]
        out.source = source
        source.on_rtp(_video(1, 100, key=True))
        source.on_rtp(_video(1, 100, key=True))  # the same sequence number again: a replay to libsrtp
        await asyncio.sleep(0.05)
        try:
            assert out.direct is not None
            return len(_received(seat)), out.srtp_errors, out.direct.errors
        finally:
            seat.sink.close()
            assert seat.udp is not None
            seat.udp.close()

    assert asyncio.run(run()) == (1, 1, 1)


def test_sockaddr_is_what_the_socket_module_sends_to() -> None:
    from lectern.webrtc.relay._fanout import sockaddr

    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    port = sink.getsockname()[1]
    raw = sockaddr("127.0.0.1", port)
    assert raw[2:4] == struct.pack("!H", port) and raw[4:8] == socket.inet_aton("127.0.0.1")
    assert len(sockaddr("::1", 5000)) == 28
    with pytest.raises(ValueError, match="not a numeric address"):
        sockaddr("localhost", 5000)
    sink.close()


def test_the_history_in_c_is_the_list_it_stands_for(compiled: None) -> None:
    """OutTrack.history kept in C (seams.packet_history): what Python reads and writes is what a list of
    (seq, template, payload type, timestamp, stamp_at) or None would hold; bad entries are refused."""
    history = seams.packet_history(8)
    assert isinstance(history, _fanout.History)
    plain: list[Any] = [None] * 8
    for entries in (history, plain):
        for entry in [(9, b"x" * 20, 96, (1 << 32) - 1, -1), (10, b"y", 111, 0, 17), (23, b"z", 96, 5, 3)]:
            entries[entry[0] % 8] = entry
        entries[2] = None
    assert list(history) == plain and len(history) == 8 and history[-1] == plain[-1]
    with pytest.raises(ValueError, match="does not belong"):
        history[3] = (4, b"", 96, 0, -1)
    with pytest.raises(TypeError):
        history[1] = (9, "not bytes", 96, 0, -1)
    with pytest.raises(TypeError):
        history[1] = [9, b"", 96, 0, -1]
    with pytest.raises(IndexError):
        history[8]
    with pytest.raises(TypeError):
        del history[0]
    with pytest.raises(ValueError):
        _fanout.History(0)


def test_the_rewriter_fields_in_c_read_and_write_as_python_ints(compiled: None) -> None:
    rw = StreamRewriter(ssrc=(1 << 32) - 1, next_seq=65535, next_ts=(1 << 32) - 1, clock_rate=90000)
    assert isinstance(rw, _fanout.RewriterFields)
    assert (rw.seq_offset, rw.ts_offset, rw.last_in_ts, rw.last_out_ts) == (None, None, 0, 0)
    rw.resync(10, 20)
    assert (rw.seq_offset, rw.ts_offset) == (65525, (1 << 32) - 21)
    assert rw.rewrite(11, 21) == (0, 0) and (rw.next_seq, rw.last_in_ts, rw.last_out_ts) == (1, 21, 0)
    assert "ssrc=4294967295" in repr(rw)
    rw.seq_offset = None
    assert rw.seq_offset is None
    with pytest.raises(TypeError):
        rw.next_seq = "1"  # type: ignore[assignment]


def test_the_track_fields_in_c_start_and_count_as_the_python_ones(compiled: None) -> None:
    """OutTrack's counters and epochs (`_fanout.TrackFields`, or out_track.py's `_TrackFields` without the
    extension), and StreamRewriter's fields: both bases start a track and a stream the same way."""
    names = out_track._TrackFields.__slots__
    in_c, in_python = _fanout.TrackFields(), out_track._TrackFields()
    assert [getattr(in_c, n) for n in names] == [getattr(in_python, n) for n in names] == [-1, 0, 0.0, 0, 0, 0]
    track = _track("video", 0, False, {VIDEO_CODEC: 96})
    assert isinstance(track, _fanout.TrackFields) and track.epoch == -1
    track.packets += 2**40  # beyond 32 bits, as a Python int would
    track.last_send = 1.5
    assert (track.packets, track.last_send) == (2**40, 1.5)
    with pytest.raises(TypeError):
        track.octets = None  # type: ignore[assignment]


def test_the_relay_uses_the_compiled_fan_out_when_it_is_built(caplog: pytest.LogCaptureFixture) -> None:
    """`make install` builds it; a checkout without it would forward at the Python loop's speed. It reads a
    socket's descriptor from the object (found where `bind`'s probe socket has it), not through fileno()."""
    assert forward.FAN_OUT is not None
    with caplog.at_level(logging.WARNING):
        assert seams.compiled_fan_out() is forward.FAN_OUT
    assert not caplog.records, caplog.text
