"""The relay benchmarks' load generator: an aiortc publisher of camera-like VP8 640x480 at 30 fps plus Opus, and
aiortc subscribers that timestamp the RTP they receive without decoding it (that keeps the load generator from
drowning the relay on a small machine); CPU accounting from /proc.

Two audiences: `subscribers_main` (a fixed number, joined at once: relay.py's first mode and lecture_load.py) and
`audience_main` with its parent-side `Audience` (subscribers added, dropped and measured on request, offering to a
relay that answers, as Lectern's does, or answering a relay that offers, as Janus does).
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import time
from collections import Counter
from collections.abc import Iterable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import av
from aiortc import AudioStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription, VideoStreamTrack
from aiortc.rtp import RtpPacket, is_rtcp

from lectern.webrtc.relay.rtp import vp8_is_keyframe_start
from lectern.webrtc.relay.seams import allow_loopback

WIDTH, HEIGHT, FPS = 640, 480, 30


class CameraLikeTrack(VideoStreamTrack):
    """A fresh frame every time (a reused frame stays a keyframe after a PLI), with a band of moving noise so the
    encoder produces camera-like packet sizes, and pts from the wall clock so RTP timestamps are irregular enough
    to match the publisher's packets with the subscribers' unambiguously.

    The noise spans every value unless `amplitude` bounds it (96 +/- amplitude): full noise is more than libvpx can
    squeeze into 1 Mbps at 640x480 (it sends about 2.7 Mbps whatever its target), +/- 16 lets it meet its target."""

    def __init__(self, amplitude: int | None = None) -> None:
        super().__init__()
        self._band = WIDTH * (HEIGHT // 6)
        self._noise = os.urandom(self._band * 4)
        if amplitude is not None:
            self._noise = bytes(96 - amplitude + b % (2 * amplitude + 1) for b in self._noise)
        self._flat = bytes([96]) * (WIDTH * HEIGHT)
        self._chroma = bytes([128]) * (WIDTH * HEIGHT // 4)
        self._index = 0
        self._start = 0.0

    async def recv(self) -> av.VideoFrame:
        _, time_base = await self.next_timestamp()
        if not self._start:
            self._start = time.time()
        size = WIDTH * HEIGHT
        top = (self._index * WIDTH * 4) % (size - self._band)
        at = (self._index * 4099) % (self._band * 3)
        self._index += 1
        frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
        frame.planes[0].update(self._flat[:top] + self._noise[at : at + self._band] + self._flat[top + self._band :])
        frame.planes[1].update(self._chroma)
        frame.planes[2].update(self._chroma)
        frame.pts, frame.time_base = int((time.time() - self._start) * 90000), time_base
        return frame


def new_pc() -> RTCPeerConnection:
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


def pin_encoder_bitrate(kbps: int) -> None:
    """Make aiortc's VP8 encoder (in this process) encode at `kbps` whatever the receiver's REMB says, so every
    relay is fed the same stream: the issue's 1 Mbps, not what each relay's bandwidth estimate makes of it."""
    from aiortc.codecs import vpx

    bitrate = kbps * 1000
    vpx.DEFAULT_BITRATE = bitrate
    vpx.Vp8Encoder.target_bitrate = property(lambda self: bitrate, lambda self, value: None)  # type: ignore[method-assign,assignment]


def pin_self(cpus: set[int] | None) -> None:
    """Run this process (the threads it starts from now on too) on `cpus`; None: anywhere."""
    if cpus:
        os.sched_setaffinity(0, cpus)


# ---------------------------------------------------------------- publisher


def publisher_main(conn: Connection, kbps: int | None = None, cpus: set[int] | None = None) -> None:
    """Publish (offer out, answer in), record when each video RTP timestamp first left the publisher. On ("bytes",)
    report (video bytes, video packets, video frames, time) sent so far, on ("sent",) those timestamps; on "stop"
    report them and end. With `kbps` the encoder is held at that rate (and the picture made one it can meet);
    without, it follows the relay's REMB."""
    pin_self(cpus)
    if kbps:
        pin_encoder_bitrate(kbps)

    async def run() -> None:
        pc = new_pc()
        video = pc.addTransceiver(CameraLikeTrack(16 if kbps else None), direction="sendonly")
        pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
        sent: dict[int, float] = {}
        counters = [0, 0]
        allow_loopback(pc)
        await pc.setLocalDescription(await pc.createOffer())
        conn.send(pc.localDescription.sdp)
        answer = await asyncio.to_thread(conn.recv)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        transport = video.sender.transport
        original = transport._send_rtp
        video_pt = {c.payloadType for c in video._codecs if c.mimeType.lower() == "video/vp8"}

        async def send(data: bytes) -> None:
            if not is_rtcp(data) and data[1] & 0x7F in video_pt:
                sent.setdefault(int.from_bytes(data[4:8], "big"), time.time())
                counters[0] += len(data)
                counters[1] += 1
            await original(data)

        transport._send_rtp = send
        while True:
            msg = await asyncio.to_thread(conn.recv)
            if msg == "stop":
                break
            if msg == ("sent",):
                conn.send(dict(sent))
            else:
                conn.send((counters[0], counters[1], len(sent), time.time()))
        conn.send(sent)
        await pc.close()

    asyncio.run(run())


