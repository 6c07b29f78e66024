"""relay.py's `link` mode: one stream per link (issue 14). An origin and one edge (`flask lectern relay` each), the
publisher on the origin, every subscriber on the edge; whatever the edge's audience, the origin should send it each
track once. Measured from the relays' own counters (`stats`): what the origin received from the publisher, what it
sent the edge (its subscribers whose `feed` is set: the edge's "edge:<id>:high" / ":low"), and what the edge sent
its own subscribers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any

from benchmarks._lectern import LECTURE, LecternRelays, can_pull
from benchmarks._lecture import Lecture, Window, audience_processes, cpu_plan, make_relay, pct
from benchmarks._media import FPS, HEIGHT, WIDTH, Audience

SETTLE = 2.0  # seconds after the audience changes, before a window


class EdgeOnly:
    """Lectern's origin and one edge (LecternRelays with two processes) with every subscriber on the edge."""

    def __init__(self, relays: LecternRelays) -> None:
        self.relays = relays
        self.name = relays.name

    @property
    def pids(self) -> list[int]:
        return self.relays.pids

    @property
    def origin(self) -> Any:
        return self.relays.clients[0]

    @property
    def edge(self) -> Any:
        return self.relays.clients[1]

    def publish(self, offer_sdp: str) -> str:
        return self.relays.publish(offer_sdp)

    def wait_published(self) -> None:
        self.relays.wait_published()

    def subscribe(self, peer: str, index: int, audience: Audience) -> None:
        self.relays.subscribe(peer, 1, audience)  # index 1 of two processes: the edge

    def leave(self, peer: str, audience: Audience) -> None:
        self.edge.leave(LECTURE, peer)
        audience.drop(peer)

    def close(self) -> None:
        self.relays.close()


@dataclass
class Counters:
    """Octets so far, read from both relays' stats at `at` (the middle of the two calls)."""

    at: float
    publisher_in: int  # the origin's publisher tracks, received
    to_edge: int  # the origin's feed subscribers, forwarded
    to_edge_probes: int  # and their bandwidth probes (padding)
    feeds: int  # the origin's subscribers with `feed` set
    edge_in: int  # the edge's publisher (the origin's feeds), received
    to_cadets: int  # the edge's own subscribers, forwarded
    cadets: int


def read(relay: EdgeOnly) -> Counters:
    t0 = time.time()
    origin = relay.origin.stats(LECTURE)
    edge = relay.edge.stats(LECTURE)
    at = (t0 + time.time()) / 2

    def received(stats: dict[str, Any]) -> int:
        pub = stats.get("publisher") or {"tracks": {}}
        return sum(int(t["octets_received"]) for t in pub["tracks"].values())

    def sent(stats: dict[str, Any], feeds: bool, key: str = "octets_forwarded") -> tuple[int, int]:
        subs = [s for s in stats["subscribers"].values() if (s.get("feed") is not None) == feeds]
        return sum(int(t[key]) for s in subs for t in s["tracks"].values()), len(subs)

    to_edge, feeds = sent(origin, True)
    probes, _ = sent(origin, True, "probe_octets")
    to_cadets, cadets = sent(edge, False)
    return Counters(at, received(origin), to_edge, probes, feeds, received(edge), to_cadets, cadets)


@dataclass
class Row:
    """One window at one audience size."""

    run: int
    n: int
    again: bool  # the first size measured again after the largest (drift)
    window: Window
    span: float  # seconds between the two stats reads
    publisher_in: float  # kbps
    to_edge: float
    to_edge_probes: float
    edge_in: float
    to_cadets: float
    feeds: int
    cadets: int


def measure(lecture: Lecture, relay: EdgeOnly, run: int, n: int, again: bool, seconds: float) -> Row:
    a = read(relay)
    window = lecture.measure(seconds, latency=False)
    b = read(relay)
    span = b.at - a.at

    def kbps(field: str) -> float:
        return float(getattr(b, field) - getattr(a, field)) * 8 / span / 1000

    return Row(
        run, n, again, window, span, kbps("publisher_in"), kbps("to_edge"), kbps("to_edge_probes"), kbps("edge_in"),
        kbps("to_cadets"), b.feeds, b.cadets,
    )  # fmt: skip


def one_run(args: argparse.Namespace, run: int) -> list[Row]:
    """Fresh relays; the edge's audience grown to each of `args.link_counts` with a window at each, then cut back
    to the first size for one more window."""
    counts = args.link_counts
    _, loadgen, _ = cpu_plan(2)
    relay = EdgeOnly(make_relay("lectern", args, 2))
    lecture = Lecture(relay, args.kbps, loadgen, audience_processes(args, 2))
    rows: list[Row] = []
    try:
        for n in counts:
            joins = lecture.grow(n)
            if joins.refused or joins.failed:
                print(f"  run {run}: N={n}: {joins.refused} refused, {joins.failed} failed: {joins.reasons[:3]}",
                      file=sys.stderr)  # fmt: skip
            time.sleep(SETTLE)
            rows.append(measure(lecture, relay, run, n, False, args.seconds))
            progress(rows[-1])
        if len(counts) > 1:
            keep = counts[0]
            for peer in lecture.peers[keep:]:
                relay.leave(peer, lecture.audience)
            del lecture.peers[keep:]
            time.sleep(SETTLE)
            rows.append(measure(lecture, relay, run, keep, True, args.seconds))
            progress(rows[-1])
    finally:
        lecture.close()
    return rows


