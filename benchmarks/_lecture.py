"""One measured lecture for relay.py's issue-14 modes: a relay (Lectern's processes, _lectern.py, or Janus,
_janus.py), a publisher and a growing audience (_media.py), and what a measurement window sees of them.

The relay's CPU comes from /proc (all its threads, user + system), the subscribers' packets and frames from the
subscribers themselves, the publisher's rate from the publisher. Nothing is read from the relay's own counters, so
Lectern and Janus are measured the same way.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import statistics
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from benchmarks._janus import Janus
from benchmarks._lectern import LecternRelays
from benchmarks._media import Audience, cpu_seconds, machine_busy, match_latencies, publisher_main, timestamp_shift
from lectern.webrtc.relay.api import RelayError


class Relay(Protocol):
    """What a lecture needs of the relay under test."""

    name: str

    @property
    def pids(self) -> list[int]: ...

    def publish(self, offer_sdp: str) -> str: ...

    def wait_published(self) -> None: ...

    def subscribe(self, peer: str, index: int, audience: Audience) -> None: ...

    def close(self) -> None: ...


@dataclass
class Window:
    """What one measurement window saw."""

    subscribers: int
    seconds: float
    cpu: list[float]  # per relay process, cores (CPU seconds per second)
    loadgen: float  # publisher + audience, cores
    packets: int  # RTP packets delivered to all subscribers
    fps: list[float]  # per subscriber: distinct video frames per second
    kbps: float  # the publisher's video, on the wire
    pub_fps: float  # the publisher's video frames per second
    machine: float  # the whole machine's busy CPU (anyone's), as a share of all its cores
    latencies: list[float] = field(default_factory=list)  # seconds, publisher send -> subscriber receive

    @property
    def relay_cpu(self) -> float:
        return sum(self.cpu)

    @property
    def fps_min(self) -> float:
        return min(self.fps) if self.fps else 0.0

    @property
    def fps_mean(self) -> float:
        return statistics.mean(self.fps) if self.fps else 0.0

    @property
    def us_per_packet(self) -> float:
        return self.relay_cpu * self.seconds / self.packets * 1e6 if self.packets else float("nan")

    def latency_ms(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000 if ordered else float("nan")


@dataclass
class Joins:
    """Subscribers that asked to join: admitted, refused by the relay (full) and failed otherwise."""

    admitted: int = 0
    refused: int = 0
    failed: int = 0
    reasons: list[str] = field(default_factory=list)


class Lecture:
    """A publisher on `relay` and an audience that grows on request; the publisher and the audience on
    `loadgen_cpus`."""

    def __init__(
        self, relay: Relay, kbps: int, loadgen_cpus: set[int] | None = None, audience_processes: int = 1
    ) -> None:
        self.relay = relay
        ctx = mp.get_context("spawn")
        self.pub, theirs = ctx.Pipe()
        self.publisher = ctx.Process(target=publisher_main, args=(theirs, kbps, loadgen_cpus), daemon=True)
        self.publisher.start()
        self.audience = Audience(audience_processes, loadgen_cpus)
        self.peers: list[str] = []
        self.serial = 0
        try:
            self.pub.send(relay.publish(self.pub.recv()))
            relay.wait_published()
        except BaseException:
            self.close()
            raise

    def idle_cpu(self, seconds: float) -> float:
        """The relay's CPU (cores) with the publisher alone."""
        c0, t0 = self._relay_cpu(), time.time()
        time.sleep(seconds)
        return (self._relay_cpu() - c0) / (time.time() - t0)

    def _relay_cpu(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.relay.pids)

    def _join(self, peer: str, joins: Joins) -> bool:
        try:
            self.relay.subscribe(peer, self.serial, self.audience)
        except RelayError as exc:
            if "full" in str(exc):
                joins.refused += 1
            else:
                joins.failed += 1
            joins.reasons.append(str(exc))
            return False
        except Exception as exc:  # a subscriber the relay could not take in time counts, and the run goes on
            joins.failed += 1
            joins.reasons.append(repr(exc))
            self.audience.drop(peer)
            return False
        finally:
            self.serial += 1
        joins.admitted += 1
        return True

    def grow(self, count: int, video_timeout: float = 15.0) -> Joins:
        """Ask subscribers to join until `count` have asked in all (each refused one counts); wait until the new
        ones have video."""
        joins, new = Joins(), []
        while self.serial < count:
            peer = f"sub-{self.serial}"
            if self._join(peer, joins):
                self.peers.append(peer)
                new.append(peer)
        self.audience.wait_video(new, video_timeout)
        return joins

    def measure(self, seconds: float, latency: bool = True) -> Window:
        """A window of `seconds` with the audience as it is."""
        pids = self.relay.pids
        loadgen = [self.publisher.pid, *self.audience.pids]
        t0 = time.time()
        c0 = [cpu_seconds(p) for p in pids]
        g0 = sum(cpu_seconds(p) for p in loadgen)
        m0 = machine_busy()
        self.pub.send(("bytes",))
        b0, _, f0, s0 = self.pub.recv()
        self.audience.window(0, t0)  # forget what came before
        time.sleep(max(0.0, t0 + seconds - time.time()))
        t1 = time.time()
        c1 = [cpu_seconds(p) for p in pids]
        g1 = sum(cpu_seconds(p) for p in loadgen)
        m1 = machine_busy()
        self.pub.send(("bytes",))
        b1, _, f1, s1 = self.pub.recv()
        data = self.audience.window(t0, t1)
        span = t1 - t0
        window = Window(
            subscribers=len(data),
            seconds=span,
            cpu=[(b - a) / span for a, b in zip(c0, c1, strict=True)],
            loadgen=(g1 - g0) / span,
            packets=sum(r["packets"] for r in data),
            fps=[len(r["frames"]) / span for r in data],
            kbps=(b1 - b0) * 8 / (s1 - s0) / 1000 if s1 > s0 else float("nan"),
            pub_fps=(f1 - f0) / (s1 - s0) if s1 > s0 else float("nan"),
            machine=(m1 - m0) / span / (os.cpu_count() or 1),
        )
        if latency:
            self.pub.send(("sent",))
            sent = self.pub.recv()
            window.latencies = [x for r in data[:16] for x in match_latencies(sent, r["frames"])]
        return window

    def late_joins(self, count: int, gap: tuple[float, float] = (0.4, 1.2)) -> list[dict[str, Any]]:
        """`count` subscribers join one after another, a random gap apart (so they land anywhere between the
        publisher's keyframes and the relay's keyframe requests), each measured and then kept; their join times,
        with "fresh_key": when the first keyframe the publisher sent after the subscriber asked to join arrived
        (a relay that keeps the last keyframe shows an older one first)."""
        peers = []
        for i in range(count):
            time.sleep(random.uniform(*gap))
            peer = f"late-{i}"
            if self._join(peer, Joins()):
                self.audience.wait_video([peer], 5.0)
                peers.append(peer)
        time.sleep(1.0)  # the fresh keyframe of the last one
        times = self.audience.joins(peers)
        self.pub.send(("sent",))
        sent = self.pub.recv()
        for t in times:
            t["fresh_key"] = None
            shift = timestamp_shift(sent, [ts for ts, _ in t["sample"]])
            for ts, at in t["keys"]:
                origin = sent.get((ts - shift) % (1 << 32)) if shift is not None else None
                if origin is not None and origin >= t["joined"]:
                    t["fresh_key"] = at
                    break
        return times

    def close(self) -> None:
        try:
            self.audience.close()
        finally:
            try:
                self.pub.send("stop")
                if self.pub.poll(15):
                    self.pub.recv()
            except (OSError, EOFError):
                pass
            self.publisher.join(10)
            if self.publisher.is_alive():
                self.publisher.kill()
            self.relay.close()


