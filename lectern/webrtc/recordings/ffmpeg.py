"""The one ffmpeg process that makes a replay: its command line from a plan, and running it with progress.

One process, one decode of each track, every output from it. Two filter graphs, so that a picture changing size
(the camera giving way to a screen share) re-sizes inside the video graph and never touches the sound:

  video: a black 1280x720 canvas at 30 fps; each track scaled to fit it (aspect kept, centred: the rest stays
         black) and laid on it while it is the main picture, then scaled to an inset box (a quarter of the width)
         and laid bottom right while it is the inset (`timeline.layout`); split to the replay and the low version.
  audio: each track resampled onto the timeline from 0 (silence before it and in its gaps), mixed without
         normalising (one speaker at a time keeps their level), padded or cut to the replay's length, split to the
         three outputs.

Inputs are placed with -itsoffset (their pts start at 0) and read with -reinit_filter 0: by default ffmpeg
rebuilds a whole graph when an input's frame size changes, and the rebuilt canvas would start again from 0; this
way only `scale` (which re-configures itself per frame) and `overlay` (which reads each frame's size) see it.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lectern.webrtc.recordings.manifest import ReplayError
from lectern.webrtc.recordings.timeline import Plan


@dataclass(frozen=True)
class Settings:
    """What the replay's files are encoded to. VP8 and Opus in WebM: what Chromium plays (and seeks, by the
    Cues) in <video> and <audio> alike."""

    width: int = 1280
    height: int = 720
    fps: int = 30
    video_kbps: int = 1000
    audio_kbps: int = 64
    low_width: int = 640
    low_height: int = 360
    # The light version's picture: about 300 kbps with its sound, on a link of 400 kbps or more (libvpx's realtime
    # mode runs some 10% over its target).
    low_video_kbps: int = 250
    low_audio_kbps: int = 32
    audio_only_kbps: int = 32
    keyframe_seconds: float = 2.0  # a seek lands at most this far before where it was asked
    inset_width: int = 320  # the inset's box: a quarter of the canvas's width, a third of its height
    inset_height: int = 240
    inset_margin: int = 24
    # libvpx's realtime mode. Measured on two busy cores (benchmarks/replay.py, 60 s synthetic lecture): cpu-used 8
    # or 12 took 0.4 s a lecture second, 14 took 0.3 s for about 3 dB less PSNR on moving pictures (none on a still
    # screen), 16 falls off a cliff (SSIM 0.94 against 0.99). One thread per encoder: libvpx's VP8 threads wait
    # for each other spinning, and on cores shared with anything else two of them took twice the CPU and more than
    # twice the time. Where there are cores to spare, run more jobs at once rather than more threads per job.
    cpu_used: int = 14
    threads: int = 1


DEFAULT = Settings()


def command(plan: Plan, replay: Path, low: Path, audio: Path, settings: Settings = DEFAULT) -> list[str]:
    """ffmpeg's arguments (after the program's name) that write the plan's three files to these paths."""
    s = settings
    args = ["-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", "-y"]
    args += ["-progress", "pipe:1", "-stats_period", "0.5"]
    for placed in plan.video:
        args += ["-reinit_filter", "0", "-itsoffset", _seconds(placed.start), "-i", _file(placed.path)]
    for placed in plan.audio:
        args += ["-itsoffset", _seconds(placed.start), "-i", _file(placed.path)]
    args += ["-filter_complex", video_graph(plan, s), "-filter_complex", audio_graph(plan, len(plan.video))]
    keyframes = ["-g", str(round(s.fps * s.keyframe_seconds)),
                 "-force_key_frames", f"expr:gte(t,n_forced*{s.keyframe_seconds:g})"]  # fmt: skip
    vp8 = ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", str(s.cpu_used), "-threads", str(s.threads)]
    webm = ["-f", "webm", "-cues_to_front", "1"]  # the index first: a browser seeks without reading the end
    args += ["-map", "[replay_v]", "-map", "[replay_a]", *vp8, "-b:v", f"{s.video_kbps}k", *keyframes,
             "-c:a", "libopus", "-b:a", f"{s.audio_kbps}k", "-ac", "2", *webm, _file(replay)]  # fmt: skip
    # The versions for weak links keep to their rates: the light video capped (VBR up to its rate, a buffer of two
    # seconds), the sound at constrained VBR (Opus's default VBR runs well over its target on steady sound).
    capped = ["-maxrate", f"{s.low_video_kbps}k", "-bufsize", f"{2 * s.low_video_kbps}k"]
    constrained = ["-vbr", "constrained"]
    args += ["-map", "[low_v]", "-map", "[low_a]", *vp8, "-b:v", f"{s.low_video_kbps}k", *capped, *keyframes,
             "-c:a", "libopus", "-b:a", f"{s.low_audio_kbps}k", *constrained, "-ac", "1",
             *webm, _file(low)]  # fmt: skip
    args += ["-map", "[audio_a]", "-c:a", "libopus", "-b:a", f"{s.audio_only_kbps}k", *constrained, "-ac", "1",
             *webm, _file(audio)]  # fmt: skip
    return args


