"""Relay benchmark: Lectern's forwarding relay against aiortc's MediaRelay (re-encodes per subscriber).

One publisher (VP8 640x480 at 30 fps plus Opus), N subscribers, the relay in its own process, everything on
loopback. Measured, not asserted. Subscribers do not decode: they timestamp the RTP they receive (that keeps the
load generator from drowning the relay on a small machine); the relay side is the real thing.

    .venv/bin/python benchmarks/relay.py --subscribers 20 --mediarelay-subscribers 3 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import multiprocessing as mp
import os
import pstats
import statistics
import sys
import threading
import time
from collections import Counter
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import av
from aiortc import (
    AudioStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
    VideoStreamTrack,
)
from aiortc.contrib.media import MediaBlackhole, MediaRelay
from aiortc.rtp import RtpPacket, is_rtcp

from lectern.webrtc.relay.api import RelayOptions
from lectern.webrtc.relay.inprocess import InProcessRelayClient
from lectern.webrtc.relay.rtp import vp8_is_keyframe_start
from lectern.webrtc.relay.seams import allow_loopback

WIDTH, HEIGHT, FPS = 640, 480, 30


class CameraLikeTrack(VideoStreamTrack):
    """A fresh frame every time (a reused frame stays a keyframe after a PLI), with a band of moving noise so the
    encoder produces camera-like packet sizes, and pts from the wall clock so RTP timestamps are irregular enough
    to match the publisher's packets with the subscribers' unambiguously."""

    def __init__(self) -> None:
        super().__init__()
        self._band = WIDTH * (HEIGHT // 6)
        self._noise = os.urandom(self._band * 4)
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


# ---------------------------------------------------------------- relay process


class MediaRelayServer:
    """The baseline: aiortc's MediaRelay, which hands decoded frames to one encoder per subscriber."""

    def __init__(self) -> None:
        self.relay = MediaRelay()
        self.tracks: dict[str, Any] = {}
        self.pcs: list[RTCPeerConnection] = []
        self.sinks: list[MediaBlackhole] = []
        self.starting: list[asyncio.Future[None]] = []

    async def publish(self, sdp: str) -> str:
        pc = new_pc()
        self.pcs.append(pc)

        @pc.on("track")
        def on_track(track: Any) -> None:
            self.tracks[track.kind] = track
            # Consume the publisher's track from the start, as a server would; otherwise the first subscriber
            # would be fed the frames decoded and queued before it joined.
            sink = MediaBlackhole()
            sink.addTrack(self.relay.subscribe(track))
            self.sinks.append(sink)
            self.starting.append(asyncio.ensure_future(sink.start()))

        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        allow_loopback(pc)
        await pc.setLocalDescription(await pc.createAnswer())
        return str(pc.localDescription.sdp)

    async def subscribe(self, sdp: str) -> str:
        pc = new_pc()
        self.pcs.append(pc)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        for transceiver in pc.getTransceivers():
            transceiver.sender.replaceTrack(self.relay.subscribe(self.tracks[transceiver.kind]))
            transceiver.direction = "sendonly"
        allow_loopback(pc)
        await pc.setLocalDescription(await pc.createAnswer())
        return str(pc.localDescription.sdp)

    async def close(self) -> None:
        for sink in self.sinks:
            await sink.stop()
        for pc in self.pcs:
            await pc.close()


def relay_main(conn: Connection, mode: str, profile: bool) -> None:
    """Serve publish/subscribe requests from the parent until told to stop."""
    profiler = cProfile.Profile() if profile else None
    if mode == "lectern":
        client = InProcessRelayClient(RelayOptions(loopback_only=True))
        client.open_lecture("bench")
        loop, submit = client._loop, client._call
    else:
        loop = asyncio.new_event_loop()
        threading.Thread(target=loop.run_forever, daemon=True).start()
        server = MediaRelayServer()

        def submit(coro: Any) -> Any:
            return asyncio.run_coroutine_threadsafe(coro, loop).result(30)

        submit(asyncio.sleep(0))
        # MediaRelay's objects must be created on its loop for the tracks it builds.

    async def toggle(on: bool) -> None:
        if profiler is not None:
            profiler.enable() if on else profiler.disable()

    while True:
        msg = conn.recv()
        if msg[0] == "publish":
            conn.send(
                submit(client.relay.publish("bench", "pub", msg[1]) if mode == "lectern" else server.publish(msg[1]))
            )
        elif msg[0] == "subscribe":
            conn.send(
                submit(
                    client.relay.subscribe("bench", msg[1], msg[2]) if mode == "lectern" else server.subscribe(msg[2])
                )
            )
        elif msg[0] == "profile":
            submit(toggle(msg[1]))
            conn.send(None)
        elif msg[0] == "stop":
            text = ""
            if profiler is not None:
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(22)
                text = out.getvalue()
            if mode == "lectern":
                client.shutdown()
            else:
                submit(server.close())
            conn.send(text)
            return


