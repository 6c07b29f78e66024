"""relay.py's `processes` mode: N relay processes (an origin and N-1 edges pulling from it), the most subscribers
each N carries at full frame rate, and admission beyond it (LECTERN_RELAY_CAPACITY)."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from typing import Any

from benchmarks._lectern import can_pull
from benchmarks._lecture import Lecture, Window, audience_processes, cpu_plan, make_relay, pct


def limit(window: Window, relays: int, args: argparse.Namespace) -> str:
    """What ran out in a window: the publisher's frame rate, the load generator (its cores: where it is not pinned,
    one per audience process, each a single asyncio loop), a relay process (its core), the whole machine (anyone's
    processes)."""
    _, loadgen, _ = cpu_plan(relays)
    if window.pub_fps < args.min_fps:
        return "publisher"
    if window.loadgen >= 0.9 * (len(loadgen) if loadgen else audience_processes(args, relays)):
        return "loadgen"
    if window.cpu and max(window.cpu) >= 0.9:
        return "relay"
    if window.machine >= 0.9:
        return "machine"
    return "-"


def ramp(args: argparse.Namespace, processes: int) -> dict[str, Any]:
    """Add subscribers `args.step` at a time, spread over the processes, until one gets under `args.min_fps` in
    two windows running or `args.max_subscribers` is reached: each step's (last) window."""
    _, loadgen, _ = cpu_plan(processes)
    lecture = Lecture(make_relay("lectern", args, processes), args.kbps, loadgen, audience_processes(args, processes))
    steps: list[Window] = []
    best = retried = 0
    try:
        count = 0
        while count < args.max_subscribers:
            count = min(count + args.step, args.max_subscribers)
            joins = lecture.grow(count)
            lecture.measure(1.0, latency=False)
            for attempt in range(2):  # a step short of full frame rate is measured again before it counts
                window = lecture.measure(args.step_seconds, latency=False)
                print(
                    f"  N={processes} {window.subscribers} subscribers{' (again)' if attempt else ''}: fps min "
                    f"{window.fps_min:.1f}, publisher {window.pub_fps:.1f} fps, relay CPU "
                    f"{' + '.join(pct(c) for c in window.cpu)}, loadgen {pct(window.loadgen)}, machine "
                    f"{window.machine * 100:.0f}%",
                    file=sys.stderr,
                    flush=True,
                )
                if window.fps_min >= args.min_fps:
                    break
                retried += attempt == 0
            steps.append(window)
            if window.fps_min < args.min_fps or joins.refused or joins.failed:
                break
            best = window.subscribers
    finally:
        lecture.close()
    return {"n": processes, "steps": steps, "best": best, "retried": retried}


def admission(args: argparse.Namespace, processes: int, capacity: int) -> dict[str, Any]:
    """Processes each admitting `capacity` subscribers; `args.overload` times as many ask to join."""
    _, loadgen, _ = cpu_plan(processes)
    relay = make_relay("lectern", args, processes, capacity)
    lecture = Lecture(relay, args.kbps, loadgen, audience_processes(args, processes))
    try:
        asked = int(capacity * processes * args.overload)
        joins = lecture.grow(asked)
        lecture.measure(1.0, latency=False)
        window = lecture.measure(args.step_seconds, latency=False)
    finally:
        lecture.close()
    return {"n": processes, "capacity": capacity, "asked": asked, "joins": joins, "window": window}