# ---------------------------------------------------------------- a fixed audience (relay.py's first mode)


def subscribers_main(conn: Connection, count: int) -> None:
    """Open `count` subscribers (offer via the parent), timestamp every RTP packet, report per-subscriber data."""

    async def run() -> None:
        pcs, data = [], []
        for i in range(count):
            pc = new_pc()
            rec: dict[str, Any] = {"arrivals": [], "video": [], "first_key": None}
            for kind in ("video", "audio"):
                transceiver = pc.addTransceiver(kind, direction="recvonly")

                async def handle(packet: RtpPacket, arrival_time_ms: int, rec: Any = rec, kind: str = kind) -> None:
                    # Replaces aiortc's handler entirely: no jitter buffer, no decoding in the load generator.
                    now = time.time()
                    rec["arrivals"].append(now)
                    if kind == "video":
                        rec["video"].append((packet.timestamp, now))
                        if rec["first_key"] is None and vp8_is_keyframe_start(packet.payload):
                            rec["first_key"] = now

                transceiver.receiver._handle_rtp_packet = handle
            allow_loopback(pc)
            await pc.setLocalDescription(await pc.createOffer())
            rec["joined"] = time.time()
            conn.send((f"sub-{i}", pc.localDescription.sdp))
            answer = await asyncio.to_thread(conn.recv)
            await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
            pcs.append(pc)
            data.append(rec)
        conn.send(("joined", None))
        deadline = time.time() + 10
        while time.time() < deadline and not all(r["first_key"] for r in data):
            await asyncio.sleep(0.05)
        conn.send(("ready", None))
        await asyncio.to_thread(conn.recv)
        conn.send(data)
        for pc in pcs:
            await pc.close()

    asyncio.run(run())


# ---------------------------------------------------------------- an audience that grows