# ---------------------------------------------------------------- publisher and subscribers


def publisher_main(conn: Connection) -> None:
    """Publish, record when each video RTP timestamp first left the publisher, report it on request."""

    async def run() -> None:
        pc = new_pc()
        video = pc.addTransceiver(CameraLikeTrack(), direction="sendonly")
        pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
        sent: dict[int, float] = {}
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
            await original(data)

        transport._send_rtp = send
        await asyncio.to_thread(conn.recv)
        conn.send(sent)
        await pc.close()

    asyncio.run(run())


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


# ---------------------------------------------------------------- measurement


def cpu_split(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of a process, all threads, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process, all threads."""
    return sum(cpu_split(pid))


def match_latencies(sent: dict[int, float], received: list[tuple[int, float]]) -> list[float]:
    """Latency per video frame: the relay may shift RTP timestamps by a constant, so find that shift first."""
    first: dict[int, float] = {}
    for ts, at in received:
        first.setdefault(ts, at)
    if not first or not sent:
        return []
    votes: Counter[int] = Counter()
    sample = list(first)[:40]
    for s in sample:
        for p in sent:
            votes[(s - p) % (1 << 32)] += 1
    shift, hits = votes.most_common(1)[0]
    if hits < len(sample) // 2:
        return []
    return [at - sent[p] for ts, at in first.items() if (p := (ts - shift) % (1 << 32)) in sent]


def run_mode(mode: str, count: int, seconds: float, profile: bool) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    relay_conn, relay_end = ctx.Pipe()
    pub_conn, pub_end = ctx.Pipe()
    sub_conn, sub_end = ctx.Pipe()
    relay = ctx.Process(target=relay_main, args=(relay_end, mode, profile), daemon=True)
    publisher = ctx.Process(target=publisher_main, args=(pub_end,), daemon=True)
    subscribers = ctx.Process(target=subscribers_main, args=(sub_end, count), daemon=True)
    procs = [relay, publisher, subscribers]
    try:
        relay.start()
        publisher.start()
        relay_conn.send(("publish", pub_conn.recv()))
        pub_conn.send(relay_conn.recv())
        time.sleep(2.0)
        c0, w0 = cpu_seconds(relay.pid), time.time()
        time.sleep(2.0)
        idle_cpu = (cpu_seconds(relay.pid) - c0) / (time.time() - w0)
        subscribers.start()
        while True:
            tag, sdp = sub_conn.recv()
            if tag == "joined":
                break
            relay_conn.send(("subscribe", tag, sdp))
            sub_conn.send(relay_conn.recv())
        assert sub_conn.recv()[0] == "ready"
        time.sleep(1.0)
        relay_conn.send(("profile", True))
        relay_conn.recv()
        u0, s0 = cpu_split(relay.pid)
        g0 = cpu_seconds(publisher.pid) + cpu_seconds(subscribers.pid)
        c0, t0 = u0 + s0, time.time()
        time.sleep(seconds)
        u1, s1 = cpu_split(relay.pid)
        g1 = cpu_seconds(publisher.pid) + cpu_seconds(subscribers.pid)
        c1, t1 = u1 + s1, time.time()
        relay_conn.send(("profile", False))
        relay_conn.recv()
        sub_conn.send("stop")
        data = sub_conn.recv()
        pub_conn.send("stop")
        sent = pub_conn.recv()
        relay_conn.send(("stop",))
        profile_text = relay_conn.recv()
    finally:
        for proc in procs:
            proc.join(15)
            if proc.is_alive():
                proc.kill()
    cpu = (c1 - c0) / (t1 - t0)
    packets = sum(sum(1 for a in r["arrivals"] if t0 <= a < t1) for r in data)
    frames = [len({ts for ts, a in r["video"] if t0 <= a < t1}) / (t1 - t0) for r in data]
    latencies = sorted(
        x for r in data for x in match_latencies(sent, [(ts, a) for ts, a in r["video"] if t0 <= a < t1])
    )
    ttff = [r["first_key"] - r["joined"] for r in data if r["first_key"]]
    per_sub = (cpu - idle_cpu) / count if cpu > idle_cpu else cpu / count
    return {
        "mode": mode,
        "n": count,
        "cpu": cpu,
        "idle_cpu": idle_cpu,
        "per_sub": per_sub,
        "subs_per_core": 1 / per_sub if per_sub > 0 else float("inf"),
        "us_per_packet": (c1 - c0) / packets * 1e6 if packets else float("nan"),
        "us_sys": (s1 - s0) / packets * 1e6 if packets else float("nan"),
        "loadgen": (g1 - g0) / (t1 - t0),
        "fps": statistics.mean(frames) if frames else 0.0,
        "p50": latencies[len(latencies) // 2] * 1000 if latencies else float("nan"),
        "p99": latencies[int(len(latencies) * 0.99)] * 1000 if latencies else float("nan"),
        "matched": len(latencies),
        "ttff": max(ttff) * 1000 if ttff else float("nan"),
        "ttff_p50": statistics.median(ttff) * 1000 if ttff else float("nan"),
        "got_video": len(ttff),
        "profile": profile_text,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=20, help="subscribers for Lectern's relay")
    parser.add_argument("--mediarelay-subscribers", type=int, default=3, help="subscribers for MediaRelay")
    parser.add_argument("--seconds", type=float, default=10.0, help="measurement window per relay")
    parser.add_argument("--profile", action="store_true", help="cProfile Lectern's relay loop (distorts timings)")
    args = parser.parse_args()
    runs = [run_mode("lectern", args.subscribers, args.seconds, args.profile)]
    if args.mediarelay_subscribers > 0 and not args.profile:
        runs.append(run_mode("mediarelay", args.mediarelay_subscribers, args.seconds, False))
    print(f"\n{WIDTH}x{HEIGHT}@{FPS} VP8 + Opus, loopback, {os.cpu_count()} cores, window {args.seconds:.0f} s")
    head = (
        "relay       subs  relay CPU  idle CPU  CPU/sub  subs/core  us/pkt (sys)  fps/sub  lat p50  lat p99"
        "  TTFF p50  TTFF max  video  loadgen CPU"
    )
    print(head)
    print("-" * len(head))
    for r in runs:
        print(
            f"{r['mode']:<10} {r['n']:>5}  {r['cpu'] * 100:>8.1f}%  {r['idle_cpu'] * 100:>7.1f}%"
            f"  {r['per_sub'] * 100:>6.2f}%  {r['subs_per_core']:>9.1f}"
            f"  {r['us_per_packet']:>6.1f} ({r['us_sys']:>4.1f})"
            f"  {r['fps']:>7.1f}  {r['p50']:>5.1f}ms  {r['p99']:>5.1f}ms  {r['ttff_p50']:>6.0f}ms  {r['ttff']:>6.0f}ms"
            f"  {r['got_video']:>2}/{r['n']:<2}  {r['loadgen'] * 100:>10.0f}%"
        )
    if len(runs) == 2 and runs[1]["subs_per_core"] > 0:
        print(
            f"\nLectern / MediaRelay subscribers per core: {runs[0]['subs_per_core'] / runs[1]['subs_per_core']:.1f}x"
        )
    print(
        "\nrelay CPU: the relay process (all threads) during the window, % of one core; idle CPU: same with the"
        "\npublisher only; CPU/sub = (relay CPU - idle CPU) / subs; subs/core = 1 / CPU/sub; us/pkt = relay CPU"
        "\ntime / packets delivered to subscribers; latency: publisher send -> subscriber receive of the same"
        "\nvideo frame's first packet (both hops); TTFF: subscriber offer sent -> first VP8 keyframe packet;"
        "\n(sys): kernel share of us/pkt; loadgen CPU: publisher + subscriber processes, % of one core."
    )
    if args.profile:
        print("\nProfile of Lectern's relay loop thread (tottime):\n" + runs[0]["profile"])


if __name__ == "__main__":
    main()
