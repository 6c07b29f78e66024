"""Relay benchmark: how many subscribers Lectern's forwarding relay carries, against aiortc's MediaRelay and Janus.

One publisher (VP8 640x480 at 30 fps plus Opus), subscribers on loopback, everything started here. Measured, not
asserted. Subscribers do not decode: they timestamp the RTP they receive (that keeps the load generator from
drowning the relay on a small machine); the relay side is the real thing. Modes:

  compare    Lectern's relay against aiortc's MediaRelay, one audience size each (_compare.py).
  slope      Lectern (one relay process) against Janus (Debian's `janus`, VideoRoom, `event_loops = 1`): relay CPU
             over 8, 16 and 32 subscribers in interleaved runs, its slope as subscribers per core and microseconds
             per forwarded packet; late joiners' time to video in the same runs. `--python-loop` adds the same
             relay forwarding with its Python loop (py-loop: the code before the compiled fan-out, _fanout.c).
  late       Late joiners only (one audience size per run).
  processes  N relay processes (an origin and N-1 edges pulling from it): the most subscribers each N carries at
             full frame rate, then admission beyond it (LECTERN_RELAY_CAPACITY).
  link       An origin and one edge, the publisher on the origin, 1, 10 and 50 subscribers on the edge: what the
             origin sends the edge (one stream per link, whatever the edge's audience), from the relays' counters.
  issue14    slope, then processes: issue 14's tables in one run.
  recording  Lectern with the lecture recorded and not, interleaved: relay CPU at each audience size and per
             subscriber, recording on / off (relay/record.py writes as it forwards).
  issue15    recording, then the replay job's time for a lecture (benchmarks/replay.py): issue 15's tables.

    .venv/bin/python benchmarks/relay.py --subscribers 20 --mediarelay-subscribers 3 --seconds 10
    .venv/bin/python benchmarks/relay.py --mode issue14
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._compare import compare
from benchmarks._janus import Janus, JanusError
from benchmarks._lecture import (
    Lecture,
    Window,
    audience_processes,
    cpu_plan,
    join_delays,
    make_relay,
    ms,
    pct,
    quantile,
    slope,
)
from benchmarks._link import link_mode
from benchmarks._media import FPS, HEIGHT, WIDTH

# Re-exported: lecture_load.py runs relay.py's load generator.
from benchmarks._media import publisher_main as publisher_main
from benchmarks._media import subscribers_main as subscribers_main
from benchmarks._processes import processes_mode

# ---------------------------------------------------------------- slope and late joiners


def one_run(kind: str, args: argparse.Namespace, counts: list[int], late: int) -> dict[str, Any]:
    """One lecture on one relay: idle CPU, a window at each audience size, then `late` late joiners."""
    _, loadgen, _ = cpu_plan(1)
    lecture = Lecture(make_relay(kind, args), args.kbps, loadgen, audience_processes(args, 1))
    try:
        lecture.measure(1.0, latency=False)  # let the publisher's rate settle
        idle = lecture.idle_cpu(2.0)
        windows = []
        for count in counts:
            lecture.grow(count)
            lecture.measure(1.0, latency=False)
            windows.append(lecture.measure(args.seconds))
        joins = lecture.late_joins(late) if late else []
    finally:
        lecture.close()
    return {"relay": kind, "idle": idle, "windows": windows, "joins": joins}


def interleaved(
    args: argparse.Namespace, counts: list[int], late: int, relays: list[str] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """`args.runs` runs of each relay, alternating (Lectern, Janus, Lectern, Janus...)."""
    if relays is not None:
        runs: dict[str, list[dict[str, Any]]] = {r: [] for r in relays}
        for i in range(args.runs):
            for kind in relays:
                print(f"run {i + 1}/{args.runs}: {kind} ...", file=sys.stderr, flush=True)
                runs[kind].append(one_run(kind, args, counts, late))
        return runs
    relays = ["lectern"]
    if getattr(args, "python_loop", False):
        relays.append("py-loop")
    if args.janus:
        try:
            Janus.check()
            relays.append("janus")
        except JanusError as exc:
            print(f"Janus left out: {exc}", file=sys.stderr)
    return interleaved(args, counts, late, relays)


def print_recording(runs: dict[str, list[dict[str, Any]]], counts: list[int]) -> None:
    """Issue 15's relay table: the relay's CPU with the lecture recorded against without, at each audience size."""
    print("\nRecording as the relay forwards: relay CPU, recording on / off (same runs, interleaved)\n")
    head = f"{'subs':>5}{'off CPU':>10}{'on CPU':>10}{'on/off':>8}{'off fps':>9}{'on fps':>8}"
    print(head)
    print("-" * len(head))
    ratios = []
    for j, count in enumerate(counts):
        off = statistics.mean(r["windows"][j].relay_cpu for r in runs["lectern"])
        on = statistics.mean(r["windows"][j].relay_cpu for r in runs["recording"])
        fps_off = statistics.mean(r["windows"][j].fps_mean for r in runs["lectern"])
        fps_on = statistics.mean(r["windows"][j].fps_mean for r in runs["recording"])
        ratios.append(on / off)
        print(f"{count:>5}{pct(off):>10}{pct(on):>10}{on / off:>7.2f}x{fps_off:>9.1f}{fps_on:>8.1f}")
    idle_off = statistics.mean(r["idle"] for r in runs["lectern"])
    idle_on = statistics.mean(r["idle"] for r in runs["recording"])
    k_off, _ = slope([(w.subscribers, w.relay_cpu) for r in runs["lectern"] for w in r["windows"]])
    k_on, _ = slope([(w.subscribers, w.relay_cpu) for r in runs["recording"] for w in r["windows"]])
    print(
        f"\npublisher alone: {pct(idle_off)} off, {pct(idle_on)} on ({idle_on / idle_off:.2f}x); CPU per subscriber: "
        f"{k_off * 100:.3f}% off, {k_on * 100:.3f}% on ({k_on / k_off:.2f}x)"
    )
    worst = max(ratios)
    verdict = "PASS" if worst <= 1.1 else "FAIL"
    print(f"target: relay CPU with recording within 10% of without: worst {worst:.2f}x: {verdict}")


def print_slope(runs: dict[str, list[dict[str, Any]]], counts: list[int], args: argparse.Namespace) -> None:
    _, _, pinning = cpu_plan(1)
    n = len(next(iter(runs.values())))
    print(
        f"\nSubscribers per core: {WIDTH}x{HEIGHT}@{FPS} VP8 at {args.kbps} kbps + Opus, loopback, {os.cpu_count()} "
        f"cores ({pinning}), {n} interleaved runs, windows of {args.seconds:g} s\n"
    )
    head = f"{'relay':<9}{'subs':>5}  {'relay CPU per run':<26}{'us/pkt':>7}{'fps min':>8}{'fps mean':>9}"
    head += f"{'pkt/s/sub':>10}{'lat p50':>8}{'lat p99':>8}{'kbps in':>8}{'loadgen':>8}"
    print(head)
    print("-" * len(head))
    for kind, mine in runs.items():
        for j, count in enumerate(counts):
            ws: list[Window] = [r["windows"][j] for r in mine]
            cpus = "  ".join(f"{w.relay_cpu * 100:6.1f}%" for w in ws)
            lat = [x for w in ws for x in w.latencies]
            print(
                f"{kind:<9}{count:>5}  {cpus:<26}{statistics.mean(w.us_per_packet for w in ws):>7.1f}"
                f"{min(w.fps_min for w in ws):>8.1f}{statistics.mean(w.fps_mean for w in ws):>9.1f}"
                f"{statistics.mean(w.packets / w.seconds / max(w.subscribers, 1) for w in ws):>10.0f}"
                f"{ms(lat, 0.5, 1):>8}{ms(lat, 0.99, 1):>8}{statistics.mean(w.kbps for w in ws):>8.0f}"
                f"{pct(statistics.mean(w.loadgen for w in ws)):>8}"
            )
    print()
    head = f"{'relay':<9}{'idle CPU':>9}{'CPU/sub':>9}{'subs/core':>10}{'(runs)':>18}{'us/pkt':>8}{'base CPU':>9}"
    print(head)
    print("-" * len(head))
    summary: dict[str, tuple[float, float]] = {}
    for kind, mine in runs.items():
        points = [(w.subscribers, w.relay_cpu) for r in mine for w in r["windows"]]
        k, base = slope(points)
        per_run = sorted(
            1 / s for r in mine if (s := slope([(w.subscribers, w.relay_cpu) for w in r["windows"]])[0]) > 0
        )
        rate = statistics.mean(w.packets / w.seconds / max(w.subscribers, 1) for r in mine for w in r["windows"])
        us = k / rate * 1e6 if k > 0 else float("nan")
        summary[kind] = (1 / k if k > 0 else float("nan"), us)
        spread = f"{per_run[0]:.0f}..{per_run[-1]:.0f}" if per_run else "-"
        print(
            f"{kind:<9}{pct(statistics.mean(r['idle'] for r in mine)):>9}{k * 100:>8.2f}%{summary[kind][0]:>10.0f}"
            f"{spread:>18}{us:>8.1f}{pct(base):>9}"
        )
    if "py-loop" in summary:
        (ls, lu), (ps, pu) = summary["lectern"], summary["py-loop"]
        print(
            f"\nLectern / Lectern with its Python loop (py-loop: the code before the compiled fan-out): subscribers"
            f" per core {ls / ps:.2f}x, CPU per forwarded packet {lu / pu:.2f}x"
        )
    if "janus" in summary:
        (ls, lu), (js, ju) = summary["lectern"], summary["janus"]
        loops = f"event_loops = {args.janus_event_loops}" if args.janus_event_loops else "Janus's default loops"
        print(
            f"\nLectern / Janus ({loops}): subscribers per core {ls / js:.2f}x, CPU per forwarded packet "
            f"{lu / ju:.2f}x   target: at least Janus's subscribers per core: {'PASS' if ls >= js else 'FAIL'}"
        )
    print(
        "\nrelay CPU: the relay process (all threads, user + system) over the window, % of one core; us/pkt: that"
        "\nCPU time / RTP packets the subscribers received; fps: distinct video frames per second at each subscriber"
        "\n(min: the worst subscriber of any run); pkt/s/sub: packets each subscriber received per second; lat:"
        "\npublisher send -> subscriber receive of a video frame's first packet (16 subscribers sampled); kbps in:"
        "\nthe publisher's video on the wire; loadgen: publisher + subscriber processes, % of one core."
        "\nCPU/sub: least-squares slope of relay CPU over subscribers (all runs); subs/core = 1 / CPU/sub (runs: the"
        "\nslope of each run alone, lowest..highest); us/pkt = CPU/sub / packets per subscriber per second: the CPU"
        "\nof one forwarded packet; base CPU: the fit at 0 subscribers; idle CPU: the relay with the publisher alone."
    )


def print_late(runs: dict[str, list[dict[str, Any]]], args: argparse.Namespace, audience: int) -> None:
    print(
        f"\nLate joiners: a subscriber joins a running lecture of {audience} subscribers, one after another a random"
        f" 0.4-1.2 s apart\n"
    )
    head = f"{'relay':<9}{'joins':>7}{'up->key p50':>13}{'p90':>6}{'max':>6}{'up->fresh key p50':>19}{'p90':>6}"
    head += f"{'max':>6}{'up->video p50':>15}{'offer->up p50':>15}"
    print(head)
    print("-" * len(head))
    medians: dict[str, float] = {}
    fresh: dict[str, float] = {}
    for kind, mine in runs.items():
        delays = join_delays([t for r in mine for t in r["joins"]])
        medians[kind], fresh[kind] = quantile(delays["key"], 0.5), quantile(delays["fresh"], 0.5)
        asked = f"{len(delays['key'])}/{sum(len(r['joins']) for r in mine)}"
        print(
            f"{kind:<9}{asked:>7}{ms(delays['key'], 0.5):>13}{ms(delays['key'], 0.9):>6}{ms(delays['key'], 1.0):>6}"
            f"{ms(delays['fresh'], 0.5):>19}{ms(delays['fresh'], 0.9):>6}{ms(delays['fresh'], 1.0):>6}"
            f"{ms(delays['video'], 0.5):>15}{ms(delays['connect'], 0.5):>15}"
        )
    lectern = medians["lectern"]
    if "janus" in medians:
        print(
            f"\nLectern / Janus, p50 of connection up -> first keyframe: {lectern * 1000:.0f} / "
            f"{medians['janus'] * 1000:.0f} ms; -> fresh keyframe: {fresh['lectern'] * 1000:.0f} / "
            f"{fresh['janus'] * 1000:.0f} ms ({fresh['lectern'] / max(fresh['janus'], 1e-3):.1f}x)"
        )
    print(f"target: first frame within 200 ms of the connection (p50): {'PASS' if lectern <= 0.2 else 'FAIL'}")
    print(f"  and the fresh keyframe (moving video) within 200 ms (p50): {'yes' if fresh['lectern'] <= 0.2 else 'no'}")
    print(
        "\nup->key: the subscriber's connection up (ICE + DTLS connected) -> first packet of a VP8 keyframe, ms (what"
        "\na decoder can start from: the first frame); up->fresh key: -> first packet of the first keyframe the"
        "\npublisher sent after the subscriber asked to join (a kept keyframe shown at once is older; live video"
        "\nfollows the fresh one); up->video: -> first video packet of any kind; offer->up: the subscriber's SDP"
        "\nmade -> connection up. joins: with a keyframe / asked."
    )


# ---------------------------------------------------------------- command line


def counts_of(text: str) -> list[int]:
    return sorted({int(x) for x in text.split(",") if x.strip()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    modes = ["compare", "slope", "late", "processes", "link", "issue14", "recording", "issue15"]
    parser.add_argument("--mode", choices=modes, default="compare")
    compare_args = parser.add_argument_group("compare")
    compare_args.add_argument("--subscribers", type=int, default=20, help="subscribers for Lectern's relay")
    compare_args.add_argument("--mediarelay-subscribers", type=int, default=3, help="subscribers for MediaRelay")
    compare_args.add_argument(
        "--profile",
        action="store_true",
        help="cProfile Lectern's relay loop (distorts timings; PROFILE_SORT and PROFILE_LINES: pstats order, lines)",
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="measurement window (compare, slope, late, link)")
    issue = parser.add_argument_group("slope, late, processes (--kbps, --audience-processes: link too)")
    issue.add_argument("--counts", type=counts_of, default=[8, 16, 32], help="audience sizes for the slope")
    issue.add_argument("--runs", type=int, default=3, help="interleaved runs of each relay")
    issue.add_argument("--late-joins", type=int, default=3, help="late joiners per run")
    issue.add_argument("--kbps", type=int, default=1000, help="the publisher's VP8 rate, held whatever REMB says")
    issue.add_argument("--no-janus", dest="janus", action="store_false", help="Lectern alone")
    issue.add_argument(
        "--python-loop",
        action="store_true",
        help="also Lectern forwarding with its Python loop (LECTERN_RELAY_FAN_OUT=python): the code before _fanout.c",
    )
    issue.add_argument("--janus-event-loops", type=int, default=1, help="0: Janus's default, a thread per handle")
    issue.add_argument(
        "--audience-processes", type=int, default=0, help="processes the subscribers are spread over (0: a core each)"
    )
    issue.add_argument("--processes", type=counts_of, default=[1, 2], help="relay process counts (processes mode)")
    issue.add_argument("--step", type=int, default=16, help="subscribers added per step (processes mode)")
    issue.add_argument("--max-subscribers", type=int, default=480, help="where the ramp stops (processes mode)")
    issue.add_argument("--step-seconds", type=float, default=5.0, help="window per step (processes mode)")
    issue.add_argument("--min-fps", type=float, default=29.0, help="full frame rate: every subscriber at least this")
    issue.add_argument("--capacity", type=int, default=0, help="per process; 0: what the ramp found it carries")
    issue.add_argument("--overload", type=float, default=1.5, help="subscribers asking / capacity, beyond saturation")
    parser.add_argument("--replay-seconds", type=float, default=60.0, help="the lecture the replay job makes (issue15)")
    link = parser.add_argument_group("link")
    link.add_argument("--link-counts", type=counts_of, default=[1, 10, 50], help="subscribers on the edge")
    link.add_argument("--link-runs", type=int, default=2, help="runs, each with a fresh origin and edge")
    args = parser.parse_args()

    if args.mode == "compare":
        compare(args.subscribers, args.mediarelay_subscribers, args.seconds, args.profile)
        return
    if args.mode == "link":
        link_mode(args)
        return
    if args.mode in ("recording", "issue15"):
        runs = interleaved(args, args.counts, 0, ["lectern", "recording"])
        print_recording(runs, args.counts)
        if args.mode == "issue15":
            from benchmarks import replay

            sys.argv = [sys.argv[0], "--seconds", str(args.replay_seconds)]
            replay.main()
        return
    if args.mode in ("slope", "issue14"):
        runs = interleaved(args, args.counts, args.late_joins)
        print_slope(runs, args.counts, args)
        if args.late_joins:
            print_late(runs, args, args.counts[-1])
    if args.mode == "late":
        runs = interleaved(args, args.counts[:1], max(args.late_joins, 1))
        print_late(runs, args, args.counts[0])
    if args.mode in ("processes", "issue14"):
        processes_mode(args)


if __name__ == "__main__":
    main()
