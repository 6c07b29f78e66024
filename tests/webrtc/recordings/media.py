"""Reading a made replay back with PyAV: what a picture shows where, and how loud the sound is when."""

from __future__ import annotations

import math
from array import array
from pathlib import Path

import av

from tests.webrtc.recordings.synthetic import BLUE, RED, Tint

BLACK = Tint(128, 128)
TINTS = {"red": RED, "blue": BLUE, "black": BLACK}


def video_frames(path: Path) -> list[av.VideoFrame]:
    """Every picture of the file's video, decoded."""
    with av.open(str(path)) as container:
        return list(container.decode(video=0))


def frame_at(frames: list[av.VideoFrame], seconds: float) -> av.VideoFrame:
    """The picture shown at `seconds`."""
    return min(frames, key=lambda frame: abs(float(frame.time or 0.0) - seconds))


def colour(frame: av.VideoFrame, x: int, y: int, box: int = 16) -> str:
    """What a `box`-pixel square around (x, y) shows: "red", "blue" (the synthetic tracks' tints) or "black"."""
    frame = frame.reformat(format="yuv420p")
    luma = _mean(frame, 0, x, y, box)
    u = _mean(frame, 1, x // 2, y // 2, box // 2)
    v = _mean(frame, 2, x // 2, y // 2, box // 2)
    if luma < 40 and abs(u - 128) < 12 and abs(v - 128) < 12:
        return "black"
    return min(("red", "blue"), key=lambda name: math.dist((u, v), (TINTS[name].u, TINTS[name].v)))


def _mean(frame: av.VideoFrame, index: int, x: int, y: int, box: int) -> float:
    plane = frame.planes[index]
    data = bytes(plane)
    half = box // 2
    values = [
        data[row * plane.line_size + column]
        for row in range(max(y - half, 0), min(y + half, plane.height))
        for column in range(max(x - half, 0), min(x + half, plane.width))
    ]
    return sum(values) / len(values)


def loudness(path: Path) -> list[tuple[float, float]]:
    """(time, RMS of its samples) for every decoded audio frame of the file's first channel."""
    found = []
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            assert frame.format.name == "fltp", frame.format.name  # what ffmpeg's Opus decoder gives
            samples = array("f", bytes(frame.planes[0]))[: frame.samples]
            rms = math.sqrt(sum(s * s for s in samples) / len(samples)) if samples else 0.0
            found.append((float(frame.time or 0.0), rms))
    return found


def rms_between(levels: list[tuple[float, float]], start: float, end: float) -> float:
    """The loudest frame's RMS between `start` and `end` seconds."""
    inside = [rms for at, rms in levels if start <= at < end]
    assert inside, f"no audio between {start} and {end}"
    return max(inside)


def quietest_between(levels: list[tuple[float, float]], start: float, end: float) -> float:
    """The quietest frame's RMS between `start` and `end` seconds."""
    inside = [rms for at, rms in levels if start <= at < end]
    assert inside, f"no audio between {start} and {end}"
    return min(inside)