def slope(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Least-squares (slope, intercept) of y over x."""
    xs, ys = [x for x, _ in points], [y for _, y in points]
    mx, my = statistics.mean(xs), statistics.mean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if not sxx:
        return float("nan"), my
    k = sum((x - mx) * (y - my) for x, y in points) / sxx
    return k, my - k * mx


def join_delays(times: list[dict[str, Any]]) -> dict[str, list[float]]:
    """Per late joiner, seconds from its connection being up (DTLS connected) to its first video packet, to its
    first keyframe's first packet and to the first packet of the first keyframe made after it asked to join; and
    from its offer to the connection."""
    out: dict[str, list[float]] = {"key": [], "fresh": [], "video": [], "connect": []}
    for t in times:
        if t["connected"] is None:
            continue
        out["connect"].append(t["connected"] - t["joined"])
        if t["first_key"] is not None:
            out["key"].append(max(0.0, t["first_key"] - t["connected"]))
        if t.get("fresh_key") is not None:
            out["fresh"].append(max(0.0, t["fresh_key"] - t["connected"]))
        if t["first_video"] is not None:
            out["video"].append(max(0.0, t["first_video"] - t["connected"]))
    return out


# ---------------------------------------------------------------- cores, relays, formatting


def cpu_plan(relays: int) -> tuple[list[set[int] | None], set[int] | None, str]:
    """Cores for each relay process and for the load generator, and the plan in words: a core of its own for each
    relay where there are more cores than relays, the rest for the load generator; nothing pinned otherwise."""
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) > relays:
        rest = set(cores[relays:])
        return [{c} for c in cores[:relays]], rest, f"relays {spans(cores[:relays])} | loadgen {spans(sorted(rest))}"
    return [None] * relays, None, "unpinned"


def spans(cores: list[int]) -> str:
    """0,1,2,5 -> "0-2,5"."""
    out: list[str] = []
    for c in cores:
        if out and out[-1].split("-")[-1] == str(c - 1):
            out[-1] = f"{out[-1].split('-')[0]}-{c}"
        else:
            out.append(str(c))
    return ",".join(out)


def audience_processes(args: Any, relays: int) -> int:
    """--audience-processes, or one per core of the load generator (at least one)."""
    if args.audience_processes:
        return int(args.audience_processes)
    _, loadgen, _ = cpu_plan(relays)
    return max(1, len(loadgen) if loadgen else (os.cpu_count() or 1) - relays)


def make_relay(kind: str, args: Any, processes: int = 1, capacity: int = 0) -> Any:
    """The relay under test: Janus, or Lectern's `processes` relay processes, pinned as `cpu_plan` says."""
    plan, _, _ = cpu_plan(processes)
    if kind == "janus":
        return Janus(args.janus_event_loops, plan[0])
    # "py-loop": the same relay forwarding with its Python loop (LECTERN_RELAY_FAN_OUT=python), the code before the
    # compiled fan-out (lectern/webrtc/relay/_fanout.c).
    relays = LecternRelays(processes, capacity, lambda i: plan[i], fan_out="python" if kind == "py-loop" else "")
    if kind == "recording":  # Lectern with the lecture recorded (issue 15)
        relays.record()
    return relays


def pct(x: float) -> str:
    """A share of one core, as a percentage."""
    return f"{x * 100:.1f}%"


def quantile(values: list[float], q: float) -> float:
    """The `q` quantile of `values`, one of them (the upper one for an even count's median); nan for none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def ms(values: list[float], q: float, digits: int = 0) -> str:
    """The `q` quantile of `values` (seconds) in ms; "-" for none."""
    return f"{quantile(values, q) * 1000:.{digits}f}" if values else "-"
