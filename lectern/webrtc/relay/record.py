"""Recording a lecture as the relay forwards it: the packets it receives, written as they come, never decoded.

Each published track (the publisher's audio and its best video version; the next publisher, a cadet given the floor,
brings tracks of its own) goes into a WebM file of its own: VP8 frames reassembled from their RTP packets (aiortc's
jitter buffer and depayloader), Opus packets as they are (the primary encoding of a RED packet). PyAV muxes them
without a codec. The Matroska muxer closes a cluster every second and the file is flushed then, so a relay killed
mid-lecture leaves files that play up to about the last second written.

`manifest.json` beside the files places each track on the lecture's timeline: `start`, in seconds from the
recording's start, is the capture time of the track's first frame; first the time its first packet arrived, then,
once the publisher's Sender Reports come, the time they map its RTP timestamp to (both tracks of a publisher share
its clock, so audio and video line up as the publisher captured them). `end` is set when the track ends (null: the
relay died; the file's own length tells). The manifest is rewritten whole, atomically, at each change.

The fan-out (forward.py) only appends a tuple to a list per packet (`Source.tap`); every WRITE_EVERY_S the relay's
loop reassembles and writes what came meanwhile, in one go. On the loop, not in a thread of its own: a writer thread
contends with the loop for the interpreter's lock, which cost the forwarding more than the writing itself (measured:
benchmarks/relay.py --mode recording).
"""

from __future__ import annotations

import asyncio
import fractions
import json
import logging
import os
import re
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import av
from aiortc.codecs.vpx import vp8_depayload
from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtp import RtpPacket

from lectern.webrtc.relay.api import RelayError
from lectern.webrtc.relay.rtp import red_primary

if TYPE_CHECKING:
    from lectern.webrtc.relay.forward import Source

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
# A recording's name, as the web side gives it: a path under the relay's recordings folder, never out of it.
KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}(/[A-Za-z0-9_-]{1,64}){0,3}$")
MUXER_OPTIONS = {"cluster_time_limit": "1000", "flush_packets": "1"}
TS_MOD = 1 << 32
# Refine a track's start from Sender Reports only when it moves by more than this (seconds).
START_EPSILON = 0.002
# How often the relay's loop writes what its sources handed the recording (seconds).
WRITE_EVERY_S = 0.1


def recording_dir(root: str, key: str) -> Path:
    """Where the recording `key` is written under `root`; RelayError for a name that could leave it."""
    if not root:
        raise RelayError("this relay does not record: it has no recordings folder")
    if not KEY.match(key):
        raise RelayError(f"invalid recording name: {key!r}")
    return Path(root) / key


def _signed(delta: int) -> int:
    """A 32-bit RTP timestamp difference as a signed number."""
    delta %= TS_MOD
    return delta - TS_MOD if delta >= TS_MOD // 2 else delta


def vp8_size(frame: bytes) -> tuple[int, int] | None:
    """The width and height in a VP8 keyframe's header (RFC 6386 9.1); None if `frame` is not a keyframe."""
    if len(frame) < 10 or frame[0] & 1 or frame[3:6] != b"\x9d\x01\x2a":
        return None
    return int.from_bytes(frame[6:8], "little") & 0x3FFF, int.from_bytes(frame[8:10], "little") & 0x3FFF


@dataclass
class _Track:
    """One file: a track of one publisher."""

    number: int
    kind: str
    peer: str
    clock_rate: int
    arrived: float  # when its first packet arrived (the recording's monotonic clock)
    path: Path
    ssrc: int | None = None
    container: Any = None
    stream: Any = None
    first_ts: int | None = None  # the RTP timestamp of the first frame written
    last_pts: int = -1
    start: float | None = None
    end: float | None = None
    buffer: JitterBuffer | None = None
    sr_offset: float | None = None  # the least delay of its publisher's Sender Reports (seconds, see `_sr`)
    sr: tuple[int, float] | None = None  # its last Sender Report: RTP timestamp, NTP time (Unix seconds)
    frames: int = 0
    time_base: fractions.Fraction = fractions.Fraction(1, 90000)  # of the RTP timestamps, and so of the packets

    def entry(self) -> dict[str, Any]:
        return {
            "file": self.path.name,
            "kind": self.kind,
            "peer": self.peer,
            "user_id": None,
            "start": None if self.start is None else round(self.start, 4),
            "end": None if self.end is None else round(self.end, 4),
            "frames": self.frames,
        }