def video_graph(plan: Plan, s: Settings = DEFAULT) -> str:
    """The video filter graph: the canvas, each track laid on it while it is the main picture or the inset, split to
    [replay_v] and [low_v]. Input n is `plan.video[n]`."""
    mains: dict[int, list[tuple[float, float]]] = {}
    insets: dict[int, list[tuple[float, float]]] = {}
    for segment in plan.layout:
        if segment.main is not None:
            mains.setdefault(segment.main, []).append((segment.start, segment.end))
        if segment.inset is not None:
            insets.setdefault(segment.inset, []).append((segment.start, segment.end))
    chains = [f"color=c=black:s={s.width}x{s.height}:r={s.fps}:d={_seconds(plan.duration)},format=yuv420p[canvas0]"]
    main_layers: list[tuple[str, list[tuple[float, float]], str]] = []
    inset_layers: list[tuple[str, list[tuple[float, float]], str]] = []
    for n in range(len(plan.video)):
        roles = [(role, spans) for role, spans in (("main", mains.get(n)), ("inset", insets.get(n))) if spans]
        if not roles:
            chains.append(f"[{n}:v]nullsink")  # never shown (under two newer ones all along): read and dropped
            continue
        if len(roles) == 2:
            chains.append(f"[{n}:v]split=2[v{n}main_in][v{n}inset_in]")
        for role, spans in roles:
            given = f"[v{n}{role}_in]" if len(roles) == 2 else f"[{n}:v]"
            box = (s.width, s.height) if role == "main" else (s.inset_width, s.inset_height)
            chains.append(
                f"{given}scale=w={box[0]}:h={box[1]}:force_original_aspect_ratio=decrease:force_divisible_by=2"
                f":flags=bilinear,setsar=1[v{n}{role}]"
            )
            if role == "main":
                main_layers.append((f"[v{n}main]", spans, "x=(W-w)/2:y=(H-h)/2"))
            else:
                inset_layers.append((f"[v{n}inset]", spans, f"x=W-w-{s.inset_margin}:y=H-h-{s.inset_margin}"))
    canvas = "[canvas0]"
    # Every main picture first, then the insets over them; each only while it has that part (half-open spans).
    for k, (label, spans, place) in enumerate(main_layers + inset_layers, 1):
        enable = "+".join(f"gte(t,{_seconds(a)})*lt(t,{_seconds(b)})" for a, b in spans)
        chains.append(f"{canvas}{label}overlay={place}:eof_action=pass:eval=frame:enable='{enable}'[canvas{k}]")
        canvas = f"[canvas{k}]"
    chains.append(f"{canvas}split=2[replay_v][low_full]")
    chains.append(f"[low_full]scale={s.low_width}:{s.low_height}:flags=bilinear,setsar=1[low_v]")
    return ";".join(chains)


def audio_graph(plan: Plan, first_input: int) -> str:
    """The audio filter graph: every track on the timeline from 0, mixed, exactly the replay's length, split to
    [replay_a], [low_a] and [audio_a]. Input `first_input + n` is `plan.audio[n]`."""
    length = _seconds(plan.duration)
    chains = []
    for n in range(len(plan.audio)):
        # async: gaps (packets the relay never got) are filled with silence, so what follows stays in its place.
        chains.append(
            f"[{first_input + n}:a]aresample=48000:async=1:min_hard_comp=0.02:first_pts=0,"
            f"aformat=sample_fmts=fltp:channel_layouts=stereo[a{n}]"
        )
    if not plan.audio:
        chains.append(f"anullsrc=r=48000:cl=stereo:d={length}[mix]")
    elif len(plan.audio) == 1:
        chains.append("[a0]anull[mix]")
    else:
        inputs = "".join(f"[a{n}]" for n in range(len(plan.audio)))
        chains.append(f"{inputs}amix=inputs={len(plan.audio)}:duration=longest:normalize=0[mix]")
    # Opus takes 20 ms frames: ffmpeg 5.1 tells the graph so only when an input starts it, and a graph of silence
    # alone (no audio track) has none, so the frames are cut to size here.
    chains.append(
        f"[mix]apad=whole_dur={length},atrim=end={length},asetnsamples=n=960:p=0,asplit=3[replay_a][low_s][audio_s]"
    )
    # The mono versions average the two channels: a plain downmix (-ac 1) adds them at -3 dB each, 3 dB louder
    # than the replay, and WebRTC's Opus is mostly one voice in both channels.
    for name in ("low", "audio"):
        chains.append(f"[{name}_s]pan=mono|c0=0.5*c0+0.5*c1[{name}_a]")
    return ";".join(chains)


def run(args: list[str], duration: float, progress: Callable[[float], None] | None, name: Callable[[str], str]) -> None:
    """Run ffmpeg with `args`, calling `progress(fraction)` as it reports its time. ReplayError when it fails, with
    what it said (`name` turns that into a message naming the file at fault). An exception from `progress` stops
    ffmpeg and goes on up."""
    program = shutil.which("ffmpeg")
    if program is None:
        raise ReplayError("ffmpeg is not installed (Debian: apt-get install ffmpeg)")
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as errors:
        # stderr to a file, not a pipe: a stream of decoding errors must not fill a pipe nobody reads and stall it.
        with subprocess.Popen(  # noqa: S603 (ffmpeg found on PATH, the arguments built here)
            [program, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors, text=True
        ) as process:
            read = False
            try:
                assert process.stdout is not None
                for line in process.stdout:
                    key, _, value = line.strip().partition("=")
                    if key == "out_time_us" and progress is not None and value.isdigit() and duration > 0:
                        progress(min(int(value) / 1e6 / duration, 1.0))
                read = True
            finally:
                if not read:
                    process.kill()  # `progress` raised (the job is cancelled): ffmpeg stops with it
            code = process.wait()
        if code != 0:
            errors.seek(0)
            said = errors.read().strip().splitlines()
            raise ReplayError(name("\n".join(said[-8:]) or f"ffmpeg exited with {code}"))


def _file(path: Path) -> str:
    """A path as ffmpeg must take it: a file, whatever its name (a colon in it would otherwise name a protocol)."""
    return f"file:{path}"


def _seconds(value: float) -> str:
    return f"{max(value, 0.0):.6f}"