def progress(r: Row) -> None:
    print(
        f"  run {r.run} N={r.n}{' again' if r.again else ''}: publisher in {r.publisher_in:.0f} kbps, origin -> edge "
        f"{r.to_edge:.0f} kbps ({r.feeds} feeds), edge -> cadets {r.to_cadets:.0f} kbps ({r.cadets}), fps min "
        f"{r.window.fps_min:.1f}, relay CPU {' + '.join(pct(c) for c in r.window.cpu)}",
        file=sys.stderr,
        flush=True,
    )


def ratio(a: float, b: float) -> str:
    return f"{a / b:.3f}" if b > 0 else "-"


def print_link(rows: list[Row], args: argparse.Namespace) -> None:
    _, _, pinning = cpu_plan(2)
    print(
        f"\nOne stream per link: {WIDTH}x{HEIGHT}@{FPS} VP8 at {args.kbps} kbps + Opus published on the origin, every "
        f"subscriber on one edge\npulling the lecture from it; {os.cpu_count()} cores ({pinning}), {args.link_runs} "
        f"run(s) of fresh relays, windows of {args.seconds:g} s after {SETTLE:g} s settling\n"
    )
    head = f"{'run':>3}{'N':>6}{'pub in':>8}{'origin->edge':>13}{'/pub in':>8}{'edge->cadets':>13}{'/(o->e)':>9}"
    head += f"{'fps min':>8}{'feeds':>6}{'edge in':>8}{'probes':>7}{'relay CPU o + e':>18}"
    print(head)
    print("-" * len(head))
    for r in rows:
        n = f"{r.n}{'*' if r.again else ''}"
        cpu = " + ".join(pct(c) for c in r.window.cpu)
        print(
            f"{r.run:>3}{n:>6}{r.publisher_in:>8.0f}{r.to_edge:>13.0f}{ratio(r.to_edge, r.publisher_in):>8}"
            f"{r.to_cadets:>13.0f}{ratio(r.to_cadets, r.to_edge):>9}{r.window.fps_min:>8.1f}{r.feeds:>6}"
            f"{r.edge_in:>8.0f}{r.to_edge_probes:>7.0f}{cpu:>18}"
        )
    counts = args.link_counts
    first, last = counts[0], counts[-1]
    lows = [r for r in rows if r.n == first and not r.again]
    highs = [r for r in rows if r.n == last and not r.again]
    if lows and highs and len(counts) > 1:
        low, high = statistics.mean(r.to_edge for r in lows), statistics.mean(r.to_edge for r in highs)
        runs = ", ".join(f"{h.to_edge / lo.to_edge:.3f}x" for lo, h in zip(lows, highs, strict=True) if lo.to_edge > 0)
        again = [r for r in rows if r.again]
        drift = (
            f"; N={first} measured again after N={last}: {statistics.mean(r.to_edge for r in again) / low:.3f}x"
            if again and low > 0
            else ""
        )
        per_high = [r.to_edge / r.publisher_in for r in highs if r.publisher_in > 0]
        per_low = [r.to_edge / r.publisher_in for r in lows if r.publisher_in > 0]
        share = statistics.mean(per_high) / statistics.mean(per_low) if per_high and per_low else float("nan")
        print(
            f"\norigin -> edge at N={last} against N={first}: {high:.0f} / {low:.0f} kbps = "
            f"{high / low if low > 0 else float('nan'):.3f}x (per run: {runs}){drift}"
            f"\n  per publisher octet (origin->edge / pub in, which takes out the publisher's own drift): {share:.3f}x"
        )
    print(
        "\nN: subscribers on the edge (*: the first size again, after the largest: drift); pub in: what the origin"
        "\nreceived from the publisher (its publisher tracks' octets_received, audio + video), kbps; origin->edge:"
        "\nwhat the origin forwarded to the edge (octets_forwarded of its subscribers whose feed is set, the edge's"
        "\nhigh and low feeds); edge->cadets: what the edge forwarded to its own subscribers, all together; fps min:"
        "\nthe worst subscriber's distinct video frames per second; feeds: the origin's subscribers that are feeds;"
        "\nedge in: what the edge received from the origin (its publisher tracks' octets_received); probes: the"
        "\norigin's bandwidth probes (padding) to the edge, not in origin->edge; relay CPU: origin + edge, % of one"
        "\ncore. Octets are the relays' own counters (RTP payload, and the header extensions for forwarded ones), over"
        "\nthe span between two reads of both relays' stats around the window."
    )


def link_mode(args: argparse.Namespace) -> None:
    if not can_pull():
        print("link: left out: RemoteRelayClient.pull (origin/edge) is not in this checkout yet", file=sys.stderr)
        return
    rows: list[Row] = []
    for run in range(1, args.link_runs + 1):
        print(f"link run {run}/{args.link_runs} ...", file=sys.stderr, flush=True)
        rows += one_run(args, run)
    print_link(rows, args)
