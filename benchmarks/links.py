"""Poor links (issue 13): one live lecture in Chromium, an instructor at 720p with Opus, one good cadet and one cadet
per link profile, each shaped by Chromium's own network emulation (tests/links.py `emulate`) before it joins.

The app is served in this process (the relay with it, as in `make run`'s single web process), so the relay's own
figures can be read (its `stats()`). Every user is a Chromium page in its own context of one browser, with a fake
camera and microphone. Per cadet, from the page's getStats over the measurement window:
- audio concealed: concealedSamples / totalSamplesReceived (the share of audio the decoder made up);
- video fps (framesDecoded per second) and the last frame size; "paused" if the room's notice is shown;
- join->audio and join->frame: from the moment the page made its subscription's RTCPeerConnection (it asked the
  relay for the lecture) to the first audio packet and the first decoded frame (polled every 50 ms);
- round trip: the selected ICE candidate pair's currentRoundTripTime (median of samples), and the jitter buffer;
- relay kbps: what the relay forwarded to that subscriber (its own counters), where it says.

Runs, in one invocation: a baseline lecture with the good cadet alone, then the shaped lecture with the relay's
adaptation OFF (LECTERN_RELAY_ADAPT=False: everyone gets the same stream) and ON. It prints a table per run, the
on/off ratios, and the issue's targets with PASS/FAIL for the ON run (and for OFF, for reference).

    .venv/bin/python benchmarks/links.py [--seconds 30] [--profiles 1mbps,256kbps,128kbps] [--modes off,on]
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import logging
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from werkzeug.serving import make_server

from tests.links import GOOD, PROFILES, Profile, chromium_conditions, emulate

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream", "--allow-loopback-in-peer-connection",
    "--autoplay-policy=no-user-gesture-required",
]  # fmt: skip
PASSWORD = "correct horse battery"  # tests/factories.py's

# Runs before the page's scripts: records every peer connection with the time it was made, and polls the receiving
# ones every 50 ms for the first audio packet and the first decoded frame.
PROBE = """(() => {
  const probe = { pcs: [], joinedAt: null, firstAudio: null, firstFrame: null };
  Object.defineProperty(window, "__links", { value: probe });
  const Native = window.RTCPeerConnection;
  if (!Native) return;
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      this.__born = performance.now();
      // When each step of the connection was reached, in ms since it was made: where a slow join spends its time.
      this.__steps = {};
      const mark = (step) => { if (!(step in this.__steps)) this.__steps[step] = performance.now() - this.__born; };
      this.addEventListener("signalingstatechange", () => {
        if (this.signalingState === "have-local-offer") mark("offer");
        if (this.signalingState === "stable") mark("answer");
      });
      this.addEventListener("icegatheringstatechange", () => {
        if (this.iceGatheringState === "complete") mark("gathered");
      });
      this.addEventListener("iceconnectionstatechange", () => {
        if (this.iceConnectionState === "connected") mark("ice");
      });
      this.addEventListener("connectionstatechange", () => { if (this.connectionState === "connected") mark("dtls"); });
      probe.pcs.push(this);
    }
  };
  probe.receiving = () => probe.pcs.filter((pc) =>
    pc.signalingState !== "closed" && !pc.getSenders().some((s) => s.track) &&
    pc.getTransceivers().some((t) => t.direction === "recvonly"));
  const poll = async () => {
    for (const pc of probe.receiving()) {
      if (probe.joinedAt === null) { probe.joinedAt = pc.__born; probe.steps = pc.__steps; }
      if (probe.firstAudio !== null && probe.firstFrame !== null) continue;
      const stats = await pc.getStats();
      const now = performance.now();
      stats.forEach((s) => {
        if (s.type !== "inbound-rtp") return;
        if (s.kind === "audio" && s.packetsReceived > 0 && probe.firstAudio === null) probe.firstAudio = now;
        if (s.kind === "video" && s.framesDecoded > 0 && probe.firstFrame === null) probe.firstFrame = now;
      });
    }
  };
  setInterval(poll, 50);
})();"""

# What the page received so far (summed over its receiving connections), and what it tells the user.
SAMPLE = """async () => {
  const probe = window.__links;
  const out = { t: performance.now(), joinedAt: probe.joinedAt, firstAudio: probe.firstAudio,
    firstFrame: probe.firstFrame, steps: probe.steps || {}, concealed: 0, samples: 0, audioPackets: 0,
    audioLost: 0, frames: 0, width: 0, height: 0, videoPackets: 0, videoLost: 0, jbDelay: 0, jbCount: 0, rtt: null,
    notice: "" };
  // Counters are per connection: a subscription made again (a lost link) starts its own from zero, so each
  // connection's last figures are kept and the page's totals are their sums (they only ever grow).
  const counted = ["concealed", "samples", "audioPackets", "audioLost", "frames", "videoPackets", "videoLost",
    "jbDelay", "jbCount"];
  const open = probe.receiving();
  for (const pc of probe.pcs) {
    if (open.includes(pc)) {
      const m = { concealed: 0, samples: 0, audioPackets: 0, audioLost: 0, frames: 0, videoPackets: 0,
        videoLost: 0, jbDelay: 0, jbCount: 0 };
      const stats = await pc.getStats();
      let selected = null;
      stats.forEach((s) => {
        if (s.type === "transport" && s.selectedCandidatePairId) selected = s.selectedCandidatePairId;
      });
      stats.forEach((s) => {
        if (s.type === "inbound-rtp" && s.kind === "audio") {
          m.concealed += s.concealedSamples || 0;
          m.samples += s.totalSamplesReceived || 0;
          m.audioPackets += s.packetsReceived || 0;
          m.audioLost += s.packetsLost || 0;
          m.jbDelay += s.jitterBufferDelay || 0;
          m.jbCount += s.jitterBufferEmittedCount || 0;
        } else if (s.type === "inbound-rtp" && s.kind === "video") {
          m.frames += s.framesDecoded || 0;
          m.videoPackets += s.packetsReceived || 0;
          m.videoLost += s.packetsLost || 0;
          if (s.frameWidth) { out.width = s.frameWidth; out.height = s.frameHeight; }
        } else if (s.type === "candidate-pair" && (s.id === selected || (selected === null && s.nominated)) &&
                   s.currentRoundTripTime !== undefined) {
          out.rtt = s.currentRoundTripTime;
        }
      });
      pc.__counted = m;
    }
    if (pc.__counted) for (const key of counted) out[key] += pc.__counted[key];
  }
  // The stage's note says why the video is held back for the link; the room's passing notice says the rest.
  for (const id of ["stage-note", "room-notice"]) {
    const notice = document.getElementById(id);
    if (notice && !notice.hidden && notice.textContent.trim()) { out.notice = notice.textContent.trim(); break; }
  }
  return out;
}"""

# What the instructor's page sends: the size and rate of each video it publishes.
SENT = """async () => {
  const out = [];
  for (const pc of window.__links.pcs) {
    if (pc.signalingState === "closed") continue;
    (await pc.getStats()).forEach((s) => {
      if (s.type === "outbound-rtp" && s.kind === "video")
        out.push(`${s.frameWidth}x${s.frameHeight}@${Math.round(s.framesPerSecond || 0)}${s.rid ? " " + s.rid : ""}`);
    });
  }
  return out;
}"""


@dataclass
class Cadet:
    profile: Profile
    username: str
    context: BrowserContext
    page: Page
    cdp: Any = None
    samples: list[dict[str, Any]] = field(default_factory=list)
    relay: dict[str, Any] | None = None


@dataclass
class Result:
    profile: str
    concealed: float | None
    fps: float
    size: str
    join_audio: float | None
    join_frame: float | None
    rtt: float | None
    jitter_ms: float | None
    notice: str
    relay_kbps: float | None
    # The join, step by step: ms from the subscription's RTCPeerConnection to its offer, its ICE candidates
    # gathered, the relay's answer, ICE and DTLS connected (see PROBE).
    steps: dict[str, float] = field(default_factory=dict)
    # Each 2 s of the window: frames decoded per second, and whether the page said the video is held back.
    intervals: list[tuple[float, bool]] = field(default_factory=list)

    @property
    def paused(self) -> bool:
        return bool(self.notice) and self.fps < 1

    def video_held(self, min_fps: float) -> tuple[int, int]:
        """Of the window's intervals, how many show the video at `min_fps` or more, or paused with the notice
        (under 1 fps): the two states the target allows. One interval that changes from one to the other is the
        change itself."""
        good = sum(1 for fps, notice in self.intervals if fps >= min_fps or (notice and fps < 1))
        return good, len(self.intervals)


def world(app: Any, profiles: list[Profile]) -> tuple[int, str, list[str]]:
    """A course with its instructor and a cadet per profile, and a lecture that started five minutes ago."""
    from lectern.platform.models import Role, utcnow
    from tests import factories

    make = factories.Factory(app)
    academy = make.academy()
    course = make.course(academy.id, title="Document security")
    teacher = make.user(Role.INSTRUCTOR, academy, language="en")
    make.staff(course.id, teacher.id)
    cadets = []
    for _ in profiles:
        cadet = make.user(Role.CADET, academy, language="en")
        make.enrol(course.id, cadet.id)
        cadets.append(cadet.username)
    lecture = make.lecture(course.id, title="Forged passports: live", starts_at=utcnow() - timedelta(minutes=5))
    return lecture.id, teacher.username, cadets


@contextmanager
def served(tmp: Path, adapt: bool) -> Iterator[tuple[Any, str]]:
    """The app on a fresh SQLite database, served on a free loopback port; its relay is shut down afterwards."""
    from lectern import create_app
    from lectern.extensions import db

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'links.db'}", "SECRET_KEY": "benchmark",
        "LECTERN_STORAGE": str(tmp / "storage"), "LECTERN_LOGIN_RATE_LIMIT": "1000 per minute",
        "LECTERN_LOGIN_USER_RATE_LIMIT": "1000 per minute", "LECTERN_RELAY_LOOPBACK": True,
        "LECTERN_RELAY_ADAPT": adapt, "WTF_CSRF_ENABLED": True,
    })  # fmt: skip
    with app.app_context():
        db.drop_all()
        db.create_all()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        client = app.extensions.get("lectern_relay")
        if client is not None:
            client.shutdown()
        server.shutdown()
        server.server_close()
        with app.app_context():
            db.engine.dispose()


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def new_page(browser: Browser) -> tuple[BrowserContext, Page]:
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 800})
    context.add_init_script(script=PROBE)
    return context, context.new_page()


def relay_figures(app: Any, lecture_id: int) -> list[tuple[str, dict[str, Any]]]:
    """The relay's own per-subscriber figures for the lecture's main slot, in the order they subscribed."""
    client = app.extensions.get("lectern_relay")
    if client is None:
        return []
    try:
        stats = client.stats(f"{lecture_id}:main")
    except Exception:  # a relay that names its lectures otherwise: no relay figures
        return []
    return list((stats.get("subscribers") or {}).items())


def octets(figures: dict[str, Any]) -> float | None:
    tracks = figures.get("tracks")
    if not isinstance(tracks, dict):
        return None
    values = [t.get("octets_forwarded") for t in tracks.values() if isinstance(t, dict)]
    return float(sum(v for v in values if isinstance(v, int | float))) if values else None


def run(browser: Browser, tmp: Path, profiles: list[Profile], adapt: bool, seconds: float, warmup: float) -> tuple[
    list[Result], list[str], list[dict[str, Any]], list[list[dict[str, Any]]]
]:  # fmt: skip
    """One lecture: the instructor goes live, the cadets join one by one (each shaped before it connects), then
    `warmup` seconds, then the measurement window. Returns the results per cadet, what the instructor sent, the
    relay's figures at the end, and each cadet's page samples (every 2 s of the window)."""
    with served(tmp, adapt) as (app, base):
        lecture_id, teacher, usernames = world(app, profiles)
        room = f"{base}/lectures/{lecture_id}/room"
        host_context, host = new_page(browser)
        cadets: list[Cadet] = []
        try:
            sign_in(host, base, teacher)
            host.goto(room)
            host.get_by_role("button", name="Start lecture").click()
            expect(host.locator("#lecture-status")).to_have_text("Live", timeout=30_000)
            for profile, username in zip(profiles, usernames, strict=True):
                context, page = new_page(browser)
                cadet = Cadet(profile, username, context, page)
                cadets.append(cadet)
                sign_in(page, base, username)  # signed in on a good link: the page load is not what is measured
                if profile.name.endswith(SLIDES):  # the choice the room page keeps for this lecture
                    page.evaluate(f"localStorage.setItem('lectern.receive.{lecture_id}', 'slides')")
                cadet.cdp = emulate(page, profile)  # before the page connects: applies to its peer connections
                page.goto(room, timeout=60_000)
            # Every cadet has asked to join; give the slowest its first frame (or up to `warmup`), then measure.
            deadline = time.monotonic() + max(warmup, 5)
            while time.monotonic() < deadline:
                time.sleep(1)
            before = relay_figures(app, lecture_id)
            for cadet in cadets:
                cadet.samples.append(cadet.page.evaluate(SAMPLE))
            started = time.monotonic()
            while time.monotonic() - started < seconds:
                time.sleep(min(2.0, max(0.0, seconds - (time.monotonic() - started))))
                for cadet in cadets:
                    cadet.samples.append(cadet.page.evaluate(SAMPLE))
            window = time.monotonic() - started
            after = relay_figures(app, lecture_id)
            sent = host.evaluate(SENT)
        finally:
            for cadet in cadets:
                cadet.context.close()
            host_context.close()
            time.sleep(1)  # the room hears the pages leave and lets their relay peers go before the relay stops
    results = [summarise(c, window) for c in cadets]
    # The relay's subscribers in the order they subscribed: the cadets' order (each subscribes once on a good run).
    if len(after) == len(cadets):
        start = dict(before)
        for result, (peer, figures) in zip(results, after, strict=True):
            a, b = octets(start.get(peer, {})), octets(figures)
            if a is not None and b is not None:
                result.relay_kbps = (b - a) * 8 / window / 1000
    return results, sent, [f for _, f in after], [c.samples for c in cadets]


def summarise(cadet: Cadet, window: float) -> Result:
    first, last = cadet.samples[0], cadet.samples[-1]
    samples = last["samples"] - first["samples"]
    concealed = (last["concealed"] - first["concealed"]) / samples if samples > 0 else None
    seconds = (last["t"] - first["t"]) / 1000 or window
    fps = (last["frames"] - first["frames"]) / seconds
    rtts = [s["rtt"] for s in cadet.samples if s["rtt"] is not None]
    jb = last["jbCount"] - first["jbCount"]
    joined = last["joinedAt"]

    def since_join(t: float | None) -> float | None:
        return None if t is None or joined is None else (t - joined) / 1000

    return Result(
        profile=cadet.profile.name,
        concealed=concealed,
        fps=fps,
        size=f"{last['width']}x{last['height']}" if last["width"] else "-",
        join_audio=since_join(last["firstAudio"]),
        join_frame=since_join(last["firstFrame"]),
        rtt=statistics.median(rtts) if rtts else None,
        jitter_ms=1000 * (last["jbDelay"] - first["jbDelay"]) / jb if jb > 0 else None,
        notice=last["notice"],
        relay_kbps=None,
        steps=dict(last.get("steps") or {}),
        intervals=[
            ((b["frames"] - a["frames"]) * 1000 / (b["t"] - a["t"]), bool(b["notice"]))
            for a, b in itertools.pairwise(cadet.samples)
            if b["t"] > a["t"]
        ],
    )


def fmt(value: float | None, spec: str, scale: float = 1.0) -> str:
    return "-" if value is None else format(value * scale, spec)


def table(title: str, results: list[Result]) -> None:
    print(f"\n{title}")
    print(f"{'cadet link':<26} {'concealed':>9} {'fps':>6} {'size':>9} {'join>audio':>10} {'join>frame':>10} "
          f"{'rtt ms':>7} {'jb ms':>6} {'relay kbps':>10}  notice")  # fmt: skip
    for r in results:
        print(f"{r.profile:<26} {fmt(r.concealed, '8.1f', 100) + '%' if r.concealed is not None else '-':>9} "
              f"{r.fps:>6.1f} {r.size:>9} {fmt(r.join_audio, '9.2f') + 's' if r.join_audio is not None else '-':>10} "
              f"{fmt(r.join_frame, '9.2f') + 's' if r.join_frame is not None else '-':>10} {fmt(r.rtt, '7.0f', 1000)} "
              f"{fmt(r.jitter_ms, '6.0f')} {fmt(r.relay_kbps, '10.0f')}  {r.notice[:40]}")  # fmt: skip
    print(
        "\nJoining, ms after the page made its subscription: offer made, its ICE candidates gathered (trickled: the "
        "offer does not wait), relay's answer, ICE and DTLS connected (DTLS as the page sees it), first audio, first "
        "frame"
    )
    for r in results:
        steps = [r.steps.get(k) for k in ("offer", "gathered", "answer", "ice", "dtls")]
        steps += [None if v is None else v * 1000 for v in (r.join_audio, r.join_frame)]
        print(f"{r.profile:<26} " + " ".join(f"{fmt(v, '7.0f'):>7}" for v in steps))


def targets(results: list[Result], baseline_fps: float | None) -> list[tuple[str, bool | None, str]]:
    """The issue's targets: (what, PASS/FAIL/None when the profile was not run, the measured value)."""
    by = {r.profile: r for r in results}
    checks: list[tuple[str, bool | None, str]] = []
    mid, low, good = by.get(PROFILES["256kbps"].name), by.get(PROFILES["128kbps"].name), by.get(GOOD.name)

    def check(what: str, result: Result | None, ok: Any, value: Any) -> None:
        checks.append((what, None if result is None else bool(ok(result)), "-" if result is None else value(result)))

    check("256k: audio concealed < 5%", mid, lambda r: r.concealed is not None and r.concealed < 0.05,
          lambda r: fmt(r.concealed, ".1f", 100) + "%")  # fmt: skip
    # Checked every 2 s: the low version playing, or paused with the notice; one interval may be the change.
    check("256k: video >= 10 fps, or paused with notice", mid,
          lambda r: r.video_held(10)[0] >= r.video_held(10)[1] - 1,
          lambda r: f"{r.fps:.1f} fps {r.size}" + (" paused" if r.paused else "")
          + " ({} of {} intervals)".format(*r.video_held(10)))  # fmt: skip
    check("256k: join -> first audio < 2 s", mid, lambda r: r.join_audio is not None and r.join_audio < 2,
          lambda r: fmt(r.join_audio, ".2f") + " s")  # fmt: skip
    check("256k: round trip < 1 s", mid, lambda r: r.rtt is not None and r.rtt < 1,
          lambda r: fmt(r.rtt, ".0f", 1000) + " ms")  # fmt: skip
    check("128k: audio concealed < 10%", low, lambda r: r.concealed is not None and r.concealed < 0.10,
          lambda r: fmt(r.concealed, ".1f", 100) + "%")  # fmt: skip
    slides = by.get(PROFILES["128kbps"].name + SLIDES)
    check("128k, audio and slides: audio concealed < 10%", slides,
          lambda r: r.concealed is not None and r.concealed < 0.10,
          lambda r: fmt(r.concealed, ".1f", 100) + "%")  # fmt: skip
    check("good cadet fps within 10% of alone", good, lambda r: baseline_fps and r.fps >= 0.9 * baseline_fps,
          lambda r: f"{r.fps:.1f} vs {fmt(baseline_fps, '.1f')} fps")  # fmt: skip
    return checks


