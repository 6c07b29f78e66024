"""Relay benchmark, first mode: Lectern's forwarding relay against aiortc's MediaRelay (re-encodes per subscriber).

One publisher (VP8 640x480 at 30 fps plus Opus), N subscribers, the relay in a process of its own (the in-process
relay on its loop thread, without the relay service's HTTP API), everything on loopback. Run through relay.py
(`--mode compare`, the default).
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import multiprocessing as mp
import os
import pstats
import statistics
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaBlackhole, MediaRelay

from benchmarks._media import (
    FPS,
    HEIGHT,
    WIDTH,
    cpu_seconds,
    cpu_split,
    match_latencies,
    new_pc,
    publisher_main,
    subscribers_main,
)
from lectern.webrtc.relay.api import RelayOptions
from lectern.webrtc.relay.inprocess import InProcessRelayClient
from lectern.webrtc.relay.seams import allow_loopback

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
                stats = pstats.Stats(profiler, stream=out).sort_stats(os.environ.get("PROFILE_SORT", "tottime"))
                stats.print_stats(int(os.environ.get("PROFILE_LINES", "22")))
                text = out.getvalue()
            if mode == "lectern":
                client.shutdown()
            else:
                submit(server.close())
            conn.send(text)
            return


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


def compare(subscribers: int, mediarelay_subscribers: int, seconds: float, profile: bool) -> None:
    """Lectern's relay with `subscribers`, then MediaRelay with `mediarelay_subscribers`; print the table."""
    runs = [run_mode("lectern", subscribers, seconds, profile)]
    if mediarelay_subscribers > 0 and not profile:
        runs.append(run_mode("mediarelay", mediarelay_subscribers, seconds, False))
    print(f"\n{WIDTH}x{HEIGHT}@{FPS} VP8 + Opus, loopback, {os.cpu_count()} cores, window {seconds:.0f} s")
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
    if profile:
        print("\nProfile of Lectern's relay loop thread (tottime):\n" + runs[0]["profile"])