def print_processes(ramps: list[dict[str, Any]], admits: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print(
        f"\nRelay processes: one publisher on the origin, subscribers spread evenly over the origin and N-1 edges, "
        f"added {args.step} at a time\n(windows of {args.step_seconds:g} s), {os.cpu_count()} cores; full frame rate:"
        f" every subscriber >= {args.min_fps:g} fps\n"
    )
    head = f"{'N':>2}  {'cores':<22}{'carried':>8}{'relay CPU':>10}{'per process':>20}{'loadgen':>8}{'machine':>8}"
    head += f"{'next step: subs, fps min/mean':>31}{'limit':>9}{'x N=1':>7}{'ceiling':>9}{'x N=1':>7}"
    print(head)
    print("-" * len(head))
    base = ceiling_base = 0.0
    for r in ramps:
        _, _, pinning = cpu_plan(r["n"])
        good = [w for w in r["steps"] if w.subscribers == r["best"]]
        over = r["steps"][-1] if r["steps"] and r["steps"][-1].subscribers != r["best"] else None
        carried = f"{r['best']}" if over else f">={r['best']}"
        base = base or r["best"]
        ceiling = 0.0
        if good:
            w = good[0]
            cpu, each, loadgen = pct(w.relay_cpu), " + ".join(pct(c) for c in w.cpu), pct(w.loadgen)
            machine = f"{w.machine * 100:.0f}%"
            ceiling = w.subscribers / max(w.cpu) if max(w.cpu) > 0 else 0.0
            ceiling_base = ceiling_base or ceiling
        else:
            cpu = each = loadgen = machine = "-"
        nxt = f"{over.subscribers}, {over.fps_min:.1f}/{over.fps_mean:.1f}" if over else "(not reached)"
        short = limit(over, r["n"], args) if over else "-"
        ratio = f"{r['best'] / base:.2f}x" if base else "-"
        ceiling_ratio = f"{ceiling / ceiling_base:.2f}x" if ceiling_base and ceiling else "-"
        print(
            f"{r['n']:>2}  {pinning:<22}{carried:>8}{cpu:>10}{each:>20}{loadgen:>8}{machine:>8}{nxt:>31}"
            f"{short:>9}{ratio:>7}{ceiling:>9.0f}{ceiling_ratio:>7}"
        )
    again = [f"N={r['n']}: {r['retried']}" for r in ramps if r["retried"]]
    if again:
        print(f"\nsteps measured twice (short of full frame rate in their first window): {', '.join(again)}")
    if admits:
        print(f"\nBeyond saturation: each process admits LECTERN_RELAY_CAPACITY subscribers; {args.overload:g}x ask\n")
        head = f"{'N':>2}{'capacity':>10}{'asked':>7}{'admitted':>10}{'refused':>9}{'failed':>8}"
        head += f"{'admitted fps min':>18}{'mean':>6}{'pub fps':>9}{'relay CPU':>11}{'loadgen':>9}{'machine':>9}"
        print(head)
        print("-" * len(head))
        for a in admits:
            j, w = a["joins"], a["window"]
            print(
                f"{a['n']:>2}{a['capacity']:>10}{a['asked']:>7}{j.admitted:>10}{j.refused:>9}{j.failed:>8}"
                f"{w.fps_min:>18.1f}{w.fps_mean:>6.1f}{w.pub_fps:>9.1f}{pct(w.relay_cpu):>11}{pct(w.loadgen):>9}"
                f"{w.machine * 100:>8.0f}%"
            )
    print(
        "\ncarried: the most subscribers at full frame rate (>=: the ramp stopped at --max-subscribers first); relay"
        "\nCPU: all relay processes together, % of one core, at that count, and per process; loadgen: publisher +"
        "\nsubscriber processes; machine: the whole machine's busy CPU (every process, anyone's), % of all cores;"
        "\nnext step: the first count short of full frame rate in two windows running, its worst and mean subscriber"
        "\n(how it degrades with no admission limit); limit: what ran out there (publisher: its own frame rate"
        "\nfell short; loadgen: the load generator >= 90% of its cores, or unpinned of one core per audience process;"
        "\nrelay: a relay process >= 90% of its core; machine: >= 90% busy; -: none of these); x N=1: against one"
        "\nprocess; ceiling: carried / the busiest relay process's CPU, where that process would fill its core if"
        "\nits cost stays linear (a projection from the measured count, for machines where the load generator runs"
        "\nout first)."
        "\ncapacity: per process (--capacity, or what that N carried / N); refused: answered 'full'; failed: any"
        "\nother error; the admitted subscribers' frame rate over one window; pub fps: the publisher's own."
    )


def processes_mode(args: argparse.Namespace) -> None:
    ramps, admits = [], []
    for n in args.processes:
        if n > 1 and not can_pull():
            print(
                f"\nN={n}: left out: RemoteRelayClient.pull (origin/edge) is not in this checkout yet", file=sys.stderr
            )
            continue
        try:
            ramps.append(ramp(args, n))
            capacity = args.capacity or max(1, ramps[-1]["best"] // n)
            admits.append(admission(args, n, capacity))
        except Exception:
            print(f"\nN={n} failed:\n{traceback.format_exc()}", file=sys.stderr)
    print_processes(ramps, admits, args)