def ratio(on: float | None, off: float | None) -> str:
    if on is None or off is None or off == 0:
        return "-"
    return f"{on / off:.2f}"


# A profile name with "+slides": that cadet chose "Audio and slides" in the room (kept by the page per lecture).
SLIDES = " (audio and slides)"


def _profile(key: str) -> Profile:
    base, _, choice = key.partition("+")
    if choice not in ("", "slides"):
        raise SystemExit(f"--profiles: {key!r}: only +slides may follow a profile")
    profile = PROFILES[base]
    return dataclasses.replace(profile, name=profile.name + SLIDES) if choice else profile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30, help="measurement window per lecture")
    parser.add_argument("--warmup", type=float, default=10, help="seconds after the last cadet asked to join")
    parser.add_argument(
        "--profiles",
        default="1mbps,256kbps,128kbps,128kbps+slides",
        help=f"of {','.join(PROFILES)}, each may end in +slides (the cadet receives audio and slides); good: always",
    )
    parser.add_argument("--modes", default="off,on", help="LECTERN_RELAY_ADAPT values to run: off,on")
    parser.add_argument("--no-baseline", action="store_true", help="skip the lecture with the good cadet alone")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    shaped = [_profile(p) for p in args.profiles.split(",") if p and p != "good"]
    modes = [m for m in args.modes.split(",") if m]
    assert all(m in ("off", "on") for m in modes), "--modes: off, on"
    for p in shaped:
        print(f"{p.name}: Chromium conditions {json.dumps(chromium_conditions(p))}", file=sys.stderr)

    out: dict[str, Any] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            runs: list[tuple[str, list[Profile], bool]] = []
            if not args.no_baseline:
                runs.append(("baseline", [GOOD], False))
            runs += [(mode, [GOOD, *shaped], mode == "on") for mode in modes]
            for name, profiles, adapt in runs:
                tmp = Path(tempfile.mkdtemp(prefix="lectern-links-"))
                try:
                    began = time.monotonic()
                    results, sent, relay, samples = run(browser, tmp, profiles, adapt, args.seconds, args.warmup)
                    print(f"{name}: {time.monotonic() - began:.0f} s", file=sys.stderr)
                finally:
                    shutil.rmtree(tmp, ignore_errors=True)
                out[name] = {"results": [r.__dict__ for r in results], "sent": sent, "relay": relay, "samples": samples}
                title = {"baseline": "Baseline: the good cadet alone", "off": "Adaptation OFF (LECTERN_RELAY_ADAPT=0)",
                         "on": "Adaptation ON (LECTERN_RELAY_ADAPT=1)"}[name]  # fmt: skip
                table(f"{title}; instructor sends {', '.join(sent) or '-'}; window {args.seconds:.0f} s", results)
        finally:
            browser.close()

    baseline_fps = out["baseline"]["results"][0]["fps"] if "baseline" in out else None
    if "off" in out and "on" in out:
        print("\nON / OFF")
        print(f"{'cadet link':<26} {'concealed':>9} {'fps':>6} {'join>audio':>10} {'rtt':>6}")
        for on, off in zip(out["on"]["results"], out["off"]["results"], strict=True):
            r = {k: ratio(on[k], off[k]) for k in ("concealed", "fps", "join_audio", "rtt")}
            print(f"{on['profile']:<26} {r['concealed']:>9} {r['fps']:>6} {r['join_audio']:>10} {r['rtt']:>6}")
    for mode in modes:
        results = [Result(**r) for r in out[mode]["results"]]
        print(f"\nTargets (issue 13), adaptation {mode.upper()}")
        for what, ok, value in targets(results, baseline_fps):
            verdict = "-" if ok is None else "PASS" if ok else "FAIL"
            print(f"  {verdict:<5} {what:<46} {value}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