@dataclass
class Recorder:
    """One lecture's recording on this relay: `attach` a publisher's sources when it publishes, `detach` them when it
    goes, `stop` at the end. Created and driven on the relay's event loop, which also writes (see the module)."""

    directory: Path
    loop: asyncio.AbstractEventLoop
    started_at: float = field(default_factory=time.time)
    started: float = field(default_factory=time.monotonic)
    _queue: deque[tuple[Any, ...]] = field(default_factory=deque)
    _tracks: dict[int, _Track] = field(default_factory=dict)  # by the number of the source's tap: its file now
    _files: list[_Track] = field(default_factory=list)  # every file, in the order they began
    _attached: dict[int, Source] = field(default_factory=dict)
    _numbers: int = 0
    _stopped_at: float | None = None
    _timer: asyncio.TimerHandle | None = None
    packets: int = 0
    errors: int = 0

    def __post_init__(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._write_manifest()
        self._timer = self.loop.call_later(WRITE_EVERY_S, self._run)

    # -- on the relay's loop --

    def attach(self, peer: str, sources: dict[str, Source]) -> None:
        """Record a publisher's audio and its best video (the low version is left out)."""
        for name in ("audio", "video"):
            source = sources.get(name)
            if source is None or id(source) in self._attached:
                continue
            self._numbers += 1
            number = self._numbers
            self._attached[id(source)] = source
            self._queue.append(("open", number, source.kind, peer, source.clock_rate, time.monotonic()))
            source.tap = self._tap(number)
            if source.kind == "video":
                source.request_keyframe()

    def detach(self, sources: dict[str, Source]) -> None:
        """A publisher left: its tracks end now."""
        for source in sources.values():
            if self._attached.pop(id(source), None) is not None and source.tap is not None:
                number = getattr(source.tap, "number", 0)
                source.tap = None
                self._queue.append(("close", number, time.monotonic()))

    def stop(self) -> dict[str, Any]:
        """End every track and the recording: what came is written and the files closed now. Its figures."""
        for source in list(self._attached.values()):
            source.tap = None
        self._attached.clear()
        if self._timer is not None:
            self._timer.cancel()
        self._queue.append(("stop", time.monotonic()))
        self._run()
        return self.figures()

    def figures(self) -> dict[str, Any]:
        return {"directory": str(self.directory), "packets": self.packets, "errors": self.errors}

    def _tap(self, number: int) -> Any:
        put = self._queue.append
        monotonic = time.monotonic

        def tap(packet: RtpPacket, mime: str, sr: tuple[int, float, float] | None = None) -> None:
            if sr is not None:
                put(("sr", number, *sr))
            else:
                # Only the values: the fan-out rewrites the packet object afterwards, before it is written.
                put(("rtp", number, packet.ssrc, packet.sequence_number, packet.timestamp, packet.marker,
                     packet.payload, mime, monotonic()))  # fmt: skip

        tap.number = number  # type: ignore[attr-defined]
        return tap

    # -- every WRITE_EVERY_S --

    def _run(self) -> None:
        """Write what came since the last time, then come back in WRITE_EVERY_S (until the recording stops)."""
        take = self._queue.popleft
        while self._queue:
            if self._handle(take()):
                self._timer = None
                return
        self._timer = self.loop.call_later(WRITE_EVERY_S, self._run)

    def _handle(self, item: tuple[Any, ...]) -> bool:
        """Write one item of the queue; True at the end of the recording."""
        try:
            if item[0] == "rtp":
                self._rtp(*item[1:])
            elif item[0] == "sr":
                self._sr(*item[1:])
            elif item[0] == "open":
                self._open(*item[1:])
            elif item[0] == "close":
                self._close(self._tracks.get(item[1]), item[2])
                self._write_manifest()
            elif item[0] == "stop":
                for track in self._tracks.values():
                    self._close(track, item[1])
                self._stopped_at = time.time()
                self._write_manifest()
                return True
        except Exception:  # one bad packet or a full disk must not end the recording of the others
            self.errors += 1
            if self.errors <= 10:
                logger.exception("recording %s: %s failed", self.directory, item[0])
        return False

    def _open(self, number: int, kind: str, peer: str, clock_rate: int, arrived: float) -> None:
        """A new file for the source tapped as `number` (files are numbered apart, in the order they begin)."""
        path = self.directory / f"t{len(self._files) + 1}-{kind}.webm"
        track = _Track(number, kind, peer, clock_rate, arrived, path)
        if kind == "video":
            track.buffer = JitterBuffer(capacity=512, is_video=True)
        self._tracks[number] = track
        self._files.append(track)

    def _rtp(
        self, number: int, ssrc: int, seq: int, ts: int, marker: int, payload: bytes, mime: str, arrived: float
    ) -> None:
        track = self._tracks.get(number)
        if track is None or track.end is not None:
            return
        self.packets += 1
        if track.ssrc is not None and ssrc != track.ssrc:
            # The publisher restarted its stream (a new SSRC, its timestamps afresh): a new file goes on from here.
            self._close(track, arrived)
            self._write_manifest()
            self._open(number, track.kind, track.peer, track.clock_rate, arrived)
            track = self._tracks[number]
        track.ssrc = ssrc
        if track.kind == "audio":
            data = red_primary(payload) if mime == "audio/red" else payload
            if data:
                self._write(track, data, ts, arrived, keyframe=True)
            return
        assert track.buffer is not None
        packet = RtpPacket(payload_type=0, marker=marker, sequence_number=seq, timestamp=ts, ssrc=ssrc)
        packet.payload = payload
        try:
            packet._data = vp8_depayload(payload)  # type: ignore[attr-defined]
        except ValueError:
            return
        lost, frame = track.buffer.add(packet)
        if lost:
            self._ask_keyframe(number)
        if frame is not None:
            size = vp8_size(frame.data)
            if track.container is None and size is None:
                return  # a recording begins at a keyframe
            self._write(track, frame.data, frame.timestamp, arrived, keyframe=size is not None, size=size)

    def _write(
        self, track: _Track, data: bytes, ts: int, arrived: float, keyframe: bool, size: tuple[int, int] | None = None
    ) -> None:
        if track.container is None:
            track.container = av.open(str(track.path), "w", format="webm", options=MUXER_OPTIONS)
            base = fractions.Fraction(1, track.clock_rate)
            if track.kind == "video":
                track.stream = track.container.add_stream("vp8", rate=30)
                track.stream.width, track.stream.height = size or (640, 480)
            else:
                track.stream = track.container.add_stream("opus", rate=48000)
                track.stream.codec_context.extradata = _opus_head()
            track.stream.time_base = track.time_base = base
            track.first_ts = ts
            track.start = self._captured(track)
            if track.start is None:
                track.start = arrived - self.started
            self._write_manifest()
        assert track.first_ts is not None
        pts = _signed(ts - track.first_ts)
        if pts <= track.last_pts:
            return  # late or repeated (the muxer wants increasing timestamps)
        track.last_pts = pts
        packet = av.Packet(data)
        packet.pts = packet.dts = pts
        packet.time_base = track.time_base  # the stream's own becomes the muxer's (milliseconds) once it starts
        packet.stream = track.stream
        packet.is_keyframe = keyframe
        track.container.mux(packet)
        track.frames += 1

    def _sr(self, number: int, rtp_ts: int, ntp: float, arrived: float) -> None:
        """A Sender Report of a track's publisher: the capture time of its tracks' first frames, on our clock. The
        publisher's clock is placed on ours by the least delay any of its reports took to come."""
        track = self._tracks.get(number)
        if track is None:
            return
        track.sr = (rtp_ts, ntp)
        peers = [t for t in self._files if t.peer == track.peer]
        offset = (arrived - self.started) - (ntp - self.started_at)
        least = min([offset, *(t.sr_offset for t in peers if t.sr_offset is not None)])
        changed = False
        for other in peers:
            other.sr_offset = least
            start = self._captured(other) if other.end is None else None
            if start is not None and (other.start is None or abs(start - other.start) > START_EPSILON):
                other.start = start
                changed = True
        if changed:
            self._write_manifest()

    def _captured(self, track: _Track) -> float | None:
        """When the track's first frame was captured, on the recording's clock, by its Sender Reports (None: none
        came yet, or nothing is written yet)."""
        if track.first_ts is None or track.sr is None or track.sr_offset is None:
            return None
        sr_ts, sr_ntp = track.sr
        captured = sr_ntp + _signed(track.first_ts - sr_ts) / track.clock_rate
        return captured - self.started_at + track.sr_offset

    def _close(self, track: _Track | None, at: float) -> None:
        if track is None or track.end is not None:
            return
        if track.container is not None:
            track.end = (track.start or 0.0) + track.last_pts / track.clock_rate
            track.container.close()
        else:
            track.end = at - self.started
        track.buffer = None

    def _ask_keyframe(self, number: int) -> None:
        for source in self._attached.values():
            if getattr(source.tap, "number", None) == number:
                source.request_keyframe()

    def _write_manifest(self) -> None:
        manifest = {
            "version": 1,
            "started_at": self.started_at,
            "stopped_at": self._stopped_at,
            "tracks": [t.entry() for t in self._files if t.start is not None],
        }
        temporary = self.directory / f".{MANIFEST}.tmp"
        temporary.write_text(json.dumps(manifest, indent=1))
        os.replace(temporary, self.directory / MANIFEST)


def _opus_head(channels: int = 2, rate: int = 48000) -> bytes:
    """The OpusHead a WebM Opus track carries (RFC 7845 5.1): WebRTC's Opus is 48 kHz stereo, no pre-skip."""
    return b"OpusHead" + bytes([1, channels]) + (0).to_bytes(2, "little") + rate.to_bytes(4, "little") + bytes(3)
