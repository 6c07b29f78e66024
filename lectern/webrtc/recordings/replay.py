"""The replay of a recorded lecture: a recording's folder (manifest.json and one WebM per track, relay/record.py)
made into three files, by one encode per recording (never per viewer):

  replay.webm  to watch and download: VP8 1280x720 (each picture fitted in, the rest black), about 1 Mbps, Opus
               64 kbps stereo; a keyframe every 2 s and the Cues (the index) at the front, so a seek is quick.
  low.webm     for weak links: VP8 640x360 at about 300 kbps, Opus 32 kbps mono.
  audio.webm   the sound alone: Opus 32 kbps mono. WebM rather than Ogg: Chromium plays both in <audio>, but seeks
               a WebM by its Cues with one range request, where an Ogg file is searched by bisection.

    outputs = compose(recording_dir, recording_dir, progress=lambda done: job.report(done))

Pure: no Flask, no database; the job worker calls it. Everything that goes wrong (a missing or corrupt file, a bad
manifest, ffmpeg failing) is a ReplayError naming the file (ManifestError, also a ValueError, for the manifest), and
leaves no file behind: the outputs are written under temporary names and renamed only once all three are whole.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av

from lectern.webrtc.recordings import ffmpeg
from lectern.webrtc.recordings.ffmpeg import DEFAULT, Settings
from lectern.webrtc.recordings.manifest import MANIFEST, Manifest, ManifestError, ReplayError, Track, read_manifest
from lectern.webrtc.recordings.timeline import Placed, Plan, Segment, plan

__all__ = [
    "DEFAULT",
    "FILES",
    "Manifest",
    "ManifestError",
    "Output",
    "Outputs",
    "Placed",
    "Plan",
    "ReplayError",
    "Segment",
    "Settings",
    "Track",
    "compose",
    "measure",
    "plan",
    "read_manifest",
]

# The three files, by version (the names recordings/services.py serves).
FILES = {"main": "replay.webm", "low": "low.webm", "audio": "audio.webm"}


@dataclass(frozen=True)
class Output:
    """One file made, as measured from the file itself."""

    path: Path
    size: int  # bytes
    duration: float  # seconds, as the file says
    bitrate: int  # bits per second over the whole file: size * 8 / duration
    video_bitrate: int | None  # bits per second of the video stream's packets; None: no video
    audio_bitrate: int | None
    width: int | None
    height: int | None


@dataclass(frozen=True)
class Outputs:
    """The replay's three files, and where the replay lies on the lecture's clock."""

    replay: Output
    low: Output
    audio: Output
    offset: float  # the lecture's second (since the recording's start) at which the replay starts
    duration: float  # the replay's length by the plan, seconds


def compose(
    directory: Path | str,
    out_dir: Path | str,
    *,
    progress: Callable[[float], None] | None = None,
    settings: Settings = DEFAULT,
) -> Outputs:
    """Make the replay of the recording in `directory` into `out_dir` (replay.webm, low.webm and audio.webm, which
    replace any already there), calling `progress(fraction)` as ffmpeg goes (about twice a second, ending with 1.0).
    ReplayError naming the file for a missing or corrupt track, a bad manifest or ffmpeg failing; no partial file is
    left behind."""
    directory, out_dir = Path(directory), Path(out_dir)
    timeline = plan(read_manifest(directory), directory)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ReplayError(f"{out_dir}: cannot write the replay there ({error})") from None
    final = {version: out_dir / name for version, name in FILES.items()}
    partial = {version: out_dir / f".{name}.part" for version, name in FILES.items()}
    try:
        args = ffmpeg.command(timeline, partial["main"], partial["low"], partial["audio"], settings)
        ffmpeg.run(args, timeline.duration, progress, lambda said: _blame(timeline, said))
        measured = {version: measure(path) for version, path in partial.items()}
        try:
            for version, path in partial.items():
                os.replace(path, final[version])
        except OSError as error:
            raise ReplayError(f"{out_dir}: cannot write the replay there ({error})") from None
    finally:
        for path in partial.values():
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
    if progress is not None:
        progress(1.0)
    outputs = {version: dataclasses.replace(output, path=final[version]) for version, output in measured.items()}
    return Outputs(outputs["main"], outputs["low"], outputs["audio"], timeline.offset, timeline.duration)


def measure(path: Path) -> Output:
    """What a made file holds: its size, length and bitrates (read from its packets, not decoded)."""
    size = path.stat().st_size
    try:
        with av.open(str(path), "r") as container:
            duration = (container.duration or 0) / av.time_base
            totals: dict[str, int] = {}
            for packet in container.demux():
                if packet.size:
                    totals[packet.stream.type] = totals.get(packet.stream.type, 0) + packet.size
            video = container.streams.video[0] if container.streams.video else None
            width = video.codec_context.width if video else None
            height = video.codec_context.height if video else None
    except av.FFmpegError as error:
        raise ReplayError(f"{path.name}: written but not readable ({error})") from None

    def rate(count: int) -> int:
        return round(count * 8 / duration) if duration > 0 else 0

    return Output(
        path=path,
        size=size,
        duration=duration,
        bitrate=rate(size),
        video_bitrate=rate(totals["video"]) if "video" in totals else None,
        audio_bitrate=rate(totals["audio"]) if "audio" in totals else None,
        width=width,
        height=height,
    )


def _blame(timeline: Plan, said: str) -> str:
    """ffmpeg's complaint as a message that starts with the file it is about: a track it names, else the
    recording's folder."""
    for placed in (*timeline.video, *timeline.audio):
        if re.search(re.escape(placed.track.file) + r"\b", said):
            return f"{placed.track.file}: ffmpeg failed: {said}"
    return f"{timeline.directory / MANIFEST}: ffmpeg failed on this recording: {said}"
