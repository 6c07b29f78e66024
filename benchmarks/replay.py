"""Replay benchmark: how long the replay job (lectern/webrtc/recordings/replay.py) takes against the lecture's length.

A synthetic lecture recorded the way the relay records (each track's VP8 or Opus packets in a WebM file of its own,
tests/webrtc/recordings/synthetic.py), then composed with `compose()` as the job does: one ffmpeg process, one
decode, the replay (1280x720, 1 Mbps), the low version (640x360, 300 kbps) and the audio alone (Opus 32 kbps).
Measured, not asserted. The lecture (`--seconds`, default 60):

  t1-video  the instructor: camera (640x480, moving) for the first third, then a screen share (1280x720, a still
            picture, as a slide is; the same track changes size) to five sixths, then the camera again
  t2-audio  the instructor's voice (a tone), all along but for the cadet's turn
  t3-video  a cadet given the floor: camera (640x480, moving) from half to two thirds, over the instructor's (the
            instructor's picture becomes the inset)
  t4-audio  the cadet's voice (beeps), the same stretch

`--content moving` makes the screen share move as the cameras do (the worst case: every picture changes).
The synthetic textures are harder to encode than a face or slides, so the ratio is a floor.

    .venv/bin/python benchmarks/replay.py [--seconds 60] [--cpu-used 8 12 16] [--cores 2] [--content still]

Columns: `cpu-used` libvpx's speed setting; `lecture s` the replay's length; `job s` compose()'s wall time (the
plan, ffmpeg and the measuring of the outputs); `ffmpeg cpu s` its user + system time; `ratio` lecture s / job s
(how many times faster than the lecture lasted); `load` the machine's load average after the run (on a shared
machine the wall time is only as good as that). Then, per output of the last run, its size and bitrates as measured
from the file.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lectern.webrtc.recordings.replay import Outputs, Settings, compose
from tests.webrtc.recordings import synthetic


def write_lecture(directory: Path, seconds: float, content: str) -> None:
    """The lecture of the module's docstring, into `directory`."""
    third, half, two_thirds, five_sixths = seconds / 3, seconds / 2, seconds * 2 / 3, seconds * 5 / 6
    share = 4 if content == "moving" else 0
    synthetic.write_video(
        directory / "t1-video.webm",
        seconds,
        sizes=((0.0, 640, 480), (third, 1280, 720), (five_sixths, 640, 480)),
        motion=(4, share, 4),
        tint=synthetic.RED,
    )
    synthetic.write_audio(directory / "t2-audio.webm", seconds, hertz=220)
    synthetic.write_video(directory / "t3-video.webm", two_thirds - half, tint=synthetic.BLUE)
    synthetic.write_audio(directory / "t4-audio.webm", two_thirds - half, hertz=880, beeps=True)
    synthetic.write_manifest(
        directory,
        [
            {"file": "t1-video.webm", "kind": "video", "start": 0.0, "end": seconds},
            {"file": "t2-audio.webm", "kind": "audio", "start": 0.0, "end": seconds},
            {"file": "t3-video.webm", "kind": "video", "start": half, "end": two_thirds},
            {"file": "t4-audio.webm", "kind": "audio", "start": half, "end": two_thirds},
        ],
    )


def run(recording: Path, out: Path, cpu_used: int) -> tuple[float, float, Outputs]:
    """compose() once: (wall seconds, ffmpeg's CPU seconds, what it made)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    outputs = compose(recording, out, settings=Settings(cpu_used=cpu_used))
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, outputs


def kbps(bits: int | None) -> str:
    return "-" if bits is None else f"{bits / 1000:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="the lecture's length")
    parser.add_argument("--cpu-used", type=int, nargs="+", default=[Settings().cpu_used], help="libvpx's speed")
    parser.add_argument("--cores", type=int, default=2, help="run on this many cores (0: all)")
    parser.add_argument("--content", choices=["still", "moving"], default="still", help="the screen share's picture")
    parser.add_argument("--runs", type=int, default=1, help="runs of each setting")
    args = parser.parse_args()
    if args.cores:
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[: args.cores])  # ffmpeg inherits it
    with tempfile.TemporaryDirectory() as tmp:
        recording = Path(tmp) / "recording"
        recording.mkdir()
        started = time.perf_counter()
        write_lecture(recording, args.seconds, args.content)
        print(f"synthetic lecture of {args.seconds:g} s written in {time.perf_counter() - started:.1f} s", flush=True)
        cores = len(os.sched_getaffinity(0))
        print(f"\n{cores} cores, screen share {args.content}")
        head = f"{'cpu-used':>8}{'lecture s':>11}{'job s':>8}{'ffmpeg cpu s':>14}{'ratio':>8}{'load':>7}"
        print(head)
        print("-" * len(head))
        outputs: Outputs | None = None
        for cpu_used in args.cpu_used:
            for _ in range(args.runs):
                wall, cpu, outputs = run(recording, Path(tmp) / "out", cpu_used)
                load = os.getloadavg()[0]
                print(
                    f"{cpu_used:>8}{outputs.duration:>11.1f}{wall:>8.1f}{cpu:>14.1f}{outputs.duration / wall:>8.1f}"
                    f"{load:>7.1f}",
                    flush=True,
                )
        assert outputs is not None
        head = (
            f"\n{'output':<13}{'size':>9}{'seconds':>9}{'kbps':>7}{'video kbps':>12}{'audio kbps':>12}{'picture':>10}"
        )
        print(head)
        print("-" * (len(head) - 1))
        for output in (outputs.replay, outputs.low, outputs.audio):
            picture = f"{output.width}x{output.height}" if output.width else "-"
            print(
                f"{output.path.name:<13}{output.size / 1e6:>7.2f}MB{output.duration:>9.1f}{kbps(output.bitrate):>7}"
                f"{kbps(output.video_bitrate):>12}{kbps(output.audio_bitrate):>12}{picture:>10}"
            )


if __name__ == "__main__":
    main()