class _Listener:
    """One subscriber of the audience: its connection and what it received. The RTP handler replaces aiortc's
    entirely (no jitter buffer, no decoding): a timestamp per packet, the first arrival of each video frame."""

    def __init__(self, pc: RTCPeerConnection) -> None:
        self.pc = pc
        self.joined = time.time()
        self.connected: float | None = None
        self.first_video: float | None = None
        self.first_key: float | None = None
        self.arrivals: list[float] = []
        self.frames: dict[int, float] = {}
        self.keys: list[tuple[int, float]] = []  # the first few keyframes: RTP timestamp, arrival
        self.sample: list[tuple[int, float]] = []  # the first frames: RTP timestamp, arrival

        @pc.on("connectionstatechange")
        def on_state() -> None:
            if pc.connectionState == "connected" and self.connected is None:
                self.connected = time.time()

    def hook(self) -> None:
        for transceiver in self.pc.getTransceivers():
            transceiver.receiver._handle_rtp_packet = self._on_video if transceiver.kind == "video" else self._on_audio

    async def _on_audio(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        self.arrivals.append(time.time())

    async def _on_video(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        now = time.time()
        self.arrivals.append(now)
        if packet.timestamp not in self.frames:
            self.frames[packet.timestamp] = now
            if len(self.sample) < 60:
                self.sample.append((packet.timestamp, now))
        if self.first_video is None:
            self.first_video = now
        if len(self.keys) < 4 and vp8_is_keyframe_start(packet.payload):
            self.keys.append((packet.timestamp, now))
            if self.first_key is None:
                self.first_key = now

    def window(self, since: float, until: float) -> dict[str, Any]:
        """Packets and video frames (first arrivals) in [since, until); what came before `until` is forgotten."""
        packets = sum(1 for a in self.arrivals if since <= a < until)
        frames = [(ts, at) for ts, at in self.frames.items() if since <= at < until]
        self.arrivals = [a for a in self.arrivals if a >= until]
        self.frames = {ts: at for ts, at in self.frames.items() if at >= until}
        return {"packets": packets, "frames": frames}

    def join_times(self) -> dict[str, Any]:
        return {
            "joined": self.joined,
            "connected": self.connected,
            "first_video": self.first_video,
            "first_key": self.first_key,
            "keys": list(self.keys),
            "sample": list(self.sample),
        }


def audience_main(conn: Connection, cpus: set[int] | None = None) -> None:
    """Subscribers on request from the parent (`Audience`), until told to stop. Requests, each answered:
    ("offer", peer) -> offer SDP; ("answer", peer, sdp) -> None; ("accept", peer, offer) -> answer SDP;
    ("drop", peer) -> None; ("wait", peers, timeout) -> how many have had a keyframe; ("window", since, until) ->
    [per-subscriber packets and frames]; ("joins", peers) -> [join times]; ("stop",) -> None."""
    pin_self(cpus)

    async def run() -> None:
        listeners: dict[str, _Listener] = {}
        while True:
            msg = await asyncio.to_thread(conn.recv)
            op = msg[0]
            if op == "offer":
                listener = listeners[msg[1]] = _Listener(new_pc())
                for kind in ("audio", "video"):
                    listener.pc.addTransceiver(kind, direction="recvonly")
                listener.hook()
                allow_loopback(listener.pc)
                await listener.pc.setLocalDescription(await listener.pc.createOffer())
                listener.joined = time.time()
                conn.send(listener.pc.localDescription.sdp)
            elif op == "answer":
                await listeners[msg[1]].pc.setRemoteDescription(RTCSessionDescription(sdp=msg[2], type="answer"))
                conn.send(None)
            elif op == "accept":
                listener = listeners[msg[1]] = _Listener(new_pc())
                await listener.pc.setRemoteDescription(RTCSessionDescription(sdp=msg[2], type="offer"))
                for transceiver in listener.pc.getTransceivers():
                    transceiver.direction = "recvonly"
                listener.hook()
                allow_loopback(listener.pc)
                await listener.pc.setLocalDescription(await listener.pc.createAnswer())
                conn.send(listener.pc.localDescription.sdp)
            elif op == "drop":
                gone = listeners.pop(msg[1], None)
                if gone is not None:
                    await gone.pc.close()
                conn.send(None)
            elif op == "wait":
                mine = [listeners[p] for p in msg[1] if p in listeners]
                deadline = time.time() + msg[2]
                while time.time() < deadline and not all(x.first_key for x in mine):
                    await asyncio.sleep(0.05)
                conn.send(sum(1 for x in mine if x.first_key))
            elif op == "window":
                conn.send([x.window(msg[1], msg[2]) for x in listeners.values()])
            elif op == "joins":
                conn.send([listeners[p].join_times() for p in msg[1] if p in listeners])
            elif op == "stop":
                await asyncio.gather(*(x.pc.close() for x in listeners.values()), return_exceptions=True)
                conn.send(None)
                return

    asyncio.run(run())


class Audience:
    """The parent's side of `processes` audience processes (started here); subscriber i lives in process
    i % processes."""

    def __init__(self, processes: int = 1, cpus: set[int] | None = None) -> None:
        ctx = mp.get_context("spawn")
        self.conns: list[Connection] = []
        self.procs: list[Any] = []
        self.home: dict[str, Connection] = {}
        for _ in range(processes):
            mine, theirs = ctx.Pipe()
            process = ctx.Process(target=audience_main, args=(theirs, cpus), daemon=True)
            process.start()
            self.conns.append(mine)
            self.procs.append(process)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def _ask(self, peer: str, *msg: Any) -> Any:
        if peer not in self.home:
            self.home[peer] = self.conns[len(self.home) % len(self.conns)]
        conn = self.home[peer]
        conn.send(msg)
        return conn.recv()

    def _ask_all(self, *msg: Any) -> list[Any]:
        for conn in self.conns:
            conn.send(msg)
        return [conn.recv() for conn in self.conns]

    def offer(self, peer: str) -> str:
        """A new subscriber's offer (it offers; the relay answers)."""
        return str(self._ask(peer, "offer", peer))

    def answer(self, peer: str, sdp: str) -> None:
        self._ask(peer, "answer", peer, sdp)

    def accept(self, peer: str, offer: str) -> str:
        """A new subscriber's answer to the relay's offer (Janus offers)."""
        return str(self._ask(peer, "accept", peer, offer))

    def drop(self, peer: str) -> None:
        self._ask(peer, "drop", peer)
        self.home.pop(peer, None)

    def wait_video(self, peers: Iterable[str], timeout: float = 10.0) -> int:
        """Wait until each of `peers` has had a keyframe, or `timeout`; how many have."""
        wanted = list(peers)
        return sum(self._ask_all("wait", wanted, timeout))

    def window(self, since: float, until: float) -> list[dict[str, Any]]:
        """Per subscriber: packets and video frames received in [since, until)."""
        return [x for part in self._ask_all("window", since, until) for x in part]

    def joins(self, peers: Iterable[str]) -> list[dict[str, Any]]:
        wanted = list(peers)
        return [x for part in self._ask_all("joins", wanted) for x in part]

    def close(self) -> None:
        for conn, process in zip(self.conns, self.procs, strict=True):
            try:
                conn.send(("stop",))
                conn.poll(20) and conn.recv()
            except (OSError, EOFError):
                pass
            process.join(10)
            if process.is_alive():
                process.kill()


# ---------------------------------------------------------------- measurement


def cpu_split(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of a process, all threads, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process, all threads."""
    return sum(cpu_split(pid))


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy (every process, ours and anyone else's), from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def timestamp_shift(sent: dict[int, float], received: Iterable[int]) -> int | None:
    """The constant the relay added to the publisher's RTP timestamps (it may rewrite them), found by vote among
    the first 40 received; None when no shift explains most of them."""
    sample = list(dict.fromkeys(received))[:40]
    if not sample or not sent:
        return None
    votes: Counter[int] = Counter()
    for s in sample:
        for p in sent:
            votes[(s - p) % (1 << 32)] += 1
    shift, hits = votes.most_common(1)[0]
    return shift if hits >= len(sample) // 2 else None


def match_latencies(sent: dict[int, float], received: list[tuple[int, float]]) -> list[float]:
    """Latency per video frame: the relay may shift RTP timestamps by a constant, so find that shift first."""
    first: dict[int, float] = {}
    for ts, at in received:
        first.setdefault(ts, at)
    shift = timestamp_shift(sent, first)
    if shift is None:
        return []
    return [at - sent[p] for ts, at in first.items() if (p := (ts - shift) % (1 << 32)) in sent]
